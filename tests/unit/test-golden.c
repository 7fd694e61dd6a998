/* test-golden.c - extraction, the .xnm file and the executor against PyTorch.
 *
 * Extracts every sub-net of models/fmnist-ofa.golden.json (written by
 * scripts/export_xsn.py from PyTorch) from the shipped supernet,
 * recalibrating BN on the first training images as PyTorch did, and checks
 * the logits of the first 16 test images (within 1e-3 of the row's largest
 * magnitude) and the top-1 on the 10,000 test images (within 0.1 points) on
 * this machine's kernels; int8 within 0.5 points of f32 (natively only).
 *
 * Under qemu (slow) XS_TEST_TOP1_MAX_MACS limits the top-1 check to the
 * smaller sub-nets; the logits are checked for all. XS_TEST_XNM_DIR is where
 * the host writes its extracted golden-N.xnm and the slower runs compare
 * theirs with them (the same bytes); XS_TEST_HOST_XNM=1 runs the host's files
 * instead of extracting again (for a full top-1 run under qemu). XS_TEST_QUICK
 * (qemu, sanitizers) leaves int8 out. Data: plain IDX files in
 * $XS_TEST_DATA (the Makefile decompresses Debian's dataset-fashion-mnist
 * there). */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

#define GOLDEN "models/fmnist-ofa.golden.json"

struct golden {
	char arch[XS_ARCH_MAX];
	double top1;
	double logits[16][10];
};

/* The golden file is export_xsn.py's own JSON: each sub-net has "arch",
 * "test_top1" and "logits16" (16 rows of 10) in that order. */
static size_t read_golden(struct golden *g, size_t max)
{
	size_t n, count = 0;
	char *text = tu_file_read(GOLDEN, &n);
	const char *p = strstr(text, "\"subnets\"");
	assert_non_null(p);
	while (count < max && (p = strstr(p, "\"arch\": \"")) != NULL) {
		p += 9;
		const char *q = strchr(p, '"');
		assert_non_null(q);
		assert_true((size_t)(q - p) < XS_ARCH_MAX);
		memcpy(g[count].arch, p, (size_t)(q - p));
		g[count].arch[q - p] = '\0';
		p = strstr(q, "\"test_top1\": ");
		assert_non_null(p);
		g[count].top1 = strtod(p + 13, NULL);
		p = strstr(p, "\"logits16\": ");
		assert_non_null(p);
		p += 12;
		for (int i = 0; i < 160; i++) {
			while (*p && strchr("[], \n", *p))
				p++;
			char *end;
			g[count].logits[i / 10][i % 10] = strtod(p, &end);
			assert_true(end != p);
			p = end;
		}
		count++;
	}
	free(text);
	return count;
}

static void test_golden(void **state)
{
	(void)state;
	static struct golden g[16];
	size_t n = read_golden(g, 16);
	assert_true(n >= 10);
	const char *env = getenv("XS_TEST_TOP1_MAX_MACS");
	uint64_t max_macs = env ? strtoull(env, NULL, 10) : UINT64_MAX;
	const char *dir = getenv("XS_TEST_XNM_DIR");
	for (size_t i = 0; i < n; i++) {
		/* the host's extraction of this sub-net, when make test ran it */
		char path[1024];
		snprintf(path, sizeof(path), "%s/golden-%zu.xnm", dir ? dir : ".", i);
		struct xs_model *theirs = NULL, *m = NULL;
		struct xs_error err;
		struct xs_arch a;
		assert_int_equal(xs_arch_parse(&tu_fx.sn->space, g[i].arch, &a, &err), XS_OK);
		const bool small = xs_arch_macs(&tu_fx.sn->space, &a) <= max_macs;
		if (dir && xs_model_load(path, &theirs, NULL, &err) != XS_OK)
			theirs = NULL;
		/* XS_TEST_HOST_XNM: run the host's files (recalibrating under qemu
		 * takes minutes per sub-net; the bytes are compared elsewhere) */
		if (theirs && getenv("XS_TEST_HOST_XNM")) {
			m = theirs;
		} else if (small || theirs == NULL) {
			m = tu_extract(g[i].arch, tu_fx.tp, true);
			if (theirs) {  /* the same bytes as the host's */
				size_t n1, n2;
				uint8_t *b1 = tu_model_bytes(m, &n1), *b2 = tu_model_bytes(theirs, &n2);
				assert_int_equal(n1, n2);
				assert_memory_equal(b1, b2, n1);
				free(b1);
				free(b2);
			} else if (dir) {
				assert_int_equal(xs_model_write(m, path, &err), XS_OK);
			}
			xs_model_destroy(theirs);
			theirs = NULL;
		} else {
			m = theirs;  /* too slow to recalibrate here: run the host's */
		}
		struct xs_exec *e;
		assert_string_equal(m->arch, g[i].arch);
		assert_int_equal(xs_exec_create(m, XK_ISA_DEFAULT, 100, &e, &err), XS_OK);
		const bool top1 = small;
		const size_t count = top1 ? tu_fx.test->count : 16;
		float *logits = malloc(count * 10 * sizeof(float));
		size_t correct;
		assert_int_equal(xs_exec_eval(e, m, tu_fx.test, tu_fx.labels, count, tu_fx.tp, &correct,
					      logits, &err), XS_OK);
		double worst = 0.0;
		for (int r = 0; r < 16; r++) {
			double big = 0.0;
			for (int k = 0; k < 10; k++)
				big = fmax(big, fabs(g[i].logits[r][k]));
			for (int k = 0; k < 10; k++)
				worst = fmax(worst, fabs(logits[r * 10 + k] - g[i].logits[r][k]) / big);
		}
		double acc = 100.0 * (double)correct / (double)count;
		printf("   %-88s %s%s logits %.1e", m->arch, xk_isa_name(xs_exec_isa(e)),
		       m == theirs ? " (host's .xnm)" : "", worst);
		if (top1)
			printf(" top1 %.2f (PyTorch %.2f)\n", acc, g[i].top1);
		else
			printf(" (top-1 skipped: XS_TEST_TOP1_MAX_MACS)\n");
		assert_true(worst <= 1e-3);
		if (top1)
			assert_true(fabs(acc - g[i].top1) <= 0.1 + 1e-9);
		free(logits);
		xs_exec_destroy(e);
		/* int8 (the default rule: stem and classifier f32) within 0.5
		 * points of f32; on the host only (XS_TEST_QUICK: qemu, sanitizers) */
		if (top1 && m != theirs && getenv("XS_TEST_QUICK") == NULL) {
			struct xs_model *q = tu_quantize(m);
			assert_int_equal(q->precision, XS_PRECISION_INT8);
			assert_int_equal(xs_exec_create(q, XK_ISA_DEFAULT, 100, &e, &err), XS_OK);
			assert_int_equal(xs_exec_eval(e, q, tu_fx.test, tu_fx.labels, count, tu_fx.tp,
						      &correct, NULL, &err), XS_OK);
			double acc8 = 100.0 * (double)correct / (double)count;
			printf("   %-88s int8 top1 %.2f (f32 %.2f, %+.2f)\n", "", acc8, acc,
			       acc8 - acc);
			assert_true(fabs(acc8 - acc) <= 0.5 + 1e-9);
			xs_exec_destroy(e);
			xs_model_destroy(q);
		}
		xs_model_destroy(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
	};
	return TU_RUN("golden", tests, tu_fixture_setup, tu_fixture_teardown);
}
