/* qs8-vadd-avx2.c - AVX2 int8 element-wise add, 16 elements a step (a tail
 * reads and writes only the bytes it owns); f32 steps as xk_qs8_add1. */
#include "xk-qs8-avx2.h"

struct add_consts {
	__m256i za, zb, zp;
	__m256 ma, mb, lo, hi;
};

/* 8 elements (int8 in the low half of x and y) -> int32 in -128..127. */
static inline __m256i add8(__m128i x, __m128i y, const struct add_consts *k)
{
	const __m256 fa = _mm256_mul_ps(
		_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(x), k->za)), k->ma);
	const __m256 fb = _mm256_mul_ps(
		_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(y), k->zb)), k->mb);
	__m256 s = _mm256_add_ps(fa, fb);
	s = _mm256_min_ps(_mm256_max_ps(s, k->lo), k->hi);
	return _mm256_add_epi32(_mm256_cvtps_epi32(s), k->zp);
}

void xk_qs8_vadd_ukernel__avx2(size_t n, const int8_t *a, const int8_t *b,
			       int8_t *out, const struct xk_qs8_add *p)
{
	const struct add_consts k = {
		_mm256_set1_epi32(p->za), _mm256_set1_epi32(p->zb),
		_mm256_set1_epi32(p->zp), _mm256_set1_ps(p->ma),
		_mm256_set1_ps(p->mb),    _mm256_set1_ps(p->lo),
		_mm256_set1_ps(p->hi)};
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		const __m128i x = _mm_loadu_si128((const __m128i *)(a + i));
		const __m128i y = _mm_loadu_si128((const __m128i *)(b + i));
		const __m256i lo = add8(x, y, &k);
		const __m256i hi = add8(_mm_srli_si128(x, 8), _mm_srli_si128(y, 8), &k);
		const __m256i h = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xd8);
		const __m128i r = _mm_packs_epi16(_mm256_castsi256_si128(h),
						  _mm256_extracti128_si256(h, 1));
		_mm_storeu_si128((__m128i *)(out + i), r);
	}
	for (; i < n; i += 8) {
		const size_t rest = n - i < 8 ? n - i : 8;
		const __m128i x = rest == 8 ? _mm_loadl_epi64((const __m128i *)(a + i))
					    : xk_qs8_avx2_load_partial(a + i, rest);
		const __m128i y = rest == 8 ? _mm_loadl_epi64((const __m128i *)(b + i))
					    : xk_qs8_avx2_load_partial(b + i, rest);
		const __m128i r = xk_qs8_avx2_narrow(add8(x, y, &k));
		if (rest == 8)
			_mm_storel_epi64((__m128i *)(out + i), r);
		else
			xk_qs8_avx2_store_partial(out + i, r, rest);
	}
}
