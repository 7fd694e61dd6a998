/* timing.c - medians of interleaved samples (timing.h). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "timing.h"

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0)
		;
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void time_together(size_t n, const bench_fn *fn, void *const *arg,
		   const struct timing_cfg *cfg, double *sec)
{
	size_t reps[MAX_TIMED], count[MAX_TIMED] = {0}, cap = cfg->meas_samples;
	double *samples[MAX_TIMED], spent[MAX_TIMED] = {0};
	if (n > MAX_TIMED)
		n = MAX_TIMED;
	for (size_t i = 0; i < n; i++) {
		size_t runs = 0;
		double t0 = now_s(), t;
		do {
			fn[i](arg[i]);
			runs++;
			t = now_s() - t0;
		} while (t < cfg->warm_s || runs < cfg->warm_runs);
		double per_run = t / (double)runs;
		reps[i] = per_run < cfg->sample_s ? (size_t)ceil(cfg->sample_s / per_run) : 1;
		size_t want = (size_t)(cfg->meas_s / (per_run * (double)reps[i])) + 1;
		cap = want > cap ? want : cap;
	}
	for (size_t i = 0; i < n; i++) {
		samples[i] = malloc(cap * sizeof(double));
		if (samples[i] == NULL) {
			for (size_t k = 0; k < i; k++)
				free(samples[k]);
			for (size_t k = 0; k < n; k++)
				sec[k] = NAN;
			return;
		}
	}
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < n; i++) {
			if (count[i] >= cap ||
			    (spent[i] >= cfg->meas_s && count[i] >= cfg->meas_samples))
				continue;
			double a = now_s();
			for (size_t r = 0; r < reps[i]; r++)
				fn[i](arg[i]);
			double d = now_s() - a;
			spent[i] += d;
			samples[i][count[i]++] = d / (double)reps[i];
			more = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t m = count[i];
		qsort(samples[i], m, sizeof(double), cmp_double);
		sec[i] = m % 2 ? samples[i][m / 2]
			       : 0.5 * (samples[i][m / 2 - 1] + samples[i][m / 2]);
		free(samples[i]);
	}
}

double time_median(bench_fn fn, void *arg, const struct timing_cfg *cfg)
{
	double sec;
	time_together(1, &fn, &arg, cfg, &sec);
	return sec;
}
