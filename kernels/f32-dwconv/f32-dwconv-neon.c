/* f32-dwconv-neon.c - aarch64 NEON f32 depthwise micro-kernels (3x3, 5x5, 7x7;
 * stride 1 and 2), one output row each, channel tile 8 (two q registers).
 *
 * One template, dwconv_row, with k and s compile-time constants. Channels go
 * in tiles of 8; a last partial tile is done as strips of 4, 2 and 1 channels,
 * so that no pixel is read or written past its channel channels - 1. Within a
 * strip, output pixels whose taps are all inside the row go 4 at a time with no
 * checks; border pixels get their own valid kx range. */
#include <arm_neon.h>
#include <assert.h>

#include "xk-ukernel.h"

#define CT 8
#define XK_INLINE static inline __attribute__((always_inline))

/* Loads of the low and high q register of a strip of w channels (8, 4, 2 or
 * 1): never more than w floats. Lanes past w are don't-care. */
XK_INLINE float32x4_t load_lo(const float *x, size_t w)
{
	if (w >= 4)
		return vld1q_f32(x);
	if (w == 2)
		return vcombine_f32(vld1_f32(x), vdup_n_f32(0.0f));
	return vld1q_dup_f32(x);
}

XK_INLINE float32x4_t load_hi(const float *x, size_t w)
{
	return w == 8 ? vld1q_f32(x + 4) : vdupq_n_f32(0.0f);
}

XK_INLINE float32x4_t epilogue(float32x4_t y, const struct xk_act_params *p)
{
	if (p->hswish) {
		float32x4_t t = vaddq_f32(y, vdupq_n_f32(3.0f));
		t = vminq_f32(vmaxq_f32(t, vdupq_n_f32(0.0f)), vdupq_n_f32(6.0f));
		y = vmulq_f32(vmulq_f32(y, t), vdupq_n_f32(1.0f / 6.0f));
	}
	y = vmaxq_f32(y, vld1q_dup_f32(&p->min));
	return vminq_f32(y, vld1q_dup_f32(&p->max));
}

XK_INLINE void store(float *y, float32x4_t lo, float32x4_t hi, size_t w,
		     const struct xk_act_params *p)
{
	lo = epilogue(lo, p);
	if (w == 8) {
		vst1q_f32(y, lo);
		vst1q_f32(y + 4, epilogue(hi, p));
	} else if (w == 4) {
		vst1q_f32(y, lo);
	} else if (w == 2) {
		vst1_f32(y, vget_low_f32(lo));
	} else {
		vst1q_lane_f32(y, lo, 0);
	}
}

/* The input rows that are not padding, in order of ky, and their taps. */
struct dw_rows {
	size_t n;
	const float *x[7]; /* pixel 0, at the strip's first channel */
	const float *w[7]; /* tap (ky, 0) of the strip's first channel */
};

/* np (4 or 1) neighbouring output pixels from ox on, all of whose taps are
 * inside the row. */
XK_INLINE void dw_inner(size_t k, size_t s, size_t w, size_t np, size_t ox,
			size_t cstride, const struct dw_rows *r,
			const float *bias, float *out,
			const struct xk_act_params *p)
{
	const size_t pad = (k - 1) / 2;
	const size_t sstride = s * cstride;
	float32x4_t lo[4], hi[4];
	const float32x4_t blo = load_lo(bias, w), bhi = load_hi(bias, w);
#pragma GCC unroll 4
	for (size_t j = 0; j < np; j++) {
		lo[j] = blo;
		hi[j] = bhi;
	}
	for (size_t n = 0; n < r->n; n++) {
		const float *x = r->x[n] + (ox * s - pad) * cstride;
		const float *wk = r->w[n];
#pragma GCC unroll 7
		for (size_t kx = 0; kx < k; kx++) {
			const float32x4_t wlo = load_lo(wk, w);
			const float32x4_t whi = load_hi(wk, w);
#pragma GCC unroll 4
			for (size_t j = 0; j < np; j++) {
				lo[j] = vfmaq_f32(lo[j], load_lo(x + j * sstride, w),
						  wlo);
				hi[j] = vfmaq_f32(hi[j], load_hi(x + j * sstride, w),
						  whi);
			}
			x += cstride;
			wk += CT;
		}
	}
#pragma GCC unroll 4
	for (size_t j = 0; j < np; j++)
		store(out + (ox + j) * cstride, lo[j], hi[j], w, p);
}

/* One output pixel near the left or right end of the row: only the taps with
 * 0 <= ix < in_w. */
XK_INLINE void dw_border(size_t k, size_t s, size_t w, size_t ox,
			 size_t cstride, size_t in_w, const struct dw_rows *r,
			 const float *bias, float *out,
			 const struct xk_act_params *p)
{
	const ptrdiff_t ix0 = (ptrdiff_t)(ox * s) - (ptrdiff_t)((k - 1) / 2);
	const ptrdiff_t kx_lo = ix0 < 0 ? -ix0 : 0;
	ptrdiff_t kx_hi = (ptrdiff_t)in_w - ix0;
	if (kx_hi > (ptrdiff_t)k)
		kx_hi = (ptrdiff_t)k;
	float32x4_t lo = load_lo(bias, w), hi = load_hi(bias, w);
	const size_t nrows = kx_lo < kx_hi ? r->n : 0; /* else no tap in row */
	for (size_t n = 0; n < nrows; n++) {
		const float *x = r->x[n] + (size_t)(ix0 + kx_lo) * cstride;
		const float *wk = r->w[n] + (size_t)kx_lo * CT;
		for (ptrdiff_t kx = kx_lo; kx < kx_hi; kx++) {
			lo = vfmaq_f32(lo, load_lo(x, w), load_lo(wk, w));
			hi = vfmaq_f32(hi, load_hi(x, w), load_hi(wk, w));
			x += cstride;
			wk += CT;
		}
	}
	store(out + ox * cstride, lo, hi, w, p);
}

/* A strip of w channels at rows[ky] + c, taps and bias at wt (the channel's
 * place in its packed tile), output at out + c. Pixels [lo, hi) are inner. */
XK_INLINE void dw_strip(size_t k, size_t s, size_t w, size_t c,
			size_t cstride, size_t in_w, size_t out_w, size_t lo,
			size_t hi, const float *const *rows, const float *wt,
			float *out, const struct xk_act_params *p)
{
	struct dw_rows r;
	r.n = 0;
	for (size_t ky = 0; ky < k; ky++) {
		if (rows[ky] == NULL)
			continue;
		r.x[r.n] = rows[ky] + c;
		r.w[r.n] = wt + CT + ky * k * CT;
		r.n++;
	}
	out += c;
	size_t ox = 0;
	for (; ox < lo; ox++)
		dw_border(k, s, w, ox, cstride, in_w, &r, wt, out, p);
	for (; ox + 4 <= hi; ox += 4)
		dw_inner(k, s, w, 4, ox, cstride, &r, wt, out, p);
	for (; ox < hi; ox++)
		dw_inner(k, s, w, 1, ox, cstride, &r, wt, out, p);
	for (; ox < out_w; ox++)
		dw_border(k, s, w, ox, cstride, in_w, &r, wt, out, p);
}

XK_INLINE void dwconv_row(size_t k, size_t s, size_t channels,
			  size_t cstride, size_t in_w, size_t out_w,
			  const float *const *rows, const float *w, float *out,
			  const struct xk_act_params *p)
{
	assert(channels >= 1 && cstride >= channels && in_w >= 1 && out_w >= 1);
	const size_t pad = (k - 1) / 2;
	/* Output pixels [lo, hi) have all k taps inside the row. */
	const size_t lo = xk_min(xk_div_up(pad, s), out_w);
	size_t hi = in_w + pad >= k ? xk_min((in_w + pad - k) / s + 1, out_w) : 0;
	hi = xk_max(hi, lo);
	const size_t tile = CT * (1 + k * k);
	size_t c0 = 0;
	for (; c0 + CT <= channels; c0 += CT) {
		dw_strip(k, s, 8, c0, cstride, in_w, out_w, lo, hi, rows, w, out,
			 p);
		w += tile;
	}
	const size_t rest = channels - c0;
	size_t c = 0;
	if (rest & 4) {
		dw_strip(k, s, 4, c0, cstride, in_w, out_w, lo, hi, rows, w, out,
			 p);
		c = 4;
	}
	if (rest & 2) {
		dw_strip(k, s, 2, c0 + c, cstride, in_w, out_w, lo, hi, rows,
			 w + c, out, p);
		c += 2;
	}
	if (rest & 1)
		dw_strip(k, s, 1, c0 + c, cstride, in_w, out_w, lo, hi, rows,
			 w + c, out, p);
}

#define DWCONV_NEON(K, S)                                                      \
	void xk_f32_dwconv_ukernel_##K##x##K##s##S##__neon(                   \
		size_t channels, size_t cstride, size_t in_w, size_t out_w,   \
		const float *const *rows, const float *w, float *out,         \
		const struct xk_act_params *p)                                 \
	{                                                                      \
		dwconv_row(K, S, channels, cstride, in_w, out_w, rows, w, out, \
			   p);                                                 \
	}

DWCONV_NEON(3, 1)
DWCONV_NEON(3, 2)
DWCONV_NEON(5, 1)
DWCONV_NEON(5, 2)
DWCONV_NEON(7, 1)
DWCONV_NEON(7, 2)
