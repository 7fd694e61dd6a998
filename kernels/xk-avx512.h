/* xk-avx512.h - the epilogue and a partial store for AVX-512 kernels (include
 * only from files built with -mavx512f) */
#ifndef XK_AVX512_H
#define XK_AVX512_H

#include <immintrin.h>

#include "xk-ukernel.h"

static inline __m512 xk_avx512_epilogue(__m512 y, const struct xk_act_params *p)
{
	if (p->hswish) {
		__m512 t = _mm512_add_ps(y, _mm512_set1_ps(3.0f));
		t = _mm512_max_ps(t, _mm512_setzero_ps());
		t = _mm512_min_ps(t, _mm512_set1_ps(6.0f));
		y = _mm512_mul_ps(_mm512_mul_ps(y, t), _mm512_set1_ps(1.0f / 6.0f));
	}
	if (p->clamp) {
		y = _mm512_max_ps(y, _mm512_set1_ps(p->min));
		y = _mm512_min_ps(y, _mm512_set1_ps(p->max));
	}
	return y;
}

/* Lanes [0, n) of 16; n in [0, 16]. */
static inline __mmask16 xk_avx512_mask(size_t n)
{
	return (__mmask16)((1u << n) - 1);
}

/* Stores 16 floats of which n (may be <= 0) are valid. */
static inline void xk_avx512_store(float *c, __m512 v, ptrdiff_t n)
{
	if (n >= 16)
		_mm512_storeu_ps(c, v);
	else if (n > 0)
		_mm512_mask_storeu_ps(c, xk_avx512_mask((size_t)n), v);
}

#endif /* XK_AVX512_H */
