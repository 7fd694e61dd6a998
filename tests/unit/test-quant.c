/* test-quant.c - the int8 model of an f32 model (quant.c), on the tiny
 * hand-made model: every layer rule and both calibrations, deterministic,
 * the same logits bytes on every ISA and thread count, near f32; bad options
 * and inputs. */
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

/* Logits of model m for the n images of idx on isa. */
static float *run_logits(const struct xs_model *m, const struct xs_idx *idx, size_t n,
			 enum xk_isa isa, struct xk_threadpool *tp)
{
	struct xs_exec *e;
	struct xs_error err;
	assert_int_equal(xs_exec_create(m, isa, n, &e, &err), XS_OK);
	xs_model_input(m, idx->data, n, xs_exec_input(e));
	xs_exec_run(e, n, tp);
	float *out = malloc(n * m->classes * sizeof(float));
	memcpy(out, xs_exec_output(e), n * m->classes * sizeof(float));
	xs_exec_destroy(e);
	return out;
}

/* The tiny model quantized: the file round-trips (version 2; an f32 model
 * stays version 1), the logits are the same bytes on every ISA and thread
 * count and near the f32 ones; every layer rule and both calibrations. */
static void test_quantize(void **state)
{
	(void)state;
	struct xs_model *m = tu_tiny_model();
	struct xs_idx *calib = tu_tiny_images(64, 7), *imgs = tu_tiny_images(32, 99);
	struct xs_error err;
	size_t n0;
	uint8_t *b0 = tu_model_bytes(m, &n0);
	assert_int_equal(xs_le32(b0 + 8), 1);
	float *ref = run_logits(m, imgs, 32, XK_ISA_SCALAR, NULL);
	double span = 0; /* not fmax(): aarch64 gcc 12.2 -O2 has an internal */
	for (size_t i = 0; i < 32 * 3; i++) /* error vectorizing this max of a float */
		span = fabs(ref[i]) > span ? fabs(ref[i]) : span; /* widened to double */
	static const char *const rules[] = {"stem,classifier", "none", "classifier",
					    "stem,blocks,head,classifier"};
	for (size_t r = 0; r < 2 * sizeof(rules) / sizeof(rules[0]); r++) {
		struct xs_quant_options o;
		xs_quant_options_default(&o);
		assert_int_equal(xs_quant_layers_parse(rules[r / 2], &o.float_layers, &err),
				 XS_OK);
		if (r % 2)
			assert_int_equal(xs_quant_calib_parse("percentile:99.9", &o, &err), XS_OK);
		struct xs_model *q, *q2;
		assert_int_equal(xs_model_quantize(m, calib, &o, 64, tu_fx.tp, &q, &err), XS_OK);
		const bool all_float = r / 2 == 3;
		assert_int_equal(q->precision, all_float ? XS_PRECISION_F32 : XS_PRECISION_INT8);
		/* converts only where types change; none in the all-float model */
		uint32_t converts = 0, qs8 = 0;
		for (uint32_t i = 0; i < q->nnodes; i++)
			converts += q->nodes[i].op == XS_OP_QUANTIZE ||
				    q->nodes[i].op == XS_OP_DEQUANTIZE;
		for (uint32_t v = 0; v < q->nvalues; v++)
			qs8 += q->values[v].dtype == XS_DTYPE_QS8;
		assert_int_equal(converts, all_float ? 0 : 2);
		assert_true(all_float ? qs8 == 0 : qs8 >= 5);
		/* deterministic, and tu_model_load(write(q)) writes the same bytes */
		assert_int_equal(xs_model_quantize(m, calib, &o, 64, NULL, &q2, &err), XS_OK);
		size_t n1, n2, n3;
		uint8_t *b1 = tu_model_bytes(q, &n1), *b2 = tu_model_bytes(q2, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
		assert_int_equal(xs_le32(b1 + 8), all_float ? 1 : 2);
		struct xs_model *q3;
		assert_int_equal(xs_model_load_buffer(b1, n1, &q3, NULL, &err), XS_OK);
		uint8_t *b3 = tu_model_bytes(q3, &n3);
		assert_int_equal(n1, n3);
		assert_memory_equal(b1, b3, n1);
		if (all_float) /* nothing quantized: the f32 model's bytes */
			assert_memory_equal(b0, b1, n0 < n1 ? n0 : n1);
		/* every ISA, one and two threads: the same logits bytes when every
		 * layer is int8 ("none"); f32 layers round differently per ISA */
		float *first = run_logits(q3, imgs, 32, XK_ISA_SCALAR, NULL);
		for (int isa = 0; isa < XK_ISA_COUNT; isa++) {
			if (!xk_isa_supported((enum xk_isa)isa))
				continue;
			for (int t = 0; t < 2; t++) {
				float *l = run_logits(q3, imgs, 32, (enum xk_isa)isa, t ? tu_fx.tp : NULL);
				if (r / 2 == 1)
					assert_memory_equal(l, first, 32 * 3 * sizeof(float));
				for (size_t i = 0; i < 32 * 3; i++)
					assert_true(fabs(l[i] - first[i]) <= 0.05 * span);
				free(l);
			}
		}
		/* near f32: a few steps of the coarsest tensor (random weights, 6
		 * layers, 64 calibration images) */
		double worst = 0, mean = 0;
		for (size_t i = 0; i < 32 * 3; i++) {
			worst = fmax(worst, fabs(first[i] - ref[i]));
			mean += fabs(first[i] - ref[i]) / (32 * 3);
		}
		printf("   rule %-28s %-10s |int8 - f32| mean %.4f max %.4f, logits up to %.3f\n",
		       rules[r / 2], r % 2 ? "percentile" : "minmax", mean, worst, span);
		assert_true(worst <= 0.3 * span && mean <= 0.06 * span);
		free(first);
		free(b1), free(b2), free(b3);
		xs_model_destroy(q), xs_model_destroy(q2), xs_model_destroy(q3);
	}
	free(b0), free(ref);
	xs_model_destroy(m);
	xs_idx_destroy(calib);
	xs_idx_destroy(imgs);
}

/* Bad layer rules, calibrations and inputs; a model quantized twice. */
static void test_quantize_bad(void **state)
{
	(void)state;
	struct xs_model *m = tu_tiny_model();
	struct xs_idx *calib = tu_tiny_images(64, 7);
	struct xs_error err;
	uint32_t mask;
	assert_int_equal(xs_quant_layers_parse("stem,bogus", &mask, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "'bogus' is not a layer"));
	assert_int_equal(xs_quant_layers_parse("stem,", &mask, &err), XS_EINVAL);
	assert_int_equal(xs_quant_layers_parse("", &mask, &err), XS_EINVAL);
	struct xs_quant_options o;
	xs_quant_options_default(&o);
	assert_int_equal(xs_quant_calib_parse("percentile:40", &o, &err), XS_EINVAL);
	assert_int_equal(xs_quant_calib_parse("percentile:x", &o, &err), XS_EINVAL);
	assert_int_equal(xs_quant_calib_parse("kl", &o, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "use minmax"));
	struct xs_model *q;
	assert_int_equal(xs_model_quantize(m, calib, &o, 65, NULL, &q, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "65 images of 6x6"));
	xs_quant_options_default(&o);
	o.float_layers = 0;
	assert_int_equal(xs_model_quantize(m, calib, &o, 64, NULL, &q, &err), XS_OK);
	struct xs_model *again;
	assert_int_equal(xs_model_quantize(q, calib, &o, 64, NULL, &again, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "already int8"));
	xs_model_destroy(q);
	xs_model_destroy(m);
	xs_idx_destroy(calib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantize),
		cmocka_unit_test(test_quantize_bad),
	};
	return TU_RUN("quant", tests, tu_pool_setup, tu_fixture_teardown);
}
