/* cmd-select.c - xnn-fleet select: device tiers and a sub-net per tier
 * under the budgets, measured for real, written as a manifest and its .xnm
 * files (DESIGN.md "Selection", "Manifest").
 *
 * 1. The devices of the DB with a kernel table: latency predicted per device
 *    (predict.h), or the measured one where the DB has it. A candidate is a
 *    sub-net in a precision (f32 or int8): int8 latency is measured, or the
 *    f32 prediction times the device's own int8/f32 ratio (the geometric mean
 *    over the sub-nets it measured in both); a device that never ran int8 has
 *    no int8 candidates.
 * 2. A search per device and precision (its accuracy cache is shared): the
 *    candidates. Accuracy is the host engine's top-1 in that precision on the
 *    validation split (cached in the DB); memory and size are exact (the
 *    sub-net built without recalibration: the same sizes).
 * 3. Tiers: contiguous runs of the devices in speed order, grouped for the
 *    highest expected accuracy over the population (select.h); then a search
 *    per tier over all its devices.
 * 4. Each tier's sub-net is measured on the tier's devices through the sweep;
 *    one that misses the budget is replaced (the measurement is now what the
 *    search sees) and measured again, up to three times.
 * 5. DIR/manifest.json (cJSON) and DIR/tN.xnm, the manifest also in the DB. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fdb.h"
#include "manifest.h"
#include "predict.h"
#include "reference.h"
#include "select.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet select [--supernet FILE] [--budget SPEC] [--tiers K|auto]\n"
	"                        [--population CSV] [--exclude-emulated] [--db FILE]\n"
	"                        [--evals N] [--seed N] [--no-measure] [--regret]\n"
	"                        [--precision LIST]\n"
	"                        [--adb-server HOST:PORT|none]... --out DIR\n"
	"\n"
	"Groups the DB's devices into tiers and picks, per tier, the most accurate\n"
	"sub-net and precision that meet the budget on every device of the tier;\n"
	"measures the chosen sub-nets on their devices (through the sweep) and\n"
	"replaces one that misses; writes DIR/manifest.json and the tiers'\n"
	"DIR/tN.xnm, and stores the manifest in the DB.\n"
	"\n"
	"--budget     latency at a percentile, memory (the engine's planned bytes:\n"
	"             activations + weights, one image) and file size; default\n"
	"             '" XF_DEFAULT_BUDGET "' (units us/ms/s, B/KB/MB/GB = 1024^n)\n"
	"--tiers      K, or auto (default): the fewest tiers within 0.1 points of\n"
	"             the best expected top-1\n"
	"--population CSV rows model,share (share of users per device model; a\n"
	"             device without a model is named by its serial); default\n"
	"             equal shares per device\n"
	"--evals      sub-nets scored per search (default 60): accuracy is top-1 on\n"
	"             the validation split (the last 5,000 training images, never\n"
	"             trained on), computed here once and kept in the DB\n"
	"--no-measure write the manifest from predictions (its tiers say\n"
	"             \"predicted\"); by default every reachable device measures its\n"
	"             tier's sub-net through the sweep (--resume, top-1 on 100 test\n"
	"             images as a check; devices that cannot be reached stay\n"
	"             predicted)\n"
	"--precision  f32, int8 or f32,int8 (default): the precisions a tier may\n"
	"             get. int8 is a choice on devices that measured int8 (xnn-fleet\n"
	"             sweep --precision f32,int8); its accuracy is the host engine's\n"
	"             int8 top-1\n"
	"--regret     also search the small sub-space (the smallest resolution, depth\n"
	"             and kernel, every expand ratio: 81 sub-nets) exhaustively for the\n"
	"             slowest tier and print the evolutionary search's regret\n"
	"--supernet defaults to " XF_DEFAULT_SUPERNET ", --db to fleet.db. Latency is\n"
	"for one thread. Devices without a kernel table in the DB are left out (run\n"
	"xnn-fleet sweep first); so are devices where no sub-net meets the budget\n"
	"(they get the manifest's fallback tier).\n";

/* ---- devices ---------------------------------------------------------------------- */

struct meas {
	char arch[XS_ARCH_MAX];
	enum xs_precision prec;
	double lat, median;        /* the budget's percentile; median (ms) */
	int64_t memory;            /* arena + weights, -1 unknown */
};

struct sdev {
	int64_t id;
	char serial[128], model[128], fingerprint[256], transport[16], abi[32];
	bool emulated, simulated;
	double probe;              /* probe_score, NAN unknown */
	struct xf_ktable *kt;
	struct xf_calib calib;
	double ratio;              /* percentile / median of its measurements */
	double margin;             /* leave-one-out RMSPE of its predictions */
	double correction;         /* >= 1: measured / predicted of a sub-net that missed */
	double int8_ratio;         /* int8 / f32 median, geometric mean; NAN: no int8 */
	double int8_spread;        /* the ratio's relative spread (0.10 from one sub-net) */
	struct meas *m;
	size_t nm;
	double share, speed;       /* speed: predicted median of the largest sub-net */
	bool fits_any;
	int tier;                  /* -1: none */
};

/* Devices searched for one by one, at most (spread over the speed order). */
#define SEARCH_DEVICES 24

/* ---- candidates (every sub-net looked at, once) -------------------------------------- */

struct cand {
	struct xs_arch a;
	enum xs_precision prec;
	char text[XS_ARCH_MAX];
	uint64_t size, memory;     /* 0: not known yet */
	double val;                /* NAN: not scored */
	int64_t subnet_id;
};

struct sel {
	/* options */
	const char *supernet_path, *db_path, *out_dir, *population;
	struct xf_budget budget;
	char budget_text[128];
	size_t evals;
	uint64_t seed;
	bool exclude_emulated, measure, regret;
	enum xs_precision precs[2];  /* the precisions tiers may get */
	size_t nprecs;
	char **sweep_args;         /* --adb-server pass-through */
	size_t nsweep_args;
	/* state */
	struct xs_supernet *sn;
	const struct xs_space *sp;
	struct fdb *db;
	int64_t sn_id;
	char sn_sha[65];
	struct xf_data data;       /* the data set, staged */
	struct xs_idx *calib, *train_labels;
	struct xk_threadpool *tp;
	struct sdev *dev;
	size_t ndev;
	struct cand *c;
	size_t nc, capc;
	size_t scored_here;        /* accuracies computed (not from the DB) */
	double score_seconds;
	/* the set a search is for, in precision prec */
	enum xs_precision prec;
	const size_t *set;
	size_t nset;
	const char *what;          /* for progress lines */
};

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
	struct sel *s;
	bool oom;
};

static void on_device(void *ctx, const struct fdb_device_row *r)
{
	struct devs_ctx *dc = ctx;
	struct sel *s = dc->s;
	struct sdev *nd = realloc(s->dev, (s->ndev + 1) * sizeof(*nd));
	if (nd == NULL) {
		dc->oom = true;
		return;
	}
	s->dev = nd;
	struct sdev *d = &s->dev[s->ndev++];
	memset(d, 0, sizeof(*d));
	d->id = r->id;
	snprintf(d->serial, sizeof(d->serial), "%s", r->serial ? r->serial : "");
	snprintf(d->model, sizeof(d->model), "%s", r->model ? r->model : "");
	snprintf(d->fingerprint, sizeof(d->fingerprint), "%s", r->fingerprint ? r->fingerprint : "");
	snprintf(d->transport, sizeof(d->transport), "%s", r->transport ? r->transport : "");
	snprintf(d->abi, sizeof(d->abi), "%s", r->abi ? r->abi : "");
	d->emulated = r->emulated;
	d->simulated = r->simulated;
	d->probe = probe_value(r->probe, "probe_score");
	d->tier = -1;
	d->correction = 1;
}

struct meas_ctx {
	struct sdev *d;
	int percentile;
};

static void on_result(void *ctx, const struct fdb_result_row *r)
{
	struct meas_ctx *mc = ctx;
	struct sdev *d = mc->d;
	enum xs_precision prec;
	if (r->threads != 1 || r->precision == NULL || !xs_precision_parse(r->precision, &prec) ||
	    r->arch == NULL || isnan(r->median_ms))
		return;
	double lat = mc->percentile == 50 ? r->median_ms : mc->percentile == 99 ? r->p99_ms
		     : r->p90_ms;
	if (isnan(lat))
		return;
	for (size_t i = 0; i < d->nm; i++)  /* newest agent version wins: rows come by id */
		if (d->m[i].prec == prec && strcmp(d->m[i].arch, r->arch) == 0) {
			d->m[i].lat = lat;
			d->m[i].median = r->median_ms;
			return;
		}
	struct meas *nm = realloc(d->m, (d->nm + 1) * sizeof(*nm));
	if (nm == NULL)
		return;
	d->m = nm;
	struct meas *m = &d->m[d->nm++];
	snprintf(m->arch, sizeof(m->arch), "%s", r->arch);
	m->prec = prec;
	m->lat = lat;
	m->median = r->median_ms;
	m->memory = r->arena_bytes >= 0 && r->weight_bytes >= 0 ? r->arena_bytes + r->weight_bytes
								 : -1;
}

/* (Re)reads device d's measurements and fits its calibration. */
static bool load_measured(struct sel *s, struct sdev *d)
{
	free(d->m);
	d->m = NULL;
	d->nm = 0;
	struct meas_ctx mc = {d, s->budget.percentile};
	if (fdb_subnet_results_each(s->db, s->sn_id, d->id, on_result, &mc) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", fdb_errmsg(s->db));
		return false;
	}
	double *sum = calloc(d->nm + 1, sizeof(double)), *blocks = calloc(d->nm + 1, sizeof(double));
	double *med = calloc(d->nm + 1, sizeof(double)), *ratio = calloc(d->nm + 1, sizeof(double));
	size_t k = 0;
	for (size_t i = 0; sum && blocks && med && ratio && i < d->nm; i++) {
		struct xs_arch a;
		struct xs_error err;
		char missing[160];
		if (d->m[i].prec != XS_PRECISION_F32 ||
		    xs_arch_parse(s->sp, d->m[i].arch, &a, &err) != XS_OK ||
		    !xf_ktable_sum(d->kt, s->sp, &a, &sum[k], &blocks[k], missing, sizeof(missing)))
			continue;
		med[k] = d->m[i].median;
		ratio[k] = d->m[i].lat / d->m[i].median;
		k++;
	}
	xf_calib_fit(sum, blocks, med, k, &d->calib);
	/* predictions keep a margin of their own error on this device (the
	 * leave-one-out RMSPE, 2% to 50%; 10% with fewer than 3 sub-nets): a
	 * sub-net predicted right at the budget would often miss it measured */
	struct xf_predict_eval pe;
	xf_predict_eval(sum, blocks, med, k, &pe);
	d->margin = k < 3 ? 0.10 : pe.rmspe < 0.02 ? 0.02 : pe.rmspe > 0.5 ? 0.5 : pe.rmspe;
	/* the percentile from the median: the largest ratio seen (a tail that
	 * was once this long can be again) */
	d->ratio = s->budget.percentile == 50 ? 1.0 : 1.1;
	for (size_t i = 0; i < k; i++)
		if (i == 0 || ratio[i] > d->ratio)
			d->ratio = ratio[i] > 1 ? ratio[i] : 1;
	free(sum);
	free(blocks);
	free(med);
	free(ratio);
	/* int8 against f32 on this device, from the sub-nets it ran in both */
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
	return true;
}

/* Latency of a on device d at the budget's percentile: measured if the DB
 * has it, else predicted; *measured says which. NAN when the kernel table
 * lacks a piece. */
static double latency(const struct sel *s, const struct sdev *d, const struct xs_arch *a,
		      enum xs_precision prec, const char *text, bool *measured)
{
	for (size_t i = 0; text && i < d->nm; i++)
		if (d->m[i].prec == prec && strcmp(d->m[i].arch, text) == 0) {
			if (measured)
				*measured = true;
			return d->m[i].lat;
		}
	if (measured)
		*measured = false;
	double sum, blocks;
	char missing[160];
	if (!xf_ktable_sum(d->kt, s->sp, a, &sum, &blocks, missing, sizeof(missing)))
		return NAN;
	const double f32 = xf_calib_predict(&d->calib, sum, blocks) * d->ratio * d->correction;
	return prec == XS_PRECISION_F32 ? f32 : f32 * d->int8_ratio;
}

/* ---- candidates ---------------------------------------------------------------------- */

static struct cand *cand_get(struct sel *s, const struct xs_arch *a, enum xs_precision prec)
{
	for (size_t i = 0; i < s->nc; i++)
		if (s->c[i].prec == prec && memcmp(&s->c[i].a, a, sizeof(*a)) == 0)
			return &s->c[i];
	if (!xf_grow(&s->c, s->nc, &s->capc, sizeof(*s->c), 256))
		return NULL;
	struct cand *c = &s->c[s->nc++];
	memset(c, 0, sizeof(*c));
	c->a = *a;
	c->prec = prec;
	c->val = NAN;
	c->subnet_id = -1;
	xs_arch_print(s->sp, a, c->text, sizeof(c->text));
	return c;
}

/* The index of a's candidate in s->c (pointers into s->c do not survive
 * cand_get: it grows the array); false when out of memory. */
static bool cand_index(struct sel *s, const struct xs_arch *a, enum xs_precision prec,
		       size_t *out)
{
	struct cand *c = cand_get(s, a, prec);
	if (c == NULL) {
		fprintf(stderr, "xnn-fleet: out of memory\n");
		return false;
	}
	*out = (size_t)(c - s->c);
	return true;
}

/* Exact file size and planned memory: built without recalibration (the
 * bytes differ, their count does not), executor planned for one image. */
static bool cand_sizes(struct sel *s, struct cand *c)
{
	if (c->size)
		return true;
	struct xs_model *m = NULL;
	struct xs_exec *e = NULL;
	struct xs_error err;
	uint8_t *buf = NULL;
	size_t size = 0;
	enum xs_status st = xs_model_build(s->sn, &c->a, c->prec, NULL, NULL, &m, &err);
	if (st == XS_OK)
		st = xs_model_serialize(m, &buf, &size, &err);
	if (st == XS_OK)
		st = xs_exec_create(m, XK_ISA_DEFAULT, 1, &e, &err);
	if (st == XS_OK) {
		c->size = size;
		c->memory = xs_exec_arena_bytes(e) + xs_exec_weight_bytes(e);
	} else {
		fprintf(stderr, "xnn-fleet: %s: %s\n", c->text, err.msg);
	}
	free(buf);
	xs_exec_destroy(e);
	xs_model_destroy(m);
	return st == XS_OK;
}

static bool fits_static(const struct sel *s, const struct cand *c)
{
	return (s->budget.size == 0 || c->size <= s->budget.size) &&
	       (s->budget.memory == 0 || c->memory <= s->budget.memory);
}

static bool fits_dev(const struct sel *s, const struct sdev *d, const struct cand *c)
{
	if (s->budget.latency_ms <= 0)
		return true;
	bool measured;
	double lat = latency(s, d, &c->a, c->prec, c->text, &measured);
	if (!measured)  /* int8: the ratio's spread on top of the f32 prediction's error */
		lat *= 1 + (c->prec == XS_PRECISION_F32 ? d->margin
			    : sqrt(d->margin * d->margin + d->int8_spread * d->int8_spread));
	return !isnan(lat) && lat <= s->budget.latency_ms;
}

static bool search_fits(void *ctx, const struct xs_arch *a)
{
	struct sel *s = ctx;
	struct cand *c = cand_get(s, a, s->prec);
	if (c == NULL)
		return false;
	for (size_t i = 0; i < s->nset; i++)  /* the cheap check first */
		if (!fits_dev(s, &s->dev[s->set[i]], c))
			return false;
	return cand_sizes(s, c) && fits_static(s, c);
}

/* Top-1 on the validation split, from the DB or computed here and stored. */
static enum xs_status search_accuracy(void *ctx, const struct xs_arch *a, double *top1,
				      struct xs_error *err)
{
	struct sel *s = ctx;
	struct cand *c = cand_get(s, a, s->prec);
	const char *pname = xs_precision_name(s->prec);
	if (c == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return XS_ENOMEM;
	}
	if (!isnan(c->val)) {
		*top1 = c->val;
		return XS_OK;
	}
	double test;
	char *text = NULL;
	enum xs_status st = XS_OK;
	if (c->subnet_id < 0)
		st = fdb_subnet_upsert(s->db, s->sn_id, c->text, xs_arch_macs(s->sp, a),
				       xs_arch_params(s->sp, a), &c->subnet_id);
	if (st == XS_OK)
		st = fdb_subnet_reference(s->db, c->subnet_id, pname, &test, &c->val, &text);
	free(text);
	if (st != XS_OK) {
		snprintf(err->msg, sizeof(err->msg), "%s", fdb_errmsg(s->db));
		return st;
	}
	if (!isnan(c->val)) {
		*top1 = c->val;
		return XS_OK;
	}
	double t0 = xf_now();
	struct xs_model *m = NULL;
	struct xs_exec *e = NULL;
	uint32_t nv = s->sp->val_images;
	const size_t px = (size_t)s->calib->rows * s->calib->cols;
	struct xs_idx vi = {nv, s->calib->rows, s->calib->cols,
			    s->calib->data + (size_t)(s->calib->count - nv) * px, NULL, 0};
	struct xs_idx vl = {nv, 1, 1, s->train_labels->data + (s->calib->count - nv), NULL, 0};
	size_t correct = 0;
	st = xs_model_build(s->sn, a, s->prec, s->calib, s->tp, &m, err);
	if (st == XS_OK)
		st = xs_exec_create(m, XK_ISA_DEFAULT, 32, &e, err);
	if (st == XS_OK)
		st = xs_exec_eval(e, m, &vi, &vl, nv, s->tp, &correct, NULL, err);
	xs_exec_destroy(e);
	xs_model_destroy(m);
	if (st != XS_OK)
		return st;
	c->val = 100.0 * (double)correct / (double)nv;
	if (fdb_subnet_val_set(s->db, c->subnet_id, pname, c->val) != XS_OK) {
		snprintf(err->msg, sizeof(err->msg), "%s", fdb_errmsg(s->db));
		return XS_EIO;
	}
	s->scored_here++;
	s->score_seconds += xf_now() - t0;
	*top1 = c->val;
	return XS_OK;
}

static void progress(void *ctx, size_t scored, size_t evals, double best)
{
	struct sel *s = ctx;
	if (scored % 10 == 0 || scored == evals)
		fprintf(stderr, "search %s: %zu/%zu sub-nets scored, best top-1 %.2f\n", s->what,
			scored, evals, best);
}

/* The seeds of a search: every scored candidate of its precision (the best
 * first). */
static struct xs_arch *seeds_of(const struct sel *s, size_t *n)
{
	struct xs_arch *v = malloc((s->nc + 1) * sizeof(*v));
	size_t k = 0;
	double *acc = malloc((s->nc + 1) * sizeof(double));
	for (size_t i = 0; v && acc && i < s->nc; i++)
		if (!isnan(s->c[i].val) && s->c[i].prec == s->prec) {
			size_t j = k++;
			while (j > 0 && acc[j - 1] < s->c[i].val) {  /* insertion sort, descending */
				v[j] = v[j - 1];
				acc[j] = acc[j - 1];
				j--;
			}
			v[j] = s->c[i].a;
			acc[j] = s->c[i].val;
		}
	free(acc);
	*n = k;
	return v;
}

/* Whether every device of the set can know its latency in prec (int8: it
 * ran int8, so it has a ratio). */
static bool set_knows(const struct sel *s, const size_t *set, size_t nset,
		      enum xs_precision prec)
{
	for (size_t i = 0; prec != XS_PRECISION_F32 && i < nset; i++)
		if (isnan(s->dev[set[i]].int8_ratio))
			return false;
	return true;
}

/* A search per precision for the set; r the best over them (its precision
 * in *prec). */
static bool search_set(struct sel *s, const size_t *set, size_t nset, const char *what,
		       struct xf_search_result *r, enum xs_precision *prec)
{
	memset(r, 0, sizeof(*r));
	*prec = XS_PRECISION_F32;
	size_t scored = 0, tried = 0;
	double seconds = 0;
	for (size_t p = 0; p < s->nprecs; p++) {
		if (!set_knows(s, set, nset, s->precs[p]))
			continue;
		s->prec = s->precs[p];
		struct xf_search_fns fns = {s, search_fits, search_accuracy};
		size_t nseeds;
		struct xs_arch *seeds = seeds_of(s, &nseeds);
		struct xf_search_opts o = {.seed = s->seed, .evals = s->evals, .seeds = seeds,
					   .nseeds = nseeds, .progress = progress, .progress_ctx = s};
		char label[240];
		snprintf(label, sizeof(label), "%s, %s", what, xs_precision_name(s->prec));
		s->set = set;
		s->nset = nset;
		s->what = label;
		struct xs_error err;
		struct xf_search_result one;
		enum xs_status st = xf_search(s->sp, &fns, &o, &one, &err);
		free(seeds);
		s->what = what;
		if (st != XS_OK) {
			fprintf(stderr, "xnn-fleet: search %s: %s\n", label, err.msg);
			return false;
		}
		scored += one.scored;
		tried += one.tried;
		seconds += one.seconds;
		if (one.found && (!r->found || one.top1 > r->top1)) {
			*r = one;
			*prec = s->prec;
		}
	}
	r->scored = scored;  /* over the precisions */
	r->tried = tried;
	r->seconds = seconds;
	return true;
}

/* ---- measuring through the sweep ------------------------------------------------------- */

static bool measure_tier(struct sel *s, const size_t *set, size_t nset, const struct cand *c,
			 int tier)
{
	char list[4096] = "";
	size_t len = 0, n = 0;
	for (size_t i = 0; i < nset; i++) {
		const struct sdev *d = &s->dev[set[i]];
		if (d->simulated)
			continue;
		if (strchr(d->serial, ',') || d->serial[0] == '\0') {
			fprintf(stderr, "select: '%s' cannot be named in a sweep's device list (a comma "
				"or empty): it stays predicted\n", d->serial);
			continue;
		}
		if (len + strlen(d->serial) + 2 >= sizeof(list)) {
			fprintf(stderr, "select: the tier's device list is longer than %zu bytes: %s "
				"and the rest stay predicted\n", sizeof(list), d->serial);
			break;
		}
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", n ? "," : "",
					d->serial);
		n++;
	}
	if (n == 0)
		return true;
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/xnn-fleet-select-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		fprintf(stderr, "xnn-fleet: cannot write '%s': %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	fprintf(f, "%s\n", c->text);
	fclose(f);
	char *argv[64];
	int argc = 0;
	argv[argc++] = (char *)"sweep";
	argv[argc++] = (char *)"--db";
	argv[argc++] = (char *)s->db_path;
	argv[argc++] = (char *)"--supernet";
	argv[argc++] = (char *)s->supernet_path;
	argv[argc++] = (char *)"--subnets";
	argv[argc++] = path;
	argv[argc++] = (char *)"--devices";
	argv[argc++] = list;
	argv[argc++] = (char *)"--precision";
	argv[argc++] = (char *)xs_precision_name(c->prec);
	argv[argc++] = (char *)"--resume";
	argv[argc++] = (char *)"--eval-n";  /* the device's top-1 is a check here; */
	argv[argc++] = (char *)"100";       /* accuracy is the host's */
	for (size_t i = 0; i < s->nsweep_args && argc < 62; i++)
		argv[argc++] = s->sweep_args[i];
	argv[argc] = NULL;
	fprintf(stderr, "select: measuring tier t%d's sub-net (%s) on %s\n", tier + 1,
		xs_precision_name(c->prec), list);
	fflush(stdout);
	int rc = cmd_sweep(argc, argv);
	unlink(path);
	if (rc != 0)
		fprintf(stderr, "select: the sweep for tier t%d did not finish on every device "
			"(above); what it measured is used, the rest stays predicted\n", tier + 1);
	for (size_t i = 0; i < nset; i++)
		if (!load_measured(s, &s->dev[set[i]]))
			return false;
	return true;
}

/* xf_reference_update's progress: a line on stderr. */
static void reference_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

/* ---- output ---------------------------------------------------------------------------- */

static bool write_file(const char *path, const void *data, size_t n)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	bool ok = f && fwrite(data, 1, n, f) == n;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "xnn-fleet: cannot write '%s': %s\n", path, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

/* A glob that matches exactly s (fnmatch's special characters escaped). */
static void glob_exact(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; *s && k + 2 < n; s++) {
		if (strchr("*?[]\\", *s))
			out[k++] = '\\';
		out[k++] = *s;
	}
	out[k] = '\0';
}

struct tier_out {
	size_t *devs;
	size_t ndevs;
	size_t ci;                  /* its sub-net: s->c[ci] (an index: s->c grows) */
	double lat;                 /* the largest over its devices */
	bool all_measured;
	double test_top1;
	char file[32], sha[65];
};

static cJSON *manifest_json(const struct sel *s, const struct tier_out *t, size_t k)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", XR_MANIFEST_FORMAT);
	cJSON_AddNumberToObject(root, "version", XR_MANIFEST_VERSION);
	cJSON *sn = cJSON_AddObjectToObject(root, "supernet");
	cJSON_AddStringToObject(sn, "name", s->sp->name);
	cJSON_AddStringToObject(sn, "sha256", s->sn_sha);
	cJSON *b = cJSON_AddObjectToObject(root, "budget");
	cJSON_AddNumberToObject(b, "latency_ms", s->budget.latency_ms);
	cJSON_AddNumberToObject(b, "percentile", s->budget.percentile);
	cJSON_AddNumberToObject(b, "memory_bytes", (double)s->budget.memory);
	cJSON_AddNumberToObject(b, "size_bytes", (double)s->budget.size);
	char fb[16];
	snprintf(fb, sizeof(fb), "t%zu", k);
	cJSON_AddStringToObject(root, "fallback", fb);
	cJSON *tiers = cJSON_AddArrayToObject(root, "tiers");
	for (size_t i = 0; i < k; i++) {
		cJSON *o = cJSON_CreateObject();
		char name[16];
		snprintf(name, sizeof(name), "t%zu", i + 1);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "arch", s->c[t[i].ci].text);
		cJSON_AddStringToObject(o, "precision", xs_precision_name(s->c[t[i].ci].prec));
		cJSON_AddStringToObject(o, "file", t[i].file);
		cJSON_AddNumberToObject(o, "size", (double)s->c[t[i].ci].size);
		cJSON_AddStringToObject(o, "sha256", t[i].sha);
		cJSON *e = cJSON_AddObjectToObject(o, "expected");
		cJSON_AddNumberToObject(e, "latency_ms", round(t[i].lat * 1e4) / 1e4);
		cJSON_AddNumberToObject(e, "memory_bytes", (double)s->c[t[i].ci].memory);
		cJSON_AddNumberToObject(e, "top1", isnan(t[i].test_top1) ? s->c[t[i].ci].val : t[i].test_top1);
		cJSON_AddNumberToObject(e, "val_top1", s->c[t[i].ci].val);
		cJSON_AddStringToObject(e, "source", t[i].all_measured ? "measured" : "predicted");
		cJSON *devs = cJSON_AddArrayToObject(o, "devices");
		cJSON *rules = cJSON_AddObjectToObject(o, "rules");
		cJSON *models = cJSON_AddArrayToObject(rules, "models");
		double pmin = INFINITY;
		size_t nmodels = 0, nlisted = 0;
		for (size_t j = 0; j < t[i].ndevs; j++) {
			const struct sdev *d = &s->dev[t[i].devs[j]];
			if (nlisted < XR_MAX_LISTED) {
				cJSON *dv = cJSON_CreateObject();
				cJSON_AddStringToObject(dv, "model", d->model);
				cJSON_AddStringToObject(dv, "fingerprint", d->fingerprint);
				cJSON_AddStringToObject(dv, "serial", d->serial);
				cJSON_AddItemToArray(devs, dv);
				nlisted++;
			}
			bool dup = false;
			for (size_t q = 0; q < j; q++)
				dup = dup || strcmp(s->dev[t[i].devs[q]].model, d->model) == 0;
			if (d->model[0] && !dup && nmodels < XR_MAX_PATTERNS) {
				char g[128];
				glob_exact(d->model, g, sizeof(g));
				cJSON_AddItemToArray(models, cJSON_CreateString(g));
				nmodels++;
			}
			if (!isnan(d->probe) && d->probe < pmin)
				pmin = d->probe;
		}
		cJSON_AddNumberToObject(rules, "ram_min", 0);
		cJSON_AddNumberToObject(rules, "ram_max", 0);
		cJSON_AddNumberToObject(o, "probe_min", isfinite(pmin) ? floor(pmin * 100) / 100 : 0);
		cJSON_AddItemToArray(tiers, o);
	}
	return root;
}

/* ---- the command ------------------------------------------------------------------------ */

static int by_speed(const void *x, const void *y, void *ctx)
{
	const struct sel *s = ctx;
	const struct sdev *a = &s->dev[*(const size_t *)x], *b = &s->dev[*(const size_t *)y];
	return (a->speed > b->speed) - (a->speed < b->speed);
}

static bool population_shares(struct sel *s, const size_t *use, size_t nuse)
{
	if (s->population == NULL) {
		for (size_t i = 0; i < nuse; i++)
			s->dev[use[i]].share = 1.0 / (double)nuse;
		return true;
	}
	FILE *f = fopen(s->population, "rb");
	if (f == NULL) {
		fprintf(stderr, "xnn-fleet select: --population '%s': %s\n", s->population,
			strerror(errno));
		return false;
	}
	const size_t max = 16 << 20;
	char *text = malloc(max + 1);
	size_t len = text ? fread(text, 1, max + 1, f) : 0;
	bool rerr = ferror(f) != 0;
	fclose(f);
	if (text && (rerr || len > max)) {
		fprintf(stderr, "xnn-fleet select: --population '%s': %s\n", s->population,
			rerr ? "a read error" : "larger than 16 MB");
		free(text);
		return false;
	}
	struct xf_share *rows;
	size_t n;
	char why[256];
	if (text == NULL || !xf_population_parse(text, len, &rows, &n, why, sizeof(why))) {
		fprintf(stderr, "xnn-fleet select: --population '%s': %s\n", s->population,
			text ? why : "out of memory");
		free(text);
		return false;
	}
	free(text);
	double total = 0;
	for (size_t i = 0; i < nuse; i++) {
		struct sdev *d = &s->dev[use[i]];
		const char *key = d->model[0] ? d->model : d->serial;
		size_t same = 0;
		for (size_t j = 0; j < nuse; j++) {
			const struct sdev *e = &s->dev[use[j]];
			same += strcmp(e->model[0] ? e->model : e->serial, key) == 0;
		}
		d->share = 0;
		for (size_t r = 0; r < n; r++)
			if (strcmp(rows[r].model, key) == 0)
				d->share = rows[r].share / (double)same;
		if (d->share == 0)
			fprintf(stderr, "select: %s (%s '%s') is not in the population: share 0 "
				"(it still gets a tier within budget)\n", d->serial,
				d->model[0] ? "model" : "no model; serial", key);
		total += d->share;
	}
	free(rows);
	if (!(total > 0)) {
		fprintf(stderr, "xnn-fleet select: no device of the DB is in --population '%s' (give "
			"rows model,share with the models 'xnn-fleet devices' shows)\n", s->population);
		return false;
	}
	for (size_t i = 0; i < nuse; i++)
		s->dev[use[i]].share /= total;
	return true;
}

struct fitting {
	struct sel *s;
	double *acc;
	size_t n;
};

static bool collect_fitting(void *ctx, const struct xs_arch *a)
{
	struct fitting *f = ctx;
	double v;
	struct xs_error err;
	if (search_fits(f->s, a) && search_accuracy(f->s, a, &v, &err) == XS_OK)
		f->acc[f->n++] = v;
	return true;
}

static void regret_report(struct sel *s, const size_t *set, size_t nset, enum xs_precision prec)
{
	struct xf_subspace ss;
	xf_subspace_small(s->sp, &ss);
	struct xf_search_fns fns = {s, search_fits, search_accuracy};
	s->set = set;
	s->nset = nset;
	s->what = "regret";
	s->prec = prec;
	struct xf_search_result ex, ev;
	struct xs_error err;
	size_t before = s->scored_here;
	double t0 = s->score_seconds;
	if (xf_search_exhaustive(s->sp, &fns, &ss, &ex, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: regret: %s\n", err.msg);
		return;
	}
	double ex_eval = s->score_seconds - t0;
	if (!ex.found) {
		printf("regret: no sub-net of the small sub-space meets the budget on the slowest "
		       "tier\n");
		return;
	}
	size_t budget = ex.scored / 4 > 8 ? ex.scored / 4 : 8;
	/* the baseline: the best of as many random fitting sub-nets */
	struct fitting fit = {s, malloc(ex.scored * sizeof(double)), 0};
	double rand_sum = 0;
	if (fit.acc) {
		xf_subspace_each(s->sp, &ss, collect_fitting, &fit);
		uint64_t st = s->seed;
		for (size_t r = 0; r < 10; r++) {
			double best = -1;
			for (size_t i = 0; i < budget && i < fit.n; i++) {  /* partial Fisher-Yates */
				st = st * 6364136223846793005ull + 1442695040888963407ull;
				size_t j = i + (size_t)(st >> 33) % (fit.n - i);
				double t = fit.acc[i];
				fit.acc[i] = fit.acc[j];
				fit.acc[j] = t;
				best = fit.acc[i] > best ? fit.acc[i] : best;
			}
			rand_sum += ex.top1 - best;
		}
		free(fit.acc);
	}
	double sum = 0, worst = 0, secs = 0;
	size_t hits = 0, runs = 10;
	for (size_t r = 0; r < runs; r++) {
		struct xf_search_opts o = {.seed = s->seed + 1000 + r, .evals = budget, .ss = &ss};
		if (xf_search(s->sp, &fns, &o, &ev, &err) != XS_OK) {
			fprintf(stderr, "xnn-fleet: regret: %s\n", err.msg);
			return;
		}
		if (!ev.found) {
			fprintf(stderr, "xnn-fleet: regret: the search found no fitting sub-net\n");
			return;
		}
		double g = ex.top1 - ev.top1;
		sum += g;
		worst = g > worst ? g : worst;
		hits += g == 0;
		secs += ev.seconds;
	}
	printf("regret: small sub-space (%zu of its sub-nets fit, %zu scored now, %.1f s of "
	       "accuracy): exhaustive best %.2f; evolution with %zu scores (a quarter), 10 seeds: "
	       "mean regret %.3f points, worst %.3f, optimum found %zu/10, %.3f s per search "
	       "(scores cached); random sampling of as many: mean regret %.3f\n", ex.scored,
	       s->scored_here - before, ex_eval, ex.top1, budget, sum / (double)runs, worst, hits,
	       secs / (double)runs, rand_sum / 10);
}

int cmd_select(int argc, char **argv)
{
	static const struct option opts[] = {
		{"supernet", required_argument, NULL, 'f'}, {"budget", required_argument, NULL, 'b'},
		{"tiers", required_argument, NULL, 'k'},    {"population", required_argument, NULL, 'p'},
		{"exclude-emulated", no_argument, NULL, 'x'},
		{"db", required_argument, NULL, 'D'},       {"out", required_argument, NULL, 'o'},
		{"evals", required_argument, NULL, 'e'},    {"seed", required_argument, NULL, 's'},
		{"no-measure", no_argument, NULL, 'n'},     {"regret", no_argument, NULL, 'r'},
		{"adb-server", required_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'},
		{"precision", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0}};
	struct sel s = {.supernet_path = XF_DEFAULT_SUPERNET, .db_path = "fleet.db", .evals = 60,
			.seed = 1, .measure = true, .precs = {XS_PRECISION_F32, XS_PRECISION_INT8},
			.nprecs = 2};
	const char *budget = XF_DEFAULT_BUDGET;
	size_t want_k = 0;  /* 0: auto */
	char *sweep_args[34];
	s.sweep_args = sweep_args;
	char *end;
	char why[256];
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': s.supernet_path = optarg; break;
		case 'b': budget = optarg; break;
		case 'p': s.population = optarg; break;
		case 'x': s.exclude_emulated = true; break;
		case 'D': s.db_path = optarg; break;
		case 'o': s.out_dir = optarg; break;
		case 'n': s.measure = false; break;
		case 'r': s.regret = true; break;
		case 'k':
			if (strcmp(optarg, "auto") == 0) {
				want_k = 0;
			} else {
				long k = strtol(optarg, &end, 10);
				if (*end || k < 1 || k > XR_MAX_TIERS) {
					fprintf(stderr, "xnn-fleet select: --tiers '%s': give 1..%d or auto\n",
						optarg, XR_MAX_TIERS);
					return 2;
				}
				want_k = (size_t)k;
			}
			break;
		case 'e': {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 100000) {
				fprintf(stderr, "xnn-fleet select: --evals '%s': give a count\n", optarg);
				return 2;
			}
			s.evals = (size_t)v;
			break;
		}
		case 's': s.seed = strtoull(optarg, NULL, 10); break;
		case 'a':
			if (s.nsweep_args + 2 > 32) {
				fprintf(stderr, "xnn-fleet select: at most 16 --adb-server\n");
				return 2;
			}
			sweep_args[s.nsweep_args++] = (char *)"--adb-server";
			sweep_args[s.nsweep_args++] = optarg;
			break;
		case 'P':
			if (!xf_precision_list_parse(optarg, s.precs, &s.nprecs)) {
				fprintf(stderr, "xnn-fleet select: --precision '%s': give f32, int8 or "
					"f32,int8\n", optarg);
				return 2;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc || s.out_dir == NULL) {
		fprintf(stderr, optind != argc ? "xnn-fleet select: unexpected '%s'\n"
			: "xnn-fleet select: give --out DIR (where the manifest and models go)\n",
			optind != argc ? argv[optind] : "");
		return 2;
	}
	if (!xf_budget_parse(budget, &s.budget, why, sizeof(why))) {
		fprintf(stderr, "xnn-fleet select: --budget '%s': %s\n", budget, why);
		return 2;
	}
	xf_budget_print(&s.budget, s.budget_text, sizeof(s.budget_text));
	int rc = 1;
	struct xs_error err;
	char msg[512];
	size_t *use = NULL, nuse = 0;
	bool *fits = NULL;
	double *acc = NULL;
	size_t *pool = NULL;        /* indices into s.c */
	size_t *cls_first = NULL, *cls_last = NULL;
	double *cls_share = NULL;
	struct tier_out tiers[XF_MAX_TIERS];
	size_t ntiers = 0;
	memset(tiers, 0, sizeof(tiers));
	cJSON *json = NULL;
	char *json_text = NULL;
	double t_start = xf_now();
	if (xs_supernet_load(s.supernet_path, &s.sn, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return 1;
	}
	s.sp = &s.sn->space;
	xs_sha256_hex(s.sn->sha256, s.sn_sha);
	if (s.sp->val_images == 0 || s.sp->in_c != 1 || s.sp->in_h != 28 || s.sp->in_w != 28) {
		fprintf(stderr, "xnn-fleet select: '%s' has no validation split on this data set "
			"(val_images): there is no accuracy to select by\n", s.supernet_path);
		goto out;
	}
	struct xs_error derr;
	if (xf_data_stage(&s.data, &derr) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", derr.msg);
		goto out;
	}
	if (xs_idx_load(s.data.calib, 3, &s.calib, &err) != XS_OK ||
	    xs_idx_load(s.data.train_labels, 1, &s.train_labels, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		goto out;
	}
	if (s.calib->count != s.train_labels->count || s.calib->count < s.sp->val_images) {
		fprintf(stderr, "xnn-fleet: the training images and labels do not match\n");
		goto out;
	}
	struct xk_error xe;
	int ncpu = xf_cpus();
	if (ncpu > 1 && xk_threadpool_create((size_t)ncpu, NULL, 0, false, &s.tp, &xe) != XK_OK)
		s.tp = NULL;
	if (fdb_open(s.db_path, FDB_WRITE, &s.db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		goto out;
	}
	char *space_text = NULL, found_sha[65];
	if (fdb_supernet_find(s.db, s.sn_sha, &s.sn_id, found_sha, &space_text) != XS_OK) {
		fprintf(stderr, "xnn-fleet select: '%s' has no measurements of %s (sha256 %.12s...): "
			"run xnn-fleet sweep --supernet %s --db %s first\n", s.db_path,
			s.supernet_path, s.sn_sha, s.supernet_path, s.db_path);
		goto out;
	}
	free(space_text);
	/* 1. devices and their predictors */
	struct devs_ctx dc = {&s, false};
	if (fdb_devices_each(s.db, on_device, &dc) != XS_OK || dc.oom) {
		fprintf(stderr, "xnn-fleet: %s\n", dc.oom ? "out of memory" : fdb_errmsg(s.db));
		goto out;
	}
	use = calloc(s.ndev + 1, sizeof(*use));
	if (use == NULL)
		goto out;
	struct xs_arch largest, smallest;
	xs_arch_largest(s.sp, &largest);
	xs_arch_smallest(s.sp, &smallest);
	for (size_t i = 0; i < s.ndev; i++) {
		struct sdev *d = &s.dev[i];
		if (s.exclude_emulated && d->emulated)
			continue;
		if (xf_ktable_load(s.db, s.sn_id, d->id, 1, &d->kt, &err) != XS_OK) {
			fprintf(stderr, "select: %s has no kernel table for one thread: left out (run "
				"xnn-fleet sweep on it)\n", d->serial);
			continue;
		}
		if (!load_measured(&s, d))
			goto out;
		d->speed = latency(&s, d, &largest, XS_PRECISION_F32, NULL, NULL);
		if (isnan(d->speed)) {
			fprintf(stderr, "select: %s's kernel table misses pieces of the space: left out "
				"(sweep it again)\n", d->serial);
			continue;
		}
		use[nuse++] = i;
	}
	if (nuse == 0) {
		fprintf(stderr, "xnn-fleet select: no device in '%s' has a kernel table of %s%s: run "
			"xnn-fleet sweep first\n", s.db_path, s.sp->name,
			s.exclude_emulated ? " (emulated ones excluded)" : "");
		goto out;
	}
	qsort_r(use, nuse, sizeof(*use), by_speed, &s);
	if (!population_shares(&s, use, nuse))
		goto out;
	printf("select: %zu device%s, budget %s, %s tiers, %zu scores per search and precision "
	       "(%s%s)\n", nuse, nuse == 1 ? "" : "s", s.budget_text, want_k ? "fixed" : "auto",
	       s.evals, xs_precision_name(s.precs[0]),
	       s.nprecs > 1 ? ",int8: int8 where the device measured it" : "");
	/* 2. a search per device (at most SEARCH_DEVICES of them, spread over
	 * the speed order: thousands of devices share their candidates) */
	size_t reps = nuse < SEARCH_DEVICES ? nuse : SEARCH_DEVICES;
	for (size_t r = 0; r < reps; r++) {
		size_t i = reps == nuse ? r : r * (nuse - 1) / (reps - 1);
		struct sdev *d = &s.dev[use[i]];
		struct xf_search_result res;
		enum xs_precision prec;
		char what[200];
		snprintf(what, sizeof(what), "for %.150s", d->serial);
		if (!search_set(&s, &use[i], 1, what, &res, &prec))
			goto out;
		char int8[64] = "";
		if (!isnan(d->int8_ratio))
			snprintf(int8, sizeof(int8), ", int8 %.2fx the f32 time +-%.0f%%", d->int8_ratio,
				 100 * d->int8_spread);
		if (res.found)
			printf("  %-24.24s %-9s top-1 %.2f alone in %s (%zu scored, %.1f s; %zu "
			       "measured results, prediction margin %.1f%%%s)\n", d->serial,
			       d->emulated ? "emulated" : d->transport, res.top1,
			       xs_precision_name(prec), res.scored, res.seconds, d->nm, 100 * d->margin,
			       int8);
	}
	/* 3. tiers over the candidates that fit the static budgets; devices no
	 * candidate fits leave */
	pool = malloc((s.nc + 1) * sizeof(*pool));
	size_t np = 0;
	for (size_t i = 0; pool && i < s.nc; i++)
		if (!isnan(s.c[i].val) && fits_static(&s, &s.c[i]))
			pool[np++] = i;
	size_t nfit = 0;
	for (size_t i = 0; pool && i < nuse; i++) {
		struct sdev *d = &s.dev[use[i]];
		for (size_t c = 0; c < np && !d->fits_any; c++)
			d->fits_any = fits_dev(&s, d, &s.c[pool[c]]);
		if (!d->fits_any) {
			double lat = latency(&s, d, &smallest, XS_PRECISION_F32, NULL, NULL);
			fprintf(stderr, "select: no sub-net meets %s on %s (the smallest: p%d %.3g ms "
				"predicted): left out of the tiers; the manifest's fallback serves it\n",
				s.budget_text, d->serial, s.budget.percentile, lat);
			continue;
		}
		use[nfit++] = use[i];
	}
	if (nfit == 0) {
		fprintf(stderr, "xnn-fleet select: no device can meet %s with any sub-net: raise the "
			"budget\n", s.budget_text);
		goto out;
	}
	nuse = nfit;
	fits = malloc((np + 1) * nuse * sizeof(bool));
	acc = malloc((np + 1) * sizeof(double));
	cls_first = malloc(nuse * sizeof(size_t));
	cls_last = malloc(nuse * sizeof(size_t));
	cls_share = malloc(nuse * sizeof(double));
	if (pool == NULL || fits == NULL || acc == NULL || cls_first == NULL || cls_last == NULL ||
	    cls_share == NULL)
		goto out;
	/* devices next to each other in speed order that the same candidates
	 * fit are one class for the grouping (a fleet of one model many times) */
	size_t ncls = 0;
	for (size_t j = 0; j < nuse; j++) {
		bool same = ncls > 0;
		for (size_t c = 0; c < np; c++) {
			/* equal top-1: the smaller file (1e-12 points per byte) */
			acc[c] = s.c[pool[c]].val - 1e-12 * (double)s.c[pool[c]].size;
			bool f = fits_dev(&s, &s.dev[use[j]], &s.c[pool[c]]);
			same = same && f == fits[c * nuse + (ncls - 1)];
			fits[c * nuse + ncls] = f;  /* column ncls: overwritten when the same */
		}
		if (same) {
			cls_last[ncls - 1] = j;
			cls_share[ncls - 1] += s.dev[use[j]].share;
		} else {
			cls_first[ncls] = cls_last[ncls] = j;
			cls_share[ncls++] = s.dev[use[j]].share;
		}
	}
	for (size_t c = 0; c < np; c++)  /* rows of ncls columns */
		memmove(&fits[c * ncls], &fits[c * nuse], ncls * sizeof(bool));
	struct xf_tiering tg;
	bool ok = want_k ? xf_tiers_best(fits, acc, np, cls_share, ncls,
					 want_k < ncls ? want_k : ncls, &tg)
			 : xf_tiers_auto(fits, acc, np, cls_share, ncls, XR_MAX_TIERS, 0.1, &tg);
	if (!ok) {
		fprintf(stderr, "xnn-fleet select: no tiering found (out of memory?)\n");
		goto out;
	}
	if (want_k > ncls)
		fprintf(stderr, "select: %zu tiers asked; the devices fall in %zu speed classes: %zu "
			"tiers\n", want_k, ncls, ncls);
	for (size_t t = 0; t < tg.k; t++) {  /* classes back to devices */
		tg.first[t] = cls_first[tg.first[t]];
		tg.last[t] = cls_last[tg.last[t]];
	}
	/* adjacent tiers with the same sub-net are one */
	for (size_t t = 0; t < tg.k; t++) {
		if (ntiers && tiers[ntiers - 1].ci == pool[tg.cand[t]]) {
			tiers[ntiers - 1].ndevs += tg.last[t] - tg.first[t] + 1;
			continue;
		}
		tiers[ntiers].ci = pool[tg.cand[t]];
		tiers[ntiers].devs = &use[tg.first[t]];
		tiers[ntiers].ndevs = tg.last[t] - tg.first[t] + 1;
		ntiers++;
	}
	if (want_k && ntiers < want_k && ntiers < tg.k)
		fprintf(stderr, "select: tiers with the same best sub-net merged: %zu tiers\n", ntiers);
	/* a search per tier of more than one device (one device: its own search
	 * was that) */
	for (size_t t = 0; t < ntiers; t++) {
		if (tiers[t].ndevs > 1) {
			struct xf_search_result r;
			enum xs_precision prec;
			char what[32];
			snprintf(what, sizeof(what), "for tier t%zu", t + 1);
			if (!search_set(&s, tiers[t].devs, tiers[t].ndevs, what, &r, &prec))
				goto out;
			if (r.found && r.top1 > s.c[tiers[t].ci].val &&
			    !cand_index(&s, &r.best, prec, &tiers[t].ci))
				goto out;
		}
	}
	/* 4. measured for real; a miss is replaced */
	for (int round = 0; s.measure && round < 4; round++) {
		bool again = false;
		for (size_t t = 0; t < ntiers; t++) {
			bool need = false;
			for (size_t j = 0; j < tiers[t].ndevs; j++) {
				bool m;
				const struct cand *c = &s.c[tiers[t].ci];
				latency(&s, &s.dev[tiers[t].devs[j]], &c->a, c->prec, c->text, &m);
				need = need || (!m && !s.dev[tiers[t].devs[j]].simulated);
			}
			if (need && !measure_tier(&s, tiers[t].devs, tiers[t].ndevs, &s.c[tiers[t].ci], (int)t))
				goto out;
			for (size_t j = 0; j < tiers[t].ndevs; j++) {
				const struct sdev *d = &s.dev[tiers[t].devs[j]];
				bool m;
				const struct cand *c = &s.c[tiers[t].ci];
				double lat = latency(&s, d, &c->a, c->prec, c->text, &m);
				if (m && !fits_dev(&s, d, &s.c[tiers[t].ci])) {
					/* the device is slower than its predictions say (a loaded
					 * host, a hot phone): what follows is predicted as slow */
					double pred = latency(&s, d, &c->a, c->prec, NULL, NULL);
					if (pred > 0 && lat / pred > 1)
						s.dev[tiers[t].devs[j]].correction *= lat / pred;
					printf("  tier t%zu: %s measured p%d %.4g ms on %s, over %g ms%s\n",
					       t + 1, s.c[tiers[t].ci].text, s.budget.percentile, lat, d->serial,
					       s.budget.latency_ms, round == 3 ? "" : ": replaced");
					again = true;
					struct xf_search_result r;
					enum xs_precision prec;
					char what[32];
					snprintf(what, sizeof(what), "again for tier t%zu", t + 1);
					if (round == 3) {
						fprintf(stderr, "xnn-fleet select: tier t%zu: four sub-nets in a row "
							"missed the budget when measured; the device is too noisy "
							"for this budget (see xnn-fleet predict --eval)\n", t + 1);
						goto out;
					}
					if (!search_set(&s, tiers[t].devs, tiers[t].ndevs, what, &r, &prec))
						goto out;
					if (!r.found) {
						fprintf(stderr, "xnn-fleet select: tier t%zu: no sub-net meets %s "
							"once measured\n", t + 1, s.budget_text);
						goto out;
					}
					if (!cand_index(&s, &r.best, prec, &tiers[t].ci))
						goto out;
					break;
				}
			}
		}
		if (!again)
			break;
	}
	/* the report numbers of the chosen ones: test top-1 (the sweep computes
	 * it; with --no-measure it is computed here) */
	{
		char (*archs)[XS_ARCH_MAX] = calloc(ntiers, XS_ARCH_MAX);
		int64_t ids[XF_MAX_TIERS];
		for (size_t t = 0; archs && t < ntiers; t++) {
			snprintf(archs[t], XS_ARCH_MAX, "%s", s.c[tiers[t].ci].text);
			if (fdb_subnet_upsert(s.db, s.sn_id, s.c[tiers[t].ci].text,
					      xs_arch_macs(s.sp, &s.c[tiers[t].ci].a),
					      xs_arch_params(s.sp, &s.c[tiers[t].ci].a), &ids[t]) != XS_OK) {
				fprintf(stderr, "xnn-fleet: %s\n", fdb_errmsg(s.db));
				free(archs);
				goto out;
			}
		}
		const char *tmpd = getenv("TMPDIR");
		char ref[PATH_MAX];
		bool written;
		snprintf(ref, sizeof(ref), "%s/xnn-fleet-select-ref-%ld.csv",
			 tmpd && *tmpd ? tmpd : "/tmp", (long)getpid());
		for (size_t t = 0; archs && t < ntiers; t++) {  /* each in its precision */
			const char *pname = xs_precision_name(s.c[tiers[t].ci].prec);
			if (xf_reference_update(s.db, s.sn, (const char (*)[XS_ARCH_MAX])&archs[t],
						&ids[t], 1, s.data.calib, s.data.train_labels,
						s.data.eval, s.data.labels, pname, ncpu, ref, &written,
						reference_line, NULL, &err) != XS_OK) {
				fprintf(stderr, "xnn-fleet: host reference: %s\n", err.msg);
				free(archs);
				goto out;
			}
			unlink(ref);
			double val;
			char *text = NULL;
			tiers[t].test_top1 = NAN;
			if (fdb_subnet_reference(s.db, ids[t], pname, &tiers[t].test_top1, &val,
						 &text) != XS_OK)
				tiers[t].test_top1 = NAN;
			free(text);
		}
		if (archs == NULL) {
			fprintf(stderr, "xnn-fleet: out of memory\n");
			goto out;
		}
		free(archs);
	}
	/* 5. the files */
	if (mkdir(s.out_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "xnn-fleet select: --out '%s': %s\n", s.out_dir, strerror(errno));
		goto out;
	}
	printf("%-4s %-10s %-5s %9s %7s %7s %9s %9s  %s\n", "tier", "devices", "prec", "p-lat ms",
	       "val", "test", "memory", "size",
	       "arch (latency: measured or predicted, the largest of the tier)");
	double expected = 0, in_tiers = 0;
	for (size_t t = 0; t < ntiers; t++) {
		struct tier_out *to = &tiers[t];
		struct xs_model *m = NULL;
		uint8_t *buf = NULL, sha[32];
		size_t size = 0;
		snprintf(to->file, sizeof(to->file), "t%zu.xnm", t + 1);
		enum xs_status st = xs_model_build(s.sn, &s.c[to->ci].a, s.c[to->ci].prec, s.calib, s.tp,
						   &m, &err);
		if (st == XS_OK)
			st = xs_model_serialize(m, &buf, &size, &err);
		xs_model_destroy(m);
		if (st != XS_OK) {
			fprintf(stderr, "xnn-fleet: %s: %s\n", s.c[to->ci].text, err.msg);
			free(buf);
			goto out;
		}
		xs_sha256(buf, size, sha);
		xs_sha256_hex(sha, to->sha);
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", s.out_dir, to->file);
		bool wrote = write_file(path, buf, size);
		free(buf);
		if (!wrote)
			goto out;
		if (size != s.c[to->ci].size) {
			fprintf(stderr, "xnn-fleet: %s: %zu bytes, %" PRIu64 " expected\n", path, size,
				s.c[to->ci].size);
			goto out;
		}
		to->lat = 0;
		to->all_measured = true;
		for (size_t j = 0; j < to->ndevs; j++) {
			struct sdev *d = &s.dev[to->devs[j]];
			bool mm;
			double lat = latency(&s, d, &s.c[to->ci].a, s.c[to->ci].prec, s.c[to->ci].text,
					     &mm);
			to->all_measured = to->all_measured && mm;
			to->lat = lat > to->lat ? lat : to->lat;
			d->tier = (int)t;
			expected += d->share * s.c[to->ci].val;
			in_tiers += d->share;
		}
		printf("t%-3zu %-10zu %-5s %9.4g %7.2f %7.2f %9" PRIu64 " %9" PRIu64 "  %s (%s)\n",
		       t + 1, to->ndevs, xs_precision_name(s.c[to->ci].prec), to->lat,
		       s.c[to->ci].val, to->test_top1, s.c[to->ci].memory, s.c[to->ci].size,
		       s.c[to->ci].text, to->all_measured ? "measured" : "predicted");
		for (size_t j = 0; j < to->ndevs; j++) {
			const struct sdev *d = &s.dev[to->devs[j]];
			bool mm;
			double lat = latency(&s, d, &s.c[to->ci].a, s.c[to->ci].prec, s.c[to->ci].text,
					     &mm);
			printf("       %-24.24s p%d %.4g ms %s, share %.3f\n", d->serial,
			       s.budget.percentile, lat, mm ? "measured" : "predicted", d->share);
		}
	}
	json = manifest_json(&s, tiers, ntiers);
	json_text = json ? cJSON_Print(json) : NULL;
	if (json_text == NULL) {
		fprintf(stderr, "xnn-fleet: out of memory\n");
		goto out;
	}
	/* the writer checks itself with the runtime's reader */
	static struct xr_manifest check;
	if (!xr_manifest_parse(json_text, strlen(json_text), &check, why, sizeof(why))) {
		fprintf(stderr, "xnn-fleet: internal error: the manifest written does not read "
			"back: %s\n", why);
		goto out;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/manifest.json", s.out_dir);
	size_t jl = strlen(json_text);
	json_text[jl] = '\n';
	bool wrote = write_file(path, json_text, jl + 1);
	json_text[jl] = '\0';
	if (!wrote)
		goto out;
	int64_t mid;
	if (fdb_manifest_insert(s.db, s.sn_id, s.budget_text, json_text, &mid) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", fdb_errmsg(s.db));
		goto out;
	}
	printf("expected top-1 %.2f (validation split) over the %.1f%% of the population in "
	       "tiers; %zu sub-nets looked at, %zu accuracies computed here (%.1f s), the rest from "
	       "the DB; %.1f s in all\n", in_tiers > 0 ? expected / in_tiers : 0, 100 * in_tiers,
	       s.nc, s.scored_here, s.score_seconds, xf_now() - t_start);
	printf("wrote %s and %zu model%s (manifest %" PRId64 " in %s)\n", path, ntiers,
	       ntiers == 1 ? "" : "s", mid, s.db_path);
	if (s.regret)
		regret_report(&s, tiers[ntiers - 1].devs, tiers[ntiers - 1].ndevs,
			      s.c[tiers[ntiers - 1].ci].prec);
	rc = 0;
out:
	cJSON_Delete(json);
	free(json_text);
	free(pool);
	free(cls_first);
	free(cls_last);
	free(cls_share);
	free(fits);
	free(acc);
	free(use);
	for (size_t i = 0; i < s.ndev; i++) {
		xf_ktable_destroy(s.dev[i].kt);
		free(s.dev[i].m);
	}
	free(s.dev);
	free(s.c);
	xk_threadpool_destroy(s.tp);
	xs_idx_destroy(s.calib);
	xs_idx_destroy(s.train_labels);
	fdb_close(s.db);
	xs_supernet_destroy(s.sn);
	return rc;
}
