/* select.c - budget, population, search and tiers (select.h). */
#include <ctype.h>
#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "select.h"
#include "data.h"
#include "util.h"

/* ---- budget ------------------------------------------------------------------------ */

/* A number and its unit in [p, end); factor from the unit table. */
static bool number_unit(const char *p, const char *end, const char *const *units,
			const double *factors, double *out)
{
	char buf[64];
	size_t len = (size_t)(end - p);
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	char *u;
	double v = strtod(buf, &u);
	if (u == buf || !isfinite(v) || !(v > 0))
		return false;
	for (size_t i = 0; units[i]; i++)
		if (strcasecmp(u, units[i]) == 0) {
			*out = v * factors[i];
			return isfinite(*out);
		}
	return false;
}

bool xf_budget_parse(const char *text, struct xf_budget *out, char *why, size_t why_n)
{
	static const char *const time_units[] = {"us", "ms", "s", NULL};
	static const double time_f[] = {1e-3, 1, 1e3};
	static const char *const byte_units[] = {"B", "KB", "MB", "GB", "KiB", "MiB", "GiB", NULL};
	static const double byte_f[] = {1, 1024, 1048576, 1073741824.0, 1024, 1048576,
					1073741824.0};
	memset(out, 0, sizeof(*out));
	out->percentile = 90;
	bool seen_lat = false, seen_mem = false, seen_size = false;
	for (const char *p = text; *p;) {
		const char *end = p + strcspn(p, ",");
		const char *op = strstr(p, "<=");
		if (op == NULL || op > end) {
			snprintf(why, why_n, "'%.*s' is not NAME<=VALUE (e.g. p90<=8ms, mem<=4MB, "
				 "size<=1MB)", (int)(end - p > 60 ? 60 : end - p), p);
			return false;
		}
		size_t nlen = (size_t)(op - p);
		double v;
		if (nlen == 3 && p[0] == 'p' && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2])) {
			int pc = (p[1] - '0') * 10 + (p[2] - '0');
			if (pc != 50 && pc != 90 && pc != 99) {
				snprintf(why, why_n, "p%d: the agent measures p50 (the median), p90 and p99",
					 pc);
				return false;
			}
			if (seen_lat) {
				snprintf(why, why_n, "the latency is given twice");
				return false;
			}
			if (!number_unit(op + 2, end, time_units, time_f, &v) || v > 1e9) {
				snprintf(why, why_n, "'%.*s': give the latency as p90<=8ms (a number > 0 "
					 "and at most 1e6 s; units us, ms, s)",
					 (int)(end - p > 60 ? 60 : end - p), p);
				return false;
			}
			seen_lat = true;
			out->percentile = pc;
			out->latency_ms = v;
		} else if ((nlen == 3 && strncmp(p, "mem", 3) == 0) ||
			   (nlen == 4 && strncmp(p, "size", 4) == 0)) {
			bool mem = nlen == 3;
			if (mem ? seen_mem : seen_size) {
				snprintf(why, why_n, "%s is given twice", mem ? "the memory" : "the size");
				return false;
			}
			if (!number_unit(op + 2, end, byte_units, byte_f, &v) || v > 1e15) {
				snprintf(why, why_n, "'%.*s': give %s in B, KB, MB or GB (powers of 1024; a "
					 "number > 0 and below 1e15 bytes), e.g. %s",
					 (int)(end - p > 60 ? 60 : end - p), p,
					 mem ? "the memory" : "the size", mem ? "mem<=4MB" : "size<=1MB");
				return false;
			}
			if (mem) {
				seen_mem = true;
				out->memory = (uint64_t)ceil(v);
			} else {
				seen_size = true;
				out->size = (uint64_t)ceil(v);
			}
		} else {
			snprintf(why, why_n, "unknown budget '%.*s': give pNN (latency), mem or size",
				 (int)(nlen > 40 ? 40 : nlen), p);
			return false;
		}
		p = *end ? end + 1 : end;
	}
	if (!seen_lat && !seen_mem && !seen_size) {
		snprintf(why, why_n, "an empty budget: give e.g. %s", XF_DEFAULT_BUDGET);
		return false;
	}
	return true;
}

void xf_budget_print(const struct xf_budget *b, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	if (b->latency_ms > 0)
		len += (size_t)snprintf(out + len, n - len, "p%d<=%gms", b->percentile, b->latency_ms);
	if (b->memory && len < n)
		len += (size_t)snprintf(out + len, n - len, "%smem<=%lluB", len ? "," : "",
					(unsigned long long)b->memory);
	if (b->size && len < n)
		snprintf(out + len, n - len, "%ssize<=%lluB", len ? "," : "",
			 (unsigned long long)b->size);
}

/* ---- population ------------------------------------------------------------------- */

struct pop {
	struct xf_share *rows;
	size_t n, cap;
	char field[2][160];
	size_t nfields;
	size_t line;
	bool bad;
	char *why;
	size_t why_n;
};

static void pop_field(void *s, size_t len, void *ctx)
{
	struct pop *p = ctx;
	if (p->nfields < 2) {
		if (len >= sizeof(p->field[0]))
			len = sizeof(p->field[0]) - 1;
		if (s == NULL)  /* an empty field */
			len = 0;
		else
			memcpy(p->field[p->nfields], s, len);
		p->field[p->nfields][len] = '\0';
		if (strlen(p->field[p->nfields]) != len && !p->bad) {
			snprintf(p->why, p->why_n, "row %zu: a NUL byte in a field", p->line);
			p->bad = true;
		}
	}
	p->nfields++;
}

static void pop_row(int c, void *ctx)
{
	(void)c;
	struct pop *p = ctx;
	p->line++;
	size_t nf = p->nfields;
	p->nfields = 0;
	if (p->bad)
		return;
	if (nf != 2) {
		snprintf(p->why, p->why_n, "row %zu: %zu fields; each row is model,share", p->line, nf);
		p->bad = true;
		return;
	}
	char *end;
	double v = strtod(p->field[1], &end);
	if (end == p->field[1] || *end || !isfinite(v) || v < 0) {
		if (p->line == 1 && strcasecmp(p->field[1], "share") == 0)
			return;  /* the header */
		snprintf(p->why, p->why_n, "row %zu: share '%.40s' is not a number >= 0", p->line,
			 p->field[1]);
		p->bad = true;
		return;
	}
	if (p->field[0][0] == '\0') {
		snprintf(p->why, p->why_n, "row %zu: an empty model name", p->line);
		p->bad = true;
		return;
	}
	if (strlen(p->field[0]) >= sizeof(p->rows[0].model)) {
		snprintf(p->why, p->why_n, "row %zu: a model name longer than %zu bytes", p->line,
			 sizeof(p->rows[0].model) - 1);
		p->bad = true;
		return;
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->rows[i].model, p->field[0]) == 0) {
			snprintf(p->why, p->why_n, "row %zu: model '%.80s' is there twice", p->line,
				 p->field[0]);
			p->bad = true;
			return;
		}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 32;
		struct xf_share *nr = realloc(p->rows, cap * sizeof(*nr));
		if (nr == NULL) {
			snprintf(p->why, p->why_n, "out of memory");
			p->bad = true;
			return;
		}
		p->rows = nr;
		p->cap = cap;
	}
	snprintf(p->rows[p->n].model, sizeof(p->rows[p->n].model), "%s", p->field[0]);
	p->rows[p->n++].share = v;
}

bool xf_population_parse(const char *text, size_t len, struct xf_share **out, size_t *n,
			 char *why, size_t why_n)
{
	struct csv_parser csv;
	struct pop p = {.why = why, .why_n = why_n};
	*out = NULL;
	*n = 0;
	if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) {
		snprintf(why, why_n, "out of memory");
		return false;
	}
	bool ok = csv_parse(&csv, text, len, pop_field, pop_row, &p) == len;
	if (ok)
		ok = csv_fini(&csv, pop_field, pop_row, &p) == 0;
	if (!ok && !p.bad)
		snprintf(why, why_n, "row %zu: %s", p.line + 1, csv_strerror(csv_error(&csv)));
	csv_free(&csv);
	double total = 0;
	for (size_t i = 0; i < p.n; i++)
		total += p.rows[i].share;
	if (ok && !p.bad && !(total > 0)) {
		snprintf(why, why_n, p.n ? "every share is 0" : "no rows (model,share)");
		p.bad = true;
	}
	if (!ok || p.bad) {
		free(p.rows);
		return false;
	}
	for (size_t i = 0; i < p.n; i++)
		p.rows[i].share /= total;
	*out = p.rows;
	*n = p.n;
	return true;
}

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

/* ---- tiers ----------------------------------------------------------------------------- */

/* best[i * nd + j]: the best candidate fitting devices i..j (-1: none). */
static long *range_best(const bool *fits, const double *acc, size_t nc, size_t nd)
{
	long *best = malloc(nd * nd * sizeof(long));
	bool *alive = malloc(nc ? nc : 1);
	if (best == NULL || alive == NULL) {
		free(best);
		free(alive);
		return NULL;
	}
	for (size_t i = 0; i < nd; i++) {
		memset(alive, 1, nc);
		for (size_t j = i; j < nd; j++) {
			long b = -1;
			for (size_t c = 0; c < nc; c++) {
				alive[c] = alive[c] && fits[c * nd + j];
				if (alive[c] && (b < 0 || acc[c] > acc[b]))
					b = (long)c;
			}
			best[i * nd + j] = b;
		}
	}
	free(alive);
	return best;
}

static bool tiers_k(const long *best, const double *acc, const double *share, size_t nd,
		    size_t k, struct xf_tiering *out)
{
	/* v[t][j]: the best value of devices 0..j-1 in t tiers; from[t][j] where
	 * the last of them starts */
	double *v = malloc((k + 1) * (nd + 1) * sizeof(double));
	size_t *from = malloc((k + 1) * (nd + 1) * sizeof(size_t));
	double *pre = malloc((nd + 1) * sizeof(double));
	if (v == NULL || from == NULL || pre == NULL) {
		free(v);
		free(from);
		free(pre);
		return false;
	}
	pre[0] = 0;
	for (size_t d = 0; d < nd; d++)
		pre[d + 1] = pre[d] + share[d];
	for (size_t i = 0; i < (k + 1) * (nd + 1); i++)
		v[i] = -INFINITY;
	v[0] = 0;
	for (size_t t = 1; t <= k; t++)
		for (size_t j = t; j <= nd; j++)
			for (size_t i = t - 1; i < j; i++) {
				long b = best[i * nd + (j - 1)];
				double prev = v[(t - 1) * (nd + 1) + i];
				if (b < 0 || prev == -INFINITY)
					continue;
				double val = prev + (pre[j] - pre[i]) * acc[b];
				if (val > v[t * (nd + 1) + j]) {
					v[t * (nd + 1) + j] = val;
					from[t * (nd + 1) + j] = i;
				}
			}
	bool ok = v[k * (nd + 1) + nd] > -INFINITY;
	if (ok) {
		out->k = k;
		out->value = v[k * (nd + 1) + nd];
		size_t j = nd;
		for (size_t t = k; t >= 1; t--) {
			size_t i = from[t * (nd + 1) + j];
			out->first[t - 1] = i;
			out->last[t - 1] = j - 1;
			out->cand[t - 1] = (size_t)best[i * nd + (j - 1)];
			j = i;
		}
	}
	free(v);
	free(from);
	free(pre);
	return ok;
}

bool xf_tiers_best(const bool *fits, const double *acc, size_t nc, const double *share,
		   size_t nd, size_t k, struct xf_tiering *out)
{
	if (k == 0 || k > nd || k > XF_MAX_TIERS)
		return false;
	long *best = range_best(fits, acc, nc, nd);
	if (best == NULL)
		return false;
	bool ok = tiers_k(best, acc, share, nd, k, out);
	free(best);
	return ok;
}

bool xf_tiers_auto(const bool *fits, const double *acc, size_t nc, const double *share,
		   size_t nd, size_t max_k, double min_gain, struct xf_tiering *out)
{
	if (max_k > nd)
		max_k = nd;
	if (max_k > XF_MAX_TIERS)
		max_k = XF_MAX_TIERS;
	long *best = range_best(fits, acc, nc, nd);
	if (best == NULL || max_k == 0) {
		free(best);
		return false;
	}
	struct xf_tiering t[XF_MAX_TIERS];
	double top = -INFINITY;
	size_t have = 0;
	for (size_t k = 1; k <= max_k; k++) {
		if (!tiers_k(best, acc, share, nd, k, &t[k - 1]))
			break;
		have = k;
		if (t[k - 1].value > top)
			top = t[k - 1].value;
	}
	free(best);
	for (size_t k = 1; k <= have; k++)
		if (t[k - 1].value >= top - min_gain) {
			*out = t[k - 1];
			return true;
		}
	return false;
}
