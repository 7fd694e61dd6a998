/* dwconv-x86.h - the AVX2 and AVX-512 int8 depthwise micro-kernels, written
 * once: qs8-dwconv-avx2.c and qs8-dwconv-avx512vnni.c define the vector type
 * and operations below, include this file, and instantiate DWCONV(K, S, NT,
 * NB). Weights are packed with WB 4 (xk-qs8.h): the int16 weight in the low
 * half of an int32 lane whose high half is zero, so a pair multiply-add of a
 * sign-extended int32 input lane gives exactly x * w.
 *
 *   CT                     channels per vector (8 or 16), int32 lanes
 *   VEC, VMASK             vector type; what selects the first n channels
 *   V_LOADX(p)             CT int8 at p, sign-extended to int32
 *   V_MASKLOADX(p, m)      the same for the channels m selects (others 0),
 *                          reading only those bytes
 *   V_LOADI(p)             CT int32 at p (bias, weights)
 *   V_DOT(acc, x, w)       acc + x * w per lane (w from the packed taps)
 *   V_REQUANT(acc, m, p)   xk-qs8.h's requantization (m: CT floats), int32
 *                          lanes in -128..127
 *   V_STORE8(p, v), V_MASKSTORE8(p, m, v)   narrow to int8 and store
 *   V_NOMASK, V_TAILMASK(n) the unused mask; the first n channels
 *   DWCONV_FN(K, S)        the kernel's name
 *
 * The row is cut into blocks of NB output pixels by NT channel tiles, one
 * accumulator each; blocks go along the channels, then along the row. For
 * each kernel row the block holds its k weights per tile in registers and
 * loads every input pixel once, adding it into all the accumulators that use
 * it. Taps outside the image (a NULL row, or left or right of the row) read
 * the zero point (`zero`), as the packed bias expects: blocks inside the row
 * have no checks, blocks at its ends test each input pixel. Channels past the
 * last multiple of NT tiles go one tile at a time with masked loads and
 * stores, so no byte past the last channel is touched. The sums are exact, so
 * their order does not change the bytes. */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

#include "xk-ukernel.h"

#define MAX_NT 2
#define MAX_NB 16
#define INLINE static inline __attribute__((always_inline))

/* Output pixels [ox0, ox0 + nb) of nt tiles from channel c; the first n_out
 * are stored. ix0 = ox0 * s - pad may be negative. Unless checked, every
 * input pixel the block reads is inside the row. w points at the first
 * tile's packed weights. */
INLINE void dw_block(size_t k, size_t s, size_t nt, size_t nb, bool checked,
		     bool masked, VMASK m, size_t n_out, size_t cstride,
		     ptrdiff_t in_w, const int8_t *const *rows,
		     const int8_t *zero, size_t c, ptrdiff_t ix0,
		     const uint8_t *w, int8_t *out,
		     const struct xk_qs8_params *p)
{
	const size_t span = (nb - 1) * s + k; /* input pixels of the block */
	const size_t tile = xk_qs8_dwconv_tile_bytes(k, CT, 4);
	VEC acc[MAX_NT][MAX_NB];
	VEC vz[MAX_NT];
#pragma GCC unroll 2
	for (size_t t = 0; t < nt; t++) {
		const VEC vbias = V_LOADI(w + t * tile);
#pragma GCC unroll 16
		for (size_t j = 0; j < nb; j++)
			acc[t][j] = vbias;
		vz[t] = masked ? V_MASKLOADX(zero + c + t * CT, m)
			       : V_LOADX(zero + c + t * CT);
	}
#pragma GCC unroll 7
	for (size_t ky = 0; ky < k; ky++) {
		const int8_t *r = rows[ky];
		const uint8_t *wk = w + 8 * CT + ky * k * CT * 4;
		VEC vw[MAX_NT][7];
#pragma GCC unroll 2
		for (size_t t = 0; t < nt; t++)
#pragma GCC unroll 7
			for (size_t kx = 0; kx < k; kx++)
				vw[t][kx] = V_LOADI(wk + t * tile + kx * CT * 4);
#pragma GCC unroll 48
		for (size_t i = 0; i < span; i++) {
			const ptrdiff_t ix = ix0 + (ptrdiff_t)i;
			const bool pad = r == NULL || (checked && (ix < 0 || ix >= in_w));
#pragma GCC unroll 2
			for (size_t t = 0; t < nt; t++) {
				VEC vx;
				if (pad) {
					vx = vz[t];
				} else {
					const int8_t *x = r + (size_t)ix * cstride + c + t * CT;
					vx = masked ? V_MASKLOADX(x, m) : V_LOADX(x);
				}
				/* Keeps the pixel in a register: folded into
				 * each product it would be loaded k / s times. */
				__asm__("" : "+v"(vx));
				/* Output j reads it with tap i - j * s. */
#pragma GCC unroll 16
				for (size_t j = 0; j < nb; j++)
					if (i >= j * s && i - j * s < k)
						V_DOT(acc[t][j], vx, vw[t][i - j * s]);
			}
		}
	}
#pragma GCC unroll 16
	for (size_t j = 0; j < nb; j++) {
		if (checked && j >= n_out)
			break;
#pragma GCC unroll 2
		for (size_t t = 0; t < nt; t++) {
			const float *mm = (const float *)(w + t * tile + 4 * CT);
			const VEC q = V_REQUANT(acc[t][j], mm, p);
			int8_t *o = out + j * cstride + t * CT;
			if (masked)
				V_MASKSTORE8(o, m, q);
			else
				V_STORE8(o, q);
		}
	}
}

/* One block of pixels over all channels of the call: nt tiles at a time,
 * then single (masked) tiles. */
INLINE void dw_column(size_t k, size_t s, size_t nt, size_t nb, bool checked,
		      size_t n_out, size_t channels, size_t cstride,
		      ptrdiff_t in_w, const int8_t *const *rows,
		      const int8_t *zero, ptrdiff_t ix0, const uint8_t *w,
		      int8_t *out, const struct xk_qs8_params *p)
{
	const size_t tile = xk_qs8_dwconv_tile_bytes(k, CT, 4);
	size_t c = 0;
	for (; c + nt * CT <= channels; c += nt * CT)
		dw_block(k, s, nt, nb, checked, false, V_NOMASK, n_out, cstride, in_w,
			 rows, zero, c, ix0, w + c / CT * tile, out + c, p);
	for (; c < channels; c += CT) {
		const size_t rest = xk_min(CT, channels - c);
		if (rest == CT)
			dw_block(k, s, 1, nb, checked, false, V_NOMASK, n_out, cstride,
				 in_w, rows, zero, c, ix0, w + c / CT * tile, out + c, p);
		else
			dw_block(k, s, 1, nb, checked, true, V_TAILMASK(rest), n_out,
				 cstride, in_w, rows, zero, c, ix0, w + c / CT * tile,
				 out + c, p);
	}
}

INLINE void dwconv_row(size_t k, size_t s, size_t nt, size_t nb,
		       size_t channels, size_t cstride, size_t in_w,
		       size_t out_w, const int8_t *const *rows,
		       const int8_t *zero, const void *w, int8_t *out,
		       const struct xk_qs8_params *params)
{
	assert(channels >= 1 && cstride >= channels && in_w >= 1 && out_w >= 1);
	assert(rows != NULL && zero != NULL && w != NULL && out != NULL);
	/* a local copy: out may alias params as far as the compiler knows */
	const struct xk_qs8_params prm = *params, *p = &prm;
	const size_t pad = (k - 1) / 2;
	/* Output pixels [ox_lo, ox_hi) read only input pixels of the row. */
	const size_t ox_lo = (pad + s - 1) / s;
	const size_t ox_hi =
		xk_min(out_w, in_w + pad >= k ? (in_w + pad - k) / s + 1 : 0);
	for (size_t ox = 0; ox < out_w; ox += nb) {
		const ptrdiff_t ix0 = (ptrdiff_t)(ox * s) - (ptrdiff_t)pad;
		if (ox >= ox_lo && ox + nb <= ox_hi)
			dw_column(k, s, nt, nb, false, nb, channels, cstride,
				  (ptrdiff_t)in_w, rows, zero, ix0, w,
				  out + ox * cstride, p);
		else
			dw_column(k, s, nt, nb, true, xk_min(nb, out_w - ox),
				  channels, cstride, (ptrdiff_t)in_w, rows, zero,
				  ix0, w, out + ox * cstride, p);
	}
}

/* NT tiles by NB pixels per block: NT * (NB + K + 2) vector registers. */
#define DWCONV(K, S, NT, NB)                                                   \
	_Static_assert(NT <= MAX_NT && NB <= MAX_NB, "block too large");       \
	void DWCONV_FN(K, S)(size_t channels, size_t cstride, size_t in_w,     \
			     size_t out_w, const int8_t *const *rows,          \
			     const int8_t *zero, const void *w, int8_t *out,   \
			     const struct xk_qs8_params *p)                    \
	{                                                                      \
		dwconv_row(K, S, NT, NB, channels, cstride, in_w, out_w, rows, \
			   zero, w, out, p);                                   \
	}
