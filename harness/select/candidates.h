/* candidates.h - the sub-nets a selection looks at, each once: a sub-net in
 * a precision with its exact file size and planned memory (built without
 * recalibration: the same byte counts) and its accuracy, top-1 on the
 * validation split (the space's last val_images training images, never
 * trained on) by the host engine in that precision, cached in the DB
 * (fdb_subnet_val_set) so a second selection computes none it has seen. */
#ifndef XF_CANDIDATES_H
#define XF_CANDIDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdb.h"
#include "xs.h"

struct xf_cand {
	struct xs_arch a;            /* canonical */
	enum xs_precision prec;
	char text[XS_ARCH_MAX];      /* a's canonical text */
	uint64_t size, memory;       /* file bytes; arena + weights (one image); 0: not known yet */
	double val;                  /* validation top-1 (percent); NAN: not scored */
	int64_t subnet_id;           /* the DB's; -1: not looked up yet */
};

/* The cache. Every pointer is the caller's and must outlive it; c grows,
 * so hold indices, not pointers, across xf_cands_get. */
struct xf_cands {
	const struct xs_supernet *sn;
	struct fdb *db;
	int64_t supernet_id;
	const struct xs_idx *images, *labels;  /* the training images and labels */
	struct xk_threadpool *tp;    /* may be NULL */
	struct xf_cand *c;           /* owned */
	size_t n, cap;
	size_t scored_here;          /* accuracies computed (not from the DB) */
	double score_seconds;        /* the time they took */
};

/* An empty cache over the supernet's sub-nets. Cannot fail. */
void xf_cands_init(struct xf_cands *cs, const struct xs_supernet *sn, struct fdb *db,
		   int64_t supernet_id, const struct xs_idx *images, const struct xs_idx *labels,
		   struct xk_threadpool *tp);
void xf_cands_release(struct xf_cands *cs);

/* The index of a (canonical) in prec, added when new. XS_ENOMEM. */
enum xs_status xf_cands_get(struct xf_cands *cs, const struct xs_arch *a, enum xs_precision prec,
			    size_t *index, struct xs_error *err);

/* Fills cs->c[i]'s size and memory (once). The builder's status and message
 * when the sub-net does not build. */
enum xs_status xf_cands_sizes(struct xf_cands *cs, size_t i, struct xs_error *err);

/* cs->c[i]'s validation top-1 from the cache or the DB, never computed:
 * c[i].val stays NAN when the DB has none. XS_EIO with the DB's message. */
enum xs_status xf_cands_known(struct xf_cands *cs, size_t i, struct xs_error *err);

/* cs->c[i]'s validation top-1: from the cache, the DB, or computed here and
 * stored in the DB. XS_EIO with the DB's message; the engine's errors. */
enum xs_status xf_cands_accuracy(struct xf_cands *cs, size_t i, double *top1,
				 struct xs_error *err);

#endif /* XF_CANDIDATES_H */
