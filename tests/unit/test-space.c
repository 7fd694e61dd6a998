/* test-space.c - the search space text (space.c): parsed, every key required,
 * bad values named, printed and parsed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

static void test_space(void **state)
{
	(void)state;
	struct xs_space sp;
	struct xs_error err;
	assert_int_equal(xs_space_parse(tu_fmnist_space, strlen(tu_fmnist_space), &sp, &err), XS_OK);
	assert_string_equal(sp.name, "fmnist-ofa");
	assert_int_equal(sp.in_c, 1);
	assert_true(sp.mean == 0.286f && sp.std == 0.353f && sp.bn_eps == 1e-05f);
	assert_int_equal(sp.nres, 3);
	assert_int_equal(sp.res[2], 28);
	assert_int_equal(sp.nstages, 4);
	assert_int_equal(sp.stage[2].out, 64);
	assert_int_equal(sp.stage[1].act, XK_ACT_RELU);
	assert_int_equal(sp.stage[3].stride, 1);
	assert_int_equal(sp.head_out, 192);
	assert_true(sp.kernel_transform);

	/* every key is required: drop each line in turn */
	size_t n = strlen(tu_fmnist_space);
	assert_true(n < 2048);
	for (const char *line = tu_fmnist_space; *line;) {
		const char *nl = strchr(line, '\n');
		char text[2048];
		size_t at = (size_t)(line - tu_fmnist_space), len = (size_t)(nl - line) + 1;
		memcpy(text, tu_fmnist_space, at);
		memcpy(text + at, nl + 1, n - at - len);
		assert_int_not_equal(xs_space_parse(text, n - len, &sp, &err), XS_OK);
		line = nl + 1;
	}
	/* bad values name the key */
	const char *bad[] = {
		"kernels=3,4,7\n", "resolutions=28,20\n", "stages=9\n", "stem=16,2,1,hswish\n",
		"stage1=24,3,relu\n", "stage1=24,2,gelu\n", "mean=0,286\n", "std=-1\n",
		"depths=\n", "expands=1,2,3,4,5,6,7,8,9\n", "input=1x28\n", "classes=10x\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[2048];
		const char *key_end = strchr(bad[i], '=');
		size_t klen = (size_t)(key_end - bad[i]) + 1;
		/* replace the line with that key */
		char key[32];
		memcpy(key, bad[i], klen);
		key[klen] = '\0';
		char needle[40];
		snprintf(needle, sizeof(needle), "\n%s", key);
		const char *line = strstr(tu_fmnist_space, needle);
		line = line ? line + 1 : tu_fmnist_space; /* the first line has no \n before */
		const char *nl = strchr(line, '\n');
		size_t pre = (size_t)(line - tu_fmnist_space);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)pre, tu_fmnist_space, bad[i], nl + 1);
		enum xs_status s = xs_space_parse(text, strlen(text), &sp, &err);
		assert_int_equal(s, XS_EFORMAT);
		key[klen - 1] = '\0';
		if (strstr(err.msg, key) == NULL && strstr(err.msg, "stage") == NULL)
			fail_msg("'%s': message does not name the key: %s", bad[i], err.msg);
	}
	/* no newline at the end, NUL bytes, duplicates */
	assert_int_equal(xs_space_parse(tu_fmnist_space, n - 1, &sp, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "newline"));
	char dup[2048];
	snprintf(dup, sizeof(dup), "%sclasses=10\n", tu_fmnist_space);
	assert_int_equal(xs_space_parse(dup, strlen(dup), &sp, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "twice"));
	/* unknown keys are ignored */
	snprintf(dup, sizeof(dup), "%sfuture_key=whatever\n", tu_fmnist_space);
	assert_int_equal(xs_space_parse(dup, strlen(dup), &sp, &err), XS_OK);
}

/* The space text round-trips: print, parse, print. */
static void test_space_print(void **state)
{
	(void)state;
	struct xs_error err;
	struct xs_space sp = tu_fmnist(), back;
	char a[2048], b[2048];
	size_t n = xs_space_print(&sp, a, sizeof(a));
	assert_int_equal(n, strlen(a));
	assert_int_equal(xs_space_parse(a, n, &back, &err), XS_OK);
	xs_space_print(&back, b, sizeof(b));
	assert_string_equal(a, b);
	assert_int_equal(xs_space_print(&sp, a, 10), n); /* too small: the length */
	assert_int_equal(strlen(a), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_space_print),
	};
	return TU_RUN("space", tests, NULL, NULL);
}
