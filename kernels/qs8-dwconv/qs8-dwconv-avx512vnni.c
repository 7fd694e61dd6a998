/* qs8-dwconv-avx512vnni.c - AVX-512 VNNI int8 depthwise micro-kernels (3x3,
 * 5x5, 7x7; stride 1 and 2), one output row each, channel tile 16 (int32
 * lanes of one zmm), WB 4. Inputs are sign-extended to int32 (vpmovsxbd) and
 * each tap is one vpdpwssd: the weight's high int16 half is zero, so a lane's
 * pair product is x * w + sign * 0. The code is dwconv-x86.h's. */
#include <immintrin.h>

#include "xk-qs8-avx512.h"

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
#define V_STORE4 store4
#define V_NOMASK ((__mmask16)0)
#define V_TAILMASK(n) ((__mmask16)((1u << (n)) - 1))
#define DWCONV_FN(K, S) xk_qs8_dwconv_ukernel_##K##x##K##s##S##__avx512vnni

/* 16 bytes at o (the channels mk selects when masked). */
#define STORE16(o, x)                                                          \
	(masked ? _mm_mask_storeu_epi8(o, mk, x) : _mm_storeu_si128((__m128i *)(o), x))

/* Pixels [0, n) of 4 (nv computed) of one tile, requantized and narrowed
 * together: 4 stores of 16 bytes, cstride apart. */
static inline __attribute__((always_inline)) void
store4(size_t nv, size_t n, __m512i a0, __m512i a1, __m512i a2, __m512i a3,
       const float *m, const struct xk_qs8_params *p, int8_t *o, size_t cstride,
       bool masked, __mmask16 mk)
{
	const float *const mm[4] = {m, m, m, m};
	const __m512i b = xk_qs8_avx512_requant4(nv, a0, a1, a2, a3, mm, p);
	STORE16(o, _mm512_castsi512_si128(b));
	if (nv > 1 && n > 1)
		STORE16(o + cstride, _mm512_extracti32x4_epi32(b, 1));
	if (nv > 2 && n > 2)
		STORE16(o + 2 * cstride, _mm512_extracti32x4_epi32(b, 2));
	if (nv > 3 && n > 3)
		STORE16(o + 3 * cstride, _mm512_extracti32x4_epi32(b, 3));
}
#undef STORE16

#include "qs8-dwconv/dwconv-x86.h"

DWCONV(3, 1, 2, 8)
DWCONV(3, 2, 2, 8)
DWCONV(5, 1, 2, 7)
DWCONV(5, 2, 2, 7)
DWCONV(7, 1, 2, 7)
DWCONV(7, 2, 2, 7)
