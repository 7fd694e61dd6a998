/* f32-gemm-1x16-avx2.c - f32 GEMM micro-kernel for one row, AVX2+FMA: four
 * 16-column strips at a time (eight independent FMA chains); each output is
 * bias + products in order of k, as in the 6x16 kernel. */
#include <assert.h>

#include "xk-avx2.h"

void xk_f32_gemm_ukernel_1x16__avx2(size_t mr, size_t nc, size_t kc,
				    const float *a, size_t a_stride,
				    const float *w, float *c, size_t c_stride,
				    const struct xk_act_params *params)
{
	const struct xk_act_params act = *params, *p = &act;
	assert(mr == 1 && nc >= 1 && kc >= 1);
	(void)mr;
	(void)a_stride;
	(void)c_stride;
	const size_t strip = 16 + kc * 16;
	while (nc > 48) {
		const float *w0 = w, *w1 = w + strip, *w2 = w + 2 * strip,
			    *w3 = w + 3 * strip;
		__m256 s0 = _mm256_load_ps(w0), t0 = _mm256_load_ps(w0 + 8);
		__m256 s1 = _mm256_load_ps(w1), t1 = _mm256_load_ps(w1 + 8);
		__m256 s2 = _mm256_load_ps(w2), t2 = _mm256_load_ps(w2 + 8);
		__m256 s3 = _mm256_load_ps(w3), t3 = _mm256_load_ps(w3 + 8);
		w0 += 16;
		w1 += 16;
		w2 += 16;
		w3 += 16;
		for (size_t k = 0; k < kc; k++) {
			const __m256 ak = _mm256_broadcast_ss(a + k);
			s0 = _mm256_fmadd_ps(ak, _mm256_load_ps(w0), s0);
			t0 = _mm256_fmadd_ps(ak, _mm256_load_ps(w0 + 8), t0);
			s1 = _mm256_fmadd_ps(ak, _mm256_load_ps(w1), s1);
			t1 = _mm256_fmadd_ps(ak, _mm256_load_ps(w1 + 8), t1);
			s2 = _mm256_fmadd_ps(ak, _mm256_load_ps(w2), s2);
			t2 = _mm256_fmadd_ps(ak, _mm256_load_ps(w2 + 8), t2);
			s3 = _mm256_fmadd_ps(ak, _mm256_load_ps(w3), s3);
			t3 = _mm256_fmadd_ps(ak, _mm256_load_ps(w3 + 8), t3);
			w0 += 16;
			w1 += 16;
			w2 += 16;
			w3 += 16;
		}
		ptrdiff_t n = (ptrdiff_t)nc;
		xk_avx2_store(c, xk_avx2_epilogue(s0, p), n);
		xk_avx2_store(c + 8, xk_avx2_epilogue(t0, p), n - 8);
		xk_avx2_store(c + 16, xk_avx2_epilogue(s1, p), n - 16);
		xk_avx2_store(c + 24, xk_avx2_epilogue(t1, p), n - 24);
		xk_avx2_store(c + 32, xk_avx2_epilogue(s2, p), n - 32);
		xk_avx2_store(c + 40, xk_avx2_epilogue(t2, p), n - 40);
		xk_avx2_store(c + 48, xk_avx2_epilogue(s3, p), n - 48);
		xk_avx2_store(c + 56, xk_avx2_epilogue(t3, p), n - 56);
		if (nc <= 64)
			return;
		nc -= 64;
		c += 64;
		w += 4 * strip;
	}
	for (;;) {
		__m256 s = _mm256_load_ps(w), t = _mm256_load_ps(w + 8);
		const float *wk = w + 16;
		for (size_t k = 0; k < kc; k++) {
			const __m256 ak = _mm256_broadcast_ss(a + k);
			s = _mm256_fmadd_ps(ak, _mm256_load_ps(wk), s);
			t = _mm256_fmadd_ps(ak, _mm256_load_ps(wk + 8), t);
			wk += 16;
		}
		xk_avx2_store(c, xk_avx2_epilogue(s, p), (ptrdiff_t)nc);
		xk_avx2_store(c + 8, xk_avx2_epilogue(t, p), (ptrdiff_t)nc - 8);
		if (nc <= 16)
			return;
		nc -= 16;
		c += 16;
		w += strip;
	}
}
