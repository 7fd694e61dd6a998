/* xk-qs8-avx512.h - the int8 requantization and narrowing of 4 vectors at
 * once, shared by the AVX-512 VNNI GEMM and depthwise kernels (include only
 * from files built with -mavx512f -mavx512bw). */
#ifndef XK_QS8_AVX512_H
#define XK_QS8_AVX512_H

#include <immintrin.h>

#include "xk-ukernel.h"

/* xk-qs8.h's requantization of vectors v0..v3 (16 int32 sums each; m[v]:
 * the 16 multipliers of vector v), narrowed to 64 bytes: vector v's 16 at
 * [16 v, 16 v + 16). Vectors past nv (a compile-time constant where it
 * matters) are not computed; their bytes are unspecified.
 *
 * Convert, multiply by m, [h-swish, * r], min hi, convert rounding to
 * nearest even; then the 4 vectors narrow at once with saturating packs, zp
 * is added in int16 and lo is applied in int8. Since lo and hi are integers
 * and every step after the rounding is monotone, that is the clamp before
 * the rounding: the same bytes as xk_qs8_requant. */
static inline __attribute__((always_inline)) __m512i
xk_qs8_avx512_requant4(size_t nv, __m512i v0, __m512i v1, __m512i v2, __m512i v3,
		       const float *const *m, const struct xk_qs8_params *p)
{
	__m512i q[4] = {v0, v1, v2, v3};
#pragma GCC unroll 4
	for (size_t v = 0; v < 4; v++) {
		if (v >= nv) {
			q[v] = _mm512_setzero_si512();
			continue;
		}
		__m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(q[v]), _mm512_loadu_ps(m[v]));
		if (p->hswish) {
			__m512 t = _mm512_add_ps(y, _mm512_set1_ps(3.0f));
			t = _mm512_max_ps(t, _mm512_setzero_ps());
			t = _mm512_min_ps(t, _mm512_set1_ps(6.0f));
			y = _mm512_mul_ps(_mm512_mul_ps(y, t), _mm512_set1_ps(1.0f / 6.0f));
			y = _mm512_mul_ps(y, _mm512_set1_ps(p->r));
		}
		/* min first: a huge y would convert to INT32_MIN */
		q[v] = _mm512_cvtps_epi32(_mm512_min_ps(y, _mm512_set1_ps(p->hi)));
	}
	const __m512i vzp = _mm512_set1_epi16((short)p->zp);
	/* per 128-bit lane L: v0[4L..4L+3] v1[..] v2[..] v3[..] */
	__m512i q01 = _mm512_adds_epi16(_mm512_packs_epi32(q[0], q[1]), vzp);
	__m512i q23 = _mm512_adds_epi16(_mm512_packs_epi32(q[2], q[3]), vzp);
	__m512i b = _mm512_max_epi8(_mm512_packs_epi16(q01, q23),
				    _mm512_set1_epi8((char)((int32_t)p->lo + p->zp)));
	return _mm512_permutexvar_epi32(
		_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), b);
}

#endif /* XK_QS8_AVX512_H */
