/* test-model.c - extraction, the .xnm file and the executor, against PyTorch.
 *
 * The golden test extracts every sub-net of models/fmnist-ofa.golden.json
 * (written by scripts/export_xsn.py from PyTorch) from the shipped supernet,
 * recalibrating BN on the first training images as PyTorch did, and checks
 * the logits of the first 16 test images (within 1e-3 of the row's largest
 * magnitude) and the top-1 on the 10,000 test images (within 0.1 points) on
 * this machine's kernels. Under qemu (slow) XS_TEST_TOP1_MAX_MACS limits the
 * top-1 check to the smaller sub-nets; the logits are checked for all.
 * XS_TEST_HOST_XNM=1 with XS_TEST_XNM_DIR runs the host's extracted files
 * instead of extracting again (for a full top-1 run under qemu).
 *
 * Data: plain IDX files in $XS_TEST_DATA (the Makefile decompresses Debian's
 * dataset-fashion-mnist there). XS_TEST_SHA_OUT names a file that gets the
 * sha256 of a few extracted sub-models, which make test compares between
 * x86_64, aarch64 and armv7: the same bytes everywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xk-ukernel.h"
#include "xs-internal.h"

#define SUPERNET "models/fmnist-ofa.xsn"
#define GOLDEN "models/fmnist-ofa.golden.json"

struct fixture {
	struct xs_supernet *sn;
	struct xs_idx *train, *test, *labels;
	struct xk_threadpool *tp;
};

static struct fixture fx;

static char *data_path(const char *name)
{
	const char *dir = getenv("XS_TEST_DATA");
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "build/data", name);
	return path;
}

static int setup(void **state)
{
	(void)state;
	struct xs_error err;
	struct xk_error xe;
	if (xs_supernet_load(SUPERNET, &fx.sn, &err) != XS_OK ||
	    xs_idx_load(data_path("train-images-idx3-ubyte"), 3, &fx.train, &err) != XS_OK ||
	    xs_idx_load(data_path("t10k-images-idx3-ubyte"), 3, &fx.test, &err) != XS_OK ||
	    xs_idx_load(data_path("t10k-labels-idx1-ubyte"), 1, &fx.labels, &err) != XS_OK) {
		fprintf(stderr, "test-model: %s (run from the source folder; make test "
				"decompresses the data set)\n", err.msg);
		return -1;
	}
	if (xk_threadpool_create(2, NULL, 0, false, &fx.tp, &xe) != XK_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	xs_supernet_destroy(fx.sn);
	xs_idx_destroy(fx.train);
	xs_idx_destroy(fx.test);
	xs_idx_destroy(fx.labels);
	xk_threadpool_destroy(fx.tp);
	return 0;
}

/* Extracts arch with recalibration (or, recal false, the stored BN
 * statistics: faster, for tests of the graph and executor only). */
static struct xs_model *extract_with(const char *arch, struct xk_threadpool *tp,
				     bool recal)
{
	struct xs_arch a;
	struct xs_error err;
	struct xs_model *m = NULL;
	if (strcmp(arch, "largest") == 0)
		xs_arch_largest(&fx.sn->space, &a);
	else if (strcmp(arch, "smallest") == 0)
		xs_arch_smallest(&fx.sn->space, &a);
	else
		assert_int_equal(xs_arch_parse(&fx.sn->space, arch, &a, &err), XS_OK);
	enum xs_status st = xs_model_extract(fx.sn, &a, recal ? fx.train : NULL, tp, &m, &err);
	if (st != XS_OK)
		fail_msg("extract %s: %s", arch, err.msg);
	return m;
}

static struct xs_model *extract(const char *arch, struct xk_threadpool *tp)
{
	return extract_with(arch, tp, true);
}

static uint8_t *bytes_of(const struct xs_model *m, size_t *size)
{
	uint8_t *buf;
	struct xs_error err;
	assert_int_equal(xs_model_serialize(m, &buf, size, &err), XS_OK);
	return buf;
}

/* ---- golden: PyTorch's logits and top-1 ---------------------------------------- */

struct golden {
	char arch[XS_ARCH_MAX];
	double top1;
	double logits[16][10];
};

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)size + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)size, f), (size_t)size);
	s[size] = '\0';
	fclose(f);
	*n = (size_t)size;
	return s;
}

/* The golden file is export_xsn.py's own JSON: each sub-net has "arch",
 * "test_top1" and "logits16" (16 rows of 10) in that order. */
static size_t read_golden(struct golden *g, size_t max)
{
	size_t n, count = 0;
	char *text = read_all(GOLDEN, &n);
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
		assert_int_equal(xs_arch_parse(&fx.sn->space, g[i].arch, &a, &err), XS_OK);
		const bool small = xs_arch_macs(&fx.sn->space, &a) <= max_macs;
		if (dir && xs_model_load(path, &theirs, NULL, &err) != XS_OK)
			theirs = NULL;
		/* XS_TEST_HOST_XNM: run the host's files (recalibrating under qemu
		 * takes minutes per sub-net; the bytes are compared elsewhere) */
		if (theirs && getenv("XS_TEST_HOST_XNM")) {
			m = theirs;
		} else if (small || theirs == NULL) {
			m = extract(g[i].arch, fx.tp);
			if (theirs) {  /* the same bytes as the host's */
				size_t n1, n2;
				uint8_t *b1 = bytes_of(m, &n1), *b2 = bytes_of(theirs, &n2);
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
		const size_t count = top1 ? fx.test->count : 16;
		float *logits = malloc(count * 10 * sizeof(float));
		size_t correct;
		assert_int_equal(xs_exec_eval(e, m, fx.test, fx.labels, count, fx.tp, &correct,
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
			struct xs_quant_options qo;
			struct xs_model *q;
			xs_quant_options_default(&qo);
			assert_int_equal(xs_model_quantize(m, fx.train, &qo,
							   fx.sn->space.recal_images, fx.tp, &q,
							   &err), XS_OK);
			assert_int_equal(q->precision, XS_PRECISION_INT8);
			assert_int_equal(xs_exec_create(q, XK_ISA_DEFAULT, 100, &e, &err), XS_OK);
			assert_int_equal(xs_exec_eval(e, q, fx.test, fx.labels, count, fx.tp,
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

/* ---- determinism ------------------------------------------------------------- */

static void test_deterministic(void **state)
{
	(void)state;
	static const char *const archs[] = {
		"smallest", "largest",
		"r24-d2.3.1.3-s1:e4k3,e4k7-s2:e4k3,e4k7,e4k3-s3:e2k3-s4:e2k7,e4k3,e2k3"};
	const char *out = getenv("XS_TEST_SHA_OUT");
	/* under qemu the largest takes minutes: XS_TEST_QUICK leaves it out */
	const bool quick = getenv("XS_TEST_QUICK") != NULL;
	FILE *f = out ? fopen(out, "w") : NULL;
	assert_true(out == NULL || f != NULL);
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		if (quick && strcmp(archs[i], "largest") == 0)
			continue;
		/* one thread and two give the same bytes */
		struct xs_model *m1 = extract(archs[i], fx.tp), *m2 = NULL;
		size_t n1, n2, n3;
		uint8_t *b1 = bytes_of(m1, &n1), *b2 = NULL;
		if (!quick || i == 0) {
			m2 = extract(archs[i], NULL);
			b2 = bytes_of(m2, &n2);
			assert_int_equal(n1, n2);
			assert_memory_equal(b1, b2, n1);
		}
		/* load(write(m)) writes the same bytes; the identity is sha256(file) */
		struct xs_model *m3;
		struct xs_error err;
		uint8_t sum[32], sum2[32];
		char hex[65];
		assert_int_equal(xs_model_load_buffer(b1, n1, &m3, sum, &err), XS_OK);
		uint8_t *b3 = bytes_of(m3, &n3);
		assert_int_equal(n1, n3);
		assert_memory_equal(b1, b3, n1);
		xs_sha256(b1, n1, sum2);
		assert_memory_equal(sum, sum2, 32);
		assert_int_equal(xs_model_sha256(m3, sum2, &err), XS_OK);
		assert_memory_equal(sum, sum2, 32);
		assert_int_equal(xs_model_macs(m3), xs_model_macs(m1));
		xs_sha256_hex(sum, hex);
		if (f && strcmp(archs[i], "largest") != 0)  /* what every run has */
			fprintf(f, "%s %s\n", hex, m1->arch);
		printf("   %s %s\n", hex, m1->arch);
		if (i == 0) { /* int8: the same bytes on every machine too */
			struct xs_quant_options qo;
			struct xs_model *q;
			xs_quant_options_default(&qo);
			assert_int_equal(xs_model_quantize(m1, fx.train, &qo,
							   fx.sn->space.recal_images, fx.tp, &q,
							   &err), XS_OK);
			assert_int_equal(xs_model_sha256(q, sum2, &err), XS_OK);
			xs_sha256_hex(sum2, hex);
			if (f)
				fprintf(f, "%s %s int8\n", hex, m1->arch);
			printf("   %s %s int8\n", hex, m1->arch);
			xs_model_destroy(q);
		}
		free(b1);
		free(b2);
		free(b3);
		xs_model_destroy(m1);
		xs_model_destroy(m2);
		xs_model_destroy(m3);
	}
	if (f)
		assert_int_equal(fclose(f), 0);
}

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
		xs_arch_random(&fx.sn->space, &rng, &a);
		char text[XS_ARCH_MAX];
		xs_arch_print(&fx.sn->space, &a, text, sizeof(text));
		struct xs_model *m = extract_with(text, fx.tp, false);
		assert_int_equal(xs_model_macs(m), xs_arch_macs(&fx.sn->space, &a));
		assert_int_equal(m->nweights, xs_arch_params(&fx.sn->space, &a));
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
		xs_model_input(m, fx.test->data + 100 * img, n, xs_exec_input(e7));
		xs_model_input(m, fx.test->data + 100 * img, n, xs_exec_input(es));
		xs_exec_run(e7, n, fx.tp);
		xs_exec_run(es, n, NULL);
		for (size_t i = 0; i < n; i++) {
			xs_model_input(m, fx.test->data + (100 + i) * img, 1, xs_exec_input(e1));
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

/* ---- a tiny hand-made model: every operator, a few hundred weights ------------ */

/* 6x6x1 -> resize 5x5 -> conv 3x3 s2 (4, h-swish) -> pw 8 (relu) -> dw 3x3 (8,
 * relu6) -> pw 4 -> add (the conv's output) -> gavgpool -> fc 3. */
static struct xs_model *tiny_model(void)
{
	static const struct xs_value values[] = {
		{6, 6, 1, 0, 0, 0}, {5, 5, 1, 0, 0, 0}, {3, 3, 4, 0, 0, 0}, {3, 3, 8, 0, 0, 0}, {3, 3, 8, 0, 0, 0},
		{3, 3, 4, 0, 0, 0}, {3, 3, 4, 0, 0, 0}, {1, 1, 4, 0, 0, 0}, {1, 1, 3, 0, 0, 0}};
	static const struct xs_node nodes[] = {
		{XS_OP_RESIZE, {0, 0}, 1, XK_ACT_NONE, 0, 0, 0, 0},
		{XS_OP_CONV, {1, 0}, 2, XK_ACT_HSWISH, 3, 2, 0, 36},
		{XS_OP_PW, {2, 0}, 3, XK_ACT_RELU, 0, 0, 40, 72},
		{XS_OP_DW, {3, 0}, 4, XK_ACT_RELU6, 3, 1, 80, 152},
		{XS_OP_PW, {4, 0}, 5, XK_ACT_NONE, 0, 0, 160, 192},
		{XS_OP_ADD, {2, 5}, 6, XK_ACT_NONE, 0, 0, 0, 0},
		{XS_OP_GAVGPOOL, {6, 0}, 7, XK_ACT_NONE, 0, 0, 0, 0},
		{XS_OP_FC, {7, 0}, 8, XK_ACT_NONE, 0, 0, 196, 208}};
	struct xs_model *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	snprintf(m->arch, sizeof(m->arch), "tiny");
	m->mean = 0.25f;
	m->std = 0.5f;
	m->classes = 3;
	m->nvalues = 9;
	m->nnodes = 8;
	m->values = malloc(sizeof(values));
	m->nodes = malloc(sizeof(nodes));
	m->nweights = 211;
	m->weights = xk_alloc(m->nweights * sizeof(float));
	assert_true(m->values && m->nodes && m->weights);
	memcpy(m->values, values, sizeof(values));
	memcpy(m->nodes, nodes, sizeof(nodes));
	uint32_t x = 12345;
	for (size_t i = 0; i < m->nweights; i++) {
		x = x * 1103515245u + 12345u;
		m->weights[i] = (float)((int)(x >> 16 & 0xFF) - 128) / 128.0f;
	}
	return m;
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
	struct xs_model *m = tiny_model();
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
		xs_exec_run(e, 5, fx.tp);
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

/* ---- int8 ------------------------------------------------------------------------ */

static void reseal(uint8_t *b, size_t n);
static enum xs_status load(const uint8_t *b, size_t n);

/* n images of the tiny model's 6x6 input as an IDX file in memory. */
static struct xs_idx *tiny_images(size_t n, uint32_t seed)
{
	size_t size = 16 + n * 36;
	uint8_t *b = malloc(size);
	assert_non_null(b);
	static const uint8_t magic[4] = {0, 0, 8, 3};
	memcpy(b, magic, 4);
	for (int i = 0; i < 3; i++) {
		uint32_t v = i == 0 ? (uint32_t)n : 6;
		b[4 + 4 * i] = (uint8_t)(v >> 24);
		b[5 + 4 * i] = (uint8_t)(v >> 16);
		b[6 + 4 * i] = (uint8_t)(v >> 8);
		b[7 + 4 * i] = (uint8_t)v;
	}
	for (size_t i = 0; i < n * 36; i++) {
		seed = seed * 1103515245u + 12345u;
		b[16 + i] = (uint8_t)(seed >> 16);
	}
	struct xs_idx *idx;
	struct xs_error err;
	assert_int_equal(xs_idx_load_buffer(b, size, 3, &idx, &err), XS_OK);
	free(b);
	return idx;
}

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
	struct xs_model *m = tiny_model();
	struct xs_idx *calib = tiny_images(64, 7), *imgs = tiny_images(32, 99);
	struct xs_error err;
	size_t n0;
	uint8_t *b0 = bytes_of(m, &n0);
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
		assert_int_equal(xs_model_quantize(m, calib, &o, 64, fx.tp, &q, &err), XS_OK);
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
		/* deterministic, and load(write(q)) writes the same bytes */
		assert_int_equal(xs_model_quantize(m, calib, &o, 64, NULL, &q2, &err), XS_OK);
		size_t n1, n2, n3;
		uint8_t *b1 = bytes_of(q, &n1), *b2 = bytes_of(q2, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
		assert_int_equal(xs_le32(b1 + 8), all_float ? 1 : 2);
		struct xs_model *q3;
		assert_int_equal(xs_model_load_buffer(b1, n1, &q3, NULL, &err), XS_OK);
		uint8_t *b3 = bytes_of(q3, &n3);
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
				float *l = run_logits(q3, imgs, 32, (enum xk_isa)isa, t ? fx.tp : NULL);
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
	/* bad options and inputs */
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
	/* hostile int8 fields behind a valid checksum */
	size_t n;
	uint8_t *good = bytes_of(q, &n), *b = malloc(n);
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
	reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "-127..127"));
	/* the logits as int8 */
	memcpy(b, good, n);
	xs_put32(b + values + 24 * (nvalues - 1) + 12, XS_DTYPE_QS8);
	xs_put32(b + values + 24 * (nvalues - 1) + 16, 0x3f800000);
	reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "are f32"));
	/* a zero scale, a zero point out of range, an unknown type */
	static const uint32_t field[] = {16, 20, 12};
	static const uint32_t value[] = {0, 200, 7};
	for (int k = 0; k < 3; k++) {
		memcpy(b, good, n);
		xs_put32(b + values + 24 * 3 + field[k], value[k]);
		reseal(b, n);
		assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
		assert_non_null(strstr(err.msg, "not valid"));
	}
	/* an f32 value read by an int8 node: value 3 made f32 */
	memcpy(b, good, n);
	xs_put32(b + values + 24 * 3 + 12, 0);
	xs_put32(b + values + 24 * 3 + 16, 0);
	xs_put32(b + values + 24 * 3 + 20, 0);
	reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "types"));
	/* int8 biases at an odd offset */
	memcpy(b, good, n);
	for (uint32_t i = 0; i < q->nnodes; i++)
		if (q->nodes[i].op == XS_OP_PW) {
			xs_put64(b + nodes + 48 * i + 40, q->nodes[i].b + 1);
			break;
		}
	reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "int8 weights outside"));
	/* a cut int8 section */
	for (size_t k = qsec; k < n; k += 7)
		assert_int_not_equal(load(good, k), XS_OK);
	const char *corpus = getenv("XS_TEST_WRITE_TINY_INT8");
	if (corpus) /* the fuzz corpus's seed: tests/fuzz/corpus-xnm/tiny-int8.xnm */
		assert_int_equal(xs_model_write(q, corpus, &err), XS_OK);
	free(good), free(b), free(b0), free(ref);
	xs_model_destroy(q);
	xs_model_destroy(m);
	xs_idx_destroy(calib);
	xs_idx_destroy(imgs);
}

/* ---- bad input ---------------------------------------------------------------- */

static void reseal(uint8_t *b, size_t n)
{
	xs_sha256(b, n - 32, b + n - 32);
}

/* Loads (b, n) and expects status want (or any error when want is XS_OK
 * meaning "not ok"); never a crash (ASan watches). */
static enum xs_status load(const uint8_t *b, size_t n)
{
	struct xs_model *m = NULL;
	struct xs_error err = {{0}};
	enum xs_status st = xs_model_load_buffer(b, n, &m, NULL, &err);
	if (st == XS_OK)
		xs_model_destroy(m);
	else
		assert_true(err.msg[0] != '\0');
	return st;
}

static void test_xnm_bad(void **state)
{
	(void)state;
	struct xs_model *m = tiny_model();
	size_t n;
	uint8_t *good = bytes_of(m, &n);
	const char *corpus = getenv("XS_TEST_WRITE_TINY");
	if (corpus) {  /* the fuzz corpus's seed: tests/fuzz/corpus-xnm/tiny.xnm */
		struct xs_error err;
		assert_int_equal(xs_model_write(m, corpus, &err), XS_OK);
	}
	uint8_t *b = malloc(n);
	assert_int_equal(load(good, n), XS_OK);
	/* every cut */
	for (size_t k = 0; k < n; k++)
		assert_int_not_equal(load(good, k), XS_OK);
	/* a flipped bit anywhere: the checksum (magic and version are read
	 * first) */
	for (size_t k = 0; k < n; k++) {
		memcpy(b, good, n);
		b[k] ^= 0x10;
		enum xs_status st = load(b, n);
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
			reseal(b, n);
			tried++;
			errors += load(b, n) != XS_OK;
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
	reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "before it is written"));
	memcpy(b, good, n);
	xs_put64(b + node1 + 32, xs_le64(good + 40));  /* weights past the end */
	reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "outside the file"));
	memcpy(b, good, n);
	xs_put32(b + node1 + 20, 9);  /* a 9x9 stem */
	reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "kernel 9"));
	memcpy(b, good, n);
	xs_put32(b + 8, XS_XNM_VERSION + 1);  /* a future version */
	reseal(b, n);
	assert_int_equal(xs_model_load_buffer(b, n, &h, NULL, &err), XS_EVERSION);
	/* a file that is not one */
	assert_int_equal(xs_model_load("/nonexistent.xnm", &h, NULL, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent.xnm"));
	free(b);
	free(good);
	xs_model_destroy(m);
}

static void test_extract_bad(void **state)
{
	(void)state;
	struct xs_error err;
	struct xs_model *m;
	struct xs_arch a;
	xs_arch_smallest(&fx.sn->space, &a);
	/* too few images, wrong size */
	struct xs_idx few = *fx.train;
	few.count = 100;
	assert_int_equal(xs_model_extract(fx.sn, &a, &few, NULL, &m, &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "512 images"));
	struct xs_idx small = *fx.train;
	small.rows = small.cols = 14;
	assert_int_equal(xs_model_extract(fx.sn, &a, &small, NULL, &m, &err), XS_EINVAL);
	/* an arch outside the space */
	a.e[0][0] = 5;
	assert_int_equal(xs_model_extract(fx.sn, &a, fx.train, NULL, &m, &err), XS_EARCH);
	/* an eval with mismatched labels */
	xs_arch_smallest(&fx.sn->space, &a);
	assert_int_equal(xs_model_extract(fx.sn, &a, NULL, NULL, &m, &err), XS_OK);
	struct xs_exec *e;
	assert_int_equal(xs_exec_create(m, XK_ISA_DEFAULT, 4, &e, &err), XS_OK);
	size_t correct;
	struct xs_idx labels = *fx.labels;
	labels.count = 10;
	assert_int_equal(xs_exec_eval(e, m, fx.test, &labels, 10, NULL, &correct, NULL, &err),
			 XS_EINVAL);
	xs_exec_destroy(e);
	xs_model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_tiny),
		cmocka_unit_test(test_quantize),
		cmocka_unit_test(test_xnm_bad),
		cmocka_unit_test(test_extract_bad),
		cmocka_unit_test(test_golden),
	};
	if (getenv("XS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("XS_TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
