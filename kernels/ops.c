/* ops.c - the GEMM, depthwise and full-convolution operators: check shapes,
 * pack weights once, cut the work into tasks and call the micro-kernels.
 *
 * Tiles depend only on the operator and the tensor shape, never on the number
 * of threads, so the bytes of a result do not either. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "xk-ukernel.h"

void xk_act_params_init(struct xk_act_params *p, enum xk_act act)
{
	p->min = -INFINITY;
	p->max = INFINITY;
	p->hswish = act == XK_ACT_HSWISH;
	if (act == XK_ACT_RELU || act == XK_ACT_RELU6)
		p->min = 0.0f;
	if (act == XK_ACT_RELU6)
		p->max = 6.0f;
	p->clamp = act == XK_ACT_RELU || act == XK_ACT_RELU6;
}

#define fail(err, status, ...)                                                 \
	do {                                                                   \
		if (err)                                                       \
			snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__); \
		return (status);                                               \
	} while (0)

/* Resolves XK_ISA_DEFAULT and checks that isa runs here. */
static enum xk_status pick_isa(const char *op, enum xk_isa *isa,
			       const struct xk_isa_kernels **kern,
			       struct xk_error *err)
{
	if (*isa == XK_ISA_DEFAULT) {
		enum xk_status s = xk_isa_default(isa, err);
		if (s != XK_OK)
			return s;
	}
	if ((unsigned)*isa >= XK_ISA_COUNT)
		fail(err, XK_EINVAL, "%s: instruction set %d is not valid", op,
		     (int)*isa);
	if (!xk_isa_supported(*isa))
		fail(err, XK_ENOISA,
		     "%s: instruction set '%s' is not supported here (cpu "
		     "features: %s)",
		     op, xk_isa_name(*isa), xk_cpu_features());
	*kern = xk_isa_kernels(*isa);
	return XK_OK;
}

static enum xk_status check_act(const char *op, enum xk_act act,
				struct xk_error *err)
{
	if ((unsigned)act >= XK_ACT_COUNT)
		fail(err, XK_EINVAL, "%s: activation %d is not valid", op,
		     (int)act);
	return XK_OK;
}

/* ---- GEMM ------------------------------------------------------------------ */

struct xk_gemm {
	enum xk_isa isa;
	const struct xk_isa_kernels *kern;
	size_t k, n;
	float *packed;
	struct xk_act_params act;
};

enum xk_status xk_gemm_create(enum xk_isa isa, size_t k, size_t n,
			      const float *w, const float *bias, enum xk_act act,
			      struct xk_gemm **out, struct xk_error *err)
{
	const struct xk_isa_kernels *kern;
	enum xk_status s = pick_isa("gemm", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if ((s = check_act("gemm", act, err)) != XK_OK)
		return s;
	if (k == 0 || n == 0 || k > (1u << 24) || n > (1u << 24) || w == NULL)
		fail(err, XK_EUNSUPPORTED,
		     "gemm: %zu inputs x %zu outputs: both must be 1 to %u and "
		     "weights given",
		     k, n, 1u << 24);
	struct xk_gemm *op = calloc(1, sizeof(*op));
	float *packed = xk_alloc(xk_pack_gemm_size(k, n, kern->gemm_nr) *
				 sizeof(float));
	if (op == NULL || packed == NULL) {
		free(op);
		xk_free(packed);
		fail(err, XK_ENOMEM, "gemm: out of memory packing %zu x %zu", k,
		     n);
	}
	xk_pack_gemm(k, n, kern->gemm_nr, w, bias, packed);
	op->isa = isa;
	op->kern = kern;
	op->k = k;
	op->n = n;
	op->packed = packed;
	xk_act_params_init(&op->act, act);
	*out = op;
	return XK_OK;
}

void xk_gemm_destroy(struct xk_gemm *op)
{
	if (op == NULL)
		return;
	xk_free(op->packed);
	free(op);
}

enum xk_isa xk_gemm_isa(const struct xk_gemm *op) { return op->isa; }

struct gemm_job {
	const struct xk_gemm *op;
	size_t m;
	const float *a;
	size_t a_stride;
	float *c;
	size_t c_stride;
	size_t row_tile;  /* rows per task */
	size_t col_tile;  /* columns per task, a multiple of nr */
	size_t row_tasks;
};

static void gemm_task(void *p, size_t t)
{
	const struct gemm_job *j = p;
	const struct xk_gemm *op = j->op;
	const size_t nr = op->kern->gemm_nr, mr = op->kern->gemm_mr;
	size_t n0 = t / j->row_tasks * j->col_tile;
	size_t m0 = t % j->row_tasks * j->row_tile;
	size_t nc = xk_min(j->col_tile, op->n - n0);
	size_t m1 = xk_min(m0 + j->row_tile, j->m);
	const float *w = op->packed + n0 / nr * nr * (1 + op->k);
	if (j->m == 1) {
		op->kern->gemm_row(1, nc, op->k, j->a, j->a_stride, w,
				   j->c + n0, j->c_stride, &op->act);
		return;
	}
	for (size_t i = m0; i < m1; i += mr)
		op->kern->gemm(xk_min(mr, m1 - i), nc, op->k,
			       j->a + i * j->a_stride, j->a_stride, w,
			       j->c + i * j->c_stride + n0, j->c_stride, &op->act);
}

void xk_gemm_run(const struct xk_gemm *op, size_t m, const float *a,
		 size_t a_stride, float *c, size_t c_stride,
		 struct xk_threadpool *tp)
{
	if (m == 0)
		return;
	const size_t nr = op->kern->gemm_nr, mr = op->kern->gemm_mr;
	struct gemm_job j = {op, m, a, a_stride, c, c_stride, 0, 0, 0};
	size_t strips = xk_div_up(op->n, nr);
	if (m == 1) {
		/* One row: 4 strips a task, so that tasks keep enough
		 * accumulators in flight and still split large layers. */
		j.row_tile = 1;
		j.col_tile = 4 * nr;
	} else {
		/* Column blocks of packed weights that stay in L2 (about
		 * 128 KiB), row blocks of one micro-tile. */
		size_t strip_bytes = nr * (1 + op->k) * sizeof(float);
		size_t per_block = xk_max(1, (128 << 10) / strip_bytes);
		j.col_tile = xk_min(per_block, strips) * nr;
		j.row_tile = mr;
	}
	j.row_tasks = xk_div_up(m, j.row_tile);
	size_t col_tasks = xk_div_up(op->n, j.col_tile);
	xk_threadpool_run(tp, j.row_tasks * col_tasks, gemm_task, &j);
}

/* ---- depthwise ------------------------------------------------------------- */

struct xk_dwconv {
	enum xk_isa isa;
	xk_f32_dwconv_ukernel_fn fn;
	size_t channels, k, s, ct;
	float *packed;
	struct xk_act_params act;
};

enum xk_status xk_dwconv_create(enum xk_isa isa, size_t channels,
				size_t kernel, size_t stride, const float *w,
				const float *bias, enum xk_act act,
				struct xk_dwconv **out, struct xk_error *err)
{
	const struct xk_isa_kernels *kern;
	enum xk_status s = pick_isa("dwconv", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if ((s = check_act("dwconv", act, err)) != XK_OK)
		return s;
	if (kernel != 3 && kernel != 5 && kernel != 7)
		fail(err, XK_EUNSUPPORTED,
		     "dwconv: kernel %zux%zu not supported: use 3, 5 or 7", kernel,
		     kernel);
	if (stride != 1 && stride != 2)
		fail(err, XK_EUNSUPPORTED,
		     "dwconv: stride %zu not supported: use 1 or 2", stride);
	if (channels == 0 || channels > (1u << 20) || w == NULL)
		fail(err, XK_EUNSUPPORTED,
		     "dwconv: %zu channels: must be 1 to %u and weights given",
		     channels, 1u << 20);
	size_t ct = kern->dwconv_ct;
	struct xk_dwconv *op = calloc(1, sizeof(*op));
	float *packed = xk_alloc(xk_pack_dwconv_size(channels, kernel, ct) *
				 sizeof(float));
	if (op == NULL || packed == NULL) {
		free(op);
		xk_free(packed);
		fail(err, XK_ENOMEM, "dwconv: out of memory");
	}
	xk_pack_dwconv(channels, kernel, ct, w, bias, packed);
	op->isa = isa;
	op->fn = kern->dwconv[kernel / 2 - 1][stride - 1];
	op->channels = channels;
	op->k = kernel;
	op->s = stride;
	op->ct = ct;
	op->packed = packed;
	xk_act_params_init(&op->act, act);
	*out = op;
	return XK_OK;
}

void xk_dwconv_destroy(struct xk_dwconv *op)
{
	if (op == NULL)
		return;
	xk_free(op->packed);
	free(op);
}

enum xk_isa xk_dwconv_isa(const struct xk_dwconv *op) { return op->isa; }

/* Spatial sizes are bounded so that every index fits comfortably. */
#define MAX_SIDE (1u << 16)

enum xk_status xk_dwconv_check(const struct xk_dwconv *op, size_t batch,
			       size_t h, size_t w, struct xk_error *err)
{
	if (batch == 0 || h == 0 || w == 0 || h > MAX_SIDE || w > MAX_SIDE ||
	    batch > MAX_SIDE)
		fail(err, XK_EUNSUPPORTED,
		     "dwconv: input %zux%zux%zux%zu (NHWC) not supported: sizes "
		     "must be 1 to %u",
		     batch, h, w, op->channels, MAX_SIDE);
	return XK_OK;
}

struct dwconv_job {
	const struct xk_dwconv *op;
	size_t h, w, oh, ow;
	const float *in;
	float *out;
	size_t group;      /* channels per task, a multiple of ct */
	size_t groups;
};

static void dwconv_task(void *p, size_t t)
{
	const struct dwconv_job *j = p;
	const struct xk_dwconv *op = j->op;
	const size_t C = op->channels, k = op->k, pad = (k - 1) / 2;
	size_t g = t % j->groups, row = t / j->groups;
	size_t b = row / j->oh, oy = row % j->oh;
	size_t c0 = g * j->group;
	const float *rows[7];
	for (size_t ky = 0; ky < k; ky++) {
		size_t iy = oy * op->s + ky; /* + pad */
		rows[ky] = (iy < pad || iy - pad >= j->h)
				   ? NULL
				   : j->in + ((b * j->h + iy - pad) * j->w) * C + c0;
	}
	op->fn(xk_min(j->group, C - c0), C, j->w, j->ow, rows,
	       op->packed + c0 / op->ct * op->ct * (1 + k * k),
	       j->out + ((b * j->oh + oy) * j->ow) * C + c0, &op->act);
}

void xk_dwconv_run(const struct xk_dwconv *op, size_t batch, size_t h,
		   size_t w, const float *in, float *out,
		   struct xk_threadpool *tp)
{
	struct dwconv_job j = {op, h, w, xk_div_up(h, op->s), xk_div_up(w, op->s),
			       in, out, 0, 0};
	/* Rows are the tasks; when there are few, channels are split too (in
	 * groups of whole channel tiles), so that small late layers spread. */
	size_t rows = batch * j.oh;
	size_t splits = rows >= 16 ? 1 : xk_div_up(16, rows);
	j.group = xk_round_up(xk_div_up(op->channels, splits), op->ct);
	j.groups = xk_div_up(op->channels, j.group);
	xk_threadpool_run(tp, rows * j.groups, dwconv_task, &j);
}

/* ---- full convolution ------------------------------------------------------ */

struct xk_conv {
	enum xk_isa isa;
	const struct xk_isa_kernels *kern;
	size_t cin, cout, k, s;
	float *packed;
	struct xk_act_params act;
};

enum xk_status xk_conv_create(enum xk_isa isa, size_t cin, size_t cout,
			      size_t kernel, size_t stride, const float *w,
			      const float *bias, enum xk_act act,
			      struct xk_conv **out, struct xk_error *err)
{
	const struct xk_isa_kernels *kern;
	enum xk_status s = pick_isa("conv", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if ((s = check_act("conv", act, err)) != XK_OK)
		return s;
	if (kernel == 0 || kernel % 2 == 0 || kernel > XK_CONV_MAX_KERNEL)
		fail(err, XK_EUNSUPPORTED,
		     "conv: kernel %zux%zu not supported: use an odd size up to %d",
		     kernel, kernel, XK_CONV_MAX_KERNEL);
	if (stride != 1 && stride != 2)
		fail(err, XK_EUNSUPPORTED,
		     "conv: stride %zu not supported: use 1 or 2", stride);
	if (cin == 0 || cout == 0 || cout > (1u << 16) || w == NULL ||
	    cin * kernel * kernel > XK_CONV_MAX_PATCH)
		fail(err, XK_EUNSUPPORTED,
		     "conv: %zu -> %zu channels with a %zux%zu kernel not "
		     "supported: the patch (cin x k x k) must be at most %d",
		     cin, cout, kernel, kernel, XK_CONV_MAX_PATCH);
	struct xk_conv *op = calloc(1, sizeof(*op));
	float *packed = xk_alloc(xk_pack_conv_size(cin, cout, kernel,
						   kern->conv_nr) *
				 sizeof(float));
	if (op == NULL || packed == NULL) {
		free(op);
		xk_free(packed);
		fail(err, XK_ENOMEM, "conv: out of memory");
	}
	xk_pack_conv(cin, cout, kernel, kern->conv_nr, w, bias, packed);
	op->isa = isa;
	op->kern = kern;
	op->cin = cin;
	op->cout = cout;
	op->k = kernel;
	op->s = stride;
	op->packed = packed;
	xk_act_params_init(&op->act, act);
	*out = op;
	return XK_OK;
}

void xk_conv_destroy(struct xk_conv *op)
{
	if (op == NULL)
		return;
	xk_free(op->packed);
	free(op);
}

enum xk_isa xk_conv_isa(const struct xk_conv *op) { return op->isa; }

enum xk_status xk_conv_check(const struct xk_conv *op, size_t batch, size_t h,
			     size_t w, struct xk_error *err)
{
	if (batch == 0 || h == 0 || w == 0 || h > MAX_SIDE || w > MAX_SIDE ||
	    batch > MAX_SIDE)
		fail(err, XK_EUNSUPPORTED,
		     "conv: input %zux%zux%zux%zu (NHWC) not supported: sizes "
		     "must be 1 to %u",
		     batch, h, w, op->cin, MAX_SIDE);
	return XK_OK;
}

struct conv_job {
	const struct xk_conv *op;
	size_t h, w, oh, ow;
	const float *in;
	float *out;
};

/* A row is cut into chunks of CONV_CHUNK_TILES micro-tiles. A chunk whose input
 * span crosses the left or right edge is copied, zero-padded, into a buffer on
 * the stack, so that edge pixels run in full tiles like the others. */
#define CONV_CHUNK_TILES 1
#define CONV_MAX_MR 16
/* span of a chunk: ((CONV_CHUNK_TILES * mr - 1) * s + k) pixels of cin, k rows;
 * k * cin <= XK_CONV_MAX_PATCH / 3 when k >= 3 (k == 1 never pads). */
#define CONV_EDGE_FLOATS \
	(((CONV_CHUNK_TILES * CONV_MAX_MR - 1) * 2 + XK_CONV_MAX_KERNEL) * (XK_CONV_MAX_PATCH / 3))

static void conv_task(void *p, size_t t)
{
	const struct conv_job *j = p;
	const struct xk_conv *op = j->op;
	const size_t k = op->k, s = op->s, cin = op->cin, cout = op->cout;
	const size_t pad = (k - 1) / 2, mr = op->kern->conv_mr;
	const size_t chunk = CONV_CHUNK_TILES * mr;
	size_t b = t / j->oh, oy = t % j->oh;
	const float *rows[XK_CONV_MAX_KERNEL]; /* pixel 0 of each input row */
	for (size_t ky = 0; ky < k; ky++) {
		size_t iy = oy * s + ky;
		rows[ky] = (iy < pad || iy - pad >= j->h)
				   ? NULL
				   : j->in + (b * j->h + iy - pad) * j->w * cin;
	}
	float *out = j->out + (b * j->oh + oy) * j->ow * cout;
	float edge[CONV_EDGE_FLOATS];
	for (size_t x0 = 0; x0 < j->ow; x0 += chunk) {
		size_t x1 = xk_min(x0 + chunk, j->ow);
		/* input pixels [lo, hi) + pad of this chunk */
		size_t lo = x0 * s, hi = (x1 - 1) * s + k;
		const float *trow[XK_CONV_MAX_KERNEL];
		if (lo >= pad && hi - pad <= j->w) {
			for (size_t ky = 0; ky < k; ky++)
				trow[ky] = rows[ky] ? rows[ky] + (lo - pad) * cin : NULL;
		} else {
			size_t span = (hi - lo) * cin;
			assert(span * k <= CONV_EDGE_FLOATS);
			for (size_t ky = 0; ky < k; ky++) {
				trow[ky] = NULL;
				if (rows[ky] == NULL)
					continue;
				/* zeros, then input pixels [a, e) + pad, then zeros */
				float *dst = edge + ky * span;
				size_t a = xk_max(lo, pad), e = xk_min(hi, j->w + pad);
				memset(dst, 0, (a - lo) * cin * sizeof(float));
				memcpy(dst + (a - lo) * cin, rows[ky] + (a - pad) * cin,
				       (e - a) * cin * sizeof(float));
				memset(dst + (e - lo) * cin, 0, (hi - e) * cin * sizeof(float));
				trow[ky] = dst;
			}
		}
		for (size_t ox = x0; ox < x1; ox += mr) {
			const float *tile[XK_CONV_MAX_KERNEL];
			for (size_t ky = 0; ky < k; ky++)
				tile[ky] = trow[ky] ? trow[ky] + (ox - x0) * s * cin : NULL;
			op->kern->conv(xk_min(mr, x1 - ox), cout, k, k * cin, s * cin,
				       tile, op->packed, out + ox * cout, cout, &op->act);
		}
	}
}

void xk_conv_run(const struct xk_conv *op, size_t batch, size_t h, size_t w,
		 const float *in, float *out, struct xk_threadpool *tp)
{
	struct conv_job j = {op, h, w, xk_div_up(h, op->s), xk_div_up(w, op->s),
			     in, out};
	xk_threadpool_run(tp, batch * j.oh, conv_task, &j);
}
