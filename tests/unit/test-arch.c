/* test-arch.c - sub-nets of a space (arch.c): the canonical arch string
 * printed and parsed back, MACs and parameters against export_xsn.py's,
 * seeded samples, enumeration, and strings that are not canonical or not in
 * the space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

static void test_arch(void **state)
{
	(void)state;
	struct xs_space sp = tu_fmnist();
	struct xs_arch a, b;
	struct xs_error err;
	char text[XS_ARCH_MAX], again[XS_ARCH_MAX];

	xs_arch_largest(&sp, &a);
	xs_arch_print(&sp, &a, text, sizeof(text));
	assert_string_equal(text, "r28-d3.3.3.3-s1:e4k7,e4k7,e4k7-s2:e4k7,e4k7,e4k7-"
				  "s3:e4k7,e4k7,e4k7-s4:e4k7,e4k7,e4k7");
	xs_arch_smallest(&sp, &a);
	xs_arch_print(&sp, &a, text, sizeof(text));
	assert_string_equal(text, "r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3");

	/* MACs and parameters (BN folded) agree with scripts/export_xsn.py's
	 * macs_params, an independent implementation, which printed these for
	 * the largest and the smallest sub-net of this space: */
	xs_arch_largest(&sp, &a);
	assert_int_equal(xs_arch_params(&sp, &a), 456266);
	assert_int_equal(xs_arch_macs(&sp, &a), 14541856);
	xs_arch_smallest(&sp, &a);
	assert_int_equal(xs_arch_params(&sp, &a), 57258);
	assert_int_equal(xs_arch_macs(&sp, &a), 1037056);

	/* parse(print(x)) == x and print(parse(s)) == s on random sub-nets */
	uint64_t rng = 42;
	for (int i = 0; i < 2000; i++) {
		xs_arch_random(&sp, &rng, &a);
		assert_int_equal(xs_arch_validate(&sp, &a, &err), XS_OK);
		size_t len = xs_arch_print(&sp, &a, text, sizeof(text));
		assert_int_equal(len, strlen(text));
		assert_int_equal(xs_arch_parse(&sp, text, &b, &err), XS_OK);
		assert_memory_equal(&a, &b, sizeof(a));
		xs_arch_print(&sp, &b, again, sizeof(again));
		assert_string_equal(text, again);
	}
	/* the same seed gives the same samples */
	uint64_t r1 = 7, r2 = 7;
	xs_arch_random(&sp, &r1, &a);
	xs_arch_random(&sp, &r2, &b);
	assert_memory_equal(&a, &b, sizeof(a));

	/* not canonical, or not in the space */
	const char *bad[] = {
		"", "r28", "r28-d3.3.3", "r28-d3.3.3.3.3-s1:e4k7", "r028-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3 ",
		" r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3,e2k3",
		"r20-d1.1.1.2-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d1.1.1.1-s1:e2k3-s3:e2k3-s2:e2k3-s4:e2k3",
		"r21-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d4.1.1.1-s1:e2k3,e2k3,e2k3,e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d1.1.1.1-s1:e5k3-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d1.1.1.1-s1:e2k4-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d1.1.1.1-s1:e2k99999-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d1.1.1.1-s1:k3e2-s2:e2k3-s3:e2k3-s4:e2k3",
		"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3-s5:e2k3",
		"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3\n",
		"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3;rm -rf /"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (xs_arch_parse(&sp, bad[i], &a, &err) != XS_EARCH)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(strlen(err.msg) > 0);
	}
	char huge[4096];
	memset(huge, '1', sizeof(huge) - 1);
	huge[0] = 'r';
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(xs_arch_parse(&sp, huge, &a, &err), XS_EARCH);

	/* enumeration: 3 resolutions x (9 + 81 + 729)^4 sub-nets; indices give
	 * valid, distinct sub-nets; the last index is the last one */
	double count = xs_arch_count(&sp);
	assert_true(count == 3.0 * 819 * 819 * 819 * 819);
	char prev[XS_ARCH_MAX] = "";
	for (uint64_t i = 0; i < 3000; i += 7) {
		assert_true(xs_arch_from_index(&sp, i, &a));
		assert_int_equal(xs_arch_validate(&sp, &a, &err), XS_OK);
		xs_arch_print(&sp, &a, text, sizeof(text));
		assert_string_not_equal(text, prev);
		strcpy(prev, text);
	}
	assert_true(xs_arch_from_index(&sp, (uint64_t)count - 1, &a));
	xs_arch_largest(&sp, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_false(xs_arch_from_index(&sp, (uint64_t)count, &a));
	assert_true(xs_arch_from_index(&sp, 0, &a));
	xs_arch_smallest(&sp, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arch),
	};
	return TU_RUN("arch", tests, NULL, NULL);
}
