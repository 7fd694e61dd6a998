/* cmd-sweep.c - xnn-fleet sweep: parses the options, runs xf_sweep_run
 * (harness/sweep.h) on the DB it opens, and shows its progress: a live line
 * per device on a terminal (redrawn by a thread), else log lines on stderr;
 * then the table of devices and the summary on stdout. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "data.h"
#include "devexpr.h"
#include "fdb.h"
#include "rep.h"
#include "sweep.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet sweep [--devices all|SERIAL,...|FIELD=~REGEX] [--supernet FILE]\n"
	"                       [--subnets N|FILE] [--threads LIST] [--eval-n N]\n"
	"                       [--budget-s S] [--db FILE] [--resume] [--quick]\n"
	"                       [--dry-run] [--jobs N] [--time-emulated]\n"
	"                       [--hang-timeout S]\n"
	"                       [--extract-on-device]\n"
	"                       [--precision LIST] [--adb-server HOST:PORT|none]...\n"
	"\n"
	"Runs xnn-agent on every reachable device and stores what it measures in the\n"
	"device DB: the device's probe, its kernel table and, for every sub-net of the\n"
	"sweep, latency, memory and top-1. Devices: this host ('host'), the aarch64\n"
	"and armv7 agents under qemu-user ('qemu-aarch64', 'qemu-arm'; build them\n"
	"with 'make agents'), and the phones and boards of adb servers. This host\n"
	"extracts every sub-net once in each precision (the same bytes on every ISA);\n"
	"a device gets the agent for its ABI (stripped), those .xnm files with their\n"
	"list (the agent checks each sha256 before it runs the file), the first test\n"
	"images and, for its kernel table, the search space (text), in its work folder\n"
	"(/data/local/tmp/xnn-fleet; skipped when the same sha256 is there): the\n"
	"table says how many bytes each was given and how many were copied. Offline\n"
	"or unauthorized devices are listed with what to do. The sub-nets are the\n"
	"same for every device: the largest, the smallest and N - 2 spread evenly (log\n"
	"scale) over the MACs range, picked from seeded random draws (--subnets N,\n"
	"default 6), or the arch strings\n"
	"of FILE.\n"
	"\n"
	"--devices: all (default), serials, or FIELD=~REGEX (PCRE2) on serial, abi,\n"
	"transport or model, e.g. 'abi=~^arm' or 'model=~Pixel'.\n"
	"--supernet defaults to " XF_DEFAULT_SUPERNET ", --db to fleet.db,\n"
	"--threads to 1, --eval-n (test images per sub-net on a device; the host's\n"
	"top-1 on all 10,000 is what select and the report use) to 500, 64 on\n"
	"emulated devices, --budget-s (per device) to none. --resume measures only what\n"
	"the DB lacks. --quick measures each thing for less time. --dry-run prints the\n"
	"devices and sub-nets (CSV rows 'device,SERIAL,TRANSPORT,ABI,AGENT,PROBLEM' and\n"
	"'subnet,ARCH,MACS', after a '#' line naming each kind's columns) and stops.\n"
	"--precision: f32 (the default), int8, or f32,int8: each sub-net in each\n"
	"precision (int8: quantized from the f32 sub-net).\n"
	"--extract-on-device: each device extracts (and quantizes) its sub-nets from\n"
	"the supernet, BN recalibrated on the training images pushed with it (47 MB):\n"
	"what the tests use to prove that every ISA makes the host's bytes.\n"
	"--hang-timeout S: a device whose agent sends nothing (no row, no progress\n"
	"line) for S seconds is 'hung': its run ends there, the others go on, and\n"
	"--resume continues it (default 300, 1800 on emulated devices, at least\n"
	"--budget-s; 0: wait for ever).\n"
	"--adb-server (repeatable): the adb servers to ask, e.g. a farm host's or\n"
	"DeviceFarmer's; default the one adb uses (ADB_SERVER_SOCKET,\n"
	"ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037; started when not running on\n"
	"loopback). 'none': no adb devices.\n"
	"Devices on this host's CPUs (this host, qemu-user, adb devices on loopback)\n"
	"run one after another, this host first, so that no timing shares its cores\n"
	"with another agent; phones and boards run beside them, --jobs at once\n"
	"(default 4 per adb server). Emulated devices check the host's results (same\n"
	"sub-model bytes, same logits, top-1 on 64 images): one run of each sub-model,\n"
	"no timing loop and no kernel table (rows flagged 'untimed'), as their times\n"
	"describe no phone. --time-emulated times them briefly, with the kernel table\n"
	"(select, predict and report still leave them out unless asked).\n";

/* ---- progress: the live lines, or log lines ------------------------------------------ */

#define KERNEL_LOG_EVERY 20  /* kernel rows per log line (196 in the project's space) */

/* What a device says of itself (serial, model, its errors) as text for the
 * terminal: control bytes as \xHH (devices.h). */
#define SAFE(text, buf) xf_text_printable((text), false, (buf), sizeof(buf))

/* What the screen shows of one device. */
struct line {
	char serial[520];       /* printable (SAFE) */
	char state[160];        /* what it is doing */
	const char *status;
	bool finished;          /* its thread is done */
	double t0, bench_t0;    /* when it started; when its sub-nets started (0: not yet) */
	double kernel_t0;       /* when its kernel table started (0: not yet) */
	size_t kernel_rows, kernel_todo, subnet_rows, todo;
};

struct screen {
	bool tty;               /* live lines, else log lines */
	pthread_mutex_t lock;   /* around everything below */
	struct line *lines;
	size_t n;
	bool running, stop;     /* the draw thread */
	bool drawn;             /* the live lines are on the terminal */
	pthread_cond_t wake;
	pthread_t thread;
};

/* ", ETA N s" for done of todo at the pace since t0 (none before the first
 * is done, or when all are). */
static void eta_text(double t0, size_t done, size_t todo, char *out, size_t n)
{
	double per = done ? (xf_now() - t0) / (double)done : 0;
	out[0] = '\0';
	if (per > 0 && done < todo)
		snprintf(out, n, ", ETA %.0f s", per * (double)(todo - done));
}

/* "80/196 rows, ETA 30 s" (todo known) or "80 rows". */
static void kernels_text(const struct line *l, char *out, size_t n)
{
	char eta[48];
	eta_text(l->kernel_t0, l->kernel_rows, l->kernel_todo, eta, sizeof(eta));
	if (l->kernel_todo)
		snprintf(out, n, "%zu/%zu rows%s", l->kernel_rows, l->kernel_todo, eta);
	else
		snprintf(out, n, "%zu rows", l->kernel_rows);
}

static void draw(struct screen *s, bool again)
{
	struct winsize ws;
	int width = ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
	if (again)
		fprintf(stderr, "\033[%zuA", s->n);
	for (size_t i = 0; i < s->n; i++) {
		const struct line *j = &s->lines[i];
		char line[512], extra[96] = "";
		bool running = !j->finished && j->t0 > 0;
		if (running && j->bench_t0 > 0 && j->todo) {
			char eta[48];
			eta_text(j->bench_t0, j->subnet_rows, j->todo, eta, sizeof(eta));
			snprintf(extra, sizeof(extra), ": %zu/%zu done%s", j->subnet_rows, j->todo, eta);
		} else if (running && strncmp(j->state, "kernels", 7) == 0) {
			char k[80];
			kernels_text(j, k, sizeof(k));
			snprintf(extra, sizeof(extra), ": %s", k);
		}
		bool waiting = running && strncmp(j->state, "waiting", 7) == 0;
		snprintf(line, sizeof(line), "%-16.16s %-11s %s%s", j->serial,
			 waiting ? "waiting" : running ? "running" : j->status, j->state, extra);
		line[width - 1 < (int)sizeof(line) ? width - 1 : (int)sizeof(line) - 1] = '\0';
		fprintf(stderr, "\033[2K%s\n", line);
	}
	s->drawn = true;
	fflush(stderr);
}

/* A log line: above the live lines, which move down under it (the host
 * extracts what the devices lack once their probes are done). */
static void screen_log(struct screen *s, const char *text)
{
	char safe[2048];
	pthread_mutex_lock(&s->lock);
	if (s->drawn)
		fprintf(stderr, "\033[%zuA\033[J", s->n);
	fprintf(stderr, "%s\n", SAFE(text, safe));
	if (s->drawn)
		draw(s, false);
	pthread_mutex_unlock(&s->lock);
}

static void *screen_main(void *p)
{
	struct screen *s = p;
	pthread_mutex_lock(&s->lock);
	draw(s, false);
	while (!s->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 500000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
		draw(s, true);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* The sweep is about to run its devices: the first line, the live lines. */
static void screen_start(struct screen *s, const struct xf_sweep_summary *sum,
			 const char *db_path)
{
	fprintf(stderr, "sweep %" PRId64 ": %zu device%s, %zu sub-nets, DB %s\n", sum->sweep_id,
		sum->ndevices, sum->ndevices > 1 ? "s" : "", sum->narchs, db_path);
	s->lines = calloc(sum->ndevices, sizeof(*s->lines));
	if (s->lines == NULL)
		return;
	s->n = sum->ndevices;
	for (size_t i = 0; i < s->n; i++) {
		struct line *l = &s->lines[i];
		SAFE(sum->devices[i].serial, l->serial);
		l->status = xf_sweep_status_name(sum->devices[i].status);
		if (sum->devices[i].status == XF_SWEEP_PENDING) {
			l->t0 = xf_now();
			snprintf(l->state, sizeof(l->state), "starting");
		} else {
			SAFE(sum->devices[i].error, l->state);
		}
	}
	if (s->tty)
		s->running = pthread_create(&s->thread, NULL, screen_main, s) == 0;
}

static void screen_stop(struct screen *s)
{
	if (s->running) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	free(s->lines);
}

/* A sub-net's result as a log line (numbers as the agent writes them). */
static void log_result(const struct xf_sweep_event *ev)
{
	const struct xf_sweep_device *d = ev->device;
	const struct fdb_subnet_result *r = ev->result;
	char median[32] = "", top1[32] = "", serial[520];
	if (!isnan(r->median_ms))
		snprintf(median, sizeof(median), "%.9g", r->median_ms);
	if (!isnan(r->top1))
		snprintf(top1, sizeof(top1), "%.9g", r->top1);
	fprintf(stderr, "%s: result %zu/%zu (%s, %d thread%s): %s ms median, top1 %s, %s\n",
		SAFE(d->serial, serial), d->subnet_rows, d->todo, ev->key->precision, ev->key->threads,
		ev->key->threads != 1 ? "s" : "", median, top1, r->flags);
}

struct progress_ctx {
	struct screen *screen;
	const char *db_path;
};

static void on_progress(void *p, const struct xf_sweep_event *ev)
{
	struct progress_ctx *pc = p;
	struct screen *s = pc->screen;
	if (ev->kind == XF_SWEEP_EV_NOTES) {
		char safe[16384];
		fprintf(stderr, "%s", xf_text_printable(ev->text, true, safe, sizeof(safe)));
		return;
	}
	if (ev->kind == XF_SWEEP_EV_REFERENCE || ev->kind == XF_SWEEP_EV_EXTRACT) {
		screen_log(s, ev->text);
		return;
	}
	if (ev->kind == XF_SWEEP_EV_START) {
		screen_start(s, ev->summary, pc->db_path);
		return;
	}
	pthread_mutex_lock(&s->lock);
	struct line *l = ev->index < s->n ? &s->lines[ev->index] : NULL;
	if (l && (ev->kind == XF_SWEEP_EV_STATE || ev->kind == XF_SWEEP_EV_UNAVAILABLE))
		SAFE(ev->text, l->state);
	if (l && ev->kind == XF_SWEEP_EV_STATE && ev->phase == XF_SWEEP_PHASE_SUBNETS) {
		l->bench_t0 = xf_now();
		l->todo = ev->device->todo;
	}
	if (l && ev->kind == XF_SWEEP_EV_STATE && ev->phase == XF_SWEEP_PHASE_KERNEL_TABLE)
		l->kernel_t0 = xf_now();
	if (l && ev->kind == XF_SWEEP_EV_KERNELS) {
		l->kernel_rows = ev->device->kernel_rows;
		l->kernel_todo = ev->device->kernel_todo;
	}
	/* the kernel table in the log: every KERNEL_LOG_EVERY rows and the last */
	char kernels[80] = "";
	if (l && ev->kind == XF_SWEEP_EV_KERNELS && l->kernel_rows &&
	    (l->kernel_rows % KERNEL_LOG_EVERY == 0 || l->kernel_rows == l->kernel_todo))
		kernels_text(l, kernels, sizeof(kernels));
	if (l && ev->kind == XF_SWEEP_EV_RESULT)
		l->subnet_rows = ev->device->subnet_rows;
	if (l && ev->kind == XF_SWEEP_EV_FINISHED) {
		l->finished = true;
		l->status = xf_sweep_status_name(ev->device->status);
	}
	pthread_mutex_unlock(&s->lock);
	if (s->tty)
		return;
	char serial[520], text[2048];
	if (ev->kind == XF_SWEEP_EV_STATE || ev->kind == XF_SWEEP_EV_UNAVAILABLE)
		fprintf(stderr, "%s: %s\n", SAFE(ev->device->serial, serial), SAFE(ev->text, text));
	else if (ev->kind == XF_SWEEP_EV_RESULT)
		log_result(ev);
	else if (kernels[0])
		fprintf(stderr, "%s: kernels %s\n", SAFE(ev->device->serial, serial), kernels);
}

/* ---- what the sweep did ------------------------------------------------------------------ */

static void print_plan(const struct xf_sweep_summary *s)
{
	/* two kinds of row: their columns, as comments */
	puts("# device,serial,transport,abi,agent,problem\n# subnet,arch,macs");
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct xf_sweep_device *d = &s->devices[i];
		const char *f[] = {d->serial, d->transport, d->abi, d->agent, d->problem};
		fputs("device", stdout);
		for (size_t k = 0; k < 5; k++) {  /* CSV: names may hold anything */
			putchar(',');
			xs_csv_put(stdout, f[k]);
		}
		putchar('\n');
	}
	for (size_t i = 0; i < s->narchs; i++)
		printf("subnet,\"%s\",%" PRIu64 "\n", s->archs[i], s->macs[i]);
}

/* One line for the emulated devices: what they checked; and that their
 * times rank nothing. */
static void print_checks(const struct xf_sweep_summary *s)
{
	char names[512] = "", serial[520];
	size_t checked = 0, bad = 0, unchecked = 0, n = 0;
	double worst = 0;
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct xf_sweep_device *d = &s->devices[i];
		if (!d->emulated || d->status == XF_SWEEP_UNAVAILABLE)
			continue;
		size_t len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%s", n++ ? ", " : "",
			 SAFE(d->serial, serial));
		checked += d->checked;
		bad += d->mismatched;
		unchecked += d->unchecked;
		worst = fmax(worst, d->worst_diff);
	}
	if (n == 0)
		return;
	char more[64] = "";
	if (unchecked)
		snprintf(more, sizeof(more), ", %zu unchecked (no host reference)", unchecked);
	printf("emulated (%s): checked, not timed: %zu of %zu sub-net rows give the host's "
	       "logits (largest difference %.2g)%s; their times describe no phone and stay "
	       "out of tiers\n", names, checked - bad, checked, worst, more);
}

static void print_summary(const struct xf_sweep_summary *s, const char *db_path)
{
	printf("%-14s %-9s %-11s %7s %7s %6s %9s %9s  %s\n", "device", "transport", "status",
	       "kernels", "subnets", "stored", "given", "pushed", "error");
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct xf_sweep_device *d = &s->devices[i];
		char given[32], pushed[32], serial[520], error[2048];
		rep_bytes_human(d->staged_bytes, given, sizeof(given));
		rep_bytes_human(d->pushed_bytes, pushed, sizeof(pushed));
		printf("%-14s %-9s %-11s %7zu %7zu %6zu %9s %9s  %s\n", SAFE(d->serial, serial),
		       d->transport, xf_sweep_status_name(d->status), d->kernel_rows,
		       d->subnet_rows, d->stored, given, pushed, SAFE(d->error, error));
	}
	const size_t *by = s->by_status;
	char hung[48] = "";
	if (by[XF_SWEEP_HUNG])
		snprintf(hung, sizeof(hung), ", %zu hung", by[XF_SWEEP_HUNG]);
	printf("\n%zu device%s: %zu done, %zu incomplete, %zu failed, %zu unavailable%s%s; "
	       "%zu kernel and %zu sub-net rows read, %zu new in %s; sub-net flags: %zu clean, "
	       "%zu throttled, %zu noisy, %zu over budget, %zu untimed (emulated)\n", s->ndevices,
	       s->ndevices == 1 ? "" : "s", by[XF_SWEEP_DONE], by[XF_SWEEP_INCOMPLETE],
	       by[XF_SWEEP_FAILED], by[XF_SWEEP_UNAVAILABLE],
	       by[XF_SWEEP_SKIPPED] ? ", some skipped" : "", hung, s->kernel_rows, s->subnet_rows,
	       s->stored, db_path, s->clean, s->throttled, s->noisy, s->budget, s->untimed);
	print_checks(s);
	if (by[XF_SWEEP_INCOMPLETE] || by[XF_SWEEP_FAILED] || by[XF_SWEEP_HUNG])
		printf("incomplete or failed devices keep what they stored: run again with "
		       "--resume to measure only what is missing\n");
}

/* ---- the command ------------------------------------------------------------------------- */

struct args {
	struct xf_sweep_opts o;
	const char *devices, *db_path;
	char precision[16];
	struct xf_adb_server servers[16];
};

/* The options into a; -1 when they are good, else the exit status. */
static int args_parse(int argc, char **argv, struct args *a)
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
		{"jobs", required_argument, NULL, 'j'},
		{"time-emulated", no_argument, NULL, 'T'},
		{"extract-on-device", no_argument, NULL, 'X'},
		{"hang-timeout", required_argument, NULL, 'H'},
		{NULL, 0, NULL, 0}};
	struct xf_sweep_opts *o = &a->o;
	optind = 1;
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': a->devices = optarg; break;
		case 'f': o->supernet_path = optarg; break;
		case 's': o->subnets = optarg; break;
		case 't': o->threads = optarg; break;
		case 'D': a->db_path = optarg; break;
		case 'r': o->resume = true; break;
		case 'q': o->quick = true; break;
		case 'T': o->time_emulated = true; break;
		case 'X': o->extract_on_device = true; break;
		case 'n' + 256: o->dry_run = true; break;
		case 'P': {
			enum xs_precision pl[2];
			size_t np;
			if (!xf_precision_list_parse(optarg, pl, &np)) {
				fprintf(stderr, "xnn-fleet sweep: --precision '%s': give f32, int8 or "
						"f32,int8\n", optarg);
				return 2;
			}
			snprintf(a->precision, sizeof(a->precision), "%s", optarg);
			o->precision = a->precision;
			break;
		}
		case 'a':
			if (strcmp(optarg, "none") == 0) {
				o->no_adb = true;
			} else if (o->nadb_servers == 16 ||
				   !xf_adb_server_parse(optarg, &a->servers[o->nadb_servers++])) {
				fprintf(stderr, "xnn-fleet sweep: --adb-server '%s': give HOST:PORT (at "
						"most 16), or none\n", optarg);
				return 2;
			}
			break;
		case 'n':
			o->eval_n = strtol(optarg, &end, 10);
			if (*end || o->eval_n < 0) {
				fprintf(stderr, "xnn-fleet sweep: --eval-n '%s': give a count\n", optarg);
				return 2;
			}
			break;
		case 'b':
			o->budget_s = strtod(optarg, &end);
			if (*end || !(o->budget_s > 0)) {
				fprintf(stderr, "xnn-fleet sweep: --budget-s '%s': give seconds\n", optarg);
				return 2;
			}
			break;
		case 'H': {
			double v = strtod(optarg, &end);
			if (*end || !(v >= 0) || v > 1e6) {
				fprintf(stderr, "xnn-fleet sweep: --hang-timeout '%s': give seconds (0: "
						"wait for ever)\n", optarg);
				return 2;
			}
			o->hang_s = v > 0 ? v : -1;
			break;
		}
		case 'j': {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > XF_MAX_DEVICES) {
				fprintf(stderr, "xnn-fleet sweep: --jobs '%s': give a count from 1 to "
						"%d\n", optarg, XF_MAX_DEVICES);
				return 2;
			}
			o->jobs = (size_t)v;
			break;
		}
		case 'h': fputs(usage_text, stdout); return 0;
		default: return xf_usage_error(usage_text);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xnn-fleet sweep: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

int cmd_sweep(int argc, char **argv)
{
	struct args a = {.o = {.eval_n = -1}, .devices = "all", .db_path = "fleet.db"};
	int rc = args_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	a.o.adb_servers = a.servers;
	struct xs_error err;
	struct xf_devexpr *ex = NULL;
	if (xf_devexpr_parse(a.devices, &ex, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet sweep: %s\n", err.msg);
		return 2;
	}
	a.o.devices = ex;
	char msg[512];
	if (!a.o.dry_run && fdb_open(a.db_path, FDB_WRITE, &a.o.db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		xf_devexpr_destroy(ex);
		return 1;
	}
	struct screen scr = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
	const char *term = getenv("TERM");
	scr.tty = isatty(2) && term && strcmp(term, "dumb") != 0;
	struct progress_ctx pc = {&scr, a.db_path};
	struct xf_sweep_summary sum;
	enum xs_status st = xf_sweep_run(&a.o, on_progress, &pc, &sum, &err);
	screen_stop(&scr);
	if (st != XS_OK) {
		char safe[2048];
		fprintf(stderr, "xnn-fleet%s: %s\n", sum.no_match ? " sweep" : "",
			SAFE(err.msg, safe));
		rc = 1;
	} else if (a.o.dry_run) {  /* the plan, nothing run or stored */
		print_plan(&sum);
		rc = 0;
	} else {
		print_summary(&sum, a.db_path);
		size_t done = sum.by_status[XF_SWEEP_DONE] + sum.by_status[XF_SWEEP_SKIPPED];
		rc = done == sum.ndevices ? 0 : 1;
	}
	xf_sweep_summary_release(&sum);
	fdb_close(a.o.db);
	xf_devexpr_destroy(ex);
	return rc;
}
