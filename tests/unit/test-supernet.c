/* test-supernet.c - SHA-256, the space text, arch strings and the .xsn loader.
 *
 * The loader is tested on a small supernet this program writes itself in the
 * format of scripts/export_xsn.py: it must load, and every cut, a flipped byte
 * anywhere, and table entries made hostile (with the checksum recomputed so
 * that the checks behind it are reached) must give an error, never a crash
 * (ASan runs this in make test). */
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

#include "xk-ukernel.h"
#include "xs-internal.h"

/* ---- SHA-256 ---------------------------------------------------------------- */

static void hex_of(const void *data, size_t n, char hex[65])
{
	uint8_t sum[32];
	xs_sha256(data, n, sum);
	xs_sha256_hex(sum, hex);
}

static void test_sha256(void **state)
{
	(void)state;
	char hex[65];
	/* FIPS 180-4 examples */
	hex_of("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	hex_of(two, strlen(two), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	hex_of(million, 1000000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* incremental in odd pieces gives the same */
	struct xs_sha256 s;
	uint8_t sum[32];
	xs_sha256_init(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 7 % 1001 + 1)
		xs_sha256_update(&s, million + off, off + step > 1000000 ? 1000000 - off : step);
	xs_sha256_final(&s, sum);
	xs_sha256_hex(sum, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

/* ---- space ---------------------------------------------------------------- */

static const char fmnist_space[] =
	"name=fmnist-ofa\ninput=1x28x28\nmean=0.286\nstd=0.353\n"
	"resolutions=20,24,28\nstem=16,3,1,hswish\nstages=4\n"
	"stage1=24,2,relu\nstage2=40,2,relu\nstage3=64,2,hswish\nstage4=96,1,hswish\n"
	"depths=1,2,3\nexpands=2,3,4\nkernels=3,5,7\nhead=192,hswish\nclasses=10\n"
	"bn_eps=1e-05\nkernel_transform=1\nrecal_images=512\nval_images=5000\n";

static void test_space(void **state)
{
	(void)state;
	struct xs_space sp;
	struct xs_error err;
	assert_int_equal(xs_space_parse(fmnist_space, strlen(fmnist_space), &sp, &err), XS_OK);
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
	size_t n = strlen(fmnist_space);
	for (const char *line = fmnist_space; *line;) {
		const char *nl = strchr(line, '\n');
		char text[sizeof(fmnist_space)];
		size_t at = (size_t)(line - fmnist_space), len = (size_t)(nl - line) + 1;
		memcpy(text, fmnist_space, at);
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
		const char *line = strstr(fmnist_space, needle);
		line = line ? line + 1 : fmnist_space; /* the first line has no \n before */
		const char *nl = strchr(line, '\n');
		size_t pre = (size_t)(line - fmnist_space);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)pre, fmnist_space, bad[i], nl + 1);
		enum xs_status s = xs_space_parse(text, strlen(text), &sp, &err);
		assert_int_equal(s, XS_EFORMAT);
		key[klen - 1] = '\0';
		if (strstr(err.msg, key) == NULL && strstr(err.msg, "stage") == NULL)
			fail_msg("'%s': message does not name the key: %s", bad[i], err.msg);
	}
	/* no newline at the end, NUL bytes, duplicates */
	assert_int_equal(xs_space_parse(fmnist_space, n - 1, &sp, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "newline"));
	char dup[2048];
	snprintf(dup, sizeof(dup), "%sclasses=10\n", fmnist_space);
	assert_int_equal(xs_space_parse(dup, strlen(dup), &sp, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "twice"));
	/* unknown keys are ignored */
	snprintf(dup, sizeof(dup), "%sfuture_key=whatever\n", fmnist_space);
	assert_int_equal(xs_space_parse(dup, strlen(dup), &sp, &err), XS_OK);
}

/* ---- arch strings ------------------------------------------------------------ */

static struct xs_space fmnist(void)
{
	struct xs_space sp;
	struct xs_error err;
	assert_int_equal(xs_space_parse(fmnist_space, strlen(fmnist_space), &sp, &err), XS_OK);
	return sp;
}

static void test_arch(void **state)
{
	(void)state;
	struct xs_space sp = fmnist();
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

/* ---- .xsn ----------------------------------------------------------------- */

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

static void reseal(struct blob *b)
{
	xs_sha256(b->p, b->n - 32, b->p + b->n - 32);
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
	reseal(&b);
	return b;
}

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
		reseal(&c);
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
	char path[] = "/tmp/test-supernet-XXXXXX";
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

/* ---- IDX ------------------------------------------------------------------ */

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

/* ---- arena plan ------------------------------------------------------------ */

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

/* ---- writing, and the synthetic supernet ------------------------------------ */

static bool count_desc(const struct xs_tensor_desc *d, void *p)
{
	(void)d;
	(*(size_t *)p)++;
	return true;
}

static void test_write(void **state)
{
	(void)state;
	struct xs_error err;
	/* the space text round-trips: print, parse, print */
	struct xs_space sp = fmnist(), back;
	char a[2048], b[2048];
	size_t n = xs_space_print(&sp, a, sizeof(a));
	assert_int_equal(n, strlen(a));
	assert_int_equal(xs_space_parse(a, n, &back, &err), XS_OK);
	xs_space_print(&back, b, sizeof(b));
	assert_string_equal(a, b);
	assert_int_equal(xs_space_print(&sp, a, 10), n); /* too small: the length */
	assert_int_equal(strlen(a), 9);

	/* the synthetic supernet: written, loaded, every tensor there */
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
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_arch),
		cmocka_unit_test(test_xsn),
		cmocka_unit_test(test_idx),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_write),
	};
	return cmocka_run_group_tests_name("supernet", tests, NULL, NULL);
}
