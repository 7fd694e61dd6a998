/* manifest-write.c - writing the manifest (manifest.h): struct xr_manifest
 * to JSON in plain C, the key names from manifest-keys.h (the reader's
 * list), checked by reading it back. Its own object file: an app that
 * links libxnnrt statically and only reads does not carry it. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-keys.h"
#include "manifest.h"

#define MAX_DEPTH 8

/* The text being written: a growing buffer, the nesting (for the layout),
 * and the first error (later writes do nothing). */
struct out {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[MAX_DEPTH];     /* at depth d, nothing written in it yet */
	enum xr_status st;
	char *why;
	size_t why_n;
};

__attribute__((format(printf, 2, 3)))
static void bad(struct out *o, const char *fmt, ...)
{
	if (o->st != XR_OK)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->why, o->why_n, fmt, ap);
	va_end(ap);
	o->st = XR_EINVAL;
}

static void put(struct out *o, const char *s, size_t n)
{
	if (o->st != XR_OK)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (o->len + n + 1 > cap)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (b == NULL) {
			snprintf(o->why, o->why_n, "out of memory");
			o->st = XR_ENOMEM;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_text(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A JSON string: '"', '\' and bytes below 0x20 escaped, the rest as is.
 * s is cap bytes at most (a struct field): no NUL in them is an error. */
static void string(struct out *o, const char *s, size_t cap, const char *what)
{
	size_t n = strnlen(s, cap);
	if (n == cap) {
		bad(o, "%s is not NUL-terminated within its %zu bytes", what, cap);
		return;
	}
	put(o, "\"", 1);
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + from, i - from);
		from = i + 1;
		char esc[8];
		const char *esc_text = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b"
				     : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
				     : c == '\t' ? "\\t" : NULL;
		if (esc_text == NULL) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			esc_text = esc;
		}
		put_text(o, esc_text);
	}
	put(o, s + from, n - from);
	put(o, "\"", 1);
}

/* A finite number, written so that strtod gives x back: whole numbers
 * (below 2^53) as integers, others in the fewest of 15-17 digits. */
static void number(struct out *o, double x, const char *what)
{
	char b[40];
	if (!isfinite(x)) {
		bad(o, "%s is not a finite number", what);
		return;
	}
	if (x == floor(x) && fabs(x) < 9007199254740992.0) {
		snprintf(b, sizeof(b), "%.0f", x == 0 ? 0.0 : x);  /* no "-0" */
	} else {
		for (int digits = 15; digits <= 17; digits++) {
			snprintf(b, sizeof(b), "%.*g", digits, x);
			if (strtod(b, NULL) == x)
				break;
		}
	}
	put_text(o, b);
}

static void whole(struct out *o, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	put_text(o, b);
}

static void indent(struct out *o)
{
	for (int i = 0; i < o->depth; i++)
		put(o, "\t", 1);
}

/* Containers. Objects: "{", one "\t...\"key\":\tvalue" line each, "," between,
 * "}" on its own line at the opening's depth; arrays on one line, ", "
 * between elements (cJSON_Print's layout). */
static void open_container(struct out *o, const char *bracket)
{
	if (o->depth + 1 >= MAX_DEPTH) {
		bad(o, "the manifest nests deeper than %d", MAX_DEPTH);
		return;
	}
	put_text(o, bracket);
	o->depth++;
	o->first[o->depth] = true;
}

static void close_object(struct out *o)
{
	put(o, "\n", 1);
	o->depth--;
	indent(o);
	put(o, "}", 1);
}

static void close_array(struct out *o)
{
	o->depth--;
	put(o, "]", 1);
}

static void key(struct out *o, const char *k)
{
	put_text(o, o->first[o->depth] ? "\n" : ",\n");
	o->first[o->depth] = false;
	indent(o);
	put(o, "\"", 1);
	put_text(o, k);
	put(o, "\":\t", 3);
}

/* Before an array's next element. */
static void element(struct out *o)
{
	if (!o->first[o->depth])
		put(o, ", ", 2);
	o->first[o->depth] = false;
}

/* An array of n strings of width w at list. */
static void strings(struct out *o, const char *list, size_t w, size_t n, size_t max,
		    const char *what)
{
	if (n > max) {
		bad(o, "%s has %zu entries (at most %zu)", what, n, max);
		return;
	}
	open_container(o, "[");
	for (size_t i = 0; i < n; i++) {
		element(o);
		string(o, list + i * w, w, what);
	}
	close_array(o);
}

#define STR(o, field, what) string(o, field, sizeof(field), what)

static void write_expected(struct out *o, const struct xr_tier *t, const char *p)
{
	char w[128];
	key(o, XR_KEY(expected));
	open_container(o, "{");
	key(o, XR_KEY(latency_ms));
	number(o, t->latency_ms, (snprintf(w, sizeof(w), "%s.expected.latency_ms", p), w));
	key(o, XR_KEY(memory_bytes));
	number(o, t->memory_bytes, (snprintf(w, sizeof(w), "%s.expected.memory_bytes", p), w));
	if (!isnan(t->top1)) {
		key(o, XR_KEY(top1));
		number(o, t->top1, (snprintf(w, sizeof(w), "%s.expected.top1", p), w));
	}
	if (!isnan(t->val_top1)) {
		key(o, XR_KEY(val_top1));
		number(o, t->val_top1, (snprintf(w, sizeof(w), "%s.expected.val_top1", p), w));
	}
	key(o, XR_KEY(source));
	string(o, t->predicted ? XR_SOURCE_PREDICTED : XR_SOURCE_MEASURED, 16, "source");
	if (!t->predicted) {
		key(o, XR_KEY(timing));
		string(o, t->widened ? XR_TIMING_WIDENED : XR_TIMING_CLEAN, 16, "timing");
	}
	close_object(o);
}

static void write_devices(struct out *o, const struct xr_tier *t, const char *p)
{
	char w[128];
	key(o, XR_KEY(devices));
	if (t->nlisted > XR_MAX_LISTED) {
		bad(o, "%s.devices has %zu entries (at most %d)", p, t->nlisted, XR_MAX_LISTED);
		return;
	}
	open_container(o, "[");
	for (size_t i = 0; i < t->nlisted; i++) {
		const struct xr_listed *l = &t->listed[i];
		char dp[80];
		snprintf(dp, sizeof(dp), "%s.devices[%zu]", p, i);
#define FIELD(name) (snprintf(w, sizeof(w), "%s.%s", dp, XR_KEY(name)), w)
		element(o);
		open_container(o, "{");
		key(o, XR_KEY(model));
		STR(o, l->model, FIELD(model));
		key(o, XR_KEY(fingerprint));
		STR(o, l->fingerprint, FIELD(fingerprint));
		key(o, XR_KEY(serial));
		STR(o, l->serial, FIELD(serial));
#undef FIELD
		close_object(o);
	}
	close_array(o);
}

static void write_rules(struct out *o, const struct xr_rules *r, const char *p)
{
	char w[128];
	key(o, XR_KEY(rules));
	open_container(o, "{");
	key(o, XR_KEY(models));
	snprintf(w, sizeof(w), "%s.rules.models", p);
	strings(o, &r->models[0][0], sizeof(r->models[0]), r->nmodels, XR_MAX_PATTERNS, w);
	if (r->nsocs) {
		key(o, XR_KEY(socs));
		snprintf(w, sizeof(w), "%s.rules.socs", p);
		strings(o, &r->socs[0][0], sizeof(r->socs[0]), r->nsocs, XR_MAX_PATTERNS, w);
	}
	key(o, XR_KEY(ram_min));
	whole(o, r->ram_min);
	key(o, XR_KEY(ram_max));
	whole(o, r->ram_max);
	if (r->nfeatures) {
		key(o, XR_KEY(cpu_features));
		snprintf(w, sizeof(w), "%s.rules.cpu_features", p);
		strings(o, &r->features[0][0], sizeof(r->features[0]), r->nfeatures,
			XR_MAX_PATTERNS, w);
	}
	close_object(o);
}

static void write_tier(struct out *o, const struct xr_tier *t, size_t k)
{
	char p[32], w[128];
	snprintf(p, sizeof(p), "tiers[%zu]", k);
#define FIELD(name) (snprintf(w, sizeof(w), "%s.%s", p, XR_KEY(name)), w)
	open_container(o, "{");
	key(o, XR_KEY(name));
	STR(o, t->name, FIELD(name));
	key(o, XR_KEY(arch));
	STR(o, t->arch, FIELD(arch));
	key(o, XR_KEY(precision));
	STR(o, t->precision, FIELD(precision));
	key(o, XR_KEY(file));
	STR(o, t->file, FIELD(file));
	key(o, XR_KEY(size));
	whole(o, t->size);
	key(o, XR_KEY(sha256));
	STR(o, t->sha256, FIELD(sha256));
	write_expected(o, t, p);
	write_devices(o, t, p);
	write_rules(o, &t->rules, p);
	key(o, XR_KEY(probe_min));
	number(o, t->probe_min, FIELD(probe_min));
	close_object(o);
#undef FIELD
}

static void write_manifest(struct out *o, const struct xr_manifest *m)
{
	open_container(o, "{");
	key(o, XR_KEY(format));
	put_text(o, "\"" XR_MANIFEST_FORMAT "\"");
	key(o, XR_KEY(version));
	number(o, m->version, "version");
	key(o, XR_KEY(supernet));
	open_container(o, "{");
	key(o, XR_KEY(name));
	STR(o, m->supernet, "supernet.name");
	key(o, XR_KEY(sha256));
	STR(o, m->supernet_sha256, "supernet.sha256");
	close_object(o);
	key(o, XR_KEY(budget));
	open_container(o, "{");
	key(o, XR_KEY(latency_ms));
	number(o, m->budget_latency_ms, "budget.latency_ms");
	key(o, XR_KEY(percentile));
	number(o, m->budget_percentile, "budget.percentile");
	key(o, XR_KEY(memory_bytes));
	whole(o, m->budget_memory);
	key(o, XR_KEY(size_bytes));
	whole(o, m->budget_size);
	close_object(o);
	if (m->ntiers > XR_MAX_TIERS || m->fallback >= m->ntiers) {
		bad(o, "%s (%zu tiers, the fallback tier %zu): at least 1, at most %d, and the "
		    "fallback one of them", XR_KEY(tiers), m->ntiers, m->fallback, XR_MAX_TIERS);
		return;
	}
	char w[48];
	snprintf(w, sizeof(w), "tiers[%zu].name", m->fallback);
	key(o, XR_KEY(fallback));
	STR(o, m->tiers[m->fallback].name, w);
	key(o, XR_KEY(tiers));
	open_container(o, "[");
	for (size_t k = 0; k < m->ntiers; k++) {
		element(o);
		write_tier(o, &m->tiers[k], k);
	}
	close_array(o);
	close_object(o);
}

void xr_manifest_init(struct xr_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->version = XR_MANIFEST_VERSION;
	for (size_t k = 0; k < XR_MAX_TIERS; k++)
		m->tiers[k].top1 = m->tiers[k].val_top1 = NAN;
}

enum xr_status xr_manifest_write(const struct xr_manifest *m, char **json, size_t *len,
				 char *why, size_t why_n)
{
	struct out o = {.st = XR_OK, .why = why, .why_n = why_n};
	write_manifest(&o, m);
	struct xr_manifest *back = o.st == XR_OK ? malloc(sizeof(*back)) : NULL;
	if (o.st == XR_OK && back == NULL) {
		snprintf(why, why_n, "out of memory");
		o.st = XR_ENOMEM;
	}
	/* what the runtime will read is what was asked for */
	if (o.st == XR_OK && !xr_manifest_parse(o.buf, o.len, back, why, why_n))
		o.st = XR_EINVAL;
	char diff[256];
	if (o.st == XR_OK && !xr_manifest_equal(m, back, diff, sizeof(diff))) {
		snprintf(why, why_n, "the manifest written reads back different: %s", diff);
		o.st = XR_EINVAL;
	}
	free(back);
	if (o.st != XR_OK) {
		free(o.buf);
		return o.st;
	}
	*json = o.buf;
	*len = o.len;
	return XR_OK;
}

/* ---- equality ------------------------------------------------------------------ */

struct cmp {
	char *why;
	size_t why_n;
	bool same;
};

__attribute__((format(printf, 2, 3)))
static void differ(struct cmp *c, const char *fmt, ...)
{
	if (!c->same)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, c->why_n, fmt, ap);
	va_end(ap);
	c->same = false;
}

static void cmp_str(struct cmp *c, const char *a, const char *b, size_t cap, const char *p,
		    const char *what)
{
	if (strncmp(a, b, cap) != 0)
		differ(c, "%s%s%s: '%.*s' and '%.*s'", p, p[0] ? "." : "", what, (int)strnlen(a, 80),
		       a, (int)strnlen(b, 80), b);
}

static void cmp_num(struct cmp *c, double a, double b, const char *p, const char *what)
{
	if (!(a == b || (isnan(a) && isnan(b))))
		differ(c, "%s%s%s: %.17g and %.17g", p, p[0] ? "." : "", what, a, b);
}

static void cmp_list(struct cmp *c, const char *a, const char *b, size_t w, size_t na,
		     size_t nb, const char *p, const char *what)
{
	if (na != nb) {
		differ(c, "%s.%s: %zu and %zu entries", p, what, na, nb);
		return;
	}
	for (size_t i = 0; i < na && na <= XR_MAX_PATTERNS; i++)
		cmp_str(c, a + i * w, b + i * w, w, p, what);
}

#define CMP_STR(c, a, b, field, p, what) cmp_str(c, (a)->field, (b)->field, sizeof((a)->field), p, what)

static void cmp_tier(struct cmp *c, const struct xr_tier *a, const struct xr_tier *b,
		     const char *p)
{
	CMP_STR(c, a, b, name, p, XR_KEY(name));
	CMP_STR(c, a, b, arch, p, XR_KEY(arch));
	CMP_STR(c, a, b, precision, p, XR_KEY(precision));
	CMP_STR(c, a, b, file, p, XR_KEY(file));
	CMP_STR(c, a, b, sha256, p, XR_KEY(sha256));
	if (a->size != b->size)
		differ(c, "%s.size: %" PRIu64 " and %" PRIu64, p, a->size, b->size);
	cmp_num(c, a->latency_ms, b->latency_ms, p, "expected.latency_ms");
	cmp_num(c, a->memory_bytes, b->memory_bytes, p, "expected.memory_bytes");
	cmp_num(c, a->top1, b->top1, p, "expected.top1");
	cmp_num(c, a->val_top1, b->val_top1, p, "expected.val_top1");
	if (a->predicted != b->predicted)
		differ(c, "%s.expected.source differs", p);
	if (a->widened != b->widened)
		differ(c, "%s.expected.timing differs", p);
	cmp_num(c, a->probe_min, b->probe_min, p, XR_KEY(probe_min));
	if (a->nlisted != b->nlisted)
		differ(c, "%s.devices: %zu and %zu entries", p, a->nlisted, b->nlisted);
	for (size_t i = 0; i < a->nlisted && a->nlisted <= XR_MAX_LISTED; i++) {
		char dp[80];
		snprintf(dp, sizeof(dp), "%s.devices[%zu]", p, i);
		CMP_STR(c, &a->listed[i], &b->listed[i], model, dp, XR_KEY(model));
		CMP_STR(c, &a->listed[i], &b->listed[i], fingerprint, dp, XR_KEY(fingerprint));
		CMP_STR(c, &a->listed[i], &b->listed[i], serial, dp, XR_KEY(serial));
	}
	const struct xr_rules *r = &a->rules, *s = &b->rules;
	char rp[64];
	snprintf(rp, sizeof(rp), "%s.rules", p);
	cmp_list(c, &r->models[0][0], &s->models[0][0], sizeof(r->models[0]), r->nmodels,
		 s->nmodels, rp, XR_KEY(models));
	cmp_list(c, &r->socs[0][0], &s->socs[0][0], sizeof(r->socs[0]), r->nsocs, s->nsocs, rp,
		 XR_KEY(socs));
	cmp_list(c, &r->features[0][0], &s->features[0][0], sizeof(r->features[0]),
		 r->nfeatures, s->nfeatures, rp, XR_KEY(cpu_features));
	if (r->ram_min != s->ram_min || r->ram_max != s->ram_max)
		differ(c, "%s: ram_min/ram_max %" PRIu64 "/%" PRIu64 " and %" PRIu64 "/%" PRIu64,
		       rp, r->ram_min, r->ram_max, s->ram_min, s->ram_max);
}

bool xr_manifest_equal(const struct xr_manifest *a, const struct xr_manifest *b, char *why,
		       size_t why_n)
{
	struct cmp c = {why, why_n, true};
	if (a->version != b->version)
		differ(&c, "version: %d and %d", a->version, b->version);
	CMP_STR(&c, a, b, supernet, "", "supernet.name");
	CMP_STR(&c, a, b, supernet_sha256, "", "supernet.sha256");
	cmp_num(&c, a->budget_latency_ms, b->budget_latency_ms, "", "budget.latency_ms");
	cmp_num(&c, a->budget_percentile, b->budget_percentile, "", "budget.percentile");
	if (a->budget_memory != b->budget_memory || a->budget_size != b->budget_size)
		differ(&c, "budget.memory_bytes/size_bytes differ");
	if (a->ntiers != b->ntiers)
		differ(&c, "tiers: %zu and %zu entries", a->ntiers, b->ntiers);
	if (a->fallback != b->fallback)
		differ(&c, "fallback: tier %zu and %zu", a->fallback, b->fallback);
	for (size_t k = 0; k < a->ntiers && k < XR_MAX_TIERS; k++) {
		char p[32];
		snprintf(p, sizeof(p), "tiers[%zu]", k);
		cmp_tier(&c, &a->tiers[k], &b->tiers[k], p);
	}
	return c.same;
}
