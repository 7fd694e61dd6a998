/* test-arena.c - the activation arena plan (arena.c): known plans, the
 * invariants of random ones (aligned, no overlap of tensors alive together,
 * between the most bytes alive at once and the sum), bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

/* The invariants of any plan: aligned offsets, no two tensors alive in a
 * common step share a byte, and the arena lies between the most bytes alive
 * at one step and the sum of all sizes. Returns that lower bound. */
static size_t check_plan(const struct xs_arena_tensor *t, size_t n, size_t align,
			 size_t arena)
{
	size_t sum = 0, bound = 0;
	uint32_t steps = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(t[i].offset % align, 0);
		assert_true(t[i].offset + t[i].size <= arena);
		sum += xk_round_up(t[i].size, align);
		steps = t[i].last + 1 > steps ? t[i].last + 1 : steps;
		for (size_t j = 0; j < i; j++) {
			bool together = t[i].first <= t[j].last && t[j].first <= t[i].last;
			bool apart = t[i].offset + t[i].size <= t[j].offset ||
				     t[j].offset + t[j].size <= t[i].offset;
			if (together && t[i].size && t[j].size && !apart)
				fail_msg("tensors %zu and %zu overlap at offsets %zu and %zu", i, j,
					 t[i].offset, t[j].offset);
		}
	}
	for (uint32_t step = 0; step < steps; step++) {
		size_t live = 0;
		for (size_t i = 0; i < n; i++)
			if (t[i].first <= step && step <= t[i].last)
				live += t[i].size;
		bound = live > bound ? live : bound;
	}
	assert_true(arena >= bound);
	assert_true(arena <= xk_round_up(sum, align));
	return bound;
}

static void test_arena(void **state)
{
	(void)state;
	struct xs_error err;
	size_t arena;
	/* a chain, each tensor read by the next step: the plan is the most
	 * bytes two neighbours need (200 + 50 at step 2) */
	struct xs_arena_tensor chain[4] = {
		{100, 0, 1, 0}, {50, 1, 2, 0}, {200, 2, 3, 0}, {10, 3, 4, 0}};
	assert_int_equal(xs_arena_plan(chain, 4, 1, &arena, &err), XS_OK);
	assert_int_equal(arena, 250);
	check_plan(chain, 4, 1, arena);
	/* a residual: the block input stays alive across the block */
	struct xs_arena_tensor res[5] = {
		{64, 0, 3, 0}, {256, 1, 2, 0}, {256, 2, 3, 0}, {64, 3, 4, 0}, {0, 0, 4, 0}};
	assert_int_equal(xs_arena_plan(res, 5, 64, &arena, &err), XS_OK);
	assert_int_equal(check_plan(res, 5, 64, arena), 576);
	assert_int_equal(arena, 576);
	/* random plans: the invariants, and the same plan twice */
	uint64_t rng = 1;
	for (int round = 0; round < 200; round++) {
		struct xs_arena_tensor t[64], again[64];
		size_t n = 1 + (size_t)(rng % 64);
		for (size_t i = 0; i < n; i++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t first = (uint32_t)(rng >> 33) % 40;
			uint32_t len = (uint32_t)(rng >> 45) % 6;
			t[i] = (struct xs_arena_tensor){(size_t)(rng >> 20) % 5000, first,
							 first + len, 12345};
		}
		size_t align = (size_t)1 << (round % 7);
		memcpy(again, t, sizeof(t));
		assert_int_equal(xs_arena_plan(t, n, align, &arena, &err), XS_OK);
		check_plan(t, n, align, arena);
		size_t arena2;
		assert_int_equal(xs_arena_plan(again, n, align, &arena2, &err), XS_OK);
		assert_int_equal(arena, arena2);
		assert_memory_equal(t, again, n * sizeof(t[0]));
	}
	/* nothing to place */
	assert_int_equal(xs_arena_plan(NULL, 0, 64, &arena, &err), XS_OK);
	assert_int_equal(arena, 0);
	/* bad input */
	struct xs_arena_tensor bad = {10, 5, 4, 0};
	assert_int_equal(xs_arena_plan(&bad, 1, 64, &arena, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "5..4"));
	assert_int_equal(xs_arena_plan(chain, 4, 48, &arena, &err), XS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena),
	};
	return TU_RUN("arena", tests, NULL, NULL);
}
