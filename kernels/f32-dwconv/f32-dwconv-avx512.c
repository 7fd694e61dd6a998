/* f32-dwconv-avx512.c - AVX-512F f32 depthwise micro-kernels (3x3, 5x5, 7x7;
 * stride 1 and 2), one output row each, channel tile 16 (one zmm); the code
 * is dwconv-x86.h's. */
#include "xk-avx512.h"

#define CT 16
#define VEC __m512
#define VMASK __mmask16
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_MASKLOAD(p, m) _mm512_maskz_loadu_ps(m, p)
#define V_FMADD(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_STOREU(p, v) _mm512_storeu_ps(p, v)
#define V_MASKSTORE(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define V_NOMASK ((__mmask16)0)
#define V_TAILMASK(n) xk_avx512_mask(n)
#define V_EPILOGUE(v, p) xk_avx512_epilogue(v, p)
#define DWCONV_FN(K, S) xk_f32_dwconv_ukernel_##K##x##K##s##S##__avx512

#include "f32-dwconv/dwconv-x86.h"

DWCONV(3, 1, 2, 4)
DWCONV(3, 2, 2, 4)
DWCONV(5, 1, 2, 7)
DWCONV(5, 2, 2, 7)
DWCONV(7, 1, 2, 7)
DWCONV(7, 2, 2, 7)
