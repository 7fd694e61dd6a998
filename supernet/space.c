/* space.c - the search space of an .xsn file: "key=value" lines.
 *
 * Numbers are parsed here, not with strtof: an app may have set a locale whose
 * decimal point is a comma. Unknown keys are ignored (a later writer may add
 * facts); every key below is required. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs.h"

#define fail XK_FAIL

static const char *const status_text[] = {
#define XS_X(name, text) text,
	XS_STATUS_LIST(XS_X)
#undef XS_X
};

const char *xs_strerror(enum xs_status s)
{
	if ((size_t)s >= sizeof(status_text) / sizeof(status_text[0]))
		return "unknown status";
	return status_text[s];
}

/* An unsigned decimal of at most 9 digits, to the end of s or a ','. */
static bool parse_u32(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint32_t v = 0;
	int n = 0;
	while (*p >= '0' && *p <= '9' && n < 10) {
		v = v * 10 + (uint32_t)(*p++ - '0');
		n++;
	}
	if (n == 0 || n > 9)
		return false;
	*out = v;
	*s = p;
	return true;
}

/* [-]digits[.digits][e[+-]digits], rounded once to double, then to float. */
static bool parse_float(const char *s, float *out)
{
	bool neg = *s == '-';
	s += neg;
	uint64_t mant = 0;
	int digits = 0, exp10 = 0;
	bool any = false;
	for (; *s >= '0' && *s <= '9'; s++, any = true)
		if (digits < 18) {
			mant = mant * 10 + (uint64_t)(*s - '0');
			digits += mant != 0;
		} else {
			exp10++;
		}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, any = true)
			if (digits < 18) {
				mant = mant * 10 + (uint64_t)(*s - '0');
				digits += mant != 0;
				exp10--;
			}
	if (!any)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		bool eneg = *s == '-';
		s += *s == '-' || *s == '+';
		uint32_t e;
		if (!parse_u32(&s, &e) || e > 60)
			return false;
		exp10 += eneg ? -(int)e : (int)e;
	}
	if (*s != '\0' || exp10 < -60 || exp10 > 60)
		return false;
	double v = (double)mant, p10 = 1.0;
	for (int i = 0; i < (exp10 < 0 ? -exp10 : exp10); i++)
		p10 *= 10.0; /* exact up to 1e22 */
	v = exp10 < 0 ? v / p10 : v * p10;
	*out = (float)(neg ? -v : v);
	return true;
}

/* A comma-separated list of 1..XS_MAX_CHOICES unsigned numbers. */
static bool parse_list(const char *s, uint32_t *n, uint32_t *vals)
{
	*n = 0;
	for (;;) {
		if (*n == XS_MAX_CHOICES || !parse_u32(&s, &vals[*n]))
			return false;
		(*n)++;
		if (*s == '\0')
			return true;
		if (*s++ != ',')
			return false;
	}
}

static bool ascending(uint32_t n, const uint32_t *v)
{
	for (uint32_t i = 1; i < n; i++)
		if (v[i] <= v[i - 1])
			return false;
	return n > 0;
}

/* "a,b,c,act" style: count numbers, then an optional activation name. */
static bool parse_tuple(const char *s, uint32_t count, uint32_t *vals,
			enum xk_act *act)
{
	for (uint32_t i = 0; i < count; i++) {
		if (!parse_u32(&s, &vals[i]) || *s++ != ',')
			return false;
	}
	return act ? xk_act_parse(s, act) : *s == '\0';
}

enum {
	K_NAME, K_INPUT, K_MEAN, K_STD, K_RES, K_STEM, K_STAGES, K_DEPTHS,
	K_EXPANDS, K_KERNELS, K_HEAD, K_CLASSES, K_EPS, K_TRANSFORM, K_RECAL,
	K_VAL, K_COUNT
};
static const char *const keys[K_COUNT] = {
	"name", "input", "mean", "std", "resolutions", "stem", "stages",
	"depths", "expands", "kernels", "head", "classes", "bn_eps",
	"kernel_transform", "recal_images", "val_images"};

enum xs_status xs_space_parse(const char *text, size_t len,
			      struct xs_space *out, struct xs_error *err)
{
	struct xs_space sp;
	memset(&sp, 0, sizeof(sp));
	bool seen[K_COUNT] = {false};
	uint32_t stage_seen = 0;
	size_t line_no = 0;
	for (size_t pos = 0; pos < len; line_no++) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		if (nl == NULL)
			fail(err, XS_EFORMAT, "space: line %zu has no newline",
			     line_no + 1);
		size_t n = (size_t)(nl - (text + pos));
		char line[256];
		if (n >= sizeof(line))
			fail(err, XS_EFORMAT, "space: line %zu is longer than %zu bytes",
			     line_no + 1, sizeof(line) - 1);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (memchr(line, '\0', n) != NULL)
			fail(err, XS_EFORMAT, "space: line %zu holds a NUL byte", line_no + 1);
		char *eq = strchr(line, '=');
		if (eq == NULL)
			fail(err, XS_EFORMAT, "space: line %zu is not key=value", line_no + 1);
		*eq = '\0';
		const char *key = line, *val = eq + 1;
		bool ok = true;
		int k;
		for (k = 0; k < K_COUNT; k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		uint32_t v[4] = {0, 0, 0, 0};
		if (strncmp(key, "stage", 5) == 0 && key[5] >= '1' && key[5] <= '9' &&
		    key[6] == '\0') {
			uint32_t i = (uint32_t)(key[5] - '1');
			ok = i < XS_MAX_STAGES &&
			     parse_tuple(val, 2, v, &sp.stage[i].act);
			if (ok) {
				sp.stage[i].out = v[0];
				sp.stage[i].stride = v[1];
				stage_seen |= 1u << i;
			}
		} else if (k == K_COUNT) {
			continue; /* unknown keys are ignored */
		} else {
			if (seen[k])
				fail(err, XS_EFORMAT, "space: key '%.40s' given twice", key);
			seen[k] = true;
			const char *s = val;
			switch (k) {
			case K_NAME:
				ok = strlen(val) > 0 && strlen(val) < sizeof(sp.name);
				if (ok)
					strcpy(sp.name, val);
				break;
			case K_INPUT:
				ok = parse_u32(&s, &sp.in_c) && *s++ == 'x' &&
				     parse_u32(&s, &sp.in_h) && *s++ == 'x' &&
				     parse_u32(&s, &sp.in_w) && *s == '\0';
				break;
			case K_MEAN:
				ok = parse_float(val, &sp.mean);
				break;
			case K_STD:
				ok = parse_float(val, &sp.std) && sp.std > 0;
				break;
			case K_RES:
				ok = parse_list(val, &sp.nres, sp.res) &&
				     ascending(sp.nres, sp.res);
				break;
			case K_STEM:
				ok = parse_tuple(val, 3, v, &sp.stem_act);
				sp.stem_out = v[0];
				sp.stem_k = v[1];
				sp.stem_s = v[2];
				break;
			case K_STAGES:
				ok = parse_u32(&s, &sp.nstages) && *s == '\0';
				break;
			case K_DEPTHS:
				ok = parse_list(val, &sp.ndepths, sp.depths) &&
				     ascending(sp.ndepths, sp.depths);
				break;
			case K_EXPANDS:
				ok = parse_list(val, &sp.nexpands, sp.expands) &&
				     ascending(sp.nexpands, sp.expands);
				break;
			case K_KERNELS:
				ok = parse_list(val, &sp.nkernels, sp.kernels) &&
				     ascending(sp.nkernels, sp.kernels);
				break;
			case K_HEAD:
				ok = parse_tuple(val, 1, v, &sp.head_act);
				sp.head_out = v[0];
				break;
			case K_CLASSES:
				ok = parse_u32(&s, &sp.classes) && *s == '\0';
				break;
			case K_EPS:
				ok = parse_float(val, &sp.bn_eps) && sp.bn_eps > 0;
				break;
			case K_TRANSFORM:
				ok = (val[0] == '0' || val[0] == '1') && val[1] == '\0';
				sp.kernel_transform = val[0] == '1';
				break;
			case K_RECAL:
				ok = parse_u32(&s, &sp.recal_images) && *s == '\0';
				break;
			case K_VAL:
				ok = parse_u32(&s, &sp.val_images) && *s == '\0';
				break;
			}
		}
		if (!ok)
			fail(err, XS_EFORMAT, "space: bad value for '%.40s': '%.60s'", key, val);
	}
	for (int k = 0; k < K_COUNT; k++)
		if (!seen[k])
			fail(err, XS_EFORMAT, "space: key '%s' is missing", keys[k]);
	/* Ranges that keep every later size computation small. */
	if (sp.nstages < 1 || sp.nstages > XS_MAX_STAGES ||
	    stage_seen != (1u << sp.nstages) - 1)
		fail(err, XS_EFORMAT, "space: stages=%u needs stage1..stage%u, at most %d",
		     sp.nstages, sp.nstages, XS_MAX_STAGES);
	if (sp.in_c < 1 || sp.in_c > 4 || sp.in_h < 1 || sp.in_h > 1024 ||
	    sp.in_w < 1 || sp.in_w > 1024)
		fail(err, XS_EFORMAT, "space: input %ux%ux%u out of range", sp.in_c,
		     sp.in_h, sp.in_w);
	if (sp.res[0] < 1 || sp.res[sp.nres - 1] > 1024)
		fail(err, XS_EFORMAT, "space: resolutions must be 1 to 1024");
	if (sp.stem_out < 1 || sp.stem_out > 4096 || sp.stem_k % 2 == 0 ||
	    sp.stem_k > XK_CONV_MAX_KERNEL || sp.stem_k * sp.stem_k * sp.in_c > XK_CONV_MAX_PATCH ||
	    (sp.stem_s != 1 && sp.stem_s != 2))
		fail(err, XS_EFORMAT, "space: stem %u,%u,%u not supported", sp.stem_out,
		     sp.stem_k, sp.stem_s);
	for (uint32_t i = 0; i < sp.nstages; i++)
		if (sp.stage[i].out < 1 || sp.stage[i].out > 4096 ||
		    (sp.stage[i].stride != 1 && sp.stage[i].stride != 2))
			fail(err, XS_EFORMAT, "space: stage%u=%u,%u not supported", i + 1,
			     sp.stage[i].out, sp.stage[i].stride);
	if (sp.depths[0] < 1 || sp.depths[sp.ndepths - 1] > XS_MAX_DEPTH)
		fail(err, XS_EFORMAT, "space: depths must be 1 to %d", XS_MAX_DEPTH);
	if (sp.expands[0] < 1 || sp.expands[sp.nexpands - 1] > 16)
		fail(err, XS_EFORMAT, "space: expands must be 1 to 16");
	for (uint32_t i = 0; i < sp.nkernels; i++)
		if (sp.kernels[i] != 3 && sp.kernels[i] != 5 && sp.kernels[i] != 7)
			fail(err, XS_EFORMAT, "space: kernels: %u not supported (3, 5 or 7)",
			     sp.kernels[i]);
	if (sp.head_out < 1 || sp.head_out > 8192 || sp.classes < 1 ||
	    sp.classes > 100000)
		fail(err, XS_EFORMAT, "space: head %u or classes %u out of range",
		     sp.head_out, sp.classes);
	*out = sp;
	return XS_OK;
}

/* Appends to buf like snprintf, tracking the length it would need. */
static void put(char *buf, size_t n, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(*len < n ? buf + *len : NULL, *len < n ? n - *len : 0, fmt, ap);
	va_end(ap);
	*len += w > 0 ? (size_t)w : 0;
}

static void put_list(char *buf, size_t n, size_t *len, const char *key,
		     uint32_t count, const uint32_t *v)
{
	put(buf, n, len, "%s=", key);
	for (uint32_t i = 0; i < count; i++)
		put(buf, n, len, "%s%u", i ? "," : "", v[i]);
	put(buf, n, len, "\n");
}

size_t xs_space_print(const struct xs_space *sp, char *buf, size_t n)
{
	size_t len = 0;
	if (n > 0)
		buf[0] = '\0';
	/* floats: %.9g reads back to the same float */
	put(buf, n, &len, "name=%s\ninput=%ux%ux%u\nmean=%.9g\nstd=%.9g\n", sp->name,
	    sp->in_c, sp->in_h, sp->in_w, (double)sp->mean, (double)sp->std);
	put_list(buf, n, &len, "resolutions", sp->nres, sp->res);
	put(buf, n, &len, "stem=%u,%u,%u,%s\nstages=%u\n", sp->stem_out, sp->stem_k,
	    sp->stem_s, xk_act_name(sp->stem_act), sp->nstages);
	for (uint32_t i = 0; i < sp->nstages; i++)
		put(buf, n, &len, "stage%u=%u,%u,%s\n", i + 1, sp->stage[i].out,
		    sp->stage[i].stride, xk_act_name(sp->stage[i].act));
	put_list(buf, n, &len, "depths", sp->ndepths, sp->depths);
	put_list(buf, n, &len, "expands", sp->nexpands, sp->expands);
	put_list(buf, n, &len, "kernels", sp->nkernels, sp->kernels);
	put(buf, n, &len, "head=%u,%s\nclasses=%u\nbn_eps=%.9g\nkernel_transform=%d\n"
	    "recal_images=%u\nval_images=%u\n", sp->head_out, xk_act_name(sp->head_act),
	    sp->classes, (double)sp->bn_eps, sp->kernel_transform ? 1 : 0,
	    sp->recal_images, sp->val_images);
	return len;
}

static bool visit(bool (*fn)(const struct xs_tensor_desc *, void *), void *ctx,
		  size_t *count, const char *name, uint32_t ndim, uint32_t d0,
		  uint32_t d1, uint32_t d2, uint32_t d3)
{
	struct xs_tensor_desc d = {{0}, ndim, {d0, d1, d2, d3}};
	snprintf(d.name, sizeof(d.name), "%s", name);
	(*count)++;
	return fn(&d, ctx);
}

static bool visit_bn(bool (*fn)(const struct xs_tensor_desc *, void *), void *ctx,
		     size_t *count, const char *prefix, uint32_t c)
{
	static const char *const parts[] = {"weight", "bias", "running_mean", "running_var"};
	for (int i = 0; i < 4; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%.40s.%s", prefix, parts[i]);
		if (!visit(fn, ctx, count, name, 1, c, 0, 0, 0))
			return false;
	}
	return true;
}

size_t xs_space_tensors(const struct xs_space *sp,
			bool (*fn)(const struct xs_tensor_desc *d, void *ctx),
			void *ctx)
{
	size_t n = 0;
	const uint32_t kmax = sp->kernels[sp->nkernels - 1];
	const uint32_t emax = sp->expands[sp->nexpands - 1];
	const uint32_t dmax = sp->depths[sp->ndepths - 1];
	char name[64], p[32];
	if (!visit(fn, ctx, &n, "stem.weight", 4, sp->stem_out, sp->in_c, sp->stem_k,
		   sp->stem_k) ||
	    !visit_bn(fn, ctx, &n, "stem_bn", sp->stem_out))
		return n;
	uint32_t c = sp->stem_out;
	for (uint32_t st = 0; st < sp->nstages; st++)
		for (uint32_t b = 0; b < dmax; b++) {
			uint32_t mid = c * emax, out = sp->stage[st].out;
			snprintf(p, sizeof(p), "stages.%u.%u", st, b);
			snprintf(name, sizeof(name), "%s.pw1", p);
			if (!visit(fn, ctx, &n, name, 4, mid, c, 1, 1))
				return n;
			snprintf(name, sizeof(name), "%s.bn1", p);
			if (!visit_bn(fn, ctx, &n, name, mid))
				return n;
			snprintf(name, sizeof(name), "%s.dw", p);
			if (!visit(fn, ctx, &n, name, 4, mid, 1, kmax, kmax))
				return n;
			for (uint32_t i = 0; sp->kernel_transform && i + 1 < sp->nkernels; i++) {
				uint32_t k = sp->kernels[i];
				snprintf(name, sizeof(name), "%s.t%u", p, k);
				if (!visit(fn, ctx, &n, name, 2, k * k, k * k, 0, 0))
					return n;
			}
			snprintf(name, sizeof(name), "%s.bn2", p);
			if (!visit_bn(fn, ctx, &n, name, mid))
				return n;
			snprintf(name, sizeof(name), "%s.pw2", p);
			if (!visit(fn, ctx, &n, name, 4, out, mid, 1, 1))
				return n;
			snprintf(name, sizeof(name), "%s.bn3", p);
			if (!visit_bn(fn, ctx, &n, name, out))
				return n;
			c = out;
		}
	if (visit(fn, ctx, &n, "head.weight", 4, sp->head_out, c, 1, 1) &&
	    visit_bn(fn, ctx, &n, "head_bn", sp->head_out) &&
	    visit(fn, ctx, &n, "fc.weight", 2, sp->classes, sp->head_out, 0, 0))
		visit(fn, ctx, &n, "fc.bias", 1, sp->classes, 0, 0, 0);
	return n;
}
