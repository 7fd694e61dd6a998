/* test-harness-select.c - the selector's parts on problems whose answer the
 * test computes another way: budgets and populations (good and bad), the
 * sub-space enumeration against nested loops, the evolutionary search against
 * exhaustive search and against random sampling with the same number of
 * scores, and the tiering against every contiguous grouping. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "select.h"

static struct xs_supernet *sn;

static int setup(void **state)
{
	(void)state;
	struct xs_error err;
	return xs_supernet_load("models/fmnist-ofa.xsn", &sn, &err) == XS_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	xs_supernet_destroy(sn);
	return 0;
}

static void test_budget(void **state)
{
	(void)state;
	struct xf_budget b;
	char why[256], text[128];
	assert_true(xf_budget_parse(XF_DEFAULT_BUDGET, &b, why, sizeof(why)));
	assert_int_equal(b.percentile, 90);
	assert_true(b.latency_ms == 8.0);
	assert_int_equal(b.memory, 4u << 20);
	assert_int_equal(b.size, 1u << 20);
	xf_budget_print(&b, text, sizeof(text));
	assert_string_equal(text, "p90<=8ms,mem<=4194304B,size<=1048576B");
	/* order, units, a missing part */
	assert_true(xf_budget_parse("size<=512KB,p99<=1500us", &b, why, sizeof(why)));
	assert_int_equal(b.percentile, 99);
	assert_true(fabs(b.latency_ms - 1.5) < 1e-12);
	assert_int_equal(b.size, 512u * 1024);
	assert_int_equal(b.memory, 0);
	assert_true(xf_budget_parse("p50<=0.25s", &b, why, sizeof(why)));
	assert_true(b.latency_ms == 250.0 && b.percentile == 50);
	static const struct {
		const char *text, *says;
	} bad[] = {
		{"", "empty"},
		{"p95<=8ms", "p95"},
		{"p90<=8", "p90<=8"},
		{"p90<=8ms,p90<=9ms", "given twice"},
		{"mem<=1MB,mem<=2MB", "the memory is given twice"},
		{"p90<=1e306s", "at most 1e6 s"},
		{"mem<=2e15B", "below 1e15"},
		{"mem<=4XB", "mem<=4XB"},
		{"mem<=-1MB", "mem<=-1MB"},
		{"size<=0MB", "size<=0MB"},
		{"speed<=3ms", "unknown budget 'speed'"},
		{"p90=8ms", "NAME<=VALUE"},
		{"p90<=nanms", "p90<=nanms"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_false(xf_budget_parse(bad[i].text, &b, why, sizeof(why)));
		if (strstr(why, bad[i].says) == NULL)
			fail_msg("budget '%s': '%s' does not say '%s'", bad[i].text, why, bad[i].says);
	}
}

static void test_population(void **state)
{
	(void)state;
	struct xf_share *rows;
	size_t n;
	char why[256];
	const char good[] = "model,share\n\"Pixel 8, Pro\",30\nSM-A146B,50\r\n\"say \"\"hi\"\"\",20";
	assert_true(xf_population_parse(good, strlen(good), &rows, &n, why, sizeof(why)));
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].model, "Pixel 8, Pro");
	assert_string_equal(rows[2].model, "say \"hi\"");
	assert_true(fabs(rows[0].share - 0.3) < 1e-12 && fabs(rows[1].share - 0.5) < 1e-12);
	free(rows);
	static const struct {
		const char *text, *says;
	} bad[] = {
		{"", "no rows"},
		{"a,0\nb,0\n", "every share is 0"},
		{"a,1\na,2\n", "row 2: model 'a' is there twice"},
		{"a,1\n,2\n", "row 2: an empty model name"},
		{"a,1\nb,-2\n", "row 2: share '-2'"},
		{"a,1,3\n", "row 1: 3 fields"},
		{"a,x\n", "row 1: share 'x'"},
		{"a,1\n\"b,2\n", "row 2"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_false(xf_population_parse(bad[i].text, strlen(bad[i].text), &rows, &n, why,
						 sizeof(why)));
		if (strstr(why, bad[i].says) == NULL)
			fail_msg("population '%s': '%s' does not say '%s'", bad[i].text, why, bad[i].says);
	}
}

struct collect {
	struct xs_arch *v;
	size_t n;
};

static bool collect_one(void *ctx, const struct xs_arch *a)
{
	struct collect *c = ctx;
	c->v[c->n++] = *a;
	return true;
}

static void test_subspace(void **state)
{
	(void)state;
	const struct xs_space *sp = &sn->space;
	struct xf_subspace ss;
	xf_subspace_small(sp, &ss);
	struct collect c = {calloc(1000, sizeof(struct xs_arch)), 0};
	assert_int_equal(xf_subspace_each(sp, &ss, collect_one, &c), 81);
	/* the same set as nested loops over the four expand ratios */
	size_t found = 0;
	for (uint32_t i = 0; i < 81; i++) {
		char text[XS_ARCH_MAX];
		snprintf(text, sizeof(text), "r%u-d1.1.1.1-s1:e%uk%u-s2:e%uk%u-s3:e%uk%u-s4:e%uk%u",
			 sp->res[0], sp->expands[i % 3], sp->kernels[0], sp->expands[i / 3 % 3],
			 sp->kernels[0], sp->expands[i / 9 % 3], sp->kernels[0],
			 sp->expands[i / 27 % 3], sp->kernels[0]);
		struct xs_arch a;
		struct xs_error err;
		assert_int_equal(xs_arch_parse(sp, text, &a, &err), XS_OK);
		assert_true(xf_subspace_has(sp, &ss, &a));
		for (size_t k = 0; k < c.n; k++)
			found += memcmp(&c.v[k], &a, sizeof(a)) == 0;
	}
	assert_int_equal(found, 81);
	struct xs_arch big;
	xs_arch_largest(sp, &big);
	assert_false(xf_subspace_has(sp, &ss, &big));
	/* depths 1..2 in stage 1 only: blocks past a depth are not choices */
	ss.depth[0] = 3;
	assert_int_equal(xf_subspace_each(sp, &ss, collect_one, &(struct collect){c.v, 0}),
			 81 + 81 * 3);
	free(c.v);
}

/* A known problem: accuracy is a sum of a fixed preference per stage and
 * block choice (as in a real space, some choices help more than their cost)
 * plus a small wobble per arch; it fits when MACs are under a limit. */
struct toy {
	const struct xs_space *sp;
	uint64_t limit;
	size_t calls;
};

static double hash01(const void *data, size_t n, uint64_t salt)
{
	uint64_t h = 1469598103934665603ull ^ salt;
	const uint8_t *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	h ^= h >> 29;
	return (double)(h % 100000) / 100000.0;
}

static double wobble(const struct xs_arch *a)
{
	double v = 0;
	for (uint32_t s = 0; s < sn->space.nstages; s++) {
		uint8_t key[3] = {(uint8_t)s, a->e[s][0], a->k[s][0]};
		v += 2 * hash01(key, sizeof(key), 99);
	}
	return v + 0.05 * hash01(a, sizeof(*a), 7);
}

static bool toy_fits(void *ctx, const struct xs_arch *a)
{
	struct toy *t = ctx;
	return xs_arch_macs(t->sp, a) <= t->limit;
}

static enum xs_status toy_acc(void *ctx, const struct xs_arch *a, double *top1,
			      struct xs_error *err)
{
	(void)err;
	struct toy *t = ctx;
	t->calls++;
	*top1 = 80 + wobble(a);
	return XS_OK;
}

static void test_search(void **state)
{
	(void)state;
	const struct xs_space *sp = &sn->space;
	struct xf_subspace ss;
	xf_subspace_all(sp, &ss);
	ss.res = 1;               /* r20, depth 1: 9^4 = 6561 sub-nets */
	for (int s = 0; s < 4; s++)
		ss.depth[s] = 1;
	struct toy t = {sp, 1600000, 0};
	struct xf_search_fns fns = {&t, toy_fits, toy_acc};
	struct xf_search_result ex, ev;
	struct xs_error err;
	assert_int_equal(xf_search_exhaustive(sp, &fns, &ss, &ex, &err), XS_OK);
	assert_true(ex.found);
	assert_int_equal(t.calls, ex.scored);
	assert_true(ex.scored > 200 && ex.scored < 6561);   /* the limit bites */
	assert_true(toy_fits(&t, &ex.best));
	/* evolution with 150 scores against random sampling with 150, 8 seeds */
	double reg_ev = 0, reg_rand = 0;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		t.calls = 0;
		struct xf_search_opts o = {.seed = seed, .evals = 150, .ss = &ss};
		assert_int_equal(xf_search(sp, &fns, &o, &ev, &err), XS_OK);
		assert_true(ev.found);
		assert_true(ev.scored <= 150 && t.calls == ev.scored);
		assert_true(toy_fits(&t, &ev.best) && xf_subspace_has(sp, &ss, &ev.best));
		assert_true(ev.top1 <= ex.top1);
		reg_ev += ex.top1 - ev.top1;
		/* the same seed gives the same answer */
		struct xf_search_result again;
		assert_int_equal(xf_search(sp, &fns, &o, &again, &err), XS_OK);
		assert_memory_equal(&again.best, &ev.best, sizeof(ev.best));
		/* random: the best of 150 random fitting ones */
		uint64_t st = seed;
		double best = -1;
		for (size_t got = 0, tries = 0; got < 150 && tries < 100000; tries++) {
			struct xs_arch a;
			xs_arch_random(sp, &st, &a);
			a.r = sp->res[0];
			for (int s = 0; s < 4; s++)
				a.d[s] = 1;
			xs_arch_canonicalise(sp, &a);
			if (!toy_fits(&t, &a))
				continue;
			double v;
			toy_acc(&t, &a, &v, &err);
			best = v > best ? v : best;
			got++;
		}
		reg_rand += ex.top1 - best;
	}
	print_message("regret over 8 seeds: evolution %.4f, random %.4f\n", reg_ev / 8,
		      reg_rand / 8);
	assert_true(reg_ev < reg_rand / 4);
	assert_true(reg_ev / 8 < 0.3);
	/* nothing fits: found is false, not an error */
	t.limit = 1;
	struct xf_search_opts o = {.seed = 1, .evals = 20, .ss = &ss};
	assert_int_equal(xf_search(sp, &fns, &o, &ev, &err), XS_OK);
	assert_false(ev.found);
	assert_int_equal(ev.scored, 0);
}

/* Every contiguous grouping of nd devices into k tiers, by brute force. */
static double brute(const bool *fits, const double *acc, size_t nc, const double *share,
		    size_t nd, size_t k, size_t from)
{
	if (k == 0)
		return from == nd ? 0 : -INFINITY;
	double best = -INFINITY;
	for (size_t to = from; to < nd; to++) {
		double a = -INFINITY, w = 0;
		for (size_t c = 0; c < nc; c++) {
			bool all = true;
			for (size_t d = from; d <= to; d++)
				all = all && fits[c * nd + d];
			if (all && acc[c] > a)
				a = acc[c];
		}
		for (size_t d = from; d <= to; d++)
			w += share[d];
		if (a == -INFINITY)
			continue;
		double rest = brute(fits, acc, nc, share, nd, k - 1, to + 1);
		if (rest > -INFINITY && w * a + rest > best)
			best = w * a + rest;
	}
	return best;
}

static void test_tiers(void **state)
{
	(void)state;
	uint64_t seed = 7;
	for (int trial = 0; trial < 300; trial++) {
		size_t nd = 1 + seed % 7, nc = 1 + (seed >> 8) % 9;
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		bool fits[9 * 7];
		double acc[9], share[7], speed[7];
		/* devices slower down the list; a candidate fits a device when its
		 * cost is under the device's speed, plus some noise */
		for (size_t d = 0; d < nd; d++) {
			speed[d] = 10.0 - (double)d - (double)(seed % 100) / 200.0;
			share[d] = (double)(1 + (seed >> 16) % 10);
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		}
		for (size_t c = 0; c < nc; c++) {
			double cost = (double)(seed % 1000) / 100.0;
			acc[c] = 80 + cost + (double)((seed >> 20) % 100) / 100.0;
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			for (size_t d = 0; d < nd; d++)
				fits[c * nd + d] = cost <= speed[d] || (c == 0);  /* c 0 fits all */
		}
		for (size_t k = 1; k <= nd; k++) {
			struct xf_tiering t;
			assert_true(xf_tiers_best(fits, acc, nc, share, nd, k, &t));
			double want = brute(fits, acc, nc, share, nd, k, 0);
			assert_true(fabs(t.value - want) < 1e-9);
			/* the groups cover the devices in order and their sub-nets fit */
			double v = 0;
			for (size_t i = 0; i < k; i++) {
				assert_int_equal(t.first[i], i ? t.last[i - 1] + 1 : 0);
				for (size_t d = t.first[i]; d <= t.last[i]; d++) {
					assert_true(fits[t.cand[i] * nd + d]);
					v += share[d] * acc[t.cand[i]];
				}
			}
			assert_int_equal(t.last[k - 1], nd - 1);
			assert_true(fabs(v - t.value) < 1e-9);
		}
		/* auto: the fewest tiers within the gain of the best */
		struct xf_tiering a;
		assert_true(xf_tiers_auto(fits, acc, nc, share, nd, 16, 0.5, &a));
		double top = -INFINITY;
		for (size_t k = 1; k <= nd; k++) {
			double v = brute(fits, acc, nc, share, nd, k, 0);
			top = v > top ? v : top;
		}
		assert_true(a.value >= top - 0.5);
		for (size_t k = 1; k < a.k; k++)
			assert_true(brute(fits, acc, nc, share, nd, k, 0) < top - 0.5);
	}
	/* a device that fits nothing: no tiering */
	bool f[2] = {true, false};
	double acc[1] = {90}, share[2] = {1, 1};
	struct xf_tiering t;
	assert_false(xf_tiers_best(f, acc, 1, share, 2, 1, &t));
	assert_false(xf_tiers_best(f, acc, 1, share, 2, 3, &t));
}

/* The grouping of devices: equal neighbours are one class, tiers map back
 * to device ranges, neighbours with the same candidate merge. */
static void test_tiers_group(void **state)
{
	(void)state;
	/* 5 devices, fastest first; candidates: c0 (acc 80) fits all, c1 (90)
	 * the first three, c2 (95) the first two; devices 0,1 and 3,4 alike */
	const size_t nd = 5, nc = 3;
	const bool fits[3 * 5] = {
		1, 1, 1, 1, 1,
		1, 1, 1, 0, 0,
		1, 1, 0, 0, 0,
	};
	const double acc[3] = {80, 90, 95}, share[5] = {0.1, 0.1, 0.2, 0.3, 0.3};
	struct xf_tiering t;
	size_t ncls, grouped;
	/* three classes ({0,1}, {2}, {3,4}); 3 tiers: c2, c1, c0 */
	assert_true(xf_tiers_group(fits, acc, nc, share, nd, 3, 16, 0.1, &t, &ncls, &grouped));
	assert_int_equal(ncls, 3);
	assert_int_equal(grouped, 3);
	assert_int_equal(t.k, 3);
	assert_int_equal(t.first[0], 0);
	assert_int_equal(t.last[0], 1);
	assert_int_equal(t.cand[0], 2);
	assert_int_equal(t.first[1], 2);
	assert_int_equal(t.last[1], 2);
	assert_int_equal(t.cand[1], 1);
	assert_int_equal(t.first[2], 3);
	assert_int_equal(t.last[2], 4);
	assert_int_equal(t.cand[2], 0);
	assert_true(fabs(t.value - (0.2 * 95 + 0.2 * 90 + 0.6 * 80)) < 1e-9);
	/* more tiers asked than classes: as many as the classes */
	assert_true(xf_tiers_group(fits, acc, nc, share, nd, 5, 16, 0.1, &t, &ncls, &grouped));
	assert_int_equal(t.k, 3);
	/* 2 tiers: {0..2} c1 and {3,4} c0 (0.4 * 90 beats 0.2 * 95 + 0.2 * 80) */
	assert_true(xf_tiers_group(fits, acc, nc, share, nd, 2, 16, 0.1, &t, &ncls, &grouped));
	assert_int_equal(t.k, 2);
	assert_int_equal(t.last[0], 2);
	assert_int_equal(t.cand[0], 1);
	/* one candidate best everywhere: the tiers merge into one */
	const bool all[2 * 5] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
	const double acc2[2] = {99, 80};
	assert_true(xf_tiers_group(all, acc2, 2, share, nd, 2, 16, 0.1, &t, &ncls, &grouped));
	assert_int_equal(ncls, 2);
	assert_int_equal(grouped, 2);
	assert_int_equal(t.k, 1);
	assert_int_equal(t.first[0], 0);
	assert_int_equal(t.last[0], 4);
	assert_int_equal(t.cand[0], 0);
	/* a device that fits nothing */
	const bool none[1 * 2] = {1, 0};
	assert_false(xf_tiers_group(none, acc, 1, share, 2, 0, 16, 0.1, &t, &ncls, &grouped));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_population),
		cmocka_unit_test(test_subspace),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_tiers_group),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
