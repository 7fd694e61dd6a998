/* f32-conv-12x32-avx512.c - f32 full-convolution micro-kernel: 12 output
 * pixels of a row x 32 output channels, the GEMM tile of f32-gemm-12x32 with A
 * read straight from the NHWC input (a pixel's patch row is contiguous). */
#include <assert.h>
#include "xk-avx512.h"

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

void xk_f32_conv_ukernel_12x32__avx512(size_t mr, size_t nc, size_t kh,
				       size_t kwc, size_t xstride,
				       const float *const *rows,
				       const float *w, float *c,
				       size_t c_stride,
				       const struct xk_act_params *params)
{
	const struct xk_act_params act = *params, *p = &act;
	assert(mr >= 1 && mr <= 12 && nc >= 1 && kh >= 1 && kwc >= 1);
	const size_t strip = 32 + kh * kwc * 32;
#define PTRS(i)                                                                \
	const size_t o##i = (mr > i ? i : mr - 1) * xstride;                   \
	float *c##i = c + (mr > i ? i : mr - 1) * c_stride;
	ROWS(PTRS)
#undef PTRS
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
				for (size_t t = 0; t < kwc; t++) {
					const __m512 b0 = _mm512_load_ps(wk);
					const __m512 b1 = _mm512_load_ps(wk + 16);
					wk += 32;
#define FMA(i)                                                                 \
	{                                                                      \
		const __m512 ai = _mm512_set1_ps(r[o##i + t]);                 \
		x##i = _mm512_fmadd_ps(ai, b0, x##i);                          \
		y##i = _mm512_fmadd_ps(ai, b1, y##i);                          \
	}
					ROWS(FMA)
#undef FMA
				}
			}
			const __mmask16 m = nc >= 32 ? (__mmask16)0xffff
					   : xk_avx512_mask(nc - 16);
#define STORE(i)                                                               \
	_mm512_storeu_ps(c##i, xk_avx512_epilogue(x##i, p));                             \
	_mm512_mask_storeu_ps(c##i + 16, m, xk_avx512_epilogue(y##i, p));
			ROWS(STORE)
#undef STORE
		} else {
#define INIT(i) __m512 x##i = _mm512_load_ps(w);
			ROWS(INIT)
#undef INIT
			for (size_t ky = 0; ky < kh; ky++) {
				const float *r = rows[ky];
				if (r == NULL)
					continue;
				const float *wk = w + 32 + ky * kwc * 32;
				for (size_t t = 0; t < kwc; t++) {
					const __m512 b0 = _mm512_load_ps(wk);
					wk += 32;
#define FMA(i) x##i = _mm512_fmadd_ps(_mm512_set1_ps(r[o##i + t]), b0, x##i);
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
