/* qs8-vadd-neon.c - aarch64 NEON int8 element-wise add, 16 elements a step:
 * the scalar kernel's f32 operations one at a time (no FMA): (a - za) and
 * (b - zb) widened to int32, converted, multiplied by ma and mb, added,
 * clamped and rounded to nearest even, + zp. The last n % 16 elements are
 * read and written with partial loads and stores (never past n); out may
 * alias a or b (each step loads before it stores). */
#include <arm_neon.h>

#include "xk-neon-qs8.h"

/* m * (float)d, for d = x - zx widened to int32. */
XK_INLINE float32x4_t scale4(int32x4_t d, float32x4_t m)
{
	return vmulq_f32(vcvtq_f32_s32(d), m);
}

XK_INLINE int8x16_t add16(int8x16_t va, int8x16_t vb, int8x16_t vza,
			  int8x16_t vzb, float32x4_t ma, float32x4_t mb,
			  const struct xk_neon_qs8 *q)
{
	const int16x8_t a0 = vsubl_s8(vget_low_s8(va), vget_low_s8(vza));
	const int16x8_t a1 = vsubl_high_s8(va, vza);
	const int16x8_t b0 = vsubl_s8(vget_low_s8(vb), vget_low_s8(vzb));
	const int16x8_t b1 = vsubl_high_s8(vb, vzb);
	const int32x4_t da[4] = {vmovl_s16(vget_low_s16(a0)), vmovl_high_s16(a0),
				 vmovl_s16(vget_low_s16(a1)), vmovl_high_s16(a1)};
	const int32x4_t db[4] = {vmovl_s16(vget_low_s16(b0)), vmovl_high_s16(b0),
				 vmovl_s16(vget_low_s16(b1)), vmovl_high_s16(b1)};
	int32x4_t r[4];
#pragma GCC unroll 4
	for (size_t v = 0; v < 4; v++)
		r[v] = xk_neon_qs8_round_f32(
			vaddq_f32(scale4(da[v], ma), scale4(db[v], mb)), q);
	return xk_neon_qs8_pack(r[0], r[1], r[2], r[3], q);
}

void xk_qs8_vadd_ukernel__neon(size_t n, const int8_t *a, const int8_t *b,
			       int8_t *out, const struct xk_qs8_add *p)
{
	/* za, zb in -128..127: (x - z) is exact in int16 */
	const int8x16_t vza = vdupq_n_s8((int8_t)p->za);
	const int8x16_t vzb = vdupq_n_s8((int8_t)p->zb);
	const float32x4_t ma = vdupq_n_f32(p->ma), mb = vdupq_n_f32(p->mb);
	const struct xk_neon_qs8 q = {vdupq_n_f32(p->lo), vdupq_n_f32(p->hi),
				      vdupq_n_f32(1.0f), vdupq_n_s16((int16_t)p->zp),
				      false};
	for (; n >= 16; n -= 16) {
		const int8x16_t y = add16(vld1q_s8(a), vld1q_s8(b), vza, vzb, ma, mb, &q);
		a += 16;
		b += 16;
		vst1q_s8(out, y);
		out += 16;
	}
	if (n != 0) {
		const int8x16_t y = add16(xk_neon_load_s8_partial(a, n),
					  xk_neon_load_s8_partial(b, n), vza, vzb,
					  ma, mb, &q);
		xk_neon_store_s8_partial(out, y, n);
	}
}
