/* exec.c - the executor: runs an .xnm graph on the kernels.
 *
 * Creation makes one kernel operator per node (packing its weights) and plans
 * one 64-byte aligned arena for every value at the batch size: a value lives
 * from the node that writes it to the last node that reads it (the input from
 * step 0, the logits to the end), and values never alive together share
 * bytes (xs_arena_plan). A run calls the operators in order; nothing is
 * allocated and nothing can fail. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs-internal.h"

struct step {
	struct xs_node node;
	struct xs_value in, in2, out;
	void *x, *x2, *y;            /* in the arena */
	bool q;                      /* computes in int8 */
	struct xk_gemm *gemm;        /* pw, fc */
	struct xk_dwconv *dw;
	struct xk_conv *conv;
	struct xk_qs8_gemm *qgemm;   /* int8 pw, fc */
	struct xk_qs8_dwconv *qdw;
	struct xk_qs8_conv *qconv;
	struct xk_qs8_add qadd;
	struct xk_qs8_gavgpool qgap;
	struct xk_qs8_quantize qquant; /* quantize node */
};

struct xs_exec {
	size_t batch;
	enum xk_isa isa;
	uint32_t nsteps;
	struct step *steps;
	uint8_t *arena;
	size_t arena_bytes, weight_bytes;
	float *input, *output;
	uint32_t classes;
	xs_exec_hook_fn hook;
	void *hook_ctx;
};

void xs_exec_destroy(struct xs_exec *e)
{
	if (e == NULL)
		return;
	for (uint32_t i = 0; i < e->nsteps; i++) {
		xk_gemm_destroy(e->steps[i].gemm);
		xk_dwconv_destroy(e->steps[i].dw);
		xk_conv_destroy(e->steps[i].conv);
		xk_qs8_gemm_destroy(e->steps[i].qgemm);
		xk_qs8_dwconv_destroy(e->steps[i].qdw);
		xk_qs8_conv_destroy(e->steps[i].qconv);
	}
	free(e->steps);
	xk_free(e->arena);
	free(e);
}

static enum xs_status from_xk(enum xk_status s, const struct xk_error *xe,
			      uint32_t node, struct xs_error *err)
{
	if (s == XK_OK)
		return XS_OK;
	XK_SETERR(err, "executor: node %u: %.200s", node, xe->msg);
	return s == XK_ENOMEM ? XS_ENOMEM : XS_EINVAL;
}

static struct xk_qparams qp(const struct xs_value *v)
{
	return (struct xk_qparams){v->scale, v->zp};
}

/* Makes the int8 operator of step i (the loader checked weights and ranges). */
static enum xk_status make_qop(struct xs_exec *e, const struct xs_model *m,
			       struct step *s, struct xk_error *xe)
{
	const struct xs_node *n = &s->node;
	const int8_t *w = (const int8_t *)(m->qweights + n->w);
	const uint8_t *b = m->qweights + n->b;
	const size_t cout = s->out.c;
	/* biases and scales may sit at any 4-byte offset: copied aligned */
	int32_t *bias = malloc(cout * sizeof(int32_t));
	float *ws = malloc(cout * sizeof(float));
	enum xk_status st = XK_ENOMEM;
	const enum xk_act act = (enum xk_act)n->act;
	if (bias == NULL || ws == NULL) {
		XK_SETERR(xe, "out of memory");
		goto out;
	}
	if (n->op == XS_OP_CONV || n->op == XS_OP_PW || n->op == XS_OP_FC ||
	    n->op == XS_OP_DW) {
		memcpy(bias, b, cout * 4);
		memcpy(ws, b + cout * 4, cout * 4);
	}
	switch (n->op) {
	case XS_OP_CONV:
		st = xk_qs8_conv_create(e->isa, s->in.c, cout, n->k, n->s, w, bias, ws,
					qp(&s->in), qp(&s->out), act, &s->qconv, xe);
		if (st == XK_OK)
			st = xk_qs8_conv_check(s->qconv, e->batch, s->in.h, s->in.w, xe);
		e->weight_bytes += cout * s->in.c * n->k * n->k + 8 * cout;
		break;
	case XS_OP_PW:
	case XS_OP_FC:
		st = xk_qs8_gemm_create(e->isa, s->in.c, cout, w, bias, ws, qp(&s->in),
					qp(&s->out), act, &s->qgemm, xe);
		e->weight_bytes += cout * s->in.c + 8 * cout;
		break;
	case XS_OP_DW:
		st = xk_qs8_dwconv_create(e->isa, cout, n->k, n->s, w, bias, ws, qp(&s->in),
					  qp(&s->out), act, &s->qdw, xe);
		if (st == XK_OK)
			st = xk_qs8_dwconv_check(s->qdw, e->batch, s->in.h, s->in.w, xe);
		e->weight_bytes += cout * n->k * n->k + 8 * cout;
		break;
	case XS_OP_ADD:
		st = xk_qs8_add_init(&s->qadd, e->isa, qp(&s->in), qp(&s->in2), qp(&s->out),
				     act, xe);
		break;
	case XS_OP_GAVGPOOL:
		st = xk_qs8_gavgpool_init(&s->qgap, e->isa, (size_t)s->in.h * s->in.w,
					  qp(&s->in), qp(&s->out), xe);
		break;
	default:
		st = XK_OK;
		break;
	}
out:
	free(bias);
	free(ws);
	return st;
}

/* Makes the kernel operator of step i. */
static enum xs_status make_op(struct xs_exec *e, const struct xs_model *m,
			      uint32_t i, struct xs_error *err)
{
	struct step *s = &e->steps[i];
	const struct xs_node *n = &s->node;
	struct xk_error xe = {{0}};
	if (s->q)
		return from_xk(make_qop(e, m, s, &xe), &xe, i, err);
	/* the loader checked the ranges of the operators that have weights */
	const bool weighted = n->op == XS_OP_CONV || n->op == XS_OP_PW ||
			      n->op == XS_OP_FC || n->op == XS_OP_DW;
	const float *w = weighted ? m->weights + n->w : NULL;
	const float *b = weighted ? m->weights + n->b : NULL;
	enum xk_status st = XK_OK;
	switch (n->op) {
	case XS_OP_CONV:
		st = xk_conv_create(e->isa, s->in.c, s->out.c, n->k, n->s, w, b,
				    (enum xk_act)n->act, &s->conv, &xe);
		if (st == XK_OK)
			st = xk_conv_check(s->conv, e->batch, s->in.h, s->in.w, &xe);
		e->weight_bytes += ((size_t)s->out.c * s->in.c * n->k * n->k + s->out.c) * 4;
		break;
	case XS_OP_PW:
	case XS_OP_FC:
		st = xk_gemm_create(e->isa, s->in.c, s->out.c, w, b, (enum xk_act)n->act,
				    &s->gemm, &xe);
		e->weight_bytes += ((size_t)s->out.c * s->in.c + s->out.c) * 4;
		break;
	case XS_OP_DW:
		st = xk_dwconv_create(e->isa, s->in.c, n->k, n->s, w, b,
				      (enum xk_act)n->act, &s->dw, &xe);
		if (st == XK_OK)
			st = xk_dwconv_check(s->dw, e->batch, s->in.h, s->in.w, &xe);
		e->weight_bytes += ((size_t)s->out.c * n->k * n->k + s->out.c) * 4;
		break;
	case XS_OP_QUANTIZE:
		st = xk_qs8_quantize_init(&s->qquant, e->isa, qp(&s->out), &xe);
		break;
	default:
		break;
	}
	return from_xk(st, &xe, i, err);
}

enum xs_status xs_exec_create(const struct xs_model *m, enum xk_isa isa,
			      size_t batch, struct xs_exec **out,
			      struct xs_error *err)
{
	if (batch == 0 || batch > (1u << 20)) {
		XK_SETERR(err, "executor: batch %zu: 1 to 1048576", batch);
		return XS_EINVAL;
	}
	if (isa == XK_ISA_DEFAULT) {
		struct xk_error xe;
		if (xk_isa_default(&isa, &xe) != XK_OK) {
			XK_SETERR(err, "%s", xe.msg);
			return XS_EINVAL;
		}
	}
	enum xs_status st = XS_ENOMEM;
	struct xs_exec *e = calloc(1, sizeof(*e));
	struct xs_arena_tensor *t = calloc(m->nvalues, sizeof(*t));
	if (e == NULL || t == NULL)
		goto out_nomem;
	e->batch = batch;
	e->isa = isa;
	e->classes = m->classes;
	e->steps = calloc(m->nnodes, sizeof(*e->steps));
	if (e->steps == NULL)
		goto out_nomem;
	e->nsteps = m->nnodes;
	/* Lifetimes in steps: the input and the logits for the whole run (the
	 * caller writes one before and reads the other after; a run leaves the
	 * input as it was, so it can run again on it). */
	for (uint32_t v = 0; v < m->nvalues; v++) {
		const struct xs_value *x = &m->values[v];
		t[v].size = batch * x->h * x->w * x->c *
			    (x->dtype == XS_DTYPE_QS8 ? 1 : sizeof(float));
		t[v].first = t[v].last = 0;
	}
	for (uint32_t i = 0; i < m->nnodes; i++) {
		const struct xs_node *n = &m->nodes[i];
		t[n->out].first = t[n->out].last = i;
		t[n->in[0]].last = i;
		if (n->op == XS_OP_ADD)
			t[n->in[1]].last = i;
	}
	t[0].last = t[m->nvalues - 1].last = m->nnodes;
	st = xs_arena_plan(t, m->nvalues, 64, &e->arena_bytes, err);
	if (st != XS_OK)
		goto out_free;
	e->arena = xk_alloc(e->arena_bytes ? e->arena_bytes : 64);
	if (e->arena == NULL) {
		XK_SETERR(err, "executor: out of memory for a %zu-byte arena", e->arena_bytes);
		st = XS_ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < m->nnodes; i++) {
		struct step *s = &e->steps[i];
		s->node = m->nodes[i];
		s->in = m->values[s->node.in[0]];
		s->out = m->values[s->node.out];
		s->x = e->arena + t[s->node.in[0]].offset;
		s->y = e->arena + t[s->node.out].offset;
		s->q = s->out.dtype == XS_DTYPE_QS8 && s->node.op != XS_OP_QUANTIZE;
		if (s->node.op == XS_OP_ADD) {
			s->in2 = m->values[s->node.in[1]];
			s->x2 = e->arena + t[s->node.in[1]].offset;
		}
		st = make_op(e, m, i, err);
		if (st != XS_OK)
			goto out_free;
	}
	e->input = (float *)(e->arena + t[0].offset);
	e->output = (float *)(e->arena + t[m->nvalues - 1].offset);
	free(t);
	*out = e;
	return XS_OK;
out_nomem:
	XK_SETERR(err, "executor: out of memory");
out_free:
	free(t);
	xs_exec_destroy(e);
	return st;
}

float *xs_exec_input(struct xs_exec *e) { return e->input; }
const float *xs_exec_output(const struct xs_exec *e) { return e->output; }
size_t xs_exec_arena_bytes(const struct xs_exec *e) { return e->arena_bytes; }
size_t xs_exec_weight_bytes(const struct xs_exec *e) { return e->weight_bytes; }
enum xk_isa xs_exec_isa(const struct xs_exec *e) { return e->isa; }

void xs_exec_set_hook(struct xs_exec *e, xs_exec_hook_fn fn, void *ctx)
{
	e->hook = fn;
	e->hook_ctx = ctx;
}

/* Step s of an int8 operator. */
static void run_q(const struct step *s, size_t n, size_t pix, struct xk_threadpool *tp)
{
	switch (s->node.op) {
	case XS_OP_CONV:
		xk_qs8_conv_run(s->qconv, n, s->in.h, s->in.w, s->x, s->y, tp);
		break;
	case XS_OP_PW:
		xk_qs8_gemm_run(s->qgemm, n * pix, s->x, s->in.c, s->y, s->out.c, tp);
		break;
	case XS_OP_FC:
		xk_qs8_gemm_run(s->qgemm, n, s->x, s->in.c, s->y, s->out.c, tp);
		break;
	case XS_OP_DW:
		xk_qs8_dwconv_run(s->qdw, n, s->in.h, s->in.w, s->x, s->y, tp);
		break;
	case XS_OP_ADD:
		xk_qs8_add_run(&s->qadd, n * pix * s->out.c, s->x, s->x2, s->y);
		break;
	case XS_OP_GAVGPOOL:
		xk_qs8_gavgpool_run(&s->qgap, n, s->in.c, s->x, s->y);
		break;
	default:
		break;
	}
}

void xs_exec_run(struct xs_exec *e, size_t n, struct xk_threadpool *tp)
{
	assert(n <= e->batch);
	for (uint32_t i = 0; i < e->nsteps; i++) {
		const struct step *s = &e->steps[i];
		const size_t pix = (size_t)s->out.h * s->out.w;
		const size_t count = n * pix * s->out.c;
		if (s->q) {
			run_q(s, n, pix, tp);
			continue;
		}
		switch (s->node.op) {
		case XS_OP_RESIZE:
			xk_resize_bilinear(n, s->in.h, s->in.w, s->out.h, s->out.w, s->in.c,
					   s->x, s->y);
			break;
		case XS_OP_CONV:
			xk_conv_run(s->conv, n, s->in.h, s->in.w, s->x, s->y, tp);
			break;
		case XS_OP_PW:
			xk_gemm_run(s->gemm, n * pix, s->x, s->in.c, s->y, s->out.c, tp);
			break;
		case XS_OP_FC:
			xk_gemm_run(s->gemm, n, s->x, s->in.c, s->y, s->out.c, tp);
			break;
		case XS_OP_DW:
			xk_dwconv_run(s->dw, n, s->in.h, s->in.w, s->x, s->y, tp);
			break;
		case XS_OP_ADD:
			xk_add(count, s->x, s->x2, (enum xk_act)s->node.act, s->y);
			break;
		case XS_OP_GAVGPOOL:
			xk_gavgpool(n, (size_t)s->in.h * s->in.w, s->in.c, s->x, s->y);
			break;
		case XS_OP_QUANTIZE:
			xk_qs8_quantize_run(&s->qquant, count, s->x, s->y);
			continue; /* an int8 output: no hook */
		case XS_OP_DEQUANTIZE:
			xk_qs8_dequantize(count, s->x, qp(&s->in), s->y);
			break;
		}
		if (e->hook)
			e->hook(e->hook_ctx, i, s->y, count, s->out.c, tp);
	}
}

enum xs_status xs_exec_eval(struct xs_exec *e, const struct xs_model *m,
			    const struct xs_idx *images,
			    const struct xs_idx *labels, size_t count,
			    struct xk_threadpool *tp, size_t *correct,
			    float *logits, struct xs_error *err)
{
	const struct xs_value *in = &m->values[0];
	if (images->rows != in->h || images->cols != in->w || in->c != 1) {
		XK_SETERR(err, "eval: images are %ux%u, the model takes %ux%ux%u",
			  images->rows, images->cols, in->c, in->h, in->w);
		return XS_EINVAL;
	}
	if (labels->count != images->count || count > images->count) {
		XK_SETERR(err, "eval: %u images, %u labels, %zu asked for: use an image "
			  "file and its own label file", images->count, labels->count, count);
		return XS_EINVAL;
	}
	const size_t img = (size_t)in->h * in->w;
	size_t ok = 0;
	for (size_t i = 0; i < count; i += e->batch) {
		size_t n = count - i < e->batch ? count - i : e->batch;
		xs_model_input(m, images->data + i * img, n, e->input);
		xs_exec_run(e, n, tp);
		for (size_t j = 0; j < n; j++) {
			const float *row = e->output + j * m->classes;
			if (xk_argmax(m->classes, row) == labels->data[i + j])
				ok++;
			if (logits)
				memcpy(logits + (i + j) * m->classes, row,
				       m->classes * sizeof(float));
		}
	}
	*correct = ok;
	return XS_OK;
}
