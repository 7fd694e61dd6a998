/* rep-pareto.c - the Pareto frontier of latency against accuracy (rep.h). */
#include <math.h>
#include <stdlib.h>

#include "rep.h"

static const double *sort_lat, *sort_acc;

static int by_lat(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	if (sort_lat[a] != sort_lat[b])
		return sort_lat[a] < sort_lat[b] ? -1 : 1;
	if (sort_acc[a] != sort_acc[b])  /* the more accurate first */
		return sort_acc[a] > sort_acc[b] ? -1 : 1;
	return (a > b) - (a < b);
}

size_t rep_pareto(const double *lat, const double *acc, size_t n, size_t *idx)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(lat[i]) && !isnan(acc[i]))
			idx[m++] = i;
	sort_lat = lat;
	sort_acc = acc;
	qsort(idx, m, sizeof(*idx), by_lat);
	/* by ascending latency: a point is on the frontier when it is more
	 * accurate than every faster one */
	size_t k = 0;
	double best = -INFINITY;
	for (size_t i = 0; i < m; i++)
		if (acc[idx[i]] > best) {
			best = acc[idx[i]];
			idx[k++] = idx[i];
		}
	return k;
}
