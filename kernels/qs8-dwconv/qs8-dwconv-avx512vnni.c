/* qs8-dwconv-avx512vnni.c - AVX-512 VNNI int8 depthwise micro-kernels (3x3,
 * 5x5, 7x7; stride 1 and 2), one output row each, channel tile 16 (int32
 * lanes of one zmm), WB 4. Inputs are sign-extended to int32 (vpmovsxbd) and
 * each tap is one vpdpwssd: the weight's high int16 half is zero, so a lane's
 * pair product is x * w + sign * 0. The code is dwconv-x86.h's. */
#include <immintrin.h>

#include "xk-ukernel.h"

#define CT 16
#define VEC __m512i
#define VMASK __mmask16
#define V_LOADX(p) _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p)))
#define V_MASKLOADX(p, m) _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p))
#define V_LOADI(p) _mm512_loadu_si512(p)
/* in asm: gcc 12 copies and spills the accumulators of the builtin */
#define V_DOT(acc, x, w) __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w))
#define V_ZERO _mm512_setzero_si512()
#define V_ADD(a, b) _mm512_add_epi32(a, b)
#define V_REQUANT(acc, m, p) requant(acc, m, p)
#define V_STORE8(p, v) _mm_storeu_si128((__m128i *)(p), _mm512_cvtepi32_epi8(v))
#define V_MASKSTORE8(p, m, v) _mm512_mask_cvtepi32_storeu_epi8(p, m, v)
#define V_NOMASK ((__mmask16)0)
#define V_TAILMASK(n) ((__mmask16)((1u << (n)) - 1))
#define DWCONV_FN(K, S) xk_qs8_dwconv_ukernel_##K##x##K##s##S##__avx512vnni

/* xk-qs8.h's requantization of 16 lanes; the result is in -128..127. */
static inline __m512i requant(__m512i acc, const float *m,
			      const struct xk_qs8_params *p)
{
	__m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_loadu_ps(m));
	if (p->hswish) {
		__m512 t = _mm512_add_ps(y, _mm512_set1_ps(3.0f));
		t = _mm512_max_ps(t, _mm512_setzero_ps());
		t = _mm512_min_ps(t, _mm512_set1_ps(6.0f));
		y = _mm512_mul_ps(_mm512_mul_ps(y, t), _mm512_set1_ps(1.0f / 6.0f));
		y = _mm512_mul_ps(y, _mm512_set1_ps(p->r));
	}
	y = _mm512_max_ps(y, _mm512_set1_ps(p->lo));
	y = _mm512_min_ps(y, _mm512_set1_ps(p->hi));
	return _mm512_add_epi32(_mm512_cvtps_epi32(y), _mm512_set1_epi32(p->zp));
}

#include "qs8-dwconv/dwconv-x86.h"

DWCONV(3, 1, 2, 8)
DWCONV(3, 2, 2, 8)
DWCONV(5, 1, 2, 7)
DWCONV(5, 2, 2, 7)
DWCONV(7, 1, 2, 7)
DWCONV(7, 2, 2, 7)
