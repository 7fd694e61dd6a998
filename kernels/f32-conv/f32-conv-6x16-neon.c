/* f32-conv-6x16-neon.c - aarch64 NEON f32 full-convolution micro-kernel:
 * 6 output pixels of a row by 16 output channels, 24 q-register accumulators;
 * per input row, the kw * cin taps go like the K of the 6x16 GEMM kernel. */
#include <arm_neon.h>
#include <assert.h>

#include "xk-ukernel.h"

/* 24 accumulators and 6 input vectors leave 2 of the 32 registers: the first
 * scheduling pass would hoist weight loads above the FMAs that free their
 * registers and spill several accumulators (with that pass off, GCC 12 spills
 * one per 4 taps). */
#pragma GCC optimize("no-schedule-insns")

#define MR 6
#define NR 16
#define XK_INLINE static inline __attribute__((always_inline))

/* acc[i][q] += w[q] * vb[i] for one tap (vb[i] holds pixel i's input). */
XK_INLINE void fma_tap(float32x4_t acc[MR][4], const float32x4_t vb[MR],
		       const float *w)
{
#pragma GCC unroll 4
	for (size_t q = 0; q < 4; q++) {
		const float32x4_t vw = vld1q_f32(w + 4 * q);
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			acc[i][q] = vfmaq_f32(acc[i][q], vw, vb[i]);
	}
}

/* The kwc taps of one input row, in order: x[i] is pixel i's first tap, w the
 * row's first packed tap. */
XK_INLINE void conv_row(float32x4_t acc[MR][4], const float *x[MR],
			const float *w, size_t kwc)
{
	size_t t = kwc;
	for (; t >= 4; t -= 4) {
		float32x4_t va[MR], vb[MR];
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++) {
			va[i] = vld1q_f32(x[i]);
			x[i] += 4;
		}
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			vb[i] = vdupq_laneq_f32(va[i], 0);
		fma_tap(acc, vb, w);
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			vb[i] = vdupq_laneq_f32(va[i], 1);
		fma_tap(acc, vb, w + NR);
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			vb[i] = vdupq_laneq_f32(va[i], 2);
		fma_tap(acc, vb, w + 2 * NR);
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			vb[i] = vdupq_laneq_f32(va[i], 3);
		fma_tap(acc, vb, w + 3 * NR);
		w += 4 * NR;
	}
	for (; t != 0; t--) {
		float32x4_t vb[MR];
#pragma GCC unroll 6
		for (size_t i = 0; i < MR; i++)
			vb[i] = vld1q_dup_f32(x[i]++);
		fma_tap(acc, vb, w);
		w += NR;
	}
}

void xk_f32_conv_ukernel_6x16__neon(size_t mr, size_t nc, size_t kh,
				    size_t kwc, size_t xstride,
				    const float *const *rows, const float *w,
				    float *c, size_t c_stride,
				    const struct xk_act_params *p)
{
	assert(mr >= 1 && mr <= MR && nc >= 1 && kh >= 1 && kwc >= 1);
	/* Pixels past mr alias the last valid one: they read and write the
	 * same values, and nothing outside the mr pixels is touched. */
	float *c_row[MR];
#pragma GCC unroll 6
	for (size_t i = 0; i < MR; i++)
		c_row[i] = c + (i < mr ? i : mr - 1) * c_stride;
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
		for (size_t ky = 0; ky < kh; ky++) {
			if (rows[ky] == NULL)
				continue;
			const float *x[MR];
#pragma GCC unroll 6
			for (size_t i = 0; i < MR; i++)
				x[i] = rows[ky] + (i < mr ? i : mr - 1) * xstride;
			conv_row(acc, x, w + ky * kwc * NR, kwc);
		}
		w += kh * kwc * NR;

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
			/* Last pixel first, so that aliased pixels end with
			 * pixel mr - 1 (the values are the same either way). */
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
		/* Channel tail: 8, 4, 2, 1 channels from the front. */
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
