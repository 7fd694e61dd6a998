/* f32-dwconv-avx2.c - AVX2+FMA f32 depthwise micro-kernels (3x3, 5x5, 7x7;
 * stride 1 and 2), one output row each, channel tile 8 (one ymm); the code is
 * dwconv-x86.h's. */
#include "xk-avx2.h"

#define CT 8
#define VEC __m256
#define VMASK __m256i
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_MASKLOAD(p, m) _mm256_maskload_ps(p, m)
#define V_FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_STOREU(p, v) _mm256_storeu_ps(p, v)
#define V_MASKSTORE(p, m, v) _mm256_maskstore_ps(p, m, v)
#define V_NOMASK _mm256_setzero_si256()
#define V_TAILMASK(n) xk_avx2_mask((ptrdiff_t)(n))
#define V_EPILOGUE(v, p) xk_avx2_epilogue(v, p)
#define DWCONV_FN(K, S) xk_f32_dwconv_ukernel_##K##x##K##s##S##__avx2

#include "f32-dwconv/dwconv-x86.h"

DWCONV(3, 1, 2, 4)
DWCONV(3, 2, 2, 4)
DWCONV(5, 1, 1, 7)
DWCONV(5, 2, 1, 7)
DWCONV(7, 1, 1, 7)
DWCONV(7, 2, 1, 7)
