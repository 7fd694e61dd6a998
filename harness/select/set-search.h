/* set-search.h - inside the select pipeline (pipeline.c, regret.c): the
 * state of one selection and the search for a set of devices, which ties the
 * search (search.h) to the fleet model (fleet.h) and the candidate cache
 * (candidates.h). Not an API of its own: pipeline.h is. */
#ifndef XF_SET_SEARCH_H
#define XF_SET_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "candidates.h"
#include "fleet.h"
#include "pipeline.h"
#include "search.h"

struct xf_sel {
	const struct xf_select_opts *o;
	const struct xs_space *sp;
	char budget_text[128];       /* the budget's canonical text, for messages */
	struct xf_fleet *fleet;      /* owned until handed to the result */
	struct xf_cands cands;
	double *share;               /* per fleet device; owned until handed over */
	/* the set a search is for, in precision prec */
	enum xs_precision prec;
	const size_t *set;
	size_t nset;
	const char *what;            /* for progress events */
};

/* Sends ev to the caller's callback (when there is one). */
void xf_sel_emit(const struct xf_sel *s, const struct xf_select_event *ev);
/* A NOTICE event with a printf message. */
void xf_sel_notice(const struct xf_sel *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Whether candidate c meets the size and memory budgets (its sizes known). */
bool xf_sel_fits_static(const struct xf_sel *s, const struct xf_cand *c);
/* Whether c meets the latency budget on fleet device d: measured, or
 * predicted with the device's margin (int8: the ratio's spread on top). */
bool xf_sel_fits_dev(const struct xf_sel *s, size_t d, const struct xf_cand *c);

/* The search callbacks over s->set in s->prec (struct xf_search_fns, ctx s). */
bool xf_sel_search_fits(void *ctx, const struct xs_arch *a);
enum xs_status xf_sel_search_accuracy(void *ctx, const struct xs_arch *a, double *top1,
				      struct xs_error *err);

/* A search per precision of the options for the devices set[nset] (what
 * names it in progress events); r the best over them, its precision in
 * *prec; r's counts are over the precisions. */
enum xs_status xf_sel_search_set(struct xf_sel *s, const size_t *set, size_t nset,
				 const char *what, struct xf_search_result *r,
				 enum xs_precision *prec, struct xs_error *err);

#endif /* XF_SET_SEARCH_H */
