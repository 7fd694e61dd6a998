/* search.c - sub-spaces, the evolutionary search and the exhaustive one
 * (search.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"
#include "util.h"

/* ---- sub-spaces --------------------------------------------------------------------- */

static uint32_t all_bits(uint32_t n)
{
	return n >= 32 ? 0xffffffffu : (1u << n) - 1;
}

void xf_subspace_all(const struct xs_space *sp, struct xf_subspace *out)
{
	memset(out, 0, sizeof(*out));
	out->res = all_bits(sp->nres);
	for (uint32_t s = 0; s < sp->nstages; s++) {
		out->depth[s] = all_bits(sp->ndepths);
		out->expand[s] = all_bits(sp->nexpands);
		out->kernel[s] = all_bits(sp->nkernels);
	}
}

void xf_subspace_small(const struct xs_space *sp, struct xf_subspace *out)
{
	xf_subspace_all(sp, out);
	out->res = 1;
	for (uint32_t s = 0; s < sp->nstages; s++) {
		out->depth[s] = 1;
		out->kernel[s] = 1;
	}
}

static int index_of(const uint32_t *list, uint32_t n, uint32_t v)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i] == v)
			return (int)i;
	return -1;
}

bool xf_subspace_has(const struct xs_space *sp, const struct xf_subspace *ss,
		     const struct xs_arch *a)
{
	int i = index_of(sp->res, sp->nres, a->r);
	if (i < 0 || !(ss->res >> i & 1))
		return false;
	for (uint32_t s = 0; s < sp->nstages; s++) {
		i = index_of(sp->depths, sp->ndepths, a->d[s]);
		if (i < 0 || !(ss->depth[s] >> i & 1))
			return false;
		for (uint32_t b = 0; b < a->d[s]; b++) {
			int e = index_of(sp->expands, sp->nexpands, a->e[s][b]);
			int k = index_of(sp->kernels, sp->nkernels, a->k[s][b]);
			if (e < 0 || k < 0 || !(ss->expand[s] >> e & 1) || !(ss->kernel[s] >> k & 1))
				return false;
		}
	}
	return true;
}

struct each {
	const struct xs_space *sp;
	const struct xf_subspace *ss;
	bool (*fn)(void *ctx, const struct xs_arch *a);
	void *ctx;
	size_t count;
	bool stop;
};

/* Stage s, block b onwards (b == depth: the next stage). */
static void each_rec(struct each *w, struct xs_arch *a, uint32_t s, uint32_t b)
{
	const struct xs_space *sp = w->sp;
	if (w->stop)
		return;
	if (s == sp->nstages) {
		struct xs_arch c = *a;
		xs_arch_canonicalise(sp, &c);
		w->count++;
		if (!w->fn(w->ctx, &c))
			w->stop = true;
		return;
	}
	if (b == 0 && a->d[s] == 0) {  /* choose the depth */
		for (uint32_t i = 0; i < sp->ndepths && !w->stop; i++)
			if (w->ss->depth[s] >> i & 1) {
				a->d[s] = sp->depths[i];
				each_rec(w, a, s, 0);
			}
		a->d[s] = 0;
		return;
	}
	if (b == a->d[s]) {
		each_rec(w, a, s + 1, 0);
		return;
	}
	for (uint32_t e = 0; e < sp->nexpands && !w->stop; e++) {
		if (!(w->ss->expand[s] >> e & 1))
			continue;
		for (uint32_t k = 0; k < sp->nkernels && !w->stop; k++) {
			if (!(w->ss->kernel[s] >> k & 1))
				continue;
			a->e[s][b] = (uint8_t)sp->expands[e];
			a->k[s][b] = (uint8_t)sp->kernels[k];
			each_rec(w, a, s, b + 1);
		}
	}
}

size_t xf_subspace_each(const struct xs_space *sp, const struct xf_subspace *ss,
			bool (*fn)(void *ctx, const struct xs_arch *a), void *ctx)
{
	struct each w = {sp, ss, fn, ctx, 0, false};
	for (uint32_t r = 0; r < sp->nres && !w.stop; r++) {
		if (!(ss->res >> r & 1))
			continue;
		struct xs_arch a;
		memset(&a, 0, sizeof(a));
		a.r = sp->res[r];
		each_rec(&w, &a, 0, 0);
	}
	return w.count;
}

/* ---- search ------------------------------------------------------------------------- */

static uint64_t rnd(uint64_t *s)  /* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniformly random allowed choice of mask over list. */
static uint32_t pick(uint64_t *s, uint32_t mask, const uint32_t *list, uint32_t n)
{
	uint32_t idx[32], m = 0;
	for (uint32_t i = 0; i < n && i < 32; i++)
		if (mask >> i & 1)
			idx[m++] = i;
	return list[m ? idx[rnd(s) % m] : 0];
}

static void random_arch(const struct xs_space *sp, const struct xf_subspace *ss, uint64_t *s,
			struct xs_arch *a)
{
	memset(a, 0, sizeof(*a));
	a->r = pick(s, ss->res, sp->res, sp->nres);
	for (uint32_t st = 0; st < sp->nstages; st++) {
		a->d[st] = pick(s, ss->depth[st], sp->depths, sp->ndepths);
		for (uint32_t b = 0; b < XS_MAX_DEPTH && b < sp->depths[sp->ndepths - 1]; b++) {
			a->e[st][b] = (uint8_t)pick(s, ss->expand[st], sp->expands, sp->nexpands);
			a->k[st][b] = (uint8_t)pick(s, ss->kernel[st], sp->kernels, sp->nkernels);
		}
	}
}

/* Each gene resampled with probability 1/10 (Once-for-All mutates with 0.1;
 * 1/4 and 1/6 did worse on the unit test's problem; at least one changes: a child
 * equal to its parent is wasted). Blocks past a depth get values too, so a
 * depth that grows has blocks to show. */
static void mutate(const struct xs_space *sp, const struct xf_subspace *ss, uint64_t *s,
		   const struct xs_arch *parent, struct xs_arch *child)
{
	struct xs_arch r;
	random_arch(sp, ss, s, &r);
	for (int tries = 0; tries < 8; tries++) {
		*child = *parent;
		uint32_t maxd = sp->depths[sp->ndepths - 1];
		for (uint32_t b = 0; b < maxd; b++)  /* unused blocks of the parent get values */
			for (uint32_t st = 0; st < sp->nstages; st++)
				if (child->e[st][b] == 0) {
					child->e[st][b] = r.e[st][b];
					child->k[st][b] = r.k[st][b];
				}
		random_arch(sp, ss, s, &r);
		if (rnd(s) % 10 == 0)
			child->r = r.r;
		for (uint32_t st = 0; st < sp->nstages; st++) {
			if (rnd(s) % 10 == 0)
				child->d[st] = r.d[st];
			for (uint32_t b = 0; b < maxd; b++) {
				if (rnd(s) % 10 == 0)
					child->e[st][b] = r.e[st][b];
				if (rnd(s) % 10 == 0)
					child->k[st][b] = r.k[st][b];
			}
		}
		struct xs_arch c = *child;
		xs_arch_canonicalise(sp, &c);
		if (memcmp(&c, parent, sizeof(c)) != 0)
			return;
	}
}

static void crossover(const struct xs_space *sp, uint64_t *s, const struct xs_arch *x,
		      const struct xs_arch *y, struct xs_arch *child)
{
	*child = *x;
	if (rnd(s) & 1)
		child->r = y->r;
	for (uint32_t st = 0; st < sp->nstages; st++) {
		if (rnd(s) & 1) {  /* a stage at a time: its blocks go with its depth */
			child->d[st] = y->d[st];
			memcpy(child->e[st], y->e[st], sizeof(child->e[st]));
			memcpy(child->k[st], y->k[st], sizeof(child->k[st]));
		}
	}
}

struct scored {
	struct xs_arch a;
	double top1;
};

struct searcher {
	const struct xs_space *sp;
	const struct xf_search_fns *fns;
	const struct xf_search_opts *opts;
	struct xf_search_result *out;
	struct scored *all;          /* every scored sub-net, in order */
	size_t n, cap;
	struct xs_arch *rejected;    /* tried and not fitting */
	size_t nrej, caprej;
	enum xs_status st;
	struct xs_error *err;
};

static bool seen(const struct searcher *w, const struct xs_arch *a)
{
	for (size_t i = 0; i < w->n; i++)
		if (memcmp(&w->all[i].a, a, sizeof(*a)) == 0)
			return true;
	for (size_t i = 0; i < w->nrej; i++)
		if (memcmp(&w->rejected[i], a, sizeof(*a)) == 0)
			return true;
	return false;
}

/* Scores a (canonicalised) when new and fitting; true when it was scored. */
static bool consider(struct searcher *w, struct xs_arch a)
{
	xs_arch_canonicalise(w->sp, &a);
	if (w->st != XS_OK || w->n >= w->opts->evals || seen(w, &a))
		return false;
	if (w->opts->ss && !xf_subspace_has(w->sp, w->opts->ss, &a))
		return false;
	w->out->tried++;
	if (!w->fns->fits(w->fns->ctx, &a)) {
		if (xf_grow(&w->rejected, w->nrej, &w->caprej, sizeof(*w->rejected), 256))
			w->rejected[w->nrej++] = a;
		return false;
	}
	if (!xf_grow(&w->all, w->n, &w->cap, sizeof(*w->all), 64)) {
		w->st = XS_ENOMEM;
		snprintf(w->err->msg, sizeof(w->err->msg), "out of memory");
		return false;
	}
	double top1;
	w->st = w->fns->accuracy(w->fns->ctx, &a, &top1, w->err);
	if (w->st != XS_OK)
		return false;
	w->all[w->n++] = (struct scored){a, top1};
	w->out->scored++;
	if (!w->out->found || top1 > w->out->top1 ||
	    (top1 == w->out->top1 && memcmp(&a, &w->out->best, sizeof(a)) < 0)) {
		w->out->found = true;
		w->out->best = a;
		w->out->top1 = top1;
	}
	if (w->opts->progress)
		w->opts->progress(w->opts->progress_ctx, w->n, w->opts->evals, w->out->top1);
	return true;
}

/* Tournament: the best of a few random members of the population (the last
 * pop entries of all). */
static const struct xs_arch *tournament(struct searcher *w, uint64_t *s, size_t first)
{
	size_t n = w->n - first, best = first + rnd(s) % n;
	for (int i = 0; i < 3; i++) {
		size_t c = first + rnd(s) % n;
		if (w->all[c].top1 > w->all[best].top1)
			best = c;
	}
	return &w->all[best].a;
}

enum xs_status xf_search(const struct xs_space *sp, const struct xf_search_fns *fns,
			 const struct xf_search_opts *opts, struct xf_search_result *out,
			 struct xs_error *err)
{
	double t0 = xf_now();
	struct xf_search_opts o = *opts;
	if (o.evals == 0)
		o.evals = 60;
	if (o.population == 0)  /* a quarter of the scores: room for children */
		o.population = o.evals / 4 > 4 ? (o.evals / 4 < 16 ? o.evals / 4 : 16) : 4;
	struct xf_subspace all;
	const struct xf_subspace *ss = o.ss;
	if (ss == NULL) {
		xf_subspace_all(sp, &all);
		ss = &all;
	}
	memset(out, 0, sizeof(*out));
	struct searcher w = {sp, fns, &o, out, NULL, 0, 0, NULL, 0, 0, XS_OK, err};
	uint64_t s = o.seed ^ 0x5e1ec7ull;
	/* the population: seeds that fit, the smallest sub-net (it fits when
	 * anything does, nearly always), then random ones */
	for (size_t i = 0; i < o.nseeds && w.n < o.population; i++)
		consider(&w, o.seeds[i]);
	struct xs_arch a;
	memset(&a, 0, sizeof(a));
	/* the smallest of ss */
	a.r = pick(&s, ss->res & (~ss->res + 1), sp->res, sp->nres);
	for (uint32_t st = 0; st < sp->nstages; st++) {
		a.d[st] = pick(&s, ss->depth[st] & (~ss->depth[st] + 1), sp->depths, sp->ndepths);
		for (uint32_t b = 0; b < a.d[st]; b++) {
			a.e[st][b] = (uint8_t)pick(&s, ss->expand[st] & (~ss->expand[st] + 1),
						   sp->expands, sp->nexpands);
			a.k[st][b] = (uint8_t)pick(&s, ss->kernel[st] & (~ss->kernel[st] + 1),
						   sp->kernels, sp->nkernels);
		}
	}
	consider(&w, a);
	for (size_t tries = 0; w.n < o.population && w.st == XS_OK && tries < 200 * o.population;
	     tries++) {
		random_arch(sp, ss, &s, &a);
		consider(&w, a);
	}
	/* regularised evolution: each step a child of tournament winners among
	 * the last population entries (the oldest age out) */
	size_t stale = 0;
	while (w.st == XS_OK && w.n > 0 && w.n < o.evals && stale < 2000) {
		size_t first = w.n > o.population ? w.n - o.population : 0;
		const struct xs_arch *x = tournament(&w, &s, first);
		struct xs_arch child;
		if (rnd(&s) % 2 == 0) {
			mutate(sp, ss, &s, x, &child);
		} else {
			struct xs_arch mix;
			crossover(sp, &s, x, tournament(&w, &s, first), &mix);
			mutate(sp, ss, &s, &mix, &child);
		}
		stale = consider(&w, child) ? 0 : stale + 1;
	}
	free(w.all);
	free(w.rejected);
	out->seconds = xf_now() - t0;
	return w.st;
}

struct exh {
	struct searcher *w;
};

static bool exh_one(void *ctx, const struct xs_arch *a)
{
	struct searcher *w = ctx;
	consider(w, *a);
	return w->st == XS_OK;
}

enum xs_status xf_search_exhaustive(const struct xs_space *sp, const struct xf_search_fns *fns,
				    const struct xf_subspace *ss, struct xf_search_result *out,
				    struct xs_error *err)
{
	double t0 = xf_now();
	struct xf_search_opts o = {.evals = SIZE_MAX, .ss = ss};
	memset(out, 0, sizeof(*out));
	struct searcher w = {sp, fns, &o, out, NULL, 0, 0, NULL, 0, 0, XS_OK, err};
	xf_subspace_each(sp, ss, exh_one, &w);
	free(w.all);
	free(w.rejected);
	out->seconds = xf_now() - t0;
	return w.st;
}

