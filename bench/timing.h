/* timing.h - how the benchmarks time code: medians of interleaved samples.
 *
 * This VM's speed drifts by up to 20% within seconds, so engines compared with
 * each other are sampled in turn (time_together): a drift hits all alike. */
#ifndef BENCH_TIMING_H
#define BENCH_TIMING_H

#include <stddef.h>

typedef void (*bench_fn)(void *arg);

struct timing_cfg {
	double warm_s;     /* warm up at least this long ... */
	size_t warm_runs;  /* ... and this many runs */
	double meas_s;     /* measure at least this long ... */
	size_t meas_samples; /* ... and this many samples */
	double sample_s;   /* a sample lasts about this long (>= 1 run) */
};

double now_s(void);   /* monotonic clock, seconds */
void sleep_s(double s);
int cmp_double(const void *a, const void *b);

/* Times n functions together, in rounds of one sample of each, and writes the
 * median per-run time of each to sec[i] (NAN when out of memory). Each is
 * warmed up first (at least warm_s and warm_runs); a sample times back-to-back
 * runs lasting about sample_s; each gets at least meas_samples samples and
 * about meas_s of sampling. */
#define MAX_TIMED 16
void time_together(size_t n, const bench_fn *fn, void *const *arg,
		   const struct timing_cfg *cfg, double *sec);
/* The median time of one call of fn(arg) in seconds; NAN when out of memory. */
double time_median(bench_fn fn, void *arg, const struct timing_cfg *cfg);

#endif /* BENCH_TIMING_H */
