/* test-xnm.c - the .xnm sub-model file (model.c), on the tiny hand-made
 * model, f32 and int8: it loads; every cut, a flipped bit anywhere and
 * hostile fields behind a valid checksum give an error with a message, never
 * a crash (ASan runs this in make test).
 *
 * XS_TEST_WRITE_TINY and XS_TEST_WRITE_TINY_INT8 name files that get the two
 * models: the seeds of tests/fuzz/corpus-xnm/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

/* The f32 tiny model: it loads; every cut, a flipped bit anywhere, hostile
 * header and graph fields. */
static void test_xnm_bad(void **state)
{
	(void)state;
	struct xs_model *m = tu_tiny_model();
	size_t n;
	uint8_t *good = tu_model_bytes(m, &n);
	const char *corpus = getenv("XS_TEST_WRITE_TINY");
	if (corpus) {  /* the fuzz corpus's seed: tests/fuzz/corpus-xnm/tiny.xnm */
		struct xs_error err;
		assert_int_equal(xs_model_write(m, corpus, &err), XS_OK);
	}
	uint8_t *b = malloc(n);
	assert_int_equal(tu_model_load(good, n), XS_OK);
	/* every cut */
	for (size_t k = 0; k < n; k++)
		assert_int_not_equal(tu_model_load(good, k), XS_OK);
	/* a flipped bit anywhere: the checksum (magic and version are read
	 * first) */
	for (size_t k = 0; k < n; k++) {
		memcpy(b, good, n);
		b[k] ^= 0x10;
		enum xs_status st = tu_model_load(b, n);
		if (k < 12)
			assert_int_not_equal(st, XS_OK);
		else
			assert_int_equal(st, XS_ECHECKSUM);
	}
	/* hostile fields behind a valid checksum: every u32 of the header and
	 * the graph set to values that break it */
	const uint32_t nvalues = xs_le32(good + 16), nnodes = xs_le32(good + 20);
	const uint32_t alen = xs_le32(good + 24);
	const size_t values = 64 + ((alen + 3u) & ~3u), nodes = values + 12 * (size_t)nvalues;
	const size_t end = nodes + 48 * (size_t)nnodes;
	static const uint32_t bad[] = {0, 1, 2, 9, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF};
	size_t errors = 0, tried = 0;
	for (size_t off = 8; off + 4 <= end; off += 4)
		for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			memcpy(b, good, n);
			xs_put32(b + off, bad[j]);
			tu_reseal(b, n);
			tried++;
			errors += tu_model_load(b, n) != XS_OK;
		}
	/* most of these break the file; some are harmless (a kernel size
	 * field of a node that has none, a stride set to 1 again) */
	assert_true(errors > tried / 2);
	/* specific ones, with the status and message they must give */
	struct xs_model *h;
	struct xs_error err;
	size_t node1 = nodes + 48;  /* the conv after the resize */
	memcpy(b, good, n);
	xs_put32(b + node1 + 4, nvalues - 1);  /* reads a value not yet written */
	tu_reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "before it is written"));
	memcpy(b, good, n);
	xs_put64(b + node1 + 32, xs_le64(good + 40));  /* weights past the end */
	tu_reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "outside the file"));
	memcpy(b, good, n);
	xs_put32(b + node1 + 20, 9);  /* a 9x9 stem */
	tu_reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "kernel 9"));
	memcpy(b, good, n);
	xs_put32(b + 8, XS_XNM_VERSION + 1);  /* a future version */
	tu_reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EVERSION);
	/* a file that is not one */
	assert_int_equal(xs_model_load("/nonexistent.xnm", &h, NULL, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent.xnm"));
	free(b);
	free(good);
	xs_model_destroy(m);
}

/* Hostile int8 fields behind a valid checksum. */
static void test_xnm_int8_bad(void **state)
{
	(void)state;
	struct xs_model *m = tu_tiny_model(), *q;
	struct xs_idx *calib = tu_tiny_images(64, 7);
	struct xs_error err;
	struct xs_quant_options o;
	xs_quant_options_default(&o);
	o.float_layers = 0;
	assert_int_equal(xs_model_quantize(m, calib, &o, 64, NULL, &q, &err), XS_OK);
	size_t n;
	uint8_t *good = tu_model_bytes(q, &n), *b = malloc(n);
	const uint32_t nvalues = xs_le32(good + 16), alen = xs_le32(good + 24);
	const size_t values = 64 + ((alen + 3u) & ~3u), nodes = values + 24 * (size_t)nvalues;
	const size_t qsec = n - 32 - xs_le64(good + 56);
	struct xs_model *h;
	/* a weight of -128 */
	size_t w0 = 0;
	for (uint32_t i = 0; i < q->nnodes; i++)
		if (q->nodes[i].op == XS_OP_PW && q->values[q->nodes[i].out].dtype == XS_DTYPE_QS8) {
			w0 = q->nodes[i].w;
			break;
		}
	memcpy(b, good, n);
	b[qsec + w0] = 0x80;
	tu_reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "-127..127"));
	/* the logits as int8 */
	memcpy(b, good, n);
	xs_put32(b + values + 24 * (nvalues - 1) + 12, XS_DTYPE_QS8);
	xs_put32(b + values + 24 * (nvalues - 1) + 16, 0x3f800000);
	tu_reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "are f32"));
	/* a zero scale, a zero point out of range, an unknown type */
	static const uint32_t field[] = {16, 20, 12};
	static const uint32_t value[] = {0, 200, 7};
	for (int k = 0; k < 3; k++) {
		memcpy(b, good, n);
		xs_put32(b + values + 24 * 3 + field[k], value[k]);
		tu_reseal(b, n);
		assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
		assert_non_null(strstr(err.msg, "not valid"));
	}
	/* an f32 value read by an int8 node: value 3 made f32 */
	memcpy(b, good, n);
	xs_put32(b + values + 24 * 3 + 12, 0);
	xs_put32(b + values + 24 * 3 + 16, 0);
	xs_put32(b + values + 24 * 3 + 20, 0);
	tu_reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "types"));
	/* int8 biases at an odd offset */
	memcpy(b, good, n);
	for (uint32_t i = 0; i < q->nnodes; i++)
		if (q->nodes[i].op == XS_OP_PW) {
			xs_put64(b + nodes + 48 * i + 40, q->nodes[i].b + 1);
			break;
		}
	tu_reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "int8 weights outside"));
	/* a cut int8 section */
	for (size_t k = qsec; k < n; k += 7)
		assert_int_not_equal(tu_model_load(good, k), XS_OK);
	const char *corpus = getenv("XS_TEST_WRITE_TINY_INT8");
	if (corpus) /* the fuzz corpus's seed: tests/fuzz/corpus-xnm/tiny-int8.xnm */
		assert_int_equal(xs_model_write(q, corpus, &err), XS_OK);
	free(good), free(b);
	xs_model_destroy(q);
	xs_model_destroy(m);
	xs_idx_destroy(calib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xnm_bad),
		cmocka_unit_test(test_xnm_int8_bad),
	};
	return TU_RUN("xnm", tests, NULL, NULL);
}
