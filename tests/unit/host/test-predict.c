/* test-harness-predict.c - latency prediction: a sub-net's pieces as the
 * agent's kernel table keys them, the per-device calibration fit and the
 * leave-one-out evaluation on data with a known answer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "predict.h"

struct got {
	size_t n, blocks, firsts;
	char kinds[64][8];
	uint32_t res[64];
};

static void on_piece(void *ctx, const struct xf_piece *p)
{
	struct got *g = ctx;
	snprintf(g->kinds[g->n], 8, "%s", p->kind);
	g->res[g->n++] = p->res;
	g->blocks += strcmp(p->kind, "block") == 0;
	g->firsts += p->first;
}

static void test_pieces(void **state)
{
	(void)state;
	struct xs_supernet *sn;
	struct xs_error err;
	assert_int_equal(xs_supernet_load("models/fmnist-ofa.xsn", &sn, &err), XS_OK);
	const struct xs_space *sp = &sn->space;
	struct xs_arch a;
	/* r20: resize, stem (20 -> 10), stages of strides from the space */
	assert_int_equal(xs_arch_parse(sp, "r20-d2.1.3.1-s1:e2k3,e3k5-s2:e4k7-s3:e2k3,e2k3,e2k3-"
				       "s4:e3k5", &a, &err), XS_OK);
	struct got g = {0};
	size_t n = xf_arch_pieces(sp, &a, on_piece, &g);
	assert_int_equal(n, g.n);
	assert_int_equal(n, 1 + 1 + 7 + 1);
	assert_string_equal(g.kinds[0], "resize");
	assert_int_equal(g.res[0], 20);
	assert_string_equal(g.kinds[1], "stem");
	assert_int_equal(g.blocks, 7);
	assert_int_equal(g.firsts, 4);  /* one first block per stage */
	assert_string_equal(g.kinds[n - 1], "head");
	/* the stored resolution: no resize */
	assert_int_equal(xs_arch_parse(sp, "r28-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3", &a, &err),
			 XS_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(xf_arch_pieces(sp, &a, on_piece, &g), 6);
	assert_string_equal(g.kinds[0], "stem");
	/* a later block sees its stage's output resolution: below the first's
	 * when the stage strides */
	assert_int_equal(xs_arch_parse(sp, "r28-d1.2.1.1-s1:e2k3-s2:e2k3,e2k3-s3:e2k3-s4:e2k3", &a,
				       &err), XS_OK);
	memset(&g, 0, sizeof(g));
	xf_arch_pieces(sp, &a, on_piece, &g);
	assert_true(sp->stage[1].stride == 1 || g.res[3] < g.res[2]);
	xs_supernet_destroy(sn);
}

static void test_fit(void **state)
{
	(void)state;
	double sum[40], blocks[40], meas[40];
	uint64_t x = 12345;
	for (int i = 0; i < 40; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		sum[i] = 0.05 + (double)(x >> 40) / (double)(1ull << 24) * 2.0;
		blocks[i] = 4 + (double)((x >> 20) % 9);
		meas[i] = 1.1 * sum[i] + 0.01 + 0.002 * blocks[i];
	}
	struct xf_calib c;
	xf_calib_fit(sum, blocks, meas, 40, &c);
	assert_true(fabs(c.a - 1.1) < 1e-9 && fabs(c.b - 0.01) < 1e-9 && fabs(c.c - 0.002) < 1e-9);
	assert_int_equal(c.n, 40);
	struct xf_predict_eval e;
	xf_predict_eval(sum, blocks, meas, 40, &e);
	assert_true(e.within5 == 1.0 && e.within10 == 1.0 && e.rmspe < 1e-9 && e.worst < 1e-9);
	assert_true(fabs(e.spearman - 1.0) < 1e-12);
	/* 4% noise either way: every prediction within 10%, most within 5% */
	for (int i = 0; i < 40; i++)
		meas[i] *= i % 2 ? 1.04 : 0.96;
	xf_predict_eval(sum, blocks, meas, 40, &e);
	assert_true(e.within10 == 1.0);
	assert_true(e.within5 >= 0.75);
	assert_true(e.rmspe > 0.03 && e.rmspe < 0.06);
	/* reversed order: rank correlation -1 */
	double rev[40];
	for (int i = 0; i < 40; i++)
		rev[i] = 10.0 - sum[i];
	xf_predict_eval(sum, blocks, rev, 40, &e);
	assert_true(e.spearman < -0.99);
	/* few points: the scale alone; none: the identity */
	double s2[2] = {1, 2}, b2[2] = {5, 6}, m2[2] = {2, 4};
	xf_calib_fit(s2, b2, m2, 2, &c);
	assert_true(fabs(c.a - 2.0) < 1e-12 && c.b == 0 && c.c == 0);
	xf_calib_fit(s2, b2, m2, 0, &c);
	assert_true(c.a == 1 && xf_calib_predict(&c, 3, 9) == 3);
	xf_predict_eval(s2, b2, m2, 1, &e);
	assert_int_equal(e.n, 1);
	assert_true(e.within5 == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
