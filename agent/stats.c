/* stats.c - the statistics the agent reports for a measurement: median,
 * mean, sample stdev and CV, min/max, p90 (and p99 when there are enough
 * samples), MAD and the outliers it flags. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xa.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double xa_quantile(const double *s, size_t n, double p)
{
	if (n == 1)
		return s[0];
	double pos = p * (double)(n - 1);
	size_t i = (size_t)pos;
	if (i >= n - 1)
		return s[n - 1];
	double f = pos - (double)i;
	return s[i] + (s[i + 1] - s[i]) * f;
}

bool xa_stats_compute(const double *x, size_t n, struct xa_stats *out)
{
	if (n == 0)
		return false;
	double *s = malloc(n * sizeof(*s));
	if (s == NULL)
		return false;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp);
	struct xa_stats st = {.n = n, .min = s[0], .max = s[n - 1]};
	st.median = xa_quantile(s, n, 0.5);
	st.p90 = xa_quantile(s, n, 0.9);
	st.p99 = n >= XA_P99_MIN_N ? xa_quantile(s, n, 0.99) : NAN;
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	st.mean = sum / (double)n;
	double ss = 0.0;
	for (size_t i = 0; i < n; i++)
		ss += (s[i] - st.mean) * (s[i] - st.mean);
	st.stdev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
	st.cv = st.mean != 0.0 ? st.stdev / st.mean : 0.0;
	for (size_t i = 0; i < n; i++)
		s[i] = fabs(s[i] - st.median);
	qsort(s, n, sizeof(*s), cmp);
	st.mad = xa_quantile(s, n, 0.5);
	st.rcv = st.median != 0.0 ? 1.4826 * st.mad / st.median : 0.0;
	const double limit = 5.0 * 1.4826 * st.mad;
	for (size_t i = 0; st.mad > 0.0 && i < n; i++)
		st.outliers += fabs(x[i] - st.median) > limit;
	free(s);
	*out = st;
	return true;
}
