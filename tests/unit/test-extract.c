/* test-extract.c - sub-nets out of the supernet (extract.c), from the shipped
 * models/fmnist-ofa.xsn: the same bytes with one thread and two, through
 * write and load, and on every machine; bad input.
 *
 * XS_TEST_SHA_OUT names a file that gets the sha256 of a few extracted
 * sub-models (f32 and int8), which make test compares between x86_64,
 * aarch64 and armv7: the same bytes everywhere. XS_TEST_QUICK (qemu,
 * sanitizers) leaves the largest sub-net out. Data: plain IDX files in
 * $XS_TEST_DATA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

/* Extraction gives the same bytes with one thread and two, and so does
 * load(write(m)); their sha256 (and the int8 model's) go to XS_TEST_SHA_OUT. */
static void test_deterministic(void **state)
{
	(void)state;
	static const char *const archs[] = {
		"smallest", "largest",
		"r24-d2.3.1.3-s1:e4k3,e4k7-s2:e4k3,e4k7,e4k3-s3:e2k3-s4:e2k7,e4k3,e2k3"};
	const char *out = getenv("XS_TEST_SHA_OUT");
	/* under qemu the largest takes minutes: XS_TEST_QUICK leaves it out */
	const bool quick = getenv("XS_TEST_QUICK") != NULL;
	FILE *f = out ? fopen(out, "w") : NULL;
	assert_true(out == NULL || f != NULL);
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		if (quick && strcmp(archs[i], "largest") == 0)
			continue;
		/* one thread and two give the same bytes */
		struct xs_model *m1 = tu_extract(archs[i], tu_fx.tp, true), *m2 = NULL;
		size_t n1, n2, n3;
		uint8_t *b1 = tu_model_bytes(m1, &n1), *b2 = NULL;
		if (!quick || i == 0) {
			m2 = tu_extract(archs[i], NULL, true);
			b2 = tu_model_bytes(m2, &n2);
			assert_int_equal(n1, n2);
			assert_memory_equal(b1, b2, n1);
		}
		/* tu_model_load(write(m)) writes the same bytes; the identity is sha256(file) */
		struct xs_model *m3;
		struct xs_error err;
		uint8_t sum[32], sum2[32];
		char hex[65];
		assert_int_equal(xs_model_load_buffer(b1, n1, &m3, sum, &err), XS_OK);
		uint8_t *b3 = tu_model_bytes(m3, &n3);
		assert_int_equal(n1, n3);
		assert_memory_equal(b1, b3, n1);
		xs_sha256(b1, n1, sum2);
		assert_memory_equal(sum, sum2, 32);
		assert_int_equal(xs_model_sha256(m3, sum2, &err), XS_OK);
		assert_memory_equal(sum, sum2, 32);
		assert_int_equal(xs_model_macs(m3), xs_model_macs(m1));
		xs_sha256_hex(sum, hex);
		if (f && strcmp(archs[i], "largest") != 0)  /* what every run has */
			fprintf(f, "%s %s\n", hex, m1->arch);
		printf("   %s %s\n", hex, m1->arch);
		if (i == 0) { /* int8: the same bytes on every machine too */
			struct xs_model *q = tu_quantize(m1);
			assert_int_equal(xs_model_sha256(q, sum2, &err), XS_OK);
			xs_sha256_hex(sum2, hex);
			if (f)
				fprintf(f, "%s %s int8\n", hex, m1->arch);
			printf("   %s %s int8\n", hex, m1->arch);
			xs_model_destroy(q);
		}
		free(b1);
		free(b2);
		free(b3);
		xs_model_destroy(m1);
		xs_model_destroy(m2);
		xs_model_destroy(m3);
	}
	if (f)
		assert_int_equal(fclose(f), 0);
}

/* Too few or wrongly sized images, an arch outside the space; an eval with
 * labels that do not match. */
static void test_extract_bad(void **state)
{
	(void)state;
	struct xs_error err;
	struct xs_model *m;
	struct xs_arch a;
	xs_arch_smallest(&tu_fx.sn->space, &a);
	/* too few images, wrong size */
	struct xs_idx few = *tu_fx.train;
	few.count = 100;
	assert_int_equal(xs_model_extract(tu_fx.sn, &a, &few, NULL, &m, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "512 images"));
	struct xs_idx small = *tu_fx.train;
	small.rows = small.cols = 14;
	assert_int_equal(xs_model_extract(tu_fx.sn, &a, &small, NULL, &m, &err), XS_EINVAL);
	/* an arch outside the space */
	a.e[0][0] = 5;
	assert_int_equal(xs_model_extract(tu_fx.sn, &a, tu_fx.train, NULL, &m, &err), XS_EARCH);
	/* an eval with mismatched labels */
	xs_arch_smallest(&tu_fx.sn->space, &a);
	assert_int_equal(xs_model_extract(tu_fx.sn, &a, NULL, NULL, &m, &err), XS_OK);
	struct xs_exec *e;
	assert_int_equal(xs_exec_create(m, XK_ISA_DEFAULT, 4, &e, &err), XS_OK);
	size_t correct;
	struct xs_idx labels = *tu_fx.labels;
	labels.count = 10;
	assert_int_equal(xs_exec_eval(e, m, tu_fx.test, &labels, 10, NULL, &correct, NULL, &err),
			 XS_EINVAL);
	xs_exec_destroy(e);
	xs_model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_extract_bad),
	};
	return TU_RUN("extract", tests, tu_fixture_setup, tu_fixture_teardown);
}
