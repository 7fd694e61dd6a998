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
 *   V_ZERO, V_ADD(a, b)    int32 zeros; a + b
 *   V_REQUANT(acc, m, p)   xk-qs8.h's requantization (m: CT floats), int32
 *                          lanes in -128..127
 *   V_STORE8(p, v), V_MASKSTORE8(p, m, v)   narrow to int8 and store
 *   V_STORE4(nv, n, a0, a1, a2, a3, m, p, o, cstride, masked, mask)
 *                          optional, instead of the two above: requantize
 *                          the nv (<= 4) sums of consecutive pixels, store
 *                          the first n (any size_t) cstride apart from o
 *   V_NOMASK, V_TAILMASK(n) the unused mask; the first n channels
 *   DWCONV_FN(K, S)        the kernel's name
 *
 * The row is cut into blocks of NB output pixels by NT channel tiles, one
 * accumulator each; blocks go along the channels, then along the row. For
 * each kernel row the block holds its k weights per tile in registers and
 * loads every input pixel once, adding it into all the accumulators that use
 * it. Taps outside the image (a NULL row, or left or right of the row) read
 * the zero point (`zero`, held in a register), as the packed bias expects:
 * blocks inside the row walk it without checks, blocks at its ends test each
 * input pixel, and a NULL row adds the same k products to every output. A
 * row's last block, when it has at most NB / 2 (rounded up) pixels, runs as
 * a block that wide. Channels past the last multiple of NT tiles go one tile
 * at a time, the last partial one with masked loads and stores, so no byte
 * past the last channel is touched. The sums are exact, so their order does
 * not change the bytes.
 *
 * Only what keeps the accumulators in registers is unrolled: the pixels of a
 * block, its tiles and outputs; the kernel rows are a loop, and a kernel has
 * two or three blocks (NT tiles, one tile, one masked tile) in two widths,
 * each with a checked and an unchecked walk. Unrolling more made each object
 * take about ten minutes to compile under ASan and UBSan; now it takes under
 * a minute. */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

#include "xk-ukernel.h"

#define MAX_NT 2
#define MAX_NB 16
#define INLINE static inline __attribute__((always_inline))

/* Input pixel i of a block (px: its first channel), into every output of
 * the block that reads it. */
INLINE void dw_pixel(size_t k, size_t s, size_t nt, size_t nb, bool masked,
		     VMASK m, size_t i, bool pad, const int8_t *px,
		     const VEC vz[MAX_NT], VEC vw[MAX_NT][7],
		     VEC acc[MAX_NT][MAX_NB])
{
#pragma GCC unroll 2
	for (size_t t = 0; t < nt; t++) {
		VEC vx;
		if (pad)
			vx = vz[t];
		else
			vx = masked ? V_MASKLOADX(px + t * CT, m) : V_LOADX(px + t * CT);
		/* Keeps the pixel in a register: folded into each product it
		 * would be loaded k / s times. */
		__asm__("" : "+v"(vx));
		/* Output j reads it with tap i - j * s. */
#pragma GCC unroll 16
		for (size_t j = 0; j < nb; j++)
			if (i >= j * s && i - j * s < k)
				V_DOT(acc[t][j], vx, vw[t][i - j * s]);
	}
}

/* Output pixels [ox0, ox0 + nb) of nt tiles from channel c; the first n_out
 * are stored. ix0 = ox0 * s - pad may be negative; inner: every input pixel
 * the block reads is inside the row. w points at the first tile's packed
 * weights; zero and out at channel c. */
INLINE void dw_block(size_t k, size_t s, size_t nt, size_t nb, bool masked,
		     VMASK m, bool inner, size_t n_out, size_t cstride, size_t in_w,
		     const int8_t *const *rows, const int8_t *zero, size_t c,
		     ptrdiff_t ix0, const uint8_t *w, int8_t *out,
		     const struct xk_qs8_params *p)
{
	const size_t span = (nb - 1) * s + k; /* input pixels of the block */
	const size_t tile = xk_qs8_dwconv_tile_bytes(k, CT, 4);
	VEC acc[MAX_NT][MAX_NB], vz[MAX_NT];
#pragma GCC unroll 2
	for (size_t t = 0; t < nt; t++) {
		const VEC vbias = V_LOADI(w + t * tile);
		vz[t] = masked ? V_MASKLOADX(zero + t * CT, m) : V_LOADX(zero + t * CT);
#pragma GCC unroll 16
		for (size_t j = 0; j < nb; j++)
			acc[t][j] = vbias;
	}
#pragma GCC unroll 1
	for (size_t ky = 0; ky < k; ky++) {
		const int8_t *r = rows[ky];
		const uint8_t *wk = w + 8 * CT + ky * k * CT * 4;
		VEC vw[MAX_NT][7];
#pragma GCC unroll 2
		for (size_t t = 0; t < nt; t++)
#pragma GCC unroll 7
			for (size_t kx = 0; kx < k; kx++)
				vw[t][kx] = V_LOADI(wk + t * tile + kx * CT * 4);
		if (r == NULL) {
			/* every tap reads the zero point: the same sum for
			 * every output of the block */
#pragma GCC unroll 2
			for (size_t t = 0; t < nt; t++) {
				VEC z = V_ZERO;
#pragma GCC unroll 7
				for (size_t kx = 0; kx < k; kx++)
					V_DOT(z, vz[t], vw[t][kx]);
#pragma GCC unroll 16
				for (size_t j = 0; j < nb; j++)
					acc[t][j] = V_ADD(acc[t][j], z);
			}
		} else if (inner) {
			/* every input pixel of the block is in the row */
			const int8_t *px = r + (size_t)ix0 * cstride + c;
#pragma GCC unroll 48
			for (size_t i = 0; i < span; i++, px += cstride)
				dw_pixel(k, s, nt, nb, masked, m, i, false, px, vz, vw,
					 acc);
		} else {
#pragma GCC unroll 48
			for (size_t i = 0; i < span; i++) {
				const size_t ix = (size_t)(ix0 + (ptrdiff_t)i); /* < 0: huge */
				const bool pad = ix >= in_w;
				dw_pixel(k, s, nt, nb, masked, m, i, pad,
					 pad ? zero : r + ix * cstride + c, vz, vw, acc);
			}
		}
	}
#ifdef V_STORE4
	/* 4 pixels of a tile requantized and narrowed together */
#pragma GCC unroll 4
	for (size_t j = 0; j < nb && j < n_out; j += 4) {
#pragma GCC unroll 2
		for (size_t t = 0; t < nt; t++) {
			const float *mm = (const float *)(w + t * tile + 4 * CT);
			const size_t nv = nb - j < 4 ? nb - j : 4;
			V_STORE4(nv, n_out - j, acc[t][j], acc[t][nv > 1 ? j + 1 : j],
				 acc[t][nv > 2 ? j + 2 : j], acc[t][nv > 3 ? j + 3 : j], mm, p,
				 out + j * cstride + t * CT, cstride, masked, m);
		}
	}
#else
#pragma GCC unroll 16
	for (size_t j = 0; j < nb && j < n_out; j++) {
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
#endif
}

/* Output pixels [ox, ox + nb) of every channel; the first n_out stored. */
INLINE void dw_column(size_t k, size_t s, size_t nt, size_t nb, size_t ox,
		      size_t n_out, bool in, size_t channels, size_t cstride,
		      size_t in_w, const int8_t *const *rows, const int8_t *zero,
		      const uint8_t *wt, int8_t *out, const struct xk_qs8_params *p)
{
	const size_t tile = xk_qs8_dwconv_tile_bytes(k, CT, 4);
	const ptrdiff_t ix0 = (ptrdiff_t)(ox * s) - (ptrdiff_t)((k - 1) / 2);
	int8_t *o = out + ox * cstride;
	size_t c = 0;
	for (; c + nt * CT <= channels; c += nt * CT)
		dw_block(k, s, nt, nb, false, V_NOMASK, in, n_out, cstride, in_w, rows,
			 zero + c, c, ix0, wt + c / CT * tile, o + c, p);
	if (nt > 1)
		for (; c + CT <= channels; c += CT)
			dw_block(k, s, 1, nb, false, V_NOMASK, in, n_out, cstride, in_w,
				 rows, zero + c, c, ix0, wt + c / CT * tile, o + c, p);
	if (c < channels)
		dw_block(k, s, 1, nb, true, V_TAILMASK(channels - c), in, n_out, cstride,
			 in_w, rows, zero + c, c, ix0, wt + c / CT * tile, o + c, p);
}

/* Blocks of nb pixels; a last one of at most nb / 2 rounded up (a row of 4,
 * 10 or 12 pixels) in a block that wide: on these small images a full
 * block there would compute up to twice the outputs. */
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
	const uint8_t *wt = w;
	const size_t nb_tail = (nb + 1) / 2;
	/* Output pixels [ox_lo, ox_hi) read only input pixels of the row. */
	const size_t ox_lo = (pad + s - 1) / s;
	const size_t ox_hi =
		xk_min(out_w, in_w + pad >= k ? (in_w + pad - k) / s + 1 : 0);
	for (size_t ox = 0; ox < out_w;) {
		const size_t n_out = xk_min(nb, out_w - ox);
		if (n_out <= nb_tail) {
			const bool in = ox >= ox_lo && ox + nb_tail <= ox_hi;
			dw_column(k, s, nt, nb_tail, ox, n_out, in, channels, cstride,
				  in_w, rows, zero, wt, out, p);
		} else {
			const bool in = ox >= ox_lo && ox + nb <= ox_hi;
			dw_column(k, s, nt, nb, ox, n_out, in, channels, cstride, in_w,
				  rows, zero, wt, out, p);
		}
		ox += n_out;
	}
}

/* NT tiles by NB pixels per block: NT * (NB + K + 1) + 1 vector registers. */
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
