/* measure.c - how the agent times one thing (a sub-net run, a kernel):
 *
 *   cold     the first run, timed alone
 *   warm-up  until at least warm_runs runs and warm_s seconds, and the median
 *            of the last 5 runs is within 5% of the 5 before (stable), capped
 *            at 4 x warm_s
 *   measure  until at least min_runs runs and min_s seconds, capped by max_s
 *
 * all on CLOCK_MONOTONIC. The conditions (hottest thermal zone, the cores'
 * current frequency as a share of their maximum) are read before and after.
 * A measurement is "throttled" when the frequency share fell by more than 10%
 * or a zone passed hot_c, "noisy" when the robust CV (1.4826 MAD / median)
 * is over cv_limit or more than 5% of the runs are outliers (the plain CV is
 * reported too, but one interrupt in 10,000 microsecond runs would set it
 * over any limit); either is cooled down
 * (cool_s) and redone up to redo times, then published with its flag. */
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
				       .min_s = 1.0, .max_s = 10.0, .cv_limit = 0.05,
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
	/* measurement */
	size_t n = 0;
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
		fn(ctx);
		double b = xa_now();
		(*samples)[n++] = b - a;
		double spent = b - t0;
		if ((n >= cfg->min_runs && spent >= cfg->min_s) || spent >= cfg->max_s)
			break;
	}
	return xa_stats_compute(*samples, n, &m->stats);
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
		m->noisy = m->stats.rcv > cfg->cv_limit ||
			   (double)m->stats.outliers > 0.05 * (double)m->stats.n;
		m->redos = attempt;
		if ((!m->throttled && !m->noisy) || attempt >= cfg->redo)
			break;
		sleep_for(cfg->cool_s);
	}
	free(samples);
	return true;
}
