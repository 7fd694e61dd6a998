/* qs8-gavgpool-avx2.c - AVX2 int8 global average pooling, one image: int32
 * sums of 32 channels at a time over the pixels (then 8, then a tail that
 * reads only its channels), then the requantization as the scalar kernel. */
#include "xk-qs8-avx2.h"

static inline __m128i requant8(__m256i acc, const struct xk_qs8_gavgpool *p)
{
	__m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(p->m));
	y = _mm256_max_ps(y, _mm256_set1_ps(p->lo));
	y = _mm256_min_ps(y, _mm256_set1_ps(p->hi));
	return xk_qs8_avx2_narrow(
		_mm256_add_epi32(_mm256_cvtps_epi32(y), _mm256_set1_epi32(p->zp)));
}

void xk_qs8_gavgpool_ukernel__avx2(size_t pixels, size_t channels,
				   const int8_t *in, int8_t *out,
				   const struct xk_qs8_gavgpool *p)
{
	const __m256i bias = _mm256_set1_epi32(p->bias);
	size_t c = 0;
	for (; c + 32 <= channels; c += 32) {
		__m256i s0 = bias, s1 = bias, s2 = bias, s3 = bias;
		const int8_t *x = in + c;
		for (size_t i = 0; i < pixels; i++, x += channels) {
			const __m128i v0 = _mm_loadu_si128((const __m128i *)x);
			const __m128i v1 = _mm_loadu_si128((const __m128i *)(x + 16));
			s0 = _mm256_add_epi32(s0, _mm256_cvtepi8_epi32(v0));
			s1 = _mm256_add_epi32(s1, _mm256_cvtepi8_epi32(_mm_srli_si128(v0, 8)));
			s2 = _mm256_add_epi32(s2, _mm256_cvtepi8_epi32(v1));
			s3 = _mm256_add_epi32(s3, _mm256_cvtepi8_epi32(_mm_srli_si128(v1, 8)));
		}
		_mm_storel_epi64((__m128i *)(out + c), requant8(s0, p));
		_mm_storel_epi64((__m128i *)(out + c + 8), requant8(s1, p));
		_mm_storel_epi64((__m128i *)(out + c + 16), requant8(s2, p));
		_mm_storel_epi64((__m128i *)(out + c + 24), requant8(s3, p));
	}
	for (; c < channels; c += 8) {
		const size_t rest = channels - c < 8 ? channels - c : 8;
		__m256i s = bias;
		const int8_t *x = in + c;
		if (rest == 8)
			for (size_t i = 0; i < pixels; i++, x += channels)
				s = _mm256_add_epi32(s, _mm256_cvtepi8_epi32(
								_mm_loadl_epi64((const __m128i *)x)));
		else
			for (size_t i = 0; i < pixels; i++, x += channels)
				s = _mm256_add_epi32(s, _mm256_cvtepi8_epi32(
								xk_qs8_avx2_load_partial(x, rest)));
		const __m128i r = requant8(s, p);
		if (rest == 8)
			_mm_storel_epi64((__m128i *)(out + c), r);
		else
			xk_qs8_avx2_store_partial(out + c, r, rest);
	}
}
