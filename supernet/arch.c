/* arch.c - sub-nets of a space: the canonical arch string, checks, the
 * largest and smallest, seeded random samples, enumeration, MACs, params.
 *
 *   r28-d3.2.1.3-s1:e4k7,e3k5,e4k3-s2:e2k3,e4k5-s3:e3k7-s4:e2k3,e3k3,e4k7
 *
 * The parser takes exactly the canonical form (no spaces, no leading zeros,
 * every stage in order with as many blocks as its depth), so that a string
 * is a key: two strings of one sub-net are equal. */
#include <stdio.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs.h"

#define fail XK_FAIL

static bool in_list(uint32_t v, uint32_t n, const uint32_t *list)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* A canonical unsigned number: digits, no leading zero, at most 4 digits. */
static bool number(const char **s, uint32_t *out)
{
	const char *p = *s;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return false;
	uint32_t v = 0;
	int n = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		if (++n > 4)
			return false;
		else
			v = v * 10 + (uint32_t)(*p - '0');
	*out = v;
	*s = p;
	return true;
}

enum xs_status xs_arch_validate(const struct xs_space *space,
				const struct xs_arch *a, struct xs_error *err)
{
	if (!in_list(a->r, space->nres, space->res))
		fail(err, XS_EARCH, "arch: resolution %u is not in the space", a->r);
	for (uint32_t s = 0; s < space->nstages; s++) {
		if (!in_list(a->d[s], space->ndepths, space->depths))
			fail(err, XS_EARCH, "arch: depth %u of stage %u is not in the space",
			     a->d[s], s + 1);
		for (uint32_t b = 0; b < a->d[s]; b++) {
			if (!in_list(a->e[s][b], space->nexpands, space->expands))
				fail(err, XS_EARCH,
				     "arch: expand %u of stage %u block %u is not in the space",
				     a->e[s][b], s + 1, b + 1);
			if (!in_list(a->k[s][b], space->nkernels, space->kernels))
				fail(err, XS_EARCH,
				     "arch: kernel %u of stage %u block %u is not in the space",
				     a->k[s][b], s + 1, b + 1);
		}
	}
	return XS_OK;
}

void xs_arch_canonicalise(const struct xs_space *space, struct xs_arch *a)
{
	for (uint32_t s = 0; s < XS_MAX_STAGES; s++) {
		if (s >= space->nstages)
			a->d[s] = 0;
		for (uint32_t b = s < space->nstages ? a->d[s] : 0; b < XS_MAX_DEPTH; b++)
			a->e[s][b] = a->k[s][b] = 0;
	}
}

enum xs_status xs_arch_parse(const struct xs_space *space, const char *text,
			     struct xs_arch *out, struct xs_error *err)
{
	struct xs_arch a;
	memset(&a, 0, sizeof(a));
	const char *p = text;
	if (strlen(text) >= XS_ARCH_MAX)
		fail(err, XS_EARCH, "arch: longer than %d characters", XS_ARCH_MAX - 1);
	if (*p++ != 'r' || !number(&p, &a.r) || *p++ != '-' || *p++ != 'd')
		goto bad;
	for (uint32_t s = 0; s < space->nstages; s++) {
		if ((s > 0 && *p++ != '.') || !number(&p, &a.d[s]))
			goto bad;
		if (!in_list(a.d[s], space->ndepths, space->depths))
			fail(err, XS_EARCH, "arch: depth %u of stage %u is not in the space",
			     a.d[s], s + 1);
	}
	for (uint32_t s = 0; s < space->nstages; s++) {
		uint32_t n;
		if (*p++ != '-' || *p++ != 's' || !number(&p, &n) || n != s + 1 ||
		    *p++ != ':')
			goto bad;
		for (uint32_t b = 0; b < a.d[s]; b++) {
			uint32_t e, k;
			if ((b > 0 && *p++ != ',') || *p++ != 'e' || !number(&p, &e) ||
			    *p++ != 'k' || !number(&p, &k) || e > 255 || k > 255)
				goto bad;
			a.e[s][b] = (uint8_t)e;
			a.k[s][b] = (uint8_t)k;
		}
	}
	if (*p != '\0')
		goto bad;
	enum xs_status st = xs_arch_validate(space, &a, err);
	if (st != XS_OK)
		return st;
	*out = a;
	return XS_OK;
bad:
	fail(err, XS_EARCH,
	     "arch '%.80s' is not canonical at character %zu: expected the form "
	     "r28-d3.2.1.3-s1:e4k7,e3k5,e4k3-s2:... with %u stages",
	     text, (size_t)(p - text), space->nstages);
}

size_t xs_arch_print(const struct xs_space *space, const struct xs_arch *a,
		     char *buf, size_t n)
{
	char tmp[XS_ARCH_MAX * 2];
	size_t len = (size_t)snprintf(tmp, sizeof(tmp), "r%u-d", a->r);
	for (uint32_t s = 0; s < space->nstages; s++)
		len += (size_t)snprintf(tmp + len, sizeof(tmp) - len, "%s%u",
					s ? "." : "", a->d[s]);
	for (uint32_t s = 0; s < space->nstages; s++) {
		len += (size_t)snprintf(tmp + len, sizeof(tmp) - len, "-s%u:", s + 1);
		for (uint32_t b = 0; b < a->d[s] && b < XS_MAX_DEPTH; b++)
			len += (size_t)snprintf(tmp + len, sizeof(tmp) - len, "%se%uk%u",
						b ? "," : "", a->e[s][b], a->k[s][b]);
	}
	if (n > 0) {
		size_t c = len < n - 1 ? len : n - 1;
		memcpy(buf, tmp, c);
		buf[c] = '\0';
	}
	return len;
}

static void fill(const struct xs_space *space, struct xs_arch *a, bool large)
{
	memset(a, 0, sizeof(*a));
	a->r = large ? space->res[space->nres - 1] : space->res[0];
	for (uint32_t s = 0; s < space->nstages; s++) {
		a->d[s] = large ? space->depths[space->ndepths - 1] : space->depths[0];
		for (uint32_t b = 0; b < a->d[s]; b++) {
			a->e[s][b] = (uint8_t)(large ? space->expands[space->nexpands - 1]
						     : space->expands[0]);
			a->k[s][b] = (uint8_t)(large ? space->kernels[space->nkernels - 1]
						     : space->kernels[0]);
		}
	}
}

void xs_arch_largest(const struct xs_space *space, struct xs_arch *out) { fill(space, out, true); }
void xs_arch_smallest(const struct xs_space *space, struct xs_arch *out) { fill(space, out, false); }

/* xorshift64*: small, seedable, the same on every platform. */
static uint32_t pick(uint64_t *state, uint32_t n)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (uint32_t)(((x * 0x2545f4914f6cdd1dull) >> 32) % n);
}

void xs_arch_random(const struct xs_space *space, uint64_t *state,
		    struct xs_arch *out)
{
	/* Each choice uniform, as in training (not uniform over sub-nets). */
	memset(out, 0, sizeof(*out));
	out->r = space->res[pick(state, space->nres)];
	for (uint32_t s = 0; s < space->nstages; s++) {
		out->d[s] = space->depths[pick(state, space->ndepths)];
		for (uint32_t b = 0; b < out->d[s]; b++) {
			out->e[s][b] = (uint8_t)space->expands[pick(state, space->nexpands)];
			out->k[s][b] = (uint8_t)space->kernels[pick(state, space->nkernels)];
		}
	}
}

/* Sub-nets of one stage, as a double, and as an integer when it fits. */
static double stage_count(const struct xs_space *space)
{
	double ek = (double)space->nexpands * space->nkernels, total = 0;
	for (uint32_t i = 0; i < space->ndepths; i++) {
		double c = 1;
		for (uint32_t b = 0; b < space->depths[i]; b++)
			c *= ek;
		total += c;
	}
	return total;
}

double xs_arch_count(const struct xs_space *space)
{
	double c = space->nres;
	for (uint32_t s = 0; s < space->nstages; s++)
		c *= stage_count(space);
	return c;
}

bool xs_arch_from_index(const struct xs_space *space, uint64_t index,
			struct xs_arch *out)
{
	if ((double)index >= xs_arch_count(space))
		return false;
	memset(out, 0, sizeof(*out));
	out->r = space->res[index % space->nres];
	index /= space->nres;
	const uint64_t ek = (uint64_t)space->nexpands * space->nkernels;
	double sc = stage_count(space);
	for (uint32_t s = 0; s < space->nstages; s++) {
		/* stage_count fits in 64 bits for the limits of xs_space_parse
		 * only when small; beyond 2^63 the leading stages take all. */
		uint64_t n = sc < 9.2e18 ? (uint64_t)sc : UINT64_MAX;
		uint64_t within = index % n;
		index /= n;
		for (uint32_t i = 0; i < space->ndepths; i++) {
			uint64_t c = 1;
			for (uint32_t b = 0; b < space->depths[i]; b++)
				c = c > UINT64_MAX / ek ? UINT64_MAX : c * ek;
			if (within < c || i + 1 == space->ndepths) {
				out->d[s] = space->depths[i];
				for (uint32_t b = 0; b < out->d[s]; b++) {
					uint64_t digit = within % ek;
					within /= ek;
					out->e[s][b] = (uint8_t)space->expands[digit / space->nkernels];
					out->k[s][b] = (uint8_t)space->kernels[digit % space->nkernels];
				}
				break;
			}
			within -= c;
		}
	}
	return true;
}

static void count_work(const struct xs_space *sp, const struct xs_arch *a,
		       uint64_t *macs, uint64_t *params)
{
	uint64_t r = a->r, c = sp->stem_out, k2 = (uint64_t)sp->stem_k * sp->stem_k;
	uint64_t h = (r + sp->stem_s - 1) / sp->stem_s;
	*macs = h * h * c * k2 * sp->in_c;
	*params = c * k2 * sp->in_c + c;
	for (uint32_t s = 0; s < sp->nstages; s++)
		for (uint32_t b = 0; b < a->d[s]; b++) {
			uint64_t st = b == 0 ? sp->stage[s].stride : 1;
			uint64_t e = a->e[s][b], k = a->k[s][b];
			uint64_t mid = c * e, out = sp->stage[s].out;
			uint64_t ho = (h + st - 1) / st;
			*macs += h * h * c * mid + ho * ho * mid * k * k + ho * ho * mid * out;
			*params += c * mid + mid + mid * k * k + mid + mid * out + out;
			c = out;
			h = ho;
		}
	uint64_t hd = sp->head_out;
	*macs += h * h * c * hd + hd * sp->classes;
	*params += c * hd + hd + hd * sp->classes + sp->classes;
}

uint64_t xs_arch_macs(const struct xs_space *space, const struct xs_arch *a)
{
	uint64_t m, p;
	count_work(space, a, &m, &p);
	return m;
}

uint64_t xs_arch_params(const struct xs_space *space, const struct xs_arch *a)
{
	uint64_t m, p;
	count_work(space, a, &m, &p);
	return p;
}
