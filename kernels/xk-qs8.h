/* xk-qs8.h - int8 micro-kernel contracts, packed layouts and kernel lists
 * (internal to kernels/, included by xk-ukernel.h).
 *
 * Every int8 kernel ends with the requantization of xk.h, written once here
 * (xk_qs8_requant) for the scalar kernels; vector kernels do the same f32
 * operations in the same order: convert, multiply by m, [h-swish: +3, max 0,
 * min 6, multiply, multiply by 1/6, multiply by r], max lo, min hi, convert
 * rounding to nearest even (the default rounding of cvtps2dq / fcvtns), add
 * zp, narrow. Since lo and hi are integers the clamp before the rounding is
 * the clamp after it, and no value saturates when narrowed.
 *
 * Sums are exact int32: the operators refuse shapes and biases for which
 * bias + 255 * 127 * taps could leave int32 (xk_qs8_max_k). */
#ifndef XK_QS8_H
#define XK_QS8_H

#include <stdint.h>
#include <string.h>

/* CPU features beyond an ISA's base, for kernels that need them. */
enum xk_feature {
	XK_FEAT_NONE,
	XK_FEAT_AVX512VNNI, /* AVX-512 F, BW, VL, DQ and VNNI (vpdpbusd, vpdpwssd) */
	XK_FEAT_DOTPROD,    /* aarch64 SDOT/UDOT (FEAT_DotProd) */
	XK_FEAT_COUNT
};
/* Whether this CPU (and OS) has f; XK_FEAT_NONE is always there. The
 * environment's XK_NO_FEATURES=1 hides every feature (to run the fallbacks). */
bool xk_cpu_has(enum xk_feature f);
const char *xk_feature_name(enum xk_feature f);

/* Requantization constants of one operator (per-channel m[] is packed with
 * the weights). */
struct xk_qs8_params {
	float r;        /* 1 / out.scale, used with h-swish only */
	float lo, hi;   /* clamp, relative to zp: integers */
	int32_t zp;     /* output zero point */
	int32_t hswish;
};

/* Round half to even for |y| <= 2^22, the same bits as cvtps2dq / fcvtns. */
static inline int32_t xk_rne(float y)
{
	float t = y + 12582912.0f; /* 1.5 * 2^23: the sum's last bit is a unit */
	uint32_t u;
	memcpy(&u, &t, 4);
	return (int32_t)u - 0x4B400000;
}

static inline int8_t xk_qs8_requant(int32_t acc, float m,
				    const struct xk_qs8_params *p)
{
	float y = (float)acc * m;
	if (p->hswish) {
		float t = y + 3.0f;
		t = t < 0.0f ? 0.0f : t;
		t = t > 6.0f ? 6.0f : t;
		y = (y * t) * (1.0f / 6.0f);
		y = y * p->r;
	}
	y = y < p->lo ? p->lo : y;
	y = y > p->hi ? p->hi : y;
	return (int8_t)(xk_rne(y) + p->zp);
}

/* ---- qs8 GEMM -------------------------------------------------------------
 * c[i][j] = requant(bias'[j] + sum_k A'(a[i][k]) * w[j][k], m[j]) for i < mr
 * (1 <= mr <= MR), j < nc, kc >= 1, where A'(x) = x + a_offset (a_offset is
 * the kernel's: 128 for kernels that multiply a as unsigned bytes, else 0).
 * Rows of a are a_stride bytes apart, of c c_stride bytes; kernels read only
 * the kc bytes of each row of a.
 * Packed w, for each strip of NR columns (the last one zero-padded):
 *   int32 bias'[NR]   bias[j] - (in.zp + a_offset) * sum_k w[j][k]
 *   float m[NR]
 *   ceil(kc / KR) groups of NR x KR int8: group g holds w[j][g * KR + r] at
 *   [j * KR + r] (zero past kc).
 * Strip bytes: xk_qs8_gemm_strip_bytes; strips follow each other. The
 * kernel walks nc in strips (it may compute several strips at once: the
 * AVX-512 6x16c4 runs 4, as wide as 6x64c4, with less padding). */
typedef void (*xk_qs8_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc,
				       const int8_t *a, size_t a_stride,
				       const void *w, int8_t *c,
				       size_t c_stride,
				       const struct xk_qs8_params *p);

static inline size_t xk_qs8_gemm_strip_bytes(size_t kc, size_t nr, size_t kr)
{
	return nr * 8 + (kc + kr - 1) / kr * kr * nr;
}

/* ---- qs8 depthwise, one output row ----------------------------------------
 * For ox < out_w and c < channels:
 *   out[ox * cstride + c] = requant(bias'[c] + sum over ky, kx of
 *     x(ky, ix) * wt[c][ky][kx], m[c]),   ix = ox * s - (k - 1) / 2 + kx
 * where x(ky, ix) = rows[ky][ix * cstride + c] for rows[ky] != NULL and
 * 0 <= ix < in_w, else zero[c] (the input's zero point: padding is a real 0).
 * Packed w, per tile of CT channels (the last one zero-padded):
 *   int32 bias'[CT]   bias[c] - in.zp * sum of the k*k taps
 *   float m[CT]
 *   k*k taps of CT weights (tap ky * k + kx), each WB bytes: WB 2 = int16,
 *   WB 4 = the int16 in the low half of an int32 whose high half is zero.
 * Tile bytes: xk_qs8_dwconv_tile_bytes. Taps visit ky then kx in order (the
 * sum is exact, so the order is free; it is fixed anyway). */
typedef void (*xk_qs8_dwconv_ukernel_fn)(size_t channels, size_t cstride,
					 size_t in_w, size_t out_w,
					 const int8_t *const *rows,
					 const int8_t *zero, const void *w,
					 int8_t *out,
					 const struct xk_qs8_params *p);

static inline size_t xk_qs8_dwconv_tile_bytes(size_t k, size_t ct, size_t wb)
{
	return ct * 8 + k * k * ct * wb;
}

/* Weight `tap` of channel `c` in a tile (as packed with WB bytes each). */
static inline int32_t xk_qs8_dw_weight(const uint8_t *taps, size_t i,
				       size_t wb)
{
	int16_t v;
	memcpy(&v, taps + i * wb, 2); /* little-endian: the low half */
	return v;
}

/* ---- qs8 add, global average pooling, quantize (xk.h has the formulas) -- */
typedef void (*xk_qs8_vadd_ukernel_fn)(size_t n, const int8_t *a,
				       const int8_t *b, int8_t *out,
				       const struct xk_qs8_add *p);
/* One image: in [pixels][channels] -> out [channels]. */
typedef void (*xk_qs8_gavgpool_ukernel_fn)(size_t pixels, size_t channels,
					   const int8_t *in, int8_t *out,
					   const struct xk_qs8_gavgpool *p);

typedef void (*xk_qs8_quantize_ukernel_fn)(size_t n, const float *in,
					   int8_t *out,
					   const struct xk_qs8_quantize *p);

/* The conversion of one value, as the scalar kernel computes it. */
static inline int8_t xk_qs8_quantize1(float x, const struct xk_qs8_quantize *p)
{
	float y = x * p->inv;
	if (y != y)
		y = 0.0f;
	y = y < p->lo ? p->lo : y;
	y = y > p->hi ? p->hi : y;
	return (int8_t)(xk_rne(y) + p->zp);
}

/* The add of one element, as the scalar kernel computes it. */
static inline int8_t xk_qs8_add1(int8_t a, int8_t b, const struct xk_qs8_add *p)
{
	float y = (float)((int32_t)a - p->za) * p->ma;
	float z = (float)((int32_t)b - p->zb) * p->mb;
	y = y + z;
	y = y < p->lo ? p->lo : y;
	y = y > p->hi ? p->hi : y;
	return (int8_t)(xk_rne(y) + p->zp);
}

/* ---- kernel lists ------------------------------------------------------------
 * Lines of the .inc files, in order of preference within an ISA (the first
 * whose feature the CPU has is used; the others are still tested; GEMMs are
 * chosen per operator among those the CPU has, xk_qs8_gemm_pick):
 *   XK_QS8_GEMM(fn, isa, mr, nr, kr, a_offset, feature)
 *   XK_QS8_DWCONV(fn, isa, k, s, ct, wb, feature)
 *   XK_QS8_VADD(fn, isa, feature)
 *   XK_QS8_GAVGPOOL(fn, isa, feature)
 *   XK_QS8_QUANTIZE(fn, isa, feature)
 * An ISA without int8 kernels (or whose features are missing) uses the next
 * one down: AVX-512 -> AVX2 -> scalar, NEON -> scalar. */
#define XK_QS8_GEMM(fn, isa, mr, nr, kr, a_offset, feature)                    \
	void fn(size_t, size_t, size_t, const int8_t *, size_t, const void *,  \
		int8_t *, size_t, const struct xk_qs8_params *);
#include "qs8-gemm/qs8-gemm.inc"
#undef XK_QS8_GEMM
#define XK_QS8_DWCONV(fn, isa, k, s, ct, wb, feature)                          \
	void fn(size_t, size_t, size_t, size_t, const int8_t *const *,        \
		const int8_t *, const void *, int8_t *,                        \
		const struct xk_qs8_params *);
#include "qs8-dwconv/qs8-dwconv.inc"
#undef XK_QS8_DWCONV
#define XK_QS8_VADD(fn, isa, feature)                                          \
	void fn(size_t, const int8_t *, const int8_t *, int8_t *,              \
		const struct xk_qs8_add *);
#include "qs8-vadd/qs8-vadd.inc"
#undef XK_QS8_VADD
#define XK_QS8_GAVGPOOL(fn, isa, feature)                                      \
	void fn(size_t, size_t, const int8_t *, int8_t *,                      \
		const struct xk_qs8_gavgpool *);
#include "qs8-gavgpool/qs8-gavgpool.inc"
#undef XK_QS8_GAVGPOOL
#define XK_QS8_QUANTIZE(fn, isa, feature)                                      \
	void fn(size_t, const float *, int8_t *, const struct xk_qs8_quantize *);
#include "qs8-quantize/qs8-quantize.inc"
#undef XK_QS8_QUANTIZE

/* A GEMM micro-kernel and its packing (a line of qs8-gemm.inc). */
struct xk_qs8_gemm_kernel {
	xk_qs8_gemm_ukernel_fn fn;
	uint32_t mr, nr, kr;
	int32_t a_offset;
	const char *name;
};
#define XK_QS8_MAX_GEMMS 4

/* What the int8 operators of one ISA use (filled from the lists and the CPU's
 * features, with the fallbacks above). */
struct xk_qs8_kernels {
	xk_qs8_gemm_ukernel_fn gemm;           /* the first listed of gemms[] */
	uint32_t gemm_mr, gemm_nr, gemm_kr;
	int32_t gemm_a_offset;
	struct xk_qs8_gemm_kernel gemms[XK_QS8_MAX_GEMMS]; /* usable, in order */
	uint32_t ngemms;
	xk_qs8_dwconv_ukernel_fn dwconv[3][2]; /* [k 3,5,7][stride 1,2] */
	uint32_t dwconv_ct, dwconv_wb;
	xk_qs8_vadd_ukernel_fn vadd;
	xk_qs8_gavgpool_ukernel_fn gavgpool;
	xk_qs8_quantize_ukernel_fn quantize;
	const char *gemm_name, *dwconv_name;   /* of the chosen kernels */
};
/* For an ISA that is supported here; NULL otherwise. */
const struct xk_qs8_kernels *xk_qs8_kernels(enum xk_isa isa);
/* The GEMM of k for n outputs: the one of k->gemms[] whose strips pad n
 * least (round_up(n, nr) - n), the first on a tie. */
const struct xk_qs8_gemm_kernel *xk_qs8_gemm_pick(const struct xk_qs8_kernels *k,
						  size_t n);

/* Largest K of a qs8 GEMM or patch: the int32 sum cannot overflow. */
#define XK_QS8_MAX_K 16384
#define XK_QS8_MAX_BIAS (1 << 30)

/* Packing (the bias fold uses in_zp + a_offset). bias may be NULL. */
size_t xk_qs8_pack_gemm_size(size_t k, size_t n, size_t nr, size_t kr);
void xk_qs8_pack_gemm(size_t k, size_t n, size_t nr, size_t kr,
		      int32_t a_offset, int32_t in_zp, const int8_t *w,
		      const int32_t *bias, const float *m, void *packed);
size_t xk_qs8_pack_dwconv_size(size_t channels, size_t k, size_t ct,
			       size_t wb);
void xk_qs8_pack_dwconv(size_t channels, size_t k, size_t ct, size_t wb,
			int32_t in_zp, const int8_t *w, const int32_t *bias,
			const float *m, void *packed);
/* Per-channel multipliers and the shared params of an operator. */
void xk_qs8_params_init(struct xk_qs8_params *p, float *m, size_t n,
			const float *wscale, struct xk_qparams in,
			struct xk_qparams out, enum xk_act act);

#endif /* XK_QS8_H */
