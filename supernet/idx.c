/* idx.c - IDX files (the MNIST family's format): evaluation and calibration
 * images pushed to devices, and their labels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs.h"

#define MAX_IDX ((uint64_t)1 << 31)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Takes ownership of buf. */
static enum xs_status parse(uint8_t *buf, size_t size, uint32_t want_dims,
			    struct xs_idx **out, struct xs_error *err)
{
	enum xs_status st = XS_EFORMAT;
	struct xs_idx *idx = NULL;
	if (want_dims != 1 && want_dims != 3) {
		XK_SETERR(err, "idx: dims %u: 1 (labels) or 3 (images)", want_dims);
		st = XS_EINVAL;
		goto out_free;
	}
	size_t head = 4 + 4 * (size_t)want_dims;
	if (size < 4 || buf[0] != 0 || buf[1] != 0 || buf[2] != 8) {
		XK_SETERR(err, "idx: not an unsigned-byte IDX file (bad magic); "
			       "gzip'd files must be decompressed first");
		goto out_free;
	}
	if (buf[3] != want_dims) {
		XK_SETERR(err, "idx: %u dimensions, expected %u (%s)", buf[3], want_dims,
			  want_dims == 3 ? "images" : "labels");
		goto out_free;
	}
	if (size < head) {
		XK_SETERR(err, "idx: %zu bytes is shorter than the header: the file is cut",
			  size);
		goto out_free;
	}
	uint64_t count = be32(buf + 4), rows = 1, cols = 1;
	if (want_dims == 3) {
		rows = be32(buf + 8);
		cols = be32(buf + 12);
		if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
			XK_SETERR(err, "idx: images of %llux%llu not supported",
				  (unsigned long long)rows, (unsigned long long)cols);
			goto out_free;
		}
	}
	uint64_t want = (uint64_t)head + count * rows * cols;
	if (count == 0 || want != size) {
		XK_SETERR(err, "idx: the header says %llu items (%llu bytes) but the file "
			       "has %zu bytes: it is cut or padded",
			  (unsigned long long)count, (unsigned long long)want, size);
		goto out_free;
	}
	idx = calloc(1, sizeof(*idx));
	if (idx == NULL) {
		XK_SETERR(err, "idx: out of memory");
		st = XS_ENOMEM;
		goto out_free;
	}
	idx->count = (uint32_t)count;
	idx->rows = (uint32_t)rows;
	idx->cols = (uint32_t)cols;
	idx->buf = buf;
	idx->size = size;
	idx->data = buf + head;
	*out = idx;
	return XS_OK;
out_free:
	xk_free(buf);
	return st;
}

enum xs_status xs_idx_load_buffer(const void *data, size_t size,
				  uint32_t want_dims, struct xs_idx **out,
				  struct xs_error *err)
{
	uint8_t *buf = xk_alloc(size);
	if (buf == NULL)
		XK_FAIL(err, XS_ENOMEM, "idx: out of memory");
	memcpy(buf, data, size);
	return parse(buf, size, want_dims, out, err);
}

enum xs_status xs_idx_load(const char *path, uint32_t want_dims,
			   struct xs_idx **out, struct xs_error *err)
{
	char why[sizeof(err->msg)];
	FILE *f = xs_open_regular(path, why, sizeof(why));
	if (f == NULL)
		XK_FAIL(err, XS_EIO, "%s", why);
	long end = -1;
	if (fseek(f, 0, SEEK_END) == 0)
		end = ftell(f);
	if (end < 0 || (uint64_t)end > MAX_IDX || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		XK_FAIL(err, XS_EIO, "cannot read '%s': not a regular file of at most 2 GiB",
			path);
	}
	uint8_t *buf = xk_alloc((size_t)end);
	if (buf == NULL) {
		fclose(f);
		XK_FAIL(err, XS_ENOMEM, "'%s': out of memory", path);
	}
	size_t got = fread(buf, 1, (size_t)end, f);
	int rerr = ferror(f);
	fclose(f);
	if (got != (size_t)end || rerr) {
		xk_free(buf);
		XK_FAIL(err, XS_EIO, "cannot read '%s': %s", path,
			rerr ? strerror(errno) : "short read");
	}
	enum xs_status s = parse(buf, (size_t)end, want_dims, out, err);
	if (s != XS_OK && err) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "'%.60s': %.190s", path, err->msg);
		memcpy(err->msg, msg, sizeof(msg));
	}
	return s;
}

void xs_idx_destroy(struct xs_idx *idx)
{
	if (idx == NULL)
		return;
	xk_free(idx->buf);
	free(idx);
}
