/* budget.h - what a selection must meet and whom it serves: the budget
 * (latency at a percentile, memory, file size) and the population (the share
 * of users per device model). Parsers of outside text: they never crash on
 * any input and a refusal always says why (fuzz-select). */
#ifndef XF_BUDGET_H
#define XF_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- budget -----------------------------------------------------------------------
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

#endif /* XF_BUDGET_H */
