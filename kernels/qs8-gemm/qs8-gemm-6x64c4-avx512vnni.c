/* qs8-gemm-6x64c4-avx512vnni.c - int8 GEMM micro-kernel for AVX-512 VNNI:
 * 6 rows x 64 columns, KR 4, a read as unsigned bytes (a_offset 128). The
 * code is gemm-avx512vnni.h's. */
#include "qs8-gemm/gemm-avx512vnni.h"

GEMM_6XNC4(64)
