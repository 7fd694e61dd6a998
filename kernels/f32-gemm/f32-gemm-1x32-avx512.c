/* f32-gemm-1x32-avx512.c - f32 GEMM micro-kernel for one row (fully-connected
 * layers at batch 1): four 32-column strips at a time, so that eight
 * independent FMA chains hide the FMA latency while weights stream in. Each
 * output is still bias + products in order of k, as in the 14x32 kernel. */
#include <assert.h>
#include "xk-avx512.h"

void xk_f32_gemm_ukernel_1x32__avx512(size_t mr, size_t nc, size_t kc,
				      const float *a, size_t a_stride,
				      const float *w, float *c, size_t c_stride,
				      const struct xk_act_params *params)
{
	const struct xk_act_params act = *params, *p = &act;
	assert(mr == 1 && nc >= 1 && kc >= 1);
	(void)mr;
	(void)a_stride;
	(void)c_stride;
	const size_t strip = 32 + kc * 32;
	while (nc > 96) {
		const float *w0 = w, *w1 = w + strip, *w2 = w + 2 * strip,
			    *w3 = w + 3 * strip;
		__m512 s0 = _mm512_load_ps(w0), t0 = _mm512_load_ps(w0 + 16);
		__m512 s1 = _mm512_load_ps(w1), t1 = _mm512_load_ps(w1 + 16);
		__m512 s2 = _mm512_load_ps(w2), t2 = _mm512_load_ps(w2 + 16);
		__m512 s3 = _mm512_load_ps(w3), t3 = _mm512_load_ps(w3 + 16);
		w0 += 32;
		w1 += 32;
		w2 += 32;
		w3 += 32;
		for (size_t k = 0; k < kc; k++) {
			const __m512 ak = _mm512_set1_ps(a[k]);
			s0 = _mm512_fmadd_ps(ak, _mm512_load_ps(w0), s0);
			t0 = _mm512_fmadd_ps(ak, _mm512_load_ps(w0 + 16), t0);
			s1 = _mm512_fmadd_ps(ak, _mm512_load_ps(w1), s1);
			t1 = _mm512_fmadd_ps(ak, _mm512_load_ps(w1 + 16), t1);
			s2 = _mm512_fmadd_ps(ak, _mm512_load_ps(w2), s2);
			t2 = _mm512_fmadd_ps(ak, _mm512_load_ps(w2 + 16), t2);
			s3 = _mm512_fmadd_ps(ak, _mm512_load_ps(w3), s3);
			t3 = _mm512_fmadd_ps(ak, _mm512_load_ps(w3 + 16), t3);
			w0 += 32;
			w1 += 32;
			w2 += 32;
			w3 += 32;
		}
		ptrdiff_t n = (ptrdiff_t)nc;
		xk_avx512_store(c, xk_avx512_epilogue(s0, p), n);
		xk_avx512_store(c + 16, xk_avx512_epilogue(t0, p), n - 16);
		xk_avx512_store(c + 32, xk_avx512_epilogue(s1, p), n - 32);
		xk_avx512_store(c + 48, xk_avx512_epilogue(t1, p), n - 48);
		xk_avx512_store(c + 64, xk_avx512_epilogue(s2, p), n - 64);
		xk_avx512_store(c + 80, xk_avx512_epilogue(t2, p), n - 80);
		xk_avx512_store(c + 96, xk_avx512_epilogue(s3, p), n - 96);
		xk_avx512_store(c + 112, xk_avx512_epilogue(t3, p), n - 112);
		if (nc <= 128)
			return;
		nc -= 128;
		c += 128;
		w += 4 * strip;
	}
	for (;;) {
		__m512 s = _mm512_load_ps(w), t = _mm512_load_ps(w + 16);
		const float *wk = w + 32;
		for (size_t k = 0; k < kc; k++) {
			const __m512 ak = _mm512_set1_ps(a[k]);
			s = _mm512_fmadd_ps(ak, _mm512_load_ps(wk), s);
			t = _mm512_fmadd_ps(ak, _mm512_load_ps(wk + 16), t);
			wk += 32;
		}
		xk_avx512_store(c, xk_avx512_epilogue(s, p), (ptrdiff_t)nc);
		xk_avx512_store(c + 16, xk_avx512_epilogue(t, p), (ptrdiff_t)nc - 16);
		if (nc <= 32)
			return;
		nc -= 32;
		c += 32;
		w += strip;
	}
}
