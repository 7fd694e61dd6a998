/* predict.h - sub-net latency from a device's kernel table.
 *
 * A sub-net is the sum of its pieces (resize, stem, each block, head) as the
 * agent's kernel table times them in isolation; that sum is calibrated per
 * device with the sub-nets measured there: measured median = a * sum + b +
 * c * blocks, a weighted least-squares fit of relative error (what a block
 * costs inside a network differs from alone: caches, per-layer overhead).
 * With fewer than 4 measured sub-nets only the scale a is fitted; with none,
 * the sum is the prediction. These are the building blocks of the fleet
 * model (fleet.h), which select, predict and report use. */
#ifndef XF_PREDICT_H
#define XF_PREDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "fdb.h"
#include "xs.h"

/* One piece of a sub-net, keyed as the agent's kernel table keys it. */
struct xf_piece {
	const char *kind;        /* resize, stem, block, head */
	int stage, first;        /* block: 1-based stage; first block of it */
	uint32_t res, expand, kernel;
};

/* Calls fn for each piece of a's network, in order; returns how many. */
size_t xf_arch_pieces(const struct xs_space *sp, const struct xs_arch *a,
		      void (*fn)(void *ctx, const struct xf_piece *p), void *ctx);

/* A device's kernel table (one thread count, f32). */
struct xf_ktable;
/* Loads device_id's rows for supernet_id with threads threads. An empty table
 * is XS_EINVAL with err saying so. */
enum xs_status xf_ktable_load(struct fdb *db, int64_t supernet_id, int64_t device_id,
			      int threads, struct xf_ktable **out, struct xs_error *err);
void xf_ktable_destroy(struct xf_ktable *t);
/* The sum of a's pieces' median latencies (ms) and its block count. false
 * (missing names the first piece the table lacks) when one is not there. */
bool xf_ktable_sum(const struct xf_ktable *t, const struct xs_space *sp, const struct xs_arch *a,
		   double *sum_ms, double *blocks, char *missing, size_t missing_n);

struct xf_calib {
	double a, b, c;          /* measured = a * sum + b + c * blocks */
	size_t n;                /* sub-nets it was fitted on */
};
/* Fits on n measured sub-nets (sum[i], blocks[i], measured[i]). Cannot fail:
 * with n = 0 it is the identity. */
void xf_calib_fit(const double *sum, const double *blocks, const double *measured, size_t n,
		  struct xf_calib *out);
double xf_calib_predict(const struct xf_calib *c, double sum, double blocks);

/* Each of n measured sub-nets predicted from a fit on the others (pred[n]);
 * false when out of memory. */
bool xf_predict_loo(const double *sum, const double *blocks, const double *measured, size_t n,
		    double *pred);

/* Leave-one-out over n measured sub-nets: each predicted from a fit on the
 * others. */
struct xf_predict_eval {
	size_t n;
	double within5, within10;  /* shares, 0..1 */
	double rmspe;              /* root mean square of relative errors, 0..1 */
	double spearman;           /* rank correlation of predicted and measured */
	double worst;              /* largest |relative error| */
};
void xf_predict_eval(const double *sum, const double *blocks, const double *measured, size_t n,
		     struct xf_predict_eval *out);

#endif /* XF_PREDICT_H */
