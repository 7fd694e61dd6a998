/* quant.c - the int8 model of an f32 model: calibration, per-channel weight
 * quantization, and the graph with converts where types change.
 *
 * Calibration runs the f32 model on the scalar kernels over the calibration
 * images (one batch) and records each value's range after its node's
 * activation (min/max; for the percentile method a second pass fills a
 * histogram of 2048 bins over that range). A value's parameters: the range
 * widened to hold 0 (padding and ReLU floors are real zeros), scale = range /
 * 255, zero point = round(-128 - min / scale).
 *
 * Weights: per output channel, scale = max|w| / 127 (rounded to f32 once),
 * q = round(w / scale) in -127..127; biases round(b / (in.scale * scale))
 * within +-2^30. All in double, rounding half to even: the same bytes on every
 * machine. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs-internal.h"

#define BINS 2048

void xs_quant_options_default(struct xs_quant_options *o)
{
	o->calib = XS_CALIB_MINMAX;
	o->percentile = 99.99;
	o->float_layers = XS_LAYER_STEM | XS_LAYER_CLASSIFIER;
}

static const char *const layer_names[] = {"stem", "blocks", "head", "classifier"};

enum xs_status xs_quant_layers_parse(const char *text, uint32_t *out,
				     struct xs_error *err)
{
	*out = 0;
	if (strcmp(text, "none") == 0)
		return XS_OK;
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, ",");
		uint32_t bit = 0;
		for (uint32_t i = 0; i < 4; i++)
			if (strlen(layer_names[i]) == n && strncmp(p, layer_names[i], n) == 0)
				bit = 1u << i;
		if (bit == 0) {
			XK_SETERR(err, "float layers '%.100s': '%.*s' is not a layer: use none "
				  "or a comma list of stem, blocks, head, classifier", text,
				  (int)(n > 40 ? 40 : n), p);
			return XS_EINVAL;
		}
		*out |= bit;
		p += n;
		if (*p == ',' && *++p == '\0') {
			XK_SETERR(err, "float layers '%.100s': ends with a comma", text);
			return XS_EINVAL;
		}
	}
	if (p == text) {
		XK_SETERR(err, "float layers: empty: use none or a comma list of stem, blocks, "
			  "head, classifier");
		return XS_EINVAL;
	}
	return XS_OK;
}

enum xs_status xs_quant_calib_parse(const char *text, struct xs_quant_options *o,
				    struct xs_error *err)
{
	if (strcmp(text, "minmax") == 0) {
		o->calib = XS_CALIB_MINMAX;
		return XS_OK;
	}
	if (strncmp(text, "percentile", 10) == 0 && (text[10] == '\0' || text[10] == ':')) {
		double p = 99.99;
		if (text[10] == ':') {
			char *end;
			p = strtod(text + 11, &end);
			if (end == text + 11 || *end || !(p > 50.0 && p <= 100.0)) {
				XK_SETERR(err, "calibration '%.100s': the percentile must be a "
					  "number above 50 and at most 100", text);
				return XS_EINVAL;
			}
		}
		o->calib = XS_CALIB_PERCENTILE;
		o->percentile = p;
		return XS_OK;
	}
	XK_SETERR(err, "calibration '%.100s': use minmax, percentile or percentile:P "
		  "(e.g. percentile:99.99)", text);
	return XS_EINVAL;
}

/* ---- calibration --------------------------------------------------------------- */

struct range {
	double lo, hi;
	uint64_t *hist;  /* BINS, percentile pass only */
};

struct calib {
	const struct xs_model *m;
	struct range *r;   /* per value */
	bool hist_pass;
};

static void observe(struct range *r, const float *y, size_t count, bool hist)
{
	if (!hist) {
		for (size_t i = 0; i < count; i++) {
			double v = y[i];
			if (v < r->lo)
				r->lo = v;
			if (v > r->hi)
				r->hi = v;
		}
		return;
	}
	const double w = r->hi - r->lo, f = w > 0 ? BINS / w : 0.0;
	for (size_t i = 0; i < count; i++) {
		double b = ((double)y[i] - r->lo) * f;
		size_t k = b < 0 ? 0 : b >= BINS ? BINS - 1 : (size_t)b;
		r->hist[k]++;
	}
}

static void calib_hook(void *ctx, uint32_t node, float *y, size_t count,
		       size_t channels, struct xk_threadpool *tp)
{
	(void)channels;
	(void)tp;
	struct calib *c = ctx;
	observe(&c->r[c->m->nodes[node].out], y, count, c->hist_pass);
}

/* The value at quantile q (0..1) of a histogram over [lo, hi]. */
static double quantile(const struct range *r, double q, uint64_t total, bool upper)
{
	const double w = (r->hi - r->lo) / BINS;
	uint64_t want = (uint64_t)ceil(q * (double)total), seen = 0;
	if (want == 0)
		want = 1;
	for (size_t k = 0; k < BINS; k++) {
		seen += r->hist[k];
		if (seen >= want)
			return r->lo + w * (double)(k + (upper ? 1 : 0));
	}
	return r->hi;
}

static enum xs_status calibrate(const struct xs_model *m, const struct xs_idx *images,
				size_t n, const struct xs_quant_options *opt,
				struct xk_threadpool *tp, struct range *r,
				struct xs_error *err)
{
	struct xs_exec *e = NULL;
	enum xs_status st = xs_exec_create(m, XK_ISA_SCALAR, n, &e, err);
	if (st != XS_OK)
		return st;
	for (uint32_t v = 0; v < m->nvalues; v++) {
		r[v].lo = INFINITY;
		r[v].hi = -INFINITY;
	}
	const struct xs_value *in = &m->values[0];
	const size_t in_count = n * in->h * in->w * in->c;
	struct calib c = {m, r, false};
	xs_exec_set_hook(e, calib_hook, &c);
	xs_model_input(m, images->data, n, xs_exec_input(e));
	observe(&r[0], xs_exec_input(e), in_count, false);
	xs_exec_run(e, n, tp);
	if (opt->calib == XS_CALIB_PERCENTILE) {
		for (uint32_t v = 0; v < m->nvalues; v++) {
			r[v].hist = calloc(BINS, sizeof(uint64_t));
			if (r[v].hist == NULL) {
				XK_SETERR(err, "quantize: out of memory");
				xs_exec_destroy(e);
				return XS_ENOMEM;
			}
		}
		c.hist_pass = true;
		xs_model_input(m, images->data, n, xs_exec_input(e));
		observe(&r[0], xs_exec_input(e), in_count, true);
		xs_exec_run(e, n, tp);
		const double q = opt->percentile / 100.0;
		for (uint32_t v = 0; v < m->nvalues; v++) {
			uint64_t total = 0;
			for (size_t k = 0; k < BINS; k++)
				total += r[v].hist[k];
			if (total == 0 || !(r[v].hi > r[v].lo))
				continue;
			double lo = quantile(&r[v], 1.0 - q, total, false);
			double hi = quantile(&r[v], q, total, true);
			r[v].lo = lo;
			r[v].hi = hi;
		}
	}
	xs_exec_destroy(e);
	return XS_OK;
}

/* Scale and zero point of a range (widened to hold 0). */
static struct xs_value qvalue(const struct xs_value *v, const struct range *r)
{
	double lo = r->lo < 0 ? r->lo : 0, hi = r->hi > 0 ? r->hi : 0;
	if (!isfinite(lo) || !isfinite(hi))
		lo = hi = 0;
	if (hi - lo < 1e-6)
		hi = lo + 1e-6;
	float scale = (float)((hi - lo) / 255.0);
	double zp = nearbyint(-128.0 - lo / (double)scale);
	zp = zp < -128 ? -128 : zp > 127 ? 127 : zp;
	return (struct xs_value){v->h, v->w, v->c, XS_DTYPE_QS8, scale, (int32_t)zp};
}

/* ---- the new graph ----------------------------------------------------------------- */

struct qb {
	const struct xs_model *src;
	struct xs_model *m;
	size_t cap_v, cap_n, cap_w, cap_q;
	uint32_t *f32_of, *q8_of;   /* new value ids per source value; -1 none */
	const struct range *r;
	bool nomem;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * size);
	if (q == NULL)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* Appends a node writing a new value v; returns its id. */
static uint32_t node(struct qb *b, struct xs_node n, struct xs_value v)
{
	struct xs_model *m = b->m;
	if (b->nomem || !grow((void **)&m->values, &b->cap_v, m->nvalues + 1, sizeof(v)) ||
	    !grow((void **)&m->nodes, &b->cap_n, m->nnodes + 1, sizeof(n))) {
		b->nomem = true;
		return 0;
	}
	n.out = m->nvalues;
	m->values[m->nvalues++] = v;
	m->nodes[m->nnodes++] = n;
	return n.out;
}

static uint32_t as_f32(struct qb *b, uint32_t v)
{
	if (b->f32_of[v] == UINT32_MAX) {
		struct xs_value x = b->src->values[v];
		x.dtype = XS_DTYPE_F32;
		x.scale = 0.0f;
		x.zp = 0;
		b->f32_of[v] = node(b, (struct xs_node){.op = XS_OP_DEQUANTIZE,
							.in = {b->q8_of[v], 0}}, x);
	}
	return b->f32_of[v];
}

static uint32_t as_q8(struct qb *b, uint32_t v)
{
	if (b->q8_of[v] == UINT32_MAX)
		b->q8_of[v] = node(b, (struct xs_node){.op = XS_OP_QUANTIZE,
						       .in = {b->f32_of[v], 0}},
				   qvalue(&b->src->values[v], &b->r[v]));
	return b->q8_of[v];
}

/* Reserves n bytes of the int8 section, 4-aligned; returns the offset. */
static uint64_t qbytes(struct qb *b, size_t n)
{
	struct xs_model *m = b->m;
	size_t off = (m->nqbytes + 3) & ~(size_t)3;
	if (b->nomem || !grow((void **)&m->qweights, &b->cap_q, off + n, 1)) {
		b->nomem = true;
		return 0;
	}
	memset(m->qweights + m->nqbytes, 0, off + n - m->nqbytes);
	m->nqbytes = off + n;
	return off;
}

static uint64_t fweights(struct qb *b, const float *src, size_t n)
{
	struct xs_model *m = b->m;
	if (b->nomem || !grow((void **)&m->weights, &b->cap_w, m->nweights + n, 4)) {
		b->nomem = true;
		return 0;
	}
	memcpy(m->weights + m->nweights, src, n * 4);
	m->nweights += n;
	return m->nweights - n;
}

/* Quantizes the weights of source node n into node q (int8). */
static void quantize_weights(struct qb *b, const struct xs_node *n, struct xs_node *q,
			     float in_scale)
{
	const struct xs_model *src = b->src;
	const size_t cout = src->values[n->out].c;
	const size_t cin = src->values[n->in[0]].c;
	size_t per = n->op == XS_OP_CONV ? cin * n->k * n->k
		   : n->op == XS_OP_DW	  ? (size_t)n->k * n->k
					  : cin;
	uint64_t wo = qbytes(b, cout * per), bo = qbytes(b, 8 * cout);
	if (b->nomem)
		return;
	int8_t *w = (int8_t *)(b->m->qweights + wo);
	for (size_t o = 0; o < cout; o++) {
		const float *wf = src->weights + n->w + o * per;
		double amax = 0;
		for (size_t i = 0; i < per; i++)
			amax = fabs((double)wf[i]) > amax ? fabs((double)wf[i]) : amax;
		float ws = amax > 0 ? (float)(amax / 127.0) : 1.0f;
		if (!(ws >= 1e-30f))
			ws = 1e-30f;
		for (size_t i = 0; i < per; i++) {
			double v = nearbyint((double)wf[i] / (double)ws);
			w[o * per + i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
		}
		double bq = nearbyint((double)src->weights[n->b + o] /
				      ((double)in_scale * (double)ws));
		bq = bq < -XK_QS8_MAX_BIAS ? -XK_QS8_MAX_BIAS : bq > XK_QS8_MAX_BIAS ? XK_QS8_MAX_BIAS : bq;
		int32_t bi = (int32_t)bq;
		memcpy(b->m->qweights + bo + 4 * o, &bi, 4);
		memcpy(b->m->qweights + bo + 4 * (cout + o), &ws, 4);
	}
	q->w = wo;
	q->b = bo;
}

/* The layer class of node i of m. */
static uint32_t layer_of(const struct xs_model *m, uint32_t i)
{
	const struct xs_node *n = &m->nodes[i];
	switch (n->op) {
	case XS_OP_CONV:
		return XS_LAYER_STEM;
	case XS_OP_FC:
		return XS_LAYER_CLASSIFIER;
	case XS_OP_GAVGPOOL:
		return XS_LAYER_HEAD;
	case XS_OP_PW:
		for (uint32_t j = i + 1; j < m->nnodes; j++)
			if (m->nodes[j].in[0] == n->out)
				return m->nodes[j].op == XS_OP_GAVGPOOL ? XS_LAYER_HEAD
									 : XS_LAYER_BLOCKS;
		return XS_LAYER_BLOCKS;
	default:
		return XS_LAYER_BLOCKS;
	}
}

enum xs_status xs_model_quantize(const struct xs_model *src,
				 const struct xs_idx *images,
				 const struct xs_quant_options *opt,
				 uint32_t calib_images, struct xk_threadpool *tp,
				 struct xs_model **out, struct xs_error *err)
{
	const struct xs_value *in = &src->values[0];
	if (src->precision != XS_PRECISION_F32) {
		XK_SETERR(err, "quantize: the model is already %s", xs_precision_name(src->precision));
		return XS_EINVAL;
	}
	if (images == NULL || calib_images == 0 || images->count < calib_images ||
	    images->rows != in->h || images->cols != in->w || in->c != 1) {
		XK_SETERR(err, "quantize: calibration needs %u images of %ux%u; the image file "
			  "has %u of %ux%u", calib_images, in->h, in->w,
			  images ? images->count : 0, images ? images->rows : 0,
			  images ? images->cols : 0);
		return XS_EINVAL;
	}
	if (opt->calib == XS_CALIB_PERCENTILE && !(opt->percentile > 50.0 && opt->percentile <= 100.0)) {
		XK_SETERR(err, "quantize: percentile %g: above 50 and at most 100", opt->percentile);
		return XS_EINVAL;
	}
	struct range *r = calloc(src->nvalues, sizeof(*r));
	struct xs_model *m = calloc(1, sizeof(*m));
	struct qb b = {src, m, 0, 0, 0, 0, NULL, NULL, r, false};
	b.f32_of = malloc(src->nvalues * sizeof(uint32_t));
	b.q8_of = malloc(src->nvalues * sizeof(uint32_t));
	enum xs_status st = XS_ENOMEM;
	if (r == NULL || m == NULL || b.f32_of == NULL || b.q8_of == NULL)
		goto out_nomem;
	st = calibrate(src, images, calib_images, opt, tp, r, err);
	if (st != XS_OK)
		goto out;
	memcpy(m->arch, src->arch, sizeof(m->arch));
	m->mean = src->mean;
	m->std = src->std;
	m->classes = src->classes;
	memset(b.f32_of, 0xff, src->nvalues * sizeof(uint32_t));
	memset(b.q8_of, 0xff, src->nvalues * sizeof(uint32_t));
	if (!grow((void **)&m->values, &b.cap_v, 1, sizeof(struct xs_value)))
		goto out_nomem;
	m->values[0] = *in;
	m->nvalues = 1;
	b.f32_of[0] = 0;
	bool any = false;
	for (uint32_t i = 0; i < src->nnodes && !b.nomem; i++) {
		const struct xs_node *n = &src->nodes[i];
		const bool q = n->op != XS_OP_RESIZE && !(layer_of(src, i) & opt->float_layers);
		const bool weighted = n->op == XS_OP_CONV || n->op == XS_OP_PW ||
				      n->op == XS_OP_DW || n->op == XS_OP_FC;
		struct xs_node nn = *n;
		struct xs_value v = src->values[n->out];
		nn.in[0] = q ? as_q8(&b, n->in[0]) : as_f32(&b, n->in[0]);
		if (n->op == XS_OP_ADD)
			nn.in[1] = q ? as_q8(&b, n->in[1]) : as_f32(&b, n->in[1]);
		if (q) {
			any = true;
			v = qvalue(&v, &r[n->out]);
			if (weighted)
				quantize_weights(&b, n, &nn, m->values[nn.in[0]].scale);
			if (n->op == XS_OP_ADD && n->act != XK_ACT_NONE && n->act != XK_ACT_RELU) {
				XK_SETERR(err, "quantize: node %u (add) has activation %s, which "
					  "int8 add does not apply", i, xk_act_name((enum xk_act)n->act));
				st = XS_EINVAL;
				goto out;
			}
		} else if (weighted) {
			const size_t cout = src->values[n->out].c, cin = src->values[n->in[0]].c;
			size_t wc = n->op == XS_OP_CONV ? cout * cin * n->k * n->k
				  : n->op == XS_OP_DW	? cout * n->k * n->k
							: cout * cin;
			nn.w = fweights(&b, src->weights + n->w, wc);
			nn.b = fweights(&b, src->weights + n->b, cout);
		}
		uint32_t id = node(&b, nn, v);
		(q ? b.q8_of : b.f32_of)[n->out] = id;
	}
	as_f32(&b, src->nvalues - 1); /* the logits */
	if (b.nomem)
		goto out_nomem;
	/* the weights as the loader keeps them: 64-byte aligned copies */
	float *wa = xk_alloc(m->nweights ? m->nweights * 4 : 64);
	uint8_t *qa = m->nqbytes ? xk_alloc(m->nqbytes) : NULL;
	if (wa == NULL || (m->nqbytes && qa == NULL)) {
		xk_free(wa);
		xk_free(qa);
		goto out_nomem;
	}
	if (m->nweights) /* none when every layer is int8 */
		memcpy(wa, m->weights, m->nweights * 4);
	if (m->nqbytes)
		memcpy(qa, m->qweights, m->nqbytes);
	free(m->weights);
	free(m->qweights);
	m->weights = wa;
	m->qweights = qa;
	m->precision = any ? XS_PRECISION_INT8 : XS_PRECISION_F32;
	st = XS_OK;
	goto out;
out_nomem:
	XK_SETERR(err, "quantize: out of memory");
	st = XS_ENOMEM;
out:
	for (uint32_t v = 0; r && v < src->nvalues; v++)
		free(r[v].hist);
	free(r);
	free(b.f32_of);
	free(b.q8_of);
	if (st != XS_OK) {
		if (m) {
			free(m->weights);
			free(m->qweights);
			m->weights = NULL;
			m->qweights = NULL;
		}
		xs_model_destroy(m);
		return st;
	}
	*out = m;
	return XS_OK;
}

enum xs_status xs_model_build(const struct xs_supernet *sn, const struct xs_arch *a,
			      enum xs_precision precision, const struct xs_idx *images,
			      struct xk_threadpool *tp, struct xs_model **out,
			      struct xs_error *err)
{
	struct xs_model *m = NULL;
	*out = NULL;
	enum xs_status st = xs_model_extract(sn, a, images, tp, &m, err);
	if (st != XS_OK || precision == XS_PRECISION_F32) {
		*out = m;
		return st;
	}
	const struct xs_space *sp = &sn->space;
	uint8_t *zeros = NULL;
	struct xs_idx one = {1, sp->in_h, sp->in_w, NULL, NULL, 0};
	if (images == NULL) {
		if ((zeros = calloc((size_t)sp->in_h * sp->in_w, 1)) == NULL) {
			xs_model_destroy(m);
			XK_SETERR(err, "out of memory");
			return XS_ENOMEM;
		}
		one.data = zeros;
	}
	struct xs_quant_options o;
	xs_quant_options_default(&o);
	st = xs_model_quantize(m, images ? images : &one, &o, images ? sp->recal_images : 1, tp,
			       out, err);
	free(zeros);
	xs_model_destroy(m);
	return st;
}
