/* f32-gemm-14x32-avx512.c - f32 GEMM micro-kernel, 14 rows x 32 columns.
 *
 * 28 zmm accumulators, per k two weight loads and 14 broadcasts of A for 28
 * FMAs: enough independent FMAs to keep both 512-bit FMA ports busy, and
 * fewer loads than FMAs. Rows past mr alias the last valid row. */
#include <assert.h>
#include "xk-avx512.h"

#define ROWS(X)                                                                \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

void xk_f32_gemm_ukernel_14x32__avx512(size_t mr, size_t nc, size_t kc,
				       const float *a, size_t a_stride,
				       const float *w, float *c,
				       size_t c_stride,
				       const struct xk_act_params *params)
{
	const struct xk_act_params act = *params, *p = &act;
	assert(mr >= 1 && mr <= 14 && nc >= 1 && kc >= 1);
#define PTRS(i)                                                                \
	const float *a##i = a + (mr > i ? i : mr - 1) * a_stride;              \
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
			const float *wk = w + 32;
			for (size_t k = 0; k < kc; k++) {
				const __m512 b0 = _mm512_load_ps(wk);
				const __m512 b1 = _mm512_load_ps(wk + 16);
				wk += 32;
#define FMA(i)                                                                 \
	{                                                                      \
		const __m512 ai = _mm512_set1_ps(a##i[k]);                     \
		x##i = _mm512_fmadd_ps(ai, b0, x##i);                          \
		y##i = _mm512_fmadd_ps(ai, b1, y##i);                          \
	}
				ROWS(FMA)
#undef FMA
			}
			if (nc >= 32) {
#define STORE(i)                                                               \
	_mm512_storeu_ps(c##i, xk_avx512_epilogue(x##i, p));                             \
	_mm512_storeu_ps(c##i + 16, xk_avx512_epilogue(y##i, p));
				ROWS(STORE)
#undef STORE
			} else {
				const __mmask16 m = xk_avx512_mask(nc - 16);
#define STORE(i)                                                               \
	_mm512_storeu_ps(c##i, xk_avx512_epilogue(x##i, p));                             \
	_mm512_mask_storeu_ps(c##i + 16, m, xk_avx512_epilogue(y##i, p));
				ROWS(STORE)
#undef STORE
			}
		} else {
			/* The last strip holds 16 columns or fewer. */
#define INIT(i) __m512 x##i = _mm512_load_ps(w);
			ROWS(INIT)
#undef INIT
			const float *wk = w + 32;
			for (size_t k = 0; k < kc; k++) {
				const __m512 b0 = _mm512_load_ps(wk);
				wk += 32;
#define FMA(i) x##i = _mm512_fmadd_ps(_mm512_set1_ps(a##i[k]), b0, x##i);
				ROWS(FMA)
#undef FMA
			}
			const __mmask16 m = xk_avx512_mask(nc);
#define STORE(i) _mm512_mask_storeu_ps(c##i, m, xk_avx512_epilogue(x##i, p));
			ROWS(STORE)
#undef STORE
		}
		if (nc <= 32)
			return;
		nc -= 32;
		w += 32 + kc * 32;
#define NEXT(i) c##i += 32;
		ROWS(NEXT)
#undef NEXT
	}
}
