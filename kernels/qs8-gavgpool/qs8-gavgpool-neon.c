/* qs8-gavgpool-neon.c - aarch64 NEON int8 global average pooling, one
 * image, 16 channels a step.
 *
 * Pixels are summed in int16 two at a time (SADDL, ADD), in blocks of at most
 * 256 pixels (|sum| <= 256 * 128 fits int16), each block widened into int32
 * (SADDW): exact, so the same int32 as the scalar kernel's running sum. Then
 * the requantization of xk-qs8.h (no h-swish). A last partial group of
 * channels is done as the last 16 channels when there are 16 or more (they
 * overlap the previous group and write the same bytes), else with partial
 * loads and stores: nothing past the image is read. */
#include <arm_neon.h>

#include "xk-neon-qs8.h"

/* n <= 16 channels from x (x = in + c0); 16 loads whole vectors. */
XK_INLINE int8x16_t load_px(const int8_t *x, size_t n)
{
	return n == 16 ? vld1q_s8(x) : xk_neon_load_s8_partial(x, n);
}

XK_INLINE int8x16_t pool16(size_t pixels, size_t channels, const int8_t *x,
			   size_t n, const struct xk_qs8_gavgpool *p,
			   const struct xk_neon_qs8 *q)
{
	int32x4_t acc[4];
#pragma GCC unroll 4
	for (size_t v = 0; v < 4; v++)
		acc[v] = vdupq_n_s32(p->bias);
	for (size_t i = 0; i < pixels;) {
		const size_t end = pixels - i > 256 ? i + 256 : pixels;
		int16x8_t s0 = vdupq_n_s16(0), s1 = vdupq_n_s16(0);
		for (; i + 2 <= end; i += 2) {
			const int8x16_t x0 = load_px(x, n), x1 = load_px(x + channels, n);
			x += 2 * channels;
			s0 = vaddq_s16(s0, vaddl_s8(vget_low_s8(x0), vget_low_s8(x1)));
			s1 = vaddq_s16(s1, vaddl_high_s8(x0, x1));
		}
		if (i < end) {
			const int8x16_t x0 = load_px(x, n);
			x += channels;
			s0 = vaddw_s8(s0, vget_low_s8(x0));
			s1 = vaddw_high_s8(s1, x0);
			i++;
		}
		acc[0] = vaddw_s16(acc[0], vget_low_s16(s0));
		acc[1] = vaddw_high_s16(acc[1], s0);
		acc[2] = vaddw_s16(acc[2], vget_low_s16(s1));
		acc[3] = vaddw_high_s16(acc[3], s1);
	}
	const float32x4_t m = vdupq_n_f32(p->m);
	int32x4_t r[4];
#pragma GCC unroll 4
	for (size_t v = 0; v < 4; v++)
		r[v] = xk_neon_qs8_round(acc[v], m, q);
	return xk_neon_qs8_pack(r[0], r[1], r[2], r[3], q);
}

void xk_qs8_gavgpool_ukernel__neon(size_t pixels, size_t channels,
				   const int8_t *in, int8_t *out,
				   const struct xk_qs8_gavgpool *p)
{
	const struct xk_neon_qs8 q = {vdupq_n_f32(p->lo), vdupq_n_f32(p->hi),
				      vdupq_n_f32(1.0f), vdupq_n_s16((int16_t)p->zp),
				      false};
	size_t c0 = 0;
	for (; c0 + 16 <= channels; c0 += 16)
		vst1q_s8(out + c0, pool16(pixels, channels, in + c0, 16, p, &q));
	if (c0 == channels)
		return;
	if (channels >= 16) {
		c0 = channels - 16;
		vst1q_s8(out + c0, pool16(pixels, channels, in + c0, 16, p, &q));
	} else {
		xk_neon_store_s8_partial(out, pool16(pixels, channels, in, channels, p, &q),
					 channels);
	}
}
