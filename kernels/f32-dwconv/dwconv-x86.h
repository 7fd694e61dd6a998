/* dwconv-x86.h - the AVX2 and AVX-512 f32 depthwise micro-kernels, written
 * once: f32-dwconv-avx2.c and f32-dwconv-avx512.c define the vector type and
 * operations below, include this file, and instantiate DWCONV(K, S, NT, NB).
 *
 *   CT                     channels per vector (8 or 16)
 *   VEC, VMASK             vector and lane-mask types
 *   V_LOADU(p)             load CT floats; V_MASKLOAD(p, m): masked lanes, others 0
 *   V_FMADD(a, b, c)       a * b + c, fused
 *   V_STOREU(p, v), V_MASKSTORE(p, m, v)
 *   V_NOMASK, V_TAILMASK(n) the unused mask; lanes [0, n)
 *   V_EPILOGUE(v, p)       the kernels' epilogue (xk-avx2.h, xk-avx512.h)
 *   DWCONV_FN(K, S)        the kernel's name
 *
 * The row is cut into blocks of NB output pixels by NT channel tiles, one
 * accumulator each; blocks go along the channels, then along the row. For
 * each kernel row the block holds its k weights per tile in registers and
 * loads every input pixel once, adding it into all the accumulators that use
 * it, in the scalar kernel's order (ky, then kx ascending) with FMA. Taps
 * left or right of the row are skipped, not multiplied by zero: blocks inside
 * the row have no checks, blocks at its ends test each input pixel. Channels
 * past the last multiple of NT tiles go one tile at a time with masked loads
 * and stores, so no channel past the last one is touched. */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

#include "xk-ukernel.h"

#define MAX_NT 3
#define MAX_NB 16
#define INLINE static inline __attribute__((always_inline))

/* Output pixels [ox0, ox0 + nb) of nt tiles from channel c; the first
 * n_out are stored. ix0 = ox0 * s - pad may be negative. Unless checked,
 * every input pixel the block reads is inside the row. w points at the first
 * tile's packed weights. */
INLINE void dw_block(size_t k, size_t s, size_t nt, size_t nb, bool checked,
		     bool masked, VMASK m, size_t n_out, size_t cstride,
		     ptrdiff_t in_w, const float *const *rows, size_t c,
		     ptrdiff_t ix0, const float *w, float *out,
		     const struct xk_act_params *p)
{
	const size_t span = (nb - 1) * s + k; /* input pixels of the block */
	const size_t wstride = CT * (1 + k * k);
	VEC acc[MAX_NT][MAX_NB];
#pragma GCC unroll 3
	for (size_t t = 0; t < nt; t++) {
		const VEC vbias = V_LOADU(w + t * wstride);
#pragma GCC unroll 16
		for (size_t j = 0; j < nb; j++)
			acc[t][j] = vbias;
	}
#pragma GCC unroll 7
	for (size_t ky = 0; ky < k; ky++) {
		if (rows[ky] == NULL)
			continue;
		const float *r = rows[ky] + c;
		const float *wk = w + CT * (1 + ky * k);
		VEC vw[MAX_NT][7];
#pragma GCC unroll 3
		for (size_t t = 0; t < nt; t++)
#pragma GCC unroll 7
			for (size_t kx = 0; kx < k; kx++)
				vw[t][kx] = V_LOADU(wk + t * wstride + kx * CT);
#pragma GCC unroll 48
		for (size_t i = 0; i < span; i++) {
			const ptrdiff_t ix = ix0 + (ptrdiff_t)i;
			if (checked && (ix < 0 || ix >= in_w))
				continue;
			const float *px = r + (size_t)ix * cstride;
#pragma GCC unroll 3
			for (size_t t = 0; t < nt; t++) {
				const float *x = px + t * CT;
				VEC vx = masked ? V_MASKLOAD(x, m) : V_LOADU(x);
				/* Keeps the pixel in a register: folded into
				 * each FMA it would be loaded k / s times. */
				__asm__("" : "+v"(vx));
				/* Output j reads it with tap i - j * s. */
#pragma GCC unroll 16
				for (size_t j = 0; j < nb; j++)
					if (i >= j * s && i - j * s < k)
						acc[t][j] = V_FMADD(vx, vw[t][i - j * s],
								    acc[t][j]);
			}
		}
	}
#pragma GCC unroll 16
	for (size_t j = 0; j < nb; j++) {
		if (checked && j >= n_out)
			break;
#pragma GCC unroll 3
		for (size_t t = 0; t < nt; t++) {
			const VEC y = V_EPILOGUE(acc[t][j], p);
			float *o = out + j * cstride + t * CT;
			if (masked)
				V_MASKSTORE(o, m, y);
			else
				V_STOREU(o, y);
		}
	}
}

/* One block of pixels over all channels of the call: nt tiles at a time,
 * then single (masked) tiles. */
INLINE void dw_column(size_t k, size_t s, size_t nt, size_t nb, bool checked,
		      size_t n_out, size_t channels, size_t cstride,
		      ptrdiff_t in_w, const float *const *rows, ptrdiff_t ix0,
		      const float *w, float *out, const struct xk_act_params *p)
{
	const size_t wstride = CT * (1 + k * k);
	size_t c = 0;
	for (; c + nt * CT <= channels; c += nt * CT)
		dw_block(k, s, nt, nb, checked, false, V_NOMASK, n_out, cstride, in_w,
			 rows, c, ix0, w + c / CT * wstride, out + c, p);
	for (; c < channels; c += CT) {
		const size_t rest = xk_min(CT, channels - c);
		const VMASK m = V_TAILMASK(rest);
		dw_block(k, s, 1, nb, checked, true, m, n_out, cstride, in_w,
			 rows, c, ix0, w + c / CT * wstride, out + c, p);
	}
}

INLINE void dwconv_row(size_t k, size_t s, size_t nt, size_t nb,
		       size_t channels, size_t cstride, size_t in_w,
		       size_t out_w, const float *const *rows, const float *w,
		       float *out, const struct xk_act_params *params)
{
	assert(channels >= 1 && cstride >= channels && in_w >= 1 && out_w >= 1);
	assert(rows != NULL && w != NULL && out != NULL && params != NULL);
	/* a local copy: out may alias params as far as the compiler knows */
	const struct xk_act_params act = *params, *p = &act;
	const size_t pad = (k - 1) / 2;
	/* Output pixels [ox_lo, ox_hi) read only input pixels of the row. */
	const size_t ox_lo = (pad + s - 1) / s;
	const size_t ox_hi =
		xk_min(out_w, in_w + pad >= k ? (in_w + pad - k) / s + 1 : 0);
	for (size_t ox = 0; ox < out_w; ox += nb) {
		const ptrdiff_t ix0 = (ptrdiff_t)(ox * s) - (ptrdiff_t)pad;
		if (ox >= ox_lo && ox + nb <= ox_hi)
			dw_column(k, s, nt, nb, false, nb, channels, cstride,
				  (ptrdiff_t)in_w, rows, ix0, w,
				  out + ox * cstride, p);
		else
			dw_column(k, s, nt, nb, true, xk_min(nb, out_w - ox),
				  channels, cstride, (ptrdiff_t)in_w, rows, ix0,
				  w, out + ox * cstride, p);
	}
}

/* NT tiles by NB pixels per block: NT * (NB + K + 1) vector registers. */
#define DWCONV(K, S, NT, NB)                                                   \
	_Static_assert(NT <= MAX_NT && NB <= MAX_NB, "block too large");       \
	void DWCONV_FN(K, S)(size_t channels, size_t cstride, size_t in_w,     \
			     size_t out_w, const float *const *rows,           \
			     const float *w, float *out,                       \
			     const struct xk_act_params *p)                    \
	{                                                                      \
		dwconv_row(K, S, NT, NB, channels, cstride, in_w, out_w, rows, \
			   w, out, p);                                         \
	}
