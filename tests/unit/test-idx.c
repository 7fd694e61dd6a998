/* test-idx.c - IDX files (idx.c): images and labels load; every cut, a byte
 * too many, the wrong kind, gzip and absurd sizes are errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

static void test_idx(void **state)
{
	(void)state;
	struct xs_idx *idx = NULL;
	struct xs_error err;
	/* two 3x2 images, and three labels */
	uint8_t img[16 + 12] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2};
	for (int i = 0; i < 12; i++)
		img[16 + i] = (uint8_t)(10 * i);
	uint8_t lab[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 9, 2, 1};
	assert_int_equal(xs_idx_load_buffer(img, sizeof(img), 3, &idx, &err), XS_OK);
	assert_int_equal(idx->count, 2);
	assert_int_equal(idx->rows, 3);
	assert_int_equal(idx->cols, 2);
	assert_int_equal(idx->data[11], 110);
	xs_idx_destroy(idx);
	assert_int_equal(xs_idx_load_buffer(lab, sizeof(lab), 1, &idx, &err), XS_OK);
	assert_int_equal(idx->count, 3);
	assert_int_equal(idx->data[0], 9);
	xs_idx_destroy(idx);
	xs_idx_destroy(NULL);
	/* every cut, and one byte too many */
	for (size_t n = 0; n < sizeof(img); n++)
		assert_int_equal(xs_idx_load_buffer(img, n, 3, &idx, &err), XS_EFORMAT);
	uint8_t longer[sizeof(img) + 1] = {0};
	memcpy(longer, img, sizeof(img));
	assert_int_equal(xs_idx_load_buffer(longer, sizeof(longer), 3, &idx, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "cut or padded"));
	/* labels where images are wanted, gzip, absurd sizes */
	assert_int_equal(xs_idx_load_buffer(lab, sizeof(lab), 3, &idx, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "expected 3"));
	const uint8_t gz[16] = {0x1f, 0x8b, 8, 0};
	assert_int_equal(xs_idx_load_buffer(gz, sizeof(gz), 3, &idx, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "decompressed"));
	uint8_t huge[16] = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0, 0, 0, 0x10, 0};
	assert_int_equal(xs_idx_load_buffer(huge, sizeof(huge), 3, &idx, &err), XS_EFORMAT);
	assert_int_equal(xs_idx_load_buffer(img, sizeof(img), 2, &idx, &err), XS_EINVAL);
	assert_int_equal(xs_idx_load("/nonexistent.idx", 3, &idx, &err), XS_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idx),
	};
	return TU_RUN("idx", tests, NULL, NULL);
}
