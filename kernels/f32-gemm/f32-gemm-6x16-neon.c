/* f32-gemm-6x16-neon.c - aarch64 NEON f32 GEMM micro-kernel, 6 rows x 16
 * columns: 24 q-register accumulators, 4 k-values of each A row per load. */
#include <arm_neon.h>
#include <assert.h>

#include "xk-ukernel.h"

/* 24 accumulators and 6 A vectors leave 2 of the 32 registers: the first
 * scheduling pass would hoist a whole k step's weight loads above its FMAs and
 * spill several accumulators (with that pass off, GCC 12 spills one per 4 k). */
#pragma GCC optimize("no-schedule-insns")

#define MR 6
#define NR 16

/* acc[i][q] += w[q] * vb[i] for one k (vb[i] holds a[i][k] in every lane). */
static inline __attribute__((always_inline)) void
fma_k(float32x4_t acc[MR][4], const float32x4_t vb[MR], const float *w)
{
#pragma GCC unroll 4
	for (size_t q = 0; q < 4; q++) {
		const float32x4_t vw = vld1q_f32(w + 4 * q);
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			acc[i][q] = vfmaq_f32(acc[i][q], vw, vb[i]);
	}
}

void xk_f32_gemm_ukernel_6x16__neon(size_t mr, size_t nc, size_t kc,
				    const float *a, size_t a_stride,
				    const float *w, float *c, size_t c_stride,
				    const struct xk_act_params *p)
{
	assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1);
	/* Rows past mr alias the last valid one: they read and write the
	 * same values, and no memory outside the mr rows is touched. */
	const float *ap[MR];
	float *c_row[MR];
#pragma GCC unroll 6
	for (size_t i = 0; i < MR; i++) {
		size_t r = i < mr ? i : mr - 1;
		ap[i] = a + r * a_stride;
		c_row[i] = c + r * c_stride;
	}
	const bool hswish = p->hswish != 0;

	for (;;) {
		float32x4_t acc[MR][4];
#pragma GCC unroll 4
		for (size_t q = 0; q < 4; q++) {
			const float32x4_t vbias = vld1q_f32(w + 4 * q);
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++)
				acc[i][q] = vbias;
		}
		w += NR;

		size_t k = kc;
		for (; k >= 4; k -= 4) {
			float32x4_t va[MR], vb[MR];
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++) {
				va[i] = vld1q_f32(ap[i]);
				ap[i] += 4;
			}
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++)
				vb[i] = vdupq_laneq_f32(va[i], 0);
			fma_k(acc, vb, w);
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++)
				vb[i] = vdupq_laneq_f32(va[i], 1);
			fma_k(acc, vb, w + NR);
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++)
				vb[i] = vdupq_laneq_f32(va[i], 2);
			fma_k(acc, vb, w + 2 * NR);
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++)
				vb[i] = vdupq_laneq_f32(va[i], 3);
			fma_k(acc, vb, w + 3 * NR);
			w += 4 * NR;
		}
		for (; k != 0; k--) {
			float32x4_t vb[MR];
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++)
				vb[i] = vld1q_dup_f32(ap[i]++);
			fma_k(acc, vb, w);
			w += NR;
		}
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			ap[i] -= kc;

		if (hswish) {
			const float32x4_t v3 = vdupq_n_f32(3.0f);
			const float32x4_t v6 = vdupq_n_f32(6.0f);
			const float32x4_t vsixth = vdupq_n_f32(1.0f / 6.0f);
			const float32x4_t vzero = vdupq_n_f32(0.0f);
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++) {
#pragma GCC unroll 4
				for (size_t q = 0; q < 4; q++) {
					float32x4_t t = vaddq_f32(acc[i][q], v3);
					t = vminq_f32(vmaxq_f32(t, vzero), v6);
					acc[i][q] = vmulq_f32(vmulq_f32(acc[i][q], t),
							      vsixth);
				}
			}
		}
		const float32x4_t vmin = vld1q_dup_f32(&p->min);
		const float32x4_t vmax = vld1q_dup_f32(&p->max);
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++) {
#pragma GCC unroll 4
			for (size_t q = 0; q < 4; q++)
				acc[i][q] = vminq_f32(vmaxq_f32(acc[i][q], vmin),
						      vmax);
		}

		if (nc >= NR) {
			/* Last row first, so that aliased rows end with row
			 * mr - 1 (the values are the same either way). */
#pragma GCC unroll 6
			for (size_t i = MR; i-- > 0;) {
				vst1q_f32(c_row[i], acc[i][0]);
				vst1q_f32(c_row[i] + 4, acc[i][1]);
				vst1q_f32(c_row[i] + 8, acc[i][2]);
				vst1q_f32(c_row[i] + 12, acc[i][3]);
				c_row[i] += NR;
			}
			nc -= NR;
			if (nc == 0)
				return;
			continue;
		}
		/* Column tail: 8, 4, 2, 1 columns from the front. */
		if (nc & 8) {
#pragma GCC unroll 6
			for (size_t i = MR; i-- > 0;) {
				vst1q_f32(c_row[i], acc[i][0]);
				vst1q_f32(c_row[i] + 4, acc[i][1]);
				acc[i][0] = acc[i][2];
				acc[i][1] = acc[i][3];
				c_row[i] += 8;
			}
		}
		if (nc & 4) {
#pragma GCC unroll 6
			for (size_t i = MR; i-- > 0;) {
				vst1q_f32(c_row[i], acc[i][0]);
				acc[i][0] = acc[i][1];
				c_row[i] += 4;
			}
		}
		float32x2_t lo[MR];
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			lo[i] = vget_low_f32(acc[i][0]);
		if (nc & 2) {
#pragma GCC unroll 6
			for (size_t i = MR; i-- > 0;) {
				vst1_f32(c_row[i], lo[i]);
				lo[i] = vget_high_f32(acc[i][0]);
				c_row[i] += 2;
			}
		}
		if (nc & 1) {
#pragma GCC unroll 6
			for (size_t i = MR; i-- > 0;)
				vst1_lane_f32(c_row[i], lo[i], 0);
		}
		return;
	}
}
