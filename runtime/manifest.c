/* manifest.c - reading the manifest with jsmn (Debian's header-only
 * libjsmn-dev): tokens first, then each known key checked and copied. */
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

#include "manifest.h"
#include "xr.h"

struct doc {
	const char *js;
	jsmntok_t *t;
	int n;
	char *why;
	size_t why_n;
};

__attribute__((format(printf, 2, 3)))
static bool fail(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->why, d->why_n, fmt, ap);
	va_end(ap);
	return false;
}

/* The index just past token i and everything inside it. */
static int skip(const struct doc *d, int i)
{
	if (i >= d->n)
		return d->n;
	int end = i + 1;
	for (int left = d->t[i].size; left > 0 && end < d->n; left--) {
		if (d->t[i].type == JSMN_OBJECT)
			end++;  /* the key; its value follows */
		end = skip(d, end);
	}
	return end;
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

/* Copies string token i, unescaped (\uXXXX as UTF-8), into out; false when
 * it is not a string, is malformed, holds a NUL or does not fit. */
static bool text(struct doc *d, int i, const char *what, char *out, size_t n)
{
	if (i < 0 || i >= d->n)
		return fail(d, "%s is missing", what);
	if (d->t[i].type != JSMN_STRING)
		return fail(d, "%s is not a string", what);
	const char *s = d->js + d->t[i].start, *e = d->js + d->t[i].end;
	size_t k = 0;
	while (s < e) {
		unsigned c = (unsigned char)*s++;
		if (c == '\\') {
			if (s >= e)
				return fail(d, "%s: a bad escape", what);
			char x = *s++;
			switch (x) {
			case '"': case '\\': case '/': c = (unsigned char)x; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				if (e - s < 4)
					return fail(d, "%s: a bad \\u escape", what);
				c = 0;
				for (int q = 0; q < 4; q++) {
					int h = hexval(s[q]);
					if (h < 0)
						return fail(d, "%s: a bad \\u escape", what);
					c = c << 4 | (unsigned)h;
				}
				s += 4;
				break;
			}
			default:
				return fail(d, "%s: a bad escape", what);
			}
		}
		if (c == 0)
			return fail(d, "%s holds a NUL", what);
		/* UTF-8 for what a \u escape gave (surrogates are kept as is) */
		unsigned char buf[3];
		size_t len = 1;
		if (c < 0x80 || c > 0xffff) {
			buf[0] = (unsigned char)c;
		} else if (c < 0x800) {
			buf[0] = (unsigned char)(0xc0 | c >> 6);
			buf[1] = (unsigned char)(0x80 | (c & 0x3f));
			len = 2;
		} else {
			buf[0] = (unsigned char)(0xe0 | c >> 12);
			buf[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
			buf[2] = (unsigned char)(0x80 | (c & 0x3f));
			len = 3;
		}
		if (k + len >= n)
			return fail(d, "%s is longer than %zu bytes", what, n - 1);
		memcpy(out + k, buf, len);
		k += len;
	}
	out[k] = '\0';
	return true;
}

/* A number token (finite, >= lo) into *v; absent is 'missing' unless
 * optional (then *v is left). */
static bool number(struct doc *d, int i, const char *what, bool optional, double lo, double *v)
{
	if (i < 0 || i >= d->n)
		return optional ? true : fail(d, "%s is missing", what);
	char buf[64];
	size_t len = (size_t)(d->t[i].end - d->t[i].start);
	char c = d->js[d->t[i].start];
	if (d->t[i].type != JSMN_PRIMITIVE || len >= sizeof(buf) || !(c == '-' || (c >= '0' && c <= '9')))
		return fail(d, "%s is not a number", what);
	memcpy(buf, d->js + d->t[i].start, len);
	buf[len] = '\0';
	char *end;
	double x = strtod(buf, &end);
	if (*end || !isfinite(x) || x < lo)
		return fail(d, "%s is not a number >= %g", what, lo);
	*v = x;
	return true;
}

static bool bytes(struct doc *d, int i, const char *what, bool optional, uint64_t *v)
{
	double x = (double)*v;
	if (!number(d, i, what, optional, 0, &x))
		return false;
	if (x > 9.0e15 || x != floor(x))
		return fail(d, "%s is not a whole byte count", what);
	*v = (uint64_t)x;
	return true;
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

/* An array of strings (absent = empty) into n slots of width w. */
static bool strings(struct doc *d, int i, const char *what, char *out, size_t w, size_t max,
		    size_t *count)
{
	*count = 0;
	if (i < 0 || i >= d->n)
		return true;
	if (d->t[i].type != JSMN_ARRAY)
		return fail(d, "%s is not an array", what);
	if ((size_t)d->t[i].size > max)
		return fail(d, "%s has %d entries (at most %zu)", what, d->t[i].size, max);
	int j = i + 1;
	for (int k = 0; k < d->t[i].size; k++) {
		char name[96];
		snprintf(name, sizeof(name), "%s[%d]", what, k);
		if (!text(d, j, name, out + (size_t)k * w, w))
			return false;
		j = skip(d, j);
	}
	*count = (size_t)d->t[i].size;
	return true;
}

static bool tier(struct doc *d, int i, size_t k, struct xr_tier *t)
{
	char w[96];
	memset(t, 0, sizeof(*t));
#define FIELD(name) (snprintf(w, sizeof(w), "tiers[%zu].%s", k, name), w)
	if (i >= d->n || d->t[i].type != JSMN_OBJECT)
		return fail(d, "tiers[%zu] is not an object", k);
	if (!text(d, find(d, i, "name"), FIELD("name"), t->name, sizeof(t->name)) ||
	    !text(d, find(d, i, "arch"), FIELD("arch"), t->arch, sizeof(t->arch)) ||
	    !text(d, find(d, i, "precision"), FIELD("precision"), t->precision,
		  sizeof(t->precision)) ||
	    !text(d, find(d, i, "file"), FIELD("file"), t->file, sizeof(t->file)) ||
	    !text(d, find(d, i, "sha256"), FIELD("sha256"), t->sha256, sizeof(t->sha256)) ||
	    !bytes(d, find(d, i, "size"), FIELD("size"), false, &t->size))
		return false;
	if (t->name[0] == '\0')
		return fail(d, "tiers[%zu].name is empty", k);
	if (strcmp(t->precision, "f32") != 0 && strcmp(t->precision, "int8") != 0)
		return fail(d, "tiers[%zu].precision '%s' is not f32 or int8", k, t->precision);
	if (t->file[0] == '\0' || strchr(t->file, '/') || strcmp(t->file, ".") == 0 ||
	    strcmp(t->file, "..") == 0)
		return fail(d, "tiers[%zu].file '%s' is not a plain file name", k, t->file);
	if (!is_sha256(t->sha256))
		return fail(d, "tiers[%zu].sha256 is not 64 lowercase hex digits", k);
	if (t->size == 0)
		return fail(d, "tiers[%zu].size is 0", k);
	int e = find(d, i, "expected");
	if (e < 0 || e >= d->n || d->t[e].type != JSMN_OBJECT)
		return fail(d, "tiers[%zu].expected is %s", k, e < 0 ? "missing" : "not an object");
	char source[16];
	t->top1 = NAN;
	if (!number(d, find(d, e, "latency_ms"), FIELD("expected.latency_ms"), false, 0,
		    &t->latency_ms) ||
	    !number(d, find(d, e, "memory_bytes"), FIELD("expected.memory_bytes"), false, 0,
		    &t->memory_bytes) ||
	    !number(d, find(d, e, "top1"), FIELD("expected.top1"), true, 0, &t->top1) ||
	    !text(d, find(d, e, "source"), FIELD("expected.source"), source, sizeof(source)))
		return false;
	if (strcmp(source, "measured") != 0 && strcmp(source, "predicted") != 0)
		return fail(d, "tiers[%zu].expected.source '%s' is not measured or predicted", k,
			    source);
	t->predicted = strcmp(source, "predicted") == 0;
	int dev = find(d, i, "devices");
	if (dev >= 0) {
		if (d->t[dev].type != JSMN_ARRAY)
			return fail(d, "tiers[%zu].devices is not an array", k);
		if (d->t[dev].size > XR_MAX_LISTED)
			return fail(d, "tiers[%zu].devices has more than %d entries", k, XR_MAX_LISTED);
		int j = dev + 1;
		for (int q = 0; q < d->t[dev].size; q++) {
			struct xr_listed *l = &t->listed[q];
			snprintf(w, sizeof(w), "tiers[%zu].devices[%d].model", k, q);
			if (!text(d, find(d, j, "model"), w, l->model, sizeof(l->model)))
				return false;
			int fp = find(d, j, "fingerprint");
			snprintf(w, sizeof(w), "tiers[%zu].devices[%d].fingerprint", k, q);
			if (fp >= 0 && !text(d, fp, w, l->fingerprint, sizeof(l->fingerprint)))
				return false;
			j = skip(d, j);
		}
		t->nlisted = (size_t)d->t[dev].size;
	}
	int r = find(d, i, "rules");
	if (r >= 0) {
		struct xr_rules *u = &t->rules;
		if (d->t[r].type != JSMN_OBJECT)
			return fail(d, "tiers[%zu].rules is not an object", k);
		if (!strings(d, find(d, r, "models"), FIELD("rules.models"), &u->models[0][0],
			     sizeof(u->models[0]), XR_MAX_PATTERNS, &u->nmodels) ||
		    !strings(d, find(d, r, "socs"), FIELD("rules.socs"), &u->socs[0][0],
			     sizeof(u->socs[0]), XR_MAX_PATTERNS, &u->nsocs) ||
		    !strings(d, find(d, r, "cpu_features"), FIELD("rules.cpu_features"),
			     &u->features[0][0], sizeof(u->features[0]), XR_MAX_PATTERNS,
			     &u->nfeatures) ||
		    !bytes(d, find(d, r, "ram_min"), FIELD("rules.ram_min"), true, &u->ram_min) ||
		    !bytes(d, find(d, r, "ram_max"), FIELD("rules.ram_max"), true, &u->ram_max))
			return false;
		if (u->ram_max && u->ram_max < u->ram_min)
			return fail(d, "tiers[%zu].rules: ram_max is below ram_min", k);
	}
	return number(d, find(d, i, "probe_min"), FIELD("probe_min"), true, 0, &t->probe_min);
#undef FIELD
}

bool xr_manifest_parse(const char *json, size_t len, struct xr_manifest *out, char *why,
		       size_t why_n)
{
	memset(out, 0, sizeof(*out));
	jsmn_parser p;
	jsmn_init(&p);
	int n = jsmn_parse(&p, json, len, NULL, 0);
	struct doc d = {json, NULL, 0, why, why_n};
	if (n < 1)
		return fail(&d, "the manifest is not JSON (%s)",
			    n == JSMN_ERROR_PART ? "it is cut" : n == 0 ? "it is empty"
			    : "a bad character");
	if (n > 100000)
		return fail(&d, "the manifest has %d JSON tokens (at most 100000)", n);
	d.t = malloc((size_t)n * sizeof(jsmntok_t));
	if (d.t == NULL)
		return fail(&d, "out of memory");
	jsmn_init(&p);
	d.n = jsmn_parse(&p, json, len, d.t, (unsigned)n);
	bool ok = false;
	char fmt[64];
	double version = 0, pct = 0;
	int sn = -1, b = -1, tiers = -1;
	if (d.n != n || d.t[0].type != JSMN_OBJECT) {
		fail(&d, "the manifest is not a JSON object");
		goto out;
	}
	if (skip(&d, 0) != d.n) {
		fail(&d, "the manifest has more than one JSON value");
		goto out;
	}
	if (!text(&d, find(&d, 0, "format"), "format", fmt, sizeof(fmt)))
		goto out;
	if (strcmp(fmt, XR_MANIFEST_FORMAT) != 0) {
		fail(&d, "format '%s' is not '" XR_MANIFEST_FORMAT "'", fmt);
		goto out;
	}
	if (!number(&d, find(&d, 0, "version"), "version", false, 0, &version))
		goto out;
	if (version != XR_MANIFEST_VERSION) {
		fail(&d, "format version %g: this runtime reads version %d (update the runtime or "
			 "select again with a matching xnn-fleet)", version, XR_MANIFEST_VERSION);
		goto out;
	}
	out->version = XR_MANIFEST_VERSION;
	sn = find(&d, 0, "supernet");
	if (!text(&d, find(&d, sn, "name"), "supernet.name", out->supernet, sizeof(out->supernet)) ||
	    !text(&d, find(&d, sn, "sha256"), "supernet.sha256", out->supernet_sha256,
		  sizeof(out->supernet_sha256)))
		goto out;
	if (!is_sha256(out->supernet_sha256)) {
		fail(&d, "supernet.sha256 is not 64 lowercase hex digits");
		goto out;
	}
	b = find(&d, 0, "budget");
	if (b < 0 || d.t[b].type != JSMN_OBJECT) {
		fail(&d, "budget is %s", b < 0 ? "missing" : "not an object");
		goto out;
	}
	if (!number(&d, find(&d, b, "latency_ms"), "budget.latency_ms", false, 0,
		    &out->budget_latency_ms) ||
	    !number(&d, find(&d, b, "percentile"), "budget.percentile", false, 0, &pct) ||
	    !bytes(&d, find(&d, b, "memory_bytes"), "budget.memory_bytes", false,
		   &out->budget_memory) ||
	    !bytes(&d, find(&d, b, "size_bytes"), "budget.size_bytes", false, &out->budget_size))
		goto out;
	if (pct > 100) {
		fail(&d, "budget.percentile %g is over 100", pct);
		goto out;
	}
	out->budget_percentile = pct;
	tiers = find(&d, 0, "tiers");
	if (tiers < 0 || d.t[tiers].type != JSMN_ARRAY || d.t[tiers].size == 0) {
		fail(&d, "tiers is %s", tiers < 0 ? "missing" : d.t[tiers].type != JSMN_ARRAY
			 ? "not an array" : "empty");
		goto out;
	}
	if (d.t[tiers].size > XR_MAX_TIERS) {
		fail(&d, "tiers has %d entries (at most %d)", d.t[tiers].size, XR_MAX_TIERS);
		goto out;
	}
	int j = tiers + 1;
	for (size_t k = 0; k < (size_t)d.t[tiers].size; k++) {
		if (!tier(&d, j, k, &out->tiers[k]))
			goto out;
		for (size_t q = 0; q < k; q++)
			if (strcmp(out->tiers[q].name, out->tiers[k].name) == 0) {
				fail(&d, "tiers[%zu].name '%s' is also tiers[%zu]'s", k,
				     out->tiers[k].name, q);
				goto out;
			}
		j = skip(&d, j);
	}
	out->ntiers = (size_t)d.t[tiers].size;
	out->fallback = out->ntiers - 1;
	int fb = find(&d, 0, "fallback");
	if (fb >= 0) {
		char name[64];
		if (!text(&d, fb, "fallback", name, sizeof(name)))
			goto out;
		size_t k = 0;
		while (k < out->ntiers && strcmp(out->tiers[k].name, name) != 0)
			k++;
		if (k == out->ntiers) {
			fail(&d, "fallback names tier '%s', which is not in tiers", name);
			goto out;
		}
		out->fallback = k;
	}
	ok = true;
out:
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
				snprintf(why, why_n, "listed: model '%.100s' (%.100s) was measured in "
					 "this tier", id->model, id->fingerprint);
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
