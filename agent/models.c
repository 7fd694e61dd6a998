/* models.c - the models list of `bench --models` (models.h): parsing it,
 * and opening a listed sub-model only after its bytes match the list's
 * sha256. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models.h"

__attribute__((format(printf, 3, 4)))
static enum xs_status fail(struct xs_error *err, enum xs_status st, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return st;
}

/* ---- the list ------------------------------------------------------------------------ */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copies field s[0..n) (blanks trimmed) into out[cap]; false when empty or
 * too long. */
static bool field_copy(const char *s, size_t n, char *out, size_t cap)
{
	while (n && blank(*s))
		s++, n--;
	while (n && blank(s[n - 1]))
		n--;
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* One line (no newline, comment cut, blanks trimmed, not empty) into e. */
static enum xs_status parse_line(const char *s, size_t n, size_t line,
				 struct xa_model_entry *e, struct xs_error *err)
{
	static const char *const what[] = {"arch", "precision", "file", "sha256"};
	const char *f[4];
	size_t fn[4], nf = 0;
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k < n && s[k] != '\t')
			k++;
		if (nf == 4)
			return fail(err, XS_EFORMAT, "line %zu: more than 4 fields (arch, precision, "
				    "file, sha256, separated by tabs)", line);
		f[nf] = s + i;
		fn[nf++] = k - i;
		while (k < n && s[k] == '\t')  /* a run of tabs is one separator */
			k++;
		i = k;
	}
	if (nf < 4)
		return fail(err, XS_EFORMAT, "line %zu: %zu field%s, not 4 (arch, precision, file, "
			    "sha256, separated by tabs)", line, nf, nf == 1 ? "" : "s");
	char prec[16], sha[80];
	char *dst[4] = {e->arch, prec, e->file, sha};
	size_t cap[4] = {sizeof(e->arch), sizeof(prec), sizeof(e->file), sizeof(sha)};
	for (size_t k = 0; k < 4; k++)
		if (!field_copy(f[k], fn[k], dst[k], cap[k]))
			return fail(err, XS_EFORMAT, "line %zu: the %s is empty or longer than %zu "
				    "bytes", line, what[k], cap[k] - 1);
	if (!xs_precision_parse(prec, &e->precision))
		return fail(err, XS_EFORMAT, "line %zu: precision '%s' is not f32 or int8", line,
			    prec);
	size_t hl = strlen(sha);
	for (size_t k = 0; k < hl && hl == 64; k++)
		if (hex_digit(sha[k]) < 0)
			hl = 0;
	if (hl != 64)
		return fail(err, XS_EFORMAT, "line %zu: sha256 '%.64s' is not 64 hex digits", line,
			    sha);
	for (size_t k = 0; k < 32; k++)
		e->sha256[k] = (uint8_t)(hex_digit(sha[2 * k]) << 4 | hex_digit(sha[2 * k + 1]));
	e->line = line;
	return XS_OK;
}

enum xs_status xa_models_parse(const char *text, size_t len, struct xa_model_entry **out,
			       size_t *n, struct xs_error *err)
{
	struct xa_model_entry *v = NULL;
	size_t count = 0, cap = 0, line = 0;
	enum xs_status st = XS_OK;
	for (size_t i = 0; i < len && st == XS_OK;) {
		const char *s = text + i;
		const char *nl = memchr(s, '\n', len - i);
		size_t sn = nl ? (size_t)(nl - s) : len - i;
		i += sn + (nl != NULL);
		line++;
		if (memchr(s, '\0', sn)) {
			st = fail(err, XS_EFORMAT, "line %zu: a NUL byte", line);
			break;
		}
		const char *hash = memchr(s, '#', sn);
		if (hash)
			sn = (size_t)(hash - s);
		while (sn && blank(*s))
			s++, sn--;
		while (sn && blank(s[sn - 1]))
			sn--;
		if (sn == 0)
			continue;
		if (count == cap) {
			size_t nc = cap ? 2 * cap : 16;
			struct xa_model_entry *nv = realloc(v, nc * sizeof(*nv));
			if (nv == NULL) {
				st = fail(err, XS_ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = nc;
		}
		st = parse_line(s, sn, line, &v[count], err);
		count += st == XS_OK;
	}
	if (st != XS_OK) {
		free(v);
		return st;
	}
	*out = v;
	*n = count;
	return XS_OK;
}

/* The whole of path (at most max bytes) into *data (malloc'd) and *size. */
static enum xs_status read_all(const char *path, size_t max, uint8_t **data, size_t *size,
			       struct xs_error *err)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	if (f == NULL || fstat(fileno(f), &sb) != 0) {
		int e = errno;
		if (f)
			fclose(f);
		return fail(err, XS_EIO, "cannot read '%.300s': %s", path, strerror(e));
	}
	if (sb.st_size < 0 || (unsigned long long)sb.st_size > max) {
		fclose(f);
		return fail(err, XS_EFORMAT, "'%.300s': larger than %zu bytes", path, max);
	}
	size_t want = (size_t)sb.st_size;
	uint8_t *b = malloc(want ? want : 1);
	if (b == NULL) {
		fclose(f);
		return fail(err, XS_ENOMEM, "'%.300s': out of memory", path);
	}
	size_t got = fread(b, 1, want, f);
	bool bad = ferror(f) || got != want || fgetc(f) != EOF;  /* it changed under us */
	fclose(f);
	if (bad) {
		free(b);
		return fail(err, XS_EIO, "cannot read '%.300s': short read", path);
	}
	*data = b;
	*size = want;
	return XS_OK;
}

enum xs_status xa_models_load(const char *path, struct xa_model_entry **out, size_t *n,
			      struct xs_error *err)
{
	uint8_t *data = NULL;
	size_t size = 0;
	enum xs_status st = read_all(path, XA_MODELS_LIST_MAX, &data, &size, err);
	if (st != XS_OK)
		return st;
	struct xs_error e;
	st = xa_models_parse((const char *)data, size, out, n, &e);
	free(data);
	if (st != XS_OK)
		fail(err, st, "models list '%.300s': %s", path, e.msg);
	return st;
}

/* ---- one model ------------------------------------------------------------------------- */

/* Sub-models are far smaller; this only bounds a damaged size. */
#define MODEL_MAX ((size_t)1 << 30)

enum xs_status xa_model_open(const struct xa_model_entry *e, const char *dir,
			     struct xs_model **out, struct xs_error *err)
{
	char path[XA_MODEL_FILE_MAX + 1024];
	if (e->file[0] == '/' || dir == NULL || dir[0] == '\0')
		snprintf(path, sizeof(path), "%s", e->file);
	else if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->file) >= sizeof(path))
		return fail(err, XS_EINVAL, "'%.200s/%.200s': the path is too long", dir, e->file);
	uint8_t *data = NULL;
	size_t size = 0;
	struct xs_error re;
	enum xs_status st = read_all(path, MODEL_MAX, &data, &size, &re);
	if (st != XS_OK)
		return fail(err, st, "%s: re-run the sweep (it pushes the file)", re.msg);
	uint8_t sum[32];
	xs_sha256(data, size, sum);
	if (memcmp(sum, e->sha256, 32) != 0) {
		char got[65], want[65];
		xs_sha256_hex(sum, got);
		xs_sha256_hex(e->sha256, want);
		free(data);
		return fail(err, XS_ECHECKSUM, "'%.300s': re-run the sweep; the file was damaged in "
			    "transfer (its sha256 is %.16s..., the models list says %.16s...)", path,
			    got, want);
	}
	struct xs_model *m = NULL;
	struct xs_error le;
	st = xs_model_load_buffer(data, size, &m, NULL, &le);
	free(data);
	if (st != XS_OK)
		return fail(err, st == XS_ENOMEM ? st : XS_EFORMAT, "'%.300s': %.150s: re-run the "
			    "sweep", path, le.msg);
	if (strcmp(m->arch, e->arch) != 0 || m->precision != e->precision) {
		fail(err, XS_EFORMAT, "'%.200s' holds %.100s %s, the models list says %.100s %s: "
		     "re-run the sweep", path, m->arch, xs_precision_name(m->precision), e->arch,
		     xs_precision_name(e->precision));
		xs_model_destroy(m);
		return XS_EFORMAT;
	}
	*out = m;
	return XS_OK;
}
