/* candidates.c - the candidate cache: sizes, accuracy, the DB's val top-1
 * (candidates.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "util.h"

void xf_cands_init(struct xf_cands *cs, const struct xs_supernet *sn, struct fdb *db,
		   int64_t supernet_id, const struct xs_idx *images, const struct xs_idx *labels,
		   struct xk_threadpool *tp)
{
	memset(cs, 0, sizeof(*cs));
	cs->sn = sn;
	cs->db = db;
	cs->supernet_id = supernet_id;
	cs->images = images;
	cs->labels = labels;
	cs->tp = tp;
}

void xf_cands_release(struct xf_cands *cs)
{
	free(cs->c);
	cs->c = NULL;
	cs->n = cs->cap = 0;
}

enum xs_status xf_cands_get(struct xf_cands *cs, const struct xs_arch *a, enum xs_precision prec,
			    size_t *index, struct xs_error *err)
{
	for (size_t i = 0; i < cs->n; i++)
		if (cs->c[i].prec == prec && memcmp(&cs->c[i].a, a, sizeof(*a)) == 0) {
			*index = i;
			return XS_OK;
		}
	if (!xf_grow(&cs->c, cs->n, &cs->cap, sizeof(*cs->c), 256))
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	struct xf_cand *c = &cs->c[cs->n];
	memset(c, 0, sizeof(*c));
	c->a = *a;
	c->prec = prec;
	c->val = NAN;
	c->subnet_id = -1;
	xs_arch_print(&cs->sn->space, a, c->text, sizeof(c->text));
	*index = cs->n++;
	return XS_OK;
}

/* Exact file size and planned memory: built without recalibration (the
 * bytes differ, their count does not), executor planned for one image. */
enum xs_status xf_cands_sizes(struct xf_cands *cs, size_t i, struct xs_error *err)
{
	struct xf_cand *c = &cs->c[i];
	if (c->size)
		return XS_OK;
	struct xs_model *m = NULL;
	struct xs_exec *e = NULL;
	struct xs_error berr;
	uint8_t *buf = NULL;
	size_t size = 0;
	enum xs_status st = xs_model_build(cs->sn, &c->a, c->prec, NULL, NULL, &m, &berr);
	if (st == XS_OK)
		st = xs_model_serialize(m, &buf, &size, &berr);
	if (st == XS_OK)
		st = xs_exec_create(m, XK_ISA_DEFAULT, 1, &e, &berr);
	if (st == XS_OK) {
		c->size = size;
		c->memory = xs_exec_arena_bytes(e) + xs_exec_weight_bytes(e);
	} else {
		xf_error_set(err, st, "%s: %s", c->text, berr.msg);
	}
	free(buf);
	xs_exec_destroy(e);
	xs_model_destroy(m);
	return st;
}

/* The DB's validation top-1 of c (NAN when it has none), the sub-net
 * added to the DB first when new. */
static enum xs_status val_from_db(struct xf_cands *cs, struct xf_cand *c, struct xs_error *err)
{
	const struct xs_space *sp = &cs->sn->space;
	double test;
	char *text = NULL;
	enum xs_status st = XS_OK;
	if (c->subnet_id < 0)
		st = fdb_subnet_upsert(cs->db, cs->supernet_id, c->text, xs_arch_macs(sp, &c->a),
				       xs_arch_params(sp, &c->a), &c->subnet_id);
	if (st == XS_OK)
		st = fdb_subnet_reference(cs->db, c->subnet_id, xs_precision_name(c->prec), &test,
					  &c->val, &text);
	free(text);
	if (st != XS_OK)
		return xf_error_set(err, st, "%s", fdb_errmsg(cs->db));
	return XS_OK;
}

enum xs_status xf_cands_known(struct xf_cands *cs, size_t i, struct xs_error *err)
{
	struct xf_cand *c = &cs->c[i];
	return isnan(c->val) ? val_from_db(cs, c, err) : XS_OK;
}

enum xs_status xf_cands_accuracy(struct xf_cands *cs, size_t i, double *top1,
				 struct xs_error *err)
{
	struct xf_cand *c = &cs->c[i];
	enum xs_status st = isnan(c->val) ? val_from_db(cs, c, err) : XS_OK;
	if (st != XS_OK || !isnan(c->val)) {
		*top1 = c->val;
		return st;
	}
	double t0 = xf_now();
	struct xs_model *m = NULL;
	struct xs_exec *e = NULL;
	const struct xs_idx *im = cs->images, *lb = cs->labels;
	const uint32_t nv = cs->sn->space.val_images;
	const size_t px = (size_t)im->rows * im->cols;
	struct xs_idx vi = {nv, im->rows, im->cols, im->data + (size_t)(im->count - nv) * px, NULL, 0};
	struct xs_idx vl = {nv, 1, 1, lb->data + (im->count - nv), NULL, 0};
	size_t correct = 0;
	struct xs_error eerr;
	st = xs_model_build(cs->sn, &c->a, c->prec, im, cs->tp, &m, &eerr);
	if (st == XS_OK)
		st = xs_exec_create(m, XK_ISA_DEFAULT, 32, &e, &eerr);
	if (st == XS_OK)
		st = xs_exec_eval(e, m, &vi, &vl, nv, cs->tp, &correct, NULL, &eerr);
	xs_exec_destroy(e);
	xs_model_destroy(m);
	if (st != XS_OK)
		return xf_error_set(err, st, "%s", eerr.msg);
	c->val = 100.0 * (double)correct / (double)nv;
	if (fdb_subnet_val_set(cs->db, c->subnet_id, xs_precision_name(c->prec), c->val) != XS_OK)
		return xf_error_set(err, XS_EIO, "%s", fdb_errmsg(cs->db));
	cs->scored_here++;
	cs->score_seconds += xf_now() - t0;
	*top1 = c->val;
	return XS_OK;
}
