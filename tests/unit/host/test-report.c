/* test-report.c - the report renderer (reports/rep.h) on rows built here, no
 * DB: the pages and files it writes with the real gnuplot, HTML escaping of
 * a hostile device name, CSV quoting of a hostile arch and serial, the
 * tables behind the kernel and prediction charts, the Pareto frontier of a
 * known point set, gnuplot missing or failing, a supernet that cannot name
 * files, byte counts for people. */
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rep.h"
#include "util.h"

#define GNUPLOT "/usr/bin/gnuplot"
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HOSTILE "<b>&\"'"
#define HOSTILE_HTML "&lt;b&gt;&amp;&quot;&#39;"

static char out[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(out, sizeof(out), "%s/rep-test-XXXXXX", xf_tmpdir());
	return mkdtemp(out) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(out, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The file out/name, NUL-terminated (the test fails when it is not there). */
static char *slurp(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", out, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("no file '%s'", path);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool exists(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", out, name);
	return access(path, F_OK) == 0;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* ---- the rows: three devices, one supernet ---------------------------------------- */

static const struct rep_device devices[] = {
	{.id = 1, .transport = "local", .serial = "ser,\"ial", .fingerprint = "fp1", .model = HOSTILE,
	 .cpus = 4, .ram_bytes = 8000000000},
	{.id = 2, .transport = "sim", .serial = "sim-2", .model = "m2", .simulated = true},
	{.id = 3, .transport = "local", .serial = "idle"},  /* nothing measured */
};

static const struct rep_device_stats stats[] = {
	{.device_id = 1, .clean = 3, .kernels = 2, .run_status = "done", .conditions = "cool"},
	{.device_id = 2, .clean = 2, .kernels = 1, .run_status = "done"},
};

#define ARCH0 "r1,\"x\""                 /* a hostile arch */
static const struct rep_result results[] = {
	{1, ARCH0, "f32", "", 1.0, 1.2, 1.5, 70, 100, 1000},
	{1, "r2", "f32", "", 2.0, 2.2, 2.5, 80, 200, 2000},
	{1, "r3", "f32", "noisy", 3.0, 3.3, 3.5, 75, 300, 3000},  /* beaten by r2 */
	{2, ARCH0, "f32", "", 10, 12, 15, 70, 100, 1000},
	{2, "r2", "f32", "", 20, 22, 25, 80, 200, -1},
};

static const struct rep_kernel kernels[] = {
	{1, "stem a", 0.5},
	{1, "block b", 0.25},
	{2, "stem a", 5},
};

/* D2's first (not drawn: <= 0), then D1's: the page orders them D1, D2 */
static const struct rep_prediction predictions[] = {
	{3, -1}, {0, 1.05}, {1, 3.0}, {2, 2.9},
};

static const struct rep_listed listed[] = {{HOSTILE, "fp1"}};
static const struct rep_tier tiers[] = {
	{.name = "t1", .arch = "r2", .precision = "f32", .size = 12345, .latency_ms = 2.2,
	 .memory_bytes = 2000, .top1 = 80, .probe_min = 0.5, .listed = listed, .nlisted = 1},
};

static struct rep_supernet supernet(const char *sha)
{
	return (struct rep_supernet){
		.id = 7, .name = "net<1>", .sha256 = sha, .added = "2024-01-01", .subnet_count = 3,
		.result_count = 5, .device_count = 2, .page = true, .stats = stats, .nstats = 2,
		.results = results, .nresults = 5, .kernels = kernels, .nkernels = 3,
		.predictions = predictions, .npredictions = 4,
		.manifest = {.state = REP_MANIFEST_OK, .created = "2024-02-02", .budget_percentile = 90,
			     .budget_latency_ms = 60, .tiers = tiers, .ntiers = 1}};
}

struct seen {
	size_t pages, index, failed, skipped, charts;
	char why[512];
};

static void on_event(void *ctx, const struct rep_event *e)
{
	struct seen *s = ctx;
	switch (e->kind) {
	case REP_EVENT_PAGE: s->pages++; s->charts += e->charts; break;
	case REP_EVENT_INDEX: s->index++; break;
	case REP_EVENT_CHARTS_FAILED: s->failed++; snprintf(s->why, sizeof(s->why), "%s", e->why); break;
	case REP_EVENT_SKIPPED: s->skipped++; break;
	}
}

static enum xs_status render(const struct rep_supernet *sns, size_t n, const char *gnuplot,
			     struct seen *seen, struct rep_summary *sum, struct xs_error *err)
{
	struct rep_input in = {.db_name = "t<est>.db", .devices = devices, .ndevices = 3,
			       .supernets = sns, .nsupernets = n};
	struct rep_opts opts = {.out = out, .gnuplot = gnuplot, .on_event = on_event, .ctx = seen};
	return rep_render(&in, &opts, sum, err);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_pages(void **state)
{
	(void)state;
	struct rep_supernet sn = supernet(SHA);
	struct seen seen = {0};
	struct rep_summary sum;
	struct xs_error err = {""};
	assert_int_equal(render(&sn, 1, GNUPLOT, &seen, &sum, &err), XS_OK);
	/* D1 and D2: sub-nets and spread; all frontiers, kernels, predicted */
	assert_int_equal(sum.pages, 1);
	assert_int_equal(sum.charts, 7);
	assert_int_equal(sum.chart_failures, 0);
	assert_int_equal(seen.pages, 1);
	assert_int_equal(seen.index, 1);
	assert_int_equal(seen.charts, 7);
	static const char *const files[] = {
		"index.html", "sn-0123456789ab.html", "sn-0123456789ab/charts.gp",
		"sn-0123456789ab/devices.csv", "sn-0123456789ab/frontiers-f32.csv",
		"sn-0123456789ab/dev-1-f32.csv", "sn-0123456789ab/dev-2-f32.csv",
		"sn-0123456789ab/dev-1-f32.svg", "sn-0123456789ab/dev-1-f32-spread.svg",
		"sn-0123456789ab/dev-2-f32.svg", "sn-0123456789ab/frontiers-f32.svg",
		"sn-0123456789ab/kernels.svg", "sn-0123456789ab/predict.svg"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!exists(files[i]))
			fail_msg("no '%s'", files[i]);
	char *page = slurp("sn-0123456789ab.html");
	assert_int_equal(count(page, "<img class=chart"), 7);
	/* the hostile name: escaped in the device heading and the tiers */
	assert_non_null(strstr(page, "<h3>D1: ser,&quot;ial (" HOSTILE_HTML ")"));
	assert_int_equal(count(page, HOSTILE_HTML), 3);  /* devices, heading, tier */
	assert_null(strstr(page, "<b>"));
	assert_non_null(strstr(page, "<h1>net&lt;1&gt;</h1>"));
	assert_non_null(strstr(page, "<code>r1,&quot;x&quot;</code>"));
	/* D3 measured nothing: not in the page's devices */
	assert_non_null(strstr(page, "<p>2 devices ("));
	assert_null(strstr(page, "idle"));
	/* predictions: 1.05 for 1 and 2.9 for 3 within 10%, 3 for 2 not, -1 counted */
	assert_non_null(strstr(page, ": 2 of 4 within &plusmn;10%"));
	/* the tier's listed device measured r2 at 2 / 2.2 */
	assert_non_null(strstr(page, HOSTILE_HTML " fp1: 2 / 2.2</td>"));
	free(page);
	char *index = slurp("index.html");
	assert_non_null(strstr(index, "<code>t&lt;est&gt;.db</code>"));
	assert_non_null(strstr(index, "<a href=\"sn-0123456789ab.html\">net&lt;1&gt;</a>"));
	assert_non_null(strstr(index, "<td>idle</td>"));
	assert_null(strstr(index, "<b>"));
	/* the first lines: what was timed (two local devices: this host), that
	 * phones bring the tiers */
	assert_non_null(strstr(index, "<strong>Timed:</strong> this host."));
	assert_non_null(strstr(index, "<strong>Simulated:</strong> 1 device"));
	assert_non_null(strstr(index, "phones bring the tiers"));
	free(index);
	/* no string of the input in the gnuplot script */
	char *gp = slurp("sn-0123456789ab/charts.gp");
	assert_null(strstr(gp, "<b>"));
	assert_null(strstr(gp, "ser,"));
	assert_null(strstr(gp, "r1,"));
	assert_null(strstr(gp, "net<1>"));
	free(gp);
}

static void test_csv(void **state)
{
	(void)state;
	struct rep_supernet sn = supernet(SHA);
	struct seen seen = {0};
	assert_int_equal(render(&sn, 1, NULL, &seen, NULL, NULL), XS_OK);
	char *dev = slurp("sn-0123456789ab/devices.csv");
	assert_string_equal(dev, "id,serial,model,soc,abi,transport,kind,cpus,ram_bytes,run_status,"
			    "clean,throttled,noisy,untimed,failed,kernel_rows\n"
			    "1,\"ser,\"\"ial\",\"<b>&\"\"'\",,,local,real,4,8000000000,done,3,0,0,0,0,2\n"
			    "2,sim-2,m2,,,sim,simulated,0,0,done,2,0,0,0,0,1\n");
	free(dev);
	char *d1 = slurp("sn-0123456789ab/dev-1-f32.csv");
	assert_string_equal(d1, "arch,macs,median_ms,p90_ms,p99_ms,memory_bytes,top1,flags,frontier\n"
			   "\"r1,\"\"x\"\"\",100,1,1.2,1.5,1000,70.0000,,1\n"
			   "r2,200,2,2.2,2.5,2000,80.0000,,1\n"
			   "r3,300,3,3.3,3.5,3000,75.0000,noisy,0\n");
	free(d1);
	char *fr = slurp("sn-0123456789ab/frontiers-f32.csv");
	assert_string_equal(fr, "device,arch,median_ms,p90_ms,p99_ms,top1\n"
			   "1,\"r1,\"\"x\"\"\",1,1.2,1.5,70.0000\n1,r2,2,2.2,2.5,80.0000\n"
			   "2,\"r1,\"\"x\"\"\",10,12,15,70.0000\n2,r2,20,22,25,80.0000\n");
	free(fr);
	/* pieces in first-seen order, devices as columns, a missing one empty */
	char *k = slurp("sn-0123456789ab/kernels.csv");
	assert_string_equal(k, "piece,D1,D2\nstem a,0.5,5\nblock b,0.25,\n");
	free(k);
	/* D1 first (real), D2's only prediction not drawn */
	char *p = slurp("sn-0123456789ab/predict.csv");
	assert_string_equal(p, "device,arch,predicted_ms,measured_ms\n"
			   "1,\"r1,\"\"x\"\"\",1.05,1\n1,r2,3,2\n1,r3,2.9,3\n");
	free(p);
}

/* An emulated device's results are in the tables and CSV files, not in the
 * charts' data, and the page says why in one line; time_emulated draws them. */
static void test_emulated(void **state)
{
	(void)state;
	struct rep_device devs[3];
	memcpy(devs, devices, sizeof(devs));
	devs[1].simulated = false;
	devs[1].emulated = true;
	devs[1].transport = "emulated";
	struct rep_supernet sn = supernet(SHA);
	/* its rows checked, not timed: counted as such on the page */
	struct rep_device_stats st[2] = {stats[0], stats[1]};
	st[1].clean = 0;
	st[1].untimed = 2;
	st[1].failed = 1;
	sn.stats = st;
	for (int timed = 0; timed < 2; timed++) {
		struct seen seen = {0};
		struct rep_input in = {.db_name = "e.db", .devices = devs, .ndevices = 3,
				       .supernets = &sn, .nsupernets = 1};
		struct rep_opts opts = {.out = out, .on_event = on_event, .ctx = &seen,
					.time_emulated = timed};
		struct xs_error err;
		assert_int_equal(rep_render(&in, &opts, NULL, &err), XS_OK);
		char *page = slurp("sn-0123456789ab.html");
		char *fr = slurp("sn-0123456789ab/frontiers-f32.csv");
		char *dev = slurp("sn-0123456789ab/devices.csv");
		/* listed as a device either way */
		assert_non_null(strstr(dev, "\n2,sim-2,m2,,,emulated,emulated,0,0,done,0,0,0,2,1,1\n"));
		assert_non_null(strstr(page, "<th>noisy</th><th>untimed</th><th>failed</th>"));
		assert_non_null(strstr(page, "<td class=n>0</td><td class=n>2</td><td class=n>1</td>"
					     "<td class=n>1</td></tr>"));
		char *index = slurp("index.html");
		assert_non_null(strstr(index, "<strong>Checked, not timed:</strong> 1 emulated device "));
		free(index);
		if (timed) {
			assert_null(strstr(page, "emulated device (qemu-user)"));
			assert_non_null(strstr(fr, "\n2,r2,20,"));
		} else {
			assert_non_null(strstr(page, "1 emulated device (qemu-user): checked against "
						     "the host's logits, not timed."));
			assert_null(strstr(fr, "\n2,"));
			assert_false(exists("sn-0123456789ab/dev-2-f32.csv"));
		}
		free(page);
		free(fr);
		free(dev);
		assert_int_equal(teardown(NULL), 0);
		assert_int_equal(setup(NULL), 0);
	}
}

/* The index's first line in each case: no count of none, singular for one. */
static void test_timed_line(void **state)
{
	(void)state;
	static const struct {
		size_t phones, hosts;
		const char *line;
	} cases[] = {
		{0, 1, "<strong>Timed:</strong> this host. <strong>Simulated"},
		{2, 1, "<strong>Timed:</strong> 2 phones or boards and this host. <strong>Simulated"},
		{1, 0, "<strong>Timed:</strong> 1 phone or board. <strong>Simulated"},
		{0, 0, "<strong>Timed:</strong> no device. <strong>Simulated"},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct rep_device devs[4] = {{.id = 9, .transport = "sim", .simulated = true}};
		size_t n = 1;
		for (size_t i = 0; i < cases[c].phones; i++)
			devs[n++] = (struct rep_device){.id = (int64_t)n, .transport = "adb"};
		for (size_t i = 0; i < cases[c].hosts; i++)
			devs[n++] = (struct rep_device){.id = (int64_t)n, .transport = "local"};
		struct rep_input in = {.db_name = "t.db", .devices = devs, .ndevices = n};
		struct rep_opts opts = {.out = out};
		struct xs_error err;
		assert_int_equal(rep_render(&in, &opts, NULL, &err), XS_OK);
		char *index = slurp("index.html");
		if (strstr(index, cases[c].line) == NULL)
			fail_msg("case %zu: no '%s' in the index", c, cases[c].line);
		/* phones bring the tiers: said while none was timed */
		assert_int_equal(strstr(index, "phones bring the tiers") != NULL, cases[c].phones == 0);
		free(index);
	}
}

static void test_no_charts(void **state)
{
	(void)state;
	struct rep_supernet sns[2] = {supernet(SHA), supernet("not/hex")};
	sns[1].name = "other";
	struct seen seen = {0};
	struct rep_summary sum;
	assert_int_equal(render(sns, 2, NULL, &seen, &sum, NULL), XS_OK);
	assert_int_equal(sum.pages, 1);
	assert_int_equal(sum.charts, 0);
	assert_int_equal(sum.skipped, 1);
	assert_int_equal(seen.skipped, 1);
	char *page = slurp("sn-0123456789ab.html");
	assert_non_null(strstr(page, "Charts need gnuplot"));
	assert_null(strstr(page, "<img"));
	free(page);
	assert_true(exists("sn-0123456789ab/charts.gp"));  /* written, not run */
	assert_false(exists("sn-0123456789ab/kernels.svg"));
	char *index = slurp("index.html");
	assert_non_null(strstr(index, "other <span class=note>(no page: --supernet)</span>"));
	free(index);
}

static void test_gnuplot_missing(void **state)
{
	(void)state;
	struct rep_supernet sn = supernet(SHA);
	struct seen seen = {0};
	struct xs_error err = {""};
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/no/gnuplot", out);
	assert_int_equal(render(&sn, 1, missing, &seen, NULL, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, missing));
	assert_non_null(strstr(err.msg, "gnuplot-nox"));
	assert_false(exists("index.html"));  /* said before anything is written */
	/* a name that PATH does not have: the run fails, saying so */
	assert_int_equal(rep_gnuplot_run("no-such-gnuplot-here", out, "x.gp", &err), XS_EIO);
	assert_non_null(strstr(err.msg, "cannot run gnuplot 'no-such-gnuplot-here'"));
	assert_non_null(strstr(err.msg, "gnuplot-nox"));
}

static void test_gnuplot_fails(void **state)
{
	(void)state;
	/* a script gnuplot rejects */
	char path[512];
	snprintf(path, sizeof(path), "%s/bad.gp", out);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("plot no_such_function(x)\n", f);
	fclose(f);
	struct xs_error err = {""};
	assert_int_equal(rep_gnuplot_run(GNUPLOT, out, "bad.gp", &err), XS_EIO);
	assert_non_null(strstr(err.msg, "gnuplot failed (exit 1)"));
	char *log = slurp("gnuplot.log");
	assert_non_null(strstr(log, "no_such_function"));
	free(log);
	/* a failing program on a page: the page stands, the summary says so */
	struct rep_supernet sn = supernet(SHA);
	struct seen seen = {0};
	struct rep_summary sum;
	assert_int_equal(render(&sn, 1, "/bin/false", &seen, &sum, &err), XS_OK);
	assert_int_equal(sum.chart_failures, 1);
	assert_int_equal(seen.failed, 1);
	assert_non_null(strstr(seen.why, "gnuplot failed (exit 1)"));
	assert_true(exists("sn-0123456789ab.html"));
	assert_true(exists("index.html"));
}

static void test_pareto(void **state)
{
	(void)state;
	/* by latency: 1 (70), 2 (80; 75 at 2 is beaten), 3 (85), 4 (85: not
	 * better), 5 (90); the NAN points are out */
	const double lat[] = {5, 1, 3, 2, 4, 2, NAN, 0.5};
	const double acc[] = {90, 70, 85, 80, 85, 75, 99, NAN};
	size_t idx[8];
	size_t n = rep_pareto(lat, acc, 8, idx);
	assert_int_equal(n, 4);
	assert_int_equal(idx[0], 1);
	assert_int_equal(idx[1], 3);
	assert_int_equal(idx[2], 2);
	assert_int_equal(idx[3], 0);
	/* equal points: the first only */
	const double l2[] = {1, 1}, a2[] = {50, 50};
	assert_int_equal(rep_pareto(l2, a2, 2, idx), 1);
	assert_int_equal(idx[0], 0);
	assert_int_equal(rep_pareto(l2, a2, 0, idx), 0);
}

static void test_html_put(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	rep_html_put(f, HOSTILE " ok");
	rep_html_put(f, NULL);
	fclose(f);
	assert_string_equal(buf, HOSTILE_HTML " ok");
	free(buf);
}

static void test_bytes_human(void **state)
{
	(void)state;
	static const struct {
		int64_t bytes;
		const char *human;
	} cases[] = {{0, "0 B"}, {999, "999 B"}, {1000, "1 KB"}, {456789, "457 KB"},
		     {1000000, "1.0 MB"}, {7348568, "7.3 MB"}, {12345678901, "12345.7 MB"}};
	char b[32];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rep_bytes_human(cases[i].bytes, b, sizeof(b));
		assert_string_equal(b, cases[i].human);
	}
	rep_bytes_human(7348568, b, 4);  /* cut, NUL-ended */
	assert_string_equal(b, "7.3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timed_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_charts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emulated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gnuplot_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gnuplot_fails, setup, teardown),
		cmocka_unit_test(test_pareto),
		cmocka_unit_test(test_html_put),
		cmocka_unit_test(test_bytes_human),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
