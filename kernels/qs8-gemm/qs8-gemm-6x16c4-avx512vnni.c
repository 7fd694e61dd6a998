/* qs8-gemm-6x16c4-avx512vnni.c - int8 GEMM micro-kernel for AVX-512 VNNI:
 * strips of 16 columns, 6 rows, KR 4, a read as unsigned bytes (a_offset
 * 128); it computes 4 strips at a time, like 6x64c4, whose code
 * (gemm-avx512vnni.h) it shares: the packing of a layer of 24, 40 or 96
 * outputs pads to 32, 48 or 96 columns instead of 64, 64 or 128. */
#include "qs8-gemm/gemm-avx512vnni.h"

GEMM_6XNC4(16)
