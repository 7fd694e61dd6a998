/* set-search.c - the search for a set of devices of a selection
 * (set-search.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "set-search.h"
#include "util.h"

void xf_sel_emit(const struct xf_sel *s, const struct xf_select_event *ev)
{
	if (s->o->event)
		s->o->event(s->o->event_ctx, ev);
}

void xf_sel_notice(const struct xf_sel *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xf_sel_emit(s, &(struct xf_select_event){.kind = XF_SELECT_NOTICE, .msg = msg});
}

bool xf_sel_fits_static(const struct xf_sel *s, const struct xf_cand *c)
{
	const struct xf_budget *b = &s->o->budget;
	return (b->size == 0 || c->size <= b->size) && (b->memory == 0 || c->memory <= b->memory);
}

bool xf_sel_fits_dev(const struct xf_sel *s, size_t d, const struct xf_cand *c)
{
	if (s->o->budget.latency_ms <= 0)
		return true;
	const struct xf_fleet_device *fd = &s->fleet->dev[d];
	bool measured;
	double lat = xf_fleet_latency(s->fleet, d, &c->a, c->prec, c->text, &measured);
	if (!measured)  /* int8: the ratio's spread on top of the f32 prediction's error */
		lat *= 1 + (c->prec == XS_PRECISION_F32 ? fd->margin
			    : sqrt(fd->margin * fd->margin + fd->int8_spread * fd->int8_spread));
	return !isnan(lat) && lat <= s->o->budget.latency_ms;
}

bool xf_sel_search_fits(void *ctx, const struct xs_arch *a)
{
	struct xf_sel *s = ctx;
	size_t i;
	struct xs_error err;
	if (xf_cands_get(&s->cands, a, s->prec, &i, &err) != XS_OK)
		return false;
	for (size_t j = 0; j < s->nset; j++)  /* the cheap check first */
		if (!xf_sel_fits_dev(s, s->set[j], &s->cands.c[i]))
			return false;
	if (xf_cands_sizes(&s->cands, i, &err) != XS_OK) {
		xf_sel_notice(s, "%s", err.msg);  /* does not build: does not fit */
		return false;
	}
	return xf_sel_fits_static(s, &s->cands.c[i]);
}

enum xs_status xf_sel_search_accuracy(void *ctx, const struct xs_arch *a, double *top1,
				      struct xs_error *err)
{
	struct xf_sel *s = ctx;
	size_t i;
	enum xs_status st = xf_cands_get(&s->cands, a, s->prec, &i, err);
	return st == XS_OK ? xf_cands_accuracy(&s->cands, i, top1, err) : st;
}

static void on_progress(void *ctx, size_t scored, size_t evals, double best)
{
	const struct xf_sel *s = ctx;
	xf_sel_emit(s, &(struct xf_select_event){.kind = XF_SELECT_SEARCH, .what = s->what,
						  .scored = scored, .evals = evals, .best = best});
}

/* The seeds of a search: the sub-nets the set's devices measured in its
 * precision whose accuracy the DB has (the sweep's references give each
 * one), and every candidate scored so far, the best first. Without the
 * measured ones a search of a few dozen scores could miss the sweep's own
 * best sub-net that fits. */
static struct xs_arch *seeds_of(struct xf_sel *s, size_t *n)
{
	struct xf_cands *cs = &s->cands;
	for (size_t j = 0; j < s->nset; j++) {
		const struct xf_fleet_device *fd = &s->fleet->dev[s->set[j]];
		for (size_t k = 0; k < fd->nm; k++) {
			struct xs_arch a;
			struct xs_error err;
			size_t i;
			if (fd->m[k].prec == s->prec &&
			    xs_arch_parse(s->sp, fd->m[k].arch, &a, &err) == XS_OK &&
			    xf_cands_get(cs, &a, s->prec, &i, &err) == XS_OK)
				(void)xf_cands_known(cs, i, &err);  /* none: not a seed */
		}
	}
	struct xs_arch *v = malloc((cs->n + 1) * sizeof(*v));
	size_t k = 0;
	double *acc = malloc((cs->n + 1) * sizeof(double));
	for (size_t i = 0; v && acc && i < cs->n; i++)
		if (!isnan(cs->c[i].val) && cs->c[i].prec == s->prec) {
			size_t j = k++;
			while (j > 0 && acc[j - 1] < cs->c[i].val) {  /* insertion sort, descending */
				v[j] = v[j - 1];
				acc[j] = acc[j - 1];
				j--;
			}
			v[j] = cs->c[i].a;
			acc[j] = cs->c[i].val;
		}
	free(acc);
	*n = k;
	return v;
}

/* Whether every device of the set can know its latency in prec (int8: it
 * ran int8, so it has a ratio). */
static bool set_knows(const struct xf_sel *s, const size_t *set, size_t nset,
		      enum xs_precision prec)
{
	for (size_t i = 0; prec != XS_PRECISION_F32 && i < nset; i++)
		if (isnan(s->fleet->dev[set[i]].int8_ratio))
			return false;
	return true;
}

enum xs_status xf_sel_search_set(struct xf_sel *s, const size_t *set, size_t nset,
				 const char *what, struct xf_search_result *r,
				 enum xs_precision *prec, struct xs_error *err)
{
	memset(r, 0, sizeof(*r));
	*prec = XS_PRECISION_F32;
	size_t scored = 0, tried = 0;
	double seconds = 0;
	for (size_t p = 0; p < s->o->nprecs; p++) {
		if (!set_knows(s, set, nset, s->o->precs[p]))
			continue;
		s->prec = s->o->precs[p];
		s->set = set;  /* before the seeds: they are this set's measurements */
		s->nset = nset;
		struct xf_search_fns fns = {s, xf_sel_search_fits, xf_sel_search_accuracy};
		size_t nseeds;
		struct xs_arch *seeds = seeds_of(s, &nseeds);
		struct xf_search_opts o = {.seed = s->o->seed, .evals = s->o->evals, .seeds = seeds,
					   .nseeds = nseeds, .progress = on_progress,
					   .progress_ctx = s};
		char label[240];
		snprintf(label, sizeof(label), "%s, %s", what, xs_precision_name(s->prec));
		s->what = label;
		struct xs_error serr;
		struct xf_search_result one;
		enum xs_status st = xf_search(s->sp, &fns, &o, &one, &serr);
		free(seeds);
		s->what = what;
		if (st != XS_OK)
			return xf_error_set(err, st, "search %s: %s", label, serr.msg);
		scored += one.scored;
		tried += one.tried;
		seconds += one.seconds;
		if (one.found && (!r->found || one.top1 > r->top1)) {
			*r = one;
			*prec = s->prec;
		}
	}
	r->scored = scored;  /* over the precisions */
	r->tried = tried;
	r->seconds = seconds;
	return XS_OK;
}
