/* devexpr.c - device expressions (devexpr.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "devexpr.h"
#include "util.h"

struct xf_devexpr {
	char *text;          /* as given (serials: joined with commas) */
	pcre2_code *re;      /* FIELD=~REGEX, else NULL */
	char field[16];
	char **serials;      /* a list, else NULL */
	size_t nserials;
};

void xf_devexpr_destroy(struct xf_devexpr *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nserials; i++)
		free(e->serials[i]);
	free(e->serials);
	pcre2_code_free(e->re);
	free(e->text);
	free(e);
}

/* "a,b" -> e->serials. */
static enum xs_status split_list(struct xf_devexpr *e, const char *s, struct xs_error *err)
{
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	e->serials = calloc(n, sizeof(*e->serials));
	if (e->serials == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	for (const char *p = s;; p++) {
		size_t len = strcspn(p, ",");
		if ((e->serials[e->nserials] = strndup(p, len)) == NULL)
			return xf_error_set(err, XS_ENOMEM, "out of memory");
		e->nserials++;
		p += len;
		if (*p == '\0')
			break;
	}
	return XS_OK;
}

static enum xs_status compile(struct xf_devexpr *e, const char *s, const char *op,
			      struct xs_error *err)
{
	size_t flen = (size_t)(op - s);
	if (flen == 0 || flen >= sizeof(e->field))
		return xf_error_set(err, XS_EINVAL, "--devices '%s': give FIELD=~REGEX with FIELD "
				    "serial, abi, transport or model", s);
	memcpy(e->field, s, flen);
	if (strcmp(e->field, "serial") && strcmp(e->field, "abi") &&
	    strcmp(e->field, "transport") && strcmp(e->field, "model"))
		return xf_error_set(err, XS_EINVAL, "--devices: '%s' is not a field (serial, abi, "
				    "transport, model)", e->field);
	int code;
	PCRE2_SIZE at;
	e->re = pcre2_compile((PCRE2_SPTR)(op + 2), PCRE2_ZERO_TERMINATED, 0, &code, &at, NULL);
	if (e->re == NULL) {
		PCRE2_UCHAR m[128];
		pcre2_get_error_message(code, m, sizeof(m));
		return xf_error_set(err, XS_EINVAL, "--devices '%s': the pattern is bad at %zu: %s",
				    s, (size_t)at, (const char *)m);
	}
	return XS_OK;
}

enum xs_status xf_devexpr_parse(const char *text, struct xf_devexpr **out, struct xs_error *err)
{
	const char *s = text ? text : "all";
	struct xf_devexpr *e = calloc(1, sizeof(*e));
	if (e == NULL || (e->text = strdup(s)) == NULL) {
		free(e);
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	}
	const char *op = strstr(s, "=~");
	enum xs_status st = XS_OK;
	if (strcmp(s, "all") == 0)
		st = XS_OK;
	else if (op == NULL)
		st = split_list(e, s, err);
	else
		st = compile(e, s, op, err);
	if (st != XS_OK) {
		xf_devexpr_destroy(e);
		return st;
	}
	*out = e;
	return XS_OK;
}

enum xs_status xf_devexpr_serials(const char *const *serials, size_t n, struct xf_devexpr **out,
				  struct xs_error *err)
{
	if (n == 0)
		return xf_error_set(err, XS_EINVAL, "no device serials given");
	struct xf_devexpr *e = calloc(1, sizeof(*e));
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(serials[i]) + 1;
	if (e == NULL || (e->serials = calloc(n, sizeof(*e->serials))) == NULL ||
	    (e->text = calloc(1, len)) == NULL)
		goto out_nomem;
	for (size_t i = 0; i < n; i++) {
		if ((e->serials[i] = strdup(serials[i])) == NULL)
			goto out_nomem;
		e->nserials++;
		if (i)
			strcat(e->text, ",");
		strcat(e->text, serials[i]);
	}
	*out = e;
	return XS_OK;
out_nomem:
	xf_devexpr_destroy(e);
	return xf_error_set(err, XS_ENOMEM, "out of memory");
}

const char *xf_devexpr_text(const struct xf_devexpr *e)
{
	return e->text;
}

bool xf_devexpr_match(const struct xf_devexpr *e, const char *field, const char *value)
{
	if (e->serials) {
		if (strcmp(field, "serial") != 0)
			return true;
		for (size_t i = 0; i < e->nserials; i++)
			if (strcmp(e->serials[i], value) == 0)
				return true;
		return false;
	}
	if (e->re == NULL || strcmp(field, e->field) != 0)
		return true;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(e->re, NULL);
	int rc = md ? pcre2_match(e->re, (PCRE2_SPTR)value, strlen(value), 0, 0, md, NULL) : -1;
	pcre2_match_data_free(md);
	return rc >= 0;
}

bool xf_devexpr_match_device(const struct xf_devexpr *e, const struct xf_device *d)
{
	/* the one place that knows an adb device has a second name */
	bool by_name = xf_devexpr_match(e, "serial", d->serial) ||
		       (d->alias[0] && xf_devexpr_match(e, "serial", d->alias)) ||
		       (d->own_serial[0] && xf_devexpr_match(e, "serial", d->own_serial));
	/* a model not known yet: a usable device's probe decides; one that
	 * cannot be used (offline, unauthorized) is no match for a model */
	bool by_model = d->model[0] ? xf_devexpr_match(e, "model", d->model)
				    : d->problem[0] == '\0' || !xf_devexpr_about(e, "model");
	return by_name && by_model && xf_devexpr_match(e, "abi", d->abi) &&
	       xf_devexpr_match(e, "transport", d->transport);
}

bool xf_devexpr_about(const struct xf_devexpr *e, const char *field)
{
	return e->serials ? strcmp(field, "serial") == 0
			  : e->re != NULL && strcmp(field, e->field) == 0;
}

size_t xf_devexpr_serial_count(const struct xf_devexpr *e)
{
	return e->nserials;
}

const char *xf_devexpr_serial(const struct xf_devexpr *e, size_t i)
{
	return i < e->nserials ? e->serials[i] : NULL;
}
