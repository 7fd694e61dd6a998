/* f32-conv-6x16-avx2.c - f32 full-convolution micro-kernel, AVX2+FMA: 6 output
 * pixels of a row x 16 output channels, A read from the NHWC input rows. */
#include <assert.h>

#include "xk-avx2.h"

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

void xk_f32_conv_ukernel_6x16__avx2(size_t mr, size_t nc, size_t kh,
				    size_t kwc, size_t xstride,
				    const float *const *rows, const float *w,
				    float *c, size_t c_stride,
				    const struct xk_act_params *params)
{
	const struct xk_act_params act = *params, *p = &act;
	assert(mr >= 1 && mr <= 6 && nc >= 1 && kh >= 1 && kwc >= 1);
	const size_t strip = 16 + kh * kwc * 16;
#define PTRS(i)                                                                \
	const size_t o##i = (mr > i ? i : mr - 1) * xstride;                   \
	float *c##i = c + (mr > i ? i : mr - 1) * c_stride;
	ROWS(PTRS)
#undef PTRS
	for (;;) {
#define INIT(i)                                                                \
	__m256 x##i = _mm256_load_ps(w);                                       \
	__m256 y##i = _mm256_load_ps(w + 8);
		ROWS(INIT)
#undef INIT
		for (size_t ky = 0; ky < kh; ky++) {
			const float *r = rows[ky];
			if (r == NULL)
				continue;
			const float *wk = w + 16 + ky * kwc * 16;
			for (size_t t = 0; t < kwc; t++) {
				const __m256 b0 = _mm256_load_ps(wk);
				const __m256 b1 = _mm256_load_ps(wk + 8);
				wk += 16;
#define FMA(i)                                                                 \
	{                                                                      \
		const __m256 ai = _mm256_broadcast_ss(r + o##i + t);           \
		x##i = _mm256_fmadd_ps(ai, b0, x##i);                          \
		y##i = _mm256_fmadd_ps(ai, b1, y##i);                          \
	}
				ROWS(FMA)
#undef FMA
			}
		}
		ptrdiff_t n = (ptrdiff_t)nc;
#define STORE(i)                                                               \
	xk_avx2_store(c##i, xk_avx2_epilogue(x##i, p), n);                     \
	xk_avx2_store(c##i + 8, xk_avx2_epilogue(y##i, p), n - 8);
		ROWS(STORE)
#undef STORE
		if (nc <= 16)
			return;
		nc -= 16;
		w += strip;
#define NEXT(i) c##i += 16;
		ROWS(NEXT)
#undef NEXT
	}
}
