/* pipeline.c - the select pipeline: devices -> searches -> tiers ->
 * measured -> result (pipeline.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "reference.h"
#include "set-search.h"
#include "sweep.h"
#include "util.h"

/* A tier while the pipeline works on it. */
struct work_tier {
	const size_t *devs;          /* into the device order */
	size_t ndevs;
	size_t ci;                   /* its candidate: an index (the cache grows) */
	double test_top1;
};

struct run {
	struct xf_sel s;
	size_t *use, nuse;           /* fleet devices selected for, fastest first */
	struct work_tier tiers[XF_MAX_TIERS];
	size_t ntiers;
};

static int by_speed(const void *x, const void *y, void *ctx)
{
	const struct xf_fleet *f = ctx;
	const struct xf_fleet_device *a = &f->dev[*(const size_t *)x];
	const struct xf_fleet_device *b = &f->dev[*(const size_t *)y];
	return (a->speed > b->speed) - (a->speed < b->speed);
}

/* 1. The fleet model; the devices with a whole kernel table, fastest first. */
static enum xs_status devices(struct run *r, struct xs_error *err)
{
	struct xf_sel *s = &r->s;
	const struct xf_fleet_opts fo = {1, s->o->budget.percentile, s->o->exclude_emulated};
	enum xs_status st = xf_fleet_load(s->o->db, s->o->supernet_id, s->sp, &fo, &s->fleet, err);
	if (st != XS_OK)
		return st;
	const struct xf_fleet *f = s->fleet;
	if (f->emulated_out)
		xf_sel_notice(s, "%zu emulated device%s: checked, not timed: left out of the tiers "
			      "(qemu timings describe no phone; --time-emulated counts them)",
			      f->emulated_out, f->emulated_out > 1 ? "s" : "");
	r->use = calloc(f->n + 1, sizeof(*r->use));
	s->share = calloc(f->n + 1, sizeof(*s->share));
	if (r->use == NULL || s->share == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t i = 0; i < f->n; i++) {
		const struct xf_fleet_device *d = &f->dev[i];
		if (d->state == XF_FLEET_NO_TABLE)
			xf_sel_notice(s, "%s has no kernel table for one thread: left out (run "
				      "xnn-fleet sweep on it)", d->serial);
		else if (d->state == XF_FLEET_PARTIAL)
			xf_sel_notice(s, "%s's kernel table misses pieces of the space: left out "
				      "(sweep it again)", d->serial);
		else
			r->use[r->nuse++] = i;
	}
	if (r->nuse == 0)
		return xf_error_set(err, XS_EINVAL, "no device in '%s' has a kernel table of %s%s: "
				    "run xnn-fleet sweep first", s->o->db_name, s->sp->name,
				    s->o->exclude_emulated ? " (emulated ones excluded)" : "");
	qsort_r(r->use, r->nuse, sizeof(*r->use), by_speed, s->fleet);
	return XS_OK;
}

/* The population's shares of the devices (a model's share split among its
 * devices; a device without a model is named by its serial). */
static enum xs_status shares(struct run *r, struct xs_error *err)
{
	struct xf_sel *s = &r->s;
	const struct xf_fleet *f = s->fleet;
	if (s->o->population == NULL) {
		for (size_t i = 0; i < r->nuse; i++)
			s->share[r->use[i]] = 1.0 / (double)r->nuse;
		return XS_OK;
	}
	double total = 0;
	for (size_t i = 0; i < r->nuse; i++) {
		const struct xf_fleet_device *d = &f->dev[r->use[i]];
		const char *key = d->model[0] ? d->model : d->serial;
		size_t same = 0;
		for (size_t j = 0; j < r->nuse; j++) {
			const struct xf_fleet_device *e = &f->dev[r->use[j]];
			same += strcmp(e->model[0] ? e->model : e->serial, key) == 0;
		}
		double *sh = &s->share[r->use[i]];
		*sh = 0;
		for (size_t p = 0; p < s->o->npopulation; p++)
			if (strcmp(s->o->population[p].model, key) == 0)
				*sh = s->o->population[p].share / (double)same;
		if (*sh == 0)
			xf_sel_notice(s, "%s (%s '%s') is not in the population: share 0 (it still "
				      "gets a tier within budget)", d->serial,
				      d->model[0] ? "model" : "no model; serial", key);
		total += *sh;
	}
	if (!(total > 0))
		return xf_error_set(err, XS_EINVAL, "no device of the DB is in --population '%s' "
				    "(give rows model,share with the models 'xnn-fleet devices' "
				    "shows)", s->o->population_name ? s->o->population_name : "");
	for (size_t i = 0; i < r->nuse; i++)
		s->share[r->use[i]] /= total;
	return XS_OK;
}

/* 2. A search per device (at most XF_SELECT_SEARCH_DEVICES of them, spread
 * over the speed order: thousands of devices share their candidates). */
static enum xs_status device_searches(struct run *r, struct xs_error *err)
{
	const size_t nuse = r->nuse;
	size_t reps = nuse < XF_SELECT_SEARCH_DEVICES ? nuse : XF_SELECT_SEARCH_DEVICES;
	for (size_t k = 0; k < reps; k++) {
		size_t i = reps == nuse ? k : k * (nuse - 1) / (reps - 1);
		const struct xf_fleet_device *d = &r->s.fleet->dev[r->use[i]];
		struct xf_search_result res;
		enum xs_precision prec;
		char what[200];
		snprintf(what, sizeof(what), "for %.150s", d->serial);
		enum xs_status st = xf_sel_search_set(&r->s, &r->use[i], 1, what, &res, &prec, err);
		if (st != XS_OK)
			return st;
		if (res.found)
			xf_sel_emit(&r->s, &(struct xf_select_event){.kind = XF_SELECT_DEVICE,
				.device = d, .search = &res, .prec = prec});
	}
	return XS_OK;
}

/* The scored candidates that meet the static budgets; the devices that none
 * fits leave r->use. */
static enum xs_status pool_of(struct run *r, size_t **pool, size_t *np, struct xs_error *err)
{
	struct xf_sel *s = &r->s;
	struct xf_cands *cs = &s->cands;
	*np = 0;
	*pool = malloc((cs->n + 1) * sizeof(**pool));
	if (*pool == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t i = 0; i < cs->n; i++) {  /* the searches' seeds may lack their sizes */
		struct xs_error serr;
		if (!isnan(cs->c[i].val) && xf_cands_sizes(&s->cands, i, &serr) == XS_OK &&
		    xf_sel_fits_static(s, &cs->c[i]))
			(*pool)[(*np)++] = i;
	}
	struct xs_arch smallest;
	xs_arch_smallest(s->sp, &smallest);
	size_t nfit = 0;
	for (size_t i = 0; i < r->nuse; i++) {
		bool any = false;
		for (size_t c = 0; c < *np && !any; c++)
			any = xf_sel_fits_dev(s, r->use[i], &cs->c[(*pool)[c]]);
		if (!any) {
			double lat = xf_fleet_latency(s->fleet, r->use[i], &smallest, XS_PRECISION_F32,
						      NULL, NULL);
			xf_sel_notice(s, "no sub-net meets %s on %s (the smallest: p%d %.3g ms "
				      "predicted): left out of the tiers; the manifest's fallback "
				      "serves it", s->budget_text, s->fleet->dev[r->use[i]].serial,
				      s->o->budget.percentile, lat);
			continue;
		}
		r->use[nfit++] = r->use[i];
	}
	if (nfit == 0)
		return xf_error_set(err, XS_EINVAL, "no device can meet %s with any sub-net: raise "
				    "the budget", s->budget_text);
	r->nuse = nfit;
	return XS_OK;
}

/* 3. Tiers over the pool; then a search per tier of more than one device
 * (one device: its own search was that). */
static enum xs_status tiers(struct run *r, struct xs_error *err)
{
	struct xf_sel *s = &r->s;
	size_t *pool = NULL, np = 0;
	enum xs_status st = pool_of(r, &pool, &np, err);
	const size_t nd = r->nuse;
	bool *fits = st == XS_OK ? malloc((np + 1) * nd * sizeof(bool)) : NULL;
	double *acc = st == XS_OK ? malloc((np + 1) * sizeof(double)) : NULL;
	double *share = st == XS_OK ? malloc((nd + 1) * sizeof(double)) : NULL;
	if (st == XS_OK && (fits == NULL || acc == NULL || share == NULL))
		st = xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t c = 0; st == XS_OK && c < np; c++) {
		const struct xf_cand *cd = &s->cands.c[pool[c]];
		acc[c] = cd->val - 1e-12 * (double)cd->size;  /* equal top-1: the smaller file */
		for (size_t j = 0; j < nd; j++)
			fits[c * nd + j] = xf_sel_fits_dev(s, r->use[j], cd);
	}
	for (size_t j = 0; st == XS_OK && j < nd; j++)
		share[j] = s->share[r->use[j]];
	struct xf_tiering tg;
	size_t ncls = 0, grouped = 0;
	const size_t want_k = s->o->tiers;
	if (st == XS_OK && !xf_tiers_group(fits, acc, np, share, nd, want_k, XF_MAX_TIERS, 0.1,
					   &tg, &ncls, &grouped))
		st = xf_error_set(err, XS_ENOMEM, "no tiering found (out of memory?)");
	if (st == XS_OK) {
		if (want_k > ncls)
			xf_sel_notice(s, "%zu tiers asked; the devices fall in %zu speed classes: %zu "
				      "tiers", want_k, ncls, ncls);
		for (size_t t = 0; t < tg.k; t++)
			r->tiers[t] = (struct work_tier){&r->use[tg.first[t]],
							 tg.last[t] - tg.first[t] + 1, pool[tg.cand[t]], NAN};
		r->ntiers = tg.k;
		if (want_k && tg.k < want_k && tg.k < grouped)
			xf_sel_notice(s, "tiers with the same best sub-net merged: %zu tiers", tg.k);
	}
	free(pool);
	free(fits);
	free(acc);
	free(share);
	for (size_t t = 0; st == XS_OK && t < r->ntiers; t++) {
		struct work_tier *w = &r->tiers[t];
		if (w->ndevs < 2)
			continue;
		struct xf_search_result res;
		enum xs_precision prec;
		char what[32];
		snprintf(what, sizeof(what), "for tier t%zu", t + 1);
		st = xf_sel_search_set(s, w->devs, w->ndevs, what, &res, &prec, err);
		if (st == XS_OK && res.found && res.top1 > s->cands.c[w->ci].val)
			st = xf_cands_get(&s->cands, &res.best, prec, &w->ci, err);
	}
	return st;
}

/* Whether some device of tier t that is not simulated lacks a measurement of
 * its candidate. */
static bool tier_needs_measuring(const struct run *r, const struct work_tier *w)
{
	const struct xf_cand *c = &r->s.cands.c[w->ci];
	for (size_t j = 0; j < w->ndevs; j++) {
		double lat;
		if (!xf_fleet_measured(r->s.fleet, w->devs[j], c->text, c->prec, &lat) &&
		    !r->s.fleet->dev[w->devs[j]].simulated)
			return true;
	}
	return false;
}

/* The sweep's word on each device of a tier's measuring, as notices. */
static void on_sweep(void *ctx, const struct xf_sweep_event *ev)
{
	struct run *r = ctx;
	if (ev->kind != XF_SWEEP_EV_FINISHED && ev->kind != XF_SWEEP_EV_UNAVAILABLE)
		return;
	const struct xf_sweep_device *d = ev->device;
	char msg[1024];
	if (d->status == XF_SWEEP_SKIPPED)  /* not a device of the tier */
		return;
	if (d->status == XF_SWEEP_DONE)
		snprintf(msg, sizeof(msg), "measured on %s: %zu sub-net row%s, %zu new", d->serial,
			 d->subnet_rows, d->subnet_rows == 1 ? "" : "s", d->stored);
	else
		snprintf(msg, sizeof(msg), "%s: %s%s%.400s; what it measured is used, the rest "
			 "stays predicted", d->serial, xf_sweep_status_name(d->status),
			 d->error[0] || d->problem[0] ? ": " : "", d->error[0] ? d->error : d->problem);
	xf_sel_emit(&r->s, &(struct xf_select_event){.kind = XF_SELECT_NOTICE, .msg = msg});
}

/* Tier t's candidate measured on its devices by the sweep, on the
 * pipeline's DB handle; their models reloaded. */
static enum xs_status measure_tier(struct run *r, size_t t, struct xs_error *err)
{
	const struct xf_select_opts *o = r->s.o;
	const struct work_tier *w = &r->tiers[t];
	const struct xf_cand *c = &r->s.cands.c[w->ci];
	/* the devices by their DB ids (two phones may share a serial, and a
	 * serial may hold any character); their serials only narrow whom the
	 * sweep probes */
	const char **serials = malloc((w->ndevs + 1) * sizeof(*serials));
	int64_t *ids = malloc((w->ndevs + 1) * sizeof(*ids));
	if (serials == NULL || ids == NULL) {
		free(serials);
		free(ids);
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	}
	size_t n = 0;
	char list[1024] = "";
	for (size_t j = 0; j < w->ndevs; j++) {
		const struct xf_fleet_device *d = &r->s.fleet->dev[w->devs[j]];
		if (d->simulated)
			continue;
		size_t len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s", n ? "," : "", d->serial);
		ids[n] = d->id;
		serials[n++] = d->serial;
	}
	struct xf_devexpr *ex = NULL;
	enum xs_status st = n ? xf_devexpr_serials(serials, n, &ex, err) : XS_OK;
	free(serials);
	if (st != XS_OK || n == 0) {
		free(ids);
		return st;
	}
	char msg[1200];
	snprintf(msg, sizeof(msg), "measuring tier t%zu's sub-net (%s) on %s", t + 1,
		 xs_precision_name(c->prec), list);
	xf_sel_emit(&r->s, &(struct xf_select_event){.kind = XF_SELECT_NOTICE, .msg = msg});
	const char *arch = c->text;
	const struct xf_sweep_opts so = {
		.devices = ex, .device_ids = ids, .ndevice_ids = n, .supernet_path = o->sweep.supernet_path, .supernet = o->sn,
		.archs = &arch, .narchs = 1, .precision = xs_precision_name(c->prec),
		.resume = true, .eval_n = 100, .adb_servers = o->sweep.adb_servers,
		.nadb_servers = o->sweep.nadb_servers, .no_adb = o->sweep.no_adb, .db = o->db,
		.time_emulated = !o->exclude_emulated};
	struct xf_sweep_summary sum;
	struct xs_error serr;
	st = xf_sweep_run(&so, on_sweep, r, &sum, &serr);
	if (st != XS_OK && st != XS_ENOMEM) {  /* the devices stay predicted */
		snprintf(msg, sizeof(msg), "tier t%zu: %.900s: it stays predicted", t + 1, serr.msg);
		xf_sel_emit(&r->s, &(struct xf_select_event){.kind = XF_SELECT_NOTICE, .msg = msg});
		st = XS_OK;
	} else if (st == XS_ENOMEM) {
		xf_error_set(err, st, "%s", serr.msg);
	}
	xf_sweep_summary_release(&sum);
	xf_devexpr_destroy(ex);
	free(ids);
	for (size_t j = 0; st == XS_OK && j < w->ndevs; j++)
		st = xf_fleet_reload_device(r->s.fleet, w->devs[j], err);
	return st;
}

/* Tier t after measuring: the first device over the budget as measured
 * raises its correction and the tier gets a new search (round 3: the run
 * fails). *again when it was replaced. */
static enum xs_status tier_check(struct run *r, size_t t, int round, bool *again,
				 struct xs_error *err)
{
	struct xf_sel *s = &r->s;
	struct work_tier *w = &r->tiers[t];
	for (size_t j = 0; j < w->ndevs; j++) {
		const size_t d = w->devs[j];
		const struct xf_cand *c = &s->cands.c[w->ci];
		bool m;
		double lat = xf_fleet_latency(s->fleet, d, &c->a, c->prec, c->text, &m);
		if (!m || xf_sel_fits_dev(s, d, c))
			continue;
		/* the device is slower than its predictions say (a loaded host, a
		 * hot phone): what follows is predicted as slow */
		double pred = xf_fleet_predicted(s->fleet, d, &c->a, c->prec);
		if (pred > 0 && lat / pred > 1)
			s->fleet->dev[d].correction *= lat / pred;
		xf_sel_emit(s, &(struct xf_select_event){.kind = XF_SELECT_MISS, .tier = (int)t,
			.arch = c->text, .device = &s->fleet->dev[d], .lat_ms = lat,
			.replaced = round != 3});
		*again = true;
		if (round == 3)
			return xf_error_set(err, XS_EINVAL, "tier t%zu: four sub-nets in a row missed "
					    "the budget when measured; the device is too noisy for "
					    "this budget (see xnn-fleet predict --eval)", t + 1);
		struct xf_search_result res;
		enum xs_precision prec;
		char what[48];
		snprintf(what, sizeof(what), "again for tier t%zu", t + 1);
		enum xs_status st = xf_sel_search_set(s, w->devs, w->ndevs, what, &res, &prec, err);
		if (st != XS_OK)
			return st;
		if (!res.found)
			return xf_error_set(err, XS_EINVAL, "tier t%zu: no sub-net meets %s once "
					    "measured", t + 1, s->budget_text);
		return xf_cands_get(&s->cands, &res.best, prec, &w->ci, err);
	}
	return XS_OK;
}

/* 4. Measured for real; a miss is replaced. */
static enum xs_status measure(struct run *r, struct xs_error *err)
{
	for (int round = 0; r->s.o->measure && round < 4; round++) {
		bool again = false;
		for (size_t t = 0; t < r->ntiers; t++) {
			enum xs_status st = XS_OK;
			if (tier_needs_measuring(r, &r->tiers[t]))
				st = measure_tier(r, t, err);
			if (st == XS_OK)
				st = tier_check(r, t, round, &again, err);
			if (st != XS_OK)
				return st;
		}
		if (!again)
			break;
	}
	return XS_OK;
}

static void reference_line(void *ctx, const char *line)
{
	xf_sel_emit(ctx, &(struct xf_select_event){.kind = XF_SELECT_REFERENCE, .msg = line});
}

/* 5. The test top-1 of the chosen ones: the host reference (the sweep
 * computed it for what it measured), each in its precision. */
static enum xs_status test_top1(struct run *r, struct xs_error *err)
{
	const struct xf_select_opts *o = r->s.o;
	char ref[4096];
	snprintf(ref, sizeof(ref), "%s/xnn-fleet-select-ref-%ld.csv", xf_tmpdir(), (long)getpid());
	for (size_t t = 0; t < r->ntiers; t++) {
		struct xf_cand *c = &r->s.cands.c[r->tiers[t].ci];
		char archs[1][XS_ARCH_MAX];
		int64_t id;
		snprintf(archs[0], XS_ARCH_MAX, "%s", c->text);
		if (fdb_subnet_upsert(o->db, o->supernet_id, c->text, xs_arch_macs(r->s.sp, &c->a),
				      xs_arch_params(r->s.sp, &c->a), &id) != XS_OK)
			return xf_error_set(err, XS_EIO, "%s", fdb_errmsg(o->db));
		const char *pname = xs_precision_name(c->prec);
		bool written;
		struct xs_error rerr;
		enum xs_status st = xf_reference_update(o->db, o->sn, (const char (*)[XS_ARCH_MAX])archs,
							&id, 1, o->data->calib, o->data->train_labels,
							o->data->eval, o->data->labels, pname,
							o->threads, ref, &written, NULL,
							reference_line, &r->s, &rerr);
		unlink(ref);
		if (st != XS_OK)
			return xf_error_set(err, st, "host reference: %s", rerr.msg);
		double val;
		char *text = NULL;
		if (fdb_subnet_reference(o->db, id, pname, &r->tiers[t].test_top1, &val, &text) != XS_OK)
			r->tiers[t].test_top1 = NAN;
		free(text);
	}
	return XS_OK;
}

/* The result's tiers: each device's latency of its tier's candidate. */
static enum xs_status result_of(struct run *r, struct xf_select_result *res,
				struct xs_error *err)
{
	struct xf_sel *s = &r->s;
	res->tiers = calloc(r->ntiers + 1, sizeof(*res->tiers));
	if (res->tiers == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t t = 0; t < r->ntiers; t++) {
		const struct work_tier *w = &r->tiers[t];
		const struct xf_cand *c = &s->cands.c[w->ci];
		struct xf_select_tier *to = &res->tiers[res->ntiers++];
		to->arch = c->a;
		snprintf(to->text, sizeof(to->text), "%s", c->text);
		to->prec = c->prec;
		to->size = c->size;
		to->memory = c->memory;
		to->val_top1 = c->val;
		to->test_top1 = w->test_top1;
		to->devs = malloc((w->ndevs + 1) * sizeof(*to->devs));
		to->dev_lat = malloc((w->ndevs + 1) * sizeof(*to->dev_lat));
		to->dev_measured = malloc((w->ndevs + 1) * sizeof(*to->dev_measured));
		if (to->devs == NULL || to->dev_lat == NULL || to->dev_measured == NULL)
			return xf_error_set(err, XS_ENOMEM, "out of memory");
		to->ndevs = w->ndevs;
		to->all_measured = true;
		for (size_t j = 0; j < w->ndevs; j++) {
			const size_t d = w->devs[j];
			to->devs[j] = d;
			to->dev_lat[j] = xf_fleet_latency(s->fleet, d, &c->a, c->prec, c->text,
							  &to->dev_measured[j]);
			to->all_measured = to->all_measured && to->dev_measured[j];
			to->widened += to->dev_measured[j] &&
				       !xf_fleet_clean(s->fleet, d, c->text, c->prec);
			to->lat_ms = to->dev_lat[j] > to->lat_ms ? to->dev_lat[j] : to->lat_ms;
			res->expected += s->share[d] * c->val;
			res->in_tiers += s->share[d];
		}
	}
	if (res->in_tiers > 0)
		res->expected /= res->in_tiers;
	res->looked_at = s->cands.n;
	res->scored_here = s->cands.scored_here;
	res->score_seconds = s->cands.score_seconds;
	return XS_OK;
}

enum xs_status xf_select_run(const struct xf_select_opts *o, struct xf_select_result *res,
			     struct xs_error *err)
{
	memset(res, 0, sizeof(*res));
	struct run r;
	memset(&r, 0, sizeof(r));
	r.s.o = o;
	r.s.sp = &o->sn->space;
	xf_budget_print(&o->budget, r.s.budget_text, sizeof(r.s.budget_text));
	xf_cands_init(&r.s.cands, o->sn, o->db, o->supernet_id, o->images, o->labels, o->tp);
	enum xs_status st = devices(&r, err);
	if (st == XS_OK)
		st = shares(&r, err);
	if (st == XS_OK) {
		xf_sel_emit(&r.s, &(struct xf_select_event){.kind = XF_SELECT_START,
							     .ndevices = r.nuse});
		st = device_searches(&r, err);
	}
	if (st == XS_OK)
		st = tiers(&r, err);
	if (st == XS_OK)
		st = measure(&r, err);
	if (st == XS_OK)
		st = test_top1(&r, err);
	if (st == XS_OK)
		st = result_of(&r, res, err);
	if (st == XS_OK && o->regret) {
		const struct work_tier *w = &r.tiers[r.ntiers - 1];
		res->regret_done = true;
		res->regret_status = xf_select_regret(&r.s, w->devs, w->ndevs,
						      r.s.cands.c[w->ci].prec, &res->regret,
						      &res->regret_err);
	}
	res->fleet = r.s.fleet;
	res->share = r.s.share;
	r.s.fleet = NULL;
	r.s.share = NULL;
	free(r.use);
	xf_cands_release(&r.s.cands);
	if (st != XS_OK)
		xf_select_result_release(res);
	return st;
}

void xf_select_result_release(struct xf_select_result *res)
{
	for (size_t t = 0; res->tiers && t < res->ntiers; t++) {
		free(res->tiers[t].devs);
		free(res->tiers[t].dev_lat);
		free(res->tiers[t].dev_measured);
	}
	free(res->tiers);
	free(res->share);
	xf_fleet_destroy(res->fleet);
	memset(res, 0, sizeof(*res));
}
