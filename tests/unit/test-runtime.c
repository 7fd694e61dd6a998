/* test-runtime.c - libxnnrt: the device's identity (and the agent's probe
 * reporting the same one), opening a manifest and choosing its tier
 * (listed, rules, probe, fallback), a tampered model refused. The manifest
 * reader and writer: test-manifest.c. */
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
#include "xa.h"
#include "xr.h"
#include "xs.h"

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

/* The agent's probe rows, key -> value. */
struct rows {
	char key[256][64], value[256][512];
	size_t n;
};

static void collect(void *ctx, const char *key, const char *value)
{
	struct rows *r = ctx;
	assert_true(r->n < 256);
	snprintf(r->key[r->n], sizeof(r->key[0]), "%s", key);
	snprintf(r->value[r->n], sizeof(r->value[0]), "%s", value);
	r->n++;
}

/* The probe's row key must say what the identity's field says ("" is the
 * probe's "unknown"). */
static void same(const struct rows *r, const char *key, const char *field)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0) {
			const char *want = field[0] ? field : "unknown";
			if (strcmp(r->value[i], want) != 0)
				fail_msg("probe %s '%s', identity '%s'", key, r->value[i], field);
			return;
		}
	fail_msg("the probe has no row '%s'", key);
}

/* On the same tree, the probe's identity rows are xr_identity_read's. */
static void check_probe(const char *root, struct xr_identity *id)
{
	static struct rows r;
	r.n = 0;
	xa_probe(root, collect, &r);
	xr_identity_read(root, id);
	char ram[32] = "";
	if (id->ram_bytes)
		snprintf(ram, sizeof(ram), "%llu", (unsigned long long)id->ram_bytes);
	same(&r, "abi", id->abi);
	same(&r, "cpu_features", id->features);
	same(&r, "ram_bytes", ram);
	same(&r, "device.manufacturer", id->manufacturer);
	same(&r, "device.model", id->model);
	same(&r, "device.fingerprint", id->fingerprint);
	same(&r, "device.serial", id->serial);
	same(&r, "soc.model", id->soc);
	same(&r, "soc.manufacturer", id->soc_manufacturer);
	same(&r, "board.platform", id->platform);
	same(&r, "hardware", id->hardware);
}

static void test_probe_is_identity(void **state)
{
	(void)state;
	struct xr_identity id;
	char dir[] = "/tmp/xr-probe-XXXXXX", dir2[] = "/tmp/xr-probe-XXXXXX",
	     dir3[] = "/tmp/xr-probe-XXXXXX", dir4[] = "/tmp/xr-probe-XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_non_null(mkdtemp(dir2));
	assert_non_null(mkdtemp(dir3));
	assert_non_null(mkdtemp(dir4));
	/* a phone: every property; the serial from ro.boot.serialno */
	put(dir, "system/bin/getprop",
	    "#!/bin/sh\nprintf '[ro.product.model]: [Pixel <8> \"x\"]\\n"
	    "[ro.product.manufacturer]: [Google]\\n[ro.boot.serialno]: [38A1F2]\\n"
	    "[ro.build.fingerprint]: [google/shiba/shiba:14]\\n[ro.soc.model]: [Tensor G3]\\n"
	    "[ro.soc.manufacturer]: [Google]\\n[ro.board.platform]: [zuma]\\n"
	    "[ro.hardware]: [shiba]\\n'\n", true);
	put(dir, "proc/meminfo", "MemTotal:        8000000 kB\nMemAvailable: 1 kB\n", false);
	check_probe(dir, &id);
	assert_string_equal(id.serial, "38A1F2");
	assert_string_equal(id.platform, "zuma");
	assert_string_equal(id.hardware, "shiba");
	/* a board: device-tree strings with trailing blanks and a NUL, cpuinfo's
	 * Hardware, no fingerprint (the ABI instead) */
	put(dir2, "proc/device-tree/model", "Radxa ROCK 5B \t\n", false);
	put(dir2, "proc/device-tree/compatible", "radxa,rock-5b", false);
	put(dir2, "proc/cpuinfo", "processor\t: 0\nHardware\t: Rockchip RK3588  \n", false);
	check_probe(dir2, &id);
	assert_string_equal(id.model, "Radxa ROCK 5B");
	assert_string_equal(id.soc, "Rockchip RK3588");
	assert_string_equal(id.platform, "radxa,rock-5b");
	assert_string_equal(id.fingerprint, id.abi);
	/* another architecture's /proc/cpuinfo (qemu-user's host): no SoC */
#if defined(__aarch64__) || defined(__arm__)
	put(dir3, "proc/cpuinfo", "vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n", false);
#else
	put(dir3, "proc/cpuinfo", "CPU implementer\t: 0x41\nHardware\t: Qualcomm\n", false);
#endif
	check_probe(dir3, &id);
	assert_string_equal(id.soc, "");
	/* nothing; this machine */
	check_probe(dir4, &id);
	assert_string_equal(id.model, "");
	check_probe("/", &id);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s' '%s'", dir, dir2, dir3, dir4);
	assert_int_equal(system(cmd), 0);
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
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_probe_is_identity),
		cmocka_unit_test(test_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
