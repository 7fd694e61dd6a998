/* xk-qs8-avx2.h - the int8 requantization, narrowing and partial loads and
 * stores of the AVX2 int8 kernels (include only from files built with
 * -mavx2). */
#ifndef XK_QS8_AVX2_H
#define XK_QS8_AVX2_H

#include <immintrin.h>

#include "xk-ukernel.h"

/* xk-qs8.h's requantization of 8 int32 lanes (m: 8 floats); the result is
 * int32 in -128..127. */
static inline __m256i xk_qs8_avx2_requant(__m256i acc, __m256 m,
					  const struct xk_qs8_params *p)
{
	__m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), m);
	if (p->hswish) {
		__m256 t = _mm256_add_ps(y, _mm256_set1_ps(3.0f));
		t = _mm256_max_ps(t, _mm256_setzero_ps());
		t = _mm256_min_ps(t, _mm256_set1_ps(6.0f));
		y = _mm256_mul_ps(_mm256_mul_ps(y, t), _mm256_set1_ps(1.0f / 6.0f));
		y = _mm256_mul_ps(y, _mm256_set1_ps(p->r));
	}
	y = _mm256_max_ps(y, _mm256_set1_ps(p->lo));
	y = _mm256_min_ps(y, _mm256_set1_ps(p->hi));
	return _mm256_add_epi32(_mm256_cvtps_epi32(y), _mm256_set1_epi32(p->zp));
}

/* 8 int32 lanes in -128..127 -> 8 bytes in the low half. */
static inline __m128i xk_qs8_avx2_narrow(__m256i v)
{
	__m128i h = _mm_packs_epi32(_mm256_castsi256_si128(v),
				    _mm256_extracti128_si256(v, 1));
	return _mm_packs_epi16(h, h);
}

/* The n < 8 bytes at p (and nothing after them) in the low bytes, zeros
 * above. */
static inline __m128i xk_qs8_avx2_load_partial(const int8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t o = 0;
	if (n & 4) {
		uint32_t t;
		memcpy(&t, p, 4);
		v = t;
		o = 4;
	}
	if (n & 2) {
		uint16_t t;
		memcpy(&t, p + o, 2);
		v |= (uint64_t)t << (8 * o);
		o += 2;
	}
	if (n & 1)
		v |= (uint64_t)(uint8_t)p[o] << (8 * o);
	return _mm_cvtsi64_si128((long long)v);
}

/* Stores the n < 8 low bytes of b. */
static inline void xk_qs8_avx2_store_partial(int8_t *p, __m128i b, size_t n)
{
	uint64_t v = (uint64_t)_mm_cvtsi128_si64(b);
	size_t o = 0;
	if (n & 4) {
		uint32_t t = (uint32_t)v;
		memcpy(p, &t, 4);
		v >>= 32;
		o = 4;
	}
	if (n & 2) {
		uint16_t t = (uint16_t)v;
		memcpy(p + o, &t, 2);
		v >>= 16;
		o += 2;
	}
	if (n & 1)
		p[o] = (int8_t)v;
}

#endif /* XK_QS8_AVX2_H */
