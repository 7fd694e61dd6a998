/* f32-conv-14x32-avx512.c - f32 full-convolution micro-kernel: 14 output
 * pixels of a row x 32 output channels, A read straight from the NHWC input (a
 * pixel's patch row is contiguous).
 *
 * 28 zmm accumulators; per tap two weight loads, then per pixel one broadcast
 * feeding two FMAs (on this generation of cores a broadcast folded into each
 * FMA, {1to16}, is slower). The pixel stride xstride = stride * cin is made a
 * compile-time constant for the stems' usual values, so all 14 pixels are
 * addressed from one register; other values take a generic path. */
#include <assert.h>

#include "xk-avx512.h"

#define ROWS(X)                                                                \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

static inline __attribute__((always_inline)) void
conv_14x32(size_t mr, size_t nc, size_t kh, size_t kwc, const size_t xs,
	   const float *const *rows, const float *w, float *c, size_t c_stride,
	   const struct xk_act_params *p)
{
	const size_t strip = 32 + kh * kwc * 32;
	/* Pixels past mr recompute pixel mr - 1 and store it there again. */
#define OFFS(i)                                                                \
	const size_t o##i = (mr > i ? i : mr - 1) * xs;                        \
	float *c##i = c + (mr > i ? i : mr - 1) * c_stride;
	ROWS(OFFS)
#undef OFFS
	for (;;) {
		if (nc > 16) {
#define INIT(i)                                                                \
	__m512 x##i = _mm512_load_ps(w);                                       \
	__m512 y##i = _mm512_load_ps(w + 16);
			ROWS(INIT)
#undef INIT
			for (size_t ky = 0; ky < kh; ky++) {
				const float *r = rows[ky];
				if (r == NULL)
					continue;
				const float *wk = w + 32 + ky * kwc * 32;
				for (size_t t = 0; t < kwc; t++, r++) {
					const __m512 b0 = _mm512_load_ps(wk);
					const __m512 b1 = _mm512_load_ps(wk + 16);
					wk += 32;
#define FMA(i)                                                                 \
	{                                                                      \
		const __m512 ai = _mm512_set1_ps(r[o##i]);                     \
		x##i = _mm512_fmadd_ps(ai, b0, x##i);                          \
		y##i = _mm512_fmadd_ps(ai, b1, y##i);                          \
	}
					ROWS(FMA)
#undef FMA
				}
			}
			const ptrdiff_t n = (ptrdiff_t)nc;
#define STORE(i)                                                               \
	_mm512_storeu_ps(c##i, xk_avx512_epilogue(x##i, p));                   \
	xk_avx512_store(c##i + 16, xk_avx512_epilogue(y##i, p), n - 16);
			ROWS(STORE)
#undef STORE
		} else {
			/* The last strip holds 16 channels or fewer. */
#define INIT(i) __m512 x##i = _mm512_load_ps(w);
			ROWS(INIT)
#undef INIT
			for (size_t ky = 0; ky < kh; ky++) {
				const float *r = rows[ky];
				if (r == NULL)
					continue;
				const float *wk = w + 32 + ky * kwc * 32;
				for (size_t t = 0; t < kwc; t++, r++) {
					const __m512 b0 = _mm512_load_ps(wk);
					wk += 32;
#define FMA(i) x##i = _mm512_fmadd_ps(_mm512_set1_ps(r[o##i]), b0, x##i);
					ROWS(FMA)
#undef FMA
				}
			}
			const __mmask16 m = xk_avx512_mask(nc);
#define STORE(i) _mm512_mask_storeu_ps(c##i, m, xk_avx512_epilogue(x##i, p));
			ROWS(STORE)
#undef STORE
		}
		if (nc <= 32)
			return;
		nc -= 32;
		w += strip;
#define NEXT(i) c##i += 32;
		ROWS(NEXT)
#undef NEXT
	}
}

void xk_f32_conv_ukernel_14x32__avx512(size_t mr, size_t nc, size_t kh,
				       size_t kwc, size_t xstride,
				       const float *const *rows,
				       const float *w, float *c,
				       size_t c_stride,
				       const struct xk_act_params *params)
{
	assert(mr >= 1 && mr <= 14 && nc >= 1 && kh >= 1 && kwc >= 1);
	const struct xk_act_params act = *params;
	switch (xstride) {
#define CASE(xs)                                                               \
	case xs:                                                               \
		conv_14x32(mr, nc, kh, kwc, xs, rows, w, c, c_stride, &act);   \
		break;
		CASE(1) CASE(2) CASE(3) CASE(4) CASE(6) CASE(8)
#undef CASE
	default:
		conv_14x32(mr, nc, kh, kwc, xstride, rows, w, c, c_stride, &act);
	}
}
