/* f32-gemm-1x16-neon.c - aarch64 NEON f32 GEMM micro-kernel for one row
 * (fully-connected layers at batch 1), packed like the 6x16 kernel (NR = 16).
 * It walks up to 4 strips of 16 columns at once, so that up to 16 independent
 * accumulators are in flight; each column's sum is still bias, then k in
 * ascending order, with fused multiply-add. */
#include <arm_neon.h>
#include <assert.h>

#include "xk-ukernel.h"

/* The first scheduling pass would hoist weight loads above the FMAs that
 * free their registers and spill accumulators. */
#pragma GCC optimize("no-schedule-insns")

#define NR 16

/* acc[s][q] += a * w_s[q], a in every lane of vb, for one k of each strip. */
static inline __attribute__((always_inline)) void
fma_k(size_t ns, float32x4_t acc[4][4], float32x4_t vb,
      const float *const ws[4], size_t off)
{
#pragma GCC unroll 4
	for (size_t s = 0; s < ns; s++) {
#pragma GCC unroll 4
		for (size_t q = 0; q < 4; q++)
			acc[s][q] = vfmaq_f32(acc[s][q],
					      vld1q_f32(ws[s] + off + 4 * q), vb);
	}
}

/* The epilogue on the 16 columns of one strip, stored for the first n. */
static inline __attribute__((always_inline)) void
store_strip(float *c, float32x4_t v[4], size_t n,
	    const struct xk_act_params *p)
{
	if (p->hswish) {
		const float32x4_t v3 = vdupq_n_f32(3.0f);
		const float32x4_t v6 = vdupq_n_f32(6.0f);
		const float32x4_t vsixth = vdupq_n_f32(1.0f / 6.0f);
		const float32x4_t vzero = vdupq_n_f32(0.0f);
#pragma GCC unroll 4
		for (size_t q = 0; q < 4; q++) {
			float32x4_t t = vaddq_f32(v[q], v3);
			t = vminq_f32(vmaxq_f32(t, vzero), v6);
			v[q] = vmulq_f32(vmulq_f32(v[q], t), vsixth);
		}
	}
	const float32x4_t vmin = vld1q_dup_f32(&p->min);
	const float32x4_t vmax = vld1q_dup_f32(&p->max);
#pragma GCC unroll 4
	for (size_t q = 0; q < 4; q++)
		v[q] = vminq_f32(vmaxq_f32(v[q], vmin), vmax);
	if (n >= NR) {
		vst1q_f32(c, v[0]);
		vst1q_f32(c + 4, v[1]);
		vst1q_f32(c + 8, v[2]);
		vst1q_f32(c + 12, v[3]);
		return;
	}
	if (n & 8) {
		vst1q_f32(c, v[0]);
		vst1q_f32(c + 4, v[1]);
		v[0] = v[2];
		v[1] = v[3];
		c += 8;
	}
	if (n & 4) {
		vst1q_f32(c, v[0]);
		v[0] = v[1];
		c += 4;
	}
	float32x2_t lo = vget_low_f32(v[0]);
	if (n & 2) {
		vst1_f32(c, lo);
		lo = vget_high_f32(v[0]);
		c += 2;
	}
	if (n & 1)
		vst1_lane_f32(c, lo, 0);
}

/* ns strips (a compile-time constant after inlining) holding nc columns,
 * 16 * (ns - 1) < nc <= 16 * ns. */
static inline __attribute__((always_inline)) void
gemm_strips(size_t ns, size_t nc, size_t kc, const float *a, const float *w,
	    float *c, const struct xk_act_params *p)
{
	const size_t strip = NR * (1 + kc);
	const float *ws[4];
	float32x4_t acc[4][4];
#pragma GCC unroll 4
	for (size_t s = 0; s < ns; s++) {
		ws[s] = w + s * strip;
#pragma GCC unroll 4
		for (size_t q = 0; q < 4; q++)
			acc[s][q] = vld1q_f32(ws[s] + 4 * q);
	}
	size_t off = NR;
	size_t k = kc;
	for (; k >= 4; k -= 4) {
		const float32x4_t va = vld1q_f32(a);
		a += 4;
		fma_k(ns, acc, vdupq_laneq_f32(va, 0), ws, off);
		fma_k(ns, acc, vdupq_laneq_f32(va, 1), ws, off + NR);
		fma_k(ns, acc, vdupq_laneq_f32(va, 2), ws, off + 2 * NR);
		fma_k(ns, acc, vdupq_laneq_f32(va, 3), ws, off + 3 * NR);
		off += 4 * NR;
	}
	for (; k != 0; k--) {
		fma_k(ns, acc, vld1q_dup_f32(a), ws, off);
		a++;
		off += NR;
	}
#pragma GCC unroll 4
	for (size_t s = 0; s < ns; s++)
		store_strip(c + s * NR, acc[s], s + 1 < ns ? NR : nc - s * NR, p);
}

void xk_f32_gemm_ukernel_1x16__neon(size_t mr, size_t nc, size_t kc,
				    const float *a, size_t a_stride,
				    const float *w, float *c, size_t c_stride,
				    const struct xk_act_params *p)
{
	assert(mr == 1 && nc >= 1 && kc >= 1);
	(void)mr;
	(void)a_stride;
	(void)c_stride;
	const size_t strip = NR * (1 + kc);
	while (nc != 0) {
		size_t ns;
		if (nc > 3 * NR) {
			ns = 4;
			gemm_strips(4, xk_min(nc, 4 * NR), kc, a, w, c, p);
		} else if (nc > 2 * NR) {
			ns = 3;
			gemm_strips(3, nc, kc, a, w, c, p);
		} else if (nc > NR) {
			ns = 2;
			gemm_strips(2, nc, kc, a, w, c, p);
		} else {
			ns = 1;
			gemm_strips(1, nc, kc, a, w, c, p);
		}
		size_t n = xk_min(nc, ns * NR);
		w += ns * strip;
		c += n;
		nc -= n;
	}
}
