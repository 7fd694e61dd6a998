/* cmd-bench.c - xnn-agent bench: each sub-net of a list, extracted here (BN
 * recalibrated on the calibration images) or, with --models, read from the
 * file the harness extracted (its sha256 checked first), timed, its memory
 * and top-1 measured, one CSV row per (sub-net, threads). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models.h"
#include "xa-cmd.h"
#include "xs.h"

static const char usage_text[] =
	"usage: xnn-agent bench --supernet FILE --subnets FILE [--calib IDX] [--precision LIST]\n"
	"       xnn-agent bench --models FILE\n"
	"                       [--eval IDX [--labels IDX] [--eval-n N]] [--ref FILE]\n"
	"                       [--threads LIST] [--cores big|little|all|LIST]\n"
	"                       [--budget-s S] [--start K] [--quick | --check]\n"
	"\n"
	"--models FILE: the sub-models are .xnm files made elsewhere (the harness\n"
	"extracts them on the host and pushes them), one per line of FILE: ARCH, f32\n"
	"or int8, the file (relative to FILE's folder) and its sha256 (64 hex digits),\n"
	"separated by tabs; '#' starts a comment. Each file's sha256 is checked\n"
	"before it is loaded: a missing or damaged file is that model's error row\n"
	"(re-run the sweep; it pushes the file again) and the others run. No\n"
	"--supernet, --subnets, --calib or --precision then; --start counts models,\n"
	"and build_ms is reading and checking the file plus the executor.\n"
	"Without --models:\n"
	"For each sub-net of --subnets (one arch string per line, or 'largest' /\n"
	"'smallest'; '#' starts a comment) and each thread count: extract it (BN\n"
	"recalibrated on the first images of --calib, required unless the space has no\n"
	"images), time it, its planned memory and peak RSS delta, top-1 on --eval (plain\n"
	"IDX; labels default to the images file with 'images-idx3' -> 'labels-idx1'), and\n"
	"the largest logit difference against --ref (CSV rows arch,image,logit0,...;\n"
	"int8 rows compare with rows whose arch field is 'ARCH int8').\n"
	"--precision f32 (default), int8 or f32,int8: int8 quantizes each extracted\n"
	"sub-net (weights per output channel, activations per tensor calibrated on the\n"
	"--calib images; stem and classifier stay f32), the same bytes as the host's.\n"
	"--budget-s bounds the whole command: runs and eval images shrink to fit and\n"
	"the row says so. --start K begins at the K-th sub-net (0-based). One CSV row\n"
	"per sub-net and thread count; '#end rows=N' last. A sub-net that fails gets a\n"
	"row with status 'error' and the reason, and the exit status is 1.\n"
	"\n"
	"Timing: a cold first run; warm-up until stable; runs under 1 ms are timed in\n"
	"batches (a sample is the mean of enough back-to-back runs to last 1 ms: the\n"
	"'batch' column); then at least 20 samples and 0.5 s, until the 95% bootstrap\n"
	"interval of the median is within +-1% and p90's within +-3% (the intervals\n"
	"are columns), at most 10 s. Not there by then: 'noisy'; frequency fell or a\n"
	"zone got hot: 'throttled'; either is redone after a cool-down, then flagged.\n"
	"--cores big (default: the fastest cluster), little, all or a list: thread i\n"
	"runs pinned on the i-th core of the set (one thread: its first core).\n"
	"--check: correctness only, for emulated devices (whose times describe no\n"
	"phone): no warm-up and no timing loop; each model runs once before it is\n"
	"evaluated and compared with --ref, and its row has n 1, that run's time and\n"
	"the flag 'untimed'.\n";

static const char *const columns[] = {
	"index", "arch", "precision", "threads", "cores", "pinned", "status", "flags",
	"n", "median_ms", "mean_ms", "stdev_ms", "cv", "rcv", "min_ms", "max_ms", "p90_ms",
	"p99_ms", "batch", "median_lo_ms", "median_hi_ms", "p90_lo_ms", "p90_hi_ms",
	"cold_ms", "warm_runs", "redos", "build_ms", "arena_bytes", "weight_bytes", "peak_rss_delta_bytes", "rss_method", "eval_images", "top1",
	"max_logit_diff", "sha256", "temp_before_c", "temp_after_c", "freq_before",
	"freq_after", "error"};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

struct opts {
	const char *supernet, *subnets, *calib, *eval, *labels, *ref, *precision, *cores;
	const char *models;      /* --models: the list (then no supernet, subnets, calib) */
	bool precision_set;      /* --precision was given */
	enum xs_precision precs[XS_PRECISION_COUNT];
	size_t nprecs;
	int threads[16];
	size_t nthreads;
	double budget_s;
	long start, eval_n;
	bool quick, check;
};

void xa_run_exec_once(void *p)
{
	struct xa_run_exec *r = p;
	xs_exec_run(r->e, 1, r->tp);
}

/* VmRSS or VmHWM of this process in bytes, or -1. */
static long long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long long v = -1;
	size_t k = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, k) == 0 && line[k] == ':')
			v = strtoll(line + k + 1, NULL, 10) * 1024;
	if (f)
		fclose(f);
	return v;
}

/* Resets the peak RSS to the current RSS (Linux 4.0+); false when refused. */
static bool reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (f == NULL)
		return false;
	bool ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok;
}

/* Reads the reference logits for arch: rows "arch,image,v0,v1,..."; seen[i]
 * marks the images it has. */
static size_t ref_logits(const char *path, const char *arch, uint32_t classes, float *out,
			 bool *seen, size_t max_images)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[8192];
	size_t n = 0;
	size_t alen = strlen(arch);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, arch, alen) != 0 || line[alen] != ',')
			continue;
		char *s = line + alen + 1, *end;
		unsigned long img = strtoul(s, &end, 10);
		if (end == s || img >= max_images)
			continue;
		bool ok = true;
		for (uint32_t k = 0; k < classes && ok; k++) {
			s = end;
			ok = *s == ',';
			out[img * classes + k] = strtof(s + 1, &end);
			ok = ok && end != s + 1;
		}
		n += ok && !seen[img];
		seen[img] = seen[img] || ok;
	}
	fclose(f);
	return n;
}

static int error_rows;

/* --check: one run, its time as the row's (n 1, no intervals), the
 * conditions around it. */
static void check_run(struct xa_run_exec *r, struct xa_measurement *ms)
{
	*ms = (struct xa_measurement){.batch = 1, .median_lo = NAN, .median_hi = NAN,
				      .p90_lo = NAN, .p90_hi = NAN};
	xa_conditions_read(&ms->before);
	double t0 = xa_now();
	xa_run_exec_once(r);
	double t = xa_now() - t0;
	xa_conditions_read(&ms->after);
	ms->cold_s = t;
	ms->stats = (struct xa_stats){.n = 1, .median = t, .mean = t, .min = t, .max = t,
				      .p90 = t, .p99 = NAN};
}

/* The error row of sub-net index (arch may be NULL); the exit status will
 * be 1. */
static void error_row(struct xa_csv *c, long index, const char *arch, const char *msg)
{
	error_rows++;
	xa_csv_fieldf(c, "%ld", index);
	xa_csv_field(c, arch ? arch : "");
	for (size_t i = 2; i < NCOLS - 1; i++)
		xa_csv_field(c, i == 6 ? "error" : "");
	xa_csv_field(c, msg);
	xa_csv_end_row(c);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{"supernet", required_argument, NULL, 'f'}, {"subnets", required_argument, NULL, 's'},
		{"calib", required_argument, NULL, 'c'},    {"eval", required_argument, NULL, 'e'},
		{"labels", required_argument, NULL, 'l'},   {"eval-n", required_argument, NULL, 'n'},
		{"ref", required_argument, NULL, 'r'},      {"precision", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'},  {"cores", required_argument, NULL, 'C'},
		{"budget-s", required_argument, NULL, 'b'}, {"start", required_argument, NULL, 'k'},
		{"quick", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
		{"models", required_argument, NULL, 'm'},
		{"check", no_argument, NULL, 'K'},
		{NULL, 0, NULL, 0}};
	*o = (struct opts){.precision = "f32", .cores = "big", .threads = {1}, .nthreads = 1,
			   .eval_n = -1};
	optind = 1;
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->supernet = optarg; break;
		case 's': o->subnets = optarg; break;
		case 'c': o->calib = optarg; break;
		case 'e': o->eval = optarg; break;
		case 'l': o->labels = optarg; break;
		case 'r': o->ref = optarg; break;
		case 'p': o->precision = optarg; o->precision_set = true; break;
		case 'm': o->models = optarg; break;
		case 'C': o->cores = optarg; break;
		case 'q': o->quick = true; break;
		case 'K': o->check = true; break;
		case 'n':
			o->eval_n = strtol(optarg, &end, 10);
			if (*end || o->eval_n < 0) {
				fprintf(stderr, "xnn-agent bench: --eval-n '%s': give a count\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (!xa_threads_parse(optarg, o->threads, 16, &o->nthreads)) {
				fprintf(stderr, "xnn-agent bench: --threads '%s': give a list like 1,2,4\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			o->budget_s = strtod(optarg, &end);
			if (*end || !(o->budget_s > 0)) {
				fprintf(stderr, "xnn-agent bench: --budget-s '%s': give seconds\n", optarg);
				return 2;
			}
			break;
		case 'k':
			o->start = strtol(optarg, &end, 10);
			if (*end || o->start < 0) {
				fprintf(stderr, "xnn-agent bench: --start '%s': give an index\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xnn-agent bench: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	if (o->quick && o->check) {
		fprintf(stderr, "xnn-agent bench: --quick times for less, --check does not time: "
				"give one of them\n");
		return 2;
	}
	if (o->models && (o->supernet || o->subnets || o->calib || o->precision_set)) {
		fprintf(stderr, "xnn-agent bench: --models lists the sub-models and their "
				"precisions: give no --supernet, --subnets, --calib or --precision\n");
		return 2;
	}
	if (o->models == NULL && (o->supernet == NULL || o->subnets == NULL)) {
		fprintf(stderr, "xnn-agent bench: give --supernet FILE and --subnets FILE (or "
				"--models FILE)\n");
		return 2;
	}
	return 0;
}

/* Reads the sub-net list: one arch per line, '#' comments, blanks skipped. */
static char **read_list(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char **list = NULL, line[XS_ARCH_MAX + 64];
	size_t cap = 0;
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		size_t len = strcspn(line, "\r\n");
		line[len] = '\0';
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		char *s = line + strspn(line, " \t");
		if (*s == '\0')
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			char **nl = realloc(list, cap * sizeof(*nl));
			if (nl == NULL)
				break;
			list = nl;
		}
		list[(*n)++] = strdup(s);
	}
	fclose(f);
	if (list == NULL)
		list = calloc(1, sizeof(*list));
	return list;
}

/* Where the sub-models come from: the supernet (extracted here) or, with
 * --models, the listed files. */
struct source {
	const struct xs_supernet *sn;        /* NULL with --models */
	const struct xs_idx *calib;          /* BN recalibration, int8 calibration */
	const struct xa_model_entry *models; /* --models: the list's entries, else NULL */
	char models_dir[1024];               /* the list's folder: its files are relative */
};

/* The model of item i in prec into built[prec], made once per item and
 * precision for every thread count (the same bytes for any), and what
 * making it took into built_s[prec]: extracted from the supernet (BN
 * recalibrated; int8: that f32 model quantized) or, with --models, read
 * from its file, its sha256 checked first. */
static enum xs_status item_model(const struct source *src, size_t i, const struct xs_arch *a,
				 enum xs_precision prec, struct xk_threadpool *tp,
				 struct xs_model *built[2], double built_s[2], struct xs_error *err)
{
	const int q8 = prec == XS_PRECISION_INT8;
	enum xs_status st = XS_OK;
	double b0 = xa_now();
	if (src->models) {
		if (built[q8] == NULL) {
			st = xa_model_open(&src->models[i], src->models_dir, &built[q8], err);
			built_s[q8] = xa_now() - b0;
		}
		return st;
	}
	if (built[0] == NULL) {
		st = xs_model_extract(src->sn, a, src->calib, tp, &built[0], err);
		built_s[0] = xa_now() - b0;
	}
	if (st == XS_OK && q8 && built[1] == NULL) {
		struct xs_quant_options qo;
		xs_quant_options_default(&qo);
		b0 = xa_now();
		st = xs_model_quantize(built[0], src->calib, &qo, src->sn->space.recal_images, tp,
				       &built[1], err);
		built_s[1] = xa_now() - b0;
	}
	return st;
}

/* The sub-net list (--subnets, with the supernet) or the models list
 * (--models) into src and *list / *nlist; false after saying why. */
static bool sources_load(const struct opts *o, struct source *src, struct xs_supernet **sn,
			 struct xs_idx **calib, struct xa_model_entry **models, char ***list,
			 size_t *nlist)
{
	struct xs_error err;
	if (o->models) {
		if (xa_models_load(o->models, models, nlist, &err) != XS_OK) {
			fprintf(stderr, "xnn-agent: %s\n", err.msg);
			return false;
		}
		src->models = *models;
		snprintf(src->models_dir, sizeof(src->models_dir), "%s", o->models);
		char *slash = strrchr(src->models_dir, '/');
		if (slash)
			slash[slash == src->models_dir] = '\0';  /* "/list" -> "/" */
		else
			snprintf(src->models_dir, sizeof(src->models_dir), ".");
		return true;
	}
	if (xs_supernet_load(o->supernet, sn, &err) != XS_OK) {
		fprintf(stderr, "xnn-agent: %s\n", err.msg);
		return false;
	}
	src->sn = *sn;
	*list = read_list(o->subnets, nlist);
	if (*list == NULL) {
		fprintf(stderr, "xnn-agent: cannot read '%s': %s\n", o->subnets, strerror(errno));
		return false;
	}
	if (o->calib && xs_idx_load(o->calib, 3, calib, &err) != XS_OK) {
		fprintf(stderr, "xnn-agent: --calib: %s\n", err.msg);
		return false;
	}
	src->calib = *calib;
	if (*calib == NULL && (*sn)->space.in_c == 1) {
		fprintf(stderr, "xnn-agent bench: the supernet's sub-nets need BN recalibration: "
				"give --calib with its training images\n");
		return false;
	}
	return true;
}

int xa_cmd_bench(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	const double t_start = xa_now();
	struct xs_error err;
	struct xs_supernet *sn = NULL;
	struct xs_idx *calib = NULL, *eval = NULL, *labels = NULL;
	char **list = NULL;
	struct xa_model_entry *models = NULL;
	struct source src = {0};
	size_t nlist = 0;
	error_rows = 0;
	int cpus[XA_MAX_CPUS];
	size_t ncpus = 0;
	char why[256];
	rc = 1;
	{
		/* a comma list of known precisions, each once */
		char buf[64];
		snprintf(buf, sizeof(buf), "%s", o.precision);
		o.nprecs = 0;
		for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			enum xs_precision p;
			bool dup = false;
			if (!xs_precision_parse(t, &p)) {
				fprintf(stderr, "xnn-agent bench: --precision '%s': '%s' is not f32 "
					"or int8\n", o.precision, t);
				return 2;
			}
			for (size_t k = 0; k < o.nprecs; k++)
				dup = dup || o.precs[k] == p;
			if (!dup && o.nprecs < XS_PRECISION_COUNT)
				o.precs[o.nprecs++] = p;
		}
		if (o.nprecs == 0 || strlen(o.precision) >= sizeof(buf)) {
			fprintf(stderr, "xnn-agent bench: --precision '%.60s': give f32, int8 or "
				"f32,int8\n", o.precision);
			return 2;
		}
	}
	if (!xa_cores_parse(o.cores, cpus, &ncpus, why, sizeof(why))) {
		fprintf(stderr, "xnn-agent bench: %s\n", why);
		return 2;
	}
	if (!sources_load(&o, &src, &sn, &calib, &models, &list, &nlist))
		goto out_free;
	if (o.eval) {
		char lpath[1024];
		const char *lp = o.labels;
		if (lp == NULL) {
			snprintf(lpath, sizeof(lpath), "%s", o.eval);
			char *q = strstr(lpath, "images-idx3");
			if (q == NULL) {
				fprintf(stderr, "xnn-agent bench: give --labels for '%s'\n", o.eval);
				goto out_free;
			}
			memcpy(q, "labels-idx1", 11);
			lp = lpath;
		}
		if (xs_idx_load(o.eval, 3, &eval, &err) != XS_OK ||
		    xs_idx_load(lp, 1, &labels, &err) != XS_OK) {
			fprintf(stderr, "xnn-agent: --eval: %s\n", err.msg);
			goto out_free;
		}
	}
	struct xa_measure_cfg cfg;
	xa_measure_defaults(&cfg);
	if (o.quick) {
		cfg.min_runs = 10;
		cfg.min_s = 0.2;
		cfg.max_s = 2.0;
		cfg.warm_s = 0.05;
		cfg.cool_s = 1.0;
		cfg.redo = 1;
	}
	struct xa_csv c;
	xa_csv_init(&c, stdout);
	xa_csv_meta(&c, "table", "bench");
	if (sn) {
		xa_csv_meta(&c, "supernet", "%s", sn->space.name);
		char hex[65];
		xs_sha256_hex(sn->sha256, hex);
		xa_csv_meta(&c, "supernet_sha256", "%s", hex);
	} else {
		xa_csv_meta(&c, "models", "%s", o.models);
	}
	xa_csv_meta(&c, "subnets", "%zu", nlist);
	xa_csv_meta(&c, "start", "%ld", o.start);
	xa_csv_meta(&c, "cores", "%s", o.cores);
	xa_csv_meta(&c, "budget_s", "%g", o.budget_s);
	xa_csv_header(&c, columns, NCOLS);
	/* rows per item: --subnets, each precision and thread count; --models
	 * (an item is one precision), each thread count */
	const bool listed = o.models != NULL;
	const size_t per_arch = (listed ? 1 : o.nprecs) * o.nthreads;
	const size_t per_list = (nlist > (size_t)o.start ? nlist - (size_t)o.start : 0) * per_arch;
	size_t done = 0;
	for (size_t i = (size_t)o.start; i < nlist; i++) {
		struct xs_arch a;
		char arch[XS_ARCH_MAX];
		const struct xs_space *sp = sn ? &sn->space : NULL;
		if (listed)
			snprintf(arch, sizeof(arch), "%s", models[i].arch);
		else if (strcmp(list[i], "largest") == 0)
			xs_arch_largest(sp, &a);
		else if (strcmp(list[i], "smallest") == 0)
			xs_arch_smallest(sp, &a);
		else if (xs_arch_parse(sp, list[i], &a, &err) != XS_OK) {
			error_row(&c, (long)i, list[i], err.msg);
			done += per_arch;
			continue;
		}
		if (sp)
			xs_arch_print(sp, &a, arch, sizeof(arch));
		/* the sub-net's model per precision, built once for every thread
		 * count (the same bytes for any), with what building it cost */
		struct xs_model *built[2] = {NULL, NULL};
		double built_s[2] = {0, 0};
		for (size_t pt = 0; pt < per_arch; pt++, done++) {
			const size_t ti = pt % o.nthreads;
			const enum xs_precision prec = listed ? models[i].precision
							      : o.precs[pt / o.nthreads];
			/* the budget left, shared by what is left */
			double left = o.budget_s > 0 ? o.budget_s - (xa_now() - t_start) : INFINITY;
			double share = left / (double)(per_list - done);
			struct xa_measure_cfg mc = cfg;
			bool cut = false;
			if (o.budget_s > 0 && share < 1.5 * (mc.warm_s + mc.min_s)) {
				if (share <= 0.05) {
					error_row(&c, (long)i, arch, "budget spent: no time left for this "
						  "sub-net; give a larger --budget-s or --start here");
					continue;
				}
				mc.warm_s = share * 0.1;
				mc.min_s = share * 0.3;
				mc.max_s = share * 0.4;
				mc.min_runs = 3;
				mc.redo = 0;
				cut = true;
			}
			fprintf(stderr, "bench %zu/%zu: %s, %s, %d thread%s\n", i + 1, nlist, arch,
				xs_precision_name(prec), o.threads[ti], o.threads[ti] > 1 ? "s" : "");
			struct xk_threadpool *tp = NULL;
			struct xk_error xe;
			if (xk_threadpool_create((size_t)o.threads[ti], cpus, ncpus, true, &tp, &xe) !=
			    XK_OK) {
				error_row(&c, (long)i, arch, xe.msg);
				continue;
			}
			/* build = extraction (with recalibration; int8: and the
			 * quantization of that model), or reading the listed file,
			 * + the executor; the RSS delta counts what running costs:
			 * from before the executor is made (the peak reset there)
			 * to after timing */
			const int q8 = prec == XS_PRECISION_INT8;
			struct xs_model *m = NULL;
			struct xs_exec *e = NULL;
			long long rss0 = -1;
			bool reset = false;
			double b0 = 0;
			enum xs_status st = item_model(&src, i, &a, prec, tp, built, built_s, &err);
			m = built[q8];
			if (st == XS_OK) {
				rss0 = status_kb("VmRSS");
				reset = reset_peak_rss();
				b0 = xa_now();
				st = xs_exec_create(m, XK_ISA_DEFAULT, 1, &e, &err);
			}
			if (st != XS_OK) {
				error_row(&c, (long)i, arch, err.msg);
				xk_threadpool_destroy(tp);
				continue;
			}
			double build_s = built_s[0] + (q8 ? built_s[1] : 0) + (xa_now() - b0);
			uint8_t sum[32];
			char mhex[65] = "";
			if (xs_model_sha256(m, sum, &err) == XS_OK)
				xs_sha256_hex(sum, mhex);
			const struct xs_value *in = &m->values[0];
			const size_t img = (size_t)in->h * in->w * in->c;
			if (eval)
				xs_model_input(m, eval->data, 1, xs_exec_input(e));
			else
				for (size_t k = 0; k < img; k++)
					xs_exec_input(e)[k] = (float)((k * 7919) % 255) / 127.0f - 1.0f;
			struct xa_run_exec rc2 = {e, tp};
			struct xa_measurement ms;
			if (o.check)
				check_run(&rc2, &ms);
			else if (!xa_measure(xa_run_exec_once, &rc2, &mc, &ms)) {
				error_row(&c, (long)i, arch, "out of memory");
				xs_exec_destroy(e);
				xk_threadpool_destroy(tp);
				continue;
			}
			long long hwm = status_kb("VmHWM");
			/* accuracy, and the logits compared with the harness's */
			size_t count = 0, correct = 0;
			double top1 = NAN, diff = NAN;
			if (eval && eval->rows == in->h && eval->cols == in->w && in->c == 1) {
				count = o.eval_n >= 0 && (size_t)o.eval_n < eval->count ? (size_t)o.eval_n
											: eval->count;
				/* on a budget: as many images as a tenth of the share allows */
				if (o.budget_s > 0 && ms.stats.median > 0) {
					double fit = 0.1 * share / ms.stats.median;
					if ((double)count > fit) {
						count = fit < 1 ? 1 : (size_t)fit;
						cut = true;
					}
				}
				struct xs_exec *eb;
				float *logits = malloc(count * m->classes * sizeof(float));
				if (logits && xs_exec_create(m, XK_ISA_DEFAULT, 32, &eb, &err) == XS_OK) {
					if (xs_exec_eval(eb, m, eval, labels, count, tp, &correct, logits,
							 &err) == XS_OK)
						top1 = count ? 100.0 * (double)correct / (double)count : NAN;
					xs_exec_destroy(eb);
					if (o.ref) {
						size_t nref = count < 64 ? count : 64;
						float *ref = calloc(nref * m->classes, sizeof(float));
						bool seen[64] = {false};
						char key[XS_ARCH_MAX + 8];
						snprintf(key, sizeof(key), "%s%s", arch,
							 prec == XS_PRECISION_F32 ? "" : " int8");
						size_t got = ref ? ref_logits(o.ref, key, m->classes, ref,
									      seen, nref) : 0;
						if (got) {
							diff = 0.0;
							for (size_t k = 0; k < nref * m->classes; k++)
								if (seen[k / m->classes])
									diff = fmax(diff, fabs(ref[k] - logits[k]));
						}
						free(ref);
					}
				}
				free(logits);
			}
			const struct xa_stats *s = &ms.stats;
			char flags[64];
			snprintf(flags, sizeof(flags), "%s%s%s%s%s", o.check ? "untimed " : "",
				 ms.throttled ? "throttled " : "", ms.noisy ? "noisy " : "",
				 cut ? "budget " : "",
				 !o.check && !ms.throttled && !ms.noisy && !cut ? "clean" : "");
			size_t fl = strlen(flags);
			if (fl && flags[fl - 1] == ' ')
				flags[fl - 1] = '\0';
			xa_csv_fieldf(&c, "%zu", i);
			xa_csv_field(&c, arch);
			xa_csv_field(&c, xs_precision_name(prec));
			xa_csv_fieldf(&c, "%d", o.threads[ti]);
			char cl[1024];
			xa_cores_format(cpus, ncpus, cl, sizeof(cl));
			xa_csv_field(&c, cl);
			xa_csv_fieldf(&c, "%zu/%d", xk_threadpool_pinned(tp), o.threads[ti]);
			xa_csv_field(&c, "ok");
			xa_csv_field(&c, flags);
			xa_csv_fieldf(&c, "%zu", s->n);
			xa_csv_number(&c, 1e3 * s->median);
			xa_csv_number(&c, 1e3 * s->mean);
			xa_csv_number(&c, 1e3 * s->stdev);
			xa_csv_number(&c, s->cv);
			xa_csv_number(&c, s->rcv);
			xa_csv_number(&c, 1e3 * s->min);
			xa_csv_number(&c, 1e3 * s->max);
			xa_csv_number(&c, 1e3 * s->p90);
			xa_csv_number(&c, 1e3 * s->p99);
			xa_csv_fieldf(&c, "%zu", ms.batch);
			xa_csv_number(&c, 1e3 * ms.median_lo);
			xa_csv_number(&c, 1e3 * ms.median_hi);
			xa_csv_number(&c, 1e3 * ms.p90_lo);
			xa_csv_number(&c, 1e3 * ms.p90_hi);
			xa_csv_number(&c, 1e3 * ms.cold_s);
			xa_csv_fieldf(&c, "%zu", ms.warm_runs);
			xa_csv_fieldf(&c, "%d", ms.redos);
			xa_csv_number(&c, 1e3 * build_s);
			xa_csv_fieldf(&c, "%zu", xs_exec_arena_bytes(e));
			xa_csv_fieldf(&c, "%zu", xs_exec_weight_bytes(e));
			if (rss0 >= 0 && hwm >= 0)
				xa_csv_fieldf(&c, "%lld", hwm - rss0);
			else
				xa_csv_field(&c, "unknown");
			xa_csv_field(&c, reset ? "VmHWM minus VmRSS before the executor (peak reset)"
					       : "VmHWM minus VmRSS before the executor (peak not reset)");
			xa_csv_fieldf(&c, "%zu", count);
			xa_csv_number(&c, top1);
			xa_csv_number(&c, diff);
			xa_csv_field(&c, mhex);
			xa_csv_number(&c, ms.before.temp_c);
			xa_csv_number(&c, ms.after.temp_c);
			xa_csv_number(&c, ms.before.freq_share);
			xa_csv_number(&c, ms.after.freq_share);
			xa_csv_field(&c, "");
			xa_csv_end_row(&c);
			xs_exec_destroy(e);
			xk_threadpool_destroy(tp);
		}
		xs_model_destroy(built[0]);
		xs_model_destroy(built[1]);
	}
	xa_csv_finish(&c);
	rc = error_rows ? 1 : 0;
	if (error_rows)
		fprintf(stderr, "xnn-agent bench: %d of %zu rows failed (their 'error' column "
				"says why)\n", error_rows, per_list);
out_free:
	for (size_t i = 0; list && i < nlist; i++)
		free(list[i]);
	free(list);
	free(models);
	xs_idx_destroy(calib);
	xs_idx_destroy(eval);
	xs_idx_destroy(labels);
	xs_supernet_destroy(sn);
	return rc;
}
