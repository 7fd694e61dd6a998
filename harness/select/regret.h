/* regret.h - how far the evolutionary search falls from the optimum: on the
 * small sub-space (xf_subspace_small: 81 sub-nets in fmnist-ofa) for one set
 * of devices, the exhaustive best against ten evolutionary searches with a
 * quarter of the scores, and against random sampling of as many. */
#ifndef XF_REGRET_H
#define XF_REGRET_H

#include <stdbool.h>
#include <stddef.h>

#include "xs.h"

struct xf_regret {
	bool found;              /* some sub-net of the small sub-space fits */
	size_t fitting;          /* how many fit (all scored) */
	size_t scored_now;       /* of them, accuracies computed now (not cached) */
	double eval_seconds;     /* the time those took */
	double optimum;          /* the exhaustive best top-1 */
	size_t evals;            /* scores per evolutionary search */
	size_t runs;             /* searches (seeds) */
	double mean, worst;      /* the searches' regret (top-1 points) */
	size_t hits;             /* searches that found the optimum */
	double seconds;          /* per search (scores cached) */
	double random_mean;      /* random sampling's mean regret */
};

struct xf_sel;
/* The study for the devices set[nset] of s (set-search.h) in prec. XS_OK
 * with found false when nothing fits; the search's errors. */
enum xs_status xf_select_regret(struct xf_sel *s, const size_t *set, size_t nset,
				enum xs_precision prec, struct xf_regret *out, struct xs_error *err);

#endif /* XF_REGRET_H */
