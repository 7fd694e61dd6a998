/* qs8-quantize-avx512vnni.c - AVX-512 f32 to int8 conversion, 16 values a
 * step, the tail with masked loads and stores; the steps of
 * xk_qs8_quantize1 (a NaN becomes 0 before the clamp). It needs only F, and
 * is listed with the other AVX-512 int8 kernels. */
#include <immintrin.h>

#include "xk-ukernel.h"

void xk_qs8_quantize_ukernel__avx512vnni(size_t n, const float *in, int8_t *out,
					 const struct xk_qs8_quantize *p)
{
	const __m512 inv = _mm512_set1_ps(p->inv);
	const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
	const __m512i zp = _mm512_set1_epi32(p->zp);
	for (size_t i = 0; i < n; i += 16) {
		const __mmask16 m =
			n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
		__m512 y = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, in + i), inv);
		y = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, y, _CMP_ORD_Q), y);
		y = _mm512_min_ps(_mm512_max_ps(y, lo), hi);
		_mm512_mask_cvtepi32_storeu_epi8(out + i, m,
						 _mm512_add_epi32(_mm512_cvtps_epi32(y), zp));
	}
}
