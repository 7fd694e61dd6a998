/* measure.c - how the agent times one thing (a sub-net run, a kernel):
 *
 *   cold     the first run, timed alone
 *   warm-up  until at least warm_runs runs and warm_s seconds, and the median
 *            of the last 5 runs is within 5% of the 5 before (stable), capped
 *            at 4 x warm_s
 *   batch    a run shorter than batch_s (1 ms) is timed in batches: one sample
 *            is the mean of enough back-to-back runs to last batch_s (a
 *            sub-0.1 ms run timed alone is mostly the clock and the
 *            scheduler's tick); the row gives the runs per sample
 *   measure  at least min_runs samples and min_s seconds, then until the
 *            bootstrap 95% interval of the median is within +-median_tol of
 *            it and p90's within +-p90_tol (checked as the samples grow by a
 *            quarter), capped by max_s
 *
 * all on CLOCK_MONOTONIC. The conditions (hottest thermal zone, the cores'
 * current frequency as a share of their maximum) are read before and after.
 * A measurement is "throttled" when the frequency share fell by more than 10%
 * or a zone passed hot_c, "noisy" when its intervals were still wider than
 * the tolerances at max_s; either is cooled down (cool_s) and redone up to
 * redo times, then published with its flag and its intervals. The CV, robust
 * CV and outliers are reported for the reader, not used to decide. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xa.h"

double xa_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_for(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ---- conditions ------------------------------------------------------------------ */

static bool read_num(const char *path, double *out)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool ok = fscanf(f, "%lf", out) == 1;
	fclose(f);
	return ok;
}

void xa_conditions_read(struct xa_conditions *c)
{
	char path[128];
	c->temp_c = NAN;
	for (int i = 0; i < 64; i++) {
		double milli;
		snprintf(path, sizeof(path), "/sys/class/thermal/thermal_zone%d/temp", i);
		if (read_num(path, &milli) && milli > -50000 && milli < 200000 &&
		    (isnan(c->temp_c) || milli / 1000.0 > c->temp_c))
			c->temp_c = milli / 1000.0;
	}
	double cur = 0.0, max = 0.0;
	for (int i = 0; i < 256; i++) {
		double a, b;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", i);
		if (!read_num(path, &a))
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", i);
		if (!read_num(path, &b) || b <= 0)
			continue;
		cur += a;
		max += b;
	}
	c->freq_share = max > 0 ? cur / max : NAN;
}

/* ---- one measurement ----------------------------------------------------------- */

void xa_measure_defaults(struct xa_measure_cfg *cfg)
{
	*cfg = (struct xa_measure_cfg){.warm_runs = 5, .warm_s = 0.2, .min_runs = 20,
				       .min_s = 0.5, .max_s = 10.0, .batch_s = 1e-3,
				       .median_tol = 0.01, .p90_tol = 0.03, .resamples = 400,
				       .hot_c = 85.0, .redo = 2, .cool_s = 5.0};
}

static double median5(const double *x)
{
	double s[5];
	memcpy(s, x, sizeof(s));
	for (int i = 1; i < 5; i++)
		for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	return s[2];
}

static bool measure_once(xa_run_fn fn, void *ctx, const struct xa_measure_cfg *cfg,
			 struct xa_measurement *m, double **samples, size_t *cap)
{
	/* warm-up */
	double recent[10];
	size_t runs = 0;
	const double w0 = xa_now();
	for (;;) {
		double a = xa_now();
		fn(ctx);
		double b = xa_now();
		recent[runs % 10] = b - a;
		runs++;
		double spent = b - w0;
		if (spent >= 4.0 * cfg->warm_s && runs >= cfg->warm_runs)
			break;
		if (runs >= cfg->warm_runs && spent >= cfg->warm_s && runs >= 10) {
			double last[5], prev[5];
			for (int i = 0; i < 5; i++) {
				last[i] = recent[(runs - 1 - (size_t)i) % 10];
				prev[i] = recent[(runs - 6 - (size_t)i) % 10];
			}
			double l = median5(last), p = median5(prev);
			if (fabs(l - p) <= 0.05 * p)
				break;
		}
	}
	m->warm_runs = runs;
	/* runs per sample: the median of the last (up to 5) warm runs against
	 * batch_s */
	const size_t k = runs < 5 ? runs : 5;
	double last[5];
	for (size_t i = 0; i < k; i++) {
		double v = recent[(runs - 1 - i) % 10];
		size_t j = i;
		for (; j > 0 && last[j - 1] > v; j--)
			last[j] = last[j - 1];
		last[j] = v;
	}
	const double per_run = last[k / 2];
	size_t batch = 1;
	if (cfg->batch_s > 0 && per_run < cfg->batch_s)
		batch = per_run > cfg->batch_s * 1e-5 ? (size_t)ceil(cfg->batch_s / per_run) : 100000;
	m->batch = batch;
	/* measurement */
	size_t n = 0, next_check = cfg->min_runs > 1 ? cfg->min_runs : 2;
	double ci[4] = {NAN, NAN, NAN, NAN};
	m->converged = false;
	const double t0 = xa_now();
	for (;;) {
		if (n == *cap) {
			size_t nc = *cap ? 2 * *cap : 256;
			double *ns = realloc(*samples, nc * sizeof(double));
			if (ns == NULL)
				return false;
			*samples = ns;
			*cap = nc;
		}
		double a = xa_now();
		for (size_t r = 0; r < batch; r++)
			fn(ctx);
		double b = xa_now();
		(*samples)[n++] = (b - a) / (double)batch;
		double spent = b - t0;
		bool capped = spent >= cfg->max_s;
		if ((n >= next_check && spent >= cfg->min_s) || capped) {
			if (!xa_stats_compute(*samples, n, &m->stats) ||
			    !xa_bootstrap(*samples, n, cfg->resamples, ci))
				return false;
			const double md = m->stats.median, p9 = m->stats.p90;
			m->converged = ci[0] >= md * (1 - cfg->median_tol) &&
				       ci[1] <= md * (1 + cfg->median_tol) &&
				       ci[2] >= p9 * (1 - cfg->p90_tol) && ci[3] <= p9 * (1 + cfg->p90_tol);
			if (m->converged || capped)
				break;
			next_check = n + (n / 4 > 5 ? n / 4 : 5);
		}
	}
	m->median_lo = ci[0];
	m->median_hi = ci[1];
	m->p90_lo = ci[2];
	m->p90_hi = ci[3];
	return true;
}

bool xa_measure(xa_run_fn fn, void *ctx, const struct xa_measure_cfg *cfg,
		struct xa_measurement *m)
{
	memset(m, 0, sizeof(*m));
	double *samples = NULL;
	size_t cap = 0;
	double a = xa_now();
	fn(ctx);
	m->cold_s = xa_now() - a;
	for (int attempt = 0;; attempt++) {
		xa_conditions_read(&m->before);
		if (!measure_once(fn, ctx, cfg, m, &samples, &cap)) {
			free(samples);
			return false;
		}
		xa_conditions_read(&m->after);
		m->throttled = (!isnan(m->before.freq_share) && !isnan(m->after.freq_share) &&
				m->after.freq_share < 0.9 * m->before.freq_share) ||
			       (!isnan(m->after.temp_c) && m->after.temp_c >= cfg->hot_c);
		m->noisy = !m->converged;
		m->redos = attempt;
		if ((!m->throttled && !m->noisy) || attempt >= cfg->redo)
			break;
		sleep_for(cfg->cool_s);
	}
	free(samples);
	return true;
}
