/* cmd-sweep.c - xnn-fleet sweep: the agent on every reachable device, its
 * results in the device DB.
 *
 * Per device, in its own thread: probe (the device row), the kernel table,
 * then the sub-net benchmarks; rows are stored as they arrive, by one writer
 * (a mutex around the DB handle) in batches. A cut stream keeps its complete
 * rows and marks the run incomplete; --resume runs only what is missing. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "devices.h"
#include "fdb.h"
#include "reference.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet sweep [--devices all|SERIAL,...|FIELD=~REGEX] [--supernet FILE]\n"
	"                       [--subnets N|FILE] [--threads LIST] [--eval-n N]\n"
	"                       [--budget-s S] [--db FILE] [--resume] [--quick] [--dry-run]\n"
	"                       [--precision LIST] [--adb-server HOST:PORT|none]...\n"
	"\n"
	"Runs xnn-agent on every reachable device and stores what it measures in the\n"
	"device DB: the device's probe, its kernel table and, for every sub-net of the\n"
	"sweep, latency, memory and top-1. Devices: this host ('host'), the aarch64\n"
	"and armv7 agents under qemu-user ('qemu-aarch64', 'qemu-arm'; build them\n"
	"with 'make agents'), and the phones and boards of adb servers: the agent for\n"
	"the device's ABI, the supernet and the data go to its work folder\n"
	"(/data/local/tmp/xnn-fleet; skipped when the same sha256 is there). Offline\n"
	"or unauthorized devices are listed with what to do. The sub-nets are the\n"
	"same for every device: the\n"
	"largest, the smallest and N - 2 spread evenly (log scale) over the MACs range,\n"
	"picked from seeded random draws (--subnets N, default 6), or the arch strings\n"
	"of FILE.\n"
	"\n"
	"--devices: all (default), serials, or FIELD=~REGEX (PCRE2) on serial, abi,\n"
	"transport or model, e.g. 'abi=~^arm' or 'model=~Pixel'.\n"
	"--supernet defaults to " XF_DEFAULT_SUPERNET ", --db to fleet.db,\n"
	"--threads to 1, --eval-n (test images per sub-net) to 10000 here and 1000 on\n"
	"emulated devices, --budget-s (per device) to none. --resume measures only what\n"
	"the DB lacks. --quick measures each thing for less time. --dry-run prints the\n"
	"devices and sub-nets (CSV rows 'device,...' and 'subnet,ARCH,MACS') and stops.\n"
	"--precision: f32 (the default), int8, or f32,int8: each sub-net in each\n"
	"precision (int8: quantized on the device, the same bytes as the host's).\n"
	"--adb-server (repeatable): the adb servers to ask, e.g. a farm host's or\n"
	"DeviceFarmer's; default the one adb uses (ADB_SERVER_SOCKET,\n"
	"ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037; started when not running on\n"
	"loopback). 'none': no adb devices.\n";

struct devexpr;
static bool devexpr_match(const struct devexpr *e, const char *field, const char *value);

struct sweep {
	/* configuration */
	const char *supernet_path, *db_path, *threads;
	char subnets_file[PATH_MAX];
	struct xf_data data;     /* the data set, staged */
	char ref[PATH_MAX];     /* the host's reference logits ("" = none) */
	long eval_n;
	double budget_s;
	bool resume, quick;
	char precision[16];     /* "f32", "int8" or "f32,int8" */
	/* shared */
	const struct devexpr *expr;
	struct fdb *db;
	pthread_mutex_t lock;
	int64_t sweep_id, supernet_id;
	struct xs_supernet *sn;
	char (*archs)[XS_ARCH_MAX];
	int64_t *subnet_ids;
	size_t narchs;
	/* progress: a live line per device on a terminal, else log lines */
	bool tty;
	pthread_mutex_t ui;
};

struct job {
	struct sweep *sw;
	struct xf_device dev;
	size_t index;
	int64_t device_id, run_id;
	char agent_version[32];
	size_t kernel_rows, subnet_rows, stored;
	size_t todo;            /* sub-nets to measure */
	size_t clean, throttled, noisy, budget;  /* flags of its sub-net rows */
	char state[160];        /* what it is doing (the live line) */
	double t0, bench_t0;    /* when it started; when its sub-nets started */
	bool finished;          /* its thread is done (under sw->ui) */
	char status[16];
	char error[512];
	/* probe rows */
	char probe[16384];
	size_t probe_len;
	/* the files the agent reads, as paths on the device */
	struct xf_stage_file files[7];
};

/* ---- rows from the agent ------------------------------------------------------------- */

static void probe_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)r;
	struct job *j = ctx;
	if (n < 2)
		return;
	int w = snprintf(j->probe + j->probe_len, sizeof(j->probe) - j->probe_len, "%s,%s\n",
			 f[0], f[1]);
	if (w > 0 && j->probe_len + (size_t)w < sizeof(j->probe))
		j->probe_len += (size_t)w;
}

/* The value of key in the probe rows ("key,value\n" lines), or NULL. */
static const char *probe_get(const struct job *j, const char *key, char *buf, size_t n)
{
	size_t k = strlen(key);
	for (const char *p = j->probe; *p;) {
		const char *nl = strchr(p, '\n');
		if (strncmp(p, key, k) == 0 && p[k] == ',') {
			size_t len = (size_t)((nl ? nl : p + strlen(p)) - (p + k + 1));
			snprintf(buf, n, "%.*s", (int)len, p + k + 1);
			return strcmp(buf, "unknown") == 0 ? NULL : buf;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	return NULL;
}

static double num(const char *s)
{
	char *end;
	double v = s && *s ? strtod(s, &end) : NAN;
	return s && *s && *end == '\0' ? v : NAN;
}

static const char *col(const struct xf_agent_reader *r, char *const *f, const char *name)
{
	int i = xf_agent_reader_find(r, name);
	return i >= 0 ? f[i] : NULL;
}

/* Checks that the named columns are numbers within [lo, hi] ("" or "nan"
 * only where blank is allowed): a row that is not is reported, not stored. */
struct range {
	const char *name;
	double lo, hi;
	bool blank;     /* may be empty or nan (unknown) */
};

static bool row_ok(struct job *j, const struct xf_agent_reader *r, char *const *f,
		   const struct range *rg, size_t n, const char *what)
{
	/* the precision names files and charts later: one of the known words */
	const char *prec = col(r, f, "precision");
	if (prec == NULL || (strcmp(prec, "f32") != 0 && strcmp(prec, "int8") != 0)) {
		snprintf(j->error, sizeof(j->error), "%s row %zu: precision '%.20s' is not f32 or "
			 "int8: the agent's output is damaged", what, xf_agent_reader_rows(r),
			 prec ? prec : "(no column)");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const char *v = col(r, f, rg[i].name);
		double x = num(v);
		bool blank = v == NULL || *v == '\0' || strcmp(v, "nan") == 0;
		if (blank ? rg[i].blank : (!isnan(x) && x >= rg[i].lo && x <= rg[i].hi))
			continue;
		snprintf(j->error, sizeof(j->error), "%s row %zu: %s '%.40s' is not a number in "
			 "[%g, %g]: the agent's output is damaged", what,
			 xf_agent_reader_rows(r), rg[i].name, v ? v : "(no column)", rg[i].lo,
			 rg[i].hi);
		return false;
	}
	return true;
}

static void kernel_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)n;
	struct job *j = ctx;
	struct sweep *sw = j->sw;
	j->kernel_rows++;
	static const struct range rg[] = {
		{"res", 1, 1e5, false}, {"cin", 1, 1e6, false}, {"cout", 1, 1e6, false},
		{"threads", 1, 4096, false}, {"n", 1, 1e9, false}, {"median_ms", 0, 1e7, false},
		{"macs", 0, 1e15, false}};
	if (col(r, f, "piece") == NULL || !row_ok(j, r, f, rg, sizeof(rg) / sizeof(rg[0]), "kernels"))
		return;
	struct fdb_kernel_result k = {
		col(r, f, "piece"), (int)num(col(r, f, "stage")), (int)num(col(r, f, "first")),
		(int)num(col(r, f, "res")), (int)num(col(r, f, "cin")), (int)num(col(r, f, "cout")),
		(int)num(col(r, f, "expand")), (int)num(col(r, f, "kernel")),
		(int)num(col(r, f, "stride")), (int64_t)num(col(r, f, "macs")),
		(int64_t)num(col(r, f, "n")), num(col(r, f, "median_ms")), num(col(r, f, "mean_ms")),
		num(col(r, f, "cv")), num(col(r, f, "rcv")), num(col(r, f, "p90_ms")),
		num(col(r, f, "min_ms")), col(r, f, "flags")};
	struct fdb_key key = {j->device_id, col(r, f, "precision"), (int)num(col(r, f, "threads")),
			      xf_agent_reader_meta(r, "cores"), j->agent_version};
	bool stored = false;
	pthread_mutex_lock(&sw->lock);
	if (fdb_kernel_result_insert(sw->db, j->run_id, &key, sw->supernet_id, &k, &stored) != XS_OK)
		snprintf(j->error, sizeof(j->error), "%s", fdb_errmsg(sw->db));
	pthread_mutex_unlock(&sw->lock);
	j->stored += stored;
}

static void bench_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)n;
	struct job *j = ctx;
	struct sweep *sw = j->sw;
	j->subnet_rows++;
	const char *arch = col(r, f, "arch");
	int64_t subnet_id = -1;
	for (size_t i = 0; arch && i < sw->narchs; i++)
		if (strcmp(sw->archs[i], arch) == 0)
			subnet_id = sw->subnet_ids[i];
	if (subnet_id < 0 || strcmp(col(r, f, "status"), "ok") != 0) {
		snprintf(j->error, sizeof(j->error), "%.100s: %.180s", arch ? arch : "?",
			 col(r, f, "error") ? col(r, f, "error") : "not a sub-net of this sweep");
		return;
	}
	static const struct range rg[] = {
		{"threads", 1, 4096, false}, {"n", 1, 1e9, false}, {"median_ms", 0, 1e7, false},
		{"p90_ms", 0, 1e7, false}, {"arena_bytes", 0, 1e13, false},
		{"weight_bytes", 0, 1e13, false}, {"top1", 0, 100, true},
		{"max_logit_diff", 0, 1e30, true}, {"eval_images", 0, 1e9, true}};
	if (!row_ok(j, r, f, rg, sizeof(rg) / sizeof(rg[0]), "bench"))
		return;
	const char *flags = col(r, f, "flags");
	j->clean += flags && strstr(flags, "clean") != NULL;
	j->throttled += flags && strstr(flags, "throttled") != NULL;
	j->noisy += flags && strstr(flags, "noisy") != NULL;
	j->budget += flags && strstr(flags, "budget") != NULL;
	const char *th = col(r, f, "threads") ? col(r, f, "threads") : "?";
	if (!j->sw->tty)
		fprintf(stderr, "%s: result %zu/%zu (%s, %s thread%s): %s ms median, top1 %s%s%s\n",
			j->dev.serial, j->subnet_rows, j->todo, col(r, f, "precision"), th,
			strcmp(th, "1") ? "s" : "",
			col(r, f, "median_ms"), col(r, f, "top1"), flags ? ", " : "", flags ? flags : "");
	const char *rss = col(r, f, "peak_rss_delta_bytes");
	struct fdb_subnet_result s = {
		.status = "ok", .flags = col(r, f, "flags"), .rss_method = col(r, f, "rss_method"),
		.xnm_sha256 = col(r, f, "sha256"), .pinned = col(r, f, "pinned"), .error = NULL,
		.n = (int64_t)num(col(r, f, "n")), .arena_bytes = (int64_t)num(col(r, f, "arena_bytes")),
		.weight_bytes = (int64_t)num(col(r, f, "weight_bytes")),
		.peak_rss_delta_bytes = isnan(num(rss)) ? INT64_MIN : (int64_t)num(rss),
		.eval_images = (int64_t)num(col(r, f, "eval_images")),
		.median_ms = num(col(r, f, "median_ms")), .mean_ms = num(col(r, f, "mean_ms")),
		.stdev_ms = num(col(r, f, "stdev_ms")), .cv = num(col(r, f, "cv")),
		.rcv = num(col(r, f, "rcv")), .min_ms = num(col(r, f, "min_ms")),
		.max_ms = num(col(r, f, "max_ms")), .p90_ms = num(col(r, f, "p90_ms")),
		.p99_ms = num(col(r, f, "p99_ms")), .cold_ms = num(col(r, f, "cold_ms")),
		.build_ms = num(col(r, f, "build_ms")), .top1 = num(col(r, f, "top1")),
		.max_logit_diff = num(col(r, f, "max_logit_diff")),
		.temp_before_c = num(col(r, f, "temp_before_c")),
		.temp_after_c = num(col(r, f, "temp_after_c")),
		.freq_before = num(col(r, f, "freq_before")),
		.freq_after = num(col(r, f, "freq_after"))};
	struct fdb_key key = {j->device_id, col(r, f, "precision"), (int)num(col(r, f, "threads")),
			      col(r, f, "cores"), j->agent_version};
	bool stored = false;
	pthread_mutex_lock(&sw->lock);
	if (fdb_subnet_result_insert(sw->db, j->run_id, &key, subnet_id, &s, &stored) != XS_OK)
		snprintf(j->error, sizeof(j->error), "%s", fdb_errmsg(sw->db));
	pthread_mutex_unlock(&sw->lock);
	j->stored += stored;
}

/* ---- progress ---------------------------------------------------------------------------- */

/* What device j is doing: its live line on a terminal, else a log line. */
__attribute__((format(printf, 2, 3)))
static void progress(struct job *j, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&j->sw->ui);
	va_start(ap, fmt);
	vsnprintf(j->state, sizeof(j->state), fmt, ap);
	va_end(ap);
	if (!j->sw->tty)
		fprintf(stderr, "%s: %s\n", j->dev.serial, j->state);
	pthread_mutex_unlock(&j->sw->ui);
}

static void push_progress(void *ctx, const struct xf_stage_file *f)
{
	progress(ctx, "push %s (%lld bytes)", f->name, f->size);
}

/* The live lines: one per device, redrawn in place every half second. */
struct screen {
	struct sweep *sw;
	struct job *jobs;
	size_t n;
	bool stop;              /* under sw->ui */
	pthread_cond_t wake;
};

static void draw(struct screen *s, bool again)
{
	struct winsize ws;
	int width = ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
	double t = xf_now();
	if (again)
		fprintf(stderr, "\033[%zuA", s->n);
	for (size_t i = 0; i < s->n; i++) {
		const struct job *j = &s->jobs[i];
		char line[512], extra[96] = "";
		bool running = !j->finished && j->t0 > 0;
		if (running && j->bench_t0 > 0 && j->todo) {
			double per = j->subnet_rows ? (t - j->bench_t0) / (double)j->subnet_rows : 0;
			snprintf(extra, sizeof(extra), ": %zu/%zu done", j->subnet_rows, j->todo);
			if (per > 0 && j->subnet_rows < j->todo)
				snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
					 ", ETA %.0f s", per * (double)(j->todo - j->subnet_rows));
		} else if (running && strncmp(j->state, "kernels", 7) == 0) {
			snprintf(extra, sizeof(extra), ": %zu rows", j->kernel_rows);
		}
		snprintf(line, sizeof(line), "%-16.16s %-11s %s%s", j->dev.serial,
			 running ? "running" : j->status, j->state, extra);
		line[width - 1 < (int)sizeof(line) ? width - 1 : (int)sizeof(line) - 1] = '\0';
		fprintf(stderr, "\033[2K%s\n", line);
	}
	fflush(stderr);
}

static void *screen_main(void *p)
{
	struct screen *s = p;
	pthread_mutex_lock(&s->sw->ui);
	draw(s, false);
	while (!s->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 500000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->wake, &s->sw->ui, &ts);
		draw(s, true);
	}
	pthread_mutex_unlock(&s->sw->ui);
	return NULL;
}

/* ---- one device ------------------------------------------------------------------------ */

/* Puts the agent and the files of idx[] (into j->files) on the device; the
 * agent is always first. */
static bool stage(struct job *j, const size_t *idx, size_t n)
{
	struct xf_stage_file f[XF_MAX_STAGE];
	struct xs_error err;
	for (size_t i = 0; i < n; i++) {
		f[i] = j->files[idx[i]];
		if (strcmp(j->dev.transport, "adb") == 0 &&
		    !xf_file_sha256(f[i].host, &f[i].size, f[i].sha256)) {
			snprintf(j->error, sizeof(j->error), "cannot read '%.400s'", f[i].host);
			return false;
		}
	}
	size_t pushed;
	if (xf_device_stage(&j->dev, f, n, &pushed, push_progress, j, &err) != XS_OK) {
		snprintf(j->error, sizeof(j->error), "%s", err.msg);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(j->files[idx[i]].dev, f[i].dev, sizeof(f[i].dev));
	if (strcmp(j->dev.transport, "adb") == 0)
		progress(j, "%zu of %zu files pushed to %s", pushed, n, j->dev.workdir);
	return true;
}

enum { F_AGENT, F_SUPERNET, F_CALIB, F_EVAL, F_LABELS, F_REF, F_SUBNETS };

static void *device_run(void *p);

static void *device_main(void *p)
{
	struct job *j = p;
	device_run(j);
	pthread_mutex_lock(&j->sw->ui);
	j->finished = true;
	pthread_mutex_unlock(&j->sw->ui);
	return NULL;
}

static void *device_run(void *p)
{
	struct job *j = p;
	struct sweep *sw = j->sw;
	struct xs_error err;
	struct xf_agent_reader *r;
	int status;
	snprintf(j->status, sizeof(j->status), "failed");
	static const char *const names[] = {"xnn-agent", "supernet.xsn", "train-images-idx3-ubyte",
					    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
					    "reference.csv", "subnets.txt"};
	const char *hosts[] = {j->dev.agent, sw->supernet_path, sw->data.calib, sw->data.eval, sw->data.labels,
			       sw->ref, sw->subnets_file};
	for (size_t i = 0; i < 7; i++)
		j->files[i] = (struct xf_stage_file){.host = hosts[i], .name = names[i],
						     .mode = i == F_AGENT ? 0755 : 0644};
	static const size_t first[] = {F_AGENT, F_SUPERNET, F_CALIB, F_EVAL, F_LABELS, F_REF};
	if (!stage(j, first, sw->ref[0] ? 6 : 5))
		return NULL;
	progress(j, "probe");
	const char *probe_args[] = {"probe", NULL};
	if (xf_agent_run(&j->dev, probe_args, probe_row, j, &r, &status, &err) != XS_OK) {
		snprintf(j->error, sizeof(j->error), "%s", err.msg);
		xf_agent_reader_destroy(r);
		return NULL;
	}
	const char *v = xf_agent_reader_meta(r, "agent_version");
	snprintf(j->agent_version, sizeof(j->agent_version), "%s", v ? v : "unknown");
	xf_agent_reader_destroy(r);
	char b[8][256], clusters[512] = "";
	for (int c = 0; c < 16; c++) {
		char k1[48], k2[48], k3[48], v1[128], v2[64], v3[64];
		snprintf(k1, sizeof(k1), "cluster.%d.cpus", c);
		snprintf(k2, sizeof(k2), "cluster.%d.capacity", c);
		snprintf(k3, sizeof(k3), "cluster.%d.max_khz", c);
		if (!probe_get(j, k1, v1, sizeof(v1)))
			break;
		size_t len = strlen(clusters);
		snprintf(clusters + len, sizeof(clusters) - len, "%s%s:%s:%s", len ? ";" : "", v1,
			 probe_get(j, k2, v2, sizeof(v2)) ? v2 : "unknown",
			 probe_get(j, k3, v3, sizeof(v3)) ? v3 : "unknown");
	}
	const char *model = probe_get(j, "device.model", b[5], sizeof(b[5]));
	if (!devexpr_match(sw->expr, "model", model ? model : "unknown")) {
		snprintf(j->status, sizeof(j->status), "skipped");
		snprintf(j->error, sizeof(j->error), "model '%.200s' does not match", model ? model : "unknown");
		return NULL;
	}
	if (strcmp(j->dev.transport, "adb") == 0)  /* e.g. an arm64 board under qemu-user */
		j->dev.emulated = probe_get(j, "emulator", b[6], sizeof(b[6])) &&
				  strcmp(b[6], "yes") == 0;
	const char *ram = probe_get(j, "ram_bytes", b[6], sizeof(b[6]));
	const char *cpus = probe_get(j, "cpus", b[7], sizeof(b[7]));
	struct fdb_device d = {
		j->dev.transport, j->dev.serial,
		probe_get(j, "device.fingerprint", b[0], sizeof(b[0])) ? b[0] : j->dev.abi,
		probe_get(j, "device.model", b[1], sizeof(b[1])),
		probe_get(j, "device.manufacturer", b[2], sizeof(b[2])),
		probe_get(j, "soc.model", b[3], sizeof(b[3])), j->dev.abi,
		probe_get(j, "os", b[4], sizeof(b[4])), cpus ? atoi(cpus) : 0, clusters,
		ram ? atoll(ram) : 0, j->dev.emulated, false, j->probe};
	pthread_mutex_lock(&sw->lock);
	enum xs_status st = fdb_begin(sw->db);
	if (st == XS_OK)
		st = fdb_device_upsert(sw->db, &d, &j->device_id);
	if (st == XS_OK)
		st = fdb_run_begin(sw->db, sw->sweep_id, j->device_id, &j->run_id);
	if (st == XS_OK)
		st = fdb_commit(sw->db);
	else
		fdb_rollback(sw->db);
	if (st != XS_OK)
		snprintf(j->error, sizeof(j->error), "%s", fdb_errmsg(sw->db));
	pthread_mutex_unlock(&sw->lock);
	if (st != XS_OK)
		return NULL;
	/* --resume: this device's list holds only the sub-nets it has no result
	 * for (with every thread count, on all its cores) */
	char list[PATH_MAX];
	snprintf(list, sizeof(list), "%s", sw->subnets_file);
	j->files[F_SUBNETS].host = list;
	size_t todo = sw->narchs;
	bool kernels_done = false;
	char cores[1024] = "";  /* "all" as the agent writes it */
	for (int c = 0, len = 0; cpus && c < atoi(cpus) && len < 1000; c++)
		len += snprintf(cores + len, sizeof(cores) - (size_t)len, "%s%d", c ? " " : "", c);
	if (sw->resume) {
		kernels_done = true;
		pthread_mutex_lock(&sw->lock);
		for (const char *t = sw->threads; *t && kernels_done;) {
			/* kernels are measured in f32 */
			struct fdb_key key = {j->device_id, "f32", atoi(t), cores, j->agent_version};
			int64_t have = 0;
			kernels_done = fdb_kernel_results_count(sw->db, &key, sw->supernet_id, &have) ==
				       XS_OK && have > 0;
			t += strcspn(t, ",");
			t += *t == ',';
		}
		pthread_mutex_unlock(&sw->lock);
		snprintf(list, sizeof(list), "%.3000s.%zu", sw->subnets_file, j->index);
		FILE *f = fopen(list, "w");
		todo = 0;
		pthread_mutex_lock(&sw->lock);
		for (size_t i = 0; f && i < sw->narchs; i++) {
			bool have = true;
			for (const char *pr = sw->precision; *pr && have;) {
				char prec[8];
				size_t pl = strcspn(pr, ",");
				snprintf(prec, sizeof(prec), "%.*s", (int)(pl < 7 ? pl : 7), pr);
				for (const char *t = sw->threads; *t && have;) {
					struct fdb_key key = {j->device_id, prec, atoi(t), cores,
							      j->agent_version};
					bool e = false;
					have = fdb_subnet_result_exists(sw->db, &key, sw->subnet_ids[i],
									&e) == XS_OK && e;
					t += strcspn(t, ",");
					t += *t == ',';
				}
				pr += pl;
				pr += *pr == ',';
			}
			if (!have) {
				fprintf(f, "%s\n", sw->archs[i]);
				todo++;
			}
		}
		pthread_mutex_unlock(&sw->lock);
		if (f == NULL || fclose(f) != 0) {
			snprintf(j->error, sizeof(j->error), "cannot write '%.250s'", list);
			return NULL;
		}
		progress(j, "resuming: %zu of %zu sub-nets to measure", todo, sw->narchs);
	}
	static const size_t second[] = {F_AGENT, F_SUBNETS};
	if (todo && !stage(j, second, 2)) {
		todo = 0;
		kernels_done = true;  /* nothing more can run: the run ends incomplete */
	}
	/* the kernel table, then the sub-nets: rows stored as they arrive */
	char budget[32], evaln[32];
	snprintf(budget, sizeof(budget), "%g", sw->budget_s);
	snprintf(evaln, sizeof(evaln), "%ld", sw->eval_n >= 0 ? sw->eval_n
					      : j->dev.emulated ? 1000 : 10000);
	progress(j, "kernels%s", kernels_done ? " (in the DB)" : "");
	const char *kargs[] = {"kernels", "--supernet", j->files[F_SUPERNET].dev, "--threads", sw->threads,
			       sw->quick || j->dev.emulated ? "--quick" : NULL, NULL};
	enum xs_status ks = XS_OK;
	if (!kernels_done) {
		ks = xf_agent_run(&j->dev, kargs, kernel_row, j, &r, &status, &err);
		xf_agent_reader_destroy(r);
	}
	if (ks != XS_OK)
		snprintf(j->error, sizeof(j->error), "%s", err.msg);
	progress(j, "%zu sub-nets", todo);
	size_t per = 1, nthr = 1;  /* rows per sub-net: one per precision and thread count */
	for (const char *c = sw->precision; *c; c++)
		per += *c == ',';
	for (const char *c = sw->threads; *c; c++)
		nthr += *c == ',';
	j->todo = todo * per * nthr;
	j->bench_t0 = xf_now();
	const char *bargs[24] = {"bench", "--supernet", j->files[F_SUPERNET].dev, "--subnets",
				 j->files[F_SUBNETS].dev, "--calib", j->files[F_CALIB].dev,
				 "--eval", j->files[F_EVAL].dev,
				 "--eval-n", evaln, "--threads", sw->threads,
				 "--precision", sw->precision};
	size_t nb = 15;
	if (sw->budget_s > 0) {
		bargs[nb++] = "--budget-s";
		bargs[nb++] = budget;
	}
	if (sw->quick || j->dev.emulated)
		bargs[nb++] = "--quick";
	if (sw->ref[0]) {
		bargs[nb++] = "--ref";
		bargs[nb++] = j->files[F_REF].dev;
	}
	bargs[nb] = NULL;
	enum xs_status bs = todo ? xf_agent_run(&j->dev, bargs, bench_row, j, &r, &status, &err)
				 : XS_OK;
	if (todo)
		xf_agent_reader_destroy(r);
	if (sw->resume)
		unlink(list);
	if (bs != XS_OK)
		snprintf(j->error, sizeof(j->error), "%s", err.msg);
	bool complete = ks == XS_OK && bs == XS_OK && j->error[0] == '\0';
	snprintf(j->status, sizeof(j->status), "%s", complete ? "done" : "incomplete");
	pthread_mutex_lock(&sw->lock);
	if (fdb_begin(sw->db) == XS_OK &&
	    fdb_run_end(sw->db, j->run_id, j->status, j->error[0] ? j->error : NULL, NULL) == XS_OK)
		fdb_commit(sw->db);
	else
		fdb_rollback(sw->db);
	pthread_mutex_unlock(&sw->lock);
	return NULL;
}

/* ---- the sweep ------------------------------------------------------------------------- */

struct cand {
	uint64_t macs;
	struct xs_arch a;
};

static int by_macs(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	return a->macs < b->macs ? -1 : a->macs > b->macs;
}

/* Appends arch unless it is there already. */
static void add_arch(struct sweep *sw, const struct xs_arch *a)
{
	char text[XS_ARCH_MAX];
	xs_arch_print(&sw->sn->space, a, text, sizeof(text));
	for (size_t k = 0; k < sw->narchs; k++)
		if (strcmp(sw->archs[k], text) == 0)
			return;
	memcpy(sw->archs[sw->narchs++], text, XS_ARCH_MAX);
}

/* The sub-nets: the largest, the smallest and N - 2 spread over the cost
 * range (of 4096 seeded uniform draws, the ones nearest to MAC counts evenly
 * spaced on a log scale: space-filling in cost, the axis latency depends
 * on); or FILE. */
static bool choose_subnets(struct sweep *sw, const char *spec)
{
	const struct xs_space *sp = &sw->sn->space;
	char *end;
	long n = strtol(spec, &end, 10);
	size_t cap = 256;
	sw->archs = calloc(cap, sizeof(*sw->archs));
	if (sw->archs == NULL)
		return false;
	if (*end == '\0' && n >= 1 && n <= 256) {
		struct xs_arch a;
		xs_arch_largest(sp, &a);
		add_arch(sw, &a);
		if (n >= 2) {
			xs_arch_smallest(sp, &a);
			add_arch(sw, &a);
		}
		const size_t ncand = 4096;
		struct cand *c = malloc(ncand * sizeof(*c));
		if (c == NULL)
			return false;
		uint64_t state = 1;
		for (size_t i = 0; i < ncand; i++) {
			xs_arch_random(sp, &state, &c[i].a);
			c[i].macs = xs_arch_macs(sp, &c[i].a);
		}
		qsort(c, ncand, sizeof(*c), by_macs);
		/* targets evenly spaced in log(MACs) between the smallest and the
		 * largest; each takes the nearest draw not taken yet */
		struct xs_arch lo_a, hi_a;
		xs_arch_smallest(sp, &lo_a);
		xs_arch_largest(sp, &hi_a);
		const double lo = log((double)xs_arch_macs(sp, &lo_a));
		const double hi = log((double)xs_arch_macs(sp, &hi_a));
		size_t from = 0;
		for (long i = 0; i + 2 < n; i++) {
			double target = exp(lo + (hi - lo) * (double)(i + 1) / (double)(n - 1));
			size_t best = from;
			for (size_t k = from; k < ncand; k++)
				if (fabs((double)c[k].macs - target) < fabs((double)c[best].macs - target))
					best = k;
			add_arch(sw, &c[best].a);
			from = best + 1 < ncand ? best + 1 : best;
		}
		free(c);
		return true;
	}
	FILE *f = fopen(spec, "r");
	if (f == NULL) {
		fprintf(stderr, "xnn-fleet: --subnets '%s': give a count (1-256) or a file of arch "
				"strings (%s)\n", spec, strerror(errno));
		return false;
	}
	char line[XS_ARCH_MAX];
	bool ok = true;
	while (ok && fgets(line, sizeof(line), f) && sw->narchs < cap) {
		line[strcspn(line, "\r\n#")] = '\0';
		if (line[0] == '\0')
			continue;
		struct xs_arch a;
		struct xs_error err;
		if (xs_arch_parse(sp, line, &a, &err) != XS_OK) {
			fprintf(stderr, "xnn-fleet: '%s': %s\n", spec, err.msg);
			ok = false;
		} else {
			memcpy(sw->archs[sw->narchs++], line, XS_ARCH_MAX);
		}
	}
	fclose(f);
	return ok && sw->narchs > 0;
}

/* A device expression: "all", serials "a,b", or FIELD=~REGEX (PCRE2) with
 * FIELD one of serial, abi, transport, model. */
struct devexpr {
	pcre2_code *re;
	char field[16];
	const char *list;   /* serials, or NULL */
};

static bool devexpr_parse(const char *s, struct devexpr *e, char *why, size_t n)
{
	memset(e, 0, sizeof(*e));
	if (strcmp(s, "all") == 0)
		return true;
	const char *op = strstr(s, "=~");
	if (op == NULL) {
		e->list = s;
		return true;
	}
	size_t flen = (size_t)(op - s);
	if (flen == 0 || flen >= sizeof(e->field)) {
		snprintf(why, n, "--devices '%s': give FIELD=~REGEX with FIELD serial, abi, "
			 "transport or model", s);
		return false;
	}
	memcpy(e->field, s, flen);
	if (strcmp(e->field, "serial") && strcmp(e->field, "abi") && strcmp(e->field, "transport") &&
	    strcmp(e->field, "model")) {
		snprintf(why, n, "--devices: '%s' is not a field (serial, abi, transport, model)",
			 e->field);
		return false;
	}
	int code;
	PCRE2_SIZE at;
	e->re = pcre2_compile((PCRE2_SPTR)(op + 2), PCRE2_ZERO_TERMINATED, 0, &code, &at, NULL);
	if (e->re == NULL) {
		PCRE2_UCHAR m[128];
		pcre2_get_error_message(code, m, sizeof(m));
		snprintf(why, n, "--devices '%s': the pattern is bad at %zu: %s", s, (size_t)at,
			 (const char *)m);
		return false;
	}
	return true;
}

/* Whether value (of field) matches; fields the expression is not about
 * match. */
static bool devexpr_match(const struct devexpr *e, const char *field, const char *value)
{
	if (e->list) {
		if (strcmp(field, "serial") != 0)
			return true;
		for (const char *p = e->list; *p;) {
			size_t len = strcspn(p, ",");
			if (strlen(value) == len && strncmp(p, value, len) == 0)
				return true;
			p += len + (p[len] == ',');
		}
		return false;
	}
	if (e->re == NULL || strcmp(field, e->field) != 0)
		return true;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(e->re, NULL);
	int rc = md ? pcre2_match(e->re, (PCRE2_SPTR)value, strlen(value), 0, 0, md, NULL) : -1;
	pcre2_match_data_free(md);
	return rc >= 0;
}

int cmd_sweep(int argc, char **argv)
{
	static const struct option opts[] = {
		{"devices", required_argument, NULL, 'd'}, {"supernet", required_argument, NULL, 'f'},
		{"subnets", required_argument, NULL, 's'}, {"threads", required_argument, NULL, 't'},
		{"eval-n", required_argument, NULL, 'n'},  {"budget-s", required_argument, NULL, 'b'},
		{"db", required_argument, NULL, 'D'},      {"resume", no_argument, NULL, 'r'},
		{"quick", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
		{"dry-run", no_argument, NULL, 'n' + 256},
		{"adb-server", required_argument, NULL, 'a'},
		{"precision", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0}};
	struct xf_adb_server servers[16];
	size_t nservers = 0;
	bool no_adb = false;
	bool dry = false;
	struct sweep sw = {.supernet_path = XF_DEFAULT_SUPERNET, .db_path = "fleet.db",
			   .threads = "1", .eval_n = -1, .precision = "f32"};
	const char *devices = "all", *subnets = "6";
	optind = 1;
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': devices = optarg; break;
		case 'f': sw.supernet_path = optarg; break;
		case 's': subnets = optarg; break;
		case 't': sw.threads = optarg; break;
		case 'D': sw.db_path = optarg; break;
		case 'r': sw.resume = true; break;
		case 'q': sw.quick = true; break;
		case 'n' + 256: dry = true; break;
		case 'P': {
			enum xs_precision pl[2];
			size_t np;
			if (!xf_precision_list_parse(optarg, pl, &np)) {
				fprintf(stderr, "xnn-fleet sweep: --precision '%s': give f32, int8 or "
						"f32,int8\n", optarg);
				return 2;
			}
			snprintf(sw.precision, sizeof(sw.precision), "%s%s%s", xs_precision_name(pl[0]),
				 np > 1 ? "," : "", np > 1 ? xs_precision_name(pl[1]) : "");
			break;
		}
		case 'a':
			if (strcmp(optarg, "none") == 0) {
				no_adb = true;
			} else if (nservers == 16 || !xf_adb_server_parse(optarg, &servers[nservers++])) {
				fprintf(stderr, "xnn-fleet sweep: --adb-server '%s': give HOST:PORT (at "
						"most 16), or none\n", optarg);
				return 2;
			}
			break;
		case 'n':
			sw.eval_n = strtol(optarg, &end, 10);
			if (*end || sw.eval_n < 0) {
				fprintf(stderr, "xnn-fleet sweep: --eval-n '%s': give a count\n", optarg);
				return 2;
			}
			break;
		case 'b':
			sw.budget_s = strtod(optarg, &end);
			if (*end || !(sw.budget_s > 0)) {
				fprintf(stderr, "xnn-fleet sweep: --budget-s '%s': give seconds\n", optarg);
				return 2;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xnn-fleet sweep: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	struct xs_error err;
	char msg[512];
	int rc = 1;
	struct xf_device found[XF_MAX_DEVICES];
	struct job *jobs = NULL;
	pthread_t *threads = NULL;
	size_t njobs = 0;
	pthread_mutex_init(&sw.lock, NULL);
	pthread_mutex_init(&sw.ui, NULL);
	if (xs_supernet_load(sw.supernet_path, &sw.sn, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return 1;
	}
	if (!choose_subnets(&sw, subnets))
		goto out_free;
	if (xf_data_stage(&sw.data, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		goto out_free;
	}
	char notes[4096];
	size_t nfound = xf_devices_here(found, XF_MAX_DEVICES, notes, sizeof(notes));
	if (!no_adb) {
		if (nservers == 0)
			xf_adb_server_default(&servers[nservers++]);
		size_t len = strlen(notes);
		xf_devices_adb(servers, nservers, found, XF_MAX_DEVICES, &nfound, notes + len,
			       sizeof(notes) - len);
	}
	size_t nl = strlen(notes);
	xf_devices_usb_notes(found, nfound, false, notes + nl, sizeof(notes) - nl);
	jobs = calloc(nfound ? nfound : 1, sizeof(*jobs));
	threads = calloc(nfound ? nfound : 1, sizeof(*threads));
	if (jobs == NULL || threads == NULL)
		goto out_free;
	struct devexpr ex;
	if (!devexpr_parse(devices, &ex, msg, sizeof(msg))) {
		fprintf(stderr, "xnn-fleet sweep: %s\n", msg);
		rc = 2;
		goto out_free;
	}
	sw.expr = &ex;
	for (size_t i = 0; i < nfound; i++)
		if ((devexpr_match(&ex, "serial", found[i].serial) ||
		     (found[i].alias[0] && devexpr_match(&ex, "serial", found[i].alias))) &&
		    devexpr_match(&ex, "abi", found[i].abi) &&
		    devexpr_match(&ex, "transport", found[i].transport) &&
		    (found[i].model[0] == '\0' || devexpr_match(&ex, "model", found[i].model))) {
			jobs[njobs] = (struct job){.sw = &sw, .dev = found[i], .index = njobs};
			if (found[i].problem[0]) {  /* listed with what to do, not run */
				snprintf(jobs[njobs].status, sizeof(jobs[njobs].status), "unavailable");
				snprintf(jobs[njobs].error, sizeof(jobs[njobs].error), "%s",
					 found[i].problem);
			}
			njobs++;
		}
	if (notes[0])
		fprintf(stderr, "%s", notes);
	if (njobs == 0) {
		fprintf(stderr, "xnn-fleet sweep: no device matches '%s'; found:", devices);
		for (size_t i = 0; i < nfound; i++)
			fprintf(stderr, " %s", found[i].serial);
		fprintf(stderr, "%s\n", nfound ? "" : " none");
		goto out_free;
	}
	if (dry) {  /* the plan, nothing run or stored */
		for (size_t i = 0; i < njobs; i++) {
			const char *f[] = {jobs[i].dev.serial, jobs[i].dev.transport, jobs[i].dev.abi,
					   jobs[i].dev.agent, jobs[i].dev.problem};
			fputs("device", stdout);
			for (size_t k = 0; k < 5; k++) {  /* CSV: names may hold anything */
				putchar(',');
				xs_csv_put(stdout, f[k]);
			}
			putchar('\n');
		}
		for (size_t i = 0; i < sw.narchs; i++) {
			struct xs_arch a;
			xs_arch_parse(&sw.sn->space, sw.archs[i], &a, &err);
			printf("subnet,\"%s\",%" PRIu64 "\n", sw.archs[i], xs_arch_macs(&sw.sn->space, &a));
		}
		rc = 0;
		goto out_free;
	}
	if (fdb_open(sw.db_path, FDB_WRITE, &sw.db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		goto out_free;
	}
	/* the supernet, its sub-nets and the sweep, in one batch */
	char hex[65], space[4096], config[1024];
	xs_sha256_hex(sw.sn->sha256, hex);
	xs_space_print(&sw.sn->space, space, sizeof(space));
	sw.subnet_ids = calloc(sw.narchs, sizeof(*sw.subnet_ids));
	snprintf(config, sizeof(config), "devices=%s supernet=%s subnets=%s threads=%s "
		 "precision=%s eval_n=%ld budget_s=%g%s%s", devices, hex, subnets, sw.threads,
		 sw.precision, sw.eval_n, sw.budget_s,
		 sw.resume ? " resume" : "", sw.quick ? " quick" : "");
	enum xs_status st = sw.subnet_ids ? fdb_begin(sw.db) : XS_ENOMEM;
	if (st == XS_OK)
		st = fdb_supernet_upsert(sw.db, sw.sn->space.name, hex, space, &sw.supernet_id);
	for (size_t i = 0; st == XS_OK && i < sw.narchs; i++) {
		struct xs_arch a;
		xs_arch_parse(&sw.sn->space, sw.archs[i], &a, &err);
		st = fdb_subnet_upsert(sw.db, sw.supernet_id, sw.archs[i],
				       xs_arch_macs(&sw.sn->space, &a),
				       xs_arch_params(&sw.sn->space, &a), &sw.subnet_ids[i]);
	}
	if (st == XS_OK)
		st = fdb_sweep_begin(sw.db, config, &sw.sweep_id);
	if (st == XS_OK)
		st = fdb_commit(sw.db);
	if (st != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", fdb_errmsg(sw.db));
		fdb_rollback(sw.db);
		goto out_free;
	}
	/* the host's reference: top-1 on the whole test set and the logits the
	 * devices compare theirs with, once per sub-net (kept in the DB) */
	const char *tmpd = getenv("TMPDIR");
	snprintf(sw.ref, sizeof(sw.ref), "%s/xnn-fleet-ref-%ld.csv", tmpd && *tmpd ? tmpd : "/tmp",
		 (long)getpid());
	bool ref_written;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (xf_reference_update(sw.db, sw.sn, (const char (*)[XS_ARCH_MAX])sw.archs, sw.subnet_ids,
				sw.narchs, sw.data.calib, sw.data.train_labels, sw.data.eval, sw.data.labels, sw.precision,
				ncpu > 0 ? (int)ncpu : 1,
				sw.ref, &ref_written, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: host reference: %s\n", err.msg);
		goto out_free;
	}
	if (!ref_written)
		sw.ref[0] = '\0';
	/* the list the agents get (--resume: a device may get fewer, later) */
	const char *tmp = getenv("TMPDIR");
	snprintf(sw.subnets_file, sizeof(sw.subnets_file), "%s/xnn-fleet-subnets-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(sw.subnets_file);
	FILE *lf = fd >= 0 ? fdopen(fd, "w") : NULL;
	for (size_t i = 0; lf && i < sw.narchs; i++)
		fprintf(lf, "%s\n", sw.archs[i]);
	if (lf == NULL || fclose(lf) != 0) {
		fprintf(stderr, "xnn-fleet: cannot write the sub-net list: %s\n", strerror(errno));
		goto out_free;
	}
	fprintf(stderr, "sweep %" PRId64 ": %zu device%s, %zu sub-nets, DB %s\n", sw.sweep_id, njobs,
		njobs > 1 ? "s" : "", sw.narchs, sw.db_path);
	const char *term = getenv("TERM");
	sw.tty = isatty(2) && term && strcmp(term, "dumb") != 0;
	struct screen scr = {&sw, jobs, njobs, false, PTHREAD_COND_INITIALIZER};
	pthread_t scr_thread;
	for (size_t i = 0; i < njobs; i++) {
		if (jobs[i].status[0] == '\0') {
			jobs[i].t0 = xf_now();
			snprintf(jobs[i].state, sizeof(jobs[i].state), "starting");
		} else {
			snprintf(jobs[i].state, sizeof(jobs[i].state), "%.150s", jobs[i].error);
			if (!sw.tty)
				fprintf(stderr, "%s: %s\n", jobs[i].dev.serial, jobs[i].error);
		}
	}
	if (sw.tty)
		pthread_create(&scr_thread, NULL, screen_main, &scr);
	for (size_t i = 0; i < njobs; i++)
		if (jobs[i].status[0] == '\0')
			pthread_create(&threads[i], NULL, device_main, &jobs[i]);
	size_t done = 0;
	for (size_t i = 0; i < njobs; i++) {
		if (strcmp(jobs[i].status, "unavailable") != 0)
			pthread_join(threads[i], NULL);
		done += strcmp(jobs[i].status, "done") == 0 || strcmp(jobs[i].status, "skipped") == 0;
	}
	if (sw.tty) {
		pthread_mutex_lock(&sw.ui);
		scr.stop = true;
		pthread_cond_signal(&scr.wake);
		pthread_mutex_unlock(&sw.ui);
		pthread_join(scr_thread, NULL);
	}
	unlink(sw.subnets_file);
	if (sw.ref[0])
		unlink(sw.ref);
	if (fdb_begin(sw.db) == XS_OK &&
	    fdb_sweep_end(sw.db, sw.sweep_id, done == njobs ? "done" : "incomplete") == XS_OK)
		fdb_commit(sw.db);
	else
		fdb_rollback(sw.db);
	printf("%-14s %-9s %-11s %7s %7s %6s  %s\n", "device", "transport", "status", "kernels",
	       "subnets", "stored", "error");
	for (size_t i = 0; i < njobs; i++)
		printf("%-14s %-9s %-11s %7zu %7zu %6zu  %s\n", jobs[i].dev.serial,
		       jobs[i].dev.transport, jobs[i].status, jobs[i].kernel_rows,
		       jobs[i].subnet_rows, jobs[i].stored, jobs[i].error);
	/* the summary: devices by status, rows, flags */
	size_t by[5] = {0}, kernel_rows = 0, subnet_rows = 0, stored = 0, fl[4] = {0};
	static const char *const states[] = {"done", "incomplete", "failed", "unavailable",
					     "skipped"};
	for (size_t i = 0; i < njobs; i++) {
		for (size_t k = 0; k < 5; k++)
			by[k] += strcmp(jobs[i].status, states[k]) == 0;
		kernel_rows += jobs[i].kernel_rows;
		subnet_rows += jobs[i].subnet_rows;
		stored += jobs[i].stored;
		fl[0] += jobs[i].clean;
		fl[1] += jobs[i].throttled;
		fl[2] += jobs[i].noisy;
		fl[3] += jobs[i].budget;
	}
	printf("\n%zu device%s: %zu done, %zu incomplete, %zu failed, %zu unavailable%s; "
	       "%zu kernel and %zu sub-net rows read, %zu new in %s; sub-net flags: %zu clean, "
	       "%zu throttled, %zu noisy, %zu over budget\n", njobs, njobs == 1 ? "" : "s",
	       by[0], by[1], by[2], by[3], by[4] ? ", some skipped" : "", kernel_rows, subnet_rows,
	       stored, sw.db_path, fl[0], fl[1], fl[2], fl[3]);
	if (by[1] || by[2])
		printf("incomplete or failed devices keep what they stored: run again with "
		       "--resume to measure only what is missing\n");
	rc = done == njobs ? 0 : 1;
out_free:
	free(jobs);
	free(threads);
	free(sw.archs);
	free(sw.subnet_ids);
	fdb_close(sw.db);
	xs_supernet_destroy(sw.sn);
	pthread_mutex_destroy(&sw.lock);
	if (sw.expr)
		pcre2_code_free(sw.expr->re);
	return rc;
}
