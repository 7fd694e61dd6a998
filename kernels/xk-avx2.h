/* xk-avx2.h - the epilogue and a partial store for AVX2 kernels (include
 * only from files built with -mavx2 -mfma) */
#ifndef XK_AVX2_H
#define XK_AVX2_H

#include <immintrin.h>

#include "xk-ukernel.h"

static inline __m256 xk_avx2_epilogue(__m256 y, const struct xk_act_params *p)
{
	if (p->hswish) {
		__m256 t = _mm256_add_ps(y, _mm256_set1_ps(3.0f));
		t = _mm256_max_ps(t, _mm256_setzero_ps());
		t = _mm256_min_ps(t, _mm256_set1_ps(6.0f));
		y = _mm256_mul_ps(_mm256_mul_ps(y, t), _mm256_set1_ps(1.0f / 6.0f));
	}
	if (p->clamp) {
		y = _mm256_max_ps(y, _mm256_set1_ps(p->min));
		y = _mm256_min_ps(y, _mm256_set1_ps(p->max));
	}
	return y;
}

/* Lanes [0, n) set, for maskload/maskstore; n may be <= 0 or >= 8. */
static inline __m256i xk_avx2_mask(ptrdiff_t n)
{
	int32_t k = n < 0 ? 0 : n > 8 ? 8 : (int32_t)n;
	return _mm256_cmpgt_epi32(_mm256_set1_epi32(k),
				  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Stores 8 floats of which n (may be <= 0) are valid. */
static inline void xk_avx2_store(float *c, __m256 v, ptrdiff_t n)
{
	if (n >= 8)
		_mm256_storeu_ps(c, v);
	else if (n > 0)
		_mm256_maskstore_ps(c, xk_avx2_mask(n), v);
}

#endif /* XK_AVX2_H */
