/* test-report-data.c - the report's rows from a DB written here
 * (harness/report-data.h): one-thread rows only, the kernel pieces keyed as
 * the agent's table keys them, the device stats of the latest run, a
 * manifest that does not read, --supernet's choice and its error, the
 * renderer on what was gathered, untimed rows counted as such, and the
 * bytes each sweep gave its devices. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fdb.h"
#include "rep.h"
#include "report-data.h"
#include "util.h"

#define SHA "742e604ac6b7a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5"

static char dir[512], db_path[600];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/report-data-test-XXXXXX", xf_tmpdir());
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/fleet.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct fdb_subnet_result result(double median_ms)
{
	return (struct fdb_subnet_result){
		.status = "ok", .flags = "clean", .n = 10, .arena_bytes = 1000, .weight_bytes = 500,
		.peak_rss_delta_bytes = INT64_MIN, .eval_images = -1, .median_ms = median_ms,
		.mean_ms = median_ms, .stdev_ms = NAN, .cv = NAN, .rcv = NAN, .min_ms = NAN,
		.max_ms = NAN, .p90_ms = median_ms * 1.1, .p99_ms = median_ms * 1.2, .cold_ms = NAN,
		.build_ms = NAN, .top1 = NAN, .max_logit_diff = NAN, .temp_before_c = NAN,
		.temp_after_c = NAN, .freq_before = NAN, .freq_after = NAN};
}

static struct fdb_kernel_result piece(const char *name, int stage, int first, double median_ms)
{
	return (struct fdb_kernel_result){
		.piece = name, .stage = stage, .first = first, .res = 14, .cin = 8, .cout = 16,
		.expand = 4, .kernel = 5, .stride = 1, .macs = 100, .n = 10, .median_ms = median_ms,
		.mean_ms = median_ms, .cv = NAN, .rcv = NAN, .p90_ms = NAN, .min_ms = NAN};
}

/* A run of device d in a new sweep (config) of the supernet "net" and its
 * two sub-nets, in db_path opened for writing. */
struct made {
	struct fdb *db;
	int64_t dev, sn, s[2], sweep, run;
};

static struct made run_begin(const struct fdb_device *d, const char *config)
{
	struct made m;
	char msg[512];
	assert_int_equal(fdb_open(db_path, FDB_WRITE, &m.db, msg, sizeof(msg)), XS_OK);
	assert_int_equal(fdb_device_upsert(m.db, d, &m.dev), XS_OK);
	assert_int_equal(fdb_supernet_upsert(m.db, "net", SHA, "name=net\n", &m.sn), XS_OK);
	assert_int_equal(fdb_subnet_upsert(m.db, m.sn, "r14-a", 100, 10, &m.s[0]), XS_OK);
	assert_int_equal(fdb_subnet_upsert(m.db, m.sn, "r14-b", 200, 20, &m.s[1]), XS_OK);
	assert_int_equal(fdb_sweep_begin(m.db, config, &m.sweep), XS_OK);
	assert_int_equal(fdb_run_begin(m.db, m.sweep, m.dev, &m.run), XS_OK);
	return m;
}

/* One device (a hostile model), a supernet of two sub-nets, results at 1 and
 * 2 threads, kernel rows, a manifest that is not JSON. */
static void db_make(void)
{
	struct fdb_device d = {.transport = "local", .serial = "host", .fingerprint = "fp",
			       .model = "<b>&\"'", .cpus = 2};
	struct made m = run_begin(&d, "--devices host");
	struct fdb_key k1 = {m.dev, "f32", 1, "0", "v1"}, k2 = {m.dev, "f32", 2, "0 1", "v1"};
	struct fdb_key keys[3] = {k1, k1, k2};
	int64_t ids[3] = {m.s[0], m.s[1], m.s[0]};
	struct fdb_subnet_result rows[3] = {result(2), result(4), result(1.5)};
	size_t stored;
	assert_int_equal(fdb_subnet_results_insert(m.db, m.run, keys, ids, rows, 3, &stored), XS_OK);
	assert_int_equal(stored, 3);
	struct fdb_kernel_result kr[3] = {piece("block", 2, 1, 0.25), piece("stem", 1, 0, NAN),
					  piece("head", 0, 0, 0.5)};
	struct fdb_key kk[3] = {k1, k1, k2};
	assert_int_equal(fdb_kernel_results_insert(m.db, m.run, m.sn, kk, kr, 3, &stored), XS_OK);
	assert_int_equal(fdb_run_end(m.db, m.run, "done", NULL, "cool, idle"), XS_OK);
	assert_int_equal(fdb_sweep_end(m.db, m.sweep, "done"), XS_OK);
	int64_t id;
	assert_int_equal(fdb_manifest_insert(m.db, m.sn, "p90<=60ms", "not json", &id), XS_OK);
	fdb_close(m.db);
}

/* The DB made so far, opened for reading. */
static struct fdb *db_opened(void)
{
	struct fdb *db;
	char msg[512];
	assert_int_equal(fdb_open(db_path, FDB_READ, &db, msg, sizeof(msg)), XS_OK);
	return db;
}

/* db_make's DB, opened for reading. */
static struct fdb *db_made(void)
{
	db_make();
	return db_opened();
}

/* The DB made so far, opened for reading, and all its rows in *data. */
static struct fdb *db_gathered(struct xf_report_data *data)
{
	struct fdb *db = db_opened();
	struct xs_error err = {""};
	assert_int_equal(xf_report_data_gather(db, "fleet.db", NULL, data, &err), XS_OK);
	return db;
}

/* A second sweep, of an emulated device: two rows checked, not timed (flag
 * untimed, beside another flag in one), one that failed; its run records
 * what it was given. */
static void db_add_emulated(void)
{
	struct fdb_device d = {.transport = "emulated", .serial = "qemu-arm",
			       .fingerprint = "armeabi-v7a", .emulated = true};
	struct made m = run_begin(&d, "--devices qemu-arm");
	struct fdb_key f32 = {m.dev, "f32", 1, "0", "v1"}, int8 = {m.dev, "int8", 1, "0", "v1"};
	struct fdb_key keys[3] = {f32, f32, int8};
	int64_t ids[3] = {m.s[0], m.s[1], m.s[0]};
	struct fdb_subnet_result rows[3] = {result(30), result(40), result(NAN)};
	rows[0].flags = "untimed";
	rows[1].flags = "untimed budget";
	rows[2].status = "failed";
	rows[2].flags = NULL;
	size_t stored;
	assert_int_equal(fdb_subnet_results_insert(m.db, m.run, keys, ids, rows, 3, &stored), XS_OK);
	assert_int_equal(stored, 3);
	assert_int_equal(fdb_run_end(m.db, m.run, "done", NULL, "staged_bytes=7348568 staged_files=17 "
				     "pushed_bytes=0 pushed_files=0 models=host"), XS_OK);
	assert_int_equal(fdb_sweep_end(m.db, m.sweep, "done"), XS_OK);
	fdb_close(m.db);
}

/* The stats of device id in sn (the test fails when it has none). */
static const struct rep_device_stats *stats_of(const struct rep_supernet *sn, int64_t id)
{
	for (size_t i = 0; i < sn->nstats; i++)
		if (sn->stats[i].device_id == id)
			return &sn->stats[i];
	fail_msg("no stats of device %lld", (long long)id);
	return NULL;
}

/* Untimed rows are counted as such, not dropped nor taken for clean ones. */
static void test_untimed(void **state)
{
	(void)state;
	db_make();
	db_add_emulated();
	struct xf_report_data data;
	struct fdb *db = db_gathered(&data);
	const struct rep_supernet *sn = &data.in.supernets[0];
	const struct rep_device_stats *host = stats_of(sn, 1), *qemu = stats_of(sn, 2);
	assert_int_equal(host->clean, 3);  /* every thread count */
	assert_int_equal(host->untimed + host->failed, 0);
	assert_int_equal(qemu->untimed, 2);
	assert_int_equal(qemu->failed, 1);
	assert_int_equal(qemu->clean + qemu->throttled + qemu->noisy, 0);
	xf_report_data_release(&data);
	fdb_close(db);
}

/* The file name that rep_render wrote into dir (in a buffer the next call
 * reuses). */
static const char *page_read(const char *name)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char html[1 << 16];
	html[fread(html, 1, sizeof(html) - 1, f)] = '\0';
	fclose(f);
	return html;
}

/* One more run in m's sweep: device d's, ended with conditions. */
static void run_add(const struct made *m, const struct fdb_device *d, const char *status,
		    const char *conditions)
{
	int64_t dev, run;
	assert_int_equal(fdb_device_upsert(m->db, d, &dev), XS_OK);
	assert_int_equal(fdb_run_begin(m->db, m->sweep, dev, &run), XS_OK);
	assert_int_equal(fdb_run_end(m->db, run, status, NULL, conditions), XS_OK);
}

/* The bytes given per sweep are its runs' sums of staged_bytes= and
 * pushed_bytes=, whatever the keys' order, not a key that ends like one;
 * unknown where no run recorded them; the index says them for people. */
static void test_sweep_bytes(void **state)
{
	(void)state;
	db_make();         /* sweep 1: conditions without the keys */
	db_add_emulated(); /* sweep 2: 7348568 staged, 0 pushed */
	struct fdb_device phone = {.transport = "adb", .serial = "phone", .fingerprint = "fp-p"},
			  board = {.transport = "adb", .serial = "board", .fingerprint = "fp-b"},
			  gone = {.transport = "adb", .serial = "gone", .fingerprint = "fp-g"};
	struct made m = run_begin(&phone, "--devices all");
	assert_int_equal(fdb_run_end(m.db, m.run, "done", NULL, "staged_bytes=7348568 staged_files=17 "
				     "pushed_bytes=7348568 pushed_files=17 models=host"), XS_OK);
	run_add(&m, &board, "done", "pushed_bytes=12 xstaged_bytes=5 staged_bytes=1000 models=device");
	run_add(&m, &gone, "failed", NULL);
	assert_int_equal(fdb_sweep_end(m.db, m.sweep, "done"), XS_OK);
	fdb_close(m.db);
	struct xf_report_data data;
	struct fdb *db = db_gathered(&data);
	const struct rep_input *in = &data.in;
	assert_int_equal(in->nsweeps, 3);
	assert_int_equal(in->sweeps[0].staged_bytes, -1);
	assert_int_equal(in->sweeps[0].pushed_bytes, -1);
	assert_int_equal(in->sweeps[1].staged_bytes, 7348568);
	assert_int_equal(in->sweeps[1].pushed_bytes, 0);
	assert_int_equal(in->sweeps[2].runs, 3);
	assert_int_equal(in->sweeps[2].staged_bytes, 7348568 + 1000);
	assert_int_equal(in->sweeps[2].pushed_bytes, 7348568 + 12);
	struct rep_opts opts = {.out = dir};
	struct rep_summary sum;
	struct xs_error err = {""};
	assert_int_equal(rep_render(in, &opts, &sum, &err), XS_OK);
	const char *html = page_read("index.html");
	assert_non_null(strstr(html, "<th>results</th><th>given to the devices</th><th>config</th>"));
	assert_non_null(strstr(html, "<td class=n></td><td><code>--devices host</code>"));
	assert_non_null(strstr(html, "<td class=n>7.3 MB staged, 0 B pushed</td><td><code>--devices "
				     "qemu-arm</code>"));
	assert_non_null(strstr(html, "<td class=n>7.3 MB staged, 7.3 MB pushed</td><td><code>--devices "
				     "all</code>"));
	xf_report_data_release(&data);
	fdb_close(db);
}

static void test_gather(void **state)
{
	(void)state;
	struct fdb *db = db_made();
	struct xf_report_data data;
	struct xs_error err = {""};
	assert_int_equal(xf_report_data_gather(db, "fleet.db", NULL, &data, &err), XS_OK);
	const struct rep_input *in = &data.in;
	assert_string_equal(in->db_name, "fleet.db");
	assert_int_equal(in->ndevices, 1);
	assert_string_equal(in->devices[0].model, "<b>&\"'");
	assert_int_equal(in->nsweeps, 1);
	assert_string_equal(in->sweeps[0].config, "--devices host");
	assert_int_equal(in->nsupernets, 1);
	const struct rep_supernet *sn = &in->supernets[0];
	assert_true(sn->page);
	assert_string_equal(sn->sha256, SHA);
	/* one thread only: the 2-thread result and kernel row are left out */
	assert_int_equal(sn->nresults, 2);
	assert_string_equal(sn->results[0].arch, "r14-a");
	assert_true(sn->results[0].median_ms == 2);
	assert_true(sn->results[0].memory_bytes == 1500);
	assert_string_equal(sn->results[1].precision, "f32");
	/* and the piece without a latency */
	assert_int_equal(sn->nkernels, 1);
	assert_string_equal(sn->kernels[0].key, "block s2 first r14 e4 k5 f32");
	assert_true(sn->kernels[0].median_ms == 0.25);
	assert_int_equal(sn->nstats, 1);
	assert_string_equal(sn->stats[0].run_status, "done");
	assert_string_equal(sn->stats[0].conditions, "cool, idle");
	/* the space text does not parse: no predictions */
	assert_int_equal(sn->npredictions, 0);
	assert_int_equal(sn->manifest.state, REP_MANIFEST_BAD);
	assert_non_null(sn->manifest.why);
	/* what was gathered renders: the name escaped, the bad manifest said */
	struct rep_opts opts = {.out = dir};
	struct rep_summary sum;
	assert_int_equal(rep_render(in, &opts, &sum, &err), XS_OK);
	assert_int_equal(sum.pages, 1);
	const char *html = page_read("sn-742e604ac6b7.html");
	assert_non_null(strstr(html, "&lt;b&gt;&amp;&quot;&#39;"));
	assert_null(strstr(html, "<b>"));
	assert_non_null(strstr(html, "The newest manifest does not read"));
	xf_report_data_release(&data);
	xf_report_data_release(&data);  /* released: nothing */
	fdb_close(db);
}

static void test_only(void **state)
{
	(void)state;
	struct fdb *db = db_made();
	struct xf_report_data data;
	struct xs_error err = {""};
	assert_int_equal(xf_report_data_gather(db, "fleet.db", "nope", &data, &err), XS_EINVAL);
	assert_string_equal(err.msg, "'fleet.db' has no supernet 'nope'");
	xf_report_data_release(&data);
	assert_int_equal(xf_report_data_gather(db, "fleet.db", SHA, &data, &err), XS_OK);
	assert_true(data.in.supernets[0].page);
	assert_int_equal(data.in.supernets[0].nresults, 2);
	xf_report_data_release(&data);
	fdb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gather, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_bytes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
