/* tiers.h - devices in speed order grouped into tiers: contiguous runs,
 * each served by the most accurate candidate that fits all its devices,
 * the grouping maximising the population's expected accuracy. Pure: the
 * fits matrix and accuracies are the caller's. */
#ifndef XF_TIERS_H
#define XF_TIERS_H

#include <stdbool.h>
#include <stddef.h>

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

/* The grouping of nd devices in speed order: devices next to each other
 * that the same candidates fit are one class (a fleet of one model many
 * times); the classes grouped into want_k tiers (at most the classes; 0:
 * xf_tiers_auto with max_k and min_gain), mapped back to device ranges, and
 * adjacent tiers of the same candidate merged into one. *nclasses gets the
 * class count, *grouped the tiers before merging. false when some device fits
 * no candidate or memory runs out. */
bool xf_tiers_group(const bool *fits, const double *acc, size_t nc, const double *share,
		    size_t nd, size_t want_k, size_t max_k, double min_gain,
		    struct xf_tiering *out, size_t *nclasses, size_t *grouped);

#endif /* XF_TIERS_H */
