/* fleet.c - the per-device latency model of a device DB (fleet.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "util.h"

/* The value of key in the probe's key,value lines; NAN when absent. */
static double probe_value(const char *probe, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = probe; p && *p;) {
		if (strncmp(p, key, n) == 0 && p[n] == ',')
			return strtod(p + n + 1, NULL);
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : NULL;
	}
	return NAN;
}

struct devs_ctx {
	struct xf_fleet *f;
	size_t cap;
	bool oom;
};

static void on_device(void *ctx, const struct fdb_device_row *r)
{
	struct devs_ctx *dc = ctx;
	struct xf_fleet *f = dc->f;
	if (dc->oom)
		return;
	if (f->opts.exclude_emulated && r->emulated) {
		f->emulated_out++;
		return;
	}
	if (!xf_grow(&f->dev, f->n, &dc->cap, sizeof(*f->dev), 16)) {
		dc->oom = true;
		return;
	}
	struct xf_fleet_device *d = &f->dev[f->n++];
	memset(d, 0, sizeof(*d));
	d->id = r->id;
	snprintf(d->serial, sizeof(d->serial), "%s", r->serial ? r->serial : "");
	snprintf(d->model, sizeof(d->model), "%s", r->model ? r->model : "");
	snprintf(d->fingerprint, sizeof(d->fingerprint), "%s", r->fingerprint ? r->fingerprint : "");
	snprintf(d->transport, sizeof(d->transport), "%s", r->transport ? r->transport : "");
	snprintf(d->abi, sizeof(d->abi), "%s", r->abi ? r->abi : "");
	d->emulated = r->emulated;
	d->simulated = r->simulated;
	d->ram_bytes = r->ram_bytes;
	d->probe = probe_value(r->probe, "probe_score");
	d->correction = 1;
	d->int8_ratio = NAN;
	d->speed = NAN;
}

struct meas_ctx {
	struct xf_fleet_device *d;
	const struct xf_fleet_opts *o;
	size_t cap;
	bool oom;
};

static void on_result(void *ctx, const struct fdb_result_row *r)
{
	struct meas_ctx *mc = ctx;
	struct xf_fleet_device *d = mc->d;
	enum xs_precision prec;
	if (mc->oom || r->threads != mc->o->threads || r->precision == NULL ||
	    !xs_precision_parse(r->precision, &prec) || r->arch == NULL || isnan(r->median_ms))
		return;
	/* an emulated device's check (bench --check): one run, no timing */
	if (r->flags && strstr(r->flags, "untimed"))
		return;
	const int pc = mc->o->percentile;
	double lat = pc == 50 ? r->median_ms : pc == 99 ? r->p99_ms : r->p90_ms;
	if (isnan(lat))
		return;
	/* a figure the protocol could not pin down (noisy: its interval never
	 * got narrow; throttled; cut by a budget) counts at its interval's upper
	 * end, at least 5% over (10% when the row has no interval) */
	const bool clean = r->flags && strcmp(r->flags, "clean") == 0;
	if (!clean) {
		const double hi = pc == 50 ? r->median_hi_ms : pc == 90 ? r->p90_hi_ms : NAN;
		lat = isnan(hi) ? 1.10 * lat : hi > 1.05 * lat ? hi : 1.05 * lat;
	}
	for (size_t i = 0; i < d->nm; i++)  /* newest agent version wins: rows come by id */
		if (d->m[i].prec == prec && strcmp(d->m[i].arch, r->arch) == 0) {
			d->m[i].lat = lat;
			d->m[i].median = r->median_ms;
			d->m[i].clean = clean;
			return;
		}
	if (!xf_grow(&d->m, d->nm, &mc->cap, sizeof(*d->m), 16)) {
		mc->oom = true;
		return;
	}
	struct xf_fleet_meas *m = &d->m[d->nm++];
	memset(m, 0, sizeof(*m));
	snprintf(m->arch, sizeof(m->arch), "%s", r->arch);
	m->prec = prec;
	m->lat = lat;
	m->median = r->median_ms;
	m->clean = clean;
	m->memory = r->arena_bytes >= 0 && r->weight_bytes >= 0 ? r->arena_bytes + r->weight_bytes
								 : -1;
}

static void points_free(struct xf_fleet_device *d)
{
	free(d->fit_sum);
	free(d->fit_blocks);
	free(d->fit_median);
	free(d->fit_meas);
	d->fit_sum = d->fit_blocks = d->fit_median = NULL;
	d->fit_meas = NULL;
	d->nfit = 0;
}

/* The calibration's points (f32 measurements the table covers), the fit,
 * its margin and the percentile ratio. */
static bool fit_f32(const struct xf_fleet *f, struct xf_fleet_device *d)
{
	const size_t n = d->nm + 1;
	d->fit_sum = calloc(n, sizeof(double));
	d->fit_blocks = calloc(n, sizeof(double));
	d->fit_median = calloc(n, sizeof(double));
	d->fit_meas = calloc(n, sizeof(size_t));
	double *ratio = calloc(n, sizeof(double));
	if (!d->fit_sum || !d->fit_blocks || !d->fit_median || !d->fit_meas || !ratio) {
		free(ratio);
		return false;
	}
	size_t k = 0;
	for (size_t i = 0; d->kt && i < d->nm; i++) {
		struct xf_fleet_meas *m = &d->m[i];
		struct xs_arch a;
		struct xs_error perr;
		if (m->prec != XS_PRECISION_F32 || !(m->median > 0) ||
		    xs_arch_parse(f->sp, m->arch, &a, &perr) != XS_OK ||
		    !xf_ktable_sum(d->kt, f->sp, &a, &d->fit_sum[k], &d->fit_blocks[k], m->missing,
				   sizeof(m->missing)))
			continue;
		m->fitted = true;
		d->fit_median[k] = m->median;
		d->fit_meas[k] = i;
		ratio[k] = m->lat / m->median;
		k++;
	}
	d->nfit = k;
	xf_calib_fit(d->fit_sum, d->fit_blocks, d->fit_median, k, &d->calib);
	/* predictions keep a margin of their own error on this device (the
	 * leave-one-out RMSPE, 2% to 50%; 10% with fewer than 3 sub-nets): a
	 * sub-net predicted right at the budget would often miss it measured */
	xf_predict_eval(d->fit_sum, d->fit_blocks, d->fit_median, k, &d->eval);
	const double e = d->eval.rmspe;
	d->margin = k < 3 ? 0.10 : e < 0.02 ? 0.02 : e > 0.5 ? 0.5 : e;
	/* the percentile from the median: the largest ratio seen (a tail that
	 * was once this long can be again) */
	d->ratio = f->opts.percentile == 50 ? 1.0 : 1.1;
	for (size_t i = 0; i < k; i++)
		if (i == 0 || ratio[i] > d->ratio)
			d->ratio = ratio[i] > 1 ? ratio[i] : 1;
	free(ratio);
	return true;
}

/* int8 against f32 on the device, from the sub-nets it ran in both. */
static void fit_int8(struct xf_fleet_device *d)
{
	double logsum = 0, logsq = 0;
	size_t both = 0;
	for (size_t i = 0; i < d->nm; i++)
		for (size_t j = 0; d->m[i].prec == XS_PRECISION_INT8 && j < d->nm; j++)
			if (d->m[j].prec == XS_PRECISION_F32 && d->m[j].median > 0 &&
			    d->m[i].median > 0 && strcmp(d->m[i].arch, d->m[j].arch) == 0) {
				const double l = log(d->m[i].median / d->m[j].median);
				logsum += l;
				logsq += l * l;
				both++;
			}
	d->int8_ratio = both ? exp(logsum / (double)both) : NAN;
	const double var = both > 1 ? (logsq - logsum * logsum / (double)both) / (double)(both - 1)
				    : 0.01;
	d->int8_spread = sqrt(var > 0 ? var : 0);
}

enum xs_status xf_fleet_reload_device(struct xf_fleet *f, size_t i, struct xs_error *err)
{
	struct xf_fleet_device *d = &f->dev[i];
	free(d->m);
	d->m = NULL;
	d->nm = 0;
	points_free(d);
	struct meas_ctx mc = {d, &f->opts, 0, false};
	if (fdb_subnet_results_each(f->db, f->supernet_id, d->id, on_result, &mc) != XS_OK)
		return xf_error_set(err, XS_EIO, "%s", fdb_errmsg(f->db));
	if (mc.oom || !fit_f32(f, d))
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	fit_int8(d);
	d->speed = NAN;
	d->state = d->kt == NULL ? XF_FLEET_NO_TABLE : XF_FLEET_OK;
	if (d->kt) {
		struct xs_arch largest;
		xs_arch_largest(f->sp, &largest);
		d->speed = xf_fleet_predicted(f, i, &largest, XS_PRECISION_F32);
		if (isnan(d->speed))
			d->state = XF_FLEET_PARTIAL;
	}
	return XS_OK;
}

enum xs_status xf_fleet_load(struct fdb *db, int64_t supernet_id, const struct xs_space *sp,
			     const struct xf_fleet_opts *opts, struct xf_fleet **out,
			     struct xs_error *err)
{
	if (opts->threads < 1 || (opts->percentile != 50 && opts->percentile != 90 &&
				  opts->percentile != 99))
		return xf_error_set(err, XS_EINVAL, "the fleet model: threads %d, percentile %d "
				    "(give threads >= 1, percentile 50, 90 or 99)", opts->threads,
				    opts->percentile);
	struct xf_fleet *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	*f = (struct xf_fleet){.db = db, .supernet_id = supernet_id, .sp = sp, .opts = *opts};
	struct devs_ctx dc = {f, 0, false};
	enum xs_status st = XS_OK;
	if (fdb_devices_each(db, on_device, &dc) != XS_OK)
		st = xf_error_set(err, XS_EIO, "%s", fdb_errmsg(db));
	else if (dc.oom)
		st = xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t i = 0; st == XS_OK && i < f->n; i++) {
		struct xf_fleet_device *d = &f->dev[i];
		struct xs_error kerr;
		st = xf_ktable_load(db, supernet_id, d->id, opts->threads, &d->kt, &kerr);
		if (st == XS_EINVAL)  /* no table: the device has no predictions */
			st = XS_OK;
		else if (st != XS_OK)
			xf_error_set(err, st, "%s", kerr.msg);
		if (st == XS_OK)
			st = xf_fleet_reload_device(f, i, err);
	}
	if (st != XS_OK) {
		xf_fleet_destroy(f);
		return st;
	}
	*out = f;
	return XS_OK;
}

bool xf_fleet_find(const struct xf_fleet *f, int64_t device_id, size_t *index)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->dev[i].id == device_id) {
			*index = i;
			return true;
		}
	return false;
}

static const struct xf_fleet_meas *measured(const struct xf_fleet *f, size_t i,
					     const char *arch, enum xs_precision prec)
{
	const struct xf_fleet_device *d = &f->dev[i];
	for (size_t j = 0; arch && j < d->nm; j++)
		if (d->m[j].prec == prec && strcmp(d->m[j].arch, arch) == 0)
			return &d->m[j];
	return NULL;
}

bool xf_fleet_measured(const struct xf_fleet *f, size_t i, const char *arch,
		       enum xs_precision prec, double *lat_ms)
{
	const struct xf_fleet_meas *m = measured(f, i, arch, prec);
	if (m)
		*lat_ms = m->lat;
	return m != NULL;
}

bool xf_fleet_clean(const struct xf_fleet *f, size_t i, const char *arch,
		    enum xs_precision prec)
{
	const struct xf_fleet_meas *m = measured(f, i, arch, prec);
	return m && m->clean;
}

double xf_fleet_predicted(const struct xf_fleet *f, size_t i, const struct xs_arch *a,
			  enum xs_precision prec)
{
	const struct xf_fleet_device *d = &f->dev[i];
	double sum, blocks;
	char missing[160];
	if (d->kt == NULL || !xf_ktable_sum(d->kt, f->sp, a, &sum, &blocks, missing, sizeof(missing)))
		return NAN;
	const double f32 = xf_calib_predict(&d->calib, sum, blocks) * d->ratio * d->correction;
	return prec == XS_PRECISION_F32 ? f32 : f32 * d->int8_ratio;
}

double xf_fleet_latency(const struct xf_fleet *f, size_t i, const struct xs_arch *a,
			enum xs_precision prec, const char *text, bool *measured)
{
	double lat;
	bool m = xf_fleet_measured(f, i, text, prec, &lat);
	if (measured)
		*measured = m;
	return m ? lat : xf_fleet_predicted(f, i, a, prec);
}

bool xf_fleet_loo(const struct xf_fleet *f, size_t i, double *pred)
{
	const struct xf_fleet_device *d = &f->dev[i];
	return xf_predict_loo(d->fit_sum, d->fit_blocks, d->fit_median, d->nfit, pred);
}

void xf_fleet_destroy(struct xf_fleet *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		xf_ktable_destroy(f->dev[i].kt);
		free(f->dev[i].m);
		points_free(&f->dev[i]);
	}
	free(f->dev);
	free(f);
}
