/* xk-ukernel.h - micro-kernel contracts, packed-weight layouts and the per-ISA
 * kernel lists (internal to kernels/, used by its tests and benchmarks).
 *
 * Micro-kernels do not allocate and do not fail: their preconditions are
 * asserts, and the operators in xk-ops.c check shapes before calling them.
 * Strides are in floats.
 *
 * Every kernel ends with the same epilogue, in this order:
 *   y = acc                                   (bias + products, order below)
 *   if (hswish) y = (y * min(max(y + 3, 0), 6)) * (1 / 6)
 *   y = min(max(y, min), max)     (skipped when both bounds are infinite)
 *
 * Vector kernels copy *p into a local first: c may alias p as far as the
 * compiler knows, and the fields would be reloaded after every store. */
#ifndef XK_UKERNEL_H
#define XK_UKERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xk.h"

#if defined(__x86_64__)
#define XK_ARCH_X86_64 1
#else
#define XK_ARCH_X86_64 0
#endif
#if defined(__aarch64__)
#define XK_ARCH_AARCH64 1
#else
#define XK_ARCH_AARCH64 0
#endif

struct xk_act_params {
	float min;      /* lower clamp (-INFINITY for none) */
	float max;      /* upper clamp (+INFINITY for none) */
	int32_t hswish; /* apply h-swish before the clamp */
	int32_t clamp;  /* min or max is finite (else the clamp is skipped) */
};

/* Fills p for act; cannot fail. */
void xk_act_params_init(struct xk_act_params *p, enum xk_act act);

/* The epilogue on one value, as the scalar kernels compute it. */
static inline float xk_epilogue(float y, const struct xk_act_params *p)
{
	if (p->hswish) {
		float t = y + 3.0f;
		t = t < 0.0f ? 0.0f : t;
		t = t > 6.0f ? 6.0f : t;
		y = (y * t) * (1.0f / 6.0f);
	}
	if (p->clamp) {
		y = y < p->min ? p->min : y;
		y = y > p->max ? p->max : y;
	}
	return y;
}

/* ---- f32 GEMM ---------------------------------------------------------------
 * c[i][j] = epilogue(bias[j] + a[i][0]*w[0][j] + a[i][1]*w[1][j] + ...), the sum
 * taken in order of k, for i < mr (1 <= mr <= MR) and j < nc (nc >= 1), kc >= 1.
 * Packed w: for each strip of NR columns, NR bias floats, then kc rows of NR
 * floats (w[k * NR + j]); strips follow each other, the last one zero-padded.
 * The kernel walks nc in strips of NR itself. */
typedef void (*xk_f32_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc,
				       const float *a, size_t a_stride,
				       const float *w, float *c,
				       size_t c_stride,
				       const struct xk_act_params *p);

/* ---- f32 depthwise convolution, one output row ------------------------------
 * For ox < out_w and c < channels:
 *   out[ox * cstride + c] = epilogue(bias[c] + sum over ky = 0..k-1 with
 *     rows[ky] != NULL, then kx = 0..k-1 with 0 <= ix < in_w, of
 *     rows[ky][ix * cstride + c] * wt[c][ky][kx]),   ix = ox * s - (k - 1) / 2 + kx
 * rows[ky] points at pixel 0 of input row oy * s - (k - 1) / 2 + ky (NULL when
 * that row is padding). cstride >= channels is the pixel stride of in and out.
 * Packed w: for each tile of CT channels, CT bias floats, then k*k taps of CT
 * floats (w[(ky * k + kx) * CT + c]); the last tile zero-padded. k and s are
 * part of the kernel. */
typedef void (*xk_f32_dwconv_ukernel_fn)(size_t channels, size_t cstride,
					 size_t in_w, size_t out_w,
					 const float *const *rows,
					 const float *w, float *out,
					 const struct xk_act_params *p);

/* ---- f32 full convolution: mr output pixels of one row ----------------------
 * For j < mr (1 <= mr <= MR) and o < nc:
 *   c[j * c_stride + o] = epilogue(bias[o] + sum over ky = 0..kh-1 with
 *     rows[ky] != NULL, then t = 0..kwc-1, of rows[ky][j * xstride + t] * w[ky][t][o])
 * kwc = kw * cin (a row of a pixel's patch is contiguous in NHWC), xstride =
 * stride * cin. rows[ky] points at the first tap of pixel 0 in that row.
 * Packed w: for each strip of NR output channels, NR bias floats, then kh*kwc
 * rows of NR floats; the last strip zero-padded. The kernel walks nc in strips. */
typedef void (*xk_f32_conv_ukernel_fn)(size_t mr, size_t nc, size_t kh,
				       size_t kwc, size_t xstride,
				       const float *const *rows,
				       const float *w, float *c,
				       size_t c_stride,
				       const struct xk_act_params *p);

/* ---- Kernel lists -----------------------------------------------------------
 * Each family's .inc file holds one line per kernel:
 *   XK_F32_GEMM(fn, isa, mr, nr)
 *   XK_F32_DWCONV(fn, isa, k, s, ct)
 *   XK_F32_CONV(fn, isa, mr, nr)
 * Define the macro, include the file, undefine it. Declarations, dispatch,
 * tests and benchmarks all expand the same lists. */
#define XK_F32_GEMM(fn, isa, mr, nr)                                           \
	void fn(size_t, size_t, size_t, const float *, size_t, const float *,  \
		float *, size_t, const struct xk_act_params *);
#include "f32-gemm/f32-gemm.inc"
#undef XK_F32_GEMM

#define XK_F32_DWCONV(fn, isa, k, s, ct)                                       \
	void fn(size_t, size_t, size_t, size_t, const float *const *,         \
		const float *, float *, const struct xk_act_params *);
#include "f32-dwconv/f32-dwconv.inc"
#undef XK_F32_DWCONV

#define XK_F32_CONV(fn, isa, mr, nr)                                           \
	void fn(size_t, size_t, size_t, size_t, size_t, const float *const *, \
		const float *, float *, size_t, const struct xk_act_params *);
#include "f32-conv/f32-conv.inc"
#undef XK_F32_CONV

/* ---- Dispatch ---------------------------------------------------------------
 * What the operators use for one instruction set: the GEMM kernel with the
 * largest MR, a one-row kernel for M == 1 (may be the same), one depthwise
 * kernel per (k, s) and the convolution kernel. */
struct xk_isa_kernels {
	xk_f32_gemm_ukernel_fn gemm;       /* main GEMM kernel */
	xk_f32_gemm_ukernel_fn gemm_row;   /* for a single row */
	uint32_t gemm_mr, gemm_nr;         /* tile of gemm; gemm_row is 1 x gemm_nr */
	xk_f32_dwconv_ukernel_fn dwconv[3][2]; /* [k 3,5,7][stride 1,2] */
	uint32_t dwconv_ct;                /* channel tile of the packing */
	xk_f32_conv_ukernel_fn conv;
	uint32_t conv_mr, conv_nr;
};

/* The kernels for isa, or NULL when this build has none for it. */
const struct xk_isa_kernels *xk_isa_kernels(enum xk_isa isa);

/* Packing, shared by operators, tests and benchmarks. Sizes in floats. */
size_t xk_pack_gemm_size(size_t k, size_t n, size_t nr);
/* w is [n][k] (PyTorch); bias may be NULL. Cannot fail. */
void xk_pack_gemm(size_t k, size_t n, size_t nr, const float *w,
		  const float *bias, float *packed);
size_t xk_pack_dwconv_size(size_t channels, size_t k, size_t ct);
/* w is [channels][k][k]. */
void xk_pack_dwconv(size_t channels, size_t k, size_t ct, const float *w,
		    const float *bias, float *packed);
size_t xk_pack_conv_size(size_t cin, size_t cout, size_t k, size_t nr);
/* w is [cout][cin][k][k]; packed rows are ordered [ky][kx][ci]. */
void xk_pack_conv(size_t cin, size_t cout, size_t k, size_t nr, const float *w,
		  const float *bias, float *packed);

/* Operators do not hand a task of fewer multiply-adds than this to another
 * thread (a hand-off costs about a microsecond when workers sleep). 32768;
 * tests lower it to split even small shapes into many tasks. */
extern double xk_min_task_macs;

/* How many tasks to cut `units` units of work (`macs` in all) into for tp, and
 * the units [*u0, *u1) of task t of n (ops.c; the int8 operators share them). */
size_t xk_task_count(size_t units, double macs, struct xk_threadpool *tp);
void xk_task_range(size_t units, size_t n, size_t t, size_t *u0, size_t *u1);

/* The GEMM operators' work (ops.c; the int8 one shares it). A unit is one
 * micro-tile row block (mr rows) by one column block; units go down the rows
 * of a column block first, so a task's units share their packed weights.
 * Column blocks are col_tile columns, or (col_tile 0) as many strips of nr
 * columns (strip_bytes each when packed) as stay in L2, about 128 KiB. */
struct xk_gemm_work {
	size_t m, n, mr;
	size_t col_tile;   /* columns per unit, a multiple of nr */
	size_t row_tiles;  /* units per column block */
	size_t units, tasks;
};
void xk_gemm_work_plan(struct xk_gemm_work *g, size_t m, size_t n, size_t k,
		       size_t mr, size_t nr, size_t strip_bytes, size_t col_tile,
		       struct xk_threadpool *tp);
/* Unit u: rows [*i, *i + *mi) and columns [*n0, *n0 + *nc). */
void xk_gemm_work_unit(const struct xk_gemm_work *g, size_t u, size_t *i,
		       size_t *mi, size_t *n0, size_t *nc);

/* The depthwise operators' work (ops.c; the int8 one shares it). A unit is
 * one output row of one group of channels (whole tiles of ct); units go along
 * the rows of a group first, so a task's rows are neighbours and share input
 * rows. With few rows for the threads, the channels are split too, so that
 * small late layers spread. Offsets count elements of an NHWC tensor. */
struct xk_dw_work {
	size_t h, w, oh, ow, channels, k, s;
	size_t group;  /* channels per group, a multiple of ct */
	size_t rows;   /* batch * oh: units per group */
	size_t units, tasks;
};
void xk_dw_work_plan(struct xk_dw_work *d, size_t batch, size_t h, size_t w,
		     size_t channels, size_t k, size_t s, size_t ct,
		     struct xk_threadpool *tp);
/* Unit u: its first channel *c0, its output row's offset *out, and each
 * kernel row's input row offset in[ky] (SIZE_MAX: a padding row); returns
 * the group's channel count. */
size_t xk_dw_work_unit(const struct xk_dw_work *d, size_t u, size_t *c0,
		       size_t *out, size_t in[7]);

/* Memory aligned to 64 bytes, freed with xk_free; NULL on failure. */
void *xk_alloc(size_t bytes);
void xk_free(void *p);

/* Error messages: err is any struct with a char msg[] array, or NULL. */
#define XK_SETERR(err, ...)                                                    \
	do {                                                                   \
		if (err)                                                       \
			snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__); \
	} while (0)
/* Sets the message and returns status. */
#define XK_FAIL(err, status, ...)                                              \
	do {                                                                   \
		XK_SETERR(err, __VA_ARGS__);                                   \
		return (status);                                               \
	} while (0)

static inline size_t xk_round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }
static inline size_t xk_div_up(size_t x, size_t q) { return (x + q - 1) / q; }
static inline size_t xk_min(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t xk_max(size_t a, size_t b) { return a > b ? a : b; }

#include "xk-qs8.h"

#endif /* XK_UKERNEL_H */
