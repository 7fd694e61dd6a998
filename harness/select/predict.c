/* predict.c - sub-net latency from kernel tables (predict.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict.h"
#include "util.h"

static uint32_t up(uint32_t a, uint32_t s)
{
	return (a + s - 1) / s;
}

size_t xf_arch_pieces(const struct xs_space *sp, const struct xs_arch *a,
		      void (*fn)(void *ctx, const struct xf_piece *p), void *ctx)
{
	size_t n = 0;
	const uint32_t r = a->r;
	if (r != sp->in_h || r != sp->in_w) {
		fn(ctx, &(struct xf_piece){"resize", -1, 0, r, 0, 0});
		n++;
	}
	fn(ctx, &(struct xf_piece){"stem", -1, 0, r, 0, 0});
	n++;
	uint32_t h = up(r, sp->stem_s);
	for (uint32_t st = 0; st < sp->nstages; st++) {
		const uint32_t s = sp->stage[st].stride;
		for (uint32_t b = 0; b < a->d[st]; b++) {
			/* the first block sees the stage's input, later ones its output */
			fn(ctx, &(struct xf_piece){"block", (int)st + 1, b == 0, b == 0 ? h : up(h, s),
						    a->e[st][b], a->k[st][b]});
			n++;
		}
		h = up(h, s);
	}
	fn(ctx, &(struct xf_piece){"head", -1, 0, h, 0, 0});
	return n + 1;
}

struct krow {
	char kind[8];
	int stage, first;
	uint32_t res, expand, kernel;
	double median_ms;
};

struct xf_ktable {
	struct krow *rows;
	size_t n, cap;
	int threads;
};

struct load_ctx {
	struct xf_ktable *t;
	bool oom;
};

static void on_kernel(void *ctx, const struct fdb_kernel_row *k)
{
	struct load_ctx *l = ctx;
	struct xf_ktable *t = l->t;
	if (k->threads != t->threads || k->precision == NULL || strcmp(k->precision, "f32") != 0 ||
	    k->piece == NULL || isnan(k->median_ms))
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct krow *nr = realloc(t->rows, cap * sizeof(*nr));
		if (nr == NULL) {
			l->oom = true;
			return;
		}
		t->rows = nr;
		t->cap = cap;
	}
	struct krow *r = &t->rows[t->n++];
	snprintf(r->kind, sizeof(r->kind), "%s", k->piece);
	r->stage = k->stage;
	r->first = k->first;
	r->res = (uint32_t)k->res;
	r->expand = (uint32_t)k->expand;
	r->kernel = (uint32_t)k->kernel;
	r->median_ms = k->median_ms;
}

enum xs_status xf_ktable_load(struct fdb *db, int64_t supernet_id, int64_t device_id,
			      int threads, struct xf_ktable **out, struct xs_error *err)
{
	struct xf_ktable *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	t->threads = threads;
	struct load_ctx l = {t, false};
	if (fdb_kernel_results_each(db, supernet_id, device_id, on_kernel, &l) != XS_OK) {
		xf_error_set(err, XS_EIO, "%s", fdb_errmsg(db));
		xf_ktable_destroy(t);
		return XS_EIO;
	}
	if (l.oom || t->n == 0) {
		if (l.oom)
			xf_error_set(err, XS_ENOMEM, "out of memory");
		else
			xf_error_set(err, XS_EINVAL, "device %lld has no kernel table for %d thread%s "
				     "(sweep it)", (long long)device_id, threads, threads == 1 ? "" : "s");
		xf_ktable_destroy(t);
		return l.oom ? XS_ENOMEM : XS_EINVAL;
	}
	*out = t;
	return XS_OK;
}

void xf_ktable_destroy(struct xf_ktable *t)
{
	if (t == NULL)
		return;
	free(t->rows);
	free(t);
}

struct sum_ctx {
	const struct xf_ktable *t;
	double sum, blocks;
	const struct xf_piece *missing;
	struct xf_piece miss;
};

static void add_piece(void *ctx, const struct xf_piece *p)
{
	struct sum_ctx *c = ctx;
	if (c->missing)
		return;
	bool block = strcmp(p->kind, "block") == 0;
	for (size_t i = 0; i < c->t->n; i++) {
		const struct krow *r = &c->t->rows[i];
		if (strcmp(r->kind, p->kind) == 0 && r->res == p->res &&
		    (!block || (r->stage == p->stage && r->first == p->first &&
				r->expand == p->expand && r->kernel == p->kernel))) {
			c->sum += r->median_ms;
			c->blocks += block;
			return;
		}
	}
	c->miss = *p;
	c->missing = &c->miss;
}

bool xf_ktable_sum(const struct xf_ktable *t, const struct xs_space *sp, const struct xs_arch *a,
		   double *sum_ms, double *blocks, char *missing, size_t missing_n)
{
	struct sum_ctx c = {t, 0, 0, NULL, {0}};
	xf_arch_pieces(sp, a, add_piece, &c);
	if (c.missing) {
		snprintf(missing, missing_n, "%s stage %d first %d res %u expand %u kernel %u",
			 c.miss.kind, c.miss.stage, c.miss.first, c.miss.res, c.miss.expand,
			 c.miss.kernel);
		return false;
	}
	*sum_ms = c.sum;
	*blocks = c.blocks;
	return true;
}

/* Solves the k x k system m x = v (k <= 3) by Gaussian elimination with
 * partial pivoting; false when singular. */
static bool solve(double m[3][3], double v[3], int k, double x[3])
{
	for (int i = 0; i < k; i++) {
		int p = i;
		for (int r = i + 1; r < k; r++)
			if (fabs(m[r][i]) > fabs(m[p][i]))
				p = r;
		if (fabs(m[p][i]) < 1e-300)
			return false;
		for (int c = 0; c < k; c++) {
			double t = m[i][c];
			m[i][c] = m[p][c];
			m[p][c] = t;
		}
		double t = v[i];
		v[i] = v[p];
		v[p] = t;
		for (int r = i + 1; r < k; r++) {
			double f = m[r][i] / m[i][i];
			for (int c = i; c < k; c++)
				m[r][c] -= f * m[i][c];
			v[r] -= f * v[i];
		}
	}
	for (int i = k - 1; i >= 0; i--) {
		double s = v[i];
		for (int c = i + 1; c < k; c++)
			s -= m[i][c] * x[c];
		x[i] = s / m[i][i];
	}
	return true;
}

void xf_calib_fit(const double *sum, const double *blocks, const double *measured, size_t n,
		  struct xf_calib *out)
{
	*out = (struct xf_calib){1, 0, 0, n};
	if (n == 0)
		return;
	/* minimise sum ((pred - meas) / meas)^2: least squares with rows
	 * scaled by 1 / meas; features (sum, 1, blocks), fewer when n is small */
	int k = n >= 6 ? 3 : n >= 4 ? 2 : 1;
	double m[3][3] = {{0}}, v[3] = {0}, x[3] = {0};
	for (size_t i = 0; i < n; i++) {
		double w = 1.0 / measured[i];
		double f[3] = {sum[i] * w, w, blocks[i] * w};
		for (int r = 0; r < k; r++) {
			for (int c = 0; c < k; c++)
				m[r][c] += f[r] * f[c];
			v[r] += f[r] * measured[i] * w;
		}
	}
	if (!solve(m, v, k, x) || !(x[0] > 0)) {
		/* degenerate: the ratio alone */
		double num = 0, den = 0;
		for (size_t i = 0; i < n; i++) {
			double w = 1.0 / (measured[i] * measured[i]);
			num += w * sum[i] * measured[i];
			den += w * sum[i] * sum[i];
		}
		out->a = den > 0 ? num / den : 1;
		return;
	}
	out->a = x[0];
	out->b = k > 1 ? x[1] : 0;
	out->c = k > 2 ? x[2] : 0;
}

double xf_calib_predict(const struct xf_calib *c, double sum, double blocks)
{
	return c->a * sum + c->b + c->c * blocks;
}

/* Ranks with ties averaged (1-based). */
static void ranks(const double *x, size_t n, double *out)
{
	for (size_t i = 0; i < n; i++) {
		size_t less = 0, equal = 0;
		for (size_t j = 0; j < n; j++) {
			less += x[j] < x[i];
			equal += x[j] == x[i];
		}
		out[i] = (double)less + (double)(equal + 1) / 2.0;
	}
}

bool xf_predict_loo(const double *sum, const double *blocks, const double *measured, size_t n,
		    double *pred)
{
	double *s = malloc((n + 1) * sizeof(double)), *b = malloc((n + 1) * sizeof(double)),
	       *m = malloc((n + 1) * sizeof(double));
	bool ok = s && b && m;
	for (size_t i = 0; ok && i < n; i++) {
		size_t k = 0;
		for (size_t j = 0; j < n; j++)
			if (j != i) {
				s[k] = sum[j];
				b[k] = blocks[j];
				m[k++] = measured[j];
			}
		struct xf_calib c;
		xf_calib_fit(s, b, m, k, &c);
		pred[i] = xf_calib_predict(&c, sum[i], blocks[i]);
	}
	free(s);
	free(b);
	free(m);
	return ok;
}

void xf_predict_eval(const double *sum, const double *blocks, const double *measured, size_t n,
		     struct xf_predict_eval *out)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	if (n < 2)
		return;
	double *pred = malloc(n * sizeof(double)), *rp = malloc(n * sizeof(double)),
	       *rm = malloc(n * sizeof(double));
	if (!pred || !rp || !rm || !xf_predict_loo(sum, blocks, measured, n, pred))
		goto out_free;
	double sq = 0;
	size_t w5 = 0, w10 = 0;
	for (size_t i = 0; i < n; i++) {
		double e = (pred[i] - measured[i]) / measured[i];
		sq += e * e;
		w5 += fabs(e) <= 0.05;
		w10 += fabs(e) <= 0.10;
		out->worst = fmax(out->worst, fabs(e));
	}
	out->within5 = (double)w5 / (double)n;
	out->within10 = (double)w10 / (double)n;
	out->rmspe = sqrt(sq / (double)n);
	ranks(pred, n, rp);
	ranks(measured, n, rm);
	double mp = 0, mm = 0, cov = 0, vp = 0, vm = 0;
	for (size_t i = 0; i < n; i++) {
		mp += rp[i] / (double)n;
		mm += rm[i] / (double)n;
	}
	for (size_t i = 0; i < n; i++) {
		cov += (rp[i] - mp) * (rm[i] - mm);
		vp += (rp[i] - mp) * (rp[i] - mp);
		vm += (rm[i] - mm) * (rm[i] - mm);
	}
	out->spearman = vp > 0 && vm > 0 ? cov / sqrt(vp * vm) : NAN;
out_free:
	free(pred);
	free(rp);
	free(rm);
}
