/* test-xsn.c - the .xsn supernet file (xsn.c): loaded, and written.
 *
 * The loader is tested on a small supernet this program writes itself in the
 * format of scripts/export_xsn.py: it must load, and every cut, a flipped byte
 * anywhere, and table entries made hostile (with the checksum recomputed so
 * that the checks behind it are reached) must give an error, never a crash
 * (ASan runs this in make test). The writer writes the synthetic supernet
 * (synth.c), which must load again. */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test-util.h"

/* A small space and its tensors, written as export_xsn.py does. */
static const char tiny_space[] =
	"name=tiny\ninput=1x8x8\nmean=0.5\nstd=0.25\nresolutions=6,8\n"
	"stem=4,3,1,hswish\nstages=2\nstage1=6,2,relu\nstage2=6,1,hswish\n"
	"depths=1,2\nexpands=1,2\nkernels=3,5\nhead=8,hswish\nclasses=3\n"
	"bn_eps=1e-05\nkernel_transform=1\nrecal_images=4\nval_images=2\n";

struct blob {
	uint8_t *p;
	size_t n;
};

struct tdesc {
	char name[64];
	uint32_t ndim, dims[4];
};

static size_t add_t(struct tdesc *t, size_t n, const char *name, uint32_t ndim,
		    uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3)
{
	snprintf(t[n].name, sizeof(t[n].name), "%s", name);
	t[n].ndim = ndim;
	uint32_t d[4] = {d0, d1, d2, d3};
	for (int i = 0; i < 4; i++)
		t[n].dims[i] = i < (int)ndim ? d[i] : 0;
	return n + 1;
}

static size_t add_bn(struct tdesc *t, size_t n, const char *p, uint32_t c)
{
	const char *parts[] = {"weight", "bias", "running_mean", "running_var"};
	char name[64];
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%s.%s", p, parts[i]);
		n = add_t(t, n, name, 1, c, 0, 0, 0);
	}
	return n;
}

static struct blob tiny_xsn(void)
{
	static struct tdesc t[128];
	size_t n = 0;
	n = add_t(t, n, "stem.weight", 4, 4, 1, 3, 3);
	n = add_bn(t, n, "stem_bn", 4);
	uint32_t c = 4;
	for (uint32_t s = 0; s < 2; s++)
		for (uint32_t b = 0; b < 2; b++) {
			char p[48], name[64];
			uint32_t mid = c * 2, out = 6;
			snprintf(p, sizeof(p), "stages.%u.%u", s, b);
			snprintf(name, sizeof(name), "%s.pw1", p);
			n = add_t(t, n, name, 4, mid, c, 1, 1);
			snprintf(name, sizeof(name), "%s.bn1", p);
			n = add_bn(t, n, name, mid);
			snprintf(name, sizeof(name), "%s.dw", p);
			n = add_t(t, n, name, 4, mid, 1, 5, 5);
			snprintf(name, sizeof(name), "%s.t3", p);
			n = add_t(t, n, name, 2, 9, 9, 0, 0);
			snprintf(name, sizeof(name), "%s.bn2", p);
			n = add_bn(t, n, name, mid);
			snprintf(name, sizeof(name), "%s.pw2", p);
			n = add_t(t, n, name, 4, out, mid, 1, 1);
			snprintf(name, sizeof(name), "%s.bn3", p);
			n = add_bn(t, n, name, out);
			c = out;
		}
	n = add_t(t, n, "head.weight", 4, 8, 6, 1, 1);
	n = add_bn(t, n, "head_bn", 8);
	n = add_t(t, n, "fc.weight", 2, 3, 8, 0, 0);
	n = add_t(t, n, "fc.bias", 1, 3, 0, 0, 0);

	size_t slen = strlen(tiny_space);
	size_t toff = xk_round_up(64 + slen, 64), off = xk_round_up(toff + 96 * n, 64);
	size_t offs[128];
	for (size_t i = 0; i < n; i++) {
		size_t cnt = 1;
		for (uint32_t d = 0; d < t[i].ndim; d++)
			cnt *= t[i].dims[d];
		offs[i] = off;
		off = xk_round_up(off + cnt * 4, 64);
	}
	struct blob b = {calloc(1, off + 32), off + 32};
	assert_non_null(b.p);
	memcpy(b.p, "XFSUPNET", 8);
	xs_put32(b.p + 8, 1);
	xs_put32(b.p + 12, 64);
	xs_put64(b.p + 16, b.n);
	xs_put64(b.p + 24, 64);
	xs_put64(b.p + 32, slen);
	xs_put64(b.p + 40, toff);
	xs_put32(b.p + 48, (uint32_t)n);
	memcpy(b.p + 64, tiny_space, slen);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = b.p + toff + 96 * i;
		memcpy(e, t[i].name, strlen(t[i].name));
		xs_put32(e + 64, 1);
		xs_put32(e + 68, t[i].ndim);
		for (int d = 0; d < 4; d++)
			xs_put32(e + 72 + 4 * d, t[i].dims[d]);
		xs_put64(e + 88, offs[i]);
		float v = (float)i; /* tensor i is filled with i */
		size_t cnt = 1;
		for (uint32_t d = 0; d < t[i].ndim; d++)
			cnt *= t[i].dims[d];
		for (size_t j = 0; j < cnt; j++)
			memcpy(b.p + offs[i] + 4 * j, &v, 4);
	}
	tu_reseal(b.p, b.n);
	return b;
}

/* The tiny supernet loads; every cut, a flipped bit, hostile headers and
 * entries, a missing file and one that is not a supernet do not. */
static void test_xsn(void **state)
{
	(void)state;
	struct blob b = tiny_xsn();
	struct xs_supernet *sn = NULL;
	struct xs_error err = {{0}};
	if (xs_supernet_load_buffer(b.p, b.n, &sn, &err) != XS_OK)
		fail_msg("the tiny supernet does not load: %s", err.msg);
	assert_string_equal(sn->space.name, "tiny");
	const struct xs_tensor *t = xs_supernet_tensor(sn, "stages.1.1.dw");
	assert_non_null(t);
	assert_int_equal(t->count, 12 * 25);
	assert_int_equal((uintptr_t)t->data % 64, 0);
	const struct xs_tensor *fc = xs_supernet_tensor(sn, "fc.bias");
	assert_true(fc->data[2] == (float)(sn->ntensors - 1));
	assert_null(xs_supernet_tensor(sn, "nope"));
	uint8_t whole[32];
	xs_sha256(b.p, b.n, whole);
	assert_memory_equal(whole, sn->sha256, 32);
	xs_supernet_destroy(sn);
	xs_supernet_destroy(NULL);

	/* every cut */
	for (size_t n = 0; n < b.n; n++) {
		sn = NULL;
		assert_int_not_equal(xs_supernet_load_buffer(b.p, n, &sn, &err), XS_OK);
		assert_null(sn);
	}
	/* a flipped bit anywhere */
	for (size_t i = 0; i < b.n; i += 13) {
		b.p[i] ^= 0x10;
		assert_int_not_equal(xs_supernet_load_buffer(b.p, b.n, &sn, &err), XS_OK);
		b.p[i] ^= 0x10;
	}
	assert_int_equal(xs_supernet_load_buffer(b.p, b.n, &sn, &err), XS_OK);
	xs_supernet_destroy(sn);

	/* hostile headers and entries, sealed again so the checksum passes */
	const size_t toff = 64 * ((64 + strlen(tiny_space) + 63) / 64);
	struct {
		size_t at;
		int width;
		uint64_t value;
		enum xs_status want;
		const char *says;
	} cases[] = {
		{8, 4, 2, XS_EVERSION, "version 2"},
		{16, 8, 1 << 20, XS_EFORMAT, "cut or padded"},
		{32, 8, 1 << 30, XS_EFORMAT, "space section"},
		{24, 8, 8, XS_EFORMAT, "space section"},
		{40, 8, 1, XS_EFORMAT, "table"},
		{48, 4, 0xffffffffu, XS_EFORMAT, "table"},
		{48, 4, 3, XS_EFORMAT, "missing"},
		{toff + 64, 4, 2, XS_EFORMAT, "dtype"},
		{toff + 68, 4, 5, XS_EFORMAT, "dims"},
		{toff + 72, 4, 0, XS_EFORMAT, "bad dim"},
		{toff + 72, 4, 0xffffff, XS_EFORMAT, "outside the file"},
		{toff + 96 + 76, 4, 7, XS_EFORMAT, "past ndim"},
		{toff + 88, 8, 3, XS_EFORMAT, "outside the file"},
		{toff + 88, 8, UINT64_MAX - 63, XS_EFORMAT, "outside the file"},
		{toff + 96 + 88, 8, 0, XS_EFORMAT, "outside the file"},
		{toff, 1, 0, XS_EFORMAT, "no name"},
		{toff + 96, 8, 0x6965772e6d657473ull /* "stem.wei" */, XS_EFORMAT, "twice"},
		{toff + 72, 4, 5, XS_EFORMAT, "the space needs"},
		{64, 1, 'N', XS_EFORMAT, "space"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blob c = {malloc(b.n), b.n};
		memcpy(c.p, b.p, b.n);
		if (cases[i].width == 8)
			xs_put64(c.p + cases[i].at, cases[i].value);
		else if (cases[i].width == 4)
			xs_put32(c.p + cases[i].at, (uint32_t)cases[i].value);
		else
			c.p[cases[i].at] = (uint8_t)cases[i].value;
		if (cases[i].at == toff + 96) /* a second "stem.weight" */
			memcpy(c.p + toff + 96, "stem.weight", 12);
		tu_reseal(c.p, c.n);
		memset(&err, 0, sizeof(err));
		enum xs_status s = xs_supernet_load_buffer(c.p, c.n, &sn, &err);
		if (s != cases[i].want || strstr(err.msg, cases[i].says) == NULL)
			fail_msg("case %zu: status %d, message '%s' (wanted %d, '%s')", i, s,
				 err.msg, cases[i].want, cases[i].says);
		free(c.p);
	}
	/* a file that is not there, and one that is not a supernet */
	assert_int_equal(xs_supernet_load("/nonexistent/x.xsn", &sn, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/x.xsn"));
	char path[] = "/tmp/test-xsn-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char junk[] = "not a supernet, but long enough to have a header and a "
				   "trailer: 0123456789abcdef0123456789abcdef\n";
	assert_int_equal(write(fd, junk, sizeof(junk) - 1), sizeof(junk) - 1);
	close(fd);
	assert_int_equal(xs_supernet_load(path, &sn, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "magic"));
	unlink(path);
	free(b.p);
}

static bool count_desc(const struct xs_tensor_desc *d, void *p)
{
	(void)d;
	(*(size_t *)p)++;
	return true;
}

/* The synthetic supernet: written, loaded, every tensor there. */
static void test_xsn_write(void **state)
{
	(void)state;
	struct xs_error err;
	struct xs_space sp;
	char a[2048], b[2048];
	xs_space_synthetic(&sp);
	char path[] = "/tmp/test-synth-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	uint64_t seed = 5;
	if (xs_supernet_write(path, &sp, xs_synthetic_fill, &seed, &err) != XS_OK)
		fail_msg("%s", err.msg);
	struct xs_supernet *sn;
	if (xs_supernet_load(path, &sn, &err) != XS_OK)
		fail_msg("%s", err.msg);
	size_t want = 0;
	xs_space_tensors(&sp, count_desc, &want);
	assert_int_equal(sn->ntensors, want);
	xs_space_print(&sp, a, sizeof(a));
	xs_space_print(&sn->space, b, sizeof(b));
	assert_string_equal(a, b);
	const struct xs_tensor *w = xs_supernet_tensor(sn, "stages.4.3.pw2");
	assert_non_null(w);
	assert_int_equal(w->dims[1], 160 * 6);
	/* Kaiming-uniform: bounded by sqrt(6 / fan_in), not all equal */
	float lim = sqrtf(6.0f / 960.0f), lo = 1, hi = -1;
	for (size_t i = 0; i < w->count; i++) {
		assert_true(fabsf(w->data[i]) <= lim);
		lo = w->data[i] < lo ? w->data[i] : lo;
		hi = w->data[i] > hi ? w->data[i] : hi;
	}
	assert_true(hi - lo > lim);
	const struct xs_tensor *v = xs_supernet_tensor(sn, "head_bn.running_var");
	assert_true(v->data[0] == 1.0f);
	struct xs_arch big;
	xs_arch_largest(&sn->space, &big);
	assert_true(xs_arch_macs(&sn->space, &big) > 300000000); /* MobileNet-scale */
	xs_supernet_destroy(sn);
	unlink(path);
	/* an unwritable place */
	assert_int_equal(xs_supernet_write("/nonexistent/dir/x.xsn", &sp, xs_synthetic_fill,
					   &seed, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/x.xsn"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xsn),
		cmocka_unit_test(test_xsn_write),
	};
	return TU_RUN("xsn", tests, NULL, NULL);
}
