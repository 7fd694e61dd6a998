/* report-data.c - the rows of `xnn-fleet report` from the device DB
 * (report-data.h): every string copied into a pool of chunks, the row arrays
 * grown with xf_grow, the predictions from the fleet's latency model
 * (harness/select/fleet.h) in one function (predictions_gather). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "fleet.h"
#include "report-data.h"
#include "util.h"

struct chunk {                     /* strings, back to back */
	struct chunk *next;
	size_t used, cap;
	char data[];
};

struct sn_rows {                   /* the arrays behind a supernet's page */
	struct rep_device_stats *stats;
	size_t nstats, capstats;
	struct rep_result *results;
	size_t nresults, capresults;
	struct rep_kernel *kernels;
	size_t nkernels, capkernels;
	struct rep_prediction *predictions;
	size_t npredictions, cappredictions;
	struct rep_tier *tiers;
	struct rep_listed *listed;
};

struct xf_report_rows {
	struct chunk *chunks;
	struct rep_device *devices;
	size_t ndevices, capdevices;
	struct rep_sweep *sweeps;
	size_t nsweeps, capsweeps;
	struct rep_supernet *supernets;
	size_t nsupernets, capsupernets;
	struct sn_rows *sn;            /* per supernet */
	struct sn_rows *cur;           /* the one being read */
	bool oom;
};

/* A copy of s in the pool (NULL stays NULL; out of memory: NULL, oom). */
static const char *dup(struct xf_report_rows *r, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	struct chunk *c = r->chunks;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		if ((c = malloc(sizeof(*c) + cap)) == NULL) {
			r->oom = true;
			return NULL;
		}
		c->next = r->chunks;
		c->used = 0;
		c->cap = cap;
		r->chunks = c;
	}
	char *p = memcpy(c->data + c->used, s, n);
	c->used += n;
	return p;
}

/* ---- the DB's callbacks ----------------------------------------------------------- */

static void on_device(void *ctx, const struct fdb_device_row *d)
{
	struct xf_report_rows *r = ctx;
	if (!xf_grow(&r->devices, r->ndevices, &r->capdevices, sizeof(*r->devices), 64)) {
		r->oom = true;
		return;
	}
	r->devices[r->ndevices++] = (struct rep_device){
		.id = d->id, .transport = dup(r, d->transport), .serial = dup(r, d->serial),
		.fingerprint = dup(r, d->fingerprint), .model = dup(r, d->model),
		.soc = dup(r, d->soc), .abi = dup(r, d->abi), .os = dup(r, d->os), .cpus = d->cpus,
		.ram_bytes = d->ram_bytes, .emulated = d->emulated, .simulated = d->simulated};
}

static void on_supernet(void *ctx, const struct fdb_supernet_row *s)
{
	struct xf_report_rows *r = ctx;
	if (!xf_grow(&r->supernets, r->nsupernets, &r->capsupernets, sizeof(*r->supernets), 8)) {
		r->oom = true;
		return;
	}
	r->supernets[r->nsupernets++] = (struct rep_supernet){
		.id = s->id, .name = dup(r, s->name), .sha256 = dup(r, s->sha256),
		.added = dup(r, s->added), .subnet_count = s->subnets, .result_count = s->results,
		.device_count = s->devices};
}

static void on_sweep(void *ctx, const struct fdb_sweep_row *s)
{
	struct xf_report_rows *r = ctx;
	if (!xf_grow(&r->sweeps, r->nsweeps, &r->capsweeps, sizeof(*r->sweeps), 16)) {
		r->oom = true;
		return;
	}
	r->sweeps[r->nsweeps++] = (struct rep_sweep){
		.id = s->id, .started = dup(r, s->started), .ended = dup(r, s->ended),
		.status = dup(r, s->status), .config = dup(r, s->config), .runs = s->runs,
		.results = s->results, .staged_bytes = s->staged_bytes,
		.pushed_bytes = s->pushed_bytes};
}

static void on_stats(void *ctx, const struct fdb_device_summary *s)
{
	struct xf_report_rows *r = ctx;
	struct sn_rows *c = r->cur;
	if (!xf_grow(&c->stats, c->nstats, &c->capstats, sizeof(*c->stats), 64)) {
		r->oom = true;
		return;
	}
	c->stats[c->nstats++] = (struct rep_device_stats){
		.device_id = s->device_id, .clean = s->clean, .throttled = s->throttled,
		.noisy = s->noisy, .untimed = s->untimed, .failed = s->failed, .kernels = s->kernels,
		.run_status = dup(r, s->run_status), .run_error = dup(r, s->run_error),
		.conditions = dup(r, s->conditions)};
}

/* One-thread results only: latency is reported for one thread. */
static void on_result(void *ctx, const struct fdb_result_row *x)
{
	struct xf_report_rows *r = ctx;
	struct sn_rows *c = r->cur;
	if (x->threads != 1)
		return;
	if (!xf_grow(&c->results, c->nresults, &c->capresults, sizeof(*c->results), 256)) {
		r->oom = true;
		return;
	}
	const char *arch = dup(r, x->arch ? x->arch : ""), *flags = dup(r, x->flags ? x->flags : "");
	const char *prec = dup(r, x->precision ? x->precision : "f32");
	if (arch == NULL || flags == NULL || prec == NULL)
		return;  /* oom */
	c->results[c->nresults++] = (struct rep_result){
		.device_id = x->device_id, .arch = arch, .precision = prec, .flags = flags,
		.median_ms = x->median_ms, .p90_ms = x->p90_ms, .p99_ms = x->p99_ms,
		.top1 = x->test_top1, .macs = x->macs,
		.memory_bytes = x->arena_bytes >= 0 && x->weight_bytes >= 0
					? x->arena_bytes + x->weight_bytes : -1};
}

/* One-thread pieces with a latency, keyed as the agent's table keys them. */
static void on_kernel(void *ctx, const struct fdb_kernel_row *k)
{
	struct xf_report_rows *r = ctx;
	struct sn_rows *c = r->cur;
	if (k->threads != 1 || isnan(k->median_ms) || !(k->median_ms > 0))
		return;
	if (!xf_grow(&c->kernels, c->nkernels, &c->capkernels, sizeof(*c->kernels), 1024)) {
		r->oom = true;
		return;
	}
	struct rep_kernel *x = &c->kernels[c->nkernels++];
	x->device_id = k->device_id;
	snprintf(x->key, sizeof(x->key), "%s s%d%s r%d e%d k%d %s", k->piece ? k->piece : "?",
		 k->stage, k->first ? " first" : "", k->res, k->expand, k->kernel,
		 k->precision ? k->precision : "f32");
	x->median_ms = k->median_ms;
}

/* ---- one supernet's page --------------------------------------------------------- */

/* sn's one-thread f32 results by (device, arch), the first of equals first:
 * a fleet of 1000 devices x 200 sub-nets looked up 200,000 times would be
 * 4e10 steps by a linear search (90 s of a report); sorted, it is 0.1 s. */
struct result_ref {
	int64_t dev;
	const char *arch;
	size_t j;                      /* into sn_rows.results */
};

static int result_ref_cmp(const void *pa, const void *pb)
{
	const struct result_ref *a = pa, *b = pb;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	int k = strcmp(a->arch, b->arch);
	if (k != 0)
		return k;
	return a->j < b->j ? -1 : a->j > b->j;
}

/* The f32 results of c, sorted (NULL when out of memory; *n: how many). */
static struct result_ref *result_refs(const struct sn_rows *c, size_t *n)
{
	struct result_ref *v = malloc((c->nresults + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	*n = 0;
	for (size_t j = 0; j < c->nresults; j++) {
		const struct rep_result *x = &c->results[j];
		if (strcmp(x->precision, "f32") == 0)
			v[(*n)++] = (struct result_ref){x->device_id, x->arch, j};
	}
	qsort(v, *n, sizeof(*v), result_ref_cmp);
	return v;
}

/* The index of device dev's first one-thread f32 result of arch, or -1. */
static long result_of(const struct result_ref *v, size_t n, int64_t dev, const char *arch)
{
	size_t lo = 0, hi = n;  /* the first element not below (dev, arch, 0) */
	const struct result_ref key = {dev, arch, 0};
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (result_ref_cmp(&v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && v[lo].dev == dev && strcmp(v[lo].arch, arch) == 0)
		return (long)v[lo].j;
	return -1;
}

/* The leave-one-out predictions of sn's f32 results, on each device with a
 * kernel table and three results that its pieces cover: the fleet's latency
 * model (harness/select/fleet.h), the one select and predict use. */
static enum xs_status predictions_gather(struct fdb *db, const struct rep_supernet *sn,
					 struct sn_rows *c, struct xs_error *err)
{
	char *space = NULL, sha[65];
	struct xs_space sp;
	struct xs_error e;
	int64_t id;
	bool have_space = sn->sha256 && fdb_supernet_find(db, sn->sha256, &id, sha, &space) == XS_OK &&
			  space && xs_space_parse(space, strlen(space), &sp, &e) == XS_OK;
	free(space);
	if (!have_space)
		return XS_OK;  /* no predictions: the page says so */
	struct xf_fleet *fleet;
	const struct xf_fleet_opts fo = {.threads = 1, .percentile = 50, .exclude_emulated = false};
	enum xs_status st = xf_fleet_load(db, sn->id, &sp, &fo, &fleet, err);
	if (st != XS_OK)
		return st;
	double *pred = NULL;
	size_t nrefs = 0;
	struct result_ref *refs = result_refs(c, &nrefs);
	if (refs == NULL)
		st = xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t i = 0; st == XS_OK && i < fleet->n; i++) {
		const struct xf_fleet_device *d = &fleet->dev[i];
		if (d->kt == NULL || d->nfit < 3)
			continue;
		double *p = realloc(pred, d->nfit * sizeof(*pred));
		if (p == NULL || !xf_fleet_loo(fleet, i, (pred = p))) {
			st = xf_error_set(err, XS_ENOMEM, "out of memory");
			break;
		}
		for (size_t k = 0; k < d->nfit; k++) {
			long j = result_of(refs, nrefs, d->id, d->m[d->fit_meas[k]].arch);
			if (j < 0)
				continue;
			if (!xf_grow(&c->predictions, c->npredictions, &c->cappredictions,
				     sizeof(*c->predictions), 256)) {
				st = xf_error_set(err, XS_ENOMEM, "out of memory");
				break;
			}
			c->predictions[c->npredictions++] =
				(struct rep_prediction){.result = (size_t)j, .predicted_ms = pred[k]};
		}
	}
	free(pred);
	free(refs);
	xf_fleet_destroy(fleet);
	return st;
}

/* The tiers of the parsed manifest m into sn's manifest. */
static bool tiers_copy(struct xf_report_rows *r, struct sn_rows *c, const struct xr_manifest *m,
		       struct rep_manifest *out)
{
	size_t nlisted = 0;
	for (size_t t = 0; t < m->ntiers; t++)
		nlisted += m->tiers[t].nlisted;
	c->tiers = calloc(m->ntiers + 1, sizeof(*c->tiers));
	c->listed = calloc(nlisted + 1, sizeof(*c->listed));
	if (c->tiers == NULL || c->listed == NULL)
		return false;
	struct rep_listed *l = c->listed;
	for (size_t t = 0; t < m->ntiers; t++) {
		const struct xr_tier *tr = &m->tiers[t];
		c->tiers[t] = (struct rep_tier){
			.name = dup(r, tr->name), .arch = dup(r, tr->arch),
			.precision = dup(r, tr->precision), .size = tr->size,
			.latency_ms = tr->latency_ms, .memory_bytes = tr->memory_bytes,
			.top1 = tr->top1, .predicted = tr->predicted, .probe_min = tr->probe_min,
			.listed = l, .nlisted = tr->nlisted};
		for (size_t k = 0; k < tr->nlisted; k++, l++)
			*l = (struct rep_listed){.model = dup(r, tr->listed[k].model),
						 .fingerprint = dup(r, tr->listed[k].fingerprint)};
	}
	*out = (struct rep_manifest){
		.state = REP_MANIFEST_OK, .budget_percentile = m->budget_percentile,
		.budget_latency_ms = m->budget_latency_ms, .budget_memory = m->budget_memory,
		.budget_size = m->budget_size, .tiers = c->tiers, .ntiers = m->ntiers,
		.fallback = m->fallback};
	return !r->oom;
}

/* The newest manifest of sn (m: room to parse it). */
static enum xs_status manifest_gather(struct fdb *db, struct xf_report_rows *r,
				      struct rep_supernet *sn, struct sn_rows *c,
				      struct xr_manifest *m)
{
	char *json = NULL, *created = NULL, why[256];
	struct rep_manifest *out = &sn->manifest;
	enum xs_status st = XS_OK;
	if (fdb_manifest_latest(db, sn->id, &json, &created) != XS_OK) {
		*out = (struct rep_manifest){.state = REP_MANIFEST_UNREAD, .why = dup(r, fdb_errmsg(db))};
	} else if (json == NULL) {
		*out = (struct rep_manifest){.state = REP_MANIFEST_NONE};
	} else if (!xr_manifest_parse(json, strlen(json), m, why, sizeof(why))) {
		*out = (struct rep_manifest){.state = REP_MANIFEST_BAD, .why = dup(r, why)};
	} else if (!tiers_copy(r, c, m, out)) {
		st = XS_ENOMEM;
	} else {
		out->created = dup(r, created);
	}
	free(json);
	free(created);
	return st;
}

/* The rows of supernet i's page. */
static enum xs_status page_gather(struct fdb *db, struct xf_report_rows *r, size_t i,
				  struct xr_manifest *m, struct xs_error *err)
{
	struct rep_supernet *sn = &r->supernets[i];
	struct sn_rows *c = r->cur = &r->sn[i];
	enum xs_status st;
	if ((st = fdb_device_summaries_each(db, sn->id, on_stats, r)) != XS_OK ||
	    (st = fdb_subnet_results_each(db, sn->id, -1, on_result, r)) != XS_OK ||
	    (st = fdb_kernel_results_each(db, sn->id, -1, on_kernel, r)) != XS_OK)
		return xf_error_set(err, st, "%s", fdb_errmsg(db));
	if (!r->oom && (st = predictions_gather(db, sn, c, err)) == XS_OK)
		st = manifest_gather(db, r, sn, c, m);
	if (r->oom || st == XS_ENOMEM)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	return st;
}

/* ---- the whole input ------------------------------------------------------------- */

/* Marks the supernets that get a page: all, or only's. */
static enum xs_status pages_choose(struct xf_report_rows *r, const char *db_name,
				   const char *only, struct xs_error *err)
{
	size_t pages = 0;
	for (size_t i = 0; i < r->nsupernets; i++) {
		struct rep_supernet *sn = &r->supernets[i];
		sn->page = only == NULL || strcmp(only, sn->name ? sn->name : "") == 0 ||
			   strcmp(only, sn->sha256 ? sn->sha256 : "") == 0;
		pages += sn->page;
	}
	if (only && pages == 0)
		return xf_error_set(err, XS_EINVAL, "'%s' has no supernet '%s'", db_name, only);
	return XS_OK;
}

/* in: the arrays, now that none grows any more. */
static void input_fill(struct xf_report_data *out, const char *db_name)
{
	struct xf_report_rows *r = out->rows;
	for (size_t i = 0; i < r->nsupernets; i++) {
		struct rep_supernet *sn = &r->supernets[i];
		const struct sn_rows *c = &r->sn[i];
		sn->stats = c->stats;
		sn->nstats = c->nstats;
		sn->results = c->results;
		sn->nresults = c->nresults;
		sn->kernels = c->kernels;
		sn->nkernels = c->nkernels;
		sn->predictions = c->predictions;
		sn->npredictions = c->npredictions;
	}
	out->in = (struct rep_input){
		.db_name = db_name, .devices = r->devices, .ndevices = r->ndevices,
		.supernets = r->supernets, .nsupernets = r->nsupernets, .sweeps = r->sweeps,
		.nsweeps = r->nsweeps};
}

enum xs_status xf_report_data_gather(struct fdb *db, const char *db_name, const char *only,
				     struct xf_report_data *out, struct xs_error *err)
{
	memset(out, 0, sizeof(*out));
	struct xf_report_rows *r = out->rows = calloc(1, sizeof(*r));
	if (r == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	enum xs_status st;
	if ((st = fdb_devices_each(db, on_device, r)) != XS_OK ||
	    (st = fdb_supernets_each(db, on_supernet, r)) != XS_OK ||
	    (st = fdb_sweeps_each(db, on_sweep, r)) != XS_OK)
		return xf_error_set(err, st, "%s", fdb_errmsg(db));
	if (r->oom || (r->sn = calloc(r->nsupernets + 1, sizeof(*r->sn))) == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	if ((st = pages_choose(r, db_name, only, err)) != XS_OK)
		return st;
	struct xr_manifest *m = malloc(sizeof(*m));  /* about 400 KB */
	if (m == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t i = 0; st == XS_OK && i < r->nsupernets; i++)
		if (r->supernets[i].page)
			st = page_gather(db, r, i, m, err);
	free(m);
	if (st == XS_OK)
		input_fill(out, db_name);
	return st;
}

void xf_report_data_release(struct xf_report_data *d)
{
	if (d == NULL || d->rows == NULL)
		return;
	struct xf_report_rows *r = d->rows;
	for (size_t i = 0; r->sn && i < r->nsupernets; i++) {
		struct sn_rows *c = &r->sn[i];
		free(c->stats);
		free(c->results);
		free(c->kernels);
		free(c->predictions);
		free(c->tiers);
		free(c->listed);
	}
	free(r->sn);
	free(r->devices);
	free(r->sweeps);
	free(r->supernets);
	while (r->chunks) {
		struct chunk *next = r->chunks->next;
		free(r->chunks);
		r->chunks = next;
	}
	free(r);
	memset(d, 0, sizeof(*d));
}
