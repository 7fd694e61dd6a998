/* test-sweep.c - xf_sweep_run (harness/sweep.c) on this host's device (the
 * real agent, build/bin/xnn-agent) with two small sub-nets into a fresh
 * SQLite file: the device, its kernel table and its sub-net rows are in the
 * DB as the summary counts them, the callback saw the device run and finish
 * (the kernel table's row count known before its first row);
 * the sub-models were extracted here once, for the reference and the
 * device, and run as they are (their sha256 in the rows), and what the
 * device was given is counted and stored with its run; a resumed sweep stores nothing new and extracts nothing, one that
 * lacks one row extracts that sub-model only; int8 extracted on the device
 * gives the bytes extracted here; no staging folder is left; a dry run
 * stores nothing; an expression that matches no device says which there
 * are. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "data.h"
#include "sweep.h"
#include "util.h"

static char dir[PATH_MAX], db_path[PATH_MAX + 16];

static const char *const archs[] = {"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
				    "r20-d1.1.1.1-s1:e2k5-s2:e2k5-s3:e2k5-s4:e2k5"};

/* xf_devices_here looks for the agent next to the running program: here,
 * build/tests/; the build's is build/bin/xnn-agent. */
static int setup(void **state)
{
	(void)state;
	char exe[PATH_MAX], agent[PATH_MAX + 16], built[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(agent, sizeof(agent), "%s/xnn-agent", exe);
	snprintf(built, sizeof(built), "%s/../bin/xnn-agent", exe);
	if (access(built, X_OK) != 0) {
		fprintf(stderr, "test-sweep: no agent at %s (make it first)\n", built);
		return -1;
	}
	if (access(agent, X_OK) != 0 && symlink("../bin/xnn-agent", agent) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/test-sweep-XXXXXX", xf_tmpdir());
	if (mkdtemp(dir) == NULL)
		return -1;
	/* the sweep's staging folders in the test's own: teardown sees them gone */
	if (setenv("TMPDIR", dir, 1) != 0)
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/fleet.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[PATH_MAX + 32];
	static const char *const files[] = {"fleet.db", "fleet.db-wal", "fleet.db-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	if (rmdir(dir) != 0) {
		fprintf(stderr, "test-sweep: '%s' is not empty (a staging folder left?)\n", dir);
		return -1;
	}
	return 0;
}

static void exec_sql(const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;
	assert_int_equal(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(h);
}

static int64_t q(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t v = -1;
	assert_int_equal(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* What the callback saw. */
struct seen {
	size_t notes, start, states, kernels, results, finished, extracted;
	enum xf_sweep_status finished_status;
	char last_state[160];
	bool probe, subnets_phase;
	bool reference_unextracted;  /* a reference line came before any extraction */
	bool kernel_todo_first;      /* the kernel rows' count was known before the first */
	bool waited;                 /* the device said it waits for the host's extraction */
};

static void on_event(void *ctx, const struct xf_sweep_event *ev)
{
	struct seen *s = ctx;
	assert_non_null(ev->summary);
	switch (ev->kind) {
	case XF_SWEEP_EV_NOTES: s->notes++; break;
	case XF_SWEEP_EV_REFERENCE: s->reference_unextracted |= s->extracted == 0; break;
	case XF_SWEEP_EV_EXTRACT: s->extracted++; break;
	case XF_SWEEP_EV_START:
		s->start++;
		assert_true(ev->summary->sweep_id > 0);
		break;
	case XF_SWEEP_EV_UNAVAILABLE: fail_msg("host unavailable: %s", ev->text); break;
	case XF_SWEEP_EV_STATE:
		s->states++;
		s->probe |= ev->phase == XF_SWEEP_PHASE_PROBE;
		s->subnets_phase |= ev->phase == XF_SWEEP_PHASE_SUBNETS;
		snprintf(s->last_state, sizeof(s->last_state), "%s", ev->text);
		s->waited |= strcmp(ev->text, "waiting (the host extracts 1 sub-model)") == 0;
		break;
	case XF_SWEEP_EV_KERNELS:
		s->kernel_todo_first |= ev->device->kernel_rows == 0 && ev->device->kernel_todo > 0;
		s->kernels += ev->device->kernel_rows > 0;
		break;
	case XF_SWEEP_EV_RESULT:
		s->results++;
		assert_string_equal(ev->device->serial, "host");
		assert_true(ev->result->median_ms > 0);
		assert_true(strcmp(ev->key->precision, "f32") == 0 ||
			    strcmp(ev->key->precision, "int8") == 0);
		assert_true(strcmp(ev->arch, archs[0]) == 0 || strcmp(ev->arch, archs[1]) == 0);
		break;
	case XF_SWEEP_EV_FINISHED:
		s->finished++;
		s->finished_status = ev->device->status;
		break;
	}
}

/* The rows in precision prec whose sha256 is that of the sub-model the host
 * makes of their sub-net (as xnn-fleet supernet extract does). */
static int64_t rows_with_host_bytes(const char *prec)
{
	struct xs_error err;
	struct xf_data data;
	struct xs_supernet *sn;
	struct xs_idx *calib;
	assert_int_equal(xf_data_stage(&data, &err), XS_OK);
	assert_int_equal(xs_supernet_load("models/fmnist-ofa.xsn", &sn, &err), XS_OK);
	assert_int_equal(xs_idx_load(data.calib, 3, &calib, &err), XS_OK);
	int64_t n = 0;
	for (size_t i = 0; i < 2; i++) {
		struct xs_arch a;
		struct xs_model *m = NULL, *q8 = NULL;
		assert_int_equal(xs_arch_parse(&sn->space, archs[i], &a, &err), XS_OK);
		assert_int_equal(xs_model_extract(sn, &a, calib, NULL, &m, &err), XS_OK);
		if (strcmp(prec, "int8") == 0) {
			struct xs_quant_options qo;
			xs_quant_options_default(&qo);
			assert_int_equal(xs_model_quantize(m, calib, &qo, sn->space.recal_images, NULL,
							   &q8, &err), XS_OK);
		}
		uint8_t sum[32];
		char hex[65], sql[400];
		assert_int_equal(xs_model_sha256(q8 ? q8 : m, sum, &err), XS_OK);
		xs_sha256_hex(sum, hex);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM subnet_results r JOIN subnets s ON "
			 "s.id = r.subnet_id WHERE s.arch = '%s' AND r.precision = '%s' AND "
			 "r.xnm_sha256 = '%s'", archs[i], prec, hex);
		n += q(sql);
		xs_model_destroy(m);
		xs_model_destroy(q8);
	}
	xs_idx_destroy(calib);
	xs_supernet_destroy(sn);
	return n;
}

/* The options of the test's sweeps: this host only, the two sub-nets. */
static void opts_init(struct xf_sweep_opts *o, struct xf_devexpr *host, struct fdb *db)
{
	*o = (struct xf_sweep_opts){.devices = host, .supernet_path = "models/fmnist-ofa.xsn",
				    .archs = archs, .narchs = 2, .eval_n = 100, .quick = true,
				    .precision = "f32", .no_adb = true, .db = db};
}

static void test_sweep_host(void **state)
{
	(void)state;
	struct xs_error err;
	struct xf_devexpr *host;
	const char *serial = "host";
	assert_int_equal(xf_devexpr_serials(&serial, 1, &host, &err), XS_OK);
	struct fdb *db;
	assert_int_equal(fdb_open(db_path, FDB_WRITE, &db, NULL, 0), XS_OK);
	struct xf_sweep_opts o;
	opts_init(&o, host, db);
	struct seen seen = {0};
	struct xf_sweep_summary sum;
	if (xf_sweep_run(&o, on_event, &seen, &sum, &err) != XS_OK)
		fail_msg("sweep: %s", err.msg);
	assert_int_equal(sum.ndevices, 1);
	const struct xf_sweep_device *d = &sum.devices[0];
	assert_string_equal(d->serial, "host");
	assert_string_equal(d->transport, "local");
	if (d->status != XF_SWEEP_DONE)
		fail_msg("host: %s: %s", xf_sweep_status_name(d->status), d->error);
	assert_string_equal(d->error, "");
	assert_int_equal(sum.narchs, 2);
	assert_int_equal(d->subnet_rows, 2);
	assert_int_equal(d->todo, 2);
	assert_true(d->kernel_rows > 100);          /* 196 for this space */
	assert_int_equal(d->kernel_todo, d->kernel_rows);  /* as the agent said first */
	assert_true(seen.kernel_todo_first);
	assert_int_equal(d->stored, d->kernel_rows + 2);
	assert_int_equal(d->clean + d->noisy + d->throttled + d->budget >= 2, true);
	assert_int_equal(sum.by_status[XF_SWEEP_DONE], 1);
	assert_int_equal(sum.stored, d->stored);
	/* the callback saw it run and finish */
	assert_int_equal(seen.start, 1);
	assert_true(seen.probe && seen.subnets_phase);
	assert_int_equal(seen.kernels, d->kernel_rows);
	assert_int_equal(seen.results, 2);
	assert_int_equal(seen.finished, 1);
	assert_int_equal(seen.finished_status, XF_SWEEP_DONE);
	/* the DB: the device, its kernel table, its sub-net rows, the run */
	assert_int_equal(q("SELECT count(*) FROM devices WHERE serial = 'host' AND transport = "
			   "'local' AND abi = 'x86_64' AND emulated = 0"), 1);
	assert_int_equal(q("SELECT count(*) FROM kernel_results"), (int64_t)d->kernel_rows);
	assert_int_equal(q("SELECT count(*) FROM subnet_results WHERE status = 'ok' AND "
			   "precision = 'f32' AND eval_images = 100 AND median_ms > 0"), 2);
	assert_int_equal(q("SELECT count(*) FROM subnet_results WHERE flags LIKE '%clean%'"),
			 (int64_t)d->clean);
	assert_int_equal(q("SELECT count(DISTINCT subnet_id) FROM subnet_results"), 2);
	assert_int_equal(q("SELECT count(*) FROM runs WHERE status = 'done'"), 1);
	assert_int_equal(q("SELECT count(*) FROM sweeps WHERE status = 'done'"), 1);
	assert_int_equal(q("SELECT max(id) FROM sweeps"), sum.sweep_id);
	/* the host's reference: top-1 on the test set, the logits compared */
	assert_int_equal(q("SELECT count(*) FROM subnets WHERE test_top1 BETWEEN 80 AND 100"), 2);
	assert_int_equal(q("SELECT count(*) FROM subnet_results WHERE max_logit_diff = 0"), 2);
	/* extracted here once (two lines and the total), before the reference
	 * evaluates those files, run as they are: the rows carry the sha256 of
	 * the models the host makes */
	assert_int_equal(seen.extracted, 3);
	assert_false(seen.reference_unextracted);
	assert_int_equal(rows_with_host_bytes("f32"), 2);
	/* what it was given: the agent, the supernet (its kernel table), the
	 * test images and labels, the reference, the models list, two models;
	 * used where they are, none copied; the run row keeps the count */
	assert_int_equal(d->staged_files, 8);
	assert_true(d->staged_bytes > 1000000);
	assert_int_equal(d->pushed_files, 0);
	assert_int_equal(d->pushed_bytes, 0);
	assert_int_equal(sum.staged_bytes, d->staged_bytes);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE conditions = 'staged_bytes=%lld "
		 "staged_files=8 pushed_bytes=0 pushed_files=0 models=host'", d->staged_bytes);
	assert_int_equal(q(sql), 1);
	xf_sweep_summary_release(&sum);

	/* resume: nothing left to measure, nothing new */
	o.resume = true;
	memset(&seen, 0, sizeof(seen));
	if (xf_sweep_run(&o, on_event, &seen, &sum, &err) != XS_OK)
		fail_msg("resumed sweep: %s", err.msg);
	assert_int_equal(sum.devices[0].status, XF_SWEEP_DONE);
	assert_int_equal(sum.stored, 0);
	assert_int_equal(sum.kernel_rows + sum.subnet_rows, 0);
	assert_int_equal(seen.finished, 1);
	assert_int_equal(seen.results, 0);
	assert_int_equal(q("SELECT count(*) FROM subnet_results"), 2);
	assert_int_equal(q("SELECT count(*) FROM sweeps"), 2);
	assert_int_equal(seen.extracted, 0);  /* nothing to run: nothing extracted */
	xf_sweep_summary_release(&sum);

	/* resume with a cut kernel table (every third piece gone, as a device
	 * dropped mid-stream leaves some): exactly the missing pieces */
	const int64_t ktotal = q("SELECT count(*) FROM kernel_results");
	exec_sql("DELETE FROM kernel_results WHERE id % 3 = 0");
	const int64_t kleft = q("SELECT count(*) FROM kernel_results");
	assert_true(kleft > 0 && kleft < ktotal);
	memset(&seen, 0, sizeof(seen));
	if (xf_sweep_run(&o, on_event, &seen, &sum, &err) != XS_OK)
		fail_msg("resumed sweep: %s", err.msg);
	assert_int_equal(sum.devices[0].status, XF_SWEEP_DONE);
	assert_int_equal(sum.kernel_rows, ktotal - kleft);
	assert_int_equal(sum.devices[0].kernel_todo, ktotal - kleft);  /* as the agent said */
	assert_int_equal(sum.stored, ktotal - kleft);
	assert_int_equal(q("SELECT count(*) FROM kernel_results"), ktotal);
	xf_sweep_summary_release(&sum);

	/* resume with one row gone: that sub-model only (a line and the total) */
	char del[300];
	snprintf(del, sizeof(del), "DELETE FROM subnet_results WHERE subnet_id = (SELECT id FROM "
		 "subnets WHERE arch = '%s')", archs[1]);
	exec_sql(del);
	memset(&seen, 0, sizeof(seen));
	if (xf_sweep_run(&o, on_event, &seen, &sum, &err) != XS_OK)
		fail_msg("resumed sweep: %s", err.msg);
	assert_int_equal(sum.devices[0].status, XF_SWEEP_DONE);
	assert_int_equal(seen.extracted, 2);
	assert_true(seen.waited);
	assert_int_equal(seen.results, 1);
	assert_int_equal(sum.stored, 1);
	assert_int_equal(sum.kernel_rows, 0);
	assert_int_equal(rows_with_host_bytes("f32"), 2);
	xf_sweep_summary_release(&sum);

	/* int8 beside, extracted by the agent (the training images go too):
	 * the same bytes as the host's int8 extraction of the same sub-nets */
	o.precision = "f32,int8";
	o.extract_on_device = true;
	memset(&seen, 0, sizeof(seen));
	if (xf_sweep_run(&o, on_event, &seen, &sum, &err) != XS_OK)
		fail_msg("sweep on the device: %s", err.msg);
	d = &sum.devices[0];
	if (d->status != XF_SWEEP_DONE)
		fail_msg("host: %s: %s", xf_sweep_status_name(d->status), d->error);
	assert_int_equal(seen.extracted, 0);
	/* the agent measures each listed sub-net in both precisions; only the
	 * int8 rows were missing */
	assert_int_equal(seen.results, 4);
	assert_int_equal(d->stored, 2);
	assert_int_equal(q("SELECT count(*) FROM subnet_results WHERE precision = 'int8'"), 2);
	assert_int_equal(q("SELECT count(*) FROM runs WHERE conditions LIKE '% models=device'"), 1);
	assert_true(d->staged_bytes > 47000000);  /* the training images */
	xf_sweep_summary_release(&sum);
	assert_int_equal(rows_with_host_bytes("int8"), 2);

	/* by DB device ids (select's measuring): a device whose row is none of
	 * them is probed and skipped, nothing measured; its own id runs it */
	int64_t ids[] = {q("SELECT max(id) FROM devices") + 1, q("SELECT id FROM devices")};
	o.device_ids = ids;
	o.ndevice_ids = 1;
	o.extract_on_device = false;
	o.resume = false;
	o.precision = "f32";
	if (xf_sweep_run(&o, NULL, NULL, &sum, &err) != XS_OK)
		fail_msg("sweep by id: %s", err.msg);
	assert_int_equal(sum.devices[0].status, XF_SWEEP_SKIPPED);
	assert_int_equal(sum.stored + sum.subnet_rows + sum.kernel_rows, 0);
	xf_sweep_summary_release(&sum);
	o.device_ids = ids + 1;
	o.resume = true;
	if (xf_sweep_run(&o, NULL, NULL, &sum, &err) != XS_OK)
		fail_msg("sweep by id: %s", err.msg);
	assert_int_equal(sum.devices[0].status, XF_SWEEP_DONE);
	xf_sweep_summary_release(&sum);
	fdb_close(db);
	xf_devexpr_destroy(host);
}

static void test_dry_run_and_no_match(void **state)
{
	(void)state;
	struct xs_error err;
	struct xf_devexpr *e;
	assert_int_equal(xf_devexpr_parse("transport=~^local$", &e, &err), XS_OK);
	struct xf_sweep_opts o;
	opts_init(&o, e, NULL);
	o.dry_run = true;
	o.archs = NULL;
	o.narchs = 0;
	o.subnets = "3";
	struct xf_sweep_summary sum;
	assert_int_equal(xf_sweep_run(&o, NULL, NULL, &sum, &err), XS_OK);
	assert_int_equal(sum.ndevices, 1);
	assert_string_equal(sum.devices[0].serial, "host");
	assert_int_equal(sum.devices[0].status, XF_SWEEP_PENDING);
	assert_int_equal(sum.sweep_id, -1);
	/* the largest, the smallest, one between */
	assert_int_equal(sum.narchs, 3);
	assert_int_equal(sum.macs[0], 14541856);
	assert_int_equal(sum.macs[1], 1037056);
	assert_true(sum.macs[2] > sum.macs[1] && sum.macs[2] < sum.macs[0]);
	xf_sweep_summary_release(&sum);
	xf_devexpr_destroy(e);
	/* no device: one error naming what there is */
	assert_int_equal(xf_devexpr_parse("pixel9", &e, &err), XS_OK);
	o.devices = e;
	assert_int_equal(xf_sweep_run(&o, NULL, NULL, &sum, &err), XS_EINVAL);
	assert_true(sum.no_match);
	assert_non_null(strstr(err.msg, "no device matches 'pixel9'; found: host"));
	xf_sweep_summary_release(&sum);
	xf_devexpr_destroy(e);
	/* a device named that is not there is an error, not a warning */
	assert_int_equal(xf_devexpr_parse("host,pixel9", &e, &err), XS_OK);
	o.devices = e;
	assert_int_equal(xf_sweep_run(&o, NULL, NULL, &sum, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "--devices names 'pixel9', which is not found (found: "
				      "host"));
	xf_sweep_summary_release(&sum);
	xf_devexpr_destroy(e);
	/* bad expressions */
	assert_int_equal(xf_devexpr_parse("colour=~x", &e, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "'colour' is not a field"));
	assert_int_equal(xf_devexpr_parse("serial=~(", &e, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "the pattern is bad"));
}

static void test_devexpr(void **state)
{
	(void)state;
	struct xf_devexpr *e;
	assert_int_equal(xf_devexpr_parse("a,b", &e, NULL), XS_OK);
	assert_true(xf_devexpr_match(e, "serial", "b"));
	assert_false(xf_devexpr_match(e, "serial", "c"));
	assert_true(xf_devexpr_match(e, "abi", "anything"));
	assert_string_equal(xf_devexpr_text(e), "a,b");
	xf_devexpr_destroy(e);
	/* an explicit list: serials may hold commas */
	const char *s[] = {"x,y", "127.0.0.1:5555"};
	assert_int_equal(xf_devexpr_serials(s, 2, &e, NULL), XS_OK);
	assert_true(xf_devexpr_match(e, "serial", "x,y"));
	assert_false(xf_devexpr_match(e, "serial", "x"));
	struct xf_device d = {.transport = "adb", .serial = "R58", .abi = "arm64-v8a",
			      .alias = "127.0.0.1:5555"};
	assert_true(xf_devexpr_match_device(e, &d));  /* by the adb server's name */
	xf_devexpr_destroy(e);
	assert_int_equal(xf_devexpr_parse("abi=~^arm", &e, NULL), XS_OK);
	assert_true(xf_devexpr_match_device(e, &d));
	snprintf(d.abi, sizeof(d.abi), "x86_64");
	assert_false(xf_devexpr_match_device(e, &d));
	xf_devexpr_destroy(e);
	assert_int_equal(xf_devexpr_parse("model=~Pixel", &e, NULL), XS_OK);
	assert_true(xf_devexpr_match_device(e, &d));  /* model not known yet: the probe decides */
	assert_false(xf_devexpr_match(e, "model", "Galaxy"));
	/* an unauthorized or offline device (no model): no match for a model */
	snprintf(d.problem, sizeof(d.problem), "unauthorized: accept the prompt");
	assert_false(xf_devexpr_match_device(e, &d));
	snprintf(d.model, sizeof(d.model), "Pixel 7");
	assert_true(xf_devexpr_match_device(e, &d));
	xf_devexpr_destroy(e);
	/* other fields: an unusable device is listed as it is */
	assert_int_equal(xf_devexpr_parse("abi=~86", &e, NULL), XS_OK);
	d.model[0] = '\0';
	assert_true(xf_devexpr_match_device(e, &d));
	assert_false(xf_devexpr_about(e, "model"));
	assert_int_equal(xf_devexpr_serial_count(e), 0);
	xf_devexpr_destroy(e);
	assert_int_equal(xf_devexpr_parse("host,qemu-aarch64", &e, NULL), XS_OK);
	assert_int_equal(xf_devexpr_serial_count(e), 2);
	assert_string_equal(xf_devexpr_serial(e, 1), "qemu-aarch64");
	assert_null(xf_devexpr_serial(e, 2));
	xf_devexpr_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devexpr),
		cmocka_unit_test(test_dry_run_and_no_match),
		cmocka_unit_test(test_sweep_host),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
