/* extract.c - a sub-net out of the supernet: the graph, its sliced weights,
 * BN recalibration and folding.
 *
 * Slicing: a block's expanded channels are the first in*e of the supernet's
 * in*emax (pw1 rows, BN entries, dw channels, pw2 columns). A k x k depthwise
 * kernel is the centre of the next larger one, passed through that size's
 * learned transform when the space has them (w_k = T_k . centre_k(w_next),
 * per channel), from the largest down.
 *
 * Recalibration (the definition shared with scripts/train_supernet.py): one
 * forward pass over the first recal_images images as one batch, each BN in
 * training mode (normalizing with the batch's mean and biased variance over
 * N*H*W); its statistics become the batch's mean and unbiased variance. It
 * runs the scalar kernels (built without FP contraction) and sums in double
 * over fixed blocks of rows in a fixed order, so the statistics, and the
 * folded weights, are the same bits on every machine and thread count.
 *
 * Folding: s = gamma / sqrt(var + eps); W' = W * s per output channel;
 * b' = beta - mean * s (in double, rounded once to f32). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs-internal.h"

#define STAT_ROWS 1024  /* rows per partial sum: fixed, so sums are too */

/* A BN that follows node `node`. */
struct bn {
	const float *gamma, *beta, *mean, *var;  /* supernet tensors, sliced */
	uint32_t channels;
	enum xk_act act;                         /* applied after it */
	double *rmean, *rvar;                    /* recalibrated (owned) */
};

struct builder {
	const struct xs_supernet *sn;
	struct xs_model *m;
	size_t cap_values, cap_nodes, cap_weights;
	struct bn *bns;        /* per node; channels 0 where none */
	struct xs_error *err;
	enum xs_status status;
};

static bool fail_nomem(struct builder *b)
{
	if (b->status == XS_OK) {
		b->status = XS_ENOMEM;
		XK_SETERR(b->err, "extract: out of memory");
	}
	return false;
}

static const float *tensor(struct builder *b, const char *name)
{
	const struct xs_tensor *t = xs_supernet_tensor(b->sn, name);
	if (t == NULL && b->status == XS_OK) {
		/* xs_supernet_load checked every tensor of the space: unreachable
		 * unless the struct was changed after loading */
		b->status = XS_EFORMAT;
		XK_SETERR(b->err, "extract: supernet tensor '%s' is missing", name);
	}
	return t ? t->data : NULL;
}

static uint32_t add_value(struct builder *b, uint32_t h, uint32_t w, uint32_t c)
{
	struct xs_model *m = b->m;
	if (m->nvalues == b->cap_values) {
		size_t cap = b->cap_values ? 2 * b->cap_values : 64;
		struct xs_value *v = realloc(m->values, cap * sizeof(*v));
		if (v == NULL)
			return fail_nomem(b), 0;
		m->values = v;
		b->cap_values = cap;
	}
	m->values[m->nvalues] = (struct xs_value){.h = h, .w = w, .c = c};
	return m->nvalues++;
}

/* Reserves n floats of weights; returns the offset. */
static uint64_t add_weights(struct builder *b, size_t n)
{
	struct xs_model *m = b->m;
	if (m->nweights + n > b->cap_weights) {
		size_t cap = b->cap_weights ? b->cap_weights : 1 << 16;
		while (cap < m->nweights + n)
			cap *= 2;
		float *w = xk_alloc(cap * sizeof(float));
		if (w == NULL)
			return fail_nomem(b), 0;
		if (m->weights)
			memcpy(w, m->weights, m->nweights * sizeof(float));
		xk_free(m->weights);
		m->weights = w;
		b->cap_weights = cap;
	}
	uint64_t off = m->nweights;
	memset(m->weights + off, 0, n * sizeof(float));
	m->nweights += n;
	return off;
}

/* Appends a node writing a new value of h x w x c; returns the value id. */
static uint32_t add_node(struct builder *b, enum xs_op op, uint32_t in0,
			 uint32_t in1, uint32_t h, uint32_t w, uint32_t c,
			 uint32_t k, uint32_t s, enum xk_act act)
{
	struct xs_model *m = b->m;
	if (b->status != XS_OK)
		return 0;
	if (m->nnodes == b->cap_nodes) {
		size_t cap = b->cap_nodes ? 2 * b->cap_nodes : 64;
		struct xs_node *n = realloc(m->nodes, cap * sizeof(*n));
		struct bn *bn = realloc(b->bns, cap * sizeof(*bn));
		if (n)
			m->nodes = n;
		if (bn)
			b->bns = bn;
		if (n == NULL || bn == NULL)
			return fail_nomem(b), 0;
		b->cap_nodes = cap;
	}
	uint32_t out = add_value(b, h, w, c);
	if (b->status != XS_OK)
		return 0;
	m->nodes[m->nnodes] = (struct xs_node){op, {in0, in1}, out, act, k, s, 0, 0};
	memset(&b->bns[m->nnodes], 0, sizeof(b->bns[0]));
	m->nnodes++;
	return out;
}

/* The BN called prefix (first c channels) after the last node; the node's
 * activation moves after it. */
static void attach_bn(struct builder *b, const char *prefix, uint32_t c)
{
	if (b->status != XS_OK)
		return;
	char name[80];
	struct bn *bn = &b->bns[b->m->nnodes - 1];
	struct xs_node *n = &b->m->nodes[b->m->nnodes - 1];
	snprintf(name, sizeof(name), "%s.weight", prefix);
	bn->gamma = tensor(b, name);
	snprintf(name, sizeof(name), "%s.bias", prefix);
	bn->beta = tensor(b, name);
	snprintf(name, sizeof(name), "%s.running_mean", prefix);
	bn->mean = tensor(b, name);
	snprintf(name, sizeof(name), "%s.running_var", prefix);
	bn->var = tensor(b, name);
	bn->channels = c;
	bn->act = (enum xk_act)n->act;
	n->act = XK_ACT_NONE;
	/* every BN'd node has a bias slot; it stays zero until folding */
	n->b = add_weights(b, c);
}

static uint32_t div_up(uint32_t a, uint32_t s) { return (a + s - 1) / s; }

/* Weights of a 1x1 convolution: rows [0, cout) and columns [0, cin) of a
 * [rows][ld] tensor. */
static void pointwise(struct builder *b, const char *name, uint32_t cout,
		      uint32_t cin, uint32_t ld)
{
	const float *src = tensor(b, name);
	uint64_t off = add_weights(b, (size_t)cout * cin);
	if (b->status != XS_OK)
		return;
	for (uint32_t o = 0; o < cout; o++)
		memcpy(b->m->weights + off + (size_t)o * cin, src + (size_t)o * ld,
		       cin * sizeof(float));
	b->m->nodes[b->m->nnodes - 1].w = off;
}

/* The k x k depthwise kernel of `channels` channels of block prefix. */
static void depthwise(struct builder *b, const char *prefix, uint32_t channels,
		      uint32_t k)
{
	const struct xs_space *sp = &b->sn->space;
	const uint32_t kmax = sp->kernels[sp->nkernels - 1];
	char name[80];
	snprintf(name, sizeof(name), "%s.dw", prefix);
	const float *dw = tensor(b, name);
	uint64_t off = add_weights(b, (size_t)channels * k * k);
	if (b->status != XS_OK)
		return;
	float *out = b->m->weights + off;
	b->m->nodes[b->m->nnodes - 1].w = off;
	/* the transforms, from the largest size down to k */
	const float *t[XS_MAX_CHOICES] = {0};
	uint32_t first = 0;
	while (sp->kernels[first] != k)
		first++;
	for (uint32_t i = first; sp->kernel_transform && i + 1 < sp->nkernels; i++) {
		snprintf(name, sizeof(name), "%s.t%u", prefix, sp->kernels[i]);
		t[i] = tensor(b, name);
		if (t[i] == NULL)
			return;
	}
	float cur[XK_CONV_MAX_KERNEL * XK_CONV_MAX_KERNEL * 2];
	float next[XK_CONV_MAX_KERNEL * XK_CONV_MAX_KERNEL * 2];
	for (uint32_t c = 0; c < channels; c++) {
		uint32_t size = kmax;
		memcpy(cur, dw + (size_t)c * kmax * kmax, kmax * kmax * sizeof(float));
		for (uint32_t i = sp->nkernels - 1; i-- > first;) {
			const uint32_t ks = sp->kernels[i], o = (size - ks) / 2;
			float centre[XK_CONV_MAX_KERNEL * XK_CONV_MAX_KERNEL];
			for (uint32_t y = 0; y < ks; y++)
				for (uint32_t x = 0; x < ks; x++)
					centre[y * ks + x] = cur[(y + o) * size + x + o];
			for (uint32_t r = 0; r < ks * ks; r++) {
				if (!sp->kernel_transform) {
					next[r] = centre[r];
					continue;
				}
				double acc = 0.0;  /* fixed order: every machine the same */
				for (uint32_t j = 0; j < ks * ks; j++)
					acc += (double)centre[j] * (double)t[i][r * ks * ks + j];
				next[r] = (float)acc;
			}
			memcpy(cur, next, ks * ks * sizeof(float));
			size = ks;
		}
		memcpy(out + (size_t)c * k * k, cur, k * k * sizeof(float));
	}
}

/* Builds the unfolded graph of arch a: convolutions with their supernet
 * weights, each followed by a BN (b->bns) that carries its activation. */
static void build(struct builder *b, const struct xs_arch *a)
{
	const struct xs_space *sp = &b->sn->space;
	const uint32_t emax = sp->expands[sp->nexpands - 1];
	struct xs_model *m = b->m;
	uint32_t x = add_value(b, sp->in_h, sp->in_w, sp->in_c);
	uint32_t h = sp->in_h, w = sp->in_w;
	if (a->r != sp->in_h || a->r != sp->in_w) {
		x = add_node(b, XS_OP_RESIZE, x, 0, a->r, a->r, sp->in_c, 0, 0, XK_ACT_NONE);
		h = w = a->r;
	}
	h = div_up(h, sp->stem_s);
	w = div_up(w, sp->stem_s);
	x = add_node(b, XS_OP_CONV, x, 0, h, w, sp->stem_out, sp->stem_k, sp->stem_s,
		     sp->stem_act);
	if (b->status == XS_OK) {
		size_t n = (size_t)sp->stem_out * sp->in_c * sp->stem_k * sp->stem_k;
		uint64_t off = add_weights(b, n);
		const float *src = tensor(b, "stem.weight");
		if (b->status == XS_OK) {
			memcpy(m->weights + off, src, n * sizeof(float));
			m->nodes[m->nnodes - 1].w = off;
		}
	}
	attach_bn(b, "stem_bn", sp->stem_out);
	uint32_t c = sp->stem_out;
	for (uint32_t st = 0; st < sp->nstages; st++) {
		const struct xs_stage *g = &sp->stage[st];
		for (uint32_t i = 0; i < a->d[st]; i++) {
			const uint32_t mid = c * a->e[st][i], k = a->k[st][i];
			const uint32_t s = i == 0 ? g->stride : 1;
			char p[32], name[80];
			snprintf(p, sizeof(p), "stages.%u.%u", st, i);
			uint32_t in = x;
			x = add_node(b, XS_OP_PW, x, 0, h, w, mid, 0, 0, g->act);
			snprintf(name, sizeof(name), "%s.pw1", p);
			pointwise(b, name, mid, c, c);
			snprintf(name, sizeof(name), "%s.bn1", p);
			attach_bn(b, name, mid);
			h = div_up(h, s);
			w = div_up(w, s);
			x = add_node(b, XS_OP_DW, x, 0, h, w, mid, k, s, g->act);
			depthwise(b, p, mid, k);
			snprintf(name, sizeof(name), "%s.bn2", p);
			attach_bn(b, name, mid);
			x = add_node(b, XS_OP_PW, x, 0, h, w, g->out, 0, 0, XK_ACT_NONE);
			snprintf(name, sizeof(name), "%s.pw2", p);
			pointwise(b, name, g->out, mid, c * emax);
			snprintf(name, sizeof(name), "%s.bn3", p);
			attach_bn(b, name, g->out);
			if (s == 1 && c == g->out)
				x = add_node(b, XS_OP_ADD, in, x, h, w, c, 0, 0, XK_ACT_NONE);
			c = g->out;
		}
	}
	x = add_node(b, XS_OP_PW, x, 0, h, w, sp->head_out, 0, 0, sp->head_act);
	pointwise(b, "head.weight", sp->head_out, c, c);
	attach_bn(b, "head_bn", sp->head_out);
	x = add_node(b, XS_OP_GAVGPOOL, x, 0, 1, 1, sp->head_out, 0, 0, XK_ACT_NONE);
	add_node(b, XS_OP_FC, x, 0, 1, 1, sp->classes, 0, 0, XK_ACT_NONE);
	pointwise(b, "fc.weight", sp->classes, sp->head_out, sp->head_out);
	if (b->status == XS_OK) {
		const float *bias = tensor(b, "fc.bias");
		uint64_t off = add_weights(b, sp->classes);
		if (b->status == XS_OK) {
			memcpy(m->weights + off, bias, sp->classes * sizeof(float));
			m->nodes[m->nnodes - 1].b = off;
		}
	}
}

/* ---- recalibration ---------------------------------------------------------- */

struct stats_job {
	const float *y;
	float *yw;
	size_t rows, channels;
	double *part;           /* [blocks][channels] */
	const double *mean;     /* pass 2: variance around it */
	const float *scale, *shift;
	enum xk_act act;
};

static void sum_task(void *p, size_t blk)
{
	struct stats_job *j = p;
	double *acc = j->part + blk * j->channels;
	size_t r0 = blk * STAT_ROWS, r1 = r0 + STAT_ROWS < j->rows ? r0 + STAT_ROWS : j->rows;
	for (size_t c = 0; c < j->channels; c++)
		acc[c] = 0.0;
	for (size_t r = r0; r < r1; r++) {
		const float *row = j->y + r * j->channels;
		if (j->mean == NULL)
			for (size_t c = 0; c < j->channels; c++)
				acc[c] += (double)row[c];
		else
			for (size_t c = 0; c < j->channels; c++) {
				double d = (double)row[c] - j->mean[c];
				acc[c] += d * d;
			}
	}
}

static float act1(enum xk_act act, float v)
{
	switch (act) {
	case XK_ACT_RELU:
		return v > 0.0f ? v : 0.0f;
	case XK_ACT_RELU6:
		return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
	case XK_ACT_HSWISH: {
		float t = v + 3.0f;
		t = t < 0.0f ? 0.0f : t > 6.0f ? 6.0f : t;
		return v * t / 6.0f;
	}
	default:
		return v;
	}
}

static void norm_task(void *p, size_t blk)
{
	struct stats_job *j = p;
	size_t r0 = blk * STAT_ROWS, r1 = r0 + STAT_ROWS < j->rows ? r0 + STAT_ROWS : j->rows;
	for (size_t r = r0; r < r1; r++) {
		float *row = j->yw + r * j->channels;
		for (size_t c = 0; c < j->channels; c++)
			row[c] = act1(j->act, row[c] * j->scale[c] + j->shift[c]);
	}
}

struct recal {
	struct bn *bns;
	struct xs_model *m;
	double *part;
	float *scale, *shift;
	float eps;
};

/* After each BN'd node: the batch's statistics, then the node's output
 * normalized with them (biased variance, as BN in training mode) and passed
 * through the activation. */
static void recal_hook(void *ctx, uint32_t node, float *y, size_t count,
		       size_t channels, struct xk_threadpool *tp)
{
	struct recal *r = ctx;
	struct bn *bn = &r->bns[node];
	if (bn->channels == 0)
		return;
	const size_t rows = count / channels, blocks = (rows + STAT_ROWS - 1) / STAT_ROWS;
	struct stats_job j = {y, y, rows, channels, r->part, NULL, r->scale, r->shift, bn->act};
	xk_threadpool_run(tp, blocks, sum_task, &j);
	for (size_t c = 0; c < channels; c++) {
		double s = 0.0;
		for (size_t k = 0; k < blocks; k++)
			s += r->part[k * channels + c];
		bn->rmean[c] = s / (double)rows;
	}
	j.mean = bn->rmean;
	xk_threadpool_run(tp, blocks, sum_task, &j);
	for (size_t c = 0; c < channels; c++) {
		double s = 0.0;
		for (size_t k = 0; k < blocks; k++)
			s += r->part[k * channels + c];
		double biased = s / (double)rows;
		bn->rvar[c] = rows > 1 ? s / (double)(rows - 1) : 0.0;
		double inv = 1.0 / sqrt(biased + (double)r->eps);
		r->scale[c] = (float)((double)bn->gamma[c] * inv);
		r->shift[c] = (float)((double)bn->beta[c] - bn->rmean[c] * (double)bn->gamma[c] * inv);
	}
	xk_threadpool_run(tp, blocks, norm_task, &j);
}

static enum xs_status recalibrate(struct builder *b, const struct xs_idx *images,
				  struct xk_threadpool *tp)
{
	const struct xs_space *sp = &b->sn->space;
	struct xs_model *m = b->m;
	const size_t n = sp->recal_images;
	enum xs_status st = XS_ENOMEM;
	struct recal r = {b->bns, m, NULL, NULL, NULL, sp->bn_eps};
	struct xs_exec *e = NULL;
	size_t maxc = 0, maxrows = 0;
	for (uint32_t i = 0; i < m->nnodes; i++) {
		const struct xs_value *v = &m->values[m->nodes[i].out];
		if (v->c > maxc)
			maxc = v->c;
		if ((size_t)v->h * v->w * n > maxrows)
			maxrows = (size_t)v->h * v->w * n;
	}
	size_t blocks = (maxrows + STAT_ROWS - 1) / STAT_ROWS;
	r.part = malloc(blocks * maxc * sizeof(double));
	r.scale = malloc(maxc * sizeof(float));
	r.shift = malloc(maxc * sizeof(float));
	if (r.part == NULL || r.scale == NULL || r.shift == NULL) {
		XK_SETERR(b->err, "extract: out of memory");
		goto out_free;
	}
	st = xs_exec_create(m, XK_ISA_SCALAR, n, &e, b->err);
	if (st != XS_OK)
		goto out_free;
	xs_exec_set_hook(e, recal_hook, &r);
	xs_model_input(m, images->data, n, xs_exec_input(e));
	xs_exec_run(e, n, tp);
	st = XS_OK;
out_free:
	xs_exec_destroy(e);
	free(r.part);
	free(r.scale);
	free(r.shift);
	return st;
}

/* W' = W * s and b' = beta - mean * s per output channel of every BN'd node;
 * the activation goes back to the node. */
static void fold(struct builder *b, bool recalibrated)
{
	struct xs_model *m = b->m;
	const double eps = b->sn->space.bn_eps;
	for (uint32_t i = 0; i < m->nnodes; i++) {
		struct bn *bn = &b->bns[i];
		struct xs_node *n = &m->nodes[i];
		if (bn->channels == 0)
			continue;
		const struct xs_value *in = &m->values[n->in[0]];
		size_t per = n->op == XS_OP_CONV ? (size_t)in->c * n->k * n->k
			   : n->op == XS_OP_DW ? (size_t)n->k * n->k : in->c;
		for (uint32_t c = 0; c < bn->channels; c++) {
			double mean = recalibrated ? bn->rmean[c] : (double)bn->mean[c];
			double var = recalibrated ? bn->rvar[c] : (double)bn->var[c];
			double s = (double)bn->gamma[c] / sqrt(var + eps);
			float *w = m->weights + n->w + c * per;
			for (size_t k = 0; k < per; k++)
				w[k] = (float)((double)w[k] * s);
			m->weights[n->b + c] = (float)((double)bn->beta[c] - mean * s);
		}
		n->act = bn->act;
	}
}

enum xs_status xs_model_extract(const struct xs_supernet *sn,
				const struct xs_arch *arch,
				const struct xs_idx *images,
				struct xk_threadpool *tp,
				struct xs_model **out, struct xs_error *err)
{
	const struct xs_space *sp = &sn->space;
	struct xs_arch a = *arch;
	enum xs_status st = xs_arch_validate(sp, &a, err);
	if (st != XS_OK)
		return st;
	xs_arch_canonicalise(sp, &a);
	if (images != NULL &&
	    (images->rows != sp->in_h || images->cols != sp->in_w || sp->in_c != 1 ||
	     images->count < sp->recal_images || sp->recal_images == 0)) {
		XK_SETERR(err, "extract: recalibration needs %u images of %ux%ux%u; the image "
			  "file has %u of %ux%u", sp->recal_images, sp->in_c, sp->in_h, sp->in_w,
			  images->count, images->rows, images->cols);
		return XS_EINVAL;
	}
	struct xs_model *m = calloc(1, sizeof(*m));
	struct builder b = {sn, m, 0, 0, 0, NULL, err, XS_OK};
	if (m == NULL) {
		XK_SETERR(err, "extract: out of memory");
		return XS_ENOMEM;
	}
	xs_arch_print(sp, &a, m->arch, sizeof(m->arch));
	m->precision = XS_PRECISION_F32;
	m->mean = sp->mean;
	m->std = sp->std;
	m->classes = sp->classes;
	build(&b, &a);
	st = b.status;
	for (uint32_t i = 0; st == XS_OK && images && i < m->nnodes; i++) {
		struct bn *bn = &b.bns[i];
		if (bn->channels == 0)
			continue;
		bn->rmean = malloc(bn->channels * sizeof(double));
		bn->rvar = malloc(bn->channels * sizeof(double));
		if (bn->rmean == NULL || bn->rvar == NULL) {
			XK_SETERR(err, "extract: out of memory");
			st = XS_ENOMEM;
		}
	}
	if (st == XS_OK && images)
		st = recalibrate(&b, images, tp);
	if (st == XS_OK)
		fold(&b, images != NULL);
	for (uint32_t i = 0; i < m->nnodes; i++) {
		free(b.bns[i].rmean);
		free(b.bns[i].rvar);
	}
	free(b.bns);
	if (st != XS_OK) {
		xs_model_destroy(m);
		return st;
	}
	*out = m;
	return XS_OK;
}
