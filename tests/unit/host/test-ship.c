/* test-ship.c - what a sweep ships (harness/ship.c): the sub-models
 * extracted by several workers are the bytes one extraction here makes (f32,
 * and int8 quantized from it, as the agent does); the models list it writes
 * is the one the agent reads (agent/models.c), all of it or a subset; a
 * build of some of the models writes those only, a later one only what is
 * not built yet, and a list naming a model not built is refused; the
 * compact test images are the first images and labels of the test set; a
 * sub-net that cannot be extracted leaves nothing; the folder goes with
 * xf_ship_release. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "models.h"
#include "ship.h"
#include "test-util.h"

static const char archs[][XS_ARCH_MAX] = {
	"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
	"r20-d1.1.1.1-s1:e2k5-s2:e2k5-s3:e2k5-s4:e2k5",
	"r24-d1.1.1.1-s1:e3k3-s2:e3k3-s3:e3k3-s4:e3k3",
};

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* The sha256 (hex) of the .xnm of arch in prec as one extraction here
 * makes it. */
static void expected_sha(const char *arch, enum xs_precision prec, char hex[65])
{
	struct xs_model *m = tu_extract(arch, NULL, true);
	if (prec == XS_PRECISION_INT8) {
		struct xs_model *q = tu_quantize(m);
		xs_model_destroy(m);
		m = q;
	}
	uint8_t sum[32];
	assert_int_equal(xs_model_sha256(m, sum, NULL), XS_OK);
	xs_sha256_hex(sum, hex);
	xs_model_destroy(m);
}

static void test_extract_and_list(void **state)
{
	(void)state;
	struct xf_ship s;
	struct xs_error err;
	assert_int_equal(xf_ship_init(&s, &err), XS_OK);
	assert_true(exists(s.dir));
	const enum xs_precision precs[] = {XS_PRECISION_F32, XS_PRECISION_INT8};
	size_t lines = 0;
	/* three workers for three sub-nets: each builds whole archs */
	size_t built = 0;
	assert_int_equal(xf_ship_models_init(&s, archs, 3, precs, 2, &err), XS_OK);
	if (xf_ship_build(&s, tu_fx.sn, NULL, tu_fx.train, 3, NULL, NULL, &built, &err) != XS_OK)
		fail_msg("extract: %s", err.msg);
	assert_int_equal(s.nmodels, 6);
	assert_int_equal(built, 6);
	for (size_t k = 0; k < s.nmodels; k++) {
		const struct xf_ship_model *m = &s.models[k];
		assert_string_equal(m->arch, archs[k / 2]);
		assert_int_equal(m->arch_index, k / 2);
		assert_int_equal(m->precision, precs[k % 2]);
		char name[64], hex[65];
		snprintf(name, sizeof(name), "xnm-%03zu-%s.xnm", k / 2, k % 2 ? "int8" : "f32");
		assert_string_equal(m->name, name);
		assert_true(m->built);
		expected_sha(m->arch, m->precision, hex);
		assert_string_equal(m->sha256, hex);
		size_t n;
		uint8_t *b = (uint8_t *)tu_file_read(m->path, &n);
		assert_int_equal(n, (size_t)m->size);
		uint8_t sum[32];
		xs_sha256(b, n, sum);
		xs_sha256_hex(sum, hex);
		assert_string_equal(hex, m->sha256);
		free(b);
	}
	/* the list, as the agent reads it: every model, then a subset */
	char list[PATH_MAX + 16];
	snprintf(list, sizeof(list), "%s/models.txt", s.dir);
	assert_int_equal(xf_ship_list_write(&s, NULL, list, &err), XS_OK);
	struct xa_model_entry *v;
	assert_int_equal(xa_models_load(list, &v, &lines, &err), XS_OK);
	assert_int_equal(lines, 6);
	for (size_t k = 0; k < lines; k++) {
		assert_string_equal(v[k].arch, s.models[k].arch);
		assert_int_equal(v[k].precision, s.models[k].precision);
		assert_string_equal(v[k].file, s.models[k].name);
		struct xs_model *m;
		if (xa_model_open(&v[k], s.dir, &m, &err) != XS_OK)
			fail_msg("open %zu: %s", k, err.msg);
		xs_model_destroy(m);
	}
	free(v);
	const bool want[6] = {false, true, false, false, true, false};
	assert_int_equal(xf_ship_list_write(&s, want, list, &err), XS_OK);
	assert_int_equal(xa_models_load(list, &v, &lines, &err), XS_OK);
	assert_int_equal(lines, 2);
	assert_string_equal(v[0].file, "xnm-000-int8.xnm");
	assert_string_equal(v[1].file, "xnm-002-f32.xnm");
	free(v);
	/* the folder and all in it go */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", s.dir);
	xf_ship_release(&s);
	assert_false(exists(dir));
	assert_int_equal(s.nmodels, 0);
	xf_ship_release(&s);  /* again: nothing */
	xf_ship_release(NULL);
}

static void test_extract_error(void **state)
{
	(void)state;
	struct xf_ship s;
	struct xs_error err;
	assert_int_equal(xf_ship_init(&s, &err), XS_OK);
	static const char bad[][XS_ARCH_MAX] = {
		"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d9.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
	};
	const enum xs_precision f32 = XS_PRECISION_F32;
	size_t built = 9;
	assert_int_equal(xf_ship_models_init(&s, bad, 2, &f32, 1, &err), XS_OK);
	assert_int_not_equal(xf_ship_build(&s, tu_fx.sn, NULL, tu_fx.train, 1, NULL, NULL, &built,
					   &err), XS_OK);
	assert_non_null(strstr(err.msg, "host extraction of r20-d9.1.1.1"));
	assert_int_equal(built, 0);
	assert_false(s.models[0].built);
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/xnm-000-f32.xnm", s.dir);
	assert_false(exists(p));  /* nothing kept */
	xf_ship_release(&s);
}

static void count_line(void *ctx, const char *line)
{
	(void)line;
	(*(size_t *)ctx)++;
}

/* What a resumed sweep does: some models, then the rest, none twice. */
static void test_build_some(void **state)
{
	(void)state;
	struct xf_ship s;
	struct xs_error err;
	assert_int_equal(xf_ship_init(&s, &err), XS_OK);
	const enum xs_precision precs[] = {XS_PRECISION_F32, XS_PRECISION_INT8};
	assert_int_equal(xf_ship_models_init(&s, archs, 2, precs, 2, &err), XS_OK);
	assert_int_equal(s.nmodels, 4);
	for (size_t k = 0; k < s.nmodels; k++)
		assert_false(s.models[k].built);
	/* only the second arch's int8: its f32 is not written */
	bool want[4] = {false, false, false, true};
	size_t built = 0, lines = 0;
	if (xf_ship_build(&s, tu_fx.sn, want, tu_fx.train, 2, count_line, &lines, &built, &err) !=
	    XS_OK)
		fail_msg("build: %s", err.msg);
	assert_int_equal(built, 1);
	assert_int_equal(lines, 1);
	assert_true(s.models[3].built);
	assert_false(exists(s.models[2].path));
	char hex[65];
	expected_sha(archs[1], XS_PRECISION_INT8, hex);
	assert_string_equal(s.models[3].sha256, hex);
	/* a list naming a model not built is refused */
	char list[PATH_MAX + 16];
	snprintf(list, sizeof(list), "%s/models.txt", s.dir);
	assert_int_equal(xf_ship_list_write(&s, NULL, list, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "not extracted"));
	assert_false(exists(list));
	assert_int_equal(xf_ship_list_write(&s, want, list, &err), XS_OK);
	/* then all: the three others only */
	lines = 0;
	assert_int_equal(xf_ship_build(&s, tu_fx.sn, NULL, tu_fx.train, 2, count_line, &lines,
				       &built, &err), XS_OK);
	assert_int_equal(built, 3);
	assert_int_equal(lines, 3);
	for (size_t k = 0; k < s.nmodels; k++)
		assert_true(s.models[k].built && exists(s.models[k].path));
	/* and again: nothing */
	assert_int_equal(xf_ship_build(&s, tu_fx.sn, NULL, tu_fx.train, 2, count_line, &lines,
				       &built, &err), XS_OK);
	assert_int_equal(built, 0);
	assert_int_equal(lines, 3);
	xf_ship_release(&s);
}

static void test_eval(void **state)
{
	(void)state;
	struct xf_ship s;
	struct xs_error err;
	assert_int_equal(xf_ship_init(&s, &err), XS_OK);
	char images[PATH_MAX], labels[PATH_MAX];
	char src_i[PATH_MAX], src_l[PATH_MAX];
	snprintf(src_i, sizeof(src_i), "%s", tu_data_path("t10k-images-idx3-ubyte"));
	snprintf(src_l, sizeof(src_l), "%s", tu_data_path("t10k-labels-idx1-ubyte"));
	assert_int_equal(xf_ship_eval(&s, src_i, src_l, 200, images, labels, PATH_MAX, &err), XS_OK);
	assert_non_null(strstr(images, "/t10k-200-images-idx3-ubyte"));
	assert_non_null(strstr(labels, "/t10k-200-labels-idx1-ubyte"));
	struct xs_idx *im, *lb;
	assert_int_equal(xs_idx_load(images, 3, &im, &err), XS_OK);
	assert_int_equal(xs_idx_load(labels, 1, &lb, &err), XS_OK);
	assert_int_equal(im->count, 200);
	assert_int_equal(lb->count, 200);
	assert_int_equal(im->rows, 28);
	assert_memory_equal(im->data, tu_fx.test->data, 200 * 28 * 28);
	assert_memory_equal(lb->data, tu_fx.labels->data, 200);
	assert_int_equal(im->size, 16 + 200 * 28 * 28);  /* nothing after */
	xs_idx_destroy(im);
	xs_idx_destroy(lb);
	/* more than there are: all of them */
	assert_int_equal(xf_ship_eval(&s, src_i, src_l, 20000, images, labels, PATH_MAX, &err),
			 XS_OK);
	assert_non_null(strstr(images, "/t10k-10000-images"));
	/* a file that is not there: named */
	assert_int_equal(xf_ship_eval(&s, "/nonexistent/x-images-idx3-ubyte", src_l, 5, images,
				      labels, PATH_MAX, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/x-images-idx3-ubyte"));
	xf_ship_release(&s);
}

int main(void)
{
	/* the staging folders in a folder of the test's own */
	char tmp[] = "/tmp/test-ship-XXXXXX";
	if (mkdtemp(tmp) == NULL || setenv("TMPDIR", tmp, 1) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_extract_error),
		cmocka_unit_test(test_build_some),
		cmocka_unit_test(test_extract_and_list),
	};
	int rc = cmocka_run_group_tests(tests, tu_fixture_setup, tu_fixture_teardown);
	if (rmdir(tmp) != 0) {  /* every staging folder was removed */
		fprintf(stderr, "test-ship: '%s' is not empty\n", tmp);
		rc = 1;
	}
	return rc;
}
