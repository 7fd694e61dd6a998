/* test-util.c - what the unit tests share (test-util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

struct tu_fixture tu_fx;

int tu_pool_setup(void **state)
{
	(void)state;
	struct xk_error xe;
	if (xk_threadpool_create(2, NULL, 0, false, &tu_fx.tp, &xe) != XK_OK) {
		fprintf(stderr, "cannot start the thread pool: %s\n", xe.msg);
		return -1;
	}
	return 0;
}

int tu_fixture_setup(void **state)
{
	struct xs_error err;
	if (xs_supernet_load(TU_SUPERNET, &tu_fx.sn, &err) != XS_OK ||
	    xs_idx_load(tu_data_path("train-images-idx3-ubyte"), 3, &tu_fx.train, &err) != XS_OK ||
	    xs_idx_load(tu_data_path("t10k-images-idx3-ubyte"), 3, &tu_fx.test, &err) != XS_OK ||
	    xs_idx_load(tu_data_path("t10k-labels-idx1-ubyte"), 1, &tu_fx.labels, &err) != XS_OK) {
		fprintf(stderr, "%s (run from the source folder; make test "
				"decompresses the data set)\n", err.msg);
		return -1;
	}
	return tu_pool_setup(state);
}

int tu_fixture_teardown(void **state)
{
	(void)state;
	xs_supernet_destroy(tu_fx.sn);
	xs_idx_destroy(tu_fx.train);
	xs_idx_destroy(tu_fx.test);
	xs_idx_destroy(tu_fx.labels);
	xk_threadpool_destroy(tu_fx.tp);
	memset(&tu_fx, 0, sizeof(tu_fx));
	return 0;
}

const char *tu_data_path(const char *name)
{
	const char *dir = getenv("XS_TEST_DATA");
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "build/data", name);
	return path;
}

char *tu_file_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open '%s'", path);
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

void tu_reseal(uint8_t *b, size_t n)
{
	xs_sha256(b, n - 32, b + n - 32);
}

uint8_t *tu_model_bytes(const struct xs_model *m, size_t *size)
{
	uint8_t *buf;
	struct xs_error err;
	assert_int_equal(xs_model_serialize(m, &buf, size, &err), XS_OK);
	return buf;
}

enum xs_status tu_model_load(const uint8_t *b, size_t n)
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

struct xs_model *tu_extract(const char *arch, struct xk_threadpool *tp, bool recal)
{
	struct xs_arch a;
	struct xs_error err;
	struct xs_model *m = NULL;
	if (strcmp(arch, "largest") == 0)
		xs_arch_largest(&tu_fx.sn->space, &a);
	else if (strcmp(arch, "smallest") == 0)
		xs_arch_smallest(&tu_fx.sn->space, &a);
	else
		assert_int_equal(xs_arch_parse(&tu_fx.sn->space, arch, &a, &err), XS_OK);
	enum xs_status st = xs_model_extract(tu_fx.sn, &a, recal ? tu_fx.train : NULL, tp,
					     &m, &err);
	if (st != XS_OK)
		fail_msg("extract %s: %s", arch, err.msg);
	return m;
}

struct xs_model *tu_quantize(const struct xs_model *m)
{
	struct xs_quant_options qo;
	struct xs_model *q;
	struct xs_error err;
	xs_quant_options_default(&qo);
	if (xs_model_quantize(m, tu_fx.train, &qo, tu_fx.sn->space.recal_images, tu_fx.tp, &q,
			      &err) != XS_OK)
		fail_msg("quantize %s: %s", m->arch, err.msg);
	return q;
}

struct xs_model *tu_tiny_model(void)
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

struct xs_idx *tu_tiny_images(size_t n, uint32_t seed)
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

const char *const tu_fmnist_space =
	"name=fmnist-ofa\ninput=1x28x28\nmean=0.286\nstd=0.353\n"
	"resolutions=20,24,28\nstem=16,3,1,hswish\nstages=4\n"
	"stage1=24,2,relu\nstage2=40,2,relu\nstage3=64,2,hswish\nstage4=96,1,hswish\n"
	"depths=1,2,3\nexpands=2,3,4\nkernels=3,5,7\nhead=192,hswish\nclasses=10\n"
	"bn_eps=1e-05\nkernel_transform=1\nrecal_images=512\nval_images=5000\n";

struct xs_space tu_fmnist(void)
{
	struct xs_space sp;
	struct xs_error err;
	assert_int_equal(xs_space_parse(tu_fmnist_space, strlen(tu_fmnist_space), &sp, &err),
			 XS_OK);
	return sp;
}

int tu_run(const char *name, const struct CMUnitTest *tests, size_t n,
	   CMFixtureFunction setup, CMFixtureFunction teardown)
{
	if (getenv("XS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("XS_TEST_FILTER"));
	return _cmocka_run_group_tests(name, tests, n, setup, teardown);
}
