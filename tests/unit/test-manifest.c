/* test-manifest.c - the manifest (runtime/manifest.h): the reader on a good
 * manifest and on every way one can be wrong (each a message naming the
 * field, never a crash); the writer: struct -> JSON -> struct gives the
 * struct back (hostile strings, every list and string at its limit), JSON
 * -> struct -> JSON the same bytes (today's cJSON writer's bytes too), the
 * escapes and numbers it writes, what it refuses. Any bytes in bounded
 * stack (a thread of 1 MB, an Android app's) and linear time. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "manifest.h"

static char *good;
static size_t good_len;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *s = malloc(1 << 16);
	*len = fread(s, 1, (1 << 16) - 1, f);
	s[*len] = '\0';
	fclose(f);
	return s;
}

static int setup(void **state)
{
	(void)state;
	good = slurp("tests/fuzz/corpus-manifest/two-tiers.json", &good_len);
	return good ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(good);
	return 0;
}

/* ---- reading ----------------------------------------------------------------------- */

static void test_good(void **state)
{
	(void)state;
	struct xr_manifest *m = malloc(sizeof(*m));
	char why[256] = "";
	assert_true(xr_manifest_parse(good, good_len, m, why, sizeof(why)));
	assert_int_equal(m->version, 1);
	assert_string_equal(m->supernet, "fmnist-ofa");
	assert_true(m->budget_latency_ms == 8 && m->budget_percentile == 90);
	assert_int_equal(m->budget_memory, 4194304);
	assert_int_equal(m->ntiers, 2);
	assert_int_equal(m->fallback, 1);  /* the last, by default */
	const struct xr_tier *t = &m->tiers[0];
	assert_string_equal(t->name, "t1");
	assert_string_equal(t->file, "t1.xnm");
	assert_int_equal(t->size, 1234567);
	assert_false(t->predicted);
	assert_true(m->tiers[1].predicted);
	assert_true(fabs(t->top1 - 92.71) < 1e-12);
	assert_true(isnan(t->val_top1));  /* not given */
	assert_int_equal(t->nlisted, 2);
	assert_string_equal(t->listed[0].model, "Pixel 8 \xc3\xa9");  /* \u00e9 as UTF-8 */
	assert_string_equal(t->listed[1].model, "<script>");
	assert_string_equal(t->listed[1].fingerprint, "");
	assert_string_equal(t->listed[1].serial, "");
	assert_int_equal(t->rules.nmodels, 1);
	assert_string_equal(t->rules.models[0], "Pixel 8*");
	assert_int_equal(t->rules.ram_min, 4000000000u);
	assert_string_equal(t->rules.features[0], "asimddp");
	assert_true(t->probe_min == 120.5);
	assert_int_equal(m->tiers[1].nlisted, 0);
	free(m);
}

/* s with the first `from` replaced by `to` must fail naming `want`. */
static void bad_in(const char *s0, size_t len, const char *from, const char *to,
		   const char *want)
{
	const char *at = strstr(s0, from);
	if (at == NULL)
		fail_msg("'%s' is not in the manifest", from);
	size_t n = len - strlen(from) + strlen(to);
	char *s = malloc(n + 1);
	size_t head = (size_t)(at - s0);
	memcpy(s, s0, head);
	memcpy(s + head, to, strlen(to));
	strcpy(s + head + strlen(to), at + strlen(from));
	struct xr_manifest *m = malloc(sizeof(*m));
	char why[256] = "";
	bool ok = xr_manifest_parse(s, n, m, why, sizeof(why));
	if (ok || strstr(why, want) == NULL)
		fail_msg("'%s' -> '%s': %s '%s', want '%s'", from, to, ok ? "accepted" : "said", why,
			 want);
	free(m);
	free(s);
}

static void bad(const char *from, const char *to, const char *want)
{
	bad_in(good, good_len, from, to, want);
}

static void test_bad(void **state)
{
	(void)state;
	bad("\"version\": 1", "\"version\": 2", "format version 2: this runtime reads version 1");
	bad("\"version\": 1", "\"version\": \"1\"", "version is not a number");
	bad("xnn-fleet-manifest", "something-else", "format 'something-else'");
}

static void test_bad_fields(void **state)
{
	(void)state;
	bad("\"sha256\": \"742e", "\"sha257\": \"742e", "supernet.sha256 is missing");
	bad("\"size\": 1234567", "\"size\": -3", "tiers[0].size is not a number >= 0");
	bad("\"size\": 1234567", "\"size\": 1.5", "tiers[0].size is not a whole byte count");
	bad("\"size\": 99999", "\"bytes\": 99999", "tiers[1].size is missing");
	bad("\"file\": \"t1.xnm\"", "\"file\": \"../t1.xnm\"", "tiers[0].file '../t1.xnm' is not a plain");
	bad("\"file\": \"t2.xnm\"", "\"file\": \"..\"", "is not a plain file name");
	bad("44ef0000", "44EF0000", "tiers[0].sha256 is not 64 lowercase hex");
	bad("\"name\": \"t2\"", "\"name\": \"t1\"", "tiers[1].name 't1' is also tiers[0]'s");
	bad("\"source\": \"measured\"", "\"source\": \"guessed\"", "is not measured or predicted");
	bad("\"precision\": \"f32\", \"file\": \"t1", "\"precision\": \"f16\", \"file\": \"t1",
	    "precision 'f16' is not f32 or int8");
	bad("\"ram_max\": 0", "\"ram_max\": 5", "ram_max is below ram_min");
	bad("\"models\": [\"Pixel 8*\"]", "\"models\": \"Pixel 8*\"", "rules.models is not an array");
	bad("{\"model\": \"<script>\"}", "{\"modell\": \"<script>\"}", "tiers[0].devices[1].model is missing");
	bad("\"percentile\": 90", "\"percentile\": 190", "budget.percentile 190 is over 100");
	bad("\"tiers\": [", "\"tiers\": [], \"x\": [", "tiers is empty");
	bad("\"budget\": {", "\"budgets\": {", "budget is missing");
	bad("Pixel 8 \\u00e9", "Pixel 8 \\u00zz", "not JSON");  /* jsmn checks escapes */
	bad("Pixel 8 \\u00e9", "Pixel \\u0000", "holds a NUL");
	bad("{\"format\"", "{\"fallback\": \"t9\", \"format\"", "fallback names tier 't9', which is not in tiers");
	bad("{\"format\"", "[{\"format\"", "not a JSON object");
	bad("]}\n", "]} {}\n", "more than one JSON value");
	/* what jsmn lets through and skip() would count wrong */
	bad("\"version\": 1", "\"version\": 1, \"x\": {\"a\"}", "not JSON (at byte 54: a key");
	bad("\"version\": 1", "\"version\": 1, \"x\": {\"a\": 1 \"b\": 2}", "not JSON (at byte 54");
	bad("\"version\": 1", "\"version\": 1, \"x\": [\"a\": 1]", "not JSON (at byte 54");
	/* cut anywhere: an error, never a crash */
	struct xr_manifest *m = malloc(sizeof(*m));
	char why[256];
	for (size_t n = 0; n < good_len - 2; n += 7) {
		why[0] = '\0';
		assert_false(xr_manifest_parse(good, n, m, why, sizeof(why)));
		assert_true(why[0] != '\0');
	}
	/* a fallback that exists */
	char *s = malloc(good_len + 32);
	snprintf(s, good_len + 32, "{\"fallback\": \"t1\",%s", good + 1);
	assert_true(xr_manifest_parse(s, strlen(s), m, why, sizeof(why)));
	assert_int_equal(m->fallback, 0);
	free(s);
	free(m);
}

/* ---- the layout of today's writer ---------------------------------------------------- */

/* cjson-layout.json is what the harness's cJSON writer (cJSON_Print, then a
 * newline) made of a three-tier manifest: read and written again, the same
 * bytes. */
static void test_layout(void **state)
{
	(void)state;
	size_t len;
	char *text = slurp("tests/fuzz/corpus-manifest/cjson-layout.json", &len);
	assert_non_null(text);
	assert_true(len > 0 && text[len - 1] == '\n');
	text[--len] = '\0';
	struct xr_manifest *m = malloc(sizeof(*m));
	char why[256] = "", *json;
	size_t n;
	assert_true(xr_manifest_parse(text, len, m, why, sizeof(why)));
	const struct xr_tier *t = &m->tiers[0];
	assert_string_equal(t->listed[1].model, "Phone \"<script>\" \\ &\x01\t\n");
	assert_string_equal(t->listed[0].model, "Pixel 8 \xc3\xa9");  /* raw UTF-8 as is */
	assert_string_equal(t->listed[1].serial, "emulator-5554");
	assert_false(t->widened || m->tiers[1].widened);  /* clean; predicted */
	assert_true(m->tiers[2].widened);
	assert_true(t->val_top1 == 92.5 && t->top1 == 92.71 && t->latency_ms == 0.2736);
	assert_int_equal(m->fallback, 2);
	assert_int_equal(xr_manifest_write(m, &json, &n, why, sizeof(why)), XR_OK);
	assert_int_equal(n, len);
	assert_string_equal(json, text);
	free(json);
	free(m);
	free(text);
}

/* ---- writing ---------------------------------------------------------------------- */

/* n - 1 bytes of the nastiest characters: quotes, backslashes, <>&, every
 * control byte, DEL, UTF-8 (é, and cut at the end where it falls), '/'
 * unless no_slash. */
static void hostile(char *out, size_t n, unsigned seed, bool no_slash)
{
	static const char pool[] = "\"\\<>&/ \x01\x02\x08\x09\x0a\x0c\x0d\x1b\x1f\x7f\xc3\xa9" "az09";
	size_t k = sizeof(pool) - 1;
	for (size_t i = 0; i + 1 < n; i++) {
		/* every third byte a control byte: all 31 of them, in time */
		char c = i % 3 == 2 ? (char)(1 + (i + seed) % 31) : pool[(i * 7 + seed) % k];
		out[i] = no_slash && c == '/' ? '_' : c;
	}
	out[n - 1] = '\0';
}

#define HOSTILE(field, seed) hostile(field, sizeof(field), seed, false)

/* Every list full, every string at its limit, hostile where the reader
 * allows anything. */
static void fill_limits(struct xr_manifest *m)
{
	xr_manifest_init(m);
	HOSTILE(m->supernet, 1);
	memset(m->supernet_sha256, 'f', 64);
	m->budget_latency_ms = 0.1 + 0.2;  /* 0.30000000000000004 */
	m->budget_percentile = 99.9;
	m->budget_memory = 9000000000000000ull;
	m->budget_size = 1;
	m->ntiers = XR_MAX_TIERS;
	m->fallback = 5;
	for (size_t k = 0; k < m->ntiers; k++) {
		struct xr_tier *t = &m->tiers[k];
		HOSTILE(t->name, (unsigned)k);
		t->name[0] = (char)('A' + k);  /* distinct */
		HOSTILE(t->arch, (unsigned)k + 3);
		snprintf(t->precision, sizeof(t->precision), k % 2 ? "int8" : "f32");
		hostile(t->file, sizeof(t->file), (unsigned)k, true);
		memset(t->sha256, "0123456789abcdef"[k], 64);
		t->size = 1 + k * 1000003;
		t->latency_ms = 1.0 / (double)(k + 3);
		t->memory_bytes = 1e6 * (double)k + 0.5;
		t->top1 = k == 3 ? NAN : 100.0 - 1.0 / 3.0 * (double)k;
		t->val_top1 = k == 4 ? NAN : 1e-300 * (double)k;
		t->predicted = k % 3 == 0;
		t->nlisted = XR_MAX_LISTED;
		for (size_t j = 0; j < t->nlisted; j++) {
			HOSTILE(t->listed[j].model, (unsigned)(k + j));
			HOSTILE(t->listed[j].fingerprint, (unsigned)(k * j));
			HOSTILE(t->listed[j].serial, (unsigned)(k + 2 * j));
		}
		struct xr_rules *r = &t->rules;
		r->nmodels = r->nsocs = r->nfeatures = XR_MAX_PATTERNS;
		for (size_t j = 0; j < XR_MAX_PATTERNS; j++) {
			HOSTILE(r->models[j], (unsigned)j);
			HOSTILE(r->socs[j], (unsigned)j + 1);
			HOSTILE(r->features[j], (unsigned)j + 2);
		}
		r->ram_min = (uint64_t)k << 32;
		r->ram_max = k ? ((uint64_t)k << 33) + 7 : 0;
		t->probe_min = 123.456 * (double)k;
	}
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct xr_manifest *m = malloc(sizeof(*m)), *back = malloc(sizeof(*back));
	fill_limits(m);
	char why[256] = "", *json, *again;
	size_t n, n2;
	enum xr_status st = xr_manifest_write(m, &json, &n, why, sizeof(why));
	if (st != XR_OK)
		fail_msg("write: %s", why);
	assert_int_equal(strlen(json), n);
	if (!xr_manifest_parse(json, n, back, why, sizeof(why)))
		fail_msg("parse: %s", why);
	if (!xr_manifest_equal(m, back, why, sizeof(why)))
		fail_msg("differs: %s", why);
	/* what equal compares, checked by hand on a few fields */
	assert_memory_equal(back->tiers[15].listed[63].model, m->tiers[15].listed[63].model, 128);
	assert_int_equal(strlen(back->tiers[2].arch), 511);
	assert_true(back->budget_latency_ms == 0.1 + 0.2);
	assert_true(isnan(back->tiers[3].top1) && isnan(back->tiers[4].val_top1));
	assert_true(back->tiers[5].val_top1 == 5e-300);
	assert_int_equal(back->tiers[7].rules.ram_max, (7ull << 33) + 7);
	assert_int_equal(back->fallback, 5);
	/* JSON -> struct -> JSON: the same bytes */
	assert_int_equal(xr_manifest_write(back, &again, &n2, why, sizeof(why)), XR_OK);
	assert_int_equal(n2, n);
	assert_memory_equal(again, json, n);
	free(again);
	free(json);
	/* a difference is found and named */
	back->tiers[9].listed[40].serial[126] ^= 1;
	assert_false(xr_manifest_equal(m, back, why, sizeof(why)));
	assert_non_null(strstr(why, "tiers[9].devices[40].serial"));
	free(back);
	free(m);
}

/* A one-tier manifest to change field by field. */
static void fill_small(struct xr_manifest *m)
{
	xr_manifest_init(m);
	snprintf(m->supernet, sizeof(m->supernet), "fmnist-ofa");
	memset(m->supernet_sha256, 'a', 64);
	m->budget_latency_ms = 8;
	m->budget_percentile = 90;
	m->budget_memory = 4194304;
	m->budget_size = 1048576;
	m->ntiers = 1;
	struct xr_tier *t = &m->tiers[0];
	snprintf(t->name, sizeof(t->name), "t1");
	snprintf(t->arch, sizeof(t->arch), "r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3");
	snprintf(t->precision, sizeof(t->precision), "f32");
	snprintf(t->file, sizeof(t->file), "t1.xnm");
	memset(t->sha256, 'b', 64);
	t->size = 99999;
	t->latency_ms = 0.1;
	t->memory_bytes = 120000;
	t->nlisted = 1;
	snprintf(t->listed[0].model, sizeof(t->listed[0].model), "a\"b\\c\x01\x1f\n\t<&>\xc3\xa9/\x7f");
}

/* What the writer makes of m, which must hold `want`. */
static void writes(const struct xr_manifest *m, const char *want)
{
	char why[256] = "", *json;
	size_t n;
	if (xr_manifest_write(m, &json, &n, why, sizeof(why)) != XR_OK)
		fail_msg("write: %s", why);
	if (strstr(json, want) == NULL)
		fail_msg("'%s' is not in:\n%s", want, json);
	free(json);
}

static void test_escapes_numbers(void **state)
{
	(void)state;
	struct xr_manifest *m = malloc(sizeof(*m));
	fill_small(m);
	writes(m, "\"model\":\t\"a\\\"b\\\\c\\u0001\\u001f\\n\\t<&>\xc3\xa9/\x7f\"");
	writes(m, "\"latency_ms\":\t0.1,");  /* the shortest that reads back */
	writes(m, "\"memory_bytes\":\t120000,");
	writes(m, "\"fallback\":\t\"t1\"");
	writes(m, "\"devices\":\t[{\n\t\t\t\t\t\"model\"");
	writes(m, "\"rules\":\t{\n\t\t\t\t\"models\":\t[],\n\t\t\t\t\"ram_min\":\t0,");
	m->tiers[0].latency_ms = 1.0 / 3.0;
	writes(m, "\"latency_ms\":\t0.3333333333333333,");  /* 16 digits */
	m->tiers[0].latency_ms = 0.1 + 0.2;
	writes(m, "\"latency_ms\":\t0.30000000000000004,");  /* 17 */
	m->tiers[0].latency_ms = -0.0;
	writes(m, "\"latency_ms\":\t0,");
	m->tiers[0].memory_bytes = 4000000000.0;
	writes(m, "\"memory_bytes\":\t4000000000,");
	m->tiers[0].top1 = 92.71;
	writes(m, "\"top1\":\t92.71,\n");
	m->tiers[0].val_top1 = 91.5;
	writes(m, "\"val_top1\":\t91.5,\n\t\t\t\t\"source\":\t\"measured\"");
	/* ram bounds: written as given, read back */
	m->tiers[0].rules.ram_min = 3ull << 30;
	m->tiers[0].rules.ram_max = 12ull << 30;
	writes(m, "\"ram_min\":\t3221225472,\n\t\t\t\t\"ram_max\":\t12884901888\n");
	snprintf(m->tiers[0].rules.socs[0], 128, "Tensor*");
	m->tiers[0].rules.nsocs = 1;
	writes(m, "\"models\":\t[],\n\t\t\t\t\"socs\":\t[\"Tensor*\"],\n");
	char why[256], *json;
	size_t n;
	struct xr_manifest *back = malloc(sizeof(*back));
	assert_int_equal(xr_manifest_write(m, &json, &n, why, sizeof(why)), XR_OK);
	assert_true(xr_manifest_parse(json, n, back, why, sizeof(why)));
	assert_int_equal(back->tiers[0].rules.ram_min, 3ull << 30);
	assert_int_equal(back->tiers[0].rules.ram_max, 12ull << 30);
	free(json);
	free(back);
	free(m);
}

/* m changed by change() must be refused naming `want`. */
static void refused(void (*change)(struct xr_manifest *), const char *want)
{
	struct xr_manifest *m = malloc(sizeof(*m));
	fill_small(m);
	change(m);
	char why[256] = "", *json = NULL;
	size_t n = 0;
	enum xr_status st = xr_manifest_write(m, &json, &n, why, sizeof(why));
	if (st != XR_EINVAL || strstr(why, want) == NULL)
		fail_msg("status %d, '%s', want '%s'", st, why, want);
	assert_null(json);
	free(m);
}

static void no_nul(struct xr_manifest *m) { memset(m->tiers[0].name, 'x', 64); }
static void nan_latency(struct xr_manifest *m) { m->tiers[0].latency_ms = NAN; }
static void inf_budget(struct xr_manifest *m) { m->budget_latency_ms = INFINITY; }
static void no_tiers(struct xr_manifest *m) { m->ntiers = 0; }
static void far_fallback(struct xr_manifest *m) { m->fallback = 1; }
static void f16(struct xr_manifest *m) { snprintf(m->tiers[0].precision, 8, "f16"); }
static void many_devices(struct xr_manifest *m) { m->tiers[0].nlisted = XR_MAX_LISTED + 1; }
static void many_socs(struct xr_manifest *m) { m->tiers[0].rules.nsocs = XR_MAX_PATTERNS + 1; }
static void huge_size(struct xr_manifest *m) { m->tiers[0].size = 1ull << 60; }
static void ram_upside_down(struct xr_manifest *m) { m->tiers[0].rules.ram_min = 9; m->tiers[0].rules.ram_max = 8; }
static void version_2(struct xr_manifest *m) { m->version = 2; }

static void test_write_refuses(void **state)
{
	(void)state;
	refused(no_nul, "tiers[0].name is not NUL-terminated within its 64 bytes");
	refused(nan_latency, "tiers[0].expected.latency_ms is not a finite number");
	refused(inf_budget, "budget.latency_ms is not a finite number");
	refused(no_tiers, "tiers (0 tiers");
	refused(far_fallback, "the fallback tier 1");
	/* the reader's own words for what it refuses */
	refused(f16, "tiers[0].precision 'f16' is not f32 or int8");
	refused(many_devices, "tiers[0].devices has 65 entries (at most 64)");
	refused(many_socs, "tiers[0].rules.socs has 9 entries (at most 8)");
	refused(huge_size, "tiers[0].size is not a whole byte count");
	refused(ram_upside_down, "tiers[0].rules: ram_max is below ram_min");
	refused(version_2, "format version 2");
}

/* Keys missing or of the wrong type in what the writer wrote: each named. */
static void test_missing_keys(void **state)
{
	(void)state;
	struct xr_manifest *m = malloc(sizeof(*m));
	fill_small(m);
	char why[256], *json;
	size_t n;
	assert_int_equal(xr_manifest_write(m, &json, &n, why, sizeof(why)), XR_OK);
	bad_in(json, n, "\"precision\":", "\"precison\":", "tiers[0].precision is missing");
	bad_in(json, n, "\"size\":\t99999", "\"size\":\t\"99999\"", "tiers[0].size is not a number");
	bad_in(json, n, "\"memory_bytes\":\t120000", "\"memory\":\t120000",
	       "tiers[0].expected.memory_bytes is missing");
	bad_in(json, n, "\"source\":\t\"measured\"", "\"source\":\t1",
	       "tiers[0].expected.source is not a string");
	bad_in(json, n, "\"timing\":\t\"clean\"", "\"timing\":\t\"fast\"",
	       "tiers[0].expected.timing 'fast' is not clean or widened");
	bad_in(json, n, "\"timing\":\t\"clean\"", "\"timing\":\t0",
	       "tiers[0].expected.timing is not a string");
	bad_in(json, n, "\"serial\":\t\"\"", "\"serial\":\t5", "tiers[0].devices[0].serial is not a string");
	bad_in(json, n, "\"fingerprint\":\t\"\"", "\"fingerprint\":\t[]",
	       "tiers[0].devices[0].fingerprint is not a string");
	bad_in(json, n, "\"source\"", "\"val_top1\": \"high\", \"source\"",
	       "tiers[0].expected.val_top1 is not a number");
	bad_in(json, n, "\"ram_min\":\t0", "\"ram_min\":\t-1", "tiers[0].rules.ram_min is not a number >= 0");
	bad_in(json, n, "\"devices\":\t[", "\"devices\":\t{\"x\": 1}, \"y\": [",
	       "tiers[0].devices is not an array");
	bad_in(json, n, "\"rules\":\t{", "\"rules\":\t[], \"z\": {", "tiers[0].rules is not an object");
	bad_in(json, n, "\"supernet\":\t{\n\t\t\"name\"", "\"supernet\":\t{\n\t\t\"nom\"",
	       "supernet.name is missing");
	bad_in(json, n, "\"models\":\t[]", "\"models\":\t[\"x\", 1]",
	       "tiers[0].rules.models[1] is not a string");
	bad_in(json, n, "\"percentile\":\t90", "\"percentile\":\ttrue", "budget.percentile is not a number");
	free(json);
	free(m);
}

/* ---- any bytes: bounded stack, linear time ------------------------------------------ */

/* The good manifest with a key "x" in front: `open` k times, `mid`, `close`
 * k times, `end` (malloc'd, *len bytes): "[", "1", "]", "": a 1 nested k
 * arrays deep; "", "[1", ",1", "]": an array of k + 1 ones. */
static char *with_x(size_t k, const char *open, const char *mid, const char *close,
		    const char *end, size_t *len)
{
	size_t lo = strlen(open), lc = strlen(close), lm = strlen(mid);
	char *s = malloc(8 + k * (lo + lc) + lm + strlen(end) + good_len);
	size_t n = 6;
	memcpy(s, "{\"x\": ", n);
	for (size_t i = 0; i < k; i++, n += lo)
		memcpy(s + n, open, lo);
	memcpy(s + n, mid, lm);
	n += lm;
	for (size_t i = 0; i < k; i++, n += lc)
		memcpy(s + n, close, lc);
	n += (size_t)sprintf(s + n, "%s, %s", end, good + 1);
	*len = n;
	return s;
}

struct parse_job {
	const char *json;
	size_t len;
	bool ok;
	char why[256];
};

static void *parse_job_run(void *arg)
{
	struct parse_job *j = arg;
	struct xr_manifest *m = malloc(sizeof(*m));
	j->why[0] = '\0';
	j->ok = m && xr_manifest_parse(j->json, j->len, m, j->why, sizeof(j->why));
	free(m);
	return NULL;
}

/* Parses json in a thread with a 1 MB stack, as an Android app's threads
 * have: a reader that recurses once per level of nesting overflows it. */
static struct parse_job parse_small_stack(const char *json, size_t len)
{
	struct parse_job j = {.json = json, .len = len};
	pthread_attr_t a;
	pthread_t t;
	assert_int_equal(pthread_attr_init(&a), 0);
	assert_int_equal(pthread_attr_setstacksize(&a, 1 << 20), 0);
	assert_int_equal(pthread_create(&t, &a, parse_job_run, &j), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&a);
	return j;
}

/* k nested arrays in "x" (the root object is one level more) in a 1 MB
 * stack: accepted or refused for nesting too deep. */
static void nested(size_t k, bool want_ok)
{
	size_t len;
	char *s = with_x(k, "[", "1", "]", "", &len);
	struct parse_job j = parse_small_stack(s, len);
	if (j.ok != want_ok || (!want_ok && strstr(j.why, "nests arrays and objects more than "
						     "64 deep") == NULL))
		fail_msg("%zu nested arrays (%zu bytes): %s '%s'", k, len, j.ok ? "accepted" :
			 "refused", j.why);
	free(s);
}

static void test_deep(void **state)
{
	(void)state;
	nested(60000, false);  /* 120 KB: the stack overflowed in skip() */
	nested(XR_MAX_DEPTH - 1, true);
	nested(XR_MAX_DEPTH, false);
	/* brackets in a string, and after an escaped quote, are not nesting */
	size_t len;
	char brackets[XR_MAX_DEPTH * 2 + 1];
	memset(brackets, '[', sizeof(brackets) - 1);
	brackets[sizeof(brackets) - 1] = '\0';
	char *s = with_x(1, "\"\\\"", brackets, "\\\\\"", "", &len);  /* "\"[[[...\\" */
	struct parse_job j = parse_small_stack(s, len);
	if (!j.ok)
		fail_msg("brackets in a string: '%s'", j.why);
	free(s);
	s = with_x(20000, "{\"k\": ", "{}", "}", "", &len);  /* objects count too */
	j = parse_small_stack(s, len);
	assert_false(j.ok);
	assert_non_null(strstr(j.why, "more than 64 deep"));
	free(s);
	/* jsmn takes `t"` as one primitive: the quote starts no string, so the
	 * brackets after it are counted (the old count saw depth 2 and jsmn
	 * then walked the 20,000 levels up) */
	const size_t deep = 20000;
	const char head[] = "{\"a\": t\", \"b\": ";
	s = malloc(sizeof(head) + 2 * deep + 2);
	len = sizeof(head) - 1;
	memcpy(s, head, len);
	memset(s + len, '[', deep);
	memset(s + len + deep, ']', deep);
	len += 2 * deep;
	s[len++] = '}';
	s[len] = '\0';
	j = parse_small_stack(s, len);
	assert_false(j.ok);
	if (strstr(j.why, "not JSON (at byte 7)") == NULL)
		fail_msg("a quote after a primitive: '%s'", j.why);
	free(s);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return 1e3 * (double)(t.tv_sec - t0->tv_sec) + 1e-6 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* What the parse of large manifests takes, printed (no limit on the time:
 * the figures are for the eye; the issue saw 13.4 s for 200 KB). */
static void test_large(void **state)
{
	(void)state;
	static const struct {
		const char *what, *open, *mid, *close, *end;
		size_t k;
		bool ok;
	} cases[] = {
		{"200 KB, 99,800 arrays nested", "[", "1", "]", "", 99800, false},
		{"200 KB, an array of 20,000 strings", "", "[\"abcdefgh\"", ",\"abcdefgh\"", "]",
		 20000, true},
		{"1 MB, an array of 95,000 strings", "", "[\"abcdefgh\"", ",\"abcdefgh\"", "]",
		 95000, true},
		{"1 MB, an object of 49,000 keys", "", "{\"k\": 0", ",\"abcdefghijklmn\": 0", "}",
		 49000, true},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t len;
		char *s = with_x(cases[c].k, cases[c].open, cases[c].mid, cases[c].close,
				 cases[c].end, &len);
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		struct parse_job j = parse_small_stack(s, len);
		printf("# manifest of %s (%zu bytes): %s in %.1f ms\n", cases[c].what, len,
		       j.ok ? "read" : "refused", ms_since(&t0));
		if (j.ok != cases[c].ok)
			fail_msg("%s: %s", cases[c].what, j.why);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_escapes_numbers),
		cmocka_unit_test(test_write_refuses),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
