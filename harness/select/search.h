/* search.h - the search for the most accurate sub-net that fits: sub-spaces
 * (allowed choices per gene), regularised evolution and the exhaustive
 * search. No I/O: the caller gives the budget check and the accuracy through
 * callbacks, so the unit test runs it on functions it knows the answer of. */
#ifndef XF_SEARCH_H
#define XF_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

/* ---- sub-spaces ----------------------------------------------------------------------
 * Allowed choices per gene, as bit masks over the space's choice lists (bit i:
 * res[i], depths[i], expands[i], kernels[i]), per stage. */
struct xf_subspace {
	uint32_t res;
	uint32_t depth[XS_MAX_STAGES], expand[XS_MAX_STAGES], kernel[XS_MAX_STAGES];
};
void xf_subspace_all(const struct xs_space *sp, struct xf_subspace *out);
/* The sub-space the regret is measured on: the smallest resolution, depth
 * and kernel, every expand ratio in every stage (3^4 = 81 sub-nets in
 * fmnist-ofa). */
void xf_subspace_small(const struct xs_space *sp, struct xf_subspace *out);
bool xf_subspace_has(const struct xs_space *sp, const struct xf_subspace *ss,
		     const struct xs_arch *a);
/* Calls fn for each distinct sub-net of ss (canonical); stops when fn
 * returns false. Returns how many it called fn for. */
size_t xf_subspace_each(const struct xs_space *sp, const struct xf_subspace *ss,
			bool (*fn)(void *ctx, const struct xs_arch *a), void *ctx);

/* ---- search ------------------------------------------------------------------------- */
struct xf_search_fns {
	void *ctx;
	/* Whether a meets the budgets on every device of the set being searched
	 * for (predicted latency; exact memory and size): cheap. */
	bool (*fits)(void *ctx, const struct xs_arch *a);
	/* a's accuracy (validation top-1, percent): expensive. */
	enum xs_status (*accuracy)(void *ctx, const struct xs_arch *a, double *top1,
				   struct xs_error *err);
};

struct xf_search_opts {
	uint64_t seed;
	size_t evals;                /* sub-nets scored at most (default 60) */
	size_t population;           /* default evals / 4, 4..16 */
	const struct xs_arch *seeds; /* scored first when they fit (may be NULL) */
	size_t nseeds;
	const struct xf_subspace *ss;/* NULL: the whole space */
	/* progress (may be NULL): after each sub-net scored */
	void (*progress)(void *ctx, size_t scored, size_t evals, double best);
	void *progress_ctx;
};

struct xf_search_result {
	bool found;                  /* some sub-net fits */
	struct xs_arch best;
	double top1;
	size_t scored;               /* accuracy calls */
	size_t tried;                /* fits calls */
	double seconds;
};

/* Evolutionary search (Real et al.'s regularised evolution with
 * tournaments, as Once-for-All's search): a population of fitting sub-nets,
 * children by mutation and crossover of tournament winners, the oldest
 * dropped, until opts->evals sub-nets are scored. The best scored one that
 * fits. Deterministic for a seed. */
enum xs_status xf_search(const struct xs_space *sp, const struct xf_search_fns *fns,
			 const struct xf_search_opts *opts, struct xf_search_result *out,
			 struct xs_error *err);
/* Every sub-net of ss that fits, scored: the true optimum (small ss only). */
enum xs_status xf_search_exhaustive(const struct xs_space *sp, const struct xf_search_fns *fns,
				    const struct xf_subspace *ss, struct xf_search_result *out,
				    struct xs_error *err);

#endif /* XF_SEARCH_H */
