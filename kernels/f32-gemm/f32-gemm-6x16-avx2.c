/* f32-gemm-6x16-avx2.c - f32 GEMM micro-kernel, 6 rows x 16 columns, AVX2+FMA.
 * 12 ymm accumulators, two weight loads and 6 broadcasts per 12 FMAs. */
#include <assert.h>

#include "xk-avx2.h"

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

void xk_f32_gemm_ukernel_6x16__avx2(size_t mr, size_t nc, size_t kc,
				    const float *a, size_t a_stride,
				    const float *w, float *c, size_t c_stride,
				    const struct xk_act_params *params)
{
	const struct xk_act_params act = *params, *p = &act;
	assert(mr >= 1 && mr <= 6 && nc >= 1 && kc >= 1);
#define PTRS(i)                                                                \
	const float *a##i = a + (mr > i ? i : mr - 1) * a_stride;              \
	float *c##i = c + (mr > i ? i : mr - 1) * c_stride;
	ROWS(PTRS)
#undef PTRS
	for (;;) {
#define INIT(i)                                                                \
	__m256 x##i = _mm256_load_ps(w);                                       \
	__m256 y##i = _mm256_load_ps(w + 8);
		ROWS(INIT)
#undef INIT
		const float *wk = w + 16;
		for (size_t k = 0; k < kc; k++) {
			const __m256 b0 = _mm256_load_ps(wk);
			const __m256 b1 = _mm256_load_ps(wk + 8);
			wk += 16;
#define FMA(i)                                                                 \
	{                                                                      \
		const __m256 ai = _mm256_broadcast_ss(a##i + k);               \
		x##i = _mm256_fmadd_ps(ai, b0, x##i);                          \
		y##i = _mm256_fmadd_ps(ai, b1, y##i);                          \
	}
			ROWS(FMA)
#undef FMA
		}
		if (nc >= 16) {
#define STORE(i)                                                               \
	_mm256_storeu_ps(c##i, xk_avx2_epilogue(x##i, p));                     \
	_mm256_storeu_ps(c##i + 8, xk_avx2_epilogue(y##i, p));
			ROWS(STORE)
#undef STORE
			if (nc == 16)
				return;
		} else {
			ptrdiff_t n = (ptrdiff_t)nc;
#define STORE(i)                                                               \
	xk_avx2_store(c##i, xk_avx2_epilogue(x##i, p), n);                     \
	xk_avx2_store(c##i + 8, xk_avx2_epilogue(y##i, p), n - 8);
			ROWS(STORE)
#undef STORE
			return;
		}
		nc -= 16;
		w += 16 + kc * 16;
#define NEXT(i) c##i += 16;
		ROWS(NEXT)
#undef NEXT
	}
}
