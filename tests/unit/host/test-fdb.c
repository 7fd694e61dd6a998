/* test-fdb.c - the device DB on real SQLite files: creation with WAL and
 * the schema, upserts keyed by identity, a newer schema refused for
 * writing, files that are not a DB or are damaged, read-only handles; the
 * result columns' lists (fdb-columns.h) against the tables, the result
 * batches (duplicates, a failing row, one transaction), the export's rows,
 * the merge; and the simulated fleet (harness/simulate.h) it stores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <math.h>
#include <stdbool.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fdb.h"
#include "fdb-columns.h"
#include "fdb-internal.h"  /* the handle's sqlite3 (the commit hook) */
#include "simulate.h"
#include "util.h"

static char dir[512];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/fdb-test-XXXXXX", xf_tmpdir());
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char p[600];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* The first column of sql's first row on path; -1 when there is none. */
static int64_t query_int(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t v = -1;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* fdb_export_csv's text (malloc'd) and its rows. */
static char *export_csv(struct fdb *db, int64_t *rows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	assert_non_null(mf);
	assert_int_equal(fdb_export_csv(db, mf, rows), XS_OK);
	fclose(mf);
	return buf;
}

static void test_create_and_upsert(void **state)
{
	(void)state;
	const char *p = path_of("fleet.db");
	struct fdb *db;
	char msg[512];
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	assert_int_equal(fdb_schema_version(db), FDB_SCHEMA_VERSION);
	struct fdb_device d = {"adb", "R58M<b>&'x\"", "google/raven:14", "Pixel 6 Pro",
			       "Google", "gs101", "arm64-v8a", "Android 14", 8,
			       "0 1 2 3:256:1803000;4 5:512:2253000;6 7:1024:2802000",
			       12000000000, false, false, "key,value\nabi,arm64-v8a\n"};
	int64_t id1, id2, id3;
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_device_upsert(db, &d, &id1), XS_OK);
	d.model = "Pixel 6 Pro (renamed)";
	assert_int_equal(fdb_device_upsert(db, &d, &id2), XS_OK);
	assert_int_equal(id1, id2);  /* same identity, one row */
	d.fingerprint = "google/raven:15";
	assert_int_equal(fdb_device_upsert(db, &d, &id3), XS_OK);
	assert_int_not_equal(id1, id3);  /* a new OS build is another device row */
	int64_t sn, s1, s2;
	assert_int_equal(fdb_supernet_upsert(db, "fmnist-ofa", "742e60", "name=fmnist-ofa\n", &sn),
			 XS_OK);
	assert_int_equal(fdb_subnet_upsert(db, sn, "r20-d1.1.1.1", 1037056, 57258, &s1), XS_OK);
	assert_int_equal(fdb_subnet_upsert(db, sn, "r20-d1.1.1.1", 1037056, 57258, &s2), XS_OK);
	assert_int_equal(s1, s2);
	/* a foreign key that points nowhere is refused */
	assert_int_equal(fdb_subnet_upsert(db, sn + 100, "r20-x", 1, 1, &s2), XS_EIO);
	assert_non_null(strstr(fdb_errmsg(db), "FOREIGN KEY"));
	assert_int_equal(fdb_commit(db), XS_OK);
	struct fdb_counts c;
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.devices, 2);
	assert_int_equal(c.supernets, 1);
	assert_int_equal(c.subnets, 1);
	fdb_close(db);
	/* what is on disk: WAL, the version, the strings as given */
	assert_int_equal(query_int(p, "PRAGMA user_version"), FDB_SCHEMA_VERSION);
	sqlite3 *h;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT serial, model FROM devices WHERE id = ?",
					    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id1);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "R58M<b>&'x\"");
	assert_string_equal((const char *)sqlite3_column_text(s, 1), "Pixel 6 Pro (renamed)");
	sqlite3_finalize(s);
	sqlite3_close(h);
	/* read-only: reads, refuses writes */
	assert_int_equal(fdb_open(p, FDB_READ, &db, msg, sizeof(msg)), XS_OK);
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(fdb_device_upsert(db, &d, &id1), XS_EINVAL);
	fdb_close(db);
}

static void test_rollback(void **state)
{
	(void)state;
	const char *p = path_of("batch.db");
	struct fdb *db;
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, NULL, 0), XS_OK);
	struct fdb_device d = {.transport = "local", .serial = "host", .fingerprint = "f"};
	int64_t id;
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_device_upsert(db, &d, &id), XS_OK);
	fdb_rollback(db);  /* a batch that did not finish leaves nothing */
	struct fdb_counts c;
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.devices, 0);
	fdb_close(db);
}

static void test_bad_files(void **state)
{
	(void)state;
	struct fdb *db;
	char msg[512];
	/* missing, for reading */
	assert_int_equal(fdb_open(path_of("none.db"), FDB_READ, &db, msg, sizeof(msg)), XS_EIO);
	assert_null(db);
	assert_non_null(strstr(msg, "none.db"));
	/* not a database */
	FILE *f = fopen(path_of("text.db"), "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database file at all\n", f);
	fclose(f);
	assert_int_equal(fdb_open(path_of("text.db"), FDB_WRITE, &db, msg, sizeof(msg)), XS_EFORMAT);
	assert_non_null(strstr(msg, "is not a device DB"));
	/* newer than this program: refused for writing, readable */
	const char *p = path_of("newer.db");
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	fdb_close(db);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_EVERSION);
	assert_non_null(strstr(msg, "schema version 99 is newer"));
	assert_int_equal(fdb_open(p, FDB_READ, &db, msg, sizeof(msg)), XS_OK);
	assert_int_equal(fdb_schema_version(db), 99);
	fdb_close(db);
	/* a version 1 DB (no reference logits) with a sub-net: migrated on
	 * opening for writing, its rows kept */
	p = path_of("v1.db");
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	int64_t sn, sub;
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_supernet_upsert(db, "s", "abc", "x", &sn), XS_OK);
	assert_int_equal(fdb_subnet_upsert(db, sn, "r20", 1, 1, &sub), XS_OK);
	assert_int_equal(fdb_commit(db), XS_OK);
	fdb_close(db);
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "DROP TABLE subnet_accuracy;"
					 "ALTER TABLE subnets DROP COLUMN ref_logits;"
					 "ALTER TABLE subnet_results DROP COLUMN batch;"
					 "ALTER TABLE subnet_results DROP COLUMN median_lo_ms;"
					 "ALTER TABLE subnet_results DROP COLUMN median_hi_ms;"
					 "ALTER TABLE subnet_results DROP COLUMN p90_lo_ms;"
					 "ALTER TABLE subnet_results DROP COLUMN p90_hi_ms;"
					 "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(query_int(p, "PRAGMA user_version"), 1);
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	assert_int_equal(fdb_schema_version(db), FDB_SCHEMA_VERSION);
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_subnet_reference_set(db, sub, "f32", 90.01, NAN, "0,1,2\n"), XS_OK);
	assert_int_equal(fdb_commit(db), XS_OK);
	double top1, val;
	char *ref;
	assert_int_equal(fdb_subnet_reference(db, sub, "f32", &top1, &val, &ref), XS_OK);
	assert_true(top1 == 90.01 && isnan(val));
	assert_string_equal(ref, "0,1,2\n");
	free(ref);
	/* the selector's validation top-1 leaves the rest of the reference */
	assert_int_equal(fdb_subnet_val_set(db, sub, NULL, 90.1), XS_OK);
	assert_int_equal(fdb_subnet_reference(db, sub, NULL, &top1, &val, &ref), XS_OK);
	assert_true(top1 == 90.01 && val == 90.1);
	assert_string_equal(ref, "0,1,2\n");
	free(ref);
	/* int8 has a reference of its own (migration 3), f32's stays */
	assert_int_equal(fdb_subnet_reference(db, sub, "int8", &top1, &val, &ref), XS_OK);
	assert_true(isnan(top1) && isnan(val) && ref == NULL);
	assert_int_equal(fdb_subnet_val_set(db, sub, "int8", 89.5), XS_OK);
	assert_int_equal(fdb_subnet_reference(db, sub, "int8", &top1, &val, &ref), XS_OK);
	assert_true(isnan(top1) && val == 89.5 && ref == NULL);
	assert_int_equal(fdb_subnet_reference_set(db, sub, "int8", 89.9, 89.6, "0,3,4\n"), XS_OK);
	assert_int_equal(fdb_subnet_val_set(db, sub, "int8", 89.7), XS_OK);
	assert_int_equal(fdb_subnet_reference(db, sub, "int8", &top1, &val, &ref), XS_OK);
	assert_true(top1 == 89.9 && val == 89.7);
	assert_string_equal(ref, "0,3,4\n");
	free(ref);
	assert_int_equal(fdb_subnet_reference(db, sub, "f32", &top1, &val, &ref), XS_OK);
	assert_true(top1 == 90.01 && val == 90.1);
	assert_string_equal(ref, "0,1,2\n");
	free(ref);
	fdb_close(db);
	/* damaged: a table page overwritten (checkpointed first, no WAL) */
	const char *dmg = path_of("damaged.db");
	assert_int_equal(fdb_open(dmg, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	assert_int_equal(fdb_begin(db), XS_OK);
	for (int i = 0; i < 300; i++) {
		char serial[32];
		snprintf(serial, sizeof(serial), "s%d", i);
		struct fdb_device d = {.transport = "adb", .serial = serial, .fingerprint = "f",
				       .probe = "key,value\nabi,arm64-v8a\nos,Android 14\n"};
		int64_t id;
		assert_int_equal(fdb_device_upsert(db, &d, &id), XS_OK);
	}
	assert_int_equal(fdb_commit(db), XS_OK);
	fdb_close(db);
	assert_int_equal(sqlite3_open(dmg, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	/* garbage in the middle of every page after the first two (the
	 * header and schema stay readable, the tables do not) */
	f = fopen(dmg, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	assert_true(size > 4 * 4096);
	for (long page = 2; page * 4096 < size; page++) {
		fseek(f, page * 4096 + 1000, SEEK_SET);
		for (int i = 0; i < 1000; i++)
			fputc(0xA5, f);
	}
	fclose(f);
	enum xs_status st = fdb_open(dmg, FDB_WRITE, &db, msg, sizeof(msg));
	assert_int_equal(st, XS_EFORMAT);
	assert_true(strstr(msg, "damaged") || strstr(msg, "not a device DB"));
	printf("   damaged: %s\n", msg);
}

static struct fdb_subnet_result result(double median_ms)
{
	return (struct fdb_subnet_result){.status = "ok", .flags = "clean", .n = 100,
		.median_ms = median_ms, .mean_ms = median_ms, .stdev_ms = 0.01, .cv = 0.01, .rcv = 0.005,
		.min_ms = median_ms, .max_ms = median_ms, .p90_ms = median_ms, .p99_ms = NAN,
		.cold_ms = 1, .build_ms = 2, .arena_bytes = 1000, .weight_bytes = 2000,
		.peak_rss_delta_bytes = -4096, .rss_method = "VmHWM", .eval_images = 10000,
		.top1 = 90.01, .max_logit_diff = NAN, .xnm_sha256 = "44ef", .pinned = "1/1",
		.temp_before_c = NAN, .temp_after_c = NAN, .freq_before = NAN,
		.freq_after = NAN, .batch = 40, .median_lo_ms = 0.99 * median_ms,
		.median_hi_ms = 1.01 * median_ms, .p90_lo_ms = NAN, .p90_hi_ms = NAN};
}

struct seen {
	int devices, results, kernels, threads_sum, kernel_res;
	char serial[32];
	double median, top1;
	int64_t rss;
};

static void on_device(void *ctx, const struct fdb_device_row *d)
{
	struct seen *q = ctx;
	q->devices++;
	snprintf(q->serial, sizeof(q->serial), "%s", d->serial);
	assert_string_equal(d->transport, "local");
	assert_null(d->model);
}

static void on_result(void *ctx, const struct fdb_result_row *r)
{
	struct seen *q = ctx;
	q->results++;
	q->threads_sum += r->threads;
	q->median = r->median_ms;
	q->top1 = r->top1;
	q->rss = r->peak_rss_delta_bytes;
	assert_string_equal(r->arch, "r20");
	assert_true(isnan(r->p99_ms) && isnan(r->test_top1));
}

static void on_kernel(void *ctx, const struct fdb_kernel_row *k)
{
	struct seen *q = ctx;
	q->kernels++;
	q->kernel_res = k->res;
	assert_string_equal(k->piece, "block");
	assert_int_equal(k->threads, 2);
}

static void test_results(void **state)
{
	(void)state;
	const char *p = path_of("results.db");
	struct fdb *db;
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, NULL, 0), XS_OK);
	int64_t dev, sn, sub, sweep, run, run2;
	struct fdb_device d = {.transport = "local", .serial = "h,o\"st", .fingerprint = "f"};
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_device_upsert(db, &d, &dev), XS_OK);
	assert_int_equal(fdb_supernet_upsert(db, "s", "abc", "name=s\n", &sn), XS_OK);
	assert_int_equal(fdb_subnet_upsert(db, sn, "r20", 1, 1, &sub), XS_OK);
	assert_int_equal(fdb_sweep_begin(db, "{\"devices\":\"all\"}", &sweep), XS_OK);
	assert_int_equal(fdb_run_begin(db, sweep, dev, &run), XS_OK);
	assert_int_equal(fdb_run_begin(db, sweep, dev, &run2), XS_OK);
	assert_int_equal(run, run2);  /* resuming: the same run */
	struct fdb_key k = {dev, "f32", 1, "0 1", "0.1"};
	bool stored, exists;
	assert_int_equal(fdb_subnet_result_exists(db, &k, sub, &exists), XS_OK);
	assert_false(exists);
	struct fdb_subnet_result r = result(0.5);
	assert_int_equal(fdb_subnet_result_insert(db, run, &k, sub, &r, &stored), XS_OK);
	assert_true(stored);
	r = result(0.7);  /* the same key again: kept as first stored */
	assert_int_equal(fdb_subnet_result_insert(db, run, &k, sub, &r, &stored), XS_OK);
	assert_false(stored);
	assert_int_equal(fdb_subnet_result_exists(db, &k, sub, &exists), XS_OK);
	assert_true(exists);
	k.threads = 2;  /* another key */
	assert_int_equal(fdb_subnet_result_exists(db, &k, sub, &exists), XS_OK);
	assert_false(exists);
	assert_int_equal(fdb_subnet_result_insert(db, run, &k, sub, &r, &stored), XS_OK);
	assert_true(stored);
	struct fdb_key k2 = k;
	k.precision = NULL;
	assert_int_equal(fdb_subnet_result_insert(db, run, &k, sub, &r, &stored), XS_EINVAL);
	assert_int_equal(fdb_run_end(db, run, "hung", "no output for 20 s", NULL), XS_OK);
	assert_int_equal(fdb_run_end(db, run, "finished", NULL, NULL), XS_EINVAL);
	assert_int_equal(fdb_run_end(db, run, "incomplete", "device vanished", NULL), XS_OK);
	assert_int_equal(fdb_sweep_end(db, sweep, "hung"), XS_EINVAL);  /* a run's only */
	assert_int_equal(fdb_sweep_end(db, sweep, "finished"), XS_EINVAL);
	assert_int_equal(fdb_sweep_end(db, sweep, "incomplete"), XS_OK);
	assert_int_equal(fdb_commit(db), XS_OK);
	struct fdb_counts c;
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.subnet_results, 2);
	/* kernel rows: once per key */
	struct fdb_kernel_result kr = {"block", 1, 1, 28, 16, 24, 4, 7, 2, 1000, 50,
				       0.01, 0.011, 0.02, 0.01, 0.012, 0.009, "clean"};
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_kernel_result_insert(db, run, &k2, sn, &kr, &stored), XS_OK);
	assert_true(stored);
	assert_int_equal(fdb_kernel_result_insert(db, run, &k2, sn, &kr, &stored), XS_OK);
	assert_false(stored);
	assert_int_equal(fdb_commit(db), XS_OK);
	/* export: a header and the two rows, strings quoted as CSV needs */
	int64_t rows;
	char *buf = export_csv(db, &rows);
	assert_int_equal(rows, 2);
	assert_true(strncmp(buf, "device_id,transport,serial,model,", 33) == 0);
	assert_non_null(strstr(buf, ",local,\"h,o\"\"st\","));
	assert_non_null(strstr(buf, ",90.01,"));
	free(buf);
	fdb_close(db);

	/* the queries, on a DB opened to read */
	assert_int_equal(fdb_open(p, FDB_READ, &db, NULL, 0), XS_OK);
	int64_t found;
	char sha[65];
	char *space;
	assert_int_equal(fdb_supernet_find(db, "s", &found, sha, &space), XS_OK);
	assert_int_equal(found, sn);
	assert_string_equal(sha, "abc");
	assert_string_equal(space, "name=s\n");
	free(space);
	assert_int_equal(fdb_supernet_find(db, "abc", &found, sha, NULL), XS_OK);
	assert_int_equal(found, sn);
	assert_int_equal(fdb_supernet_find(db, "nope", &found, sha, NULL), XS_EINVAL);
	assert_non_null(strstr(fdb_errmsg(db), "no supernet named 'nope'"));
	struct seen q = {0};
	assert_int_equal(fdb_devices_each(db, on_device, &q), XS_OK);
	assert_int_equal(q.devices, 1);
	assert_string_equal(q.serial, "h,o\"st");
	assert_int_equal(fdb_subnet_results_each(db, sn, -1, on_result, &q), XS_OK);
	assert_int_equal(q.results, 2);
	assert_int_equal(q.threads_sum, 3);             /* 1 and 2, in that order */
	assert_true(q.median == 0.7 && q.top1 == 90.01);  /* the last: 2 threads */
	assert_int_equal(q.rss, -4096);
	assert_int_equal(fdb_subnet_results_each(db, sn, dev + 1, on_result, &q), XS_OK);
	assert_int_equal(q.results, 2);                 /* no device dev + 1 */
	assert_int_equal(fdb_kernel_results_each(db, sn, dev, on_kernel, &q), XS_OK);
	assert_int_equal(q.kernels, 1);
	assert_int_equal(q.kernel_res, 28);
	fdb_close(db);

	/* a writer killed inside a batch: its rows are not there, the DB is
	 * consistent and opens for writing again */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fdb *w;
		if (fdb_open(p, FDB_WRITE, &w, NULL, 0) != XS_OK || fdb_begin(w) != XS_OK)
			_exit(2);
		struct fdb_key k3 = {dev, "f32", 4, "0 1", "0.1"};
		struct fdb_subnet_result r3 = result(0.9);
		bool st3;
		if (fdb_subnet_result_insert(w, run, &k3, sub, &r3, &st3) != XS_OK)
			_exit(3);
		_exit(0);  /* no commit, no close: as if killed */
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(WEXITSTATUS(ws), 0);
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, NULL, 0), XS_OK);
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.subnet_results, 2);
	fdb_close(db);
}

/* Fills a DB with one device (serial), one supernet and sub-net, one sweep
 * and run, and a result per thread count in threads[]. */
static void fill(const char *p, const char *serial, const char *started_config,
		 const int *threads, int nthreads, double median)
{
	struct fdb *db;
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, NULL, 0), XS_OK);
	int64_t dev, sn, sub, sweep, run;
	struct fdb_device d = {.transport = "adb", .serial = serial, .fingerprint = "fp"};
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_device_upsert(db, &d, &dev), XS_OK);
	assert_int_equal(fdb_supernet_upsert(db, "s", "abc", "name=s\n", &sn), XS_OK);
	assert_int_equal(fdb_subnet_upsert(db, sn, "r20", 1, 1, &sub), XS_OK);
	assert_int_equal(fdb_sweep_begin(db, started_config, &sweep), XS_OK);
	assert_int_equal(fdb_run_begin(db, sweep, dev, &run), XS_OK);
	for (int i = 0; i < nthreads; i++) {
		struct fdb_key k = {dev, "f32", threads[i], "0 1", "0.1"};
		struct fdb_subnet_result r = result(median);
		bool stored;
		assert_int_equal(fdb_subnet_result_insert(db, run, &k, sub, &r, &stored), XS_OK);
	}
	assert_int_equal(fdb_commit(db), XS_OK);
	fdb_close(db);
}

static void test_merge(void **state)
{
	(void)state;
	const char *a = strdup(path_of("a.db")), *b = strdup(path_of("b.db"));
	fill(a, "phone-1", "{a}", (const int[]){1, 2}, 2, 1.0);
	/* b: the same phone with an overlapping result (threads 2) and a new one
	 * (threads 4), and a second phone */
	fill(b, "phone-1", "{b}", (const int[]){2, 4}, 2, 9.0);
	fill(b, "phone-2", "{b2}", (const int[]){1}, 1, 3.0);
	struct fdb *db;
	int64_t added;
	assert_int_equal(fdb_open(a, FDB_WRITE, &db, NULL, 0), XS_OK);
	/* a manifest in each: b's comes over, once */
	int64_t mid, sn;
	char sha[65];
	struct fdb *dbb;
	assert_int_equal(fdb_open(b, FDB_WRITE, &dbb, NULL, 0), XS_OK);
	assert_int_equal(fdb_supernet_find(dbb, "s", &sn, sha, NULL), XS_OK);
	assert_int_equal(fdb_manifest_insert(dbb, sn, "p90<=8ms", "{\"b\": 1}", &mid), XS_OK);
	assert_true(mid > 0);
	/* and an int8 accuracy of its sub-net */
	int64_t sub;
	assert_int_equal(fdb_subnet_upsert(dbb, sn, "r20", 1, 1, &sub), XS_OK);
	assert_int_equal(fdb_subnet_val_set(dbb, sub, "int8", 88.25), XS_OK);
	fdb_close(dbb);
	assert_int_equal(fdb_supernet_find(db, "s", &sn, sha, NULL), XS_OK);
	assert_int_equal(fdb_manifest_insert(db, sn, "p90<=8ms", "{\"a\": 1}", &mid), XS_OK);
	assert_int_equal(fdb_merge(db, b, &added), XS_OK);
	assert_int_equal(added, 2);  /* phone-1 threads 4, phone-2 threads 1 */
	struct fdb_counts c;
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.devices, 2);
	assert_int_equal(c.supernets, 1);
	assert_int_equal(c.subnets, 1);
	assert_int_equal(c.sweeps, 3);
	assert_int_equal(c.runs, 3);
	assert_int_equal(c.subnet_results, 4);
	assert_int_equal(c.manifests, 2);
	double top1, val;
	char *ref;
	assert_int_equal(fdb_subnet_upsert(db, sn, "r20", 1, 1, &sub), XS_OK);
	assert_int_equal(fdb_subnet_reference(db, sub, "int8", &top1, &val, &ref), XS_OK);
	assert_true(val == 88.25 && isnan(top1) && ref == NULL);
	/* again: nothing new */
	assert_int_equal(fdb_merge(db, b, &added), XS_OK);
	assert_int_equal(added, 0);
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.sweeps, 3);
	assert_int_equal(c.manifests, 2);
	/* the result already in a was kept (median 1.0, not b's 9.0) */
	int64_t rows;
	char *buf = export_csv(db, &rows);
	assert_int_equal(rows, 4);
	assert_non_null(strstr(buf, ",f32,2,0 1,0.1,ok,clean,100,1.0,1.0,0.01,0.01,0.005,"));
	free(buf);
	/* a missing or newer file: one clear error, nothing changed */
	assert_int_equal(fdb_merge(db, path_of("none.db"), &added), XS_EIO);
	assert_non_null(strstr(fdb_errmsg(db), "none.db"));
	fdb_close(db);
	free((void *)a);
	free((void *)b);
}

/* ---- the column lists against the tables ---------------------------------------- */

struct column {
	const char *name, *type;
};

#define COLUMN(name, kind) {#name, FDB_SQLTYPE_##kind},

/* How far table's columns are from want[] (names and declared types): the
 * columns only one side has plus those whose types differ, each printed. */
static int column_mismatches(sqlite3 *h, const char *table, const struct column *want, size_t n)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	bool seen[64] = {false};
	assert_true(n <= 64);
	int bad = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);
		const char *type = (const char *)sqlite3_column_text(s, 2);
		size_t i = 0;
		while (i < n && strcmp(want[i].name, name) != 0)
			i++;
		if (i == n) {
			printf("   %s.%s: in the table, not in fdb-columns.h\n", table, name);
			bad++;
			continue;
		}
		seen[i] = true;
		if (strcmp(want[i].type, type) != 0) {
			printf("   %s.%s: %s in the table, %s in fdb-columns.h\n", table, name, type,
			       want[i].type);
			bad++;
		}
	}
	sqlite3_finalize(s);
	for (size_t i = 0; i < n; i++)
		if (!seen[i]) {
			printf("   %s.%s: in fdb-columns.h, not in the table\n", table, want[i].name);
			bad++;
		}
	return bad;
}

static void test_columns(void **state)
{
	(void)state;
	const char *p = path_of("columns.db");
	struct fdb *db;
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, NULL, 0), XS_OK);
	fdb_close(db);
	static const struct column subnet[] = {
		{"id", "INTEGER"}, {"run_id", "INTEGER"}, {"device_id", "INTEGER"},
		{"subnet_id", "INTEGER"},
		FDB_KEY_COLUMNS(COLUMN) FDB_SUBNET_RESULT_COLUMNS(COLUMN)};
	static const struct column kernel[] = {
		{"id", "INTEGER"}, {"run_id", "INTEGER"}, {"device_id", "INTEGER"},
		{"supernet_id", "INTEGER"},
		FDB_KEY_COLUMNS(COLUMN) FDB_KERNEL_RESULT_COLUMNS(COLUMN)};
	const size_t ns = sizeof(subnet) / sizeof(subnet[0]);
	const size_t nk = sizeof(kernel) / sizeof(kernel[0]);
	assert_int_equal(ns, 4 + 4 + 33);
	assert_int_equal(nk, 4 + 4 + 18);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	assert_int_equal(column_mismatches(h, "subnet_results", subnet, ns), 0);
	assert_int_equal(column_mismatches(h, "kernel_results", kernel, nk), 0);
	/* the check sees a column missing from the lists, from the table, or
	 * of another type */
	assert_int_equal(column_mismatches(h, "subnet_results", subnet, ns - 1), 1);
	struct column retyped[64];
	memcpy(retyped, kernel, sizeof(kernel));
	retyped[nk - 2].type = "TEXT";  /* min_ms */
	assert_int_equal(column_mismatches(h, "kernel_results", retyped, nk), 1);
	assert_int_equal(sqlite3_exec(h, "ALTER TABLE subnet_results ADD COLUMN extra REAL",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(column_mismatches(h, "subnet_results", subnet, ns), 1);
	sqlite3_close(h);
}

/* ---- batches --------------------------------------------------------------------- */

static int on_commit(void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

struct ids {
	int64_t dev, sn, sub[3], sweep, run;
};

static struct fdb *batch_db(const char *name, struct ids *x)
{
	struct fdb *db;
	assert_int_equal(fdb_open(path_of(name), FDB_WRITE, &db, NULL, 0), XS_OK);
	struct fdb_device d = {.transport = "local", .serial = "host", .fingerprint = "f"};
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_device_upsert(db, &d, &x->dev), XS_OK);
	assert_int_equal(fdb_supernet_upsert(db, "s", "abc", "name=s\n", &x->sn), XS_OK);
	for (int i = 0; i < 3; i++) {
		char arch[16];
		snprintf(arch, sizeof(arch), "r20-%d", i);
		assert_int_equal(fdb_subnet_upsert(db, x->sn, arch, 1, 1, &x->sub[i]), XS_OK);
	}
	assert_int_equal(fdb_sweep_begin(db, "{}", &x->sweep), XS_OK);
	assert_int_equal(fdb_run_begin(db, x->sweep, x->dev, &x->run), XS_OK);
	assert_int_equal(fdb_commit(db), XS_OK);
	return db;
}

static struct fdb_kernel_result kernel_result(const char *piece, int res, double median_ms)
{
	return (struct fdb_kernel_result){.piece = piece, .stage = 1, .first = 1, .res = res,
		.cin = 16, .cout = 24, .expand = 4, .kernel = 7, .stride = 2, .macs = 1000, .n = 50,
		.median_ms = median_ms, .mean_ms = median_ms, .cv = 0.02, .rcv = 0.01,
		.p90_ms = median_ms, .min_ms = median_ms, .flags = "clean"};
}

static int64_t median_of(struct fdb *db, int64_t subnet_id, int threads)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db->h, "SELECT median_ms FROM subnet_results WHERE"
					    " subnet_id = ?1 AND threads = ?2", -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(s, 1, subnet_id);
	sqlite3_bind_int(s, 2, threads);
	int64_t v = sqlite3_step(s) == SQLITE_ROW ? (int64_t)sqlite3_column_double(s, 0) : -1;
	sqlite3_finalize(s);
	return v;
}

static void test_batch_duplicates(void **state)
{
	(void)state;
	struct ids x;
	struct fdb *db = batch_db("dup.db", &x);
	struct fdb_key k = {x.dev, "f32", 1, "0", "0.1"};
	bool one;
	struct fdb_subnet_result r0 = result(5.0);
	assert_int_equal(fdb_subnet_result_insert(db, x.run, &k, x.sub[0], &r0, &one), XS_OK);
	assert_true(one);
	/* sub[0] is stored; sub[1] twice in the batch (the first kept); sub[2] new */
	const struct fdb_key keys[4] = {k, k, k, k};
	const int64_t subs[4] = {x.sub[0], x.sub[1], x.sub[1], x.sub[2]};
	const struct fdb_subnet_result rows[4] = {result(6.0), result(7.0), result(8.0),
						  result(9.0)};
	size_t stored = 99;
	assert_int_equal(fdb_subnet_results_insert(db, x.run, keys, subs, rows, 4, &stored), XS_OK);
	assert_int_equal(stored, 2);
	struct fdb_counts c;
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.subnet_results, 3);
	assert_int_equal(median_of(db, x.sub[0], 1), 5);
	assert_int_equal(median_of(db, x.sub[1], 1), 7);
	assert_int_equal(median_of(db, x.sub[2], 1), 9);
	/* kernel rows likewise: one stored before, a duplicate inside */
	struct fdb_kernel_result kr[3] = {kernel_result("block", 28, 0.01),
					  kernel_result("block", 14, 0.01),
					  kernel_result("block", 14, 0.02)};
	assert_int_equal(fdb_kernel_result_insert(db, x.run, &k, x.sn, &kr[0], &one), XS_OK);
	assert_true(one);
	assert_int_equal(fdb_kernel_results_insert(db, x.run, x.sn, keys, kr, 3, &stored), XS_OK);
	assert_int_equal(stored, 1);
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.kernel_results, 2);
	int64_t n;
	assert_int_equal(fdb_kernel_results_count(db, &k, x.sn, &n), XS_OK);
	assert_int_equal(n, 2);
	/* an empty batch stores nothing and is no error */
	assert_int_equal(fdb_subnet_results_insert(db, x.run, keys, subs, rows, 0, &stored), XS_OK);
	assert_int_equal(stored, 0);
	fdb_close(db);
}

static void test_batch_failure(void **state)
{
	(void)state;
	struct ids x;
	struct fdb *db = batch_db("fail.db", &x);
	struct fdb_key k = {x.dev, "f32", 1, "0", "0.1"};
	const struct fdb_key keys[3] = {k, k, k};
	const struct fdb_subnet_result rows[3] = {result(1.0), result(2.0), result(3.0)};
	/* the last row's sub-net does not exist: none of the three is stored */
	const int64_t bad[3] = {x.sub[0], x.sub[1], x.sub[2] + 100};
	size_t stored = 99;
	assert_int_equal(fdb_subnet_results_insert(db, x.run, keys, bad, rows, 3, &stored), XS_EIO);
	assert_int_equal(stored, 0);
	assert_non_null(strstr(fdb_errmsg(db), "cannot store the sub-net result"));
	assert_non_null(strstr(fdb_errmsg(db), "FOREIGN KEY"));
	struct fdb_counts c;
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.subnet_results, 0);
	/* kernel rows: a device that does not exist in the middle */
	struct fdb_kernel_result kr[3] = {kernel_result("stem", 28, 0.01),
					  kernel_result("stem", 20, 0.01),
					  kernel_result("stem", 24, 0.01)};
	struct fdb_key kbad[3] = {k, k, k};
	kbad[1].device_id = x.dev + 100;
	assert_int_equal(fdb_kernel_results_insert(db, x.run, x.sn, kbad, kr, 3, &stored), XS_EIO);
	assert_int_equal(stored, 0);
	assert_non_null(strstr(fdb_errmsg(db), "FOREIGN KEY"));
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.kernel_results, 0);
	/* a key without its cores: refused before anything is written */
	struct fdb_key knull[3] = {k, k, k};
	knull[2].cores = NULL;
	const int64_t good[3] = {x.sub[0], x.sub[1], x.sub[2]};
	assert_int_equal(fdb_subnet_results_insert(db, x.run, knull, good, rows, 3, &stored),
			 XS_EINVAL);
	assert_non_null(strstr(fdb_errmsg(db), "without its full key"));
	/* inside the caller's transaction: the failed batch is undone, what the
	 * caller wrote before it stays and commits */
	struct fdb_device d2 = {.transport = "local", .serial = "host2", .fingerprint = "f"};
	int64_t dev2;
	assert_int_equal(fdb_begin(db), XS_OK);
	assert_int_equal(fdb_device_upsert(db, &d2, &dev2), XS_OK);
	assert_int_equal(fdb_subnet_results_insert(db, x.run, keys, bad, rows, 3, &stored), XS_EIO);
	assert_int_equal(fdb_subnet_results_insert(db, x.run, keys, good, rows, 2, &stored), XS_OK);
	assert_int_equal(stored, 2);
	assert_int_equal(fdb_commit(db), XS_OK);
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.devices, 2);
	assert_int_equal(c.subnet_results, 2);
	fdb_close(db);
	/* a DB opened to read refuses a batch */
	assert_int_equal(fdb_open(path_of("fail.db"), FDB_READ, &db, NULL, 0), XS_OK);
	assert_int_equal(fdb_subnet_results_insert(db, x.run, keys, good, rows, 3, &stored),
			 XS_EINVAL);
	assert_non_null(strstr(fdb_errmsg(db), "opened for reading"));
	fdb_close(db);
}

static void test_batch_one_transaction(void **state)
{
	(void)state;
	struct ids x;
	struct fdb *db = batch_db("big.db", &x);
	enum { N = 1000 };
	struct fdb_key *keys = calloc(N, sizeof(*keys));
	int64_t *subs = calloc(N, sizeof(*subs));
	struct fdb_subnet_result *rows = calloc(N, sizeof(*rows));
	assert_true(keys && subs && rows);
	for (int i = 0; i < N; i++) {
		keys[i] = (struct fdb_key){x.dev, "f32", i + 1, "0", "0.1"};
		subs[i] = x.sub[i % 3];
		rows[i] = result(1.0 + i);
	}
	int commits = 0;
	sqlite3_commit_hook(db->h, on_commit, &commits);
	size_t stored = 0;
	double t0 = xf_now();
	assert_int_equal(fdb_subnet_results_insert(db, x.run, keys, subs, rows, N, &stored), XS_OK);
	double t = xf_now() - t0;
	assert_int_equal(stored, N);
	assert_int_equal(commits, 1);
	/* the single inserts: a transaction each */
	commits = 0;
	for (int i = 0; i < 10; i++) {
		keys[i].threads = N + 1 + i;
		bool one;
		assert_int_equal(fdb_subnet_result_insert(db, x.run, &keys[i], subs[i], &rows[i],
							  &one), XS_OK);
		assert_true(one);
	}
	assert_int_equal(commits, 10);
	sqlite3_commit_hook(db->h, NULL, NULL);
	struct fdb_counts c;
	assert_int_equal(fdb_counts(db, &c), XS_OK);
	assert_int_equal(c.subnet_results, N + 10);
	assert_int_equal(median_of(db, x.sub[999 % 3], 1000), 1000);
	printf("   a batch of %d sub-net results: %.1f ms (information only)\n", N, t * 1e3);
	free(keys);
	free(subs);
	free(rows);
	fdb_close(db);
}

/* ---- the export's rows ------------------------------------------------------------ */

struct exported {
	int calls, ncol;
	char names[2048];
	bool null_p99;
	char serial[32];
};

static void on_export(void *ctx, int ncol, const char *const *names, const char *const *values)
{
	struct exported *e = ctx;
	if (e->calls++ == 0) {
		assert_null(values);
		e->ncol = ncol;
		size_t len = 0;
		for (int i = 0; i < ncol; i++)
			len += (size_t)snprintf(e->names + len, sizeof(e->names) - len, "%s%s",
						i ? "," : "", names[i]);
		return;
	}
	assert_non_null(values);
	assert_int_equal(ncol, e->ncol);
	for (int i = 0; i < ncol; i++)
		if (strcmp(names[i], "p99_ms") == 0)
			e->null_p99 = values[i] == NULL;
	snprintf(e->serial, sizeof(e->serial), "%s", values[2]);
}

static void test_export_rows(void **state)
{
	(void)state;
	struct ids x;
	struct fdb *db = batch_db("export.db", &x);
	struct exported e = {0};
	int64_t rows = -1;
	/* no results: the header only */
	assert_int_equal(fdb_subnet_results_export(db, on_export, &e, &rows), XS_OK);
	assert_int_equal(rows, 0);
	assert_int_equal(e.calls, 1);
	assert_int_equal(e.ncol, 11 + 4 + 33);
	assert_string_equal(e.names,
		"device_id,transport,serial,model,soc,abi,emulated,simulated,supernet,arch,macs,"
		"precision,threads,cores,agent_version,status,flags,n,median_ms,mean_ms,stdev_ms,"
		"cv,rcv,min_ms,max_ms,p90_ms,p99_ms,cold_ms,build_ms,arena_bytes,weight_bytes,"
		"peak_rss_delta_bytes,rss_method,eval_images,top1,max_logit_diff,xnm_sha256,pinned,"
		"temp_before_c,temp_after_c,freq_before,freq_after,error,batch,median_lo_ms,"
		"median_hi_ms,p90_lo_ms,p90_hi_ms");
	struct fdb_key k = {x.dev, "f32", 1, "0", "0.1"};
	struct fdb_subnet_result r = result(2.5);  /* p99 unknown */
	assert_int_equal(fdb_subnet_result_insert(db, x.run, &k, x.sub[1], &r, NULL), XS_OK);
	e = (struct exported){0};
	assert_int_equal(fdb_subnet_results_export(db, on_export, &e, &rows), XS_OK);
	assert_int_equal(rows, 1);
	assert_int_equal(e.calls, 2);
	assert_true(e.null_p99);
	assert_string_equal(e.serial, "host");
	/* the CSV form of the same row, header first */
	char *buf = export_csv(db, &rows);
	assert_int_equal(rows, 1);
	assert_true(strncmp(buf, e.names, strlen(e.names)) == 0);
	assert_non_null(strstr(buf, "\n1,local,host,,,,0,0,s,r20-1,1,f32,1,0,0.1,ok,clean,100,"
				    "2.5,2.5,0.01,0.01,0.005,2.5,2.5,2.5,,1.0,2.0,1000,2000,-4096,"
				    "VmHWM,10000,90.01,,44ef,1/1,,,,,,40,2.475,2.525,,\n"));
	free(buf);
	fdb_close(db);
}

/* ---- the simulated fleet ---------------------------------------------------------- */

static char *simulate_csv(const char *name, const struct xf_simulate_opts *o,
			  struct xf_simulate_summary *sum)
{
	struct fdb *db;
	struct xs_error err;
	assert_int_equal(fdb_open(path_of(name), FDB_WRITE, &db, NULL, 0), XS_OK);
	assert_int_equal(xf_simulate_fleet(db, o, sum, &err), XS_OK);
	int64_t rows;
	char *buf = export_csv(db, &rows);
	assert_int_equal(rows, o->devices * sum->subnets);
	fdb_close(db);
	return buf;
}

/* FDB_UPDATE: writes like FDB_WRITE, but a missing file is an error and
 * is not created (a mistyped --db of select). */
static void test_update_mode(void **state)
{
	(void)state;
	char p[600], msg[512];
	struct fdb *db = NULL;
	snprintf(p, sizeof(p), "%s/update.db", dir);
	assert_int_equal(fdb_open(p, FDB_UPDATE, &db, msg, sizeof(msg)), XS_EIO);
	assert_null(db);
	assert_non_null(strstr(msg, "no such file"));
	assert_int_not_equal(access(p, F_OK), 0);
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	fdb_close(db);
	assert_int_equal(fdb_open(p, FDB_UPDATE, &db, msg, sizeof(msg)), XS_OK);
	int64_t id;
	assert_int_equal(fdb_supernet_upsert(db, "sn", "ab", "space", &id), XS_OK);
	fdb_close(db);
}

static void test_simulate(void **state)
{
	(void)state;
	struct xs_supernet *sn;
	struct xs_error err;
	assert_int_equal(xs_supernet_load("models/fmnist-ofa.xsn", &sn, &err), XS_OK);
	struct xf_simulate_opts o = {.supernet = sn, .devices = 3, .subnets = 6, .seed = 1};
	struct xf_simulate_summary sum = {0}, sum2 = {0};
	char *a = simulate_csv("sim-a.db", &o, &sum);
	assert_int_equal(sum.devices, 3);
	assert_true(sum.subnets >= 1 && sum.subnets <= 6);
	assert_true(sum.pieces > 0);
	assert_string_equal(sum.supernet, "fmnist-ofa-simulated");
	const char *p = path_of("sim-a.db");
	assert_int_equal(query_int(p, "SELECT count(*) FROM devices WHERE simulated = 1 AND"
				      " transport = 'simulated'"), 3);
	assert_int_equal(query_int(p, "SELECT count(*) FROM devices"), 3);
	assert_int_equal(query_int(p, "SELECT count(*) FROM subnets"), sum.subnets);
	assert_int_equal(query_int(p, "SELECT count(*) FROM kernel_results"),
			 3 * (int64_t)sum.pieces);
	assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE status = 'done'"), 3);
	assert_int_equal(query_int(p, "SELECT count(*) FROM sweeps WHERE status = 'done' AND"
				      " config LIKE 'simulated%'"), 1);
	assert_int_equal(query_int(p, "SELECT count(*) FROM subnets WHERE test_top1 BETWEEN 87"
				      " AND 93"), sum.subnets);
	/* its own sha256, never the real supernet's */
	char hex[65];
	xs_sha256_hex(sn->sha256, hex);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM supernets WHERE sha256 = '%s'", hex);
	assert_int_equal(query_int(p, sql), 0);
	/* the same seed: the same rows; another seed: others */
	char *b = simulate_csv("sim-b.db", &o, &sum2);
	assert_string_equal(a, b);
	free(b);
	o.seed = 2;
	b = simulate_csv("sim-c.db", &o, &sum2);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	/* options out of range */
	struct fdb *db;
	assert_int_equal(fdb_open(path_of("sim-a.db"), FDB_WRITE, &db, NULL, 0), XS_OK);
	o.subnets = 1;
	assert_int_equal(xf_simulate_fleet(db, &o, &sum, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "sub-nets"));
	fdb_close(db);
	assert_int_equal(query_int(p, "SELECT count(*) FROM sweeps"), 1);
	xs_supernet_destroy(sn);
}

/* ---- issue 17: modes, refusals, concurrent creation, interrupted runs ---- */

/* The whole of a file (malloc'd, its size in *n); NULL when there is none. */
static char *file_bytes(const char *path, size_t *n)
{
	char *data = NULL;
	if (xf_file_read(path, 1 << 24, &data, n, NULL) != XS_OK)
		return NULL;
	return data;
}

static bool exists_with(const char *path, const char *suffix)
{
	char p[800];
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return access(p, F_OK) == 0;
}

/* Opens path in mode and expects st and a message holding want and the
 * path; the file must be byte for byte what it was, with no -wal or -shm
 * that was not there before. */
static void expect_refused_unchanged(const char *path, enum fdb_mode mode, enum xs_status st,
				     const char *want)
{
	size_t n0, n1;
	char *before = file_bytes(path, &n0);
	assert_non_null(before);
	bool wal = exists_with(path, "-wal"), shm = exists_with(path, "-shm");
	struct fdb *db = NULL;
	char msg[512];
	assert_int_equal(fdb_open(path, mode, &db, msg, sizeof(msg)), st);
	assert_null(db);
	if (strstr(msg, want) == NULL || strstr(msg, path) == NULL)
		fail_msg("'%s': got '%s', want '%s'", path, msg, want);
	char *after = file_bytes(path, &n1);
	assert_non_null(after);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	assert_int_equal(exists_with(path, "-wal"), wal);
	assert_int_equal(exists_with(path, "-shm"), shm);
	free(before);
	free(after);
}

/* sql on path with plain SQLite (another program's doing). */
static void sql_on(const char *path, const char *sql)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	char *e = NULL;
	if (sqlite3_exec(h, sql, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", sql, e);
	sqlite3_close(h);
}

/* Another program's SQLite file and a DB of a newer schema are refused
 * for writing before anything is written (issue 17: both were switched to
 * WAL first, the foreign file even got the device DB's tables). */
static void test_refused_unchanged(void **state)
{
	(void)state;
	const char *p = path_of("foreign.db");
	sql_on(p, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
	expect_refused_unchanged(p, FDB_WRITE, XS_EFORMAT, "is not a device DB: an SQLite file "
				 "with other tables");
	expect_refused_unchanged(p, FDB_UPDATE, XS_EFORMAT, "it was left as it is");
	expect_refused_unchanged(p, FDB_READ, XS_EFORMAT, "is not a device DB");
	assert_int_equal(query_int(p, "SELECT count(*) FROM sqlite_master"), 1);
	/* a schema version but no devices table: another program's too */
	p = path_of("foreign-v3.db");
	sql_on(p, "CREATE TABLE t(x); PRAGMA user_version = 3");
	expect_refused_unchanged(p, FDB_WRITE, XS_EFORMAT, "is not a device DB");
	/* newer, with a rollback journal and in WAL */
	char src[700];
	snprintf(src, sizeof(src), "%s", path_of("newer-delete.db"));
	struct fdb *db;
	char msg[512];
	assert_int_equal(fdb_open(src, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	fdb_close(db);
	sql_on(src, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99");
	expect_refused_unchanged(src, FDB_WRITE, XS_EVERSION,
				 "schema version 99 is newer than this program's");
	expect_refused_unchanged(src, FDB_UPDATE, XS_EVERSION, "use a newer xnn-fleet");
	assert_int_equal(fdb_open(src, FDB_READ, &db, msg, sizeof(msg)), XS_OK);
	assert_int_equal(fdb_schema_version(db), 99);
	fdb_close(db);
	p = path_of("newer-wal.db");
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	fdb_close(db);
	sql_on(p, "PRAGMA user_version = 99");
	assert_false(exists_with(p, "-wal"));
	expect_refused_unchanged(p, FDB_WRITE, XS_EVERSION, "schema version 99 is newer");
	/* an empty file is no DB to read (for writing it is a new one) */
	p = path_of("empty.db");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	expect_refused_unchanged(p, FDB_READ, XS_EFORMAT, "is empty, not a device DB yet");
}

/* Runs fn(arg) in a child as a user who cannot write the test's files
 * (nobody when the test runs as root); its exit status. 77: skipped. */
static int as_reader(int (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(77);
		if (access(arg, R_OK) != 0)
			_exit(77);  /* a folder above the test's is closed to nobody */
		_exit(fn(arg));
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* In the reader's process: db info's reads of a read-only DB. */
static int read_counts(const char *path)
{
	struct fdb *db;
	char msg[512];
	if (fdb_open(path, FDB_READ, &db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "FDB_READ '%s': %s\n", path, msg);
		return 1;
	}
	struct fdb_counts c;
	int rc = fdb_counts(db, &c) == XS_OK && c.devices == 2 && c.sweeps == 1 ? 0 : 2;
	int64_t rows = -1;
	FILE *null = fopen("/dev/null", "w");
	if (rc == 0 && (fdb_export_csv(db, null, &rows) != XS_OK || rows != 0))
		rc = 3;
	fclose(null);
	fdb_close(db);
	if (rc == 0 && fdb_open(path, FDB_WRITE, &db, msg, sizeof(msg)) != XS_EIO)
		rc = 4;
	if (rc == 0 && strstr(msg, "is read-only: make it writable") == NULL) {
		fprintf(stderr, "FDB_WRITE '%s': %s\n", path, msg);
		rc = 5;
	}
	return rc;
}

/* A read-only DB reads (issue 17: "is not a device DB: attempt to write a
 * readonly database"): a 0444 file in a read-only folder, and in a
 * writable one; writing it is one clear error; its bytes stay. */
static void test_read_only(void **state)
{
	(void)state;
	char sub[600], p[700];
	snprintf(sub, sizeof(sub), "%s", path_of("ro"));
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(p, sizeof(p), "%s/fleet.db", sub);
	struct fdb *db;
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, NULL, 0), XS_OK);
	int64_t id, sweep;
	struct fdb_device d = {.transport = "adb", .serial = "a", .fingerprint = "f"};
	assert_int_equal(fdb_device_upsert(db, &d, &id), XS_OK);
	d.serial = "b";
	assert_int_equal(fdb_device_upsert(db, &d, &id), XS_OK);
	assert_int_equal(fdb_sweep_begin(db, "x", &sweep), XS_OK);
	fdb_close(db);
	assert_false(exists_with(p, "-wal"));
	size_t n0, n1;
	char *before = file_bytes(p, &n0);
	assert_int_equal(chmod(p, 0444), 0);
	assert_int_equal(chmod(dir, 0755), 0);  /* the reader passes through */
	static const mode_t folder[] = {0555, 0777};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(chmod(sub, folder[i]), 0);
		int rc = as_reader(read_counts, p);
		if (rc == 77) {
			printf("   skipped: no reader who cannot write '%s' (%s)\n", p,
			       geteuid() == 0 ? "nobody cannot reach it" : "setuid");
			break;
		}
		if (rc != 0)
			fail_msg("folder %o: the reader's check %d failed", folder[i], rc);
		char *after = file_bytes(p, &n1);
		assert_int_equal(n0, n1);
		assert_memory_equal(before, after, n0);
		free(after);
	}
	free(before);
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(chmod(dir, 0700), 0);
}

/* Several writers open one new DB at once (issue 17: four sweeps, three
 * failed with "table devices already exists"): all succeed, the schema is
 * there once, every writer's row is stored. */
static void test_concurrent_create(void **state)
{
	(void)state;
	enum { WRITERS = 8, ROUNDS = 3 };
	for (int round = 0; round < ROUNDS; round++) {
		char name[32];
		snprintf(name, sizeof(name), "race%d.db", round);
		const char *p = path_of(name);
		int go[2];
		assert_int_equal(pipe(go), 0);
		pid_t pids[WRITERS];
		for (int w = 0; w < WRITERS; w++) {
			pids[w] = fork();
			assert_true(pids[w] >= 0);
			if (pids[w] > 0)
				continue;
			close(go[1]);
			char c;
			if (read(go[0], &c, 1) != 0)  /* EOF: all start at once */
				_exit(3);
			struct fdb *db;
			char msg[512], serial[16];
			if (fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)) != XS_OK) {
				fprintf(stderr, "writer %d: %s\n", w, msg);
				_exit(1);
			}
			snprintf(serial, sizeof(serial), "w%d", w);
			struct fdb_device d = {.transport = "adb", .serial = serial, .fingerprint = "f"};
			int64_t id;
			enum xs_status st = fdb_device_upsert(db, &d, &id);
			if (st != XS_OK)
				fprintf(stderr, "writer %d: %s\n", w, fdb_errmsg(db));
			fdb_close(db);
			_exit(st == XS_OK ? 0 : 2);
		}
		close(go[0]);
		close(go[1]);
		int failed = 0;
		for (int w = 0; w < WRITERS; w++) {
			int status;
			assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
			failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		}
		if (failed)
			fail_msg("round %d: %d of %d writers failed", round, failed, WRITERS);
		assert_int_equal(query_int(p, "PRAGMA user_version"), FDB_SCHEMA_VERSION);
		assert_int_equal(query_int(p, "SELECT count(*) FROM devices"), WRITERS);
		assert_int_equal(query_int(p, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
					      " AND name IN ('devices', 'sweeps', 'runs')"), 3);
		assert_int_equal(query_int(p, "SELECT count(*) FROM pragma_table_info('runs')"
					      " WHERE name = 'writer_pid'"), 1);
	}
}

/* "SELECT status FROM table WHERE id = id" on path (malloc'd). */
static char *status_of(const char *path, const char *table, int64_t id)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT status FROM %s WHERE id = %lld", table, (long long)id);
	sqlite3 *h;
	sqlite3_stmt *s;
	char *v = NULL;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(h);
	assert_non_null(v);
	return v;
}

static void assert_status(const char *path, const char *table, int64_t id, const char *want)
{
	char *v = status_of(path, table, id);
	if (strcmp(v, want) != 0)
		fail_msg("%s %lld: '%s', want '%s'", table, (long long)id, v, want);
	free(v);
}

/* A sweep killed mid-run (SIGKILL) is 'interrupted' at the next open for
 * writing, its rows kept; a live writer's run, another host's, and one
 * from before the writer was recorded stay 'running'; a live pid with
 * another start time (reused) is gone. */
static void test_interrupted(void **state)
{
	(void)state;
	const char *p = path_of("killed.db");
	struct fdb *live;
	char msg[512];
	assert_int_equal(fdb_open(p, FDB_WRITE, &live, msg, sizeof(msg)), XS_OK);
	int64_t dev, sn, sub, live_sweep, live_run, reused, other, old;
	struct fdb_device d = {.transport = "adb", .serial = "a", .fingerprint = "f"};
	assert_int_equal(fdb_device_upsert(live, &d, &dev), XS_OK);
	assert_int_equal(fdb_supernet_upsert(live, "s", "abc", "x", &sn), XS_OK);
	assert_int_equal(fdb_subnet_upsert(live, sn, "r20", 1, 1, &sub), XS_OK);
	assert_int_equal(fdb_sweep_begin(live, "live", &live_sweep), XS_OK);
	assert_int_equal(fdb_run_begin(live, live_sweep, dev, &live_run), XS_OK);
	assert_int_equal(fdb_sweep_begin(live, "reused pid", &reused), XS_OK);
	assert_int_equal(fdb_sweep_begin(live, "other host", &other), XS_OK);
	assert_int_equal(fdb_sweep_begin(live, "schema 4", &old), XS_OK);
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE sweeps SET writer_start = 'another-boot 1' WHERE id = %lld;"
		 "UPDATE sweeps SET writer_host = 'elsewhere', writer_pid = 1 WHERE id = %lld;"
		 "UPDATE sweeps SET writer_host = NULL, writer_pid = NULL, writer_start = NULL"
		 " WHERE id = %lld", (long long)reused, (long long)other, (long long)old);
	assert_int_equal(sqlite3_exec(live->h, sql, NULL, NULL, NULL), SQLITE_OK);
	/* the child: its own sweep, run and a result, then killed */
	int ids[2];
	assert_int_equal(pipe(ids), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fdb *db;
		int64_t v[2] = {-1, -1};
		if (fdb_open(p, FDB_WRITE, &db, NULL, 0) == XS_OK &&
		    fdb_sweep_begin(db, "killed", &v[0]) == XS_OK &&
		    fdb_run_begin(db, v[0], dev, &v[1]) == XS_OK) {
			struct fdb_key k = {dev, "f32", 1, "0", "v"};
			struct fdb_subnet_result r = result(0.5);
			bool stored;
			if (fdb_subnet_result_insert(db, v[1], &k, sub, &r, &stored) != XS_OK)
				v[1] = -1;
		}
		if (write(ids[1], v, sizeof(v)) != (ssize_t)sizeof(v))
			_exit(1);
		for (;;)
			pause();
	}
	int64_t v[2];
	assert_int_equal(read(ids[0], v, sizeof(v)), (ssize_t)sizeof(v));
	close(ids[0]);
	close(ids[1]);
	assert_true(v[0] > 0 && v[1] > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_status(p, "sweeps", v[0], "running");  /* until the next open */
	struct fdb *db;
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	assert_status(p, "sweeps", v[0], "interrupted");
	assert_status(p, "runs", v[1], "interrupted");
	assert_status(p, "sweeps", reused, "interrupted");
	assert_status(p, "sweeps", live_sweep, "running");
	assert_status(p, "runs", live_run, "running");
	assert_status(p, "sweeps", other, "running");
	assert_status(p, "sweeps", old, "running");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE id = %lld AND ended IS NOT NULL"
		 " AND error LIKE 'interrupted: the sweep writing it (pid %d on %%'",
		 (long long)v[1], (int)pid);
	assert_int_equal(query_int(p, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subnet_results WHERE run_id = %lld",
		 (long long)v[1]);
	assert_int_equal(query_int(p, sql), 1);  /* its rows stay */
	fdb_close(db);
	/* the live writer ends its own as ever */
	assert_int_equal(fdb_run_end(live, live_run, "done", NULL, NULL), XS_OK);
	assert_int_equal(fdb_sweep_end(live, live_sweep, "done"), XS_OK);
	fdb_close(live);
	assert_status(p, "sweeps", live_sweep, "done");
}

/* A schema 4 DB (sweeps and runs without writers, no 'interrupted') with a
 * sweep, a run and a result: migrated to 5 with its ids and rows, the
 * foreign keys whole. */
static void test_migrate_v4(void **state)
{
	(void)state;
	const char *p = path_of("v4.db");
	struct fdb *db;
	char msg[512];
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	fdb_close(db);
	sql_on(p,
	       "PRAGMA foreign_keys = OFF; BEGIN;"
	       "DROP TABLE runs; DROP TABLE sweeps;"
	       "CREATE TABLE sweeps (id INTEGER PRIMARY KEY, started TEXT NOT NULL, ended TEXT,"
	       "  status TEXT NOT NULL CHECK (status IN ('running','done','incomplete','failed')),"
	       "  config TEXT NOT NULL);"
	       "CREATE TABLE runs (id INTEGER PRIMARY KEY,"
	       "  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
	       "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	       "  started TEXT NOT NULL, ended TEXT,"
	       "  status TEXT NOT NULL CHECK (status IN ('running','done','incomplete','failed')),"
	       "  error TEXT, conditions TEXT, UNIQUE (sweep_id, device_id));"
	       "INSERT INTO devices (id, transport, serial, fingerprint, first_seen, last_seen)"
	       "  VALUES (3, 'adb', 's', 'f', 'x', 'x');"
	       "INSERT INTO supernets VALUES (4, 'n', 'abc', 'sp', 'x');"
	       "INSERT INTO subnets (id, supernet_id, arch, macs, params) VALUES (5, 4, 'r20', 1, 1);"
	       "INSERT INTO sweeps VALUES (7, 'a', 'b', 'done', 'c');"
	       "INSERT INTO runs VALUES (9, 7, 3, 'a', 'b', 'done', NULL, 'cool');"
	       "INSERT INTO subnet_results (run_id, device_id, subnet_id, precision, threads, cores,"
	       "  agent_version, status) VALUES (9, 3, 5, 'f32', 1, '0', 'v', 'ok');"
	       "PRAGMA user_version = 4; COMMIT");
	assert_int_equal(fdb_open(p, FDB_WRITE, &db, msg, sizeof(msg)), XS_OK);
	assert_int_equal(fdb_schema_version(db), 5);
	fdb_close(db);
	assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE id = 9 AND sweep_id = 7"
				      " AND conditions = 'cool' AND writer_pid IS NULL"), 1);
	assert_int_equal(query_int(p, "SELECT count(*) FROM subnet_results WHERE run_id = 9"), 1);
	assert_int_equal(query_int(p, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* the new status is allowed, deleting a sweep still cascades */
	sql_on(p, "PRAGMA foreign_keys = ON; UPDATE runs SET status = 'interrupted';"
		  "DELETE FROM sweeps WHERE id = 7");
	assert_int_equal(query_int(p, "SELECT count(*) FROM subnet_results"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_upsert),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_batch_duplicates),
		cmocka_unit_test(test_batch_failure),
		cmocka_unit_test(test_batch_one_transaction),
		cmocka_unit_test(test_export_rows),
		cmocka_unit_test(test_simulate),
		cmocka_unit_test(test_update_mode),
		cmocka_unit_test(test_refused_unchanged),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_concurrent_create),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_migrate_v4),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
