/* util.c - the harness library's small shared pieces (util.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

double xf_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

const char *xf_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

enum xs_status xf_error_set(struct xs_error *err, enum xs_status st, const char *fmt, ...)
{
	if (err == NULL)
		return st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return st;
}

enum xs_status xf_file_read(const char *path, size_t max, char **data, size_t *len,
			    struct xs_error *err)
{
	char why[sizeof(err->msg)];
	FILE *f = xs_open_regular(path, why, sizeof(why));
	if (f == NULL)
		return xf_error_set(err, XS_EIO, "%s", why);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	enum xs_status st = XS_OK;
	while (buf) {
		if (n == cap) {
			if (cap > max) {
				st = xf_error_set(err, XS_EFORMAT, "'%.300s' is larger than %zu bytes",
						  path, max);
				break;
			}
			char *nb = realloc(buf, 2 * cap + 1);
			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (buf == NULL || (st == XS_OK && n == cap))
		st = xf_error_set(err, XS_ENOMEM, "'%.300s': out of memory", path);
	else if (st == XS_OK && ferror(f))
		st = xf_error_set(err, XS_EIO, "cannot read '%.300s': %s", path, strerror(errno));
	else if (st == XS_OK && n > max)
		st = xf_error_set(err, XS_EFORMAT, "'%.300s' is larger than %zu bytes", path, max);
	fclose(f);
	if (st != XS_OK) {
		free(buf);
		return st;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return XS_OK;
}

enum xs_status xf_file_write(const char *path, const void *data, size_t n, struct xs_error *err)
{
	char tmp[PATH_MAX + 8];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return xf_error_set(err, XS_EINVAL, "'%.300s': the path is too long", path);
	FILE *f = fopen(tmp, "wb");
	bool ok = f && fwrite(data, 1, n, f) == n;
	int e = errno;
	if (f && fclose(f) != 0) {
		ok = false;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		return xf_error_set(err, XS_EIO, "cannot write '%.300s': %s", path, strerror(e));
	}
	return XS_OK;
}

bool xf_grow(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return true;
	size_t want = *cap ? 2 * *cap : first;
	void **p = items;
	void *grown = want <= SIZE_MAX / size ? realloc(*p, want * size) : NULL;
	if (grown == NULL)
		return false;
	*p = grown;
	*cap = want;
	return true;
}

int xf_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

bool xf_precision_list_parse(const char *text, enum xs_precision out[2], size_t *n)
{
	bool seen[2] = {false, false};
	for (const char *p = text;;) {
		size_t len = strcspn(p, ",");
		char word[8];
		enum xs_precision pr;
		if (len == 0 || len >= sizeof(word))
			return false;
		memcpy(word, p, len);
		word[len] = '\0';
		if (!xs_precision_parse(word, &pr) || seen[pr == XS_PRECISION_INT8])
			return false;
		seen[pr == XS_PRECISION_INT8] = true;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*n = 0;
	if (seen[0])
		out[(*n)++] = XS_PRECISION_F32;
	if (seen[1])
		out[(*n)++] = XS_PRECISION_INT8;
	return true;
}

bool xf_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}
