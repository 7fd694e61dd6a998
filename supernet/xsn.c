/* xsn.c - loads an .xsn supernet file (format: scripts/export_xsn.py).
 *
 * Every size and offset is checked, against the file and against overflow,
 * before it is used; then the SHA-256 trailer; then the space; then that each
 * tensor the space needs is there with its shape. The whole file is kept in
 * one 64-byte aligned buffer; tensors point into it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs-internal.h"

#define fail(err, status, ...)                                                 \
	do {                                                                   \
		XK_SETERR(err, __VA_ARGS__);                                   \
		status_ = (status);                                            \
		goto out_free;                                                 \
	} while (0)

#define HEADER 64
#define ENTRY 96
#define TRAILER 32
#define MAX_FILE ((uint64_t)1 << 32)
#define MAX_TENSORS 65536

const struct xs_tensor *xs_supernet_tensor(const struct xs_supernet *sn,
					   const char *name)
{
	for (size_t i = 0; i < sn->ntensors; i++)
		if (strcmp(sn->tensors[i].name, name) == 0)
			return &sn->tensors[i];
	return NULL;
}

struct check_ctx {
	const struct xs_supernet *sn;
	struct xs_error *err;
	enum xs_status status;
};

/* The tensor must exist with exactly the shape the space gives it. */
static bool check_one(const struct xs_tensor_desc *d, void *p)
{
	struct check_ctx *c = p;
	const struct xs_tensor *t = xs_supernet_tensor(c->sn, d->name);
	bool ok = t != NULL && t->ndim == d->ndim;
	for (uint32_t i = 0; ok && i < d->ndim; i++)
		ok = t->dims[i] == d->dims[i];
	if (ok)
		return true;
	c->status = XS_EFORMAT;
	if (t == NULL)
		XK_SETERR(c->err, "supernet: tensor '%s' is missing", d->name);
	else
		XK_SETERR(c->err, "supernet: tensor '%s' is %ux%ux%ux%u (%u dims), the space "
				  "needs %ux%ux%ux%u (%u dims)",
			  d->name, t->dims[0], t->dims[1], t->dims[2], t->dims[3], t->ndim,
			  d->dims[0], d->dims[1], d->dims[2], d->dims[3], d->ndim);
	return false;
}

static enum xs_status check_tensors(const struct xs_supernet *sn,
				    struct xs_error *err)
{
	struct check_ctx c = {sn, err, XS_OK};
	xs_space_tensors(&sn->space, check_one, &c);
	return c.status;
}

/* Takes ownership of buf (64-byte aligned, size bytes). */
static enum xs_status parse(uint8_t *buf, size_t size, struct xs_supernet **out,
			    struct xs_error *err)
{
	enum xs_status status_ = XS_OK;
	struct xs_supernet *sn = calloc(1, sizeof(*sn));
	if (sn == NULL) {
		xk_free(buf);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "supernet: out of memory");
		return XS_ENOMEM;
	}
	sn->buf = buf;
	sn->size = size;
	if (size < HEADER + TRAILER)
		fail(err, XS_EFORMAT, "supernet: %zu bytes is too short for a .xsn file",
		     size);
	if (memcmp(buf, "XFSUPNET", 8) != 0)
		fail(err, XS_EFORMAT, "supernet: not a .xsn file (bad magic)");
	uint32_t version = xs_le32(buf + 8), hsize = xs_le32(buf + 12);
	if (version != XS_XSN_VERSION)
		fail(err, XS_EVERSION,
		     "supernet: format version %u, this program reads %d: use a "
		     "matching xnn-fleet or re-export the supernet",
		     version, XS_XSN_VERSION);
	uint64_t fsize = xs_le64(buf + 16), soff = xs_le64(buf + 24), slen = xs_le64(buf + 32);
	uint64_t toff = xs_le64(buf + 40);
	uint32_t count = xs_le32(buf + 48);
	if (hsize != HEADER || fsize != size)
		fail(err, XS_EFORMAT,
		     "supernet: the header says %llu bytes but the file has %zu: it "
		     "is cut or padded; copy it again",
		     (unsigned long long)fsize, size);
	/* One pass: the body's sum is the trailer; the whole file's sum is
	 * the supernet's identity. */
	struct xs_sha256 h, whole;
	uint8_t sum[32];
	xs_sha256_init(&h);
	xs_sha256_update(&h, buf, size - TRAILER);
	whole = h;
	xs_sha256_final(&h, sum);
	if (memcmp(sum, buf + size - TRAILER, 32) != 0)
		fail(err, XS_ECHECKSUM,
		     "supernet: checksum mismatch: the file is corrupted; copy it again");
	xs_sha256_update(&whole, buf + size - TRAILER, TRAILER);
	xs_sha256_final(&whole, sn->sha256);
	const uint64_t body = size - TRAILER;
	if (soff < HEADER || soff > body || slen > body - soff)
		fail(err, XS_EFORMAT, "supernet: the space section is outside the file");
	if (count == 0 || count > MAX_TENSORS || toff % 64 || toff < soff + slen ||
	    toff > body || (uint64_t)count * ENTRY > body - toff)
		fail(err, XS_EFORMAT, "supernet: the tensor table (%u entries) is outside "
		     "the file", count);
	enum xs_status st = xs_space_parse((const char *)buf + soff, slen, &sn->space, err);
	if (st != XS_OK) {
		status_ = st; /* err says why */
		goto out_free;
	}
	sn->tensors = calloc(count, sizeof(*sn->tensors));
	if (sn->tensors == NULL)
		fail(err, XS_ENOMEM, "supernet: out of memory");
	const uint64_t data_start = toff + (uint64_t)count * ENTRY;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *e = buf + toff + (uint64_t)i * ENTRY;
		struct xs_tensor *t = &sn->tensors[i];
		if (memchr(e, '\0', 64) == NULL || e[0] == '\0')
			fail(err, XS_EFORMAT, "supernet: tensor %u has no name", i);
		t->name = (const char *)e;
		uint32_t dtype = xs_le32(e + 64);
		t->ndim = xs_le32(e + 68);
		uint64_t n = 1;
		for (int d = 0; d < 4; d++)
			t->dims[d] = xs_le32(e + 72 + 4 * d);
		if (dtype != 1 || t->ndim < 1 || t->ndim > 4)
			fail(err, XS_EFORMAT, "supernet: tensor '%s': dtype %u with %u dims "
			     "is not supported", t->name, dtype, t->ndim);
		for (uint32_t d = 0; d < 4; d++) {
			if (d < t->ndim) {
				if (t->dims[d] == 0 || t->dims[d] > (1u << 24))
					fail(err, XS_EFORMAT, "supernet: tensor '%s': bad dim %u",
					     t->name, t->dims[d]);
				n *= t->dims[d]; /* < 2^96 impossible: checked below */
				if (n > MAX_FILE / 4)
					fail(err, XS_EFORMAT, "supernet: tensor '%s' is larger "
					     "than the file", t->name);
			} else if (t->dims[d] != 0) {
				fail(err, XS_EFORMAT, "supernet: tensor '%s': dims past ndim "
				     "must be 0", t->name);
			}
		}
		uint64_t off = xs_le64(e + 88);
		if (off % 64 || off < data_start || off > body || n * 4 > body - off)
			fail(err, XS_EFORMAT, "supernet: tensor '%s' lies outside the file",
			     t->name);
		t->count = (size_t)n;
		t->data = (const float *)(buf + off);
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(sn->tensors[j].name, t->name) == 0)
				fail(err, XS_EFORMAT, "supernet: tensor '%s' is there twice",
				     t->name);
	}
	sn->ntensors = count;
	if ((st = check_tensors(sn, err)) != XS_OK) {
		status_ = st;
		goto out_free;
	}
	*out = sn;
	return XS_OK;
out_free:
	xs_supernet_destroy(sn);
	return status_;
}

enum xs_status xs_supernet_load_buffer(const void *data, size_t size,
				       struct xs_supernet **out,
				       struct xs_error *err)
{
	uint8_t *buf = xk_alloc(size);
	if (buf == NULL) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "supernet: out of memory");
		return XS_ENOMEM;
	}
	memcpy(buf, data, size);
	return parse(buf, size, out, err);
}

enum xs_status xs_supernet_load(const char *path, struct xs_supernet **out,
				struct xs_error *err)
{
	char why[sizeof(err->msg)];
	FILE *f = xs_open_regular(path, why, sizeof(why));
	if (f == NULL) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s", why);
		return XS_EIO;
	}
	long end = -1;
	if (fseek(f, 0, SEEK_END) == 0)
		end = ftell(f);
	if (end < 0 || (uint64_t)end > MAX_FILE || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "cannot read '%s': not a regular file of at most 4 GiB", path);
		return XS_EIO;
	}
	uint8_t *buf = xk_alloc((size_t)end);
	if (buf == NULL) {
		fclose(f);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "'%s': out of memory", path);
		return XS_ENOMEM;
	}
	size_t got = fread(buf, 1, (size_t)end, f);
	int rerr = ferror(f);
	fclose(f);
	if (got != (size_t)end || rerr) {
		xk_free(buf);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "cannot read '%s': %s", path,
				 rerr ? strerror(errno) : "short read");
		return XS_EIO;
	}
	enum xs_status s = parse(buf, (size_t)end, out, err);
	if (s != XS_OK && err) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "'%.60s': %.190s", path, err->msg);
		memcpy(err->msg, msg, sizeof(msg));
	}
	return s;
}

void xs_supernet_destroy(struct xs_supernet *sn)
{
	if (sn == NULL)
		return;
	free(sn->tensors);
	xk_free(sn->buf);
	free(sn);
}

/* ---- writing ---------------------------------------------------------------- */

struct layout {
	struct xs_tensor_desc *d;  /* every tensor */
	size_t n, cap;
};

static bool collect(const struct xs_tensor_desc *d, void *p)
{
	struct layout *l = p;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct xs_tensor_desc *more = realloc(l->d, cap * sizeof(*more));
		if (more == NULL)
			return false;
		l->d = more;
		l->cap = cap;
	}
	l->d[l->n++] = *d;
	return true;
}

enum xs_status xs_supernet_write(const char *path, const struct xs_space *space,
				 void (*fill)(const struct xs_tensor_desc *d,
					      float *out, size_t count, void *ctx),
				 void *ctx, struct xs_error *err)
{
	struct layout l = {NULL, 0, 0};
	size_t visited = xs_space_tensors(space, collect, &l);
	enum xs_status status_ = XS_OK;
	uint8_t *buf = NULL;
	FILE *f = NULL;
	if (visited != l.n) {
		free(l.d);
		XK_FAIL(err, XS_ENOMEM, "supernet: out of memory");
	}
	size_t slen = xs_space_print(space, NULL, 0);
	size_t toff = xk_round_up(HEADER + slen, 64), off = xk_round_up(toff + ENTRY * l.n, 64);
	size_t *offs = malloc((l.n ? l.n : 1) * sizeof(*offs));
	for (size_t i = 0; offs && i < l.n; i++) {
		size_t count = 1;
		for (uint32_t d = 0; d < l.d[i].ndim; d++)
			count *= l.d[i].dims[d];
		offs[i] = off;
		off = xk_round_up(off + count * 4, 64);
	}
	size_t size = off + TRAILER;
	buf = offs ? xk_alloc(size) : NULL;
	if (buf == NULL) {
		XK_SETERR(err, "supernet: out of memory writing %zu bytes", size);
		status_ = XS_ENOMEM;
		goto out;
	}
	memset(buf, 0, size);
	memcpy(buf, "XFSUPNET", 8);
	xs_put32(buf + 8, XS_XSN_VERSION);
	xs_put32(buf + 12, HEADER);
	xs_put64(buf + 16, size);
	xs_put64(buf + 24, HEADER);
	xs_put64(buf + 32, slen);
	xs_put64(buf + 40, toff);
	xs_put32(buf + 48, (uint32_t)l.n);
	/* its NUL lands on the table or padding, written next */
	xs_space_print(space, (char *)buf + HEADER, slen + 1);
	for (size_t i = 0; i < l.n; i++) {
		uint8_t *e = buf + toff + ENTRY * i;
		size_t count = 1;
		memcpy(e, l.d[i].name, strlen(l.d[i].name));
		xs_put32(e + 64, 1);
		xs_put32(e + 68, l.d[i].ndim);
		for (int d = 0; d < 4; d++)
			xs_put32(e + 72 + 4 * d, l.d[i].dims[d]);
		xs_put64(e + 88, offs[i]);
		for (uint32_t d = 0; d < l.d[i].ndim; d++)
			count *= l.d[i].dims[d];
		float *vals = (float *)(buf + offs[i]); /* little-endian hosts only */
		fill(&l.d[i], vals, count, ctx);
	}
	xs_sha256(buf, size - TRAILER, buf + size - TRAILER);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, size, f) != size) {
		XK_SETERR(err, "cannot write '%s': %s", path, strerror(errno));
		status_ = XS_EIO;
	}
	if (f != NULL && fclose(f) != 0 && status_ == XS_OK) {
		XK_SETERR(err, "cannot write '%s': %s", path, strerror(errno));
		status_ = XS_EIO;
	}
out:
	xk_free(buf);
	free(offs);
	free(l.d);
	return status_;
}
