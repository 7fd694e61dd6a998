/* test-exec.c - the executor (exec.c): on sub-nets of the shipped supernet,
 * the same output whatever the batch size or thread count and near the
 * scalar kernels'; on the tiny hand-made model, every ISA against the graph
 * computed plainly in double. Data: plain IDX files in $XS_TEST_DATA. */
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

/* MACs of the graph equal the arch's count; the executor's output does not
 * depend on the batch size or thread count (same bits), and the scalar
 * kernels agree with the dispatched ones; the arena reuses memory. */
static void test_exec(void **state)
{
	(void)state;
	struct xs_error err;
	struct xs_arch a;
	uint64_t rng = 7;
	for (int t = 0; t < 4; t++) {
		xs_arch_random(&tu_fx.sn->space, &rng, &a);
		char text[XS_ARCH_MAX];
		xs_arch_print(&tu_fx.sn->space, &a, text, sizeof(text));
		struct xs_model *m = tu_extract(text, tu_fx.tp, false);
		assert_int_equal(xs_model_macs(m), xs_arch_macs(&tu_fx.sn->space, &a));
		assert_int_equal(m->nweights, xs_arch_params(&tu_fx.sn->space, &a));
		const size_t n = 7, img = 28 * 28;
		struct xs_exec *e7, *e1, *es;
		assert_int_equal(xs_exec_create(m, XK_ISA_DEFAULT, n, &e7, &err), XS_OK);
		assert_int_equal(xs_exec_create(m, XK_ISA_DEFAULT, 1, &e1, &err), XS_OK);
		assert_int_equal(xs_exec_create(m, XK_ISA_SCALAR, n, &es, &err), XS_OK);
		size_t total = 0;
		for (uint32_t v = 0; v < m->nvalues; v++)
			total += n * m->values[v].h * m->values[v].w * m->values[v].c * 4;
		assert_true(xs_exec_arena_bytes(e7) < total);
		assert_int_equal(xs_exec_weight_bytes(e7), m->nweights * 4);
		xs_model_input(m, tu_fx.test->data + 100 * img, n, xs_exec_input(e7));
		xs_model_input(m, tu_fx.test->data + 100 * img, n, xs_exec_input(es));
		xs_exec_run(e7, n, tu_fx.tp);
		xs_exec_run(es, n, NULL);
		for (size_t i = 0; i < n; i++) {
			xs_model_input(m, tu_fx.test->data + (100 + i) * img, 1, xs_exec_input(e1));
			xs_exec_run(e1, 1, NULL);
			assert_memory_equal(xs_exec_output(e1), xs_exec_output(e7) + i * 10,
					    10 * sizeof(float));
		}
		for (size_t i = 0; i < n * 10; i++)
			assert_float_equal(xs_exec_output(es)[i], xs_exec_output(e7)[i],
					   1e-4 * (1.0 + fabs(xs_exec_output(es)[i])));
		xs_exec_destroy(e7);
		xs_exec_destroy(e1);
		xs_exec_destroy(es);
		xs_model_destroy(m);
	}
}
/* The graph computed plainly in double, one image: the executor's oracle. */
static double ref_act(uint32_t act, double v)
{
	switch (act) {
	case XK_ACT_RELU: return v > 0 ? v : 0;
	case XK_ACT_RELU6: return v < 0 ? 0 : v > 6 ? 6 : v;
	case XK_ACT_HSWISH: return v * (v + 3 < 0 ? 0 : v + 3 > 6 ? 6 : v + 3) / 6;
	default: return v;
	}
}

static void reference(const struct xs_model *m, const float *input, double *logits)
{
	double *v[16] = {0};
	const struct xs_value *val = m->values;
	assert_true(m->nvalues <= 16);
	for (uint32_t i = 0; i < m->nvalues; i++)
		v[i] = calloc((size_t)val[i].h * val[i].w * val[i].c, sizeof(double));
	for (size_t i = 0; i < (size_t)val[0].h * val[0].w * val[0].c; i++)
		v[0][i] = input[i];
	for (uint32_t i = 0; i < m->nnodes; i++) {
		const struct xs_node *n = &m->nodes[i];
		const struct xs_value *a = &val[n->in[0]], *o = &val[n->out];
		const double *x = v[n->in[0]];
		double *y = v[n->out];
		const float *w = m->weights + n->w, *b = m->weights + n->b;
		const int pad = (int)(n->k - 1) / 2;
		for (uint32_t oy = 0; oy < o->h; oy++)
			for (uint32_t ox = 0; ox < o->w; ox++)
				for (uint32_t c = 0; c < o->c; c++) {
					double acc = 0;
					switch (n->op) {
					case XS_OP_RESIZE: {
						double sy = fmax(((double)oy + 0.5) * a->h / o->h - 0.5, 0);
						double sx = fmax(((double)ox + 0.5) * a->w / o->w - 0.5, 0);
						uint32_t y0 = (uint32_t)sy, x0 = (uint32_t)sx;
						uint32_t y1 = y0 + 1 < a->h ? y0 + 1 : y0, x1 = x0 + 1 < a->w ? x0 + 1 : x0;
						double fy = sy - y0, fxx = sx - x0;
#define AT(yy, xx) x[((size_t)(yy) * a->w + (xx)) * a->c + c]
						acc = (1 - fy) * ((1 - fxx) * AT(y0, x0) + fxx * AT(y0, x1)) +
						      fy * ((1 - fxx) * AT(y1, x0) + fxx * AT(y1, x1));
#undef AT
						break;
					}
					case XS_OP_CONV:
					case XS_OP_DW:
						acc = b[c];
						for (uint32_t ky = 0; ky < n->k; ky++)
							for (uint32_t kx = 0; kx < n->k; kx++) {
								int iy = (int)(oy * n->s + ky) - pad;
								int ix = (int)(ox * n->s + kx) - pad;
								if (iy < 0 || ix < 0 || iy >= (int)a->h || ix >= (int)a->w)
									continue;
								const double *px = x + ((size_t)iy * a->w + (size_t)ix) * a->c;
								if (n->op == XS_OP_DW)
									acc += px[c] * w[(c * n->k + ky) * n->k + kx];
								else
									for (uint32_t ci = 0; ci < a->c; ci++)
										acc += px[ci] * w[((c * a->c + ci) * n->k + ky) * n->k + kx];
							}
						break;
					case XS_OP_PW:
					case XS_OP_FC:
						acc = b[c];
						for (uint32_t ci = 0; ci < a->c; ci++)
							acc += x[((size_t)oy * a->w + ox) * a->c + ci] * w[c * a->c + ci];
						break;
					case XS_OP_ADD: {
						size_t at = ((size_t)oy * o->w + ox) * o->c + c;
						acc = x[at] + v[n->in[1]][at];
						break;
					}
					case XS_OP_GAVGPOOL:
						for (size_t p = 0; p < (size_t)a->h * a->w; p++)
							acc += x[p * a->c + c];
						acc /= (double)a->h * a->w;
						break;
					}
					y[((size_t)oy * o->w + ox) * o->c + c] = ref_act(n->act, acc);
				}
	}
	memcpy(logits, v[m->nvalues - 1], m->classes * sizeof(double));
	for (uint32_t i = 0; i < m->nvalues; i++)
		free(v[i]);
}

/* Every supported ISA runs the tiny model as the double reference does,
 * batch 1 and 5 alike. */
static void test_exec_tiny(void **state)
{
	(void)state;
	struct xs_model *m = tu_tiny_model();
	struct xs_error err;
	uint8_t pixels[5 * 36];
	for (size_t i = 0; i < sizeof(pixels); i++)
		pixels[i] = (uint8_t)(i * 37 % 256);
	float in[5 * 36];
	xs_model_input(m, pixels, 5, in);
	for (int isa = 0; isa < XK_ISA_COUNT; isa++) {
		if (!xk_isa_supported((enum xk_isa)isa))
			continue;
		struct xs_exec *e;
		assert_int_equal(xs_exec_create(m, (enum xk_isa)isa, 5, &e, &err), XS_OK);
		memcpy(xs_exec_input(e), in, sizeof(in));
		xs_exec_run(e, 5, tu_fx.tp);
		for (int i = 0; i < 5; i++) {
			double want[3];
			reference(m, in + i * 36, want);
			for (int k = 0; k < 3; k++)
				assert_float_equal(xs_exec_output(e)[i * 3 + k], want[k],
						   1e-5 * (1 + fabs(want[k])));
		}
		xs_exec_destroy(e);
	}
	xs_model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_tiny),
	};
	return TU_RUN("exec", tests, tu_fixture_setup, tu_fixture_teardown);
}
