/* qs8-quantize-avx2.c - AVX2 f32 to int8 conversion, 8 values a step, the
 * last partial step through a copy; the steps of xk_qs8_quantize1 (a NaN
 * becomes 0 before the clamp). */
#include "xk-qs8-avx2.h"

static inline __m128i quantize8(__m256 x, __m256 inv, __m256 lo, __m256 hi,
				__m256i zp)
{
	__m256 y = _mm256_mul_ps(x, inv);
	y = _mm256_and_ps(y, _mm256_cmp_ps(y, y, _CMP_ORD_Q));
	y = _mm256_min_ps(_mm256_max_ps(y, lo), hi);
	return xk_qs8_avx2_narrow(_mm256_add_epi32(_mm256_cvtps_epi32(y), zp));
}

void xk_qs8_quantize_ukernel__avx2(size_t n, const float *in, int8_t *out,
				   const struct xk_qs8_quantize *p)
{
	const __m256 inv = _mm256_set1_ps(p->inv);
	const __m256 lo = _mm256_set1_ps(p->lo), hi = _mm256_set1_ps(p->hi);
	const __m256i zp = _mm256_set1_epi32(p->zp);
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm_storel_epi64((__m128i *)(out + i),
				 quantize8(_mm256_loadu_ps(in + i), inv, lo, hi, zp));
	if (i < n) {
		float t[8] = {0};
		memcpy(t, in + i, (n - i) * sizeof(float));
		xk_qs8_avx2_store_partial(out + i,
					  quantize8(_mm256_loadu_ps(t), inv, lo, hi, zp), n - i);
	}
}
