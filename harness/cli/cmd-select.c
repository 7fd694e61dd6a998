/* cmd-select.c - xnn-fleet select: device tiers and a sub-net per tier
 * under the budgets, measured for real, written as a manifest and its .xnm
 * files (DESIGN.md "Selection", "Manifest"). The work is the library's
 * (harness/select/pipeline.h, manifest-out.h); this file parses the options,
 * loads what the pipeline needs, measures through the sweep when the
 * pipeline asks, and prints. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdb.h"
#include "manifest.h"
#include "manifest-out.h"
#include "pipeline.h"
#include "select.h"
#include "cmd.h"
#include "data.h"
#include "devices.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet select [--supernet FILE] [--budget SPEC] [--tiers K|auto]\n"
	"                        [--population CSV] [--time-emulated] [--db FILE]\n"
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
	"--time-emulated count emulated devices (qemu-user) as devices: by default\n"
	"             they are left out of the tiers, as their times describe no\n"
	"             phone (the sweep uses them to check the host's logits)\n"
	"--supernet defaults to " XF_DEFAULT_SUPERNET ", --db to fleet.db. Latency is\n"
	"for one thread. Devices without a kernel table in the DB are left out (run\n"
	"xnn-fleet sweep first); so are devices where no sub-net meets the budget\n"
	"(they get the manifest's fallback tier).\n";

/* The command line. */
struct cli {
	const char *supernet_path, *db_path, *out_dir, *population, *budget;
	size_t tiers;              /* 0: auto */
	size_t evals;
	uint64_t seed;
	bool time_emulated, measure, regret;
	enum xs_precision precs[2];
	size_t nprecs;
	struct xf_adb_server servers[16];  /* --adb-server: where the sweep looks */
	size_t nservers;
	bool no_adb;
	struct xf_budget b;
	char budget_text[128];
};

/* What the pipeline needs, loaded; all of it owned here. */
struct env {
	struct xs_supernet *sn;
	struct xf_data data;       /* the data set, staged */
	struct xs_idx *calib, *train_labels;
	struct xk_threadpool *tp;
	int ncpu;
	struct fdb *db;
	int64_t sn_id;
	struct xf_share *pop;
	size_t npop;
};

/* ---- output ---------------------------------------------------------------------------- */

/* A device's serial or a message naming one, control bytes as \xHH: a
 * serial is whatever the device reports. */
#define SAFE(text, buf) xf_text_printable((text), false, (buf), sizeof(buf))

static void on_event(void *ctx, const struct xf_select_event *ev)
{
	const struct cli *c = ctx;
	const struct xf_fleet_device *d = ev->device;
	char int8[64] = "", safe[1200];
	switch (ev->kind) {
	case XF_SELECT_NOTICE:
		fprintf(stderr, "select: %s\n", SAFE(ev->msg, safe));
		break;
	case XF_SELECT_REFERENCE:
		fprintf(stderr, "%s\n", ev->msg);
		break;
	case XF_SELECT_START:
		printf("select: %zu device%s, budget %s, %s tiers, %zu scores per search and "
		       "precision (%s%s)\n", ev->ndevices, ev->ndevices == 1 ? "" : "s",
		       c->budget_text, c->tiers ? "fixed" : "auto", c->evals,
		       xs_precision_name(c->precs[0]),
		       c->nprecs > 1 ? ",int8: int8 where the device measured it" : "");
		break;
	case XF_SELECT_SEARCH: {
		/* the ETA from this search's pace since its first score (scores
		 * from the DB are free: the pace counts them too) */
		static char what[128];
		static double t0;
		static size_t s0;
		if (strncmp(what, ev->what, sizeof(what) - 1) != 0) {
			snprintf(what, sizeof(what), "%s", ev->what);
			t0 = xf_now();
			s0 = ev->scored;
		}
		char eta[48] = "";
		double per = ev->scored > s0 ? (xf_now() - t0) / (double)(ev->scored - s0) : 0;
		if (per > 0 && ev->scored < ev->evals)
			snprintf(eta, sizeof(eta), ", ETA %.0f s", per * (double)(ev->evals - ev->scored));
		if (ev->scored % 10 == 0 || ev->scored == ev->evals)
			fprintf(stderr, "search %s: %zu/%zu sub-nets scored, best top-1 %.2f%s\n",
				SAFE(ev->what, safe), ev->scored, ev->evals, ev->best, eta);
		break;
	}
	case XF_SELECT_DEVICE:
		if (!isnan(d->int8_ratio))
			snprintf(int8, sizeof(int8), ", int8 %.2fx the f32 time +-%.0f%%", d->int8_ratio,
				 100 * d->int8_spread);
		printf("  %-24.24s %-9s top-1 %.2f alone in %s (%zu scored, %.1f s; %zu measured "
		       "results, prediction margin %.1f%%%s)\n", SAFE(d->serial, safe),
		       d->emulated ? "emulated" : d->transport, ev->search->top1,
		       xs_precision_name(ev->prec), ev->search->scored, ev->search->seconds, d->nm,
		       100 * d->margin, int8);
		break;
	case XF_SELECT_MISS:
		printf("  tier t%d: %s measured p%d %.4g ms on %s, over %g ms%s\n", ev->tier + 1,
		       ev->arch, c->b.percentile, ev->lat_ms, SAFE(d->serial, safe), c->b.latency_ms,
		       ev->replaced ? ": replaced" : "");
		break;
	}
}

static void print_tiers(const struct cli *c, const struct xf_select_result *r)
{
	printf("%-4s %-10s %-5s %9s %7s %7s %9s %9s  %s\n", "tier", "devices", "prec", "p-lat ms",
	       "val", "test", "memory", "size",
	       "arch (latency: measured or predicted, the largest of the tier)");
	for (size_t t = 0; t < r->ntiers; t++) {
		const struct xf_select_tier *to = &r->tiers[t];
		char widened[64] = "";
		if (to->widened)
			snprintf(widened, sizeof(widened), "; %zu of %zu widened: not clean",
				 to->widened, to->ndevs);
		printf("t%-3zu %-10zu %-5s %9.4g %7.2f %7.2f %9" PRIu64 " %9" PRIu64 "  %s (%s%s)\n",
		       t + 1, to->ndevs, xs_precision_name(to->prec), to->lat_ms, to->val_top1,
		       to->test_top1, to->memory, to->size, to->text,
		       to->all_measured ? "measured" : "predicted", widened);
		for (size_t j = 0; j < to->ndevs; j++) {
			const size_t d = to->devs[j];
			const bool w = to->dev_measured[j] &&
				       !xf_fleet_clean(r->fleet, d, to->text, to->prec);
			char safe[600];
			printf("       %-24.24s p%d %.4g ms %s%s, share %.3f\n",
			       SAFE(r->fleet->dev[d].serial, safe), c->b.percentile, to->dev_lat[j],
			       to->dev_measured[j] ? "measured" : "predicted",
			       w ? " (widened to its interval's upper end: the row was not clean)" : "",
			       r->share[d]);
		}
	}
}

static void print_regret(const struct xf_select_result *r)
{
	const struct xf_regret *g = &r->regret;
	if (r->regret_status != XS_OK)
		fprintf(stderr, "xnn-fleet: regret: %s\n", r->regret_err.msg);
	else if (!g->found)
		printf("regret: no sub-net of the small sub-space meets the budget on the slowest "
		       "tier\n");
	else
		printf("regret: small sub-space (%zu of its sub-nets fit, %zu scored now, %.1f s of "
		       "accuracy): exhaustive best %.2f; evolution with %zu scores (a quarter), 10 "
		       "seeds: mean regret %.3f points, worst %.3f, optimum found %zu/10, %.3f s per "
		       "search (scores cached); random sampling of as many: mean regret %.3f\n",
		       g->fitting, g->scored_now, g->eval_seconds, g->optimum, g->evals, g->mean,
		       g->worst, g->hits, g->seconds, g->random_mean);
}

/* ---- the command ------------------------------------------------------------------------ */

/* 0 when the options are good; else the exit status (the message printed). */
static int parse_options(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		{"supernet", required_argument, NULL, 'f'}, {"budget", required_argument, NULL, 'b'},
		{"tiers", required_argument, NULL, 'k'},    {"population", required_argument, NULL, 'p'},
		{"exclude-emulated", no_argument, NULL, 'x'},  /* the default now; kept */
		{"time-emulated", no_argument, NULL, 'T'},
		{"db", required_argument, NULL, 'D'},       {"out", required_argument, NULL, 'o'},
		{"evals", required_argument, NULL, 'e'},    {"seed", required_argument, NULL, 's'},
		{"no-measure", no_argument, NULL, 'n'},     {"regret", no_argument, NULL, 'r'},
		{"adb-server", required_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'},
		{"precision", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0}};
	char *end, why[256];
	long v;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': c->supernet_path = optarg; break;
		case 'b': c->budget = optarg; break;
		case 'p': c->population = optarg; break;
		case 'x': c->time_emulated = false; break;
		case 'T': c->time_emulated = true; break;
		case 'D': c->db_path = optarg; break;
		case 'o': c->out_dir = optarg; break;
		case 'n': c->measure = false; break;
		case 'r': c->regret = true; break;
		case 'k':
			v = strcmp(optarg, "auto") == 0 ? 0 : strtol(optarg, &end, 10);
			if (strcmp(optarg, "auto") != 0 && (*end || v < 1 || v > XR_MAX_TIERS)) {
				fprintf(stderr, "xnn-fleet select: --tiers '%s': give 1..%d or auto\n",
					optarg, XR_MAX_TIERS);
				return 2;
			}
			c->tiers = (size_t)v;
			break;
		case 'e':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 100000) {
				fprintf(stderr, "xnn-fleet select: --evals '%s': give a count\n", optarg);
				return 2;
			}
			c->evals = (size_t)v;
			break;
		case 's': c->seed = strtoull(optarg, NULL, 10); break;
		case 'a':
			if (strcmp(optarg, "none") == 0) {
				c->no_adb = true;
			} else if (c->nservers == 16 ||
				   !xf_adb_server_parse(optarg, &c->servers[c->nservers++])) {
				fprintf(stderr, "xnn-fleet select: --adb-server '%s': give HOST:PORT (at "
						"most 16), or none\n", optarg);
				return 2;
			}
			break;
		case 'P':
			if (!xf_precision_list_parse(optarg, c->precs, &c->nprecs)) {
				fprintf(stderr, "xnn-fleet select: --precision '%s': give f32, int8 or "
					"f32,int8\n", optarg);
				return 2;
			}
			break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: return xf_usage_error(usage_text);
		}
	}
	if (optind != argc || c->out_dir == NULL) {
		fprintf(stderr, optind != argc ? "xnn-fleet select: unexpected '%s'\n"
			: "xnn-fleet select: give --out DIR (where the manifest and models go)\n",
			optind != argc ? argv[optind] : "");
		return 2;
	}
	if (!xf_budget_parse(c->budget, &c->b, why, sizeof(why))) {
		fprintf(stderr, "xnn-fleet select: --budget '%s': %s\n", c->budget, why);
		return 2;
	}
	xf_budget_print(&c->b, c->budget_text, sizeof(c->budget_text));
	return 0;
}

/* The population file read and parsed (none given: nothing). */
static bool load_population(const struct cli *c, struct env *e)
{
	char *text = NULL, why[256];
	size_t len;
	struct xs_error err;
	if (c->population == NULL)
		return true;
	if (xf_file_read(c->population, 16 << 20, &text, &len, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet select: --population: %s\n", err.msg);
		return false;
	}
	bool ok = xf_population_parse(text, len, &e->pop, &e->npop, why, sizeof(why));
	if (!ok)
		fprintf(stderr, "xnn-fleet select: --population '%s': %s\n", c->population, why);
	free(text);
	return ok;
}

/* The supernet, the data set, the host's threads, the DB and the supernet's
 * row in it. */
static bool load_env(const struct cli *c, struct env *e)
{
	struct xs_error err;
	char msg[512], sha[65];
	if (xs_supernet_load(c->supernet_path, &e->sn, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return false;
	}
	const struct xs_space *sp = &e->sn->space;
	xs_sha256_hex(e->sn->sha256, sha);
	if (sp->val_images == 0 || sp->in_c != 1 || sp->in_h != 28 || sp->in_w != 28) {
		fprintf(stderr, "xnn-fleet select: '%s' has no validation split on this data set "
			"(val_images): there is no accuracy to select by\n", c->supernet_path);
		return false;
	}
	if (xf_data_stage(&e->data, &err) != XS_OK ||
	    xs_idx_load(e->data.calib, 3, &e->calib, &err) != XS_OK ||
	    xs_idx_load(e->data.train_labels, 1, &e->train_labels, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return false;
	}
	if (e->calib->count != e->train_labels->count || e->calib->count < sp->val_images) {
		fprintf(stderr, "xnn-fleet: the training images and labels do not match\n");
		return false;
	}
	struct xk_error xe;
	e->ncpu = xf_cpus();
	if (e->ncpu > 1 && xk_threadpool_create((size_t)e->ncpu, NULL, 0, false, &e->tp, &xe) != XK_OK)
		e->tp = NULL;
	if (fdb_open(c->db_path, FDB_UPDATE, &e->db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		return false;
	}
	char *space_text = NULL, found_sha[65];
	if (fdb_supernet_find(e->db, sha, &e->sn_id, found_sha, &space_text) != XS_OK) {
		fprintf(stderr, "xnn-fleet select: '%s' has no measurements of %s (sha256 %.12s...): "
			"run xnn-fleet sweep --supernet %s --db %s first\n", c->db_path,
			c->supernet_path, sha, c->supernet_path, c->db_path);
		return false;
	}
	free(space_text);
	return true;
}

static void env_release(struct env *e)
{
	free(e->pop);
	xk_threadpool_destroy(e->tp);
	xs_idx_destroy(e->calib);
	xs_idx_destroy(e->train_labels);
	fdb_close(e->db);
	xs_supernet_destroy(e->sn);
}

int cmd_select(int argc, char **argv)
{
	struct cli c = {.supernet_path = XF_DEFAULT_SUPERNET, .db_path = "fleet.db", .evals = 60,
			.seed = 1, .measure = true, .precs = {XS_PRECISION_F32, XS_PRECISION_INT8},
			.nprecs = 2, .budget = XF_DEFAULT_BUDGET};
	int rc = parse_options(argc, argv, &c);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	double t_start = xf_now();
	struct env e = {0};
	struct xf_select_result res = {0};
	struct xs_error err;
	rc = 1;
	if (!load_env(&c, &e) || !load_population(&c, &e))
		goto out;
	struct xf_select_opts o = {
		.db = e.db, .db_name = c.db_path, .sn = e.sn, .supernet_id = e.sn_id,
		.images = e.calib, .labels = e.train_labels, .data = &e.data, .tp = e.tp,
		.threads = e.ncpu, .budget = c.b, .tiers = c.tiers, .population = e.pop,
		.npopulation = e.npop, .population_name = c.population, .evals = c.evals,
		.seed = c.seed, .exclude_emulated = !c.time_emulated, .regret = c.regret,
		.precs = {c.precs[0], c.precs[1]}, .nprecs = c.nprecs,
		.measure = c.measure,
		.sweep = {c.supernet_path, c.servers, c.nservers, c.no_adb},
		.event = on_event, .event_ctx = &c};
	if (xf_select_run(&o, &res, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet select: %s\n", err.msg);
		goto out;
	}
	const struct xf_select_manifest_opts mo = {c.out_dir, e.db, e.sn_id, e.sn, e.calib, e.tp,
						   &c.b};
	char path[PATH_MAX];
	int64_t mid;
	if (xf_select_write_manifest(&mo, &res, path, sizeof(path), &mid, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet select: %s\n", err.msg);
		goto out;
	}
	print_tiers(&c, &res);
	printf("expected top-1 %.2f (validation split) over the %.1f%% of the population in "
	       "tiers; %zu sub-nets looked at, %zu accuracies computed here (%.1f s), the rest from "
	       "the DB; %.1f s in all\n", res.expected, 100 * res.in_tiers, res.looked_at,
	       res.scored_here, res.score_seconds, xf_now() - t_start);
	printf("wrote %s and %zu model%s (manifest %" PRId64 " in %s)\n", path, res.ntiers,
	       res.ntiers == 1 ? "" : "s", mid, c.db_path);
	if (res.regret_done)
		print_regret(&res);
	rc = 0;
out:
	xf_select_result_release(&res);
	env_release(&e);
	return rc;
}
