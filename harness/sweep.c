/* sweep.c - the sweep (sweep.h): device discovery and matching, the sub-net
 * choice, the DB rows of the sweep, the host's reference, then the devices
 * (stage, probe, kernels, bench: those on this host's CPUs one at a time, the
 * others in a bounded pool) writing their rows in batches. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep.h"
#include "data.h"
#include "devices.h"
#include "reference.h"
#include "ship.h"
#include "sweep-rows.h"
#include "util.h"

#define BATCH 32            /* rows per DB transaction, at most */
#define BATCH_S 1.0         /* seconds a row may wait for its batch, at most */
#define MAX_SUBNETS 256

/* What the device threads share. */
struct sweep {
	const struct xf_sweep_opts *o;
	const char *supernet_path, *threads;
	char precision[16];          /* "f32", "int8" or "f32,int8" */
	enum xs_precision precs[2];  /* the same, nprecs of them */
	size_t nprecs;
	const struct xf_devexpr *expr;
	const struct xs_supernet *sn;
	struct xf_data data;         /* the data set, staged */
	struct xf_ship ship;         /* the staging folder: sub-models, test images, lists */
	/* the compact test images: for every device (--eval-n), or for the
	 * others [0] and the emulated ones [1]; count 0: none */
	char eval[2][PATH_MAX], labels[2][PATH_MAX];
	uint32_t eval_n[2];
	size_t neval;
	char ref[PATH_MAX];          /* the host's reference logits ("" = none) */
	char space[PATH_MAX];        /* the search space's text: all a kernel table needs */
	struct fdb *db;
	pthread_mutex_t lock;        /* around every use of db */
	pthread_mutex_t ui;          /* around every progress call */
	xf_sweep_progress_fn progress;
	void *ctx;
	int64_t supernet_id;
	int64_t *subnet_ids;         /* of summary->archs */
	struct xf_sweep_summary *sum;
};

/* Rows of one stream waiting for the DB: owning copies of their strings.
 * A batch is written when it has BATCH rows or BATCH_S seconds have passed
 * since the last (slow rows, a sub-net's, are stored as they come: a killed
 * harness loses none of them), and at the end of the stream. */
struct queue {
	size_t n;
	double last;            /* when the last batch was written (or the stream began) */
	struct fdb_key keys[BATCH];
	struct fdb_kernel_result krows[BATCH];
	struct fdb_subnet_result srows[BATCH];
	int64_t ids[BATCH];
	char *strs[BATCH][6];
};

/* The files a device may get besides the sub-models: F_LIST is its sub-net
 * list (extracted there) or its models list. */
enum { F_AGENT, F_SUPERNET, F_CALIB, F_EVAL, F_LABELS, F_REF, F_LIST, F_HAVE, F_COUNT };

/* What a device measures. */
struct plan {
	bool kernels_done;       /* the kernel table is not to be measured */
	char *have;              /* resume: the kernel rows in the DB, as kernels --have
				    reads them (malloc'd; NULL: none) */
	size_t nhave;            /* how many (the agent measures the others only) */
	bool untimed;            /* emulated: no kernel table */
	bool *want;              /* the ship's models it lacks (malloc'd; with extraction
				    there, the precisions of each sub-net it lists) */
	size_t archs;            /* sub-nets with rows to measure */
	size_t rows;             /* bench rows expected */
};

/* One device, in two passes over every device (both in the lanes, below):
 * the probe, its device row and its plan; then, when the host has extracted
 * what the plans need, its run: the measuring. */
struct job {
	struct sweep *sw;
	struct xf_device dev;
	struct xf_sweep_device *out;     /* its row of the summary */
	size_t index;
	int64_t device_id, run_id;
	char agent_version[32];
	struct xf_probe probe;
	struct xf_probe_info info;
	struct xf_rows_header hdr;       /* of the stream being read */
	bool hdr_read, hdr_bad;
	struct queue q;
	struct xf_stage_file files[F_COUNT];
	char list[PATH_MAX];             /* its list here, in the staging folder */
	char have[PATH_MAX];             /* its kernel rows in the DB (plan.have), there */
	bool agent_counted;              /* the agent is in its staged bytes */
	struct plan plan;                /* what it lacks (pass 1) */
	bool probed;                     /* its device row is in the DB: pass 2 runs it */
	bool planned;                    /* plan is made: pass 2 measures it */
	bool finished;                   /* FINISHED was sent */
	bool hung;                       /* a stream ended for its silence (hang_s) */
};

static const char *const status_names[] = {"pending", "done", "incomplete", "failed",
					   "unavailable", "skipped", "hung"};
_Static_assert(sizeof(status_names) / sizeof(status_names[0]) == XF_SWEEP_NSTATUS,
	       "a name per status");

const char *xf_sweep_status_name(enum xf_sweep_status s)
{
	return (size_t)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "?";
}

void xf_sweep_summary_release(struct xf_sweep_summary *s)
{
	if (s == NULL)
		return;
	free(s->devices);
	free(s->archs);
	free(s->macs);
	s->devices = NULL;
	s->archs = NULL;
	s->macs = NULL;
	s->ndevices = s->narchs = 0;
}

/* ---- progress ------------------------------------------------------------------------ */

static void emit(struct sweep *sw, struct xf_sweep_event *ev)
{
	if (sw->progress == NULL)
		return;
	ev->summary = sw->sum;
	pthread_mutex_lock(&sw->ui);
	sw->progress(sw->ctx, ev);
	pthread_mutex_unlock(&sw->ui);
}

static void emit_job(struct job *j, enum xf_sweep_event_kind kind)
{
	struct xf_sweep_event ev = {.kind = kind, .index = j->index, .device = j->out};
	emit(j->sw, &ev);
}

__attribute__((format(printf, 3, 4)))
static void state(struct job *j, enum xf_sweep_phase phase, const char *fmt, ...)
{
	char text[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	struct xf_sweep_event ev = {.kind = XF_SWEEP_EV_STATE, .index = j->index, .device = j->out,
				    .phase = phase, .text = text};
	emit(j->sw, &ev);
}

__attribute__((format(printf, 2, 3)))
static void job_error(struct job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->out->error, sizeof(j->out->error), fmt, ap);
	va_end(ap);
}

/* Which of sw's test image files a device evaluates. */
static size_t eval_slot(const struct sweep *sw, bool emulated)
{
	return sw->neval > 1 && emulated ? 1 : 0;
}

/* ---- rows to the DB, in batches --------------------------------------------------------- */

static void queue_clear(struct queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		for (size_t k = 0; k < 6; k++)
			free(q->strs[i][k]);
	memset(q->strs, 0, sizeof(q->strs));
	q->n = 0;
}

/* Stores what is queued (kernel rows when kernels, else sub-net rows) in
 * one transaction. */
static void queue_flush(struct job *j, bool kernels)
{
	struct sweep *sw = j->sw;
	struct queue *q = &j->q;
	if (q->n == 0)
		return;
	size_t stored = 0;
	pthread_mutex_lock(&sw->lock);
	enum xs_status st = kernels
		? fdb_kernel_results_insert(sw->db, j->run_id, sw->supernet_id, q->keys, q->krows,
					    q->n, &stored)
		: fdb_subnet_results_insert(sw->db, j->run_id, q->keys, q->ids, q->srows, q->n,
					    &stored);
	if (st != XS_OK)
		job_error(j, "%s", fdb_errmsg(sw->db));
	pthread_mutex_unlock(&sw->lock);
	j->out->stored += stored;
	queue_clear(q);
	q->last = xf_now();
}

static bool queue_due(const struct queue *q)
{
	return q->n == BATCH || xf_now() - q->last >= BATCH_S;
}

/* Owning copies of n strings (NULL stays NULL) into row i's slots. */
static bool keep_strings(struct queue *q, const char **s, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (s[k] == NULL)
			continue;
		if ((q->strs[q->n][k] = strdup(s[k])) == NULL) {
			for (size_t i = 0; i < k; i++) {
				free(q->strs[q->n][i]);
				q->strs[q->n][i] = NULL;
			}
			return false;
		}
		s[k] = q->strs[q->n][k];
	}
	return true;
}

static void queue_kernel(struct job *j, struct fdb_kernel_result k, struct fdb_key key)
{
	struct queue *q = &j->q;
	const char *s[] = {k.piece, k.flags, key.precision, key.cores};
	if (!keep_strings(q, s, 4)) {
		job_error(j, "out of memory");
		return;
	}
	k.piece = s[0], k.flags = s[1], key.precision = s[2], key.cores = s[3];
	q->krows[q->n] = k;
	q->keys[q->n++] = key;
	if (queue_due(q))
		queue_flush(j, true);
}

static void queue_subnet(struct job *j, struct fdb_subnet_result r, struct fdb_key key,
			 int64_t subnet_id)
{
	struct queue *q = &j->q;
	const char *s[] = {r.flags, r.rss_method, r.xnm_sha256, r.pinned, key.precision, key.cores};
	if (!keep_strings(q, s, 6)) {
		job_error(j, "out of memory");
		return;
	}
	r.flags = s[0], r.rss_method = s[1], r.xnm_sha256 = s[2], r.pinned = s[3];
	key.precision = s[4], key.cores = s[5];
	q->srows[q->n] = r;
	q->keys[q->n] = key;
	q->ids[q->n++] = subnet_id;
	if (queue_due(q))
		queue_flush(j, false);
}

/* ---- rows from the agent ------------------------------------------------------------- */

/* At a stream's first row: its columns. false while the header lacks one
 * (the error says which; the stream's rows are not stored). */
static bool header_ok(struct job *j, enum xf_rows_table table, const struct xf_agent_reader *r)
{
	if (!j->hdr_read) {
		struct xs_error err;
		j->hdr_read = true;
		j->hdr_bad = xf_rows_header_init(&j->hdr, table, r, &err) != XS_OK;
		if (j->hdr_bad)
			job_error(j, "%s", err.msg);
	}
	return !j->hdr_bad;
}

static void stream_start(struct job *j)
{
	j->hdr_read = j->hdr_bad = false;
	queue_clear(&j->q);
	j->q.last = xf_now();
}

static void probe_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)n;
	struct job *j = ctx;
	if (header_ok(j, XF_ROWS_PROBE, r))
		xf_rows_probe_add(&j->probe, &j->hdr, f);
}

static void kernel_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)n;
	struct job *j = ctx;
	struct xs_error err;
	j->out->kernel_rows++;
	emit_job(j, XF_SWEEP_EV_KERNELS);
	if (!header_ok(j, XF_ROWS_KERNELS, r))
		return;
	struct fdb_kernel_result k;
	struct fdb_key key = {.device_id = j->device_id, .agent_version = j->agent_version};
	if (xf_rows_kernel(&j->hdr, r, f, &k, &key, &err) != XS_OK)
		job_error(j, "%s", err.msg);
	else
		queue_kernel(j, k, key);
}

static void count_flags(struct xf_sweep_device *d, const char *flags)
{
	d->clean += strstr(flags, "clean") != NULL;
	d->throttled += strstr(flags, "throttled") != NULL;
	d->noisy += strstr(flags, "noisy") != NULL;
	d->budget += strstr(flags, "budget") != NULL;
	d->untimed += strstr(flags, "untimed") != NULL;
}

/* An emulated device is a correctness device: each of its rows must give
 * the host's logits (the agent's max_logit_diff against the reference). */
static void check_row(struct job *j, const char *arch, const struct fdb_key *key,
		      const struct fdb_subnet_result *s)
{
	struct xf_sweep_device *d = j->out;
	if (isnan(s->max_logit_diff)) {
		d->unchecked++;
		return;
	}
	d->checked++;
	d->worst_diff = fmax(d->worst_diff, s->max_logit_diff);
	if (s->max_logit_diff <= XF_SWEEP_LOGIT_TOL)
		return;
	if (d->mismatched++ == 0)
		job_error(j, "%.100s %s: logits differ from the host's by %.3g (more than %g): "
			  "this device's kernels or its sub-model compute other numbers",
			  arch, key->precision, s->max_logit_diff, XF_SWEEP_LOGIT_TOL);
}

static void bench_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)n;
	struct job *j = ctx;
	struct sweep *sw = j->sw;
	struct xs_error err;
	j->out->subnet_rows++;
	if (!header_ok(j, XF_ROWS_BENCH, r))
		return;
	const char *arch = NULL;
	struct fdb_subnet_result s;
	struct fdb_key key = {.device_id = j->device_id, .agent_version = j->agent_version};
	enum xs_status st = xf_rows_bench(&j->hdr, r, f, &arch, &s, &key, &err);
	int64_t subnet_id = -1;
	for (size_t i = 0; i < sw->sum->narchs; i++)
		if (strcmp(sw->sum->archs[i], arch) == 0)
			subnet_id = sw->subnet_ids[i];
	if (st == XS_OK && subnet_id < 0) {
		job_error(j, "%.100s: not a sub-net of this sweep", arch);
		return;
	}
	if (st != XS_OK) {
		job_error(j, "%s", err.msg);
		return;
	}
	count_flags(j->out, s.flags);
	if (j->dev.emulated)
		check_row(j, arch, &key, &s);
	struct xf_sweep_event ev = {.kind = XF_SWEEP_EV_RESULT, .index = j->index, .device = j->out,
				    .arch = arch, .key = &key, .result = &s};
	emit(sw, &ev);
	queue_subnet(j, s, key, subnet_id);
}

/* The agent's stderr: the kernel table's row count, said before its first
 * row (agent/cmd-kernels.c), for the count and the ETA of the phase. */
static void agent_note(void *ctx, const char *line)
{
	struct job *j = ctx;
	size_t n;
	int end = -1;
	if (sscanf(line, "kernels: %zu rows to time%n", &n, &end) == 1 && end > 0) {
		j->out->kernel_todo = n;
		emit_job(j, XF_SWEEP_EV_KERNELS);
	}
}

/* Runs the agent with args, its rows (a table of that kind) mapped and
 * queued; what is queued is stored at the end, whatever became of the
 * stream. XS_OK when it was complete; else err says why. */
static enum xs_status agent_stream(struct job *j, const char *const *args,
				   enum xf_rows_table table, struct xs_error *err)
{
	static const xf_agent_row_fn fns[] = {[XF_ROWS_PROBE] = probe_row,
					      [XF_ROWS_KERNELS] = kernel_row,
					      [XF_ROWS_BENCH] = bench_row};
	struct xf_agent_reader *r = NULL;
	int status;
	stream_start(j);
	enum xs_status st = xf_agent_run(&j->dev, args, fns[table],
					 table == XF_ROWS_KERNELS ? agent_note : NULL, j, &r, &status,
					 err);
	j->hung = j->hung || status == XF_RUN_HUNG;
	if (st == XS_OK && table == XF_ROWS_PROBE) {
		const char *v = xf_agent_reader_meta(r, "agent_version");
		snprintf(j->agent_version, sizeof(j->agent_version), "%s", v ? v : "unknown");
	}
	xf_agent_reader_destroy(r);
	if (table != XF_ROWS_PROBE)
		queue_flush(j, table == XF_ROWS_KERNELS);
	return st;
}

/* ---- one device ------------------------------------------------------------------------ */

static void push_progress(void *ctx, const struct xf_stage_file *f)
{
	state(ctx, XF_SWEEP_PHASE_STAGE, "push %s (%lld bytes)", f->name, f->size);
}

/* Counts file f of a stage in the device's row: given (the agent once per
 * device), and copied. */
static void stage_count(struct job *j, const struct xf_stage_file *f, bool agent)
{
	struct xf_sweep_device *d = j->out;
	if (!agent || !j->agent_counted) {
		d->staged_files++;
		d->staged_bytes += f->size;
		j->agent_counted = j->agent_counted || agent;
	}
	if (f->copied) {
		d->pushed_files++;
		d->pushed_bytes += f->size;
	}
}

/* Puts files[0..n) (files[0] the agent) on the device, their size and
 * sha256 computed here unless given: the device keeps what it has already.
 * In batches of XF_MAX_STAGE, the agent first in each (the transport checks
 * what is there with it). Fills each file's dev and copied. */
static bool stage(struct job *j, struct xf_stage_file *files, size_t n)
{
	struct xs_error err;
	for (size_t i = 0; i < n; i++)
		if (files[i].sha256[0] == '\0' &&
		    !xf_file_sha256(files[i].host, &files[i].size, files[i].sha256)) {
			job_error(j, "cannot read '%.400s'", files[i].host);
			return false;
		}
	size_t next = 1;
	do {
		struct xf_stage_file f[XF_MAX_STAGE];
		size_t from[XF_MAX_STAGE], k = 0, pushed = 0;
		from[k] = 0;
		f[k++] = files[0];
		for (; k < XF_MAX_STAGE && next < n; next++) {
			from[k] = next;
			f[k++] = files[next];
		}
		if (xf_device_stage(&j->dev, f, k, &pushed, push_progress, j, &err) != XS_OK) {
			job_error(j, "%s", err.msg);
			return false;
		}
		for (size_t i = 0; i < k; i++) {
			memcpy(files[from[i]].dev, f[i].dev, sizeof(f[i].dev));
			stage_count(j, &f[i], from[i] == 0);
		}
	} while (next < n);
	return true;
}

/* Stores the device row (run_id 0), or, with run, the device's run. */
static bool device_store(struct job *j, bool run)
{
	struct sweep *sw = j->sw;
	struct fdb_device d;
	xf_rows_probe_device(&j->probe, &j->info, j->dev.transport, j->dev.serial, j->dev.abi,
			     j->dev.emulated, &d);
	pthread_mutex_lock(&sw->lock);
	enum xs_status st = fdb_begin(sw->db);
	if (st == XS_OK && !run)
		st = fdb_device_upsert(sw->db, &d, &j->device_id);
	if (st == XS_OK && run)
		st = fdb_run_begin(sw->db, sw->sum->sweep_id, j->device_id, &j->run_id);
	if (st == XS_OK)
		st = fdb_commit(sw->db);
	else
		fdb_rollback(sw->db);
	if (st != XS_OK)
		job_error(j, "%s", fdb_errmsg(sw->db));
	pthread_mutex_unlock(&sw->lock);
	return st == XS_OK;
}

/* Stages the agent, probes the device and stores it. false when it cannot
 * go on (status failed or skipped, error set). */
static bool device_probe(struct job *j)
{
	struct sweep *sw = j->sw;
	struct xs_error err;
	/* extracting there: the supernet (and the training images); else the
	 * space's text for the kernel table */
	const bool there = sw->o->extract_on_device;
	const char *const names[] = {"xnn-agent", there ? "supernet.xsn" : "space.txt",
				     "train-images-idx3-ubyte", "", "", "reference.csv",
				     there ? "subnets.txt" : "models.txt", "kernels-have.txt"};
	const char *hosts[] = {j->dev.agent, there ? sw->supernet_path : sw->space,
			       sw->data.calib, "", "", sw->ref, j->list, j->have};
	_Static_assert(sizeof(names) / sizeof(names[0]) == F_COUNT, "a name per file");
	for (size_t i = 0; i < F_COUNT; i++)
		j->files[i] = (struct xf_stage_file){.host = hosts[i], .name = names[i],
						     .mode = i == F_AGENT ? 0755 : 0644};
	if (!stage(j, &j->files[F_AGENT], 1))
		return false;
	state(j, XF_SWEEP_PHASE_PROBE, "probe");
	const char *args[] = {"probe", NULL};
	if (agent_stream(j, args, XF_ROWS_PROBE, &err) != XS_OK) {
		job_error(j, "%s", err.msg);
		j->out->status = j->hung ? XF_SWEEP_HUNG : j->out->status;
		return false;
	}
	if (j->hdr_bad)
		return false;
	if (xf_rows_probe_info(&j->probe, &j->info, &err) != XS_OK) {
		job_error(j, "%s", err.msg);
		return false;
	}
	const char *model = j->info.has_model ? j->info.model : "unknown";
	if (!xf_devexpr_match(sw->expr, "model", model)) {
		j->out->status = XF_SWEEP_SKIPPED;
		job_error(j, "model '%.200s' does not match", model);
		return false;
	}
	/* the probe knows when the agent runs under emulation (e.g. an arm64
	 * board of an adb server under qemu-user) */
	j->dev.emulated = j->dev.emulated || j->info.emulator;
	j->out->emulated = j->dev.emulated;
	if (!device_store(j, false))
		return false;
	bool asked = sw->o->ndevice_ids == 0;
	for (size_t i = 0; i < sw->o->ndevice_ids && !asked; i++)
		asked = sw->o->device_ids[i] == j->device_id;
	if (!asked) {
		j->out->status = XF_SWEEP_SKIPPED;
		job_error(j, "device %" PRId64 " is not one of the devices asked for", j->device_id);
	}
	return asked;
}

/* The DB has the device's rows of sub-net i in precision prec for every
 * thread count. */
static bool model_done(struct job *j, size_t i, const char *prec)
{
	struct sweep *sw = j->sw;
	bool have = true;
	for (const char *t = sw->threads; *t && have;) {
		struct fdb_key key = {j->device_id, prec, atoi(t), j->info.cores, j->agent_version};
		bool e = false;
		have = fdb_subnet_result_exists(sw->db, &key, sw->subnet_ids[i], &e) == XS_OK && e;
		t += strcspn(t, ",");
		t += *t == ',';
	}
	return have;
}

/* The rows of the kernel table in the DB, every thread count's (kernels
 * are measured in f32), into p->have: completeness is per piece, so a cut
 * table is completed with the pieces it lacks. false on a DB error. */
static bool kernels_in_db(struct job *j, struct plan *p)
{
	struct sweep *sw = j->sw;
	bool ok = true;
	for (const char *t = sw->threads; *t && ok;) {
		struct fdb_key key = {j->device_id, "f32", atoi(t), j->info.cores, j->agent_version};
		char *text = NULL;
		size_t n = 0, len = p->have ? strlen(p->have) : 0;
		ok = fdb_kernel_pieces_text(sw->db, &key, sw->supernet_id, &text, &n) == XS_OK;
		if (ok && n) {
			char *both = realloc(p->have, len + strlen(text) + 1);
			if (both == NULL) {
				free(text);
				job_error(j, "out of memory");
				return false;
			}
			strcpy(both + len, text);
			p->have = both;
			p->nhave += n;
		}
		free(text);
		t += strcspn(t, ",");
		t += *t == ',';
	}
	if (!ok)
		job_error(j, "%s", fdb_errmsg(sw->db));
	return ok;
}

/* What the device lacks (resume: what the DB lacks, else everything):
 * known before any sub-model is extracted for it. */
static bool plan_make(struct job *j, struct plan *p)
{
	struct sweep *sw = j->sw;
	const struct xf_sweep_opts *o = sw->o;
	const size_t np = sw->nprecs, n = sw->sum->narchs;
	size_t nthr = 1;
	for (const char *c = sw->threads; *c; c++)
		nthr += *c == ',';
	*p = (struct plan){.untimed = j->dev.emulated && !o->time_emulated};
	if ((p->want = calloc(n * np + 1, sizeof(*p->want))) == NULL) {
		job_error(j, "out of memory");
		return false;
	}
	pthread_mutex_lock(&sw->lock);
	/* an emulated device has no kernel table to complete */
	bool db_ok = !o->resume || p->untimed || kernels_in_db(j, p);
	for (size_t i = 0; i < n; i++) {
		size_t lack = 0;
		for (size_t k = 0; k < np; k++) {
			bool need = !o->resume || !model_done(j, i, xs_precision_name(sw->precs[k]));
			p->want[i * np + k] = need;
			lack += need;
		}
		p->archs += lack > 0;
		/* extracting there, the agent measures a listed sub-net in every
		 * precision */
		p->rows += (o->extract_on_device ? (lack ? np : 0) : lack) * nthr;
	}
	pthread_mutex_unlock(&sw->lock);
	if (o->resume && db_ok)
		state(j, XF_SWEEP_PHASE_STAGE, "resuming: %zu of %zu sub-nets to measure, %zu kernel "
		      "rows in the DB", p->archs, n, p->nhave);
	return db_ok;
}

/* The device's list in j->list: the sub-nets it lacks (extracted there) or
 * the models list of the sub-models it lacks. */
static bool plan_list_write(struct job *j, const struct plan *p)
{
	struct sweep *sw = j->sw;
	struct xs_error err;
	bool ok;
	if (sw->o->extract_on_device) {
		FILE *f = fopen(j->list, "w");
		for (size_t i = 0; f && i < sw->sum->narchs; i++)
			for (size_t k = 0; k < sw->nprecs; k++)
				if (p->want[i * sw->nprecs + k]) {
					fprintf(f, "%s\n", sw->sum->archs[i]);
					break;
				}
		ok = f != NULL && fclose(f) == 0;
	} else {
		ok = xf_ship_list_write(&sw->ship, p->want, j->list, &err) == XS_OK;
	}
	if (!ok)
		job_error(j, "cannot write '%.250s'", j->list);
	return ok;
}

/* The last part of a path. */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Stages what the kernel table and the bench need: the agent; the supernet
 * for the kernel table or an extraction there (then the training images);
 * the test images; the host's reference; the list; with host extraction the
 * sub-models of the list. Then says what went over. */
static bool stage_bench(struct job *j, const struct plan *p)
{
	struct sweep *sw = j->sw;
	const bool there = sw->o->extract_on_device;
	const size_t e = eval_slot(sw, j->dev.emulated), nm = there ? 0 : sw->ship.nmodels;
	j->files[F_EVAL].host = sw->eval[e];
	j->files[F_LABELS].host = sw->labels[e];
	j->files[F_EVAL].name = base_name(sw->eval[e]);
	j->files[F_LABELS].name = base_name(sw->labels[e]);
	struct xf_stage_file *f = calloc(F_COUNT + nm, sizeof(*f));
	size_t at[F_COUNT], n = 0;
	if (f == NULL) {
		job_error(j, "out of memory");
		return false;
	}
	const bool with[F_COUNT] = {
		[F_AGENT] = true, [F_SUPERNET] = there || (!p->kernels_done && !p->untimed),
		[F_CALIB] = there, [F_EVAL] = sw->eval_n[e] > 0, [F_LABELS] = sw->eval_n[e] > 0,
		[F_REF] = sw->ref[0] != '\0', [F_LIST] = p->rows > 0,
		[F_HAVE] = p->nhave > 0 && !p->kernels_done && !p->untimed};
	for (size_t i = 0; i < F_COUNT; i++)
		if (with[i]) {
			at[i] = n;
			f[n++] = j->files[i];
		}
	for (size_t k = 0; k < nm && p->rows; k++)
		if (p->want[k]) {
			const struct xf_ship_model *m = &sw->ship.models[k];
			f[n] = (struct xf_stage_file){.host = m->path, .name = m->name, .mode = 0644,
						      .size = m->size};
			memcpy(f[n++].sha256, m->sha256, sizeof(m->sha256));
		}
	bool ok = stage(j, f, n);
	for (size_t i = 0; ok && i < F_COUNT; i++)
		if (with[i])
			memcpy(j->files[i].dev, f[at[i]].dev, sizeof(f[at[i]].dev));
	free(f);
	const struct xf_sweep_device *d = j->out;
	if (ok && strcmp(j->files[F_AGENT].dev, j->files[F_AGENT].host) != 0)
		state(j, XF_SWEEP_PHASE_STAGE, "%zu of %zu files pushed to %s: %lld of %lld bytes",
		      d->pushed_files, d->staged_files, j->dev.workdir, d->pushed_bytes,
		      d->staged_bytes);
	else if (ok)
		state(j, XF_SWEEP_PHASE_STAGE, "%zu files used where they are: %lld bytes",
		      d->staged_files, d->staged_bytes);
	return ok;
}

/* The agent's bench command for this device (into args, NULL-ended). */
static void bench_args(struct job *j, const char **args, char *budget, char *evaln)
{
	struct sweep *sw = j->sw;
	const struct xf_sweep_opts *o = sw->o;
	const size_t e = eval_slot(sw, j->dev.emulated);
	size_t n = 0;
	args[n++] = "bench";
	if (o->extract_on_device) {
		const char *there[] = {"--supernet", j->files[F_SUPERNET].dev, "--subnets",
				       j->files[F_LIST].dev, "--calib", j->files[F_CALIB].dev,
				       "--precision", sw->precision};
		memcpy(args + n, there, sizeof(there));
		n += sizeof(there) / sizeof(there[0]);
	} else {
		args[n++] = "--models";
		args[n++] = j->files[F_LIST].dev;
	}
	if (sw->eval_n[e] > 0) {
		snprintf(evaln, 32, "%u", sw->eval_n[e]);
		const char *ev[] = {"--eval", j->files[F_EVAL].dev, "--labels",
				    j->files[F_LABELS].dev, "--eval-n", evaln};
		memcpy(args + n, ev, sizeof(ev));
		n += sizeof(ev) / sizeof(ev[0]);
	}
	args[n++] = "--threads";
	args[n++] = sw->threads;
	if (o->budget_s > 0) {
		snprintf(budget, 32, "%g", o->budget_s);
		args[n++] = "--budget-s";
		args[n++] = budget;
	}
	/* emulated: the logits and top-1 checked, not timed (--time-emulated:
	 * a short timing for those who study the emulator) */
	if (j->dev.emulated && !o->time_emulated)
		args[n++] = "--check";
	else if (o->quick || j->dev.emulated)
		args[n++] = "--quick";
	if (sw->ref[0]) {
		args[n++] = "--ref";
		args[n++] = j->files[F_REF].dev;
	}
	args[n] = NULL;
}

/* The kernel table, then the sub-nets; the run's end in the DB. */
static void device_measure(struct job *j)
{
	struct sweep *sw = j->sw;
	const struct xf_sweep_opts *o = sw->o;
	struct xs_error err;
	struct plan p = j->plan;
	if (p.rows && !plan_list_write(j, &p))
		return;
	if (p.nhave && xf_file_write(j->have, (const uint8_t *)p.have, strlen(p.have), &err) !=
	    XS_OK) {
		job_error(j, "%s", err.msg);
		return;
	}
	if ((p.rows || (!p.kernels_done && !p.untimed)) && !stage_bench(j, &p)) {
		p.rows = 0;
		p.kernels_done = true;  /* nothing more can run: the run ends incomplete */
	}
	/* the kernel table is timings only: an emulated device's would describe
	 * no phone (its kernels are checked by the sub-nets' logits) */
	char had[64] = "";
	if (p.nhave)
		snprintf(had, sizeof(had), " (%zu rows in the DB: the others)", p.nhave);
	state(j, XF_SWEEP_PHASE_KERNEL_TABLE, "kernels%s",
	      p.untimed ? ": not timed under emulation" : had);
	const char *kargs[10] = {"kernels", o->extract_on_device ? "--supernet" : "--space",
				 j->files[F_SUPERNET].dev, "--threads", sw->threads};
	size_t nk = 5;
	if (o->quick || j->dev.emulated)
		kargs[nk++] = "--quick";
	if (p.nhave) {
		kargs[nk++] = "--have";
		kargs[nk++] = j->files[F_HAVE].dev;
	}
	enum xs_status ks = p.kernels_done || p.untimed
		? XS_OK : agent_stream(j, kargs, XF_ROWS_KERNELS, &err);
	if (ks != XS_OK)
		job_error(j, "%s", err.msg);
	j->out->todo = p.rows;
	state(j, XF_SWEEP_PHASE_SUBNETS, "%zu sub-nets", p.archs);
	const char *bargs[32];
	char budget[32], evaln[32];
	bench_args(j, bargs, budget, evaln);
	/* a hung device is left alone: resume goes on with it */
	enum xs_status bs = p.rows && !j->hung ? agent_stream(j, bargs, XF_ROWS_BENCH, &err)
					       : XS_OK;
	if (bs != XS_OK)
		job_error(j, "%s", err.msg);
	bool complete = ks == XS_OK && bs == XS_OK && j->out->error[0] == '\0';
	j->out->status = j->hung ? XF_SWEEP_HUNG : complete ? XF_SWEEP_DONE : XF_SWEEP_INCOMPLETE;
}

/* The run's end in the DB; its conditions say what the device was given. */
static void run_end(struct job *j)
{
	struct sweep *sw = j->sw;
	const struct xf_sweep_device *d = j->out;
	char given[256];
	snprintf(given, sizeof(given), "staged_bytes=%lld staged_files=%zu pushed_bytes=%lld "
		 "pushed_files=%zu models=%s", d->staged_bytes, d->staged_files, d->pushed_bytes,
		 d->pushed_files, sw->o->extract_on_device ? "device" : "host");
	pthread_mutex_lock(&sw->lock);
	if (fdb_begin(sw->db) == XS_OK &&
	    fdb_run_end(sw->db, j->run_id, xf_sweep_status_name(d->status),
			d->error[0] ? d->error : NULL, given) == XS_OK)
		fdb_commit(sw->db);
	else
		fdb_rollback(sw->db);
	pthread_mutex_unlock(&sw->lock);
}

/* The device is done with: FINISHED, and what it kept goes. */
static void device_finish(struct job *j)
{
	free(j->plan.want);
	j->plan.want = NULL;
	free(j->plan.have);
	j->plan.have = NULL;
	unlink(j->list);
	unlink(j->have);
	queue_clear(&j->q);
	j->finished = true;
	emit_job(j, XF_SWEEP_EV_FINISHED);
}

/* The silence after which the device's runs end as hung (struct
 * xf_device.hang_s): opts.hang_s, else the default for its kind, at least
 * the budget; none when negative. */
static void hang_set(struct job *j)
{
	const struct xf_sweep_opts *o = j->sw->o;
	double h = o->hang_s;
	if (h == 0) {
		h = j->dev.emulated ? XF_SWEEP_HANG_S_EMULATED : XF_SWEEP_HANG_S;
		h = fmax(h, o->budget_s);
	}
	j->dev.hang_s = h > 0 ? h : 0;
}

/* Pass 1: the probe, and what the device lacks. One that cannot go on is
 * finished here. */
static void device_prepare(struct job *j)
{
	struct sweep *sw = j->sw;
	j->out->status = XF_SWEEP_FAILED;
	hang_set(j);
	snprintf(j->list, sizeof(j->list), "%.3000s/list-%zu.txt", sw->ship.dir, j->index);
	snprintf(j->have, sizeof(j->have), "%.3000s/have-%zu.txt", sw->ship.dir, j->index);
	j->probed = device_probe(j);
	j->planned = j->probed && plan_make(j, &j->plan);
	if (!j->probed)
		device_finish(j);
}

/* Pass 2: its run (begun here: a run's times are its measuring's), what
 * its plan says, the run's end. */
static void device_run(struct job *j)
{
	hang_set(j);  /* the probe may have found it emulated */
	if (device_store(j, true)) {
		if (j->planned)
			device_measure(j);
		run_end(j);
	}
	device_finish(j);
}

/* ---- the sub-nets ------------------------------------------------------------------- */

struct cand {
	uint64_t macs;
	struct xs_arch a;
};

static int by_macs(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	return a->macs < b->macs ? -1 : a->macs > b->macs;
}

/* Appends arch (text) unless it is there already. */
static void add_arch(struct xf_sweep_summary *s, const char *text)
{
	for (size_t k = 0; k < s->narchs; k++)
		if (strcmp(s->archs[k], text) == 0)
			return;
	if (s->narchs < MAX_SUBNETS)
		snprintf(s->archs[s->narchs++], XS_ARCH_MAX, "%s", text);
}

static void add_arch_of(struct xf_sweep_summary *s, const struct xs_space *sp,
			const struct xs_arch *a)
{
	char text[XS_ARCH_MAX];
	xs_arch_print(sp, a, text, sizeof(text));
	add_arch(s, text);
}

/* The largest, the smallest and n - 2 spread over the cost range (of 4096
 * seeded uniform draws, the ones nearest to MAC counts evenly spaced on a log
 * scale: space-filling in cost, the axis latency depends on). */
static enum xs_status choose_count(struct xf_sweep_summary *s, const struct xs_space *sp, long n,
				   struct xs_error *err)
{
	struct xs_arch lo_a, hi_a;
	xs_arch_largest(sp, &hi_a);
	xs_arch_smallest(sp, &lo_a);
	add_arch_of(s, sp, &hi_a);
	if (n >= 2)
		add_arch_of(s, sp, &lo_a);
	const size_t ncand = 4096;
	struct cand *c = malloc(ncand * sizeof(*c));
	if (c == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	uint64_t seed = 1;
	for (size_t i = 0; i < ncand; i++) {
		xs_arch_random(sp, &seed, &c[i].a);
		c[i].macs = xs_arch_macs(sp, &c[i].a);
	}
	qsort(c, ncand, sizeof(*c), by_macs);
	/* targets evenly spaced in log(MACs) between the smallest and the
	 * largest; each takes the nearest draw not taken yet */
	const double lo = log((double)xs_arch_macs(sp, &lo_a));
	const double hi = log((double)xs_arch_macs(sp, &hi_a));
	size_t from = 0;
	for (long i = 0; i + 2 < n; i++) {
		double target = exp(lo + (hi - lo) * (double)(i + 1) / (double)(n - 1));
		size_t best = from;
		for (size_t k = from; k < ncand; k++)
			if (fabs((double)c[k].macs - target) < fabs((double)c[best].macs - target))
				best = k;
		add_arch_of(s, sp, &c[best].a);
		from = best + 1 < ncand ? best + 1 : best;
	}
	free(c);
	return XS_OK;
}

/* The arch strings of the file at path, one a line ('#' comments). */
static enum xs_status choose_file(struct xf_sweep_summary *s, const struct xs_space *sp,
				  const char *path, struct xs_error *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return xf_error_set(err, XS_EIO, "--subnets '%s': give a count (1-256) or a file of "
				    "arch strings (%s)", path, strerror(errno));
	char line[XS_ARCH_MAX];
	enum xs_status st = XS_OK;
	while (st == XS_OK && fgets(line, sizeof(line), f) && s->narchs < MAX_SUBNETS) {
		line[strcspn(line, "\r\n#")] = '\0';
		if (line[0] == '\0')
			continue;
		struct xs_arch a;
		struct xs_error e;
		if ((st = xs_arch_parse(sp, line, &a, &e)) != XS_OK)
			xf_error_set(err, st, "'%s': %s", path, e.msg);
		else
			memcpy(s->archs[s->narchs++], line, XS_ARCH_MAX);
	}
	fclose(f);
	if (st == XS_OK && s->narchs == 0)
		st = xf_error_set(err, XS_EINVAL, "'%s': no arch strings", path);
	return st;
}

/* The sub-nets of the sweep (summary->archs and their MACs). */
static enum xs_status choose_subnets(const struct xf_sweep_opts *o, const struct xs_space *sp,
				     struct xf_sweep_summary *s, struct xs_error *err)
{
	s->archs = calloc(MAX_SUBNETS, sizeof(*s->archs));
	s->macs = calloc(MAX_SUBNETS, sizeof(*s->macs));
	if (s->archs == NULL || s->macs == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	const char *spec = o->subnets ? o->subnets : "6";
	char *end;
	long n = strtol(spec, &end, 10);
	enum xs_status st = XS_OK;
	if (o->narchs > 0) {
		for (size_t i = 0; st == XS_OK && i < o->narchs; i++) {
			struct xs_arch a;
			if ((st = xs_arch_parse(sp, o->archs[i], &a, err)) == XS_OK)
				add_arch_of(s, sp, &a);
		}
	} else if (*end == '\0' && n >= 1 && n <= MAX_SUBNETS) {
		st = choose_count(s, sp, n, err);
	} else {
		st = choose_file(s, sp, spec, err);
	}
	for (size_t i = 0; st == XS_OK && i < s->narchs; i++) {
		struct xs_arch a;
		if ((st = xs_arch_parse(sp, s->archs[i], &a, err)) == XS_OK)
			s->macs[i] = xs_arch_macs(sp, &a);
	}
	return st;
}

/* ---- the devices -------------------------------------------------------------------- */

/* Every device found (this host's, emulated, adb; the USB phones no adb
 * server lists go to the notes); *found of them into out[], what could not
 * be used or looked at into notes. */
static void devices_find(struct sweep *sw, struct xf_device *out, size_t *found, char *notes,
			 size_t notes_n)
{
	const struct xf_sweep_opts *o = sw->o;
	size_t n = xf_devices_here(out, XF_MAX_DEVICES, notes, notes_n);
	if (!o->no_adb) {
		struct xf_adb_server def;
		const struct xf_adb_server *servers = o->adb_servers;
		size_t nservers = o->nadb_servers;
		if (nservers == 0) {
			xf_adb_server_default(&def);
			servers = &def;
			nservers = 1;
		}
		size_t len = strlen(notes);
		xf_devices_adb(servers, nservers, out, XF_MAX_DEVICES, &n, notes + len,
			       notes_n - len);
	}
	size_t len = strlen(notes);
	xf_devices_usb_notes(out, n, false, notes + len, notes_n - len);
	len = strlen(notes);
	xf_devices_identify(out, n, notes + len, notes_n - len);
	if (notes[0]) {
		struct xf_sweep_event ev = {.kind = XF_SWEEP_EV_NOTES, .text = notes};
		emit(sw, &ev);
	}
	*found = n;
}

/* Each serial the expression names is a device found (by its serial or
 * its adb server's name for it): else XS_EINVAL naming it, with what
 * discovery said of it ("qemu-aarch64: no agent at ... (make agents)"). */
static enum xs_status named_found(const struct sweep *sw, const struct xf_device *found,
				  size_t nfound, const char *notes, struct xs_error *err)
{
	const struct xf_devexpr *e = sw->expr;
	for (size_t i = 0; i < xf_devexpr_serial_count(e); i++) {
		const char *name = xf_devexpr_serial(e, i);
		bool there = false;
		for (size_t k = 0; k < nfound && !there; k++)
			there = strcmp(found[k].serial, name) == 0 || strcmp(found[k].alias, name) == 0 ||
				strcmp(found[k].own_serial, name) == 0;
		if (there)
			continue;
		/* discovery's line on it: "NAME: what (fix)" */
		const char *why = NULL;
		size_t len = strlen(name);
		for (const char *l = notes; *l && why == NULL;) {
			if (strncmp(l, name, len) == 0 && l[len] == ':' && l[len + 1] == ' ')
				why = l + len + 2;
			const char *nl = strchr(l, '\n');
			l = nl ? nl + 1 : l + strlen(l);
		}
		if (why)
			return xf_error_set(err, XS_EINVAL, "--devices names '%.100s', which cannot run "
					    "here: %.*s", name, (int)strcspn(why, "\n"), why);
		if (sw->sum->ndevices == 0)  /* the caller says that none matches */
			return XS_OK;
		return xf_error_set(err, XS_EINVAL, "--devices names '%.100s', which is not found "
				    "(found: %.300s; 'xnn-fleet devices' lists them)", name,
				    nfound ? sw->sum->found : "none");
	}
	return XS_OK;
}

/* The devices the expression matches: the summary's rows and their jobs
 * (*jobs malloc'd). XS_EINVAL (summary->no_match) when none does, or when
 * a serial it names is not found or cannot run (unless the caller gave
 * device ids: then the ones found run). */
static enum xs_status devices_match(struct sweep *sw, struct job **jobs, struct xs_error *err)
{
	struct xf_sweep_summary *s = sw->sum;
	struct xf_device *found = calloc(XF_MAX_DEVICES, sizeof(*found));
	size_t nfound = 0;
	char notes[4096] = "";
	if (found == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	devices_find(sw, found, &nfound, notes, sizeof(notes));
	s->devices = calloc(nfound ? nfound : 1, sizeof(*s->devices));
	*jobs = calloc(nfound ? nfound : 1, sizeof(**jobs));
	if (s->devices == NULL || *jobs == NULL) {
		free(found);
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nfound; i++) {
		size_t len = strlen(s->found);
		snprintf(s->found + len, sizeof(s->found) - len, "%s%s", len ? " " : "",
			 found[i].serial);
		if (!xf_devexpr_match_device(sw->expr, &found[i]))
			continue;
		struct xf_sweep_device *d = &s->devices[s->ndevices];
		snprintf(d->serial, sizeof(d->serial), "%s", found[i].serial);
		snprintf(d->transport, sizeof(d->transport), "%s", found[i].transport);
		snprintf(d->abi, sizeof(d->abi), "%s", found[i].abi);
		snprintf(d->agent, sizeof(d->agent), "%s", found[i].agent);
		snprintf(d->problem, sizeof(d->problem), "%s", found[i].problem);
		d->emulated = found[i].emulated;
		d->on_host = found[i].on_host;
		if (d->problem[0]) {  /* listed with what to do, not run */
			d->status = XF_SWEEP_UNAVAILABLE;
			snprintf(d->error, sizeof(d->error), "%s", d->problem);
		}
		(*jobs)[s->ndevices] = (struct job){.sw = sw, .dev = found[i], .out = d,
						    .index = s->ndevices};
		s->ndevices++;
	}
	enum xs_status st = sw->o->ndevice_ids ? XS_OK : named_found(sw, found, nfound, notes, err);
	free(found);
	if (st != XS_OK) {
		s->no_match = true;
		return st;
	}
	if (s->ndevices == 0) {
		s->no_match = true;
		return xf_error_set(err, XS_EINVAL, "no device matches '%s'; found: %s",
				    xf_devexpr_text(sw->expr), nfound ? s->found : "none");
	}
	return XS_OK;
}

/* ---- the sweep ------------------------------------------------------------------------- */

/* The supernet, its sub-nets and the sweep's row, in one batch. */
static enum xs_status db_prepare(struct sweep *sw, struct xs_error *err)
{
	const struct xf_sweep_opts *o = sw->o;
	struct xf_sweep_summary *s = sw->sum;
	char hex[65], space[4096], config[1024];
	xs_sha256_hex(sw->sn->sha256, hex);
	xs_space_print(&sw->sn->space, space, sizeof(space));
	char count[32], evaln[64];
	snprintf(count, sizeof(count), "%zu", s->narchs);
	/* the counts the devices evaluate, not the option's "default" */
	if (o->eval_n >= 0)
		snprintf(evaln, sizeof(evaln), "%ld", o->eval_n);
	else
		snprintf(evaln, sizeof(evaln), "%d,emulated:%d", XF_SWEEP_EVAL_N,
			 XF_SWEEP_EVAL_N_EMULATED);
	snprintf(config, sizeof(config), "devices=%s supernet=%s subnets=%s threads=%s "
		 "precision=%s eval_n=%s budget_s=%g%s%s%s", xf_devexpr_text(sw->expr), hex,
		 o->narchs ? count : o->subnets ? o->subnets : "6", sw->threads, sw->precision,
		 evaln, o->budget_s, o->resume ? " resume" : "", o->quick ? " quick" : "",
		 o->extract_on_device ? " extract_on_device" : "");
	sw->subnet_ids = calloc(s->narchs, sizeof(*sw->subnet_ids));
	if (sw->subnet_ids == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	enum xs_status st = fdb_begin(sw->db);
	if (st == XS_OK)
		st = fdb_supernet_upsert(sw->db, sw->sn->space.name, hex, space, &sw->supernet_id);
	for (size_t i = 0; st == XS_OK && i < s->narchs; i++) {
		struct xs_arch a;
		xs_arch_parse(&sw->sn->space, s->archs[i], &a, NULL);
		st = fdb_subnet_upsert(sw->db, sw->supernet_id, s->archs[i], s->macs[i],
				       xs_arch_params(&sw->sn->space, &a), &sw->subnet_ids[i]);
	}
	if (st == XS_OK)
		st = fdb_sweep_begin(sw->db, config, &s->sweep_id);
	if (st == XS_OK)
		st = fdb_commit(sw->db);
	if (st != XS_OK) {
		xf_error_set(err, st, "%s", fdb_errmsg(sw->db));
		fdb_rollback(sw->db);
		s->sweep_id = -1;
	}
	return st;
}

static void reference_line(void *ctx, const char *line)
{
	struct xf_sweep_event ev = {.kind = XF_SWEEP_EV_REFERENCE, .text = line};
	emit(ctx, &ev);
}

/* The compact test images (ship.h): --eval-n for every device, else
 * XF_SWEEP_EVAL_N for phones, boards and this host and
 * XF_SWEEP_EVAL_N_EMULATED for emulated devices. */
static enum xs_status eval_prepare(struct sweep *sw, struct xs_error *err)
{
	const long want = sw->o->eval_n;
	sw->neval = want >= 0 ? 1 : 2;
	sw->eval_n[0] = want < 0 ? XF_SWEEP_EVAL_N : want < (long)UINT32_MAX ? (uint32_t)want
									: UINT32_MAX;
	sw->eval_n[1] = XF_SWEEP_EVAL_N_EMULATED;
	for (size_t k = 0; k < sw->neval; k++) {
		enum xs_status st = sw->eval_n[k] == 0 ? XS_OK
			: xf_ship_eval(&sw->ship, sw->data.eval, sw->data.labels, sw->eval_n[k],
				       sw->eval[k], sw->labels[k], PATH_MAX, err);
		if (st != XS_OK)
			return st;
	}
	return XS_OK;
}

static void extract_line(void *ctx, const char *line)
{
	struct xf_sweep_event ev = {.kind = XF_SWEEP_EV_EXTRACT, .text = line};
	emit(ctx, &ev);
}

/* How many of the sub-models want[k] says are not built yet. */
static size_t models_todo(const struct sweep *sw, const bool *want)
{
	size_t n = 0;
	for (size_t k = 0; k < sw->ship.nmodels; k++)
		n += want[k] && !sw->ship.models[k].built;
	return n;
}

/* The sub-models want[k] says, extracted here unless they are already (BN
 * recalibrated on the training images when they are the space's images),
 * on every CPU: no device is timed meanwhile. */
static enum xs_status models_prepare(struct sweep *sw, const bool *want, struct xs_error *err)
{
	const struct xs_space *sp = &sw->sn->space;
	struct xs_idx *calib = NULL;
	double t0 = xf_now();
	size_t built = 0;
	if (models_todo(sw, want) == 0)  /* not even the training images to load */
		return XS_OK;
	enum xs_status st = xs_idx_load(sw->data.calib, 3, &calib, err);
	if (st != XS_OK)
		return st;
	const bool recal = sp->in_c == 1 && calib->rows == sp->in_h && calib->cols == sp->in_w;
	st = xf_ship_build(&sw->ship, sw->sn, want, recal ? calib : NULL, xf_cpus(), extract_line,
			   sw, &built, err);
	xs_idx_destroy(calib);
	if (st == XS_OK && built) {
		long long bytes = 0;
		for (size_t k = 0; k < sw->ship.nmodels; k++)
			bytes += want[k] ? sw->ship.models[k].size : 0;
		char line[160];
		snprintf(line, sizeof(line), "host extract: %zu sub-models, %lld bytes, in %.1f s "
			 "(the devices check their sha256 and run them)", built, bytes,
			 xf_now() - t0);
		extract_line(sw, line);
	}
	return st;
}

/* Between the passes: the sub-models some device that runs still lacks (its
 * plan); none when no device has a row to measure, or they extract there. */
static enum xs_status models_for_devices(struct sweep *sw, struct job *jobs,
					 struct xs_error *err)
{
	const size_t nm = sw->ship.nmodels;
	if (sw->o->extract_on_device || nm == 0)
		return XS_OK;
	bool *want = calloc(nm, sizeof(*want));
	if (want == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t i = 0; i < sw->sum->ndevices; i++)
		for (size_t k = 0; jobs[i].planned && jobs[i].plan.rows && k < nm; k++)
			want[k] = want[k] || jobs[i].plan.want[k];
	const size_t todo = models_todo(sw, want);
	for (size_t i = 0; todo && i < sw->sum->ndevices; i++)  /* why they wait */
		if (jobs[i].planned && jobs[i].plan.rows)
			state(&jobs[i], XF_SWEEP_PHASE_STAGE, "waiting (the host "
			      "extracts %zu sub-model%s)", todo, todo > 1 ? "s" : "");
	enum xs_status st = models_prepare(sw, want, err);
	free(want);
	return st;
}

/* The reference's model of sub-net i in prec: the staged file, which the
 * devices run too. */
static enum xs_status staged_model(void *ctx, size_t i, enum xs_precision prec,
				   struct xs_model **out, struct xs_error *err)
{
	const struct sweep *sw = ctx;
	const struct xf_ship *sh = &sw->ship;
	for (size_t k = i * sh->nprecs; k < (i + 1) * sh->nprecs && k < sh->nmodels; k++)
		if (sh->models[k].precision == prec)
			return sh->models[k].built ? xs_model_load(sh->models[k].path, out, NULL, err)
				: xf_error_set(err, XS_EINVAL, "%.200s %s: not extracted",
					       sh->models[k].arch, xs_precision_name(prec));
	return xf_error_set(err, XS_EINVAL, "sub-net %zu: not staged", i);
}

/* The host's reference (top-1 on the whole test set and the logits the
 * devices compare theirs with, once per sub-net, kept in the DB) as
 * sw->ref. With host extraction, the sub-models it lacks are extracted first
 * and it evaluates those files: a sub-net is extracted once per sweep. */
static enum xs_status reference_prepare(struct sweep *sw, struct xs_error *err)
{
	struct xf_sweep_summary *s = sw->sum;
	const bool here = !sw->o->extract_on_device;
	struct xs_error e;
	bool written, *lack = NULL;
	enum xs_status st = XS_OK;
	if (here && (lack = calloc(sw->ship.nmodels + 1, sizeof(*lack))) == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	if (here && (st = xf_reference_lacking(sw->db, sw->sn, sw->subnet_ids, s->narchs,
					       sw->data.eval, sw->precision, lack, &e)) == XS_OK)
		st = models_prepare(sw, lack, &e);
	free(lack);
	if (st == XS_OK)
		st = xf_reference_update(sw->db, sw->sn, (const char (*)[XS_ARCH_MAX])s->archs,
					 sw->subnet_ids, s->narchs, sw->data.calib,
					 sw->data.train_labels, sw->data.eval, sw->data.labels,
					 sw->precision, xf_cpus(), sw->ref, &written,
					 here ? staged_model : NULL, reference_line, sw, &e);
	if (st != XS_OK || !written)
		sw->ref[0] = '\0';
	return st == XS_OK ? XS_OK : xf_error_set(err, XS_EIO, "host reference: %s", e.msg);
}

/* In the staging folder (ship.h): the space's text, the sub-models' names
 * (unless the devices extract theirs; built for the reference and for the
 * devices' plans: models_for_devices), the host's reference and the
 * compact test images. */
static enum xs_status files_prepare(struct sweep *sw, struct xs_error *err)
{
	struct xf_sweep_summary *s = sw->sum;
	enum xs_status st = xf_ship_init(&sw->ship, err);
	if (st != XS_OK)
		return st;
	snprintf(sw->ref, sizeof(sw->ref), "%.3000s/reference.csv", sw->ship.dir);
	snprintf(sw->space, sizeof(sw->space), "%.3000s/space.txt", sw->ship.dir);
	char text[8192];
	size_t tl = xs_space_print(&sw->sn->space, text, sizeof(text));
	if (tl >= sizeof(text) || xf_file_write(sw->space, (const uint8_t *)text, tl, err) != XS_OK)
		return tl >= sizeof(text) ? xf_error_set(err, XS_EINVAL, "the space's text is over "
							 "%zu bytes", sizeof(text)) : XS_EIO;
	if (!sw->o->extract_on_device &&
	    (st = xf_ship_models_init(&sw->ship, (const char (*)[XS_ARCH_MAX])s->archs, s->narchs,
				      sw->precs, sw->nprecs, err)) != XS_OK)
		return st;
	if ((st = reference_prepare(sw, err)) != XS_OK)
		return st;
	return eval_prepare(sw, err);
}

/* How the devices run. Those on this host's CPUs (this host, qemu-user,
 * loopback adb) share one lane and run one after another, this host first:
 * a timing taken while another agent computes on the same cores says nothing.
 * The others (phones, boards) are taken by a pool of at most sw->jobs
 * workers beside that lane. Each pass (probe, then measure) runs the lanes
 * to their end. Statuses are read only after every thread is joined. */
struct lanes {
	struct job *jobs;
	size_t n;
	bool measure;                /* pass 2 (device_run), else pass 1 (device_prepare) */
	pthread_mutex_t lock;
	size_t next;                 /* the next remote job to start */
};

/* Whether j is the lane's (on_host: the host lane's, else the pool's) and
 * still to run. Its lane first: the other lane's jobs are being written by
 * their threads meanwhile, and on_host stays as found. */
static bool runnable(const struct lanes *l, const struct job *j, bool on_host)
{
	if (j->dev.on_host != on_host)
		return false;
	return l->measure ? j->probed && !j->finished : j->out->status == XF_SWEEP_PENDING;
}

static void lane_job(const struct lanes *l, struct job *j)
{
	if (l->measure)
		device_run(j);
	else
		device_prepare(j);
}

static void *host_lane(void *p)
{
	struct lanes *l = p;
	for (int local = 1; local >= 0; local--)  /* this host first, then the others */
		for (size_t i = 0; i < l->n; i++)
			if (runnable(l, &l->jobs[i], true) &&
			    (l->jobs[i].dev.ops == &xf_transport_local) == (local == 1))
				lane_job(l, &l->jobs[i]);
	return NULL;
}

static void *remote_worker(void *p)
{
	struct lanes *l = p;
	for (;;) {
		struct job *j = NULL;
		pthread_mutex_lock(&l->lock);
		while (l->next < l->n && !runnable(l, &l->jobs[l->next], false))
			l->next++;
		if (l->next < l->n)
			j = &l->jobs[l->next++];
		pthread_mutex_unlock(&l->lock);
		if (j == NULL)
			return NULL;
		lane_job(l, j);
	}
}

/* Workers for the remote devices: opts->jobs, else XF_SWEEP_JOBS_PER_SERVER
 * per adb server; never more than there are such devices. */
static size_t workers_for(const struct sweep *sw, size_t nremote)
{
	const struct xf_sweep_opts *o = sw->o;
	size_t servers = o->nadb_servers ? o->nadb_servers : 1;
	size_t w = o->jobs ? o->jobs : XF_SWEEP_JOBS_PER_SERVER * servers;
	return w < nremote ? w : nremote;
}

/* One pass over the devices: the host lane and the pool, to their end. */
static enum xs_status pass_run(struct sweep *sw, struct job *jobs, bool measure,
			       struct xs_error *err)
{
	struct xf_sweep_summary *s = sw->sum;
	struct lanes l = {.jobs = jobs, .n = s->ndevices, .measure = measure};
	size_t nhost = 0, nremote = 0;
	for (size_t i = 0; i < s->ndevices; i++) {
		nhost += runnable(&l, &jobs[i], true);
		nremote += runnable(&l, &jobs[i], false);
	}
	size_t nw = workers_for(sw, nremote);
	pthread_t *threads = calloc(nw + 1, sizeof(*threads));
	if (threads == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	pthread_mutex_init(&l.lock, NULL);
	/* the lane's others say that they wait */
	bool local = false, first = true;
	for (size_t i = 0; i < s->ndevices; i++)
		local = local || (runnable(&l, &jobs[i], true) &&
				  jobs[i].dev.ops == &xf_transport_local);
	for (size_t i = 0; i < s->ndevices; i++) {
		if (!runnable(&l, &jobs[i], true))
			continue;
		bool runs_now = local ? jobs[i].dev.ops == &xf_transport_local : first;
		if (!runs_now)
			state(&jobs[i], XF_SWEEP_PHASE_STAGE, "waiting (on this host's CPUs)");
		first = false;
	}
	/* threads[0]: the host lane; threads[1..]: the pool. A thread that
	 * cannot start leaves its work to the others; with none at all, this
	 * thread does it (the host lane last, so the pool's devices start). */
	size_t started = 0;
	bool lane = nhost && pthread_create(&threads[0], NULL, host_lane, &l) == 0;
	for (size_t k = 0; k < nw; k++)
		started += pthread_create(&threads[1 + started], NULL, remote_worker, &l) == 0;
	if (nremote && started == 0)
		remote_worker(&l);
	if (nhost && !lane)
		host_lane(&l);
	if (lane)
		pthread_join(threads[0], NULL);
	for (size_t k = 0; k < started; k++)
		pthread_join(threads[1 + k], NULL);
	free(threads);
	pthread_mutex_destroy(&l.lock);
	return XS_OK;
}

/* Runs every usable device: the probes and plans, the sub-models they lack
 * extracted here, the measuring; then ends the sweep's row. When the
 * extraction fails no device measures (none has a run): each probed one is
 * failed with its error, and so is the call. */
static enum xs_status jobs_run(struct sweep *sw, struct job *jobs, struct xs_error *err)
{
	struct xf_sweep_summary *s = sw->sum;
	struct xf_sweep_event ev = {.kind = XF_SWEEP_EV_START};
	emit(sw, &ev);
	for (size_t i = 0; i < s->ndevices; i++)
		if (s->devices[i].status == XF_SWEEP_UNAVAILABLE) {
			struct xf_sweep_event u = {.kind = XF_SWEEP_EV_UNAVAILABLE, .index = i,
						   .device = &s->devices[i],
						   .text = s->devices[i].error};
			emit(sw, &u);
		}
	enum xs_status st = pass_run(sw, jobs, false, err);
	if (st == XS_OK)
		st = models_for_devices(sw, jobs, err);
	if (st == XS_OK)
		st = pass_run(sw, jobs, true, err);
	for (size_t i = 0; i < s->ndevices; i++)  /* probed, no run: st says why */
		if (jobs[i].probed && !jobs[i].finished) {
			if (jobs[i].out->error[0] == '\0')
				job_error(&jobs[i], "%s", err ? err->msg : "not measured");
			device_finish(&jobs[i]);
		}
	size_t done = 0;
	for (size_t i = 0; i < s->ndevices; i++)
		done += s->devices[i].status == XF_SWEEP_DONE ||
			s->devices[i].status == XF_SWEEP_SKIPPED;
	if (fdb_begin(sw->db) == XS_OK &&
	    fdb_sweep_end(sw->db, s->sweep_id, done == s->ndevices ? "done" : "incomplete") == XS_OK)
		fdb_commit(sw->db);
	else
		fdb_rollback(sw->db);
	return st;
}

static void totals(struct xf_sweep_summary *s)
{
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct xf_sweep_device *d = &s->devices[i];
		s->by_status[d->status]++;
		s->kernel_rows += d->kernel_rows;
		s->subnet_rows += d->subnet_rows;
		s->stored += d->stored;
		s->clean += d->clean;
		s->throttled += d->throttled;
		s->noisy += d->noisy;
		s->budget += d->budget;
		s->untimed += d->untimed;
		s->staged_bytes += d->staged_bytes;
		s->pushed_bytes += d->pushed_bytes;
	}
}

/* Checks and completes the options into sw (defaults, the precision list). */
static enum xs_status opts_read(struct sweep *sw, const struct xf_sweep_opts *o,
				struct xs_error *err)
{
	sw->o = o;
	sw->supernet_path = o->supernet_path ? o->supernet_path : XF_DEFAULT_SUPERNET;
	sw->threads = o->threads ? o->threads : "1";
	enum xs_precision pl[2];
	size_t np;
	if (!xf_precision_list_parse(o->precision ? o->precision : "f32", pl, &np))
		return xf_error_set(err, XS_EINVAL, "precision '%s': give f32, int8 or f32,int8",
				    o->precision);
	snprintf(sw->precision, sizeof(sw->precision), "%s%s%s", xs_precision_name(pl[0]),
		 np > 1 ? "," : "", np > 1 ? xs_precision_name(pl[1]) : "");
	memcpy(sw->precs, pl, sizeof(pl));
	sw->nprecs = np;
	if (!o->dry_run && o->db == NULL)
		return xf_error_set(err, XS_EINVAL, "no device DB to write to");
	sw->db = o->db;
	return XS_OK;
}

enum xs_status xf_sweep_run(const struct xf_sweep_opts *opts, xf_sweep_progress_fn progress,
			    void *ctx, struct xf_sweep_summary *summary, struct xs_error *err)
{
	struct sweep sw = {.progress = progress, .ctx = ctx, .sum = summary};
	struct xs_supernet *own_sn = NULL;
	struct xf_devexpr *all = NULL;
	struct job *jobs = NULL;
	memset(summary, 0, sizeof(*summary));
	summary->sweep_id = -1;
	pthread_mutex_init(&sw.lock, NULL);
	pthread_mutex_init(&sw.ui, NULL);
	enum xs_status st = opts_read(&sw, opts, err);
	if (st == XS_OK && (sw.expr = opts->devices) == NULL)
		st = xf_devexpr_parse("all", &all, err);
	sw.expr = sw.expr ? sw.expr : all;
	if (st == XS_OK && (sw.sn = opts->supernet) == NULL) {
		st = xs_supernet_load(sw.supernet_path, &own_sn, err);
		sw.sn = own_sn;
	}
	if (st == XS_OK)
		st = choose_subnets(opts, &sw.sn->space, summary, err);
	if (st == XS_OK)
		st = xf_data_stage(&sw.data, err);
	if (st == XS_OK)
		st = devices_match(&sw, &jobs, err);
	if (st != XS_OK || opts->dry_run)
		goto out;
	if ((st = db_prepare(&sw, err)) == XS_OK && (st = files_prepare(&sw, err)) == XS_OK)
		st = jobs_run(&sw, jobs, err);
out:
	xf_ship_release(&sw.ship);
	totals(summary);
	free(jobs);
	free(sw.subnet_ids);
	xs_supernet_destroy(own_sn);
	xf_devexpr_destroy(all);
	pthread_mutex_destroy(&sw.lock);
	pthread_mutex_destroy(&sw.ui);
	return st;
}
