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
#include "xs.h"

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

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

const struct xs_tensor *xs_supernet_tensor(const struct xs_supernet *sn,
					   const char *name)
{
	for (size_t i = 0; i < sn->ntensors; i++)
		if (strcmp(sn->tensors[i].name, name) == 0)
			return &sn->tensors[i];
	return NULL;
}

/* The tensor name must exist with exactly these dims (ndim of them). */
static enum xs_status need(const struct xs_supernet *sn, const char *name,
			   uint32_t ndim, uint32_t d0, uint32_t d1, uint32_t d2,
			   uint32_t d3, struct xs_error *err)
{
	const struct xs_tensor *t = xs_supernet_tensor(sn, name);
	const uint32_t want[4] = {d0, d1, d2, d3};
	if (t == NULL) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "supernet: tensor '%s' is missing", name);
		return XS_EFORMAT;
	}
	bool ok = t->ndim == ndim;
	for (uint32_t i = 0; ok && i < ndim; i++)
		ok = t->dims[i] == want[i];
	if (!ok) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "supernet: tensor '%s' is %ux%ux%ux%u (%u dims), the "
				 "space needs %ux%ux%ux%u (%u dims)",
				 name, t->dims[0], t->dims[1], t->dims[2], t->dims[3],
				 t->ndim, d0, d1, d2, d3, ndim);
		return XS_EFORMAT;
	}
	return XS_OK;
}

static enum xs_status need_bn(const struct xs_supernet *sn, const char *prefix,
			      uint32_t c, struct xs_error *err)
{
	static const char *const parts[] = {"weight", "bias", "running_mean",
					    "running_var"};
	for (int i = 0; i < 4; i++) {
		char name[96];
		snprintf(name, sizeof(name), "%s.%s", prefix, parts[i]);
		enum xs_status s = need(sn, name, 1, c, 0, 0, 0, err);
		if (s != XS_OK)
			return s;
	}
	return XS_OK;
}

/* Every tensor the space uses, with its shape. */
static enum xs_status check_tensors(const struct xs_supernet *sn,
				    struct xs_error *err)
{
	const struct xs_space *sp = &sn->space;
	enum xs_status s;
	char name[96];
	const uint32_t kmax = sp->kernels[sp->nkernels - 1];
	const uint32_t emax = sp->expands[sp->nexpands - 1];
	const uint32_t dmax = sp->depths[sp->ndepths - 1];
	if ((s = need(sn, "stem.weight", 4, sp->stem_out, sp->in_c, sp->stem_k,
		      sp->stem_k, err)) != XS_OK ||
	    (s = need_bn(sn, "stem_bn", sp->stem_out, err)) != XS_OK)
		return s;
	uint32_t c = sp->stem_out;
	for (uint32_t st = 0; st < sp->nstages; st++)
		for (uint32_t b = 0; b < dmax; b++) {
			uint32_t mid = c * emax, out = sp->stage[st].out;
			char p[48];
			snprintf(p, sizeof(p), "stages.%u.%u", st, b);
			snprintf(name, sizeof(name), "%s.pw1", p);
			if ((s = need(sn, name, 4, mid, c, 1, 1, err)) != XS_OK)
				return s;
			snprintf(name, sizeof(name), "%s.dw", p);
			if ((s = need(sn, name, 4, mid, 1, kmax, kmax, err)) != XS_OK)
				return s;
			for (uint32_t i = 0; sp->kernel_transform && i + 1 < sp->nkernels; i++) {
				uint32_t k = sp->kernels[i];
				snprintf(name, sizeof(name), "%s.t%u", p, k);
				if ((s = need(sn, name, 2, k * k, k * k, 0, 0, err)) != XS_OK)
					return s;
			}
			snprintf(name, sizeof(name), "%s.pw2", p);
			if ((s = need(sn, name, 4, out, mid, 1, 1, err)) != XS_OK)
				return s;
			const char *bn[3] = {"bn1", "bn2", "bn3"};
			for (int i = 0; i < 3; i++) {
				snprintf(name, sizeof(name), "%s.%s", p, bn[i]);
				if ((s = need_bn(sn, name, i < 2 ? mid : out, err)) != XS_OK)
					return s;
			}
			c = out;
		}
	if ((s = need(sn, "head.weight", 4, sp->head_out, c, 1, 1, err)) != XS_OK ||
	    (s = need_bn(sn, "head_bn", sp->head_out, err)) != XS_OK ||
	    (s = need(sn, "fc.weight", 2, sp->classes, sp->head_out, 0, 0, err)) != XS_OK ||
	    (s = need(sn, "fc.bias", 1, sp->classes, 0, 0, 0, err)) != XS_OK)
		return s;
	return XS_OK;
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
	uint32_t version = le32(buf + 8), hsize = le32(buf + 12);
	if (version != XS_XSN_VERSION)
		fail(err, XS_EVERSION,
		     "supernet: format version %u, this program reads %d: use a "
		     "matching xnn-fleet or re-export the supernet",
		     version, XS_XSN_VERSION);
	uint64_t fsize = le64(buf + 16), soff = le64(buf + 24), slen = le64(buf + 32);
	uint64_t toff = le64(buf + 40);
	uint32_t count = le32(buf + 48);
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
		uint32_t dtype = le32(e + 64);
		t->ndim = le32(e + 68);
		uint64_t n = 1;
		for (int d = 0; d < 4; d++)
			t->dims[d] = le32(e + 72 + 4 * d);
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
		uint64_t off = le64(e + 88);
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
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "cannot open '%s': %s", path,
				 strerror(errno));
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
