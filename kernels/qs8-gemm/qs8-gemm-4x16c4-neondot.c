/* qs8-gemm-4x16c4-neondot.c - aarch64 int8 GEMM micro-kernel with the
 * dot-product extension (SDOT, built with -march=armv8.2-a+dotprod): 4 rows x
 * 16 columns, KR 4, a read as signed (a_offset 0).
 *
 * 16 q-register accumulators (row i, columns 4q..4q+3). One SDOT by element
 * adds 4 k-values of one row to 4 columns: a group of packed weights (16
 * columns x 4 k, 4 q registers) meets each row's 4 bytes in one lane. The
 * main loop reads 16 bytes of each row (4 groups); the k tail reads 8, 4 and
 * then 1 to 3 bytes, never past kc (the weights past kc are zero). */
#include <arm_neon.h>
#include <assert.h>

#include "xk-neon-qs8.h"

#define MR 4
#define NR 16
_Static_assert(MR == 4 && NR == 16, "the xk_neon_qs8_gemm_* helpers are for 4 x 16 tiles");
#define KR 4

/* acc[i][q] += the group at w (4 q registers) . lane L of va[i] (4 bytes). */
#define DOT_GROUP(acc, va, w, L, dot)                                         \
	do {                                                                   \
		_Pragma("GCC unroll 4") for (size_t q_ = 0; q_ < 4; q_++) {    \
			const int8x16_t vw_ = vld1q_s8((w) + 16 * q_);         \
			_Pragma("GCC unroll 4") for (size_t i_ = 0; i_ < MR; i_++) \
				acc[i_][q_] = dot(acc[i_][q_], vw_, va[i_], L); \
		}                                                              \
	} while (0)

/* The first n < 4 bytes of p in lane 0 (zeros above); reads n bytes. */
XK_INLINE int8x8_t load_tail(const int8_t *p, size_t n)
{
	uint32_t u = 0;
	if (n & 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		u = h;
		p += 2;
	}
	if (n & 1)
		u |= (uint32_t)(uint8_t)*p << (8 * (n & 2));
	return vreinterpret_s8_u32(vdup_n_u32(u));
}

XK_INLINE int8x8_t load_4(const int8_t *p)
{
	uint32_t u;
	memcpy(&u, p, 4);
	return vreinterpret_s8_u32(vdup_n_u32(u));
}

void xk_qs8_gemm_ukernel_4x16c4__neondot(size_t mr, size_t nc, size_t kc,
					 const int8_t *a, size_t a_stride,
					 const void *w, int8_t *c,
					 size_t c_stride,
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
		for (; k >= 16; k -= 16) {
			int8x16_t va[MR];
#pragma GCC unroll 4
			for (size_t i = 0; i < MR; i++) {
				va[i] = vld1q_s8(ap[i]);
				ap[i] += 16;
			}
			DOT_GROUP(acc, va, wk, 0, vdotq_laneq_s32);
			DOT_GROUP(acc, va, wk + 64, 1, vdotq_laneq_s32);
			DOT_GROUP(acc, va, wk + 128, 2, vdotq_laneq_s32);
			DOT_GROUP(acc, va, wk + 192, 3, vdotq_laneq_s32);
			wk += 4 * NR * KR;
		}
		if (k >= 8) {
			int8x8_t va[MR];
#pragma GCC unroll 4
			for (size_t i = 0; i < MR; i++) {
				va[i] = vld1_s8(ap[i]);
				ap[i] += 8;
			}
			DOT_GROUP(acc, va, wk, 0, vdotq_lane_s32);
			DOT_GROUP(acc, va, wk + 64, 1, vdotq_lane_s32);
			wk += 2 * NR * KR;
			k -= 8;
		}
		if (k >= 4) {
			int8x8_t va[MR];
#pragma GCC unroll 4
			for (size_t i = 0; i < MR; i++) {
				va[i] = load_4(ap[i]);
				ap[i] += 4;
			}
			DOT_GROUP(acc, va, wk, 0, vdotq_lane_s32);
			wk += NR * KR;
			k -= 4;
		}
		if (k != 0) {
			int8x8_t va[MR];
#pragma GCC unroll 4
			for (size_t i = 0; i < MR; i++)
				va[i] = load_tail(ap[i], k);
			DOT_GROUP(acc, va, wk, 0, vdotq_lane_s32);
			wk += NR * KR;
		}

		int8_t *c_at[MR];
#pragma GCC unroll 4
		for (size_t i = 0; i < MR; i++)
			c_at[i] = c_row[i] + j0;
		xk_neon_qs8_gemm_store(acc, m, c_at, nc - j0 < NR ? nc - j0 : NR, &q);
		wp = wk;
	}
}
