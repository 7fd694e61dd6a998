/* ops.c - the GEMM, depthwise and full-convolution operators: check shapes,
 * pack weights once, cut the work into tasks and call the micro-kernels.
 *
 * Every output element is computed the same way whichever tile or task it
 * falls in: bias, then products in one fixed order, then the epilogue (the
 * kernels of one ISA agree on that order, and a zero-padded edge copy gives the
 * values the input would). So the split into tasks may follow the number of
 * threads: one task on one thread, a few contiguous ranges per thread on more,
 * and the bytes of a result do not change. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
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

double xk_min_task_macs = 32768.0;

/* How many tasks to cut `units` units of work, `macs` in all, into: one for a
 * single thread, else up to 4 per thread (for balance), each worth at least
 * xk_min_task_macs. */
size_t xk_task_count(size_t units, double macs, struct xk_threadpool *tp)
{
	size_t threads = xk_threadpool_threads(tp);
	if (threads <= 1 || units <= 1)
		return 1;
	double by_work = macs / xk_min_task_macs;
	size_t t = by_work < 1.0 ? 1 : by_work > 1e9 ? (size_t)1e9 : (size_t)by_work;
	return xk_min(units, xk_min(4 * threads, t));
}

/* The units [*u0, *u1) of task t of n, for `units` units. */
void xk_task_range(size_t units, size_t n, size_t t, size_t *u0, size_t *u1)
{
	*u0 = units * t / n;
	*u1 = units * (t + 1) / n;
}

#define fail XK_FAIL

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

void xk_gemm_work_plan(struct xk_gemm_work *g, size_t m, size_t n, size_t k,
		       size_t mr, size_t nr, size_t strip_bytes, size_t col_tile,
		       struct xk_threadpool *tp)
{
	g->m = m;
	g->n = n;
	g->mr = mr;
	if (col_tile == 0) {
		size_t per_block = xk_max(1, (128 << 10) / strip_bytes);
		col_tile = xk_min(per_block, xk_div_up(n, nr)) * nr;
	}
	g->col_tile = col_tile;
	g->row_tiles = xk_div_up(m, mr);
	g->units = g->row_tiles * xk_div_up(n, col_tile);
	g->tasks = xk_task_count(g->units, (double)m * k * n, tp);
}

void xk_gemm_work_unit(const struct xk_gemm_work *g, size_t u, size_t *i,
		       size_t *mi, size_t *n0, size_t *nc)
{
	*n0 = u / g->row_tiles * g->col_tile;
	*nc = xk_min(g->col_tile, g->n - *n0);
	*i = u % g->row_tiles * g->mr;
	*mi = xk_min(g->mr, g->m - *i);
}

struct gemm_job {
	const struct xk_gemm *op;
	struct xk_gemm_work g;
	const float *a;
	size_t a_stride;
	float *c;
	size_t c_stride;
};

static void gemm_task(void *p, size_t t)
{
	const struct gemm_job *j = p;
	const struct xk_gemm *op = j->op;
	const size_t nr = op->kern->gemm_nr;
	size_t u0, u1;
	xk_task_range(j->g.units, j->g.tasks, t, &u0, &u1);
	for (size_t u = u0; u < u1; u++) {
		size_t i, mi, n0, nc;
		xk_gemm_work_unit(&j->g, u, &i, &mi, &n0, &nc);
		const float *w = op->packed + n0 / nr * nr * (1 + op->k);
		if (j->g.m == 1)
			op->kern->gemm_row(1, nc, op->k, j->a, j->a_stride, w, j->c + n0,
					   j->c_stride, &op->act);
		else
			op->kern->gemm(mi, nc, op->k, j->a + i * j->a_stride, j->a_stride, w,
				       j->c + i * j->c_stride + n0, j->c_stride, &op->act);
	}
}

void xk_gemm_run(const struct xk_gemm *op, size_t m, const float *a,
		 size_t a_stride, float *c, size_t c_stride,
		 struct xk_threadpool *tp)
{
	if (m == 0)
		return;
	const size_t nr = op->kern->gemm_nr;
	struct gemm_job j = {.op = op, .a = a, .a_stride = a_stride, .c = c,
			     .c_stride = c_stride};
	/* One row: 4 strips a unit, so that a call keeps enough accumulators
	 * in flight and large layers still split. */
	xk_gemm_work_plan(&j.g, m, op->n, op->k, m == 1 ? 1 : op->kern->gemm_mr, nr,
			  nr * (1 + op->k) * sizeof(float), m == 1 ? 4 * nr : 0, tp);
	xk_threadpool_run(tp, j.g.tasks, gemm_task, &j);
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

void xk_dw_work_plan(struct xk_dw_work *d, size_t batch, size_t h, size_t w,
		     size_t channels, size_t k, size_t s, size_t ct,
		     struct xk_threadpool *tp)
{
	d->h = h;
	d->w = w;
	d->oh = xk_div_up(h, s);
	d->ow = xk_div_up(w, s);
	d->channels = d->group = channels;
	d->k = k;
	d->s = s;
	d->rows = batch * d->oh;
	size_t threads = xk_threadpool_threads(tp);
	if (threads > 1 && d->rows < 4 * threads) {
		size_t tiles = xk_div_up(channels, ct);
		size_t splits = xk_min(tiles, xk_div_up(4 * threads, d->rows));
		d->group = xk_div_up(tiles, splits) * ct;
	}
	d->units = d->rows * xk_div_up(channels, d->group);
	d->tasks = xk_task_count(d->units, (double)d->rows * d->ow * channels * k * k, tp);
}

size_t xk_dw_work_unit(const struct xk_dw_work *d, size_t u, size_t *c0,
		       size_t *out, size_t in[7])
{
	const size_t C = d->channels, pad = (d->k - 1) / 2, row = u % d->rows;
	const size_t b = row / d->oh, oy = row % d->oh;
	*c0 = u / d->rows * d->group;
	for (size_t ky = 0; ky < d->k; ky++) {
		size_t iy = oy * d->s + ky; /* + pad */
		in[ky] = (iy < pad || iy - pad >= d->h)
				 ? SIZE_MAX
				 : ((b * d->h + iy - pad) * d->w) * C + *c0;
	}
	*out = ((b * d->oh + oy) * d->ow) * C + *c0;
	return xk_min(d->group, C - *c0);
}

struct dwconv_job {
	const struct xk_dwconv *op;
	struct xk_dw_work d;
	const float *in;
	float *out;
};

static void dwconv_task(void *p, size_t t)
{
	const struct dwconv_job *j = p;
	const struct xk_dwconv *op = j->op;
	size_t u0, u1;
	xk_task_range(j->d.units, j->d.tasks, t, &u0, &u1);
	for (size_t u = u0; u < u1; u++) {
		size_t c0, o, in[7];
		size_t n = xk_dw_work_unit(&j->d, u, &c0, &o, in);
		const float *rows[7];
		for (size_t ky = 0; ky < op->k; ky++)
			rows[ky] = in[ky] == SIZE_MAX ? NULL : j->in + in[ky];
		op->fn(n, op->channels, j->d.w, j->d.ow, rows,
		       op->packed + c0 / op->ct * op->ct * (1 + op->k * op->k), j->out + o,
		       &op->act);
	}
}

void xk_dwconv_run(const struct xk_dwconv *op, size_t batch, size_t h,
		   size_t w, const float *in, float *out,
		   struct xk_threadpool *tp)
{
	struct dwconv_job j = {.op = op, .in = in, .out = out};
	xk_dw_work_plan(&j.d, batch, h, w, op->channels, op->k, op->s, op->ct, tp);
	xk_threadpool_run(tp, j.d.tasks, dwconv_task, &j);
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
	size_t rows;       /* batch * oh: the units */
	size_t tasks;
};

/* A row is cut into chunks of one micro-tile, or is one chunk when it fits in
 * two. A chunk whose input span crosses the left or right edge is copied,
 * zero-padded, into a buffer on the stack, so that edge pixels run in full
 * tiles like the others. */
#define CONV_MAX_MR 16
/* span of a chunk: ((2 * mr - 1) * s + k) pixels of cin, k rows; k * cin <=
 * XK_CONV_MAX_PATCH / 3 when k >= 3 (k == 1 never pads). */
#define CONV_EDGE_FLOATS                                                       \
	(((2 * CONV_MAX_MR - 1) * 2 + XK_CONV_MAX_KERNEL) * (XK_CONV_MAX_PATCH / 3))

static void conv_row(const struct conv_job *j, size_t t);

static void conv_task(void *p, size_t t)
{
	const struct conv_job *j = p;
	size_t r0, r1;
	xk_task_range(j->rows, j->tasks, t, &r0, &r1);
	for (size_t r = r0; r < r1; r++)
		conv_row(j, r);
}

/* Output row t (of batch * oh). */
static void conv_row(const struct conv_job *j, size_t t)
{
	const struct xk_conv *op = j->op;
	const size_t k = op->k, s = op->s, cin = op->cin, cout = op->cout;
	const size_t pad = (k - 1) / 2, mr = op->kern->conv_mr;
	const size_t chunk = j->ow <= 2 * mr ? j->ow : mr;
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
				/* zeros (a few pixels), then input pixels
				 * [a, e) + lo - pad, then zeros */
				float *dst = edge + ky * span;
				size_t a = xk_max(lo, pad) - lo, e = xk_min(hi, j->w + pad) - lo;
				for (size_t i = 0; i < a * cin; i++)
					dst[i] = 0.0f;
				memcpy(dst + a * cin, rows[ky] + (lo + a - pad) * cin,
				       (e - a) * cin * sizeof(float));
				for (size_t i = e * cin; i < span; i++)
					dst[i] = 0.0f;
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
			     in, out, 0, 0};
	j.rows = batch * j.oh;
	double macs = (double)j.rows * j.ow * op->cout * op->cin * op->k * op->k;
	j.tasks = xk_task_count(j.rows, macs, tp);
	xk_threadpool_run(tp, j.tasks, conv_task, &j);
}
