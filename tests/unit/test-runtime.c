/* test-runtime.c - libxnnrt: the manifest reader on a good manifest and on
 * every way one can be wrong (each a clear message, never a crash). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"

static char *good;
static size_t good_len;

static int setup(void **state)
{
	(void)state;
	FILE *f = fopen("tests/fuzz/corpus-manifest/two-tiers.json", "rb");
	if (f == NULL)
		return -1;
	good = malloc(1 << 16);
	good_len = fread(good, 1, (1 << 16) - 1, f);
	good[good_len] = '\0';
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(good);
	return 0;
}

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
	assert_int_equal(t->nlisted, 2);
	assert_string_equal(t->listed[0].model, "Pixel 8 \xc3\xa9");  /* \u00e9 as UTF-8 */
	assert_string_equal(t->listed[1].model, "<script>");
	assert_string_equal(t->listed[1].fingerprint, "");
	assert_int_equal(t->rules.nmodels, 1);
	assert_string_equal(t->rules.models[0], "Pixel 8*");
	assert_int_equal(t->rules.ram_min, 4000000000u);
	assert_string_equal(t->rules.features[0], "asimddp");
	assert_true(t->probe_min == 120.5);
	assert_int_equal(m->tiers[1].nlisted, 0);
	free(m);
}

/* good with the first `from` replaced by `to` must fail naming `want`. */
static void bad(const char *from, const char *to, const char *want)
{
	const char *at = strstr(good, from);
	if (at == NULL)
		fail_msg("'%s' is not in the good manifest", from);
	size_t n = good_len - strlen(from) + strlen(to);
	char *s = malloc(n + 1);
	size_t head = (size_t)(at - good);
	memcpy(s, good, head);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_fields),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
