/* tiers.c - grouping devices in speed order into tiers (tiers.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"

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

/* Device d's column of fits equals device e's. */
static bool same_column(const bool *fits, size_t nc, size_t nd, size_t d, size_t e)
{
	for (size_t c = 0; c < nc; c++)
		if (fits[c * nd + d] != fits[c * nd + e])
			return false;
	return true;
}

bool xf_tiers_group(const bool *fits, const double *acc, size_t nc, const double *share,
		    size_t nd, size_t want_k, size_t max_k, double min_gain,
		    struct xf_tiering *out, size_t *nclasses, size_t *grouped)
{
	size_t *first = malloc((nd + 1) * sizeof(size_t)), *last = malloc((nd + 1) * sizeof(size_t));
	double *cshare = malloc((nd + 1) * sizeof(double));
	bool *cfits = malloc((nc + 1) * (nd + 1) * sizeof(bool));
	bool ok = first && last && cshare && cfits && nd > 0;
	size_t ncls = 0;
	for (size_t j = 0; ok && j < nd; j++) {
		if (ncls > 0 && same_column(fits, nc, nd, j, j - 1)) {
			last[ncls - 1] = j;
			cshare[ncls - 1] += share[j];
			continue;
		}
		first[ncls] = last[ncls] = j;
		cshare[ncls++] = share[j];
	}
	for (size_t c = 0; ok && c < nc; c++)  /* rows of ncls columns */
		for (size_t k = 0; k < ncls; k++)
			cfits[c * ncls + k] = fits[c * nd + first[k]];
	struct xf_tiering tg;
	if (ok)
		ok = want_k ? xf_tiers_best(cfits, acc, nc, cshare, ncls,
					    want_k < ncls ? want_k : ncls, &tg)
			    : xf_tiers_auto(cfits, acc, nc, cshare, ncls, max_k, min_gain, &tg);
	if (ok) {
		*nclasses = ncls;
		*grouped = tg.k;
		memset(out, 0, sizeof(*out));
		out->value = tg.value;
		for (size_t t = 0; t < tg.k; t++) {  /* classes back to devices; the same
						       * candidate next door: one tier */
			if (out->k && out->cand[out->k - 1] == tg.cand[t]) {
				out->last[out->k - 1] = last[tg.last[t]];
				continue;
			}
			out->first[out->k] = first[tg.first[t]];
			out->last[out->k] = last[tg.last[t]];
			out->cand[out->k++] = tg.cand[t];
		}
	}
	free(first);
	free(last);
	free(cshare);
	free(cfits);
	return ok;
}
