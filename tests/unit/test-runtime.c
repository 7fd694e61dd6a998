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

#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "xr.h"
#include "xs.h"

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

/* ---- identity ------------------------------------------------------------------- */

static void put(const char *dir, const char *rel, const char *text, bool exec)
{
	char path[1024], cmd[1100];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (exec)
		chmod(path, 0755);
}

static void test_identity(void **state)
{
	(void)state;
	char dir[] = "/tmp/xr-identity-XXXXXX";
	assert_non_null(mkdtemp(dir));
	/* an Android tree: getprop, cpuinfo, meminfo */
	put(dir, "system/bin/getprop",
	    "#!/bin/sh\nprintf '[ro.product.model]: [Pixel <8> \"x\"]\\n"
	    "[ro.build.fingerprint]: [google/shiba/shiba:14]\\n[ro.soc.model]: [Tensor G3]\\n'\n", true);
	put(dir, "proc/cpuinfo", "processor\t: 0\nHardware\t: Qualcomm\n", false);
	put(dir, "proc/meminfo", "MemTotal:        8000000 kB\n", false);
	struct xr_identity id;
	xr_identity_read(dir, &id);
	assert_string_equal(id.model, "Pixel <8> \"x\"");
	assert_string_equal(id.fingerprint, "google/shiba/shiba:14");
	assert_string_equal(id.soc, "Tensor G3");
	assert_int_equal(id.ram_bytes, 8000000ull * 1024);
	/* a board: device-tree model (NUL-terminated), no getprop: the ABI as
	 * fingerprint, cpuinfo's Hardware as SoC */
	char dir2[] = "/tmp/xr-identity-XXXXXX";
	assert_non_null(mkdtemp(dir2));
	put(dir2, "proc/device-tree/model", "Radxa ROCK 5B\n", false);
	put(dir2, "proc/cpuinfo", "Hardware\t: Rockchip RK3588\n", false);
	xr_identity_read(dir2, &id);
	assert_string_equal(id.model, "Radxa ROCK 5B");
	assert_string_equal(id.soc, "Rockchip RK3588");
	assert_string_equal(id.fingerprint, id.abi);
	assert_int_equal(id.ram_bytes, 0);
	/* nothing at all: empty strings, no crash */
	char dir3[] = "/tmp/xr-identity-XXXXXX";
	assert_non_null(mkdtemp(dir3));
	xr_identity_read(dir3, &id);
	assert_string_equal(id.model, "");
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s'", dir, dir2, dir3);
	assert_int_equal(system(cmd), 0);
	/* this machine: something, and the kernels' feature list */
	xr_identity_read(NULL, &id);
	assert_true(id.abi[0] != '\0');
	assert_true(xr_probe_score() > 0);
}

/* ---- open: tiers, checks, fallback ---------------------------------------------------- */

static char tdir[64];
static struct xs_model *models[2];
static char shas[2][65];
static size_t sizes[2];

/* Two tiers' models (extracted with stored BN statistics: quick) in a
 * temporary folder, and a manifest naming them. */
static void write_models(void)
{
	struct xs_supernet *sn;
	struct xs_error err;
	assert_int_equal(xs_supernet_load("models/fmnist-ofa.xsn", &sn, &err), XS_OK);
	snprintf(tdir, sizeof(tdir), "/tmp/xr-open-XXXXXX");
	assert_non_null(mkdtemp(tdir));
	static const char *const archs[] = {"r28-d1.1.1.1-s1:e4k7-s2:e4k7-s3:e4k7-s4:e4k7",
					    "r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3"};
	for (int i = 0; i < 2; i++) {
		struct xs_arch a;
		assert_int_equal(xs_arch_parse(&sn->space, archs[i], &a, &err), XS_OK);
		assert_int_equal(xs_model_extract(sn, &a, NULL, NULL, &models[i], &err), XS_OK);
		uint8_t *buf, sum[32];
		assert_int_equal(xs_model_serialize(models[i], &buf, &sizes[i], &err), XS_OK);
		xs_sha256(buf, sizes[i], sum);
		xs_sha256_hex(sum, shas[i]);
		char path[128];
		snprintf(path, sizeof(path), "%s/t%d.xnm", tdir, i + 1);
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(buf, 1, sizes[i], f), sizes[i]);
		fclose(f);
		free(buf);
	}
	xs_supernet_destroy(sn);
}

static void write_manifest(const char *name, const char *extra_t1, int version)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"format\": \"xnn-fleet-manifest\", \"version\": %d,\n"
		   " \"supernet\": {\"name\": \"fmnist-ofa\", \"sha256\": \"%s\"},\n"
		   " \"budget\": {\"latency_ms\": 8, \"percentile\": 90, \"memory_bytes\": 4000000,"
		   " \"size_bytes\": 1000000},\n \"tiers\": [\n", version, shas[0]);
	for (int i = 0; i < 2; i++)
		fprintf(f, "  {\"name\": \"t%d\", \"arch\": \"%s\", \"precision\": \"f32\","
			   " \"file\": \"t%d.xnm\", \"size\": %zu, \"sha256\": \"%s\","
			   " \"expected\": {\"latency_ms\": 1, \"memory_bytes\": 1, \"source\": \"measured\"}"
			   "%s}%s\n", i + 1, models[i]->arch, i + 1, sizes[i], shas[i],
			i == 0 ? extra_t1 : "", i == 0 ? "," : "");
	fprintf(f, "]}\n");
	fclose(f);
}

static enum xr_status open_as(const char *manifest, const char *model, const char *soc,
			      double score, struct xr_runtime **rt)
{
	struct xr_identity id;
	memset(&id, 0, sizeof(id));
	snprintf(id.model, sizeof(id.model), "%s", model);
	snprintf(id.soc, sizeof(id.soc), "%s", soc);
	snprintf(id.fingerprint, sizeof(id.fingerprint), "fp-1");
	snprintf(id.features, sizeof(id.features), "avx2 fma");
	id.ram_bytes = 8ull << 30;
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tdir, manifest);
	return xr_open_as(path, tdir, &id, score, rt);
}

static void test_open(void **state)
{
	(void)state;
	write_models();
	write_manifest("m.json",
		       ", \"devices\": [{\"model\": \"Listed Phone\", \"fingerprint\": \"fp-1\"}],"
		       " \"rules\": {\"socs\": [\"Tensor G*\"], \"cpu_features\": [\"avx2\"]},"
		       " \"probe_min\": 50", 1);
	struct xr_runtime *rt;
	const char *why;
	/* listed, rules, probe, fallback */
	assert_int_equal(open_as("m.json", "Listed Phone", "x", 1, &rt), XR_OK);
	assert_string_equal(xr_tier(rt, &why), "t1");
	assert_non_null(strstr(why, "listed: model 'Listed Phone'"));
	xr_close(rt);
	assert_int_equal(open_as("m.json", "Other", "Tensor G3", 1, &rt), XR_OK);
	assert_string_equal(xr_tier(rt, &why), "t1");
	assert_non_null(strstr(why, "rules:"));
	xr_close(rt);
	assert_int_equal(open_as("m.json", "Other", "Snapdragon", 60, &rt), XR_OK);
	assert_string_equal(xr_tier(rt, &why), "t1");
	assert_non_null(strstr(why, "probe: score 60.0 >= the tier's 50.0"));
	xr_close(rt);
	assert_int_equal(open_as("m.json", "Other", "Snapdragon", 10, &rt), XR_OK);
	assert_string_equal(xr_tier(rt, &why), "t2");
	assert_non_null(strstr(why, "fallback"));
	/* it classifies as the executor does */
	assert_int_equal(xr_input_pixels(rt), 28 * 28);
	assert_int_equal(xr_classes(rt), 10);
	uint8_t img[28 * 28];
	for (int i = 0; i < 28 * 28; i++)
		img[i] = (uint8_t)(i * 7);
	float got[10];
	xr_run(rt, img, got);
	struct xs_exec *e;
	struct xs_error err;
	assert_int_equal(xs_exec_create(models[1], XK_ISA_DEFAULT, 1, &e, &err), XS_OK);
	xs_model_input(models[1], img, 1, xs_exec_input(e));
	xs_exec_run(e, 1, NULL);
	assert_memory_equal(got, xs_exec_output(e), sizeof(got));
	xs_exec_destroy(e);
	xr_close(rt);
	/* a tampered t1: refused, t2 instead, and the reason says so */
	char path[128];
	snprintf(path, sizeof(path), "%s/t1.xnm", tdir);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 100, SEEK_SET);
	int byte = fgetc(f);
	fseek(f, 100, SEEK_SET);
	fputc(byte ^ 0xff, f);  /* one flipped byte */
	fclose(f);
	assert_int_equal(open_as("m.json", "Listed Phone", "x", 1, &rt), XR_OK);
	assert_string_equal(xr_tier(rt, &why), "t2");
	assert_non_null(strstr(why, "tier 't1' refused"));
	assert_non_null(strstr(why, "sha256"));
	xr_close(rt);
	/* nothing loadable: an error that names the file */
	snprintf(path, sizeof(path), "%s/t2.xnm", tdir);
	unlink(path);
	assert_int_equal(open_as("m.json", "Other", "x", 1, &rt), XR_EIO);
	assert_null(rt);
	assert_non_null(strstr(xr_last_error(), "t2.xnm"));
	/* a manifest of another version; a missing one */
	write_manifest("v2.json", "", 2);
	assert_int_equal(open_as("v2.json", "Other", "x", 1, &rt), XR_EFORMAT);
	assert_non_null(strstr(xr_last_error(), "format version 2"));
	assert_int_equal(open_as("none.json", "Other", "x", 1, &rt), XR_EIO);
	assert_non_null(strstr(xr_last_error(), "none.json"));
	for (int i = 0; i < 2; i++)
		xs_model_destroy(models[i]);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_open),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
