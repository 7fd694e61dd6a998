/* xk-neon-qs8.h - the int8 requantization of xk-qs8.h for aarch64 NEON
 * kernels, and loads and stores of a partial vector of int8 that touch no
 * byte past their count (include only from aarch64 kernel files).
 *
 * xk_neon_qs8_round does the f32 steps of xk_qs8_requant one operation at a
 * time, in the same order (the files build with -ffp-contract=off; no vfma):
 * scvtf, fmul by m, [h-swish: fadd 3, fmax 0, fmin 6, fmul, fmul 1/6, fmul r],
 * fmax lo, fmin hi, fcvtns (round to nearest even). fmax / fmin equal the
 * scalar compares for every non-NaN value, and no value here is NaN. */
#ifndef XK_NEON_QS8_H
#define XK_NEON_QS8_H

#include <arm_neon.h>

#include "xk-ukernel.h"

#define XK_INLINE static inline __attribute__((always_inline))

/* The shared constants of xk_qs8_params, broadcast. */
struct xk_neon_qs8 {
	float32x4_t lo, hi, r;
	int16x8_t zp;
	bool hswish;
};

XK_INLINE struct xk_neon_qs8 xk_neon_qs8_init(const struct xk_qs8_params *p)
{
	struct xk_neon_qs8 q = {vdupq_n_f32(p->lo), vdupq_n_f32(p->hi),
				vdupq_n_f32(p->r), vdupq_n_s16((int16_t)p->zp),
				p->hswish != 0};
	return q;
}

/* y = (float)acc * m, then the rest of the requantization but for + zp. */
XK_INLINE int32x4_t xk_neon_qs8_round_f32(float32x4_t y,
					  const struct xk_neon_qs8 *q)
{
	if (q->hswish) {
		float32x4_t t = vaddq_f32(y, vdupq_n_f32(3.0f));
		t = vmaxq_f32(t, vdupq_n_f32(0.0f));
		t = vminq_f32(t, vdupq_n_f32(6.0f));
		y = vmulq_f32(vmulq_f32(y, t), vdupq_n_f32(1.0f / 6.0f));
		y = vmulq_f32(y, q->r);
	}
	y = vmaxq_f32(y, q->lo);
	y = vminq_f32(y, q->hi);
	return vcvtnq_s32_f32(y);
}

XK_INLINE int32x4_t xk_neon_qs8_round(int32x4_t acc, float32x4_t m,
				      const struct xk_neon_qs8 *q)
{
	return xk_neon_qs8_round_f32(vmulq_f32(vcvtq_f32_s32(acc), m), q);
}

/* 16 rounded values (each within [lo, hi], so |v| <= 255) + zp, as int8. The
 * narrowing to int16 is exact, so adding zp there equals adding it in int32;
 * the sum is within int8 (lo >= -128 - zp, hi <= 127 - zp). */
XK_INLINE int8x16_t xk_neon_qs8_pack(int32x4_t v0, int32x4_t v1, int32x4_t v2,
				     int32x4_t v3, const struct xk_neon_qs8 *q)
{
	int16x8_t lo = vqmovn_high_s32(vqmovn_s32(v0), v1);
	int16x8_t hi = vqmovn_high_s32(vqmovn_s32(v2), v3);
	lo = vaddq_s16(lo, q->zp);
	hi = vaddq_s16(hi, q->zp);
	return vqmovn_high_s16(vqmovn_s16(lo), hi);
}

/* The first n < 16 bytes of p in lanes [0, n), zeros above; reads n bytes. */
XK_INLINE int8x16_t xk_neon_load_s8_partial(const int8_t *p, size_t n)
{
	uint64_t lo = 0, t = 0;
	unsigned sh = 0;
	if (n & 8) {
		memcpy(&lo, p, 8);
		p += 8;
	}
	if (n & 4) {
		uint32_t u;
		memcpy(&u, p, 4);
		t = u;
		p += 4;
		sh = 32;
	}
	if (n & 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		t |= (uint64_t)h << sh;
		p += 2;
		sh += 16;
	}
	if (n & 1)
		t |= (uint64_t)(uint8_t)*p << sh;
	if (!(n & 8)) {
		lo = t;
		t = 0;
	}
	return vreinterpretq_s8_u64(vcombine_u64(vcreate_u64(lo), vcreate_u64(t)));
}

/* Lanes [0, n) of v to p, n < 16; writes n bytes. */
XK_INLINE void xk_neon_store_s8_partial(int8_t *p, int8x16_t v, size_t n)
{
	int8x8_t d = vget_low_s8(v);
	if (n & 8) {
		vst1_s8(p, d);
		p += 8;
		d = vget_high_s8(v);
	}
	if (n & 4) {
		uint32_t u = vget_lane_u32(vreinterpret_u32_s8(d), 0);
		memcpy(p, &u, 4);
		p += 4;
		d = vext_s8(d, d, 4);
	}
	if (n & 2) {
		uint16_t h = vget_lane_u16(vreinterpret_u16_s8(d), 0);
		memcpy(p, &h, 2);
		p += 2;
		d = vext_s8(d, d, 2);
	}
	if (n & 1)
		vst1_lane_s8(p, d, 0);
}

/* ---- the GEMM micro-kernels' shared parts (16 columns, mr <= 4 rows) ---- */

/* Rows past mr alias the last valid one: they read and write the same
 * values, and no memory outside the mr rows is touched. */
XK_INLINE void xk_neon_qs8_gemm_rows(size_t mr, const int8_t *a, size_t a_stride, int8_t *c,
				     size_t c_stride, const int8_t *a_row[4], int8_t *c_row[4])
{
#pragma GCC unroll 4
	for (size_t i = 0; i < 4; i++) {
		size_t r = i < mr ? i : mr - 1;
		a_row[i] = a + r * a_stride;
		c_row[i] = c + r * c_stride;
	}
}

/* Every row's accumulators start at the strip's 16 biases. */
XK_INLINE void xk_neon_qs8_gemm_bias(const int8_t *strip, int32x4_t acc[4][4])
{
#pragma GCC unroll 4
	for (size_t v = 0; v < 4; v++) {
		const int32x4_t vb = vld1q_s32((const int32_t *)strip + 4 * v);
#pragma GCC unroll 4
		for (size_t i = 0; i < 4; i++)
			acc[i][v] = vb;
	}
}

/* Requantizes with the strip's 16 multipliers m and stores n <= 16 columns
 * of each row; the last row first, so that aliased rows end with row mr - 1
 * (the values are the same either way). */
XK_INLINE void xk_neon_qs8_gemm_store(int32x4_t acc[4][4], const float *m, int8_t *c_row[4],
				      size_t n, const struct xk_neon_qs8 *q)
{
	float32x4_t vm[4];
#pragma GCC unroll 4
	for (size_t v = 0; v < 4; v++)
		vm[v] = vld1q_f32(m + 4 * v);
#pragma GCC unroll 4
	for (size_t i = 4; i-- > 0;) {
		int32x4_t r[4];
#pragma GCC unroll 4
		for (size_t v = 0; v < 4; v++)
			r[v] = xk_neon_qs8_round(acc[i][v], vm[v], q);
		const int8x16_t out = xk_neon_qs8_pack(r[0], r[1], r[2], r[3], q);
		if (n == 16)
			vst1q_s8(c_row[i], out);
		else
			xk_neon_store_s8_partial(c_row[i], out, n);
	}
}

#endif /* XK_NEON_QS8_H */
