/* qs8-vadd-avx512vnni.c - AVX-512 int8 element-wise add, 16 elements a
 * step, the tail with masked loads and stores; f32 steps as xk_qs8_add1.
 * It needs only F and BW, and is listed with the other AVX-512 int8 kernels
 * (feature avx512vnni: F, BW, VL, DQ and VNNI). */
#include <immintrin.h>

#include "xk-ukernel.h"

void xk_qs8_vadd_ukernel__avx512vnni(size_t n, const int8_t *a,
				     const int8_t *b, int8_t *out,
				     const struct xk_qs8_add *p)
{
	const __m512i za = _mm512_set1_epi32(p->za), zb = _mm512_set1_epi32(p->zb);
	const __m512i zp = _mm512_set1_epi32(p->zp);
	const __m512 ma = _mm512_set1_ps(p->ma), mb = _mm512_set1_ps(p->mb);
	const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
	for (size_t i = 0; i < n; i += 16) {
		const __mmask16 m =
			n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
		const __m512i x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, a + i));
		const __m512i y = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, b + i));
		const __m512 fa = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(x, za)), ma);
		const __m512 fb = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(y, zb)), mb);
		__m512 s = _mm512_add_ps(fa, fb);
		s = _mm512_min_ps(_mm512_max_ps(s, lo), hi);
		_mm512_mask_cvtepi32_storeu_epi8(out + i, m,
						 _mm512_add_epi32(_mm512_cvtps_epi32(s), zp));
	}
}
