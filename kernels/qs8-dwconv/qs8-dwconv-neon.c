/* qs8-dwconv-neon.c - aarch64 NEON int8 depthwise micro-kernels (3x3, 5x5,
 * 7x7; stride 1 and 2), one output row each, channel tile 16, int16 weights
 * (WB 2).
 *
 * A tap of 16 channels: one 16-byte load of the input, SXTL / SXTL2 to int16,
 * the tap's 16 int16 weights (two q registers), and SMLAL / SMLAL2 into four
 * int32x4 accumulators. A padding row (NULL) reads `zero` with a pixel step
 * of 0. Output pixels whose taps are all inside the row, in full tiles, go
 * through an unrolled template with k a constant and no checks; border
 * pixels and the last partial tile through one shared loop that checks each
 * tap and reads only the tile's remaining channels (of the rows and of zero)
 * and writes only those. */
#include <arm_neon.h>
#include <assert.h>

#include "xk-neon-qs8.h"

#define CT 16

/* One tile's input rows: pixel 0 at the tile's first channel, and the step
 * between pixels (cstride, or 0 for a padding row, which points at zero). */
struct dw_rows {
	const int8_t *x[7];
	size_t dx[7];
};

XK_INLINE void mac_tap(int32x4_t acc[4], int8x16_t vx, const int16_t *wt)
{
	const int16x8_t x0 = vmovl_s8(vget_low_s8(vx));
	const int16x8_t x1 = vmovl_high_s8(vx);
	const int16x8_t w0 = vld1q_s16(wt), w1 = vld1q_s16(wt + 8);
	acc[0] = vmlal_s16(acc[0], vget_low_s16(x0), vget_low_s16(w0));
	acc[1] = vmlal_high_s16(acc[1], x0, w0);
	acc[2] = vmlal_s16(acc[2], vget_low_s16(x1), vget_low_s16(w1));
	acc[3] = vmlal_high_s16(acc[3], x1, w1);
}

/* Bias, the taps' sum in acc, requantized into n channels of out. */
XK_INLINE void dw_store(int32x4_t acc[4], const float *m, size_t n,
			int8_t *out, const struct xk_neon_qs8 *q)
{
	int32x4_t r[4];
#pragma GCC unroll 4
	for (size_t v = 0; v < 4; v++)
		r[v] = xk_neon_qs8_round(acc[v], vld1q_f32(m + 4 * v), q);
	const int8x16_t y = xk_neon_qs8_pack(r[0], r[1], r[2], r[3], q);
	if (n == CT)
		vst1q_s8(out, y);
	else
		xk_neon_store_s8_partial(out, y, n);
}

XK_INLINE void dw_bias(int32x4_t acc[4], const int32_t *bias)
{
#pragma GCC unroll 4
	for (size_t v = 0; v < 4; v++)
		acc[v] = vld1q_s32(bias + 4 * v);
}

/* A full tile at a pixel all of whose taps are inside the row; ix0 is the
 * input pixel of tap kx = 0. */
XK_INLINE void dw_pixel_inner(size_t k, const struct dw_rows *r, size_t ix0,
			      const uint8_t *tile, int8_t *out,
			      const struct xk_neon_qs8 *q)
{
	const int16_t *wt = (const int16_t *)(tile + 8 * CT);
	int32x4_t acc[4];
	dw_bias(acc, (const int32_t *)tile);
#pragma GCC unroll 7
	for (size_t ky = 0; ky < k; ky++) {
		const int8_t *x = r->x[ky] + ix0 * r->dx[ky];
#pragma GCC unroll 7
		for (size_t kx = 0; kx < k; kx++) {
			mac_tap(acc, vld1q_s8(x), wt);
			x += r->dx[ky];
			wt += CT;
		}
	}
	dw_store(acc, (const float *)(tile + 4 * CT), CT, out, q);
}

/* n <= CT channels at a pixel whose taps may fall in the padding (ix0 may be
 * negative); shared by every kernel. */
static void dw_pixel_any(size_t k, const struct dw_rows *r, ptrdiff_t ix0,
			 size_t in_w, const int8_t *zero, size_t n,
			 const uint8_t *tile, int8_t *out,
			 const struct xk_neon_qs8 *q)
{
	const int16_t *wt = (const int16_t *)(tile + 8 * CT);
	int32x4_t acc[4];
	dw_bias(acc, (const int32_t *)tile);
	for (size_t ky = 0; ky < k; ky++)
		for (size_t kx = 0; kx < k; kx++) {
			const ptrdiff_t ix = ix0 + (ptrdiff_t)kx;
			const int8_t *x = ix < 0 || ix >= (ptrdiff_t)in_w
						  ? zero
						  : r->x[ky] + (size_t)ix * r->dx[ky];
			const int8x16_t vx =
				n == CT ? vld1q_s8(x) : xk_neon_load_s8_partial(x, n);
			mac_tap(acc, vx, wt);
			wt += CT;
		}
	dw_store(acc, (const float *)(tile + 4 * CT), n, out, q);
}

XK_INLINE void dwconv_row(size_t k, size_t s, size_t channels,
			  size_t cstride, size_t in_w, size_t out_w,
			  const int8_t *const *rows, const int8_t *zero,
			  const void *w, int8_t *out,
			  const struct xk_qs8_params *p)
{
	assert(channels >= 1 && cstride >= channels && in_w >= 1 && out_w >= 1);
	const size_t pad = (k - 1) / 2;
	const size_t tile_bytes = xk_qs8_dwconv_tile_bytes(k, CT, 2);
	const struct xk_neon_qs8 q = xk_neon_qs8_init(p);
	/* Output pixels [lo, hi) have every tap inside the row. */
	size_t lo = (pad + s - 1) / s, hi = in_w > pad ? (in_w - 1 - pad) / s + 1 : 0;
	lo = lo < out_w ? lo : out_w;
	hi = hi < out_w ? hi : out_w;
	hi = hi > lo ? hi : lo;
	const uint8_t *tile = w;
	for (size_t c0 = 0; c0 < channels; c0 += CT, tile += tile_bytes) {
		const size_t n = channels - c0 < CT ? channels - c0 : CT;
		struct dw_rows r;
		for (size_t ky = 0; ky < k; ky++) {
			r.x[ky] = rows[ky] ? rows[ky] + c0 : zero + c0;
			r.dx[ky] = rows[ky] ? cstride : 0;
		}
		int8_t *o = out + c0;
		size_t ox = 0;
		if (n == CT) {
			for (; ox < lo; ox++)
				dw_pixel_any(k, &r, (ptrdiff_t)(ox * s) - (ptrdiff_t)pad,
					     in_w, zero + c0, CT, tile, o + ox * cstride, &q);
			for (; ox < hi; ox++)
				dw_pixel_inner(k, &r, ox * s - pad, tile,
					       o + ox * cstride, &q);
		}
		for (; ox < out_w; ox++)
			dw_pixel_any(k, &r, (ptrdiff_t)(ox * s) - (ptrdiff_t)pad, in_w,
				     zero + c0, n, tile, o + ox * cstride, &q);
	}
}

#define DWCONV_NEON(K, S)                                                      \
	void xk_qs8_dwconv_ukernel_##K##x##K##s##S##__neon(                   \
		size_t channels, size_t cstride, size_t in_w, size_t out_w,   \
		const int8_t *const *rows, const int8_t *zero, const void *w, \
		int8_t *out, const struct xk_qs8_params *p)                    \
	{                                                                      \
		dwconv_row(K, S, channels, cstride, in_w, out_w, rows, zero,   \
			   w, out, p);                                         \
	}

DWCONV_NEON(3, 1)
DWCONV_NEON(3, 2)
DWCONV_NEON(5, 1)
DWCONV_NEON(5, 2)
DWCONV_NEON(7, 1)
DWCONV_NEON(7, 2)
