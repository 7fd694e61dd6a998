/* qs8-gavgpool-avx512vnni.c - AVX-512 int8 global average pooling, one
 * image: int32 sums of 64 channels at a time over the pixels (then 16, the
 * tail with masked loads), then the requantization as the scalar kernel. It
 * needs only F and BW, and is listed with the other AVX-512 int8 kernels
 * (feature avx512vnni: F, BW, VL, DQ and VNNI). */
#include <immintrin.h>

#include "xk-ukernel.h"

static inline void requant_store(int8_t *o, __mmask16 m, __m512i acc,
				 const struct xk_qs8_gavgpool *p)
{
	__m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(p->m));
	y = _mm512_max_ps(y, _mm512_set1_ps(p->lo));
	y = _mm512_min_ps(y, _mm512_set1_ps(p->hi));
	_mm512_mask_cvtepi32_storeu_epi8(
		o, m, _mm512_add_epi32(_mm512_cvtps_epi32(y), _mm512_set1_epi32(p->zp)));
}

void xk_qs8_gavgpool_ukernel__avx512vnni(size_t pixels, size_t channels,
					 const int8_t *in, int8_t *out,
					 const struct xk_qs8_gavgpool *p)
{
	const __m512i bias = _mm512_set1_epi32(p->bias);
	size_t c = 0;
	for (; c + 64 <= channels; c += 64) {
		__m512i s0 = bias, s1 = bias, s2 = bias, s3 = bias;
		const int8_t *x = in + c;
		for (size_t i = 0; i < pixels; i++, x += channels) {
			s0 = _mm512_add_epi32(s0, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)x)));
			s1 = _mm512_add_epi32(s1, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(x + 16))));
			s2 = _mm512_add_epi32(s2, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(x + 32))));
			s3 = _mm512_add_epi32(s3, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(x + 48))));
		}
		requant_store(out + c, 0xffff, s0, p);
		requant_store(out + c + 16, 0xffff, s1, p);
		requant_store(out + c + 32, 0xffff, s2, p);
		requant_store(out + c + 48, 0xffff, s3, p);
	}
	for (; c < channels; c += 16) {
		const __mmask16 m = channels - c >= 16 ? (__mmask16)0xffff
						       : (__mmask16)((1u << (channels - c)) - 1);
		__m512i s = bias;
		const int8_t *x = in + c;
		for (size_t i = 0; i < pixels; i++, x += channels)
			s = _mm512_add_epi32(s, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, x)));
		requant_store(out + c, m, s, p);
	}
}
