/* qs8-gemm-4x16-neon.c - aarch64 NEON int8 GEMM micro-kernel without the
 * dot-product extension: 4 rows x 16 columns, KR 1, a read as signed
 * (a_offset 0).
 *
 * 16 q-register accumulators (row i, columns 4q..4q+3). Each row's 8 k-values
 * are loaded and widened to int16 once (SXTL); for each k the 16 weights are
 * widened (SXTL / SXTL2) and SMLAL / SMLAL2 by element adds them, times that
 * row's k-th value, into the row's 4 accumulators: 16 multiply-accumulates of
 * 4 lanes per k. The k tail (kc % 8) reads exactly its bytes of each row. */
#include <arm_neon.h>
#include <assert.h>

#include "xk-neon-qs8.h"

#define MR 4
#define NR 16
_Static_assert(MR == 4 && NR == 16, "the xk_neon_qs8_gemm_* helpers are for 4 x 16 tiles");

/* One k: acc[i][*] += w (16 int8 at w) * lane L of va[i] (int16x8). */
#define MLAL_K(acc, va, w, L)                                                  \
	do {                                                                   \
		const int8x16_t vw_ = vld1q_s8(w);                             \
		const int16x8_t w0_ = vmovl_s8(vget_low_s8(vw_));              \
		const int16x8_t w1_ = vmovl_high_s8(vw_);                      \
		_Pragma("GCC unroll 4") for (size_t i_ = 0; i_ < MR; i_++) {   \
			acc[i_][0] = vmlal_laneq_s16(acc[i_][0], vget_low_s16(w0_), \
						     va[i_], L);               \
			acc[i_][1] = vmlal_high_laneq_s16(acc[i_][1], w0_,     \
							  va[i_], L);          \
			acc[i_][2] = vmlal_laneq_s16(acc[i_][2], vget_low_s16(w1_), \
						     va[i_], L);               \
			acc[i_][3] = vmlal_high_laneq_s16(acc[i_][3], w1_,     \
							  va[i_], L);          \
		}                                                              \
	} while (0)

void xk_qs8_gemm_ukernel_4x16__neon(size_t mr, size_t nc, size_t kc,
				    const int8_t *a, size_t a_stride,
				    const void *w, int8_t *c, size_t c_stride,
				    const struct xk_qs8_params *p)
{
	assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1);
	const int8_t *a_row[MR];
	int8_t *c_row[MR];
	xk_neon_qs8_gemm_rows(mr, a, a_stride, c, c_stride, a_row, c_row);
	const struct xk_neon_qs8 q = xk_neon_qs8_init(p);
	const int8_t *wp = w;

	for (size_t j0 = 0; j0 < nc; j0 += NR) {
		int32x4_t acc[MR][4];
		xk_neon_qs8_gemm_bias(wp, acc);
		const float *m = (const float *)(wp + 4 * NR);
		const int8_t *wk = wp + 8 * NR;
		const int8_t *ap[MR];
#pragma GCC unroll 4
		for (size_t i = 0; i < MR; i++)
			ap[i] = a_row[i];

		size_t k = kc;
		for (; k >= 8; k -= 8) {
			int16x8_t va[MR];
#pragma GCC unroll 4
			for (size_t i = 0; i < MR; i++) {
				va[i] = vmovl_s8(vld1_s8(ap[i]));
				ap[i] += 8;
			}
			MLAL_K(acc, va, wk, 0);
			MLAL_K(acc, va, wk + NR, 1);
			MLAL_K(acc, va, wk + 2 * NR, 2);
			MLAL_K(acc, va, wk + 3 * NR, 3);
			MLAL_K(acc, va, wk + 4 * NR, 4);
			MLAL_K(acc, va, wk + 5 * NR, 5);
			MLAL_K(acc, va, wk + 6 * NR, 6);
			MLAL_K(acc, va, wk + 7 * NR, 7);
			wk += 8 * NR;
		}
		if (k != 0) {
			int16x8_t va[MR];
#pragma GCC unroll 4
			for (size_t i = 0; i < MR; i++)
				va[i] = vmovl_s8(vget_low_s8(
					xk_neon_load_s8_partial(ap[i], k)));
			MLAL_K(acc, va, wk, 0);
			if (k > 1)
				MLAL_K(acc, va, wk + NR, 1);
			if (k > 2)
				MLAL_K(acc, va, wk + 2 * NR, 2);
			if (k > 3)
				MLAL_K(acc, va, wk + 3 * NR, 3);
			if (k > 4)
				MLAL_K(acc, va, wk + 4 * NR, 4);
			if (k > 5)
				MLAL_K(acc, va, wk + 5 * NR, 5);
			if (k > 6)
				MLAL_K(acc, va, wk + 6 * NR, 6);
			wk += k * NR;
		}

		int8_t *c_at[MR];
#pragma GCC unroll 4
		for (size_t i = 0; i < MR; i++)
			c_at[i] = c_row[i] + j0;
		xk_neon_qs8_gemm_store(acc, m, c_at, nc - j0 < NR ? nc - j0 : NR, &q);
		wp = wk;
	}
}
