/* manifest.c - reading the manifest (manifest.h) with jsmn (Debian's
 * header-only libjsmn-dev): tokens first, then each known key (the names:
 * manifest-keys.h) checked and copied; and the tier choice for a device. */
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "manifest-keys.h"
#include "manifest.h"
#include "xr.h"

/* The document being read; p names the object a message is about. */
struct doc {
	const char *js;
	jsmntok_t *t;
	int n;
	char *why;
	size_t why_n;
	const char *p;       /* the object being read: "", "budget", "tiers[2].expected" */
};

/* A message into d->why, led by the name of key k (NULL: none; "": the
 * object itself) of the object being read: "tiers[2].expected.top1".
 * Returns false. */
__attribute__((format(printf, 3, 4)))
static bool fail(struct doc *d, const char *k, const char *fmt, ...)
{
	int len = 0;
	if (k)
		len = snprintf(d->why, d->why_n, "%s%s%s", d->p, d->p[0] && k[0] ? "." : "", k);
	if (len < 0 || (size_t)len >= d->why_n)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->why + (size_t)len, d->why_n - (size_t)len, fmt, ap);
	va_end(ap);
	return false;
}

/* The index just past token i and everything inside it. Each token holds
 * `size` more (an object its keys, a key its value, an array its elements;
 * well_formed checked that), so one pass forward counts what is still to
 * come: no recursion, a bounded stack for any input. */
static int skip(const struct doc *d, int i)
{
	for (int left = 1; left > 0 && i < d->n; i++)
		left += d->t[i].size - 1;
	return i < d->n ? i : d->n;
}

/* The value token of key in object obj, or -1. */
static int find(const struct doc *d, int obj, const char *key)
{
	if (obj < 0 || obj >= d->n || d->t[obj].type != JSMN_OBJECT)
		return -1;
	size_t kl = strlen(key);
	int i = obj + 1;
	for (int k = 0; k < d->t[obj].size && i + 1 < d->n; k++) {
		const jsmntok_t *kt = &d->t[i];
		if (kt->type == JSMN_STRING && (size_t)(kt->end - kt->start) == kl &&
		    memcmp(d->js + kt->start, key, kl) == 0)
			return i + 1;
		i = skip(d, i + 1);
	}
	return -1;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One character of a string token at *s (before e), unescaped, into *c;
 * escaped says it was an escape (\uXXXX: a code point). */
static bool unescape(const char **s, const char *e, unsigned *c, bool *escaped)
{
	*c = (unsigned char)*(*s)++;
	*escaped = *c == '\\';
	if (!*escaped)
		return true;
	if (*s >= e)
		return false;
	char x = *(*s)++;
	switch (x) {
	case '"': case '\\': case '/': *c = (unsigned char)x; return true;
	case 'b': *c = '\b'; return true;
	case 'f': *c = '\f'; return true;
	case 'n': *c = '\n'; return true;
	case 'r': *c = '\r'; return true;
	case 't': *c = '\t'; return true;
	case 'u':
		if (e - *s < 4)
			return false;
		*c = 0;
		for (int q = 0; q < 4; q++) {
			int h = hexval((*s)[q]);
			if (h < 0)
				return false;
			*c = *c << 4 | (unsigned)h;
		}
		*s += 4;
		return true;
	default:
		return false;
	}
}

/* Copies string token i (the value of key k), unescaped (\uXXXX as UTF-8,
 * other bytes as they are), into out; false when it is not a string, is
 * malformed, holds a NUL or does not fit. */
static bool text(struct doc *d, int i, const char *k, char *out, size_t n)
{
	if (i < 0 || i >= d->n)
		return fail(d, k, " is missing");
	if (d->t[i].type != JSMN_STRING)
		return fail(d, k, " is not a string");
	const char *s = d->js + d->t[i].start, *e = d->js + d->t[i].end;
	size_t len = 0;
	while (s < e) {
		unsigned c;
		bool escaped;
		if (!unescape(&s, e, &c, &escaped))
			return fail(d, k, ": a bad escape");
		if (c == 0)
			return fail(d, k, " holds a NUL");
		/* UTF-8 for a code point (surrogates are kept as is) */
		unsigned char buf[3] = {(unsigned char)c};
		size_t m = 1;
		if (escaped && c >= 0x800) {
			buf[0] = (unsigned char)(0xe0 | c >> 12);
			buf[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
			buf[2] = (unsigned char)(0x80 | (c & 0x3f));
			m = 3;
		} else if (escaped && c >= 0x80) {
			buf[0] = (unsigned char)(0xc0 | c >> 6);
			buf[1] = (unsigned char)(0x80 | (c & 0x3f));
			m = 2;
		}
		if (len + m >= n)
			return fail(d, k, " is longer than %zu bytes", n - 1);
		memcpy(out + len, buf, m);
		len += m;
	}
	out[len] = '\0';
	return true;
}

/* A number token (finite, >= 0) into *v; absent is 'missing' unless
 * optional (then *v is left). */
static bool number(struct doc *d, int i, const char *k, bool optional, double *v)
{
	if (i < 0 || i >= d->n)
		return optional ? true : fail(d, k, " is missing");
	char buf[64];
	size_t len = (size_t)(d->t[i].end - d->t[i].start);
	char c = d->js[d->t[i].start];
	if (d->t[i].type != JSMN_PRIMITIVE || len >= sizeof(buf) || !(c == '-' || (c >= '0' && c <= '9')))
		return fail(d, k, " is not a number");
	memcpy(buf, d->js + d->t[i].start, len);
	buf[len] = '\0';
	char *end;
	double x = strtod(buf, &end);
	if (*end || !isfinite(x) || x < 0)
		return fail(d, k, " is not a number >= 0");
	*v = x;
	return true;
}

/* Key k of object obj: a string, a number, a byte count. */
static bool get_text(struct doc *d, int obj, enum xr_manifest_key k, char *out, size_t n)
{
	return text(d, find(d, obj, xr_manifest_key_names[k]), xr_manifest_key_names[k], out, n);
}

static bool get_number(struct doc *d, int obj, enum xr_manifest_key k, bool optional, double *v)
{
	return number(d, find(d, obj, xr_manifest_key_names[k]), xr_manifest_key_names[k],
		      optional, v);
}

static bool get_bytes(struct doc *d, int obj, enum xr_manifest_key k, bool optional,
		      uint64_t *v)
{
	double x = (double)*v;
	if (!get_number(d, obj, k, optional, &x))
		return false;
	if (x > 9.0e15 || x != floor(x))
		return fail(d, xr_manifest_key_names[k], " is not a whole byte count");
	*v = (uint64_t)x;
	return true;
}

/* Key k of obj, an array of strings (absent = empty), into max slots of
 * width w. */
static bool get_strings(struct doc *d, int obj, enum xr_manifest_key k, char *out, size_t w,
			size_t max, size_t *count)
{
	const char *key = xr_manifest_key_names[k];
	int i = find(d, obj, key);
	*count = 0;
	if (i < 0)
		return true;
	if (d->t[i].type != JSMN_ARRAY)
		return fail(d, key, " is not an array");
	if ((size_t)d->t[i].size > max)
		return fail(d, key, " has %d entries (at most %zu)", d->t[i].size, max);
	const char *obj_p = d->p;
	char p[64];
	bool ok = true;
	int j = i + 1;
	for (int q = 0; ok && q < d->t[i].size; q++) {
		snprintf(p, sizeof(p), "%s.%s[%d]", obj_p, key, q);  /* "...models[3]" */
		d->p = p;
		ok = text(d, j, "", out + (size_t)q * w, w);
		j = skip(d, j);
	}
	d->p = obj_p;
	*count = ok ? (size_t)d->t[i].size : 0;
	return ok;
}

/* Key k of obj, an object: its token into *i (-1 when absent and optional);
 * false with a message when it is missing or not an object. */
static bool get_object(struct doc *d, int obj, enum xr_manifest_key k, bool optional, int *i)
{
	*i = find(d, obj, xr_manifest_key_names[k]);
	if (*i >= 0 && d->t[*i].type == JSMN_OBJECT)
		return true;
	if (*i < 0 && optional)
		return true;
	return fail(d, xr_manifest_key_names[k], " is %s",
		    *i < 0 ? "missing" : "not an object");
}

static bool is_sha256(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static bool tier_expected(struct doc *d, int i, struct xr_tier *t)
{
	char source[16], p[48];
	int e;
	if (!get_object(d, i, XR_KEY_expected, false, &e))
		return false;
	snprintf(p, sizeof(p), "%s.%s", d->p, XR_KEY(expected));
	const char *tier_p = d->p;
	d->p = p;
	t->top1 = t->val_top1 = NAN;
	bool ok = get_number(d, e, XR_KEY_latency_ms, false, &t->latency_ms) &&
		  get_number(d, e, XR_KEY_memory_bytes, false, &t->memory_bytes) &&
		  get_number(d, e, XR_KEY_top1, true, &t->top1) &&
		  get_number(d, e, XR_KEY_val_top1, true, &t->val_top1) &&
		  get_text(d, e, XR_KEY_source, source, sizeof(source));
	if (ok && strcmp(source, XR_SOURCE_MEASURED) != 0 &&
	    strcmp(source, XR_SOURCE_PREDICTED) != 0)
		ok = fail(d, XR_KEY(source), " '%s' is not " XR_SOURCE_MEASURED " or "
			   XR_SOURCE_PREDICTED, source);
	t->predicted = ok && strcmp(source, XR_SOURCE_PREDICTED) == 0;
	char timing[16] = XR_TIMING_CLEAN;
	if (ok && find(d, e, XR_KEY(timing)) >= 0 &&
	    (ok = get_text(d, e, XR_KEY_timing, timing, sizeof(timing))) &&
	    strcmp(timing, XR_TIMING_CLEAN) != 0 && strcmp(timing, XR_TIMING_WIDENED) != 0)
		ok = fail(d, XR_KEY(timing), " '%s' is not " XR_TIMING_CLEAN " or "
			   XR_TIMING_WIDENED, timing);
	t->widened = ok && strcmp(timing, XR_TIMING_WIDENED) == 0;
	d->p = tier_p;
	return ok;
}

/* devices: optional; each a model and, optionally, a fingerprint and serial. */
static bool tier_devices(struct doc *d, int i, struct xr_tier *t)
{
	const char *key = XR_KEY(devices);
	int dev = find(d, i, key);
	if (dev < 0)
		return true;
	if (d->t[dev].type != JSMN_ARRAY)
		return fail(d, key, " is not an array");
	if (d->t[dev].size > XR_MAX_LISTED)
		return fail(d, key, " has more than %d entries", XR_MAX_LISTED);
	const char *tier_p = d->p;
	char p[64];
	bool ok = true;
	int j = dev + 1;
	for (int q = 0; ok && q < d->t[dev].size; q++) {
		struct xr_listed *l = &t->listed[q];
		snprintf(p, sizeof(p), "%s.%s[%d]", tier_p, key, q);
		d->p = p;
		int fp = find(d, j, XR_KEY(fingerprint)), se = find(d, j, XR_KEY(serial));
		ok = get_text(d, j, XR_KEY_model, l->model, sizeof(l->model)) &&
		     (fp < 0 || text(d, fp, XR_KEY(fingerprint), l->fingerprint,
				     sizeof(l->fingerprint))) &&
		     (se < 0 || text(d, se, XR_KEY(serial), l->serial, sizeof(l->serial)));
		j = skip(d, j);
	}
	d->p = tier_p;
	t->nlisted = (size_t)d->t[dev].size;
	return ok;
}

/* rules: optional, and so is each of its keys. */
static bool tier_rules(struct doc *d, int i, struct xr_tier *t)
{
	int r;
	if (!get_object(d, i, XR_KEY_rules, true, &r))
		return false;
	if (r < 0)
		return true;
	char p[48];
	snprintf(p, sizeof(p), "%s.%s", d->p, XR_KEY(rules));
	const char *tier_p = d->p;
	d->p = p;
	struct xr_rules *u = &t->rules;
	bool ok = get_strings(d, r, XR_KEY_models, &u->models[0][0], sizeof(u->models[0]),
			      XR_MAX_PATTERNS, &u->nmodels) &&
		  get_strings(d, r, XR_KEY_socs, &u->socs[0][0], sizeof(u->socs[0]),
			      XR_MAX_PATTERNS, &u->nsocs) &&
		  get_strings(d, r, XR_KEY_cpu_features, &u->features[0][0],
			      sizeof(u->features[0]), XR_MAX_PATTERNS, &u->nfeatures) &&
		  get_bytes(d, r, XR_KEY_ram_min, true, &u->ram_min) &&
		  get_bytes(d, r, XR_KEY_ram_max, true, &u->ram_max);
	if (ok && u->ram_max && u->ram_max < u->ram_min)
		ok = fail(d, "", ": %s is below %s", XR_KEY(ram_max), XR_KEY(ram_min));
	d->p = tier_p;
	return ok;
}

static bool tier(struct doc *d, int i, struct xr_tier *t)
{
	memset(t, 0, sizeof(*t));
	if (i >= d->n || d->t[i].type != JSMN_OBJECT)
		return fail(d, "", " is not an object");
	if (!get_text(d, i, XR_KEY_name, t->name, sizeof(t->name)) ||
	    !get_text(d, i, XR_KEY_arch, t->arch, sizeof(t->arch)) ||
	    !get_text(d, i, XR_KEY_precision, t->precision, sizeof(t->precision)) ||
	    !get_text(d, i, XR_KEY_file, t->file, sizeof(t->file)) ||
	    !get_text(d, i, XR_KEY_sha256, t->sha256, sizeof(t->sha256)) ||
	    !get_bytes(d, i, XR_KEY_size, false, &t->size))
		return false;
	if (t->name[0] == '\0')
		return fail(d, XR_KEY(name), " is empty");
	if (strcmp(t->precision, "f32") != 0 && strcmp(t->precision, "int8") != 0)
		return fail(d, XR_KEY(precision), " '%s' is not f32 or int8", t->precision);
	if (t->file[0] == '\0' || strchr(t->file, '/') || strcmp(t->file, ".") == 0 ||
	    strcmp(t->file, "..") == 0)
		return fail(d, XR_KEY(file), " '%s' is not a plain file name", t->file);
	if (!is_sha256(t->sha256))
		return fail(d, XR_KEY(sha256), " is not 64 lowercase hex digits");
	if (t->size == 0)
		return fail(d, XR_KEY(size), " is 0");
	return tier_expected(d, i, t) && tier_devices(d, i, t) && tier_rules(d, i, t) &&
	       get_number(d, i, XR_KEY_probe_min, true, &t->probe_min);
}

/* format, version, supernet and budget. */
static bool header(struct doc *d, struct xr_manifest *out)
{
	char fmt[64];
	double version = 0, pct = 0;
	if (!get_text(d, 0, XR_KEY_format, fmt, sizeof(fmt)))
		return false;
	if (strcmp(fmt, XR_MANIFEST_FORMAT) != 0)
		return fail(d, NULL, "%s '%s' is not '" XR_MANIFEST_FORMAT "'", XR_KEY(format), fmt);
	if (!get_number(d, 0, XR_KEY_version, false, &version))
		return false;
	if (version != XR_MANIFEST_VERSION)
		return fail(d, NULL, "format version %g: this runtime reads version %d (update the runtime "
			    "or select again with a matching xnn-fleet)", version, XR_MANIFEST_VERSION);
	out->version = XR_MANIFEST_VERSION;
	int sn = find(d, 0, XR_KEY(supernet)), b;
	d->p = XR_KEY(supernet);
	if (!get_text(d, sn, XR_KEY_name, out->supernet, sizeof(out->supernet)) ||
	    !get_text(d, sn, XR_KEY_sha256, out->supernet_sha256, sizeof(out->supernet_sha256)))
		return false;
	if (!is_sha256(out->supernet_sha256))
		return fail(d, XR_KEY(sha256), " is not 64 lowercase hex digits");
	d->p = "";
	if (!get_object(d, 0, XR_KEY_budget, false, &b))
		return false;
	d->p = XR_KEY(budget);
	if (!get_number(d, b, XR_KEY_latency_ms, false, &out->budget_latency_ms) ||
	    !get_number(d, b, XR_KEY_percentile, false, &pct) ||
	    !get_bytes(d, b, XR_KEY_memory_bytes, false, &out->budget_memory) ||
	    !get_bytes(d, b, XR_KEY_size_bytes, false, &out->budget_size))
		return false;
	if (pct > 100)
		return fail(d, XR_KEY(percentile), " %g is over 100", pct);
	out->budget_percentile = pct;
	d->p = "";
	return true;
}

/* tiers (distinct names), then fallback: a tier's name, else the last. */
static bool tiers(struct doc *d, struct xr_manifest *out)
{
	const char *tp = XR_KEY(tiers);
	int ts = find(d, 0, tp);
	if (ts < 0 || d->t[ts].type != JSMN_ARRAY || d->t[ts].size == 0)
		return fail(d, NULL, "%s is %s", tp, ts < 0 ? "missing" : d->t[ts].type != JSMN_ARRAY
			    ? "not an array" : "empty");
	if (d->t[ts].size > XR_MAX_TIERS)
		return fail(d, NULL, "%s has %d entries (at most %d)", tp, d->t[ts].size, XR_MAX_TIERS);
	int j = ts + 1;
	for (size_t k = 0; k < (size_t)d->t[ts].size; k++) {
		char p[32];
		snprintf(p, sizeof(p), "%s[%zu]", tp, k);
		d->p = p;
		if (!tier(d, j, &out->tiers[k]))
			return false;
		for (size_t q = 0; q < k; q++)
			if (strcmp(out->tiers[q].name, out->tiers[k].name) == 0)
				return fail(d, XR_KEY(name), " '%s' is also %s[%zu]'s",
					    out->tiers[k].name, tp, q);
		j = skip(d, j);
	}
	d->p = "";
	out->ntiers = (size_t)d->t[ts].size;
	out->fallback = out->ntiers - 1;
	int fb = find(d, 0, XR_KEY(fallback));
	char fallback[64];
	if (fb < 0)
		return true;
	if (!get_text(d, 0, XR_KEY_fallback, fallback, sizeof(fallback)))
		return false;
	size_t k = 0;
	while (k < out->ntiers && strcmp(out->tiers[k].name, fallback) != 0)
		k++;
	if (k == out->ntiers)
		return fail(d, NULL, "%s names tier '%s', which is not in %s", XR_KEY(fallback), fallback,
			    tp);
	out->fallback = k;
	return true;
}

/* The byte where arrays and objects nest deeper than max in js (outside
 * strings; up to a NUL, where jsmn stops too), or -1. Checked before jsmn
 * fills its tokens: closing a bracket walks up from the last token, so its
 * time grows with the depth (60,000 nested '[': quadratic), and skip() and
 * the rest then only ever see a bounded depth. A '"' right after a
 * primitive's byte (`t"`) is *quote: jsmn takes it into the primitive, so
 * counting it as a string's start would hide the brackets after it. */
static long too_deep(const char *js, size_t len, int max, bool *quote)
{
	int depth = 0;
	bool in_string = false, escaped = false, in_prim = false;
	*quote = false;
	for (size_t i = 0; i < len && js[i]; i++) {
		char c = js[i];
		if (escaped) {
			escaped = false;
		} else if (in_string) {
			escaped = c == '\\';
			in_string = c != '"';
		} else if (c == '"') {
			if (in_prim) {
				*quote = true;
				return (long)i;
			}
			in_string = true;
		} else if (c == '[' || c == '{') {
			in_prim = false;
			if (++depth > max)
				return (long)i;
		} else if (c == ']' || c == '}') {
			in_prim = false;
			depth--;
		} else {
			in_prim = !(c == ',' || c == ':' || c == ' ' || c == '\t' || c == '\n' ||
				    c == '\r');
		}
	}
	return -1;
}

/* Whether the tokens are one JSON value as skip() counts it: an object's
 * children are keys (strings) with one value each, other strings and
 * primitives hold nothing, and every token after the first is inside it.
 * jsmn lets through `{"a"}`, `{"a": 1 "b": 2}` and `["a": 1]`; a token's
 * start is where a message points. */
static bool well_formed(const struct doc *d, int *bad)
{
	for (int i = 1; i < d->n; i++) {
		const jsmntok_t *t = &d->t[i];
		int up = t->parent;
		bool key = up >= 0 && d->t[up].type == JSMN_OBJECT;
		bool leaf = t->type == JSMN_STRING || t->type == JSMN_PRIMITIVE;
		if (up < 0 || (key && (t->type != JSMN_STRING || t->size != 1)) ||
		    (!key && leaf && t->size != 0)) {
			*bad = t->start;
			return false;
		}
	}
	return true;
}

bool xr_manifest_parse(const char *json, size_t len, struct xr_manifest *out, char *why,
		       size_t why_n)
{
	memset(out, 0, sizeof(*out));
	jsmn_parser p;
	jsmn_init(&p);
	int n = jsmn_parse(&p, json, len, NULL, 0);
	struct doc d = {.js = json, .why = why, .why_n = why_n, .p = ""};
	if (n < 1)
		return fail(&d, NULL, "the manifest is not JSON (%s)",
			    n == JSMN_ERROR_PART ? "it is cut" : n == 0 ? "it is empty"
			    : "a bad character");
	if (n > XR_MAX_TOKENS)
		return fail(&d, NULL, "the manifest has %d JSON tokens (at most %d): it is not one "
			    "xnn-fleet select wrote", n, XR_MAX_TOKENS);
	bool quote;
	long deep = too_deep(json, len, XR_MAX_DEPTH, &quote);
	if (deep >= 0 && quote)
		return fail(&d, NULL, "the manifest is not JSON (at byte %ld)", deep);
	if (deep >= 0)
		return fail(&d, NULL, "the manifest nests arrays and objects more than %d deep (at "
			    "byte %ld): it is not one xnn-fleet select wrote", XR_MAX_DEPTH, deep);
	d.t = malloc((size_t)n * sizeof(jsmntok_t));
	if (d.t == NULL)
		return fail(&d, NULL, "out of memory");
	jsmn_init(&p);
	d.n = jsmn_parse(&p, json, len, d.t, (unsigned)n);
	bool ok = false;
	int bad;
	if (d.n != n || d.t[0].type != JSMN_OBJECT)
		fail(&d, NULL, "the manifest is not a JSON object");
	else if (!well_formed(&d, &bad))
		fail(&d, NULL, bad < d.t[0].end ? "the manifest is not JSON (at byte %d: a key "
		     "without a value, or a missing comma)" : "the manifest has more than one JSON "
		     "value (at byte %d)", bad);
	else
		ok = header(&d, out) && tiers(&d, out);
	free(d.t);
	return ok;
}

/* ---- tier choice --------------------------------------------------------------------- */

static bool has_feature(const char *features, const char *want)
{
	size_t n = strlen(want);
	for (const char *p = features; *p;) {
		size_t len = strcspn(p, " \t");
		if (len == n && strncmp(p, want, n) == 0)
			return true;
		p += len;
		p += strspn(p, " \t");
	}
	return false;
}

static bool any_glob(const char (*pats)[128], size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(pats[i], value, 0) == 0)
			return true;
	return false;
}

/* Whether tier t's rules match; an empty rule set matches nothing. */
static bool rules_match(const struct xr_rules *r, const struct xr_identity *id)
{
	if (r->nmodels == 0 && r->nsocs == 0 && r->ram_min == 0 && r->ram_max == 0 &&
	    r->nfeatures == 0)
		return false;
	if (r->nmodels && !any_glob(r->models, r->nmodels, id->model))
		return false;
	if (r->nsocs && !any_glob(r->socs, r->nsocs, id->soc))
		return false;
	if (r->ram_min && id->ram_bytes < r->ram_min)
		return false;
	if (r->ram_max && (id->ram_bytes == 0 || id->ram_bytes > r->ram_max))
		return false;
	for (size_t i = 0; i < r->nfeatures; i++)
		if (!has_feature(id->features, r->features[i]))
			return false;
	return true;
}

size_t xr_manifest_choose(const struct xr_manifest *m, double (*probe)(void),
			  const struct xr_identity *id, double *score, char *why, size_t why_n)
{
	for (size_t t = 0; t < m->ntiers; t++)
		for (size_t k = 0; k < m->tiers[t].nlisted; k++) {
			const struct xr_listed *l = &m->tiers[t].listed[k];
			if (strcmp(l->model, id->model) == 0 &&
			    (l->fingerprint[0] == '\0' || strcmp(l->fingerprint, id->fingerprint) == 0)) {
				if (id->model[0])
					snprintf(why, why_n, "listed: model '%.100s' (%.100s) was "
						 "measured in this tier", id->model, id->fingerprint);
				else  /* a host: no model name */
					snprintf(why, why_n, "listed: a device with no model name "
						 "(%.100s) was measured in this tier", id->fingerprint);
				return t;
			}
		}
	for (size_t t = 0; t < m->ntiers; t++)
		if (rules_match(&m->tiers[t].rules, id)) {
			snprintf(why, why_n, "rules: model '%.100s', SoC '%.100s' match the tier's "
				 "rules", id->model, id->soc);
			return t;
		}
	bool any = false;
	for (size_t t = 0; t < m->ntiers; t++)
		any = any || m->tiers[t].probe_min > 0;
	if (any) {
		if (*score < 0)
			*score = probe ? probe() : 0;
		for (size_t t = 0; t < m->ntiers; t++)
			if (m->tiers[t].probe_min > 0 && *score >= m->tiers[t].probe_min) {
				snprintf(why, why_n, "probe: score %.1f >= the tier's %.1f", *score,
					 m->tiers[t].probe_min);
				return t;
			}
	}
	snprintf(why, why_n, "fallback: not listed, no rule matched%s", any ? ", probe too slow"
		 : "");
	return m->fallback;
}
