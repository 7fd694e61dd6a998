/* test-agent-csv.c - the harness's reader of agent output: whole
 * streams in any chunking, quoted fields across lines, and every way a stream
 * can be cut or garbled: rows that arrived whole are kept and the error says
 * what happened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-csv.h"

struct got {
	size_t rows;
	char last[4][128];
};

static void on_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)r;
	struct got *g = ctx;
	g->rows++;
	for (size_t i = 0; i < n && i < 4; i++)
		snprintf(g->last[i], sizeof(g->last[i]), "%s", f[i]);
}

/* Parses text fed in chunks of `chunk` bytes; returns the finish status (or
 * the first feed error) and the rows seen. */
static enum xs_status parse(const char *text, size_t len, size_t chunk, struct got *g,
			    struct xs_error *err, struct xf_agent_reader **keep)
{
	struct xf_agent_reader *r;
	memset(g, 0, sizeof(*g));
	assert_int_equal(xf_agent_reader_create(on_row, g, &r, err), XS_OK);
	enum xs_status st = XS_OK;
	for (size_t i = 0; i < len && st == XS_OK; i += chunk)
		st = xf_agent_reader_feed(r, text + i, len - i < chunk ? len - i : chunk, err);
	if (st == XS_OK)
		st = xf_agent_reader_finish(r, err);
	if (keep)
		*keep = r;
	else
		xf_agent_reader_destroy(r);
	return st;
}

static const char good[] =
	"#table=bench\n"
	"#supernet=fmnist-ofa\n"
	"index,arch,error\n"
	"0,\"r20-d1,x\",\n"
	"#progress=half\n"
	"1,\"a \"\"quoted\"\"\nsecond line\",\"#not meta\"\n"
	"2,<script>alert(1)</script>,\" x \"\n"
	"#end rows=3\n";

static void test_whole(void **state)
{
	(void)state;
	struct got g;
	struct xs_error err;
	/* every chunk size gives the same */
	for (size_t chunk = 1; chunk <= sizeof(good); chunk++) {
		struct xf_agent_reader *r;
		enum xs_status st = parse(good, strlen(good), chunk, &g, &err, &r);
		if (st != XS_OK)
			fail_msg("chunk %zu: %s", chunk, err.msg);
		assert_int_equal(g.rows, 3);
		assert_string_equal(g.last[1], "<script>alert(1)</script>");
		assert_string_equal(g.last[2], " x ");
		assert_string_equal(xf_agent_reader_meta(r, "table"), "bench");
		assert_string_equal(xf_agent_reader_meta(r, "progress"), "half");
		assert_int_equal(xf_agent_reader_ncols(r), 3);
		assert_int_equal(xf_agent_reader_find(r, "error"), 2);
		assert_int_equal(xf_agent_reader_find(r, "nope"), -1);
		xf_agent_reader_destroy(r);
	}
	/* the multi-line field */
	const char one[] = "a,b\n\"x\ny\",\"#z\"\n#end rows=1\n";
	assert_int_equal(parse(one, strlen(one), 3, &g, &err, NULL), XS_OK);
	assert_string_equal(g.last[0], "x\ny");
	assert_string_equal(g.last[1], "#z");
}

static void test_cut(void **state)
{
	(void)state;
	struct got g;
	struct xs_error err;
	/* every cut before the end line: an error, and the rows that came
	 * whole are the ones delivered */
	const size_t end = strstr(good, "#end") - good;
	for (size_t k = 0; k < end; k++) {
		enum xs_status st = parse(good, k, 7, &g, &err, NULL);
		assert_int_equal(st, XS_EFORMAT);
		assert_non_null(strstr(err.msg, "agent output: "));
		const char *row2 = strstr(good, "2,<script>");
		size_t want = k >= (size_t)(strchr(row2, '\n') - good) + 1 ? 3
			    : k >= (size_t)(row2 - good) ? 2
			    : k >= (size_t)(strstr(good, "#progress") - good) ? 1 : 0;
		/* a row is delivered when its line end arrives */
		if (g.rows != want)
			fail_msg("cut at %zu: %zu rows, want %zu (%s)", k, g.rows, want, err.msg);
	}
	assert_int_equal(parse(good, end, 64, &g, &err, NULL), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "cut: no '#end rows=N' line after 3 rows"));
}

static void test_garbled(void **state)
{
	(void)state;
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"a,b\n1,2,3\n#end rows=1\n", "row 1 has 3 fields, the header 2"},
		{"a,b\n1,2\n#end rows=2\n", "the end line says 2 rows but 1 arrived"},
		{"a,b\n1,2\n#end rows=1\n3,4\n", "after the '#end' line"},
		{"a,b\n1,2\n#end rows=1\n#more=1\n", "after the '#end' line"},
		{"a,b\n1,2\n#end rows=x\n", "bad end line"},
		{"a,b\n1,2\n#nokey\n#end rows=1\n", "without key=value"},
		{"a,b\n1,\"2\n", "cut"},
		{"a,b\n1,\"2\"x\n#end rows=1\n", "malformed CSV"},
		{"#end rows=0\n", "no header row"},
		{"", "cut: no '#end rows=N' line after 0 rows"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct got g;
		struct xs_error err;
		assert_int_equal(parse(bad[i].text, strlen(bad[i].text), 5, &g, &err, NULL),
				 XS_EFORMAT);
		if (strstr(err.msg, bad[i].why) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, err.msg, bad[i].why);
	}
}

/* err may be NULL: the status still says what happened */
static void test_null_err(void **state)
{
	(void)state;
	struct got g = {0};
	struct xf_agent_reader *r;
	assert_int_equal(xf_agent_reader_create(on_row, &g, &r, NULL), XS_OK);
	const char text[] = "a,b\n1,2\n1,2,3\n";
	assert_int_equal(xf_agent_reader_feed(r, text, strlen(text), NULL), XS_EFORMAT);
	assert_int_equal(xf_agent_reader_finish(r, NULL), XS_EFORMAT);
	assert_int_equal(g.rows, 1);
	xf_agent_reader_destroy(r);
	assert_int_equal(xf_agent_reader_create(on_row, &g, &r, NULL), XS_OK);
	assert_int_equal(xf_agent_reader_feed(r, "a\n1\n", 4, NULL), XS_OK);
	assert_int_equal(xf_agent_reader_finish(r, NULL), XS_EFORMAT);  /* cut: no end line */
	xf_agent_reader_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_garbled),
		cmocka_unit_test(test_null_err),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
