/* select.h - choosing a sub-net per device tier (DESIGN.md "Selection"):
 * the budget, the population, the search over a space with predicted
 * latency, and the grouping of devices into tiers. No I/O here: the command
 * (cmd-select.c) gives the predictions and the accuracies through callbacks,
 * so the unit test can run all of it on functions it knows the answer of. */
#ifndef XF_SELECT_H
#define XF_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

/* ---- budget -------------------------------------------------------------------------
 * "p90<=8ms,mem<=4MB,size<=1MB": latency at a percentile (pNN, NN 50..99;
 * units us, ms, s), peak memory (the engine's planned bytes: activation
 * arena + weights, one image) and model file size (units B, KB, MB, GB: powers
 * of 1024, as the manifest's bytes); parts in any order, each at most once,
 * a missing part is no bound (0). */
#define XF_DEFAULT_BUDGET "p90<=8ms,mem<=4MB,size<=1MB"

struct xf_budget {
	double latency_ms;       /* 0: none */
	int percentile;          /* 50 or 90 or 99 (the agent's statistics) */
	uint64_t memory, size;   /* bytes; 0: none */
};
bool xf_budget_parse(const char *text, struct xf_budget *out, char *why, size_t why_n);
/* The canonical text of b ("p90<=8ms,mem<=4194304B,size<=1048576B"). */
void xf_budget_print(const struct xf_budget *b, char *out, size_t n);

/* ---- population ---------------------------------------------------------------------
 * CSV, one row per device model: model,share (a header row "model,share" is
 * allowed; shares are any non-negative numbers, e.g. percents; they are
 * normalised). A model that appears twice or an empty name is an error;
 * errors name the row (records, as libcsv counts them: blank lines are
 * skipped). */
struct xf_share {
	char model[128];
	double share;
};
/* Parses len bytes; *out (malloc'd) gets n rows. false with why (naming the
 * line) on anything malformed. */
bool xf_population_parse(const char *text, size_t len, struct xf_share **out, size_t *n,
			 char *why, size_t why_n);

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

/* ---- tiers ---------------------------------------------------------------------------
 * nd devices in speed order (fastest first), nc candidate sub-nets:
 * fits[c * nd + d] whether candidate c meets the budgets on device d,
 * acc[c] its accuracy, share[d] the device's share of users. Tiers are
 * contiguous runs of devices; a tier's sub-net is the most accurate
 * candidate that fits all its devices; the grouping maximises the sum of
 * share * accuracy. Every device must fit some candidate. */
#define XF_MAX_TIERS 16
struct xf_tiering {
	size_t k;
	size_t first[XF_MAX_TIERS], last[XF_MAX_TIERS];  /* device ranges, inclusive */
	size_t cand[XF_MAX_TIERS];
	double value;                                    /* sum of share * accuracy */
};
/* The best grouping into exactly k tiers (k <= nd); false when some device
 * fits no candidate or memory runs out. */
bool xf_tiers_best(const bool *fits, const double *acc, size_t nc, const double *share,
		   size_t nd, size_t k, struct xf_tiering *out);
/* --tiers auto: the smallest k whose value is within min_gain (in share *
 * accuracy points, e.g. 0.1) of the best k's, k <= max_k. */
bool xf_tiers_auto(const bool *fits, const double *acc, size_t nc, const double *share,
		   size_t nd, size_t max_k, double min_gain, struct xf_tiering *out);

#endif /* XF_SELECT_H */
