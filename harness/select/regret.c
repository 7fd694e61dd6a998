/* regret.c - the evolutionary search's regret on the small sub-space
 * (regret.h). */
#include <stdlib.h>
#include <string.h>

#include "regret.h"
#include "set-search.h"
#include "util.h"

struct fitting {
	struct xf_sel *s;
	double *acc;
	size_t n;
};

static bool collect_fitting(void *ctx, const struct xs_arch *a)
{
	struct fitting *f = ctx;
	double v;
	struct xs_error err;
	if (xf_sel_search_fits(f->s, a) && xf_sel_search_accuracy(f->s, a, &v, &err) == XS_OK)
		f->acc[f->n++] = v;
	return true;
}

/* The baseline: the mean regret of the best of evals random fitting
 * sub-nets of ss, over ten draws. */
static double random_regret(struct xf_sel *s, const struct xf_subspace *ss, double optimum,
			    size_t fitting, size_t evals)
{
	struct fitting fit = {s, malloc((fitting + 1) * sizeof(double)), 0};
	double sum = 0;
	if (fit.acc == NULL)
		return 0;
	xf_subspace_each(s->sp, ss, collect_fitting, &fit);
	uint64_t st = s->o->seed;
	for (size_t r = 0; r < 10; r++) {
		double best = -1;
		for (size_t i = 0; i < evals && i < fit.n; i++) {  /* partial Fisher-Yates */
			st = st * 6364136223846793005ull + 1442695040888963407ull;
			size_t j = i + (size_t)(st >> 33) % (fit.n - i);
			double t = fit.acc[i];
			fit.acc[i] = fit.acc[j];
			fit.acc[j] = t;
			best = fit.acc[i] > best ? fit.acc[i] : best;
		}
		sum += optimum - best;
	}
	free(fit.acc);
	return sum / 10;
}

enum xs_status xf_select_regret(struct xf_sel *s, const size_t *set, size_t nset,
				enum xs_precision prec, struct xf_regret *out, struct xs_error *err)
{
	memset(out, 0, sizeof(*out));
	struct xf_subspace ss;
	xf_subspace_small(s->sp, &ss);
	struct xf_search_fns fns = {s, xf_sel_search_fits, xf_sel_search_accuracy};
	s->set = set;
	s->nset = nset;
	s->what = "regret";
	s->prec = prec;
	struct xf_search_result ex, ev;
	struct xs_error serr;
	const size_t before = s->cands.scored_here;
	const double t0 = s->cands.score_seconds;
	enum xs_status st = xf_search_exhaustive(s->sp, &fns, &ss, &ex, &serr);
	if (st != XS_OK)
		return xf_error_set(err, st, "%s", serr.msg);
	out->eval_seconds = s->cands.score_seconds - t0;
	out->found = ex.found;
	if (!ex.found)
		return XS_OK;
	out->fitting = ex.scored;
	out->optimum = ex.top1;
	out->evals = ex.scored / 4 > 8 ? ex.scored / 4 : 8;
	out->random_mean = random_regret(s, &ss, ex.top1, ex.scored, out->evals);
	out->runs = 10;
	double sum = 0, secs = 0;
	for (size_t r = 0; r < out->runs; r++) {
		struct xf_search_opts o = {.seed = s->o->seed + 1000 + r, .evals = out->evals,
					   .ss = &ss};
		st = xf_search(s->sp, &fns, &o, &ev, &serr);
		if (st != XS_OK)
			return xf_error_set(err, st, "%s", serr.msg);
		if (!ev.found)
			return xf_error_set(err, XS_EINVAL, "the search found no fitting sub-net");
		double g = ex.top1 - ev.top1;
		sum += g;
		out->worst = g > out->worst ? g : out->worst;
		out->hits += g == 0;
		secs += ev.seconds;
	}
	out->scored_now = s->cands.scored_here - before;
	out->mean = sum / (double)out->runs;
	out->seconds = secs / (double)out->runs;
	return XS_OK;
}
