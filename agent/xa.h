/* xa.h - xnn-agent, the program that runs on each device: its output format
 * (CSV tables with # metadata, ending "#end rows=N"), the statistics of a
 * measurement, and the device probe.
 *
 * Library code here returns a status and fills a struct xa_error; only
 * agent/main.c prints and exits. */
#ifndef XA_H
#define XA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- statistics of a measurement -------------------------------------------- */

/* p99 needs this many samples (below, it is NAN: the tail is not known). */
#define XA_P99_MIN_N 100

struct xa_stats {
	size_t n;
	double median, mean, stdev, cv;  /* stdev: sample (n - 1); cv = stdev / mean */
	double min, max, p90, p99;       /* p99 NAN when n < XA_P99_MIN_N */
	double mad;                      /* median absolute deviation from the median */
	double rcv;                      /* robust CV: 1.4826 * mad / median */
	size_t outliers;                 /* beyond median +- 5 * 1.4826 * MAD (0 if MAD is 0) */
};

/* Summarizes n >= 1 samples (not changed); false when n is 0 or memory is
 * short. Percentiles interpolate linearly between order statistics (numpy's
 * default): p of sorted x is x[(n - 1) * p] interpolated. */
bool xa_stats_compute(const double *x, size_t n, struct xa_stats *out);
/* The p-quantile (0 <= p <= 1) of n >= 1 sorted samples, as above. */
double xa_quantile(const double *sorted, size_t n, double p);

/* Percentile-bootstrap 95% intervals of the median and of p90 of n >= 1
 * samples: `resamples` resamples with replacement (a fixed seed: the same
 * samples give the same intervals), each quantile as xa_quantile computes it.
 * out[0..3] = median low, median high, p90 low, p90 high. O(resamples * n)
 * (no sort per resample). false when n is 0 or memory is short. */
bool xa_bootstrap(const double *x, size_t n, size_t resamples, double out[4]);

/* ---- measuring (agent/measure.c says how) ------------------------------------------ */

double xa_now(void);  /* CLOCK_MONOTONIC, seconds */

struct xa_conditions {
	double temp_c;       /* hottest thermal zone; NAN when none is readable */
	double freq_share;   /* sum of current / sum of max core frequency; NAN */
};
void xa_conditions_read(struct xa_conditions *c);

struct xa_measure_cfg {
	size_t warm_runs;    /* warm up at least this many runs ... */
	double warm_s;       /* ... and this long, until stable (cap 4 x warm_s) */
	size_t min_runs;     /* measure at least this many runs ... */
	double min_s;        /* ... and this long ... */
	double max_s;        /* ... but never longer than this */
	double batch_s;      /* a sample is the mean of enough back-to-back runs to
			      * last at least this (0: one run per sample) */
	double median_tol;   /* stop when the median's 95% interval is within +- this
			      * share of it ... */
	double p90_tol;      /* ... and p90's within +- this (else: noisy at max_s) */
	size_t resamples;    /* bootstrap resamples per check */
	double hot_c;        /* a zone at or above: throttled */
	int redo;            /* redos of a throttled or noisy measurement */
	double cool_s;       /* pause before a redo */
};
void xa_measure_defaults(struct xa_measure_cfg *cfg);

struct xa_measurement {
	struct xa_stats stats;   /* seconds per run, over the samples */
	double median_lo, median_hi, p90_lo, p90_hi;  /* 95% intervals (s) */
	size_t batch;            /* runs per sample (>= 1) */
	bool converged;          /* both intervals within their tolerance */
	double cold_s;           /* the first run */
	size_t warm_runs;
	struct xa_conditions before, after;  /* of the published attempt */
	bool throttled, noisy;
	int redos;
};

typedef void (*xa_run_fn)(void *ctx);
/* Times fn(ctx) as measure.c describes; false only when out of memory. */
bool xa_measure(xa_run_fn fn, void *ctx, const struct xa_measure_cfg *cfg,
		struct xa_measurement *m);

/* ---- core sets ------------------------------------------------------------------------ */

#define XA_MAX_CPUS 256
/* "all" (the online cores), "big" (the cluster of highest cpu_capacity, else
 * maximum frequency), "little" (the lowest), or a list "0,2-3". On a device
 * with one kind of core, big = little = all. false with why on a bad spec. */
bool xa_cores_parse(const char *spec, int *cpus, size_t *n, char *why, size_t why_n);
/* "0 1 2 3": the form the measurement key stores (bench's cores column,
 * kernels' #cores). */
void xa_cores_format(const int *cpus, size_t n, char *buf, size_t len);
/* A thread-count list "1,2,4" (each 1..XA_MAX_CPUS, at most max); false
 * when malformed. */
bool xa_threads_parse(const char *s, int *threads, size_t max, size_t *n);

/* ---- CSV output (RFC 4180) ------------------------------------------------------
 * One table per command: "#key=value" metadata lines, a header row, rows, and
 * "#end rows=N" last. Fields are quoted when they hold a comma, quote, CR or
 * LF, or start or end with a space; quotes are doubled. */
struct xa_csv {
	FILE *f;
	size_t rows;       /* data rows written */
	size_t col;        /* fields in the current row so far */
	size_t ncols;      /* header's width (0 before the header) */
};

void xa_csv_init(struct xa_csv *c, FILE *f);
/* A metadata line "#key=value" (value printf-formatted; CR/LF become spaces). */
void xa_csv_meta(struct xa_csv *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void xa_csv_header(struct xa_csv *c, const char *const *names, size_t n);
void xa_csv_field(struct xa_csv *c, const char *s);
void xa_csv_fieldf(struct xa_csv *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A number with up to 9 significant digits; NAN as an empty field. */
void xa_csv_number(struct xa_csv *c, double v);
/* Ends the row (fills missing fields with empty ones) and flushes: a row is
 * never half-written when the agent is killed between rows. */
void xa_csv_end_row(struct xa_csv *c);
/* "#end rows=N". */
void xa_csv_finish(struct xa_csv *c);

/* ---- device probe -----------------------------------------------------------------
 * The device's identity and state as key/value rows (keys: agent/probe.c).
 * Everything is read from files under root ("/" on a device; tests give a
 * folder that mimics /proc and /sys) and, where it exists, Android's getprop
 * (root/system/bin/getprop, run from argv). Anything that cannot be read is
 * "unknown", never 0. */
typedef void (*xa_emit_fn)(void *ctx, const char *key, const char *value);
void xa_probe(const char *root, xa_emit_fn emit, void *ctx);

#ifdef __cplusplus
}
#endif
#endif /* XA_H */
