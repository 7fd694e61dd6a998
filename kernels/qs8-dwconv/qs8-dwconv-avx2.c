/* qs8-dwconv-avx2.c - AVX2 int8 depthwise micro-kernels (3x3, 5x5, 7x7;
 * stride 1 and 2), one output row each, channel tile 8 (int32 lanes of one
 * ymm), WB 4. Inputs are sign-extended to int32 (vpmovsxbd) and each tap is
 * a vpmaddwd (the weight's high int16 half is zero, so a lane is x * w
 * exactly) and a vpaddd. The code is dwconv-x86.h's. */
#include "xk-qs8-avx2.h"

#define CT 8
#define VEC __m256i
#define VMASK size_t
#define V_LOADX(p) _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p)))
#define V_MASKLOADX(p, n) _mm256_cvtepi8_epi32(xk_qs8_avx2_load_partial(p, n))
#define V_LOADI(p) _mm256_loadu_si256((const __m256i *)(p))
#define V_DOT(acc, x, w) ((acc) = _mm256_add_epi32(acc, _mm256_madd_epi16(x, w)))
#define V_ZERO _mm256_setzero_si256()
#define V_ADD(a, b) _mm256_add_epi32(a, b)
#define V_REQUANT(acc, m, p) xk_qs8_avx2_requant(acc, _mm256_loadu_ps(m), p)
#define V_STORE8(p, v) _mm_storel_epi64((__m128i *)(p), xk_qs8_avx2_narrow(v))
#define V_MASKSTORE8(p, n, v) xk_qs8_avx2_store_partial(p, xk_qs8_avx2_narrow(v), n)
#define V_NOMASK ((size_t)0)
#define V_TAILMASK(n) ((size_t)(n))
#define DWCONV_FN(K, S) xk_qs8_dwconv_ukernel_##K##x##K##s##S##__avx2

#include "qs8-dwconv/dwconv-x86.h"

DWCONV(3, 1, 1, 8)
DWCONV(3, 2, 1, 8)
DWCONV(5, 1, 1, 7)
DWCONV(5, 2, 1, 7)
DWCONV(7, 1, 1, 5)
DWCONV(7, 2, 1, 5)
