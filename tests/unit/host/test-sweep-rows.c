/* test-sweep-rows.c - agent rows -> DB rows (harness/sweep-rows.c): good
 * rows map to exactly the values the agent wrote; a header without a column,
 * a number out of range, a bad precision, 'nan' where a value is needed and
 * an error row each give their error; real agent output (the fuzz corpus,
 * written by xnn-agent probe / kernels / bench) maps whole. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sweep-rows.h"
#include "util.h"
#include "xa.h"   /* XA_MAX_CPUS, xa_threads_parse: the agent's thread bound */

#define CORPUS "tests/fuzz/corpus-sweep-rows/"

/* What a stream mapped to: its first good row of each kind, counts, and
 * the first error. */
struct mapped {
	enum xf_rows_table table;
	struct xf_rows_header h;
	bool header_read;
	enum xs_status header_st;
	size_t rows, good, bad, error_rows;
	struct fdb_kernel_result k;
	struct fdb_subnet_result s;
	struct fdb_key key;
	char arch[XS_ARCH_MAX], piece[32], flags[64], prec[8], cores[64], sha[65];
	char first_error[512];
	struct xf_probe probe;
};

static void on_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)n;
	struct mapped *m = ctx;
	struct xs_error err;
	m->rows++;
	if (!m->header_read) {
		m->header_read = true;
		m->header_st = xf_rows_header_init(&m->h, m->table, r, &err);
		if (m->header_st != XS_OK)
			snprintf(m->first_error, sizeof(m->first_error), "%s", err.msg);
	}
	if (m->header_st != XS_OK)
		return;
	enum xs_status st = XS_OK;
	struct fdb_key key = {.device_id = 7, .agent_version = "v"};
	const char *arch = NULL;
	struct fdb_kernel_result k;
	struct fdb_subnet_result s;
	if (m->table == XF_ROWS_PROBE)
		xf_rows_probe_add(&m->probe, &m->h, f);
	else if (m->table == XF_ROWS_KERNELS)
		st = xf_rows_kernel(&m->h, r, f, &k, &key, &err);
	else
		st = xf_rows_bench(&m->h, r, f, &arch, &s, &key, &err);
	assert_int_equal(key.device_id, 7);               /* the caller's part stays */
	assert_string_equal(key.agent_version, "v");
	if (st != XS_OK) {
		m->bad++;
		m->error_rows += st == XS_EINVAL;
		if (m->first_error[0] == '\0')
			snprintf(m->first_error, sizeof(m->first_error), "%s", err.msg);
		return;
	}
	if (m->good++ || m->table == XF_ROWS_PROBE)
		return;
	m->k = k;
	m->s = s;
	m->key = key;
	snprintf(m->prec, sizeof(m->prec), "%s", key.precision);
	snprintf(m->cores, sizeof(m->cores), "%s", key.cores);
	if (m->table == XF_ROWS_KERNELS) {
		snprintf(m->piece, sizeof(m->piece), "%s", k.piece);
		snprintf(m->flags, sizeof(m->flags), "%s", k.flags);
	} else {
		snprintf(m->arch, sizeof(m->arch), "%s", arch);
		snprintf(m->flags, sizeof(m->flags), "%s", s.flags);
		snprintf(m->sha, sizeof(m->sha), "%s", s.xnm_sha256);
	}
}

/* Maps text as a stream of table; returns the reader's finish status. */
static enum xs_status map(enum xf_rows_table table, const char *text, size_t len,
			  struct mapped *m)
{
	struct xf_agent_reader *r;
	memset(m, 0, sizeof(*m));
	m->table = table;
	assert_int_equal(xf_agent_reader_create(on_row, m, &r, NULL), XS_OK);
	enum xs_status st = xf_agent_reader_feed(r, text, len, NULL);
	if (st == XS_OK)
		st = xf_agent_reader_finish(r, NULL);
	xf_agent_reader_destroy(r);
	return st;
}

static const char kernel_header[] =
	"#table=kernels\n#cores=0 1\n"
	"piece,stage,first,res,cin,cout,expand,kernel,stride,precision,threads,macs,n,"
	"median_ms,mean_ms,cv,rcv,p90_ms,min_ms,flags\n";

static const char bench_header[] =
	"#table=bench\n"
	"index,arch,precision,threads,cores,pinned,status,flags,n,median_ms,mean_ms,stdev_ms,cv,"
	"rcv,min_ms,max_ms,p90_ms,p99_ms,cold_ms,warm_runs,redos,build_ms,arena_bytes,"
	"weight_bytes,peak_rss_delta_bytes,rss_method,eval_images,top1,max_logit_diff,sha256,"
	"temp_before_c,temp_after_c,freq_before,freq_after,error,batch,median_lo_ms,median_hi_ms,"
	"p90_lo_ms,p90_hi_ms\n";

/* The table's header with one row after it (and the end line). */
static enum xs_status map_one(enum xf_rows_table table, const char *row, struct mapped *m)
{
	char text[4096];
	snprintf(text, sizeof(text), "%s%s\n#end rows=1\n",
		 table == XF_ROWS_KERNELS ? kernel_header : bench_header, row);
	return map(table, text, strlen(text), m);
}

static enum xs_status kernel_one(const char *row, struct mapped *m)
{
	return map_one(XF_ROWS_KERNELS, row, m);
}

static enum xs_status bench_one(const char *row, struct mapped *m)
{
	return map_one(XF_ROWS_BENCH, row, m);
}

static void test_kernel_good(void **state)
{
	(void)state;
	struct mapped m;
	assert_int_equal(kernel_one("block,4,1,7,96,96,4,7,2,f32,2,1480704,906,0.021261,"
				    "0.059746702,9.38327378,0.00634573585,0.021502,0.02041,noisy",
				    &m), XS_OK);
	assert_int_equal(m.good, 1);
	assert_string_equal(m.piece, "block");
	assert_int_equal(m.k.stage, 4);
	assert_int_equal(m.k.first, 1);
	assert_int_equal(m.k.res, 7);
	assert_int_equal(m.k.cin, 96);
	assert_int_equal(m.k.cout, 96);
	assert_int_equal(m.k.expand, 4);
	assert_int_equal(m.k.kernel, 7);
	assert_int_equal(m.k.stride, 2);
	assert_int_equal(m.k.macs, 1480704);
	assert_int_equal(m.k.n, 906);
	assert_true(m.k.median_ms == 0.021261);
	assert_true(m.k.mean_ms == 0.059746702);
	assert_true(m.k.cv == 9.38327378);
	assert_true(m.k.rcv == 0.00634573585);
	assert_true(m.k.p90_ms == 0.021502);
	assert_true(m.k.min_ms == 0.02041);
	assert_string_equal(m.flags, "noisy");
	assert_string_equal(m.prec, "f32");
	assert_int_equal(m.key.threads, 2);
	assert_string_equal(m.cores, "0 1");  /* the stream's #cores */
	/* blanks where allowed: NAN */
	assert_int_equal(kernel_one("head,-1,0,4,96,10,0,0,0,int8,1,296832,3130,0.5,,nan,unknown,"
				    ",,clean", &m), XS_OK);
	assert_int_equal(m.good, 1);
	assert_int_equal(m.k.stage, -1);
	assert_true(isnan(m.k.mean_ms) && isnan(m.k.cv) && isnan(m.k.rcv) && isnan(m.k.p90_ms));
	assert_string_equal(m.prec, "int8");
}

static void test_kernel_bad(void **state)
{
	(void)state;
	static const struct {
		const char *row, *why;
	} bad[] = {
		{"block,4,0,4,96,96,4,7,1,f16,1,1,9,0.1,,,,,,clean",
		 "kernels row 1: precision 'f16' is not f32 or int8"},
		{"block,4,0,4,96,96,4,7,1,f32,1,1,9,-5,,,,,,clean",
		 "kernels row 1: median_ms '-5' is not a number in (0, 1e+07]"},
		{"block,4,0,4,96,96,4,7,1,f32,1,1,nan,0.1,,,,,,clean",
		 "kernels row 1: n 'nan' is not a number in [1, 1e+09]"},
		{"block,4,0,4,96,96,4,7,1,f32,0,1,9,0.1,,,,,,clean",
		 "kernels row 1: threads '0' is not a number in [1, 256]"},
		{"block,4,0,0,96,96,4,7,1,f32,1,1,9,0.1,,,,,,clean", "res '0'"},
		{"block,4,0,4,96,96,4,7,1,f32,1,1,9,0.1x,,,,,,clean", "median_ms '0.1x'"},
		{"block,4,0,4,96,96,4,7,1,f32,1,1,9,0.1,-1,,,,,clean", "mean_ms '-1'"},
		{"block,,0,4,96,96,4,7,1,f32,1,1,9,0.1,,,,,,clean", "stage ''"},
		/* issue 17: a zero median, threads past the agent's, times out of
		 * order, a negative cv */
		{"block,4,0,4,96,96,4,7,1,f32,1,1,9,0,,,,,,clean",
		 "kernels row 1: median_ms '0' is not a number in (0, 1e+07]"},
		{"block,4,0,4,96,96,4,7,1,f32,4096,1,9,0.1,,,,,,clean",
		 "kernels row 1: threads '4096' is not a number in [1, 256]"},
		{"block,4,0,4,96,96,4,7,1,f32,1,1,9,0.1,,,,,0.2,clean",
		 "kernels row 1: min_ms '0.2' > median_ms '0.1'"},
		{"block,4,0,4,96,96,4,7,1,f32,1,1,9,0.1,,,,0.09,,clean",
		 "kernels row 1: median_ms '0.1' > p90_ms '0.09'"},
		{"block,4,0,4,96,96,4,7,1,f32,1,1,9,0.1,,-0.2,,,,clean",
		 "kernels row 1: cv '-0.2' is not a number in [0, 1e+30]"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mapped m;
		assert_int_equal(kernel_one(bad[i].row, &m), XS_OK);
		assert_int_equal(m.good, 0);
		assert_int_equal(m.bad, 1);
		if (strstr(m.first_error, bad[i].why) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].row, m.first_error, bad[i].why);
		assert_non_null(strstr(m.first_error, "the agent's output is damaged"));
	}
}

/* A header that lacks a column: one error naming it, no row mapped. */
static void test_missing_column(void **state)
{
	(void)state;
	struct mapped m;
	const char no_flags[] = "#cores=0\npiece,stage,first,res,cin,cout,expand,kernel,stride,"
				"precision,threads,macs,n,median_ms,mean_ms,cv,rcv,p90_ms,min_ms\n"
				"stem,-1,0,20,1,16,0,3,1,f32,1,57600,1,0.1,,,,,\n"
				"stem,-1,0,20,1,16,0,3,1,f32,1,57600,1,0.1,,,,,\n#end rows=2\n";
	assert_int_equal(map(XF_ROWS_KERNELS, no_flags, strlen(no_flags), &m), XS_OK);
	assert_int_equal(m.rows, 2);
	assert_int_equal(m.good + m.bad, 0);
	assert_int_equal(m.header_st, XS_EFORMAT);
	assert_string_equal(m.first_error, "kernels output: the header has no 'flags' column: "
					   "the agent's output is damaged");
	/* no #cores line: the kernel key would have no core set */
	char text[2048];
	const char *one = "stem,-1,0,20,1,16,0,3,1,f32,1,57600,1,0.1,,,,,,clean\n";
	snprintf(text, sizeof(text), "%s%s#end rows=1\n", strchr(kernel_header, 'p'), one);
	assert_int_equal(map(XF_ROWS_KERNELS, text, strlen(text), &m), XS_OK);
	assert_int_equal(m.header_st, XS_EFORMAT);
	assert_non_null(strstr(m.first_error, "no '#cores' line"));
	/* bench without status (today's crash): the real stream, renamed column */
	char *data;
	size_t len;
	assert_int_equal(xf_file_read(CORPUS "bench-no-status.csv", 1 << 20, &data, &len, NULL),
			 XS_OK);
	assert_int_equal(map(XF_ROWS_BENCH, data, len, &m), XS_OK);
	assert_int_equal(m.rows, 2);
	assert_int_equal(m.good + m.bad, 0);
	assert_string_equal(m.first_error, "bench output: the header has no 'status' column: "
					   "the agent's output is damaged");
	free(data);
	/* a probe without value */
	const char probe[] = "key,val\nabi,x86_64\n#end rows=1\n";
	assert_int_equal(map(XF_ROWS_PROBE, probe, strlen(probe), &m), XS_OK);
	assert_non_null(strstr(m.first_error, "probe output: the header has no 'value' column"));
	assert_int_equal(m.probe.len, 0);
}

static void test_bench_good(void **state)
{
	(void)state;
	struct mapped m;
	assert_int_equal(bench_one("0,r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3,int8,4,0 1 2 3,"
				   "4/4,ok,throttled noisy,5500,0.018177,0.037,0.27,7.4,0.0073,"
				   "0.017746,5.22,0.018358,0.0195,0.0794,1391,0,233.95,79936,229032,"
				   "-4096,VmHWM,1000,91.5,0.00012,44efeb,41.5,43,0.75,0.5,,56,0.0181,0.0183,"
				   "0.0182,0.0185", &m),
			 XS_OK);
	assert_int_equal(m.good, 1);
	assert_string_equal(m.arch, "r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3");
	assert_string_equal(m.prec, "int8");
	assert_int_equal(m.key.threads, 4);
	assert_string_equal(m.cores, "0 1 2 3");
	assert_string_equal(m.s.status, "ok");
	assert_null(m.s.error);
	assert_string_equal(m.flags, "throttled noisy");
	assert_string_equal(m.sha, "44efeb");
	assert_int_equal(m.s.n, 5500);
	assert_true(m.s.median_ms == 0.018177 && m.s.mean_ms == 0.037 && m.s.stdev_ms == 0.27);
	assert_true(m.s.cv == 7.4 && m.s.rcv == 0.0073 && m.s.min_ms == 0.017746);
	assert_true(m.s.max_ms == 5.22 && m.s.p90_ms == 0.018358 && m.s.p99_ms == 0.0195);
	assert_true(m.s.cold_ms == 0.0794 && m.s.build_ms == 233.95);
	assert_int_equal(m.s.arena_bytes, 79936);
	assert_int_equal(m.s.weight_bytes, 229032);
	assert_int_equal(m.s.peak_rss_delta_bytes, -4096);
	assert_int_equal(m.s.eval_images, 1000);
	assert_true(m.s.top1 == 91.5 && m.s.max_logit_diff == 0.00012);
	assert_true(m.s.temp_before_c == 41.5 && m.s.temp_after_c == 43);
	assert_true(m.s.freq_before == 0.75 && m.s.freq_after == 0.5);
	assert_int_equal(m.s.batch, 56);
	assert_true(m.s.median_lo_ms == 0.0181 && m.s.median_hi_ms == 0.0183);
	assert_true(m.s.p90_lo_ms == 0.0182 && m.s.p90_hi_ms == 0.0185);
	/* unknowns: NAN, INT64_MIN for the RSS delta, -1 for a count */
	assert_int_equal(bench_one("0,a,f32,1,0,1/1,ok,clean,9,0.5,,,,,,,0.6,,,1,0,,10,20,unknown,"
				   "m,,,,,,,,,,,,,,", &m), XS_OK);
	assert_int_equal(m.good, 1);
	assert_int_equal(m.s.peak_rss_delta_bytes, INT64_MIN);
	assert_int_equal(m.s.eval_images, -1);
	assert_true(isnan(m.s.top1) && isnan(m.s.max_logit_diff) && isnan(m.s.p99_ms));
	assert_true(isnan(m.s.temp_before_c) && isnan(m.s.freq_after));
	assert_int_equal(m.s.batch, -1);
	assert_true(isnan(m.s.median_hi_ms) && isnan(m.s.p90_hi_ms));
}

static void test_bench_bad(void **state)
{
	(void)state;
	static const struct {
		const char *row, *why;
		enum xs_status st;
	} bad[] = {
		{"0,a,f16,1,0,1/1,ok,clean,9,0.5,,,,,,,0.6,,,1,0,,10,20,0,m,,,,,,,,,,,,,,",
		 "bench row 1: precision 'f16' is not f32 or int8", XS_EFORMAT},
		{"0,a,f32,1,0,1/1,ok,clean,9,-5,,,,,,,0.6,,,1,0,,10,20,0,m,,,,,,,,,,,,,,",
		 "bench row 1: median_ms '-5' is not a number in (0, 1e+07]", XS_EFORMAT},
		{"0,a,f32,1,0,1/1,ok,clean,9,0.5,,,,,,,nan,,,1,0,,10,20,0,m,,,,,,,,,,,,,,",
		 "p90_ms 'nan' is not a number", XS_EFORMAT},
		{"0,a,f32,1,0,1/1,ok,clean,9,0.5,,,,,,,0.6,,,1,0,,10,20,0,m,,101,,,,,,,,,,,,",
		 "top1 '101' is not a number in [0, 100]", XS_EFORMAT},
		{"0,a,f32,1,0,1/1,ok,clean,9,0.5,,,,,,,0.6,,,1,0,,,20,0,m,,,,,,,,,,,,,,",
		 "arena_bytes ''", XS_EFORMAT},
		{"0,a,f32,1,0,1/1,ok,clean,9,0.5,,,,,,,0.6,,,1,0,,10,20,0,m,,,,,-400,,,,,,,,,",
		 "temp_before_c '-400'", XS_EFORMAT},
		{"1,r20-d9,,,,,error,,,,,,,,,,,,,,,,,,,,,,,,,,,,arch: depth 9 is not in the space,,,,,",
		 "r20-d9: arch: depth 9 is not in the space", XS_EINVAL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mapped m;
		assert_int_equal(bench_one(bad[i].row, &m), XS_OK);
		assert_int_equal(m.good, 0);
		assert_int_equal(m.bad, 1);
		assert_int_equal(m.error_rows, bad[i].st == XS_EINVAL);
		if (strstr(m.first_error, bad[i].why) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].row, m.first_error, bad[i].why);
	}
}

/* A good bench row's values, by bench_header's columns (min <= median <=
 * p90 <= p99 <= max, intervals around median and p90). */
static const char *const good_bench[] = {
	"0", "a", "f32", "2", "0 1", "2/2", "ok", "clean", "500", "0.50", "0.52", "0.03", "0.06",
	"0.01", "0.45", "0.90", "0.60", "0.70", "1.5", "100", "0", "3.5", "10", "20", "4096", "m",
	"100", "91", "", "44ef", "", "", "", "", "", "1", "0.49", "0.51", "0.58", "0.62"};

/* good_bench with column col set to v, as one row of text in row. */
static void bench_with(const char *col, const char *v, char *row, size_t n)
{
	const char *names = strchr(bench_header, '\n') + 1;
	size_t at = 0, i = 0;
	bool found = false;
	for (const char *c = names; *c && *c != '\n'; i++) {
		size_t len = strcspn(c, ",\n");
		bool hit = strlen(col) == len && strncmp(c, col, len) == 0;
		found |= hit;
		assert_true(i < sizeof(good_bench) / sizeof(good_bench[0]));
		at += (size_t)snprintf(row + at, n - at, "%s%s", i ? "," : "", hit ? v : good_bench[i]);
		c += len + (c[len] == ',');
	}
	assert_int_equal(i, sizeof(good_bench) / sizeof(good_bench[0]));
	assert_true(found);
}

/* What issue 17 found stored: negative times, a zero median, 4096 threads
 * and times out of order are each refused, with the row, column and value;
 * their good neighbour maps. */
static void test_bench_values(void **state)
{
	(void)state;
	static const struct {
		const char *col, *v, *why;
	} bad[] = {
		{"mean_ms", "-0.5", "bench row 1: mean_ms '-0.5' is not a number in [0, 1e+30]"},
		{"min_ms", "-0.1", "bench row 1: min_ms '-0.1' is not a number in [0, 1e+30]"},
		{"max_ms", "-1", "bench row 1: max_ms '-1' is not a number in [0, 1e+30]"},
		{"p99_ms", "-0.7", "bench row 1: p99_ms '-0.7' is not a number in [0, 1e+30]"},
		{"cold_ms", "-3", "bench row 1: cold_ms '-3' is not a number in [0, 1e+30]"},
		{"stdev_ms", "-0.03", "bench row 1: stdev_ms '-0.03' is not a number in [0, 1e+30]"},
		{"cv", "-0.06", "bench row 1: cv '-0.06' is not a number in [0, 1e+30]"},
		{"median_ms", "0", "bench row 1: median_ms '0' is not a number in (0, 1e+07]"},
		{"p90_ms", "0", "bench row 1: p90_ms '0' is not a number in (0, 1e+07]"},
		{"threads", "4096", "bench row 1: threads '4096' is not a number in [1, 256]"},
		{"threads", "257", "bench row 1: threads '257' is not a number in [1, 256]"},
		{"min_ms", "0.55", "bench row 1: min_ms '0.55' > median_ms '0.50'"},
		{"median_ms", "0.65", "bench row 1: median_ms '0.65' > p90_ms '0.60'"},
		{"p99_ms", "0.55", "bench row 1: p90_ms '0.60' > p99_ms '0.55'"},
		{"max_ms", "0.65", "bench row 1: p99_ms '0.70' > max_ms '0.65'"},
		{"median_hi_ms", "0.48", "bench row 1: median_lo_ms '0.49' > median_hi_ms '0.48'"},
		{"p90_lo_ms", "0.63", "bench row 1: p90_lo_ms '0.63' > p90_hi_ms '0.62'"},
	};
	char row[1024];
	struct mapped m;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bench_with(bad[i].col, bad[i].v, row, sizeof(row));
		assert_int_equal(bench_one(row, &m), XS_OK);
		assert_int_equal(m.good, 0);
		assert_int_equal(m.bad, 1);
		if (strstr(m.first_error, bad[i].why) == NULL ||
		    strstr(m.first_error, "the agent's output is damaged") == NULL)
			fail_msg("%s=%s: got '%s', want '%s'", bad[i].col, bad[i].v, m.first_error,
				 bad[i].why);
	}
	/* the good row itself, the agent's bound, an unknown p99 (fewer samples),
	 * max equal to p99; an unknown p99 leaves p90 <= max checked; an untimed
	 * row (one run: all equal) */
	static const struct {
		const char *col, *v;
	} good[] = {{"arch", "a"}, {"threads", "256"}, {"p99_ms", ""}, {"max_ms", "0.70"}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bench_with(good[i].col, good[i].v, row, sizeof(row));
		assert_int_equal(bench_one(row, &m), XS_OK);
		if (m.good != 1)
			fail_msg("%s=%s: %s", good[i].col, good[i].v, m.first_error);
	}
	bench_with("p99_ms", "", row, sizeof(row));
	char *max = strstr(row, ",0.90,");
	assert_non_null(max);
	memcpy(max, ",0.55,", 6);  /* max below p90, p99 blank */
	assert_int_equal(bench_one(row, &m), XS_OK);
	assert_int_equal(m.good, 0);
	assert_non_null(strstr(m.first_error, "p90_ms '0.60' > max_ms '0.55'"));
	assert_int_equal(bench_one("0,a,f32,1,0,1/1,ok,untimed,1,2.5,2.5,0,0,0,2.5,2.5,2.5,,2.5,0,0,"
				   "3,10,20,0,m,100,91,0.0001,44ef,,,,,,1,,,,", &m), XS_OK);
	assert_int_equal(m.good, 1);
}

/* The mapper's bound is the agent's: a thread count one accepts the other
 * does. */
static void test_threads_bound(void **state)
{
	(void)state;
	assert_int_equal(XF_ROWS_MAX_THREADS, XA_MAX_CPUS);
	int t[4];
	size_t n;
	char list[32];
	snprintf(list, sizeof(list), "%d", XF_ROWS_MAX_THREADS);
	assert_true(xa_threads_parse(list, t, 4, &n));
	snprintf(list, sizeof(list), "%d", XF_ROWS_MAX_THREADS + 1);
	assert_false(xa_threads_parse(list, t, 4, &n));
}

/* A bad row between good ones is refused alone: the rows before it and
 * after it map (the sweep stores what mapped, bench_row skips the bad). */
static void test_bad_row_alone(void **state)
{
	(void)state;
	char good[1024], bad[1024], text[4096];
	bench_with("arch", "a", good, sizeof(good));
	bench_with("mean_ms", "-1", bad, sizeof(bad));
	snprintf(text, sizeof(text), "%s%s\n%s\n%s\n#end rows=3\n", bench_header, good, bad, good);
	struct mapped m;
	assert_int_equal(map(XF_ROWS_BENCH, text, strlen(text), &m), XS_OK);
	assert_int_equal(m.rows, 3);
	assert_int_equal(m.good, 2);
	assert_int_equal(m.bad, 1);
	assert_non_null(strstr(m.first_error, "bench row 2: mean_ms '-1'"));
}

static void test_probe(void **state)
{
	(void)state;
	struct mapped m;
	const char text[] = "#table=probe\nkey,value\nabi,arm64-v8a\ncpus,8\n"
			    "cluster.0.cpus,0 1 2 3\ncluster.0.capacity,512\ncluster.0.max_khz,1800000\n"
			    "cluster.1.cpus,4 5 6 7\ncluster.1.capacity,1024\ncluster.1.max_khz,unknown\n"
			    "ram_bytes,8000000000\nos,Android 14\ndevice.manufacturer,Google\n"
			    "device.model,\"Pixel 8, Pro\"\ndevice.fingerprint,unknown\n"
			    "soc.model,Tensor G3\nemulator,yes\n#end rows=15\n";
	assert_int_equal(map(XF_ROWS_PROBE, text, strlen(text), &m), XS_OK);
	struct xf_probe_info info;
	assert_int_equal(xf_rows_probe_info(&m.probe, &info, NULL), XS_OK);
	assert_int_equal(info.cpus, 8);
	assert_int_equal(info.ram_bytes, 8000000000);
	assert_string_equal(info.clusters, "0 1 2 3:512:1800000;4 5 6 7:1024:unknown");
	assert_string_equal(info.cores, "0 1 2 3 4 5 6 7");
	assert_true(info.emulator);
	assert_true(info.has_model && !info.has_fingerprint);
	assert_string_equal(info.model, "Pixel 8, Pro");
	struct fdb_device d;
	xf_rows_probe_device(&m.probe, &info, "adb", "P8", "arm64-v8a", true, &d);
	assert_string_equal(d.transport, "adb");
	assert_string_equal(d.serial, "P8");
	assert_null(d.fingerprint);  /* unknown stays unknown: no fallback of the sweep's own */
	assert_string_equal(d.model, "Pixel 8, Pro");
	assert_string_equal(d.manufacturer, "Google");
	assert_string_equal(d.soc, "Tensor G3");
	assert_string_equal(d.os, "Android 14");
	assert_int_equal(d.cpus, 8);
	assert_int_equal(d.ram_bytes, 8000000000);
	assert_true(d.emulated && !d.simulated);
	assert_ptr_equal(d.probe, m.probe.text);
	assert_non_null(strstr(d.probe, "abi,arm64-v8a\ncpus,8\n"));
	/* unknown values are unknown; out of range is an error */
	struct xf_probe p = {.len = 0};
	const char *rows[][2] = {{"cpus", "unknown"}, {"ram_bytes", "unknown"}};
	struct xf_rows_header h = {XF_ROWS_PROBE, {0, 1}};
	for (size_t i = 0; i < 2; i++)
		xf_rows_probe_add(&p, &h, (char *const *)rows[i]);
	assert_int_equal(xf_rows_probe_info(&p, &info, NULL), XS_OK);
	assert_int_equal(info.cpus, 0);
	assert_string_equal(info.cores, "");
	const char *bad[] = {"cpus", "0"};
	p.len = 0;
	xf_rows_probe_add(&p, &h, (char *const *)bad);
	struct xs_error err;
	assert_int_equal(xf_rows_probe_info(&p, &info, &err), XS_EFORMAT);
	assert_string_equal(err.msg, "probe: cpus '0' is not a number in [1, 4096]: the agent's "
				     "output is damaged");
}

/* What xnn-agent wrote (kept in the fuzz corpus) maps whole. */
static void test_real_output(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		enum xf_rows_table table;
		size_t rows, good, error_rows;
	} files[] = {
		{"probe.csv", XF_ROWS_PROBE, 32, 32, 0},
		{"probe-aarch64.csv", XF_ROWS_PROBE, 0, 0, 0},
		{"kernels.csv", XF_ROWS_KERNELS, 196, 196, 0},
		{"bench.csv", XF_ROWS_BENCH, 2, 2, 0},
		{"bench-error.csv", XF_ROWS_BENCH, 2, 1, 1},
		/* bench.csv's first row, then it with a zero median, min > median,
		 * 4096 threads, max < p99, median_hi < median_lo, a negative mean,
		 * then it again: the fuzzer starts from rows that reach each check */
		{"bench-values.csv", XF_ROWS_BENCH, 8, 2, 0},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256], *data;
		size_t len;
		snprintf(path, sizeof(path), CORPUS "%s", files[i].file);
		assert_int_equal(xf_file_read(path, 1 << 20, &data, &len, NULL), XS_OK);
		struct mapped m;
		assert_int_equal(map(files[i].table, data, len, &m), XS_OK);
		free(data);
		if (m.first_error[0] && m.error_rows == 0 && files[i].good == files[i].rows)
			fail_msg("%s: %s", files[i].file, m.first_error);
		if (files[i].rows) {
			assert_int_equal(m.rows, files[i].rows);
			assert_int_equal(m.good, files[i].good);
		} else {
			assert_int_equal(m.good, m.rows);
		}
		assert_int_equal(m.error_rows, files[i].error_rows);
		if (files[i].table == XF_ROWS_PROBE) {
			struct xf_probe_info info;
			assert_int_equal(xf_rows_probe_info(&m.probe, &info, NULL), XS_OK);
			assert_true(info.cpus >= 1);
			assert_int_equal(info.emulator, strstr(files[i].file, "aarch64") != NULL);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_good),
		cmocka_unit_test(test_kernel_bad),
		cmocka_unit_test(test_missing_column),
		cmocka_unit_test(test_bench_good),
		cmocka_unit_test(test_bench_bad),
		cmocka_unit_test(test_bench_values),
		cmocka_unit_test(test_threads_bound),
		cmocka_unit_test(test_bad_row_alone),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_real_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
