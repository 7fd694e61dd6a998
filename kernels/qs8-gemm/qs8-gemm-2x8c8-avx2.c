/* qs8-gemm-2x8c8-avx2.c - int8 GEMM micro-kernel for AVX2: 2 rows x 8
 * columns, KR 8, a read as signed (a_offset 0).
 *
 * Per group of 8 k: a row's 8 bytes sign-extended to int16 in both lanes, the
 * weights of two columns sign-extended to int16 per ymm (column 2p in the low
 * lane, 2p + 1 in the high one), and vpmaddwd: exact int32 sums of pairs,
 * 4 partial sums per column, added up horizontally at the end. The last group
 * reads only the kc % 8 bytes left (the packed weights past kc are zero).
 * The requantization is xk-qs8.h's, in f32 without FMA. */
#include <assert.h>

#include "xk-qs8-avx2.h"

#define MR 2
#define NR 8
#define KR 8

/* The 8 column sums of one row, in column order, plus the bias. */
static inline __m256i reduce(__m256i s0, __m256i s1, __m256i s2, __m256i s3,
			     __m256i bias)
{
	/* lanes: (c0 c2 c4 c6 | c1 c3 c5 c7) */
	const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1),
					    _mm256_hadd_epi32(s2, s3));
	return _mm256_add_epi32(
		_mm256_permutevar8x32_epi32(h, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)),
		bias);
}

static inline void store_row(int8_t *c, __m256i acc, __m256 m, size_t n,
			     const struct xk_qs8_params *p)
{
	const __m128i b = xk_qs8_avx2_narrow(xk_qs8_avx2_requant(acc, m, p));
	if (n >= NR)
		_mm_storel_epi64((__m128i *)c, b);
	else
		xk_qs8_avx2_store_partial(c, b, n);
}

void xk_qs8_gemm_ukernel_2x8c8__avx2(size_t mr, size_t nc, size_t kc,
				     const int8_t *a, size_t a_stride,
				     const void *w, int8_t *c, size_t c_stride,
				     const struct xk_qs8_params *params)
{
	assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1);
	/* a local copy: c may alias params as far as the compiler knows */
	const struct xk_qs8_params prm = *params, *p = &prm;
	const int8_t *a0 = a, *a1 = mr > 1 ? a + a_stride : a;
	int8_t *c0 = c, *c1 = mr > 1 ? c + c_stride : c;
	const uint8_t *strip = w;
	const size_t strip_bytes = xk_qs8_gemm_strip_bytes(kc, NR, KR);
	for (;;) {
		const __m128i *wk = (const __m128i *)(strip + 8 * NR);
		__m256i s00 = _mm256_setzero_si256(), s01 = s00, s02 = s00, s03 = s00;
		__m256i s10 = s00, s11 = s00, s12 = s00, s13 = s00;
		size_t k = 0;
#define GROUP(LOAD)                                                            \
	{                                                                      \
		const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(wk));  \
		const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(wk + 1)); \
		const __m256i w2 = _mm256_cvtepi8_epi16(_mm_loadu_si128(wk + 2)); \
		const __m256i w3 = _mm256_cvtepi8_epi16(_mm_loadu_si128(wk + 3)); \
		wk += 4;                                                       \
		const __m256i x0 =                                             \
			_mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(LOAD(a0))); \
		s00 = _mm256_add_epi32(s00, _mm256_madd_epi16(x0, w0));        \
		s01 = _mm256_add_epi32(s01, _mm256_madd_epi16(x0, w1));        \
		s02 = _mm256_add_epi32(s02, _mm256_madd_epi16(x0, w2));        \
		s03 = _mm256_add_epi32(s03, _mm256_madd_epi16(x0, w3));        \
		const __m256i x1 =                                             \
			_mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(LOAD(a1))); \
		s10 = _mm256_add_epi32(s10, _mm256_madd_epi16(x1, w0));        \
		s11 = _mm256_add_epi32(s11, _mm256_madd_epi16(x1, w1));        \
		s12 = _mm256_add_epi32(s12, _mm256_madd_epi16(x1, w2));        \
		s13 = _mm256_add_epi32(s13, _mm256_madd_epi16(x1, w3));        \
	}
#define LOAD_FULL(ai) _mm_loadl_epi64((const __m128i *)(ai + k))
#define LOAD_REST(ai) xk_qs8_avx2_load_partial(ai + k, kc - k)
		for (; k + KR <= kc; k += KR)
			GROUP(LOAD_FULL)
		if (k < kc)
			GROUP(LOAD_REST)
#undef LOAD_FULL
#undef LOAD_REST
#undef GROUP
		const __m256i bias = _mm256_loadu_si256((const __m256i *)strip);
		const __m256 m = _mm256_loadu_ps((const float *)(strip + 4 * NR));
		const size_t n = nc < NR ? nc : NR;
		/* row 1 first: when mr is 1 it aliases row 0 with the same bytes */
		store_row(c1, reduce(s10, s11, s12, s13, bias), m, n, p);
		store_row(c0, reduce(s00, s01, s02, s03, bias), m, n, p);
		if (nc <= NR)
			return;
		nc -= NR;
		strip += strip_bytes;
		c0 += NR;
		c1 += NR;
	}
}
