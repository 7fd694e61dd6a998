/* stats.c - the statistics the agent reports for a measurement: median,
 * mean, sample stdev and CV, min/max, p90 (and p99 when there are enough
 * samples), MAD and the outliers it flags; bootstrap intervals of the median
 * and p90. */
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

/* ---- bootstrap intervals ----------------------------------------------------------
 * A resample draws n indices into the sorted samples; its order statistics
 * come from the counts per index by one walk, so a resample costs O(n). */

/* splitmix64: small, and the same sequence on every device. */
static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* The p-quantile of the resample that holds count[j] copies of sorted[j]. */
static double resample_quantile(const double *sorted, const uint32_t *count, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t r = (size_t)pos;  /* the r-th and (r+1)-th smallest of the resample */
	double f = pos - (double)r, lo = sorted[n - 1], hi = sorted[n - 1];
	size_t seen = 0, j = 0;
	for (; j < n; j++) {
		seen += count[j];
		if (seen > r) {
			lo = sorted[j];
			break;
		}
	}
	if (f > 0 && j < n) {
		if (seen > r + 1)
			hi = lo;
		else
			for (j++; j < n; j++)
				if (count[j]) {
					hi = sorted[j];
					break;
				}
		return lo + (hi - lo) * f;
	}
	return lo;
}

bool xa_bootstrap(const double *x, size_t n, size_t resamples, double out[4])
{
	if (n == 0 || resamples == 0)
		return false;
	double *s = malloc(n * sizeof(*s)), *med = malloc(resamples * sizeof(*med)),
	       *p90 = malloc(resamples * sizeof(*p90));
	uint32_t *count = malloc(n * sizeof(*count));
	bool ok = s && med && p90 && count;
	if (ok) {
		memcpy(s, x, n * sizeof(*s));
		qsort(s, n, sizeof(*s), cmp);
		uint64_t seed = 0x78616e6e666c6565u;  /* fixed: same samples, same intervals */
		for (size_t b = 0; b < resamples; b++) {
			memset(count, 0, n * sizeof(*count));
			for (size_t k = 0; k < n; k++)
				count[next_random(&seed) % n]++;
			med[b] = resample_quantile(s, count, n, 0.5);
			p90[b] = resample_quantile(s, count, n, 0.9);
		}
		qsort(med, resamples, sizeof(*med), cmp);
		qsort(p90, resamples, sizeof(*p90), cmp);
		out[0] = xa_quantile(med, resamples, 0.025);
		out[1] = xa_quantile(med, resamples, 0.975);
		out[2] = xa_quantile(p90, resamples, 0.025);
		out[3] = xa_quantile(p90, resamples, 0.975);
	}
	free(s);
	free(med);
	free(p90);
	free(count);
	return ok;
}
