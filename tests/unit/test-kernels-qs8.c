/* test-kernels-qs8.c - the int8 kernels: every listed micro-kernel gives the
 * same bytes as its family's __scalar kernel (whatever its tile, channel tile,
 * KR or a_offset); the scalar kernels and the operators against a reference
 * written from the definition in xk.h (int64 sums of the unpacked weights,
 * then the same requantization); byte-identical results for 1, 2 and 3
 * threads and for every instruction set; the requantization against real
 * arithmetic (within half a step plus the f32 rounding); conversions; and the
 * errors for parameters that are refused. A variant whose instruction set or
 * feature the CPU lacks is skipped, and says so. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xk-ukernel.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static int8_t *random_i8(size_t n, int lo, int hi)
{
	int8_t *p = xk_alloc(n ? n : 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (int8_t)(lo + (int)(rng_next() % (uint32_t)(hi - lo + 1)));
	return p;
}

/* Exactly n bytes (malloc, not rounded up): ASan catches a read past them. */
static int8_t *exact_copy(const int8_t *src, size_t n)
{
	int8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	memcpy(p, src, n);
	return p;
}

static float rng_unit(void) { return (float)(rng_next() & 0xffffff) / (float)(1 << 24); }

/* Weight scales and biases of a plausible layer: m = in * w / out near 2^-8. */
static void random_quant(size_t n, size_t taps, float *wscale, int32_t *bias,
			 struct xk_qparams *in, struct xk_qparams *out)
{
	in->scale = 0.02f + 0.05f * rng_unit();
	in->zero_point = (int32_t)(rng_next() % 256) - 128;
	out->scale = 0.05f + 0.2f * rng_unit();
	out->zero_point = (int32_t)(rng_next() % 256) - 128;
	for (size_t o = 0; o < n; o++) {
		wscale[o] = (0.002f + 0.02f * rng_unit()) / sqrtf((float)taps);
		bias[o] = (int32_t)(rng_next() % 20001) - 10000;
	}
}

static bool cpu_or_skip(enum xk_isa isa, enum xk_feature f, const char *name)
{
	if (xk_isa_supported(isa) && xk_cpu_has(f))
		return true;
	print_message("SKIP %s: needs %s%s%s (cpu features: %s)\n", name, xk_isa_name(isa),
		      f ? " + " : "", f ? xk_feature_name(f) : "", xk_cpu_features());
	return false;
}

/* ---- micro-kernel lists ------------------------------------------------------ */

struct gemm_variant {
	const char *name;
	xk_qs8_gemm_ukernel_fn fn;
	enum xk_isa isa;
	size_t mr, nr, kr;
	int32_t a_offset;
	enum xk_feature feature;
};
static const struct gemm_variant gemm_variants[] = {
#define XK_QS8_GEMM(fn, isa, mr, nr, kr, a_offset, feature)                    \
	{#fn, fn, isa, mr, nr, kr, a_offset, feature},
#include "qs8-gemm/qs8-gemm.inc"
#undef XK_QS8_GEMM
};

struct dwconv_variant {
	const char *name;
	xk_qs8_dwconv_ukernel_fn fn;
	enum xk_isa isa;
	size_t k, s, ct, wb;
	enum xk_feature feature;
};
static const struct dwconv_variant dwconv_variants[] = {
#define XK_QS8_DWCONV(fn, isa, k, s, ct, wb, feature)                          \
	{#fn, fn, isa, k, s, ct, wb, feature},
#include "qs8-dwconv/qs8-dwconv.inc"
#undef XK_QS8_DWCONV
};

struct small_variant {
	const char *name;
	void *fn;
	enum xk_isa isa;
	enum xk_feature feature;
};
static const struct small_variant vadd_variants[] = {
#define XK_QS8_VADD(fn, isa, feature) {#fn, (void *)fn, isa, feature},
#include "qs8-vadd/qs8-vadd.inc"
#undef XK_QS8_VADD
};
static const struct small_variant gavgpool_variants[] = {
#define XK_QS8_GAVGPOOL(fn, isa, feature) {#fn, (void *)fn, isa, feature},
#include "qs8-gavgpool/qs8-gavgpool.inc"
#undef XK_QS8_GAVGPOOL
};
static const struct small_variant quantize_variants[] = {
#define XK_QS8_QUANTIZE(fn, isa, feature) {#fn, (void *)fn, isa, feature},
#include "qs8-quantize/qs8-quantize.inc"
#undef XK_QS8_QUANTIZE
};

/* Calls a GEMM micro-kernel over m rows in tiles of mr. */
static void drive_gemm(const struct gemm_variant *v, size_t m, size_t n, size_t k,
		       const int8_t *a, size_t a_stride, const void *w, int8_t *c,
		       size_t c_stride, const struct xk_qs8_params *p)
{
	for (size_t i = 0; i < m; i += v->mr)
		v->fn(m - i < v->mr ? m - i : v->mr, n, k, a + i * a_stride, a_stride, w,
		      c + i * c_stride, c_stride, p);
}

/* The definition: int64 sum of the unpacked weights, then the requantization. */
static int8_t ref_out(int64_t acc, float m, const struct xk_qs8_params *p)
{
	assert_true(acc >= INT32_MIN && acc <= INT32_MAX);
	return xk_qs8_requant((int32_t)acc, m, p);
}

static void test_gemm_variants(void **state)
{
	(void)state;
	const struct gemm_variant *ref = &gemm_variants[0];
	assert_int_equal(ref->isa, XK_ISA_SCALAR);
	for (size_t iv = 0; iv < COUNT(gemm_variants); iv++) {
		const struct gemm_variant *v = &gemm_variants[iv];
		if (!cpu_or_skip(v->isa, v->feature, v->name))
			continue;
		/* every row count of a last tile, up to 6 */
		const size_t ms[] = {1, 2, v->mr - 1, v->mr, v->mr + 1, v->mr + 4, 2 * v->mr + 3};
		const size_t ns[] = {1, 3, v->nr - 1, v->nr, v->nr + 1, 2 * v->nr + 5, 4 * v->nr + 3};
		const size_t ks[] = {1, 2, 3, 4, 5, 7, 8, 9, 16, 24, 31, 65, 200, 1030};
		size_t cases = 0;
		for (size_t im = 0; im < COUNT(ms); im++)
			for (size_t jn = 0; jn < COUNT(ns); jn++)
				for (size_t ik = 0; ik < COUNT(ks); ik++) {
					size_t m = ms[im], n = ns[jn], k = ks[ik];
					if (n == 0)
						continue;
					enum xk_act act = (enum xk_act)(cases++ % XK_ACT_COUNT);
					size_t a_stride = k + cases % 3, c_stride = n + (cases % 2) * 5;
					int8_t *a0 = random_i8(m * a_stride, -128, 127);
					/* the last row ends the buffer: no read past kc */
					int8_t *a = exact_copy(a0, (m - 1) * a_stride + k);
					int8_t *w = random_i8(n * k, -127, 127);
					float *ws = malloc(n * sizeof(float)), *mm = malloc(n * sizeof(float));
					int32_t *bias = malloc(n * sizeof(int32_t));
					struct xk_qparams qi, qo;
					random_quant(n, k, ws, bias, &qi, &qo);
					struct xk_qs8_params p;
					xk_qs8_params_init(&p, mm, n, ws, qi, qo, act);
					void *pv = xk_alloc(xk_qs8_pack_gemm_size(k, n, v->nr, v->kr));
					void *pr = xk_alloc(xk_qs8_pack_gemm_size(k, n, ref->nr, ref->kr));
					xk_qs8_pack_gemm(k, n, v->nr, v->kr, v->a_offset, qi.zero_point, w,
							 bias, mm, pv);
					xk_qs8_pack_gemm(k, n, ref->nr, ref->kr, ref->a_offset,
							 qi.zero_point, w, bias, mm, pr);
					int8_t *cv = malloc(m * c_stride), *cr = malloc(m * c_stride);
					memset(cv, 0x5a, m * c_stride);
					memset(cr, 0x5a, m * c_stride);
					drive_gemm(v, m, n, k, a, a_stride, pv, cv, c_stride, &p);
					drive_gemm(ref, m, n, k, a, a_stride, pr, cr, c_stride, &p);
					for (size_t i = 0; i < m; i++)
						for (size_t j = 0; j < c_stride; j++) {
							size_t at = i * c_stride + j;
							if (j >= n) {
								assert_int_equal(cv[at], 0x5a);
								continue;
							}
							if (cv[at] != cr[at])
								fail_msg("%s: m %zu n %zu k %zu act %s: c[%zu][%zu] "
									 "%d, scalar %d", v->name, m, n, k,
									 xk_act_name(act), i, j, cv[at], cr[at]);
							if (iv == 0) {
								int64_t acc = bias[j];
								for (size_t kk = 0; kk < k; kk++)
									acc += (int64_t)(a[i * a_stride + kk] -
											 qi.zero_point) *
									       w[j * k + kk];
								assert_int_equal(cr[at], ref_out(acc, mm[j], &p));
							}
						}
					xk_free(a0), free(a), xk_free(w), free(ws), free(mm), free(bias);
					xk_free(pv), xk_free(pr), free(cv), free(cr);
				}
		print_message("%s: %zu shapes, the same bytes as %s\n", v->name, cases, ref->name);
	}
}

/* ---- depthwise ------------------------------------------------------------------ */

/* An operator's GEMM: the usable kernel that pads n least, the first on a tie. */
static void test_gemm_pick(void **state)
{
	(void)state;
	for (int i = 0; i < XK_ISA_COUNT; i++) {
		const struct xk_qs8_kernels *k = xk_qs8_kernels((enum xk_isa)i);
		if (k == NULL)
			continue;
		assert_true(k->ngemms >= 1 && k->gemm == k->gemms[0].fn);
		for (size_t n = 1; n <= 300; n++) {
			const struct xk_qs8_gemm_kernel *g = xk_qs8_gemm_pick(k, n);
			size_t pad = xk_round_up(n, g->nr) - n;
			for (const struct xk_qs8_gemm_kernel *o = k->gemms; o < g; o++)
				assert_true(xk_round_up(n, o->nr) - n > pad);
			for (const struct xk_qs8_gemm_kernel *o = g; o < k->gemms + k->ngemms; o++)
				assert_true(xk_round_up(n, o->nr) - n >= pad);
		}
		print_message("%s: %u GEMM kernels (%s first)\n", xk_isa_name((enum xk_isa)i),
			      k->ngemms, k->gemms[0].name);
	}
}

static void test_dwconv_variants(void **state)
{
	(void)state;
	for (size_t iv = 0; iv < COUNT(dwconv_variants); iv++) {
		const struct dwconv_variant *v = &dwconv_variants[iv], *ref = NULL;
		for (size_t r = 0; r < COUNT(dwconv_variants); r++)
			if (dwconv_variants[r].isa == XK_ISA_SCALAR && dwconv_variants[r].k == v->k &&
			    dwconv_variants[r].s == v->s)
				ref = &dwconv_variants[r];
		assert_non_null(ref);
		if (!cpu_or_skip(v->isa, v->feature, v->name))
			continue;
		const size_t cs[] = {1, 3, v->ct - 1, v->ct, v->ct + 1, 2 * v->ct + 5, 72};
		const size_t ws[] = {1, 2, 3, 4, 7, 8, 13, 17};
		size_t cases = 0;
		for (size_t ic = 0; ic < COUNT(cs); ic++)
			for (size_t iw = 0; iw < COUNT(ws); iw++) {
				size_t C = cs[ic], W = ws[iw], k = v->k, s = v->s, pad = (k - 1) / 2;
				if (C == 0)
					continue;
				size_t cstride = C + cases % 3, ow = (W + s - 1) / s;
				enum xk_act act = (enum xk_act)(cases++ % XK_ACT_COUNT);
				int8_t *w = random_i8(C * k * k, -127, 127);
				float *wsc = malloc(C * sizeof(float)), *mm = malloc(C * sizeof(float));
				int32_t *bias = malloc(C * sizeof(int32_t));
				struct xk_qparams qi, qo;
				random_quant(C, k * k, wsc, bias, &qi, &qo);
				struct xk_qs8_params p;
				xk_qs8_params_init(&p, mm, C, wsc, qi, qo, act);
				/* k rows, some of them padding (NULL) */
				int8_t *in[7] = {0};
				const int8_t *rows[7];
				for (size_t ky = 0; ky < k; ky++) {
					int8_t *t = random_i8(W * cstride, -128, 127);
					in[ky] = exact_copy(t, (W - 1) * cstride + C);
					xk_free(t);
					rows[ky] = (cases + ky) % 5 == 0 ? NULL : in[ky];
				}
				int8_t *zero = malloc(C);
				memset(zero, (int)(int8_t)qi.zero_point, C);
				void *pv = xk_alloc(xk_qs8_pack_dwconv_size(C, k, v->ct, v->wb));
				void *pr = xk_alloc(xk_qs8_pack_dwconv_size(C, k, ref->ct, ref->wb));
				xk_qs8_pack_dwconv(C, k, v->ct, v->wb, qi.zero_point, w, bias, mm, pv);
				xk_qs8_pack_dwconv(C, k, ref->ct, ref->wb, qi.zero_point, w, bias, mm, pr);
				size_t on = (ow - 1) * cstride + C;
				int8_t *ov = malloc(ow * cstride), *orf = malloc(ow * cstride);
				memset(ov, 0x5a, ow * cstride);
				memset(orf, 0x5a, ow * cstride);
				v->fn(C, cstride, W, ow, rows, zero, pv, ov, &p);
				ref->fn(C, cstride, W, ow, rows, zero, pr, orf, &p);
				for (size_t i = 0; i < ow * cstride; i++) {
					if (i >= on || i % cstride >= C) {
						assert_int_equal(ov[i], 0x5a);
						continue;
					}
					if (ov[i] != orf[i])
						fail_msg("%s: C %zu W %zu act %s: out[%zu] %d, scalar %d",
							 v->name, C, W, xk_act_name(act), i, ov[i], orf[i]);
					if (v == ref) {
						size_t ox = i / cstride, c = i % cstride;
						int64_t acc = bias[c];
						for (size_t ky = 0; ky < k; ky++)
							for (size_t kx = 0; kx < k; kx++) {
								size_t ix = ox * s + kx;
								if (rows[ky] == NULL || ix < pad || ix - pad >= W)
									continue; /* a real 0 */
								acc += (int64_t)(rows[ky][(ix - pad) * cstride + c] -
										 qi.zero_point) *
								       w[(c * k + ky) * k + kx];
							}
						assert_int_equal(orf[i], ref_out(acc, mm[c], &p));
					}
				}
				for (size_t ky = 0; ky < k; ky++)
					free(in[ky]);
				xk_free(w), free(wsc), free(mm), free(bias), free(zero);
				xk_free(pv), xk_free(pr), free(ov), free(orf);
			}
		print_message("%s: %zu shapes, the same bytes as %s\n", v->name, cases, ref->name);
	}
}

/* ---- add, global average pooling ----------------------------------------------- */

static void test_small_variants(void **state)
{
	(void)state;
	struct xk_qparams qa = {0.07f, -11}, qb = {0.031f, 40}, qo = {0.09f, 3};
	for (size_t iv = 0; iv < COUNT(vadd_variants); iv++) {
		const struct small_variant *v = &vadd_variants[iv];
		if (!cpu_or_skip(v->isa, v->feature, v->name))
			continue;
		for (enum xk_act act = XK_ACT_NONE; act <= XK_ACT_RELU; act++) {
			struct xk_qs8_add p;
			assert_int_equal(xk_qs8_add_init(&p, XK_ISA_SCALAR, qa, qb, qo, act, NULL),
					 XK_OK);
			xk_qs8_vadd_ukernel_fn fn = (xk_qs8_vadd_ukernel_fn)v->fn;
			for (size_t n = 1; n < 300; n += 7) {
				int8_t *a = random_i8(n, -128, 127), *b = random_i8(n, -128, 127);
				int8_t *ea = exact_copy(a, n), *eb = exact_copy(b, n), *o = malloc(n);
				fn(n, ea, eb, o, &p);
				for (size_t i = 0; i < n; i++) {
					assert_int_equal(o[i], xk_qs8_add1(a[i], b[i], &p));
					/* against real arithmetic: within a step */
					double real = qa.scale * (a[i] - qa.zero_point) +
						      qb.scale * (b[i] - qb.zero_point);
					if (act == XK_ACT_RELU && real < 0)
						real = 0;
					double q = real / qo.scale + qo.zero_point;
					q = q < -128 ? -128 : q > 127 ? 127 : q;
					assert_true(fabs(o[i] - q) <= 0.5 + 1e-3);
				}
				fn(n, ea, eb, ea, &p); /* out aliasing a */
				assert_memory_equal(ea, o, n);
				xk_free(a), xk_free(b), free(ea), free(eb), free(o);
			}
		}
		print_message("%s: add matches the definition and real sums\n", v->name);
	}
	for (size_t iv = 0; iv < COUNT(gavgpool_variants); iv++) {
		const struct small_variant *v = &gavgpool_variants[iv];
		if (!cpu_or_skip(v->isa, v->feature, v->name))
			continue;
		xk_qs8_gavgpool_ukernel_fn fn = (xk_qs8_gavgpool_ukernel_fn)v->fn;
		const size_t pix[] = {1, 4, 9, 49, 196, 515};
		const size_t chans[] = {1, 7, 16, 33, 96, 200};
		for (size_t ip = 0; ip < COUNT(pix); ip++)
			for (size_t ic = 0; ic < COUNT(chans); ic++) {
				size_t P = pix[ip], C = chans[ic];
				struct xk_qs8_gavgpool p;
				assert_int_equal(xk_qs8_gavgpool_init(&p, XK_ISA_SCALAR, P, qa, qo, NULL),
						 XK_OK);
				int8_t *t = random_i8(P * C, -128, 127), *in = exact_copy(t, P * C);
				int8_t *o = malloc(C);
				fn(P, C, in, o, &p);
				for (size_t c = 0; c < C; c++) {
					int32_t acc = p.bias;
					double real = 0;
					for (size_t i = 0; i < P; i++) {
						acc += in[i * C + c];
						real += qa.scale * (in[i * C + c] - qa.zero_point);
					}
					float y = (float)acc * p.m;
					y = y < p.lo ? p.lo : y > p.hi ? p.hi : y;
					assert_int_equal(o[c], xk_rne(y) + p.zp);
					double q = real / P / qo.scale + qo.zero_point;
					q = q < -128 ? -128 : q > 127 ? 127 : q;
					assert_true(fabs(o[c] - q) <= 0.5 + 1e-3);
				}
				xk_free(t), free(in), free(o);
			}
		print_message("%s: pooling matches the definition and real means\n", v->name);
	}
	/* values of every kind: in range, halfway cases, out of range, NaN, inf */
	float x[300];
	const float special[] = {0.0f, -0.0f, 0.025f, 0.075f, -0.025f, 1e30f, -1e30f,
				 NAN, -NAN, INFINITY, -INFINITY, 6.4f, -6.45f};
	for (size_t i = 0; i < COUNT(x); i++)
		x[i] = i % 5 == 0 ? special[i / 5 % COUNT(special)]
				  : 16.0f * (rng_unit() - 0.5f);
	for (size_t iv = 0; iv < COUNT(quantize_variants); iv++) {
		const struct small_variant *v = &quantize_variants[iv];
		if (!cpu_or_skip(v->isa, v->feature, v->name))
			continue;
		xk_qs8_quantize_ukernel_fn fn = (xk_qs8_quantize_ukernel_fn)v->fn;
		const struct xk_qparams qs[] = {{0.05f, -20}, {0.0173f, 127}, {0.3f, -128}};
		for (size_t iq = 0; iq < COUNT(qs); iq++) {
			struct xk_qs8_quantize p;
			assert_int_equal(xk_qs8_quantize_init(&p, XK_ISA_SCALAR, qs[iq], NULL),
					 XK_OK);
			for (size_t n = 1; n <= COUNT(x); n += n < 40 ? 1 : 13) {
				float *in = malloc(n * sizeof(float));
				int8_t *o = malloc(n), *want = malloc(n);
				memcpy(in, x + COUNT(x) - n, n * sizeof(float));
				fn(n, in, o, &p);
				xk_qs8_quantize(n, in, qs[iq], want);
				assert_memory_equal(o, want, n);
				free(in), free(o), free(want);
			}
		}
		print_message("%s: the same bytes as xk_qs8_quantize\n", v->name);
	}
}

/* ---- operators ------------------------------------------------------------------- */

static enum xk_isa isas[XK_ISA_COUNT];
static size_t nisas;

static void find_isas(void)
{
	nisas = 0;
	for (int i = 0; i < XK_ISA_COUNT; i++)
		if (xk_qs8_kernels((enum xk_isa)i) != NULL)
			isas[nisas++] = (enum xk_isa)i;
}

/* Runs `run` for every ISA and 1..3 threads; all outputs equal the first. */
typedef void (*run_fn)(void *ctx, enum xk_isa isa, struct xk_threadpool *tp, int8_t *out);

static void all_equal(const char *what, void *ctx, run_fn run, size_t out_bytes,
		      int8_t *first)
{
	int8_t *out = malloc(out_bytes);
	for (size_t i = 0; i < nisas; i++)
		for (size_t threads = 1; threads <= 3; threads++) {
			struct xk_threadpool *tp = NULL;
			if (threads > 1)
				assert_int_equal(xk_threadpool_create(threads, NULL, 0, false, &tp,
								      NULL), XK_OK);
			memset(out, 0x33, out_bytes);
			run(ctx, isas[i], tp, out);
			if (i == 0 && threads == 1)
				memcpy(first, out, out_bytes);
			else if (memcmp(first, out, out_bytes) != 0)
				fail_msg("%s: %s with %zu threads differs from %s with 1", what,
					 xk_isa_name(isas[i]), threads, xk_isa_name(isas[0]));
			xk_threadpool_destroy(tp);
		}
	free(out);
}

struct op_case {
	size_t batch, h, w, cin, cout, k, s, m;
	int8_t *in, *wt;
	int32_t *bias;
	float *ws;
	struct xk_qparams qi, qo;
	enum xk_act act;
};

static void run_gemm(void *ctx, enum xk_isa isa, struct xk_threadpool *tp, int8_t *out)
{
	struct op_case *c = ctx;
	struct xk_qs8_gemm *op;
	struct xk_error e;
	assert_int_equal(xk_qs8_gemm_create(isa, c->cin, c->cout, c->wt, c->bias, c->ws, c->qi,
					    c->qo, c->act, &op, &e), XK_OK);
	xk_qs8_gemm_run(op, c->m, c->in, c->cin, out, c->cout, tp);
	xk_qs8_gemm_destroy(op);
}

static void run_dw(void *ctx, enum xk_isa isa, struct xk_threadpool *tp, int8_t *out)
{
	struct op_case *c = ctx;
	struct xk_qs8_dwconv *op;
	assert_int_equal(xk_qs8_dwconv_create(isa, c->cin, c->k, c->s, c->wt, c->bias, c->ws,
					      c->qi, c->qo, c->act, &op, NULL), XK_OK);
	assert_int_equal(xk_qs8_dwconv_check(op, c->batch, c->h, c->w, NULL), XK_OK);
	xk_qs8_dwconv_run(op, c->batch, c->h, c->w, c->in, out, tp);
	xk_qs8_dwconv_destroy(op);
}

static void run_conv(void *ctx, enum xk_isa isa, struct xk_threadpool *tp, int8_t *out)
{
	struct op_case *c = ctx;
	struct xk_qs8_conv *op;
	assert_int_equal(xk_qs8_conv_create(isa, c->cin, c->cout, c->k, c->s, c->wt, c->bias,
					    c->ws, c->qi, c->qo, c->act, &op, NULL), XK_OK);
	assert_int_equal(xk_qs8_conv_check(op, c->batch, c->h, c->w, NULL), XK_OK);
	xk_qs8_conv_run(op, c->batch, c->h, c->w, c->in, out, tp);
	xk_qs8_conv_destroy(op);
}

static void test_operators(void **state)
{
	(void)state;
	find_isas();
	assert_true(nisas >= 1);
	double saved = xk_min_task_macs;
	xk_min_task_macs = 64; /* many tasks even for small shapes */
	size_t checked = 0;
	/* GEMM: the definition, every ISA and thread count */
	const size_t gm[][3] = {{1, 16, 24}, {37, 24, 72}, {196, 96, 40}, {50, 7, 130},
				{9, 300, 10}};
	for (size_t t = 0; t < COUNT(gm); t++) {
		struct op_case c = {.m = gm[t][0], .cin = gm[t][1], .cout = gm[t][2]};
		c.act = (enum xk_act)(t % XK_ACT_COUNT);
		c.in = random_i8(c.m * c.cin, -128, 127);
		c.wt = random_i8(c.cout * c.cin, -127, 127);
		c.ws = malloc(c.cout * sizeof(float));
		c.bias = malloc(c.cout * sizeof(int32_t));
		random_quant(c.cout, c.cin, c.ws, c.bias, &c.qi, &c.qo);
		int8_t *first = malloc(c.m * c.cout);
		all_equal("qs8 gemm", &c, run_gemm, c.m * c.cout, first);
		struct xk_qs8_params p;
		float *mm = malloc(c.cout * sizeof(float));
		xk_qs8_params_init(&p, mm, c.cout, c.ws, c.qi, c.qo, c.act);
		for (size_t i = 0; i < c.m; i++)
			for (size_t j = 0; j < c.cout; j++) {
				int64_t acc = c.bias[j];
				for (size_t kk = 0; kk < c.cin; kk++)
					acc += (int64_t)(c.in[i * c.cin + kk] - c.qi.zero_point) *
					       c.wt[j * c.cin + kk];
				assert_int_equal(first[i * c.cout + j], ref_out(acc, mm[j], &p));
				checked++;
			}
		xk_free(c.in), xk_free(c.wt), free(c.ws), free(c.bias), free(first), free(mm);
	}
	/* depthwise and convolution: every kernel size and stride, odd shapes */
	for (size_t t = 0; t < 12; t++) {
		struct op_case c = {.batch = 1 + t % 2, .h = 3 + t % 5 * 3, .w = 2 + t % 4 * 5,
				    .k = 3 + 2 * (t % 3), .s = 1 + t / 3 % 2};
		c.act = (enum xk_act)(t % XK_ACT_COUNT);
		const bool dw = t < 6 || t % 2 == 0;
		c.cin = dw ? 5 + 11 * (t % 4) : 1 + t % 3;
		c.cout = dw ? c.cin : 16 + t;
		size_t taps = dw ? c.k * c.k : c.cin * c.k * c.k;
		c.in = random_i8(c.batch * c.h * c.w * c.cin, -128, 127);
		c.wt = random_i8(c.cout * taps, -127, 127);
		c.ws = malloc(c.cout * sizeof(float));
		c.bias = malloc(c.cout * sizeof(int32_t));
		random_quant(c.cout, taps, c.ws, c.bias, &c.qi, &c.qo);
		size_t oh = (c.h + c.s - 1) / c.s, ow = (c.w + c.s - 1) / c.s;
		size_t n = c.batch * oh * ow * c.cout;
		int8_t *first = malloc(n);
		all_equal(dw ? "qs8 dwconv" : "qs8 conv", &c, dw ? run_dw : run_conv, n, first);
		struct xk_qs8_params p;
		float *mm = malloc(c.cout * sizeof(float));
		xk_qs8_params_init(&p, mm, c.cout, c.ws, c.qi, c.qo, c.act);
		const size_t pad = (c.k - 1) / 2;
		for (size_t b = 0; b < c.batch; b++)
			for (size_t oy = 0; oy < oh; oy++)
				for (size_t ox = 0; ox < ow; ox++)
					for (size_t o = 0; o < c.cout; o++) {
						int64_t acc = c.bias[o];
						for (size_t ci = 0; ci < (dw ? 1 : c.cin); ci++)
							for (size_t ky = 0; ky < c.k; ky++)
								for (size_t kx = 0; kx < c.k; kx++) {
									size_t iy = oy * c.s + ky, ix = ox * c.s + kx;
									if (iy < pad || ix < pad || iy - pad >= c.h ||
									    ix - pad >= c.w)
										continue;
									size_t ch = dw ? o : ci;
									int x = c.in[((b * c.h + iy - pad) * c.w + ix -
										      pad) * c.cin + ch];
									int wv = c.wt[((o * (dw ? 1 : c.cin) + ci) *
										       c.k + ky) * c.k + kx];
									acc += (int64_t)(x - c.qi.zero_point) * wv;
								}
						size_t at = ((b * oh + oy) * ow + ox) * c.cout + o;
						if (first[at] != ref_out(acc, mm[o], &p))
							fail_msg("%s case %zu: out[%zu] %d, definition %d",
								 dw ? "dwconv" : "conv", t, at, first[at],
								 ref_out(acc, mm[o], &p));
						checked++;
					}
		xk_free(c.in), xk_free(c.wt), free(c.ws), free(c.bias), free(first), free(mm);
	}
	xk_min_task_macs = saved;
	print_message("operators: %zu outputs as defined, the same bytes on %zu instruction "
		      "sets x 1-3 threads\n", checked, nisas);
}

/* The requantization against real arithmetic: dequantized outputs within half
 * a step (plus the f32 rounding of m and y) of the real result. */
static void test_requant_real(void **state)
{
	(void)state;
	size_t n = 0;
	for (int t = 0; t < 20000; t++) {
		struct xk_qparams qi, qo;
		float ws;
		int32_t bias;
		random_quant(1, 64, &ws, &bias, &qi, &qo);
		int32_t acc = (int32_t)(rng_next() % 200001) - 100000;
		enum xk_act act = (enum xk_act)(t % XK_ACT_COUNT);
		struct xk_qs8_params p;
		float m;
		xk_qs8_params_init(&p, &m, 1, &ws, qi, qo, act);
		double real = (double)acc * qi.scale * ws;
		if (act == XK_ACT_RELU)
			real = real > 0 ? real : 0;
		else if (act == XK_ACT_RELU6)
			real = real < 0 ? 0 : real > 6 ? 6 : real;
		else if (act == XK_ACT_HSWISH) {
			double u = real + 3;
			u = u < 0 ? 0 : u > 6 ? 6 : u;
			real = real * u / 6;
		}
		double q = real / qo.scale + qo.zero_point;
		q = q < -128 ? -128 : q > 127 ? 127 : q;
		if (act == XK_ACT_RELU6 && q > qo.zero_point + nearbyint(6 / qo.scale))
			q = qo.zero_point + nearbyint(6 / qo.scale);
		int8_t got = xk_qs8_requant(acc, m, &p);
		assert_true(fabs(got - q) <= 0.5 + 1e-4 * (fabs(q) + 1));
		n++;
	}
	print_message("requantization: %zu values within half a step of real arithmetic\n", n);
}

static void test_conversions(void **state)
{
	(void)state;
	struct xk_qparams q = {0.05f, -20};
	float x[] = {0.0f, 1.0f, -1.0f, 0.025f, 0.075f, 100.0f, -100.0f, NAN, INFINITY, -0.0f};
	int8_t out[COUNT(x)];
	xk_qs8_quantize(COUNT(x), x, q, out);
	const int8_t want[] = {-20, 0, -40, -20, -18, 127, -128, -20, 127, -20};
	/* 0.025 / 0.05 = 0.5 -> 0 (even), 0.075 / 0.05 = 1.5 -> 2 (even) */
	assert_memory_equal(out, want, sizeof(want));
	find_isas();
	for (size_t i = 0; i < nisas; i++) {
		struct xk_qs8_quantize p;
		assert_int_equal(xk_qs8_quantize_init(&p, isas[i], q, NULL), XK_OK);
		memset(out, 0x5a, sizeof(out));
		xk_qs8_quantize_run(&p, COUNT(x), x, out);
		assert_memory_equal(out, want, sizeof(want));
	}
	assert_int_equal(xk_qs8_quantize_init(&(struct xk_qs8_quantize){0}, XK_ISA_SCALAR,
					      (struct xk_qparams){0.0f, 0}, NULL),
			 XK_EINVAL);
	for (int v = -128; v <= 127; v++) {
		int8_t qv = (int8_t)v, back;
		float f;
		xk_qs8_dequantize(1, &qv, q, &f);
		xk_qs8_quantize(1, &f, q, &back);
		assert_int_equal(back, qv);
	}
	assert_true(xk_qparams_valid(q));
	assert_false(xk_qparams_valid((struct xk_qparams){0.0f, 0}));
	assert_false(xk_qparams_valid((struct xk_qparams){NAN, 0}));
	assert_false(xk_qparams_valid((struct xk_qparams){1.0f, 128}));
	assert_false(xk_qparams_valid((struct xk_qparams){1.0f, -129}));
}

static void test_bad_params(void **state)
{
	(void)state;
	int8_t w[64] = {1};
	int32_t b[4] = {0};
	float ws[4] = {0.1f, 0.1f, 0.1f, 0.1f};
	struct xk_qparams ok = {0.1f, 0}, bad = {-1.0f, 0};
	struct xk_qs8_gemm *g;
	struct xk_qs8_dwconv *d;
	struct xk_qs8_conv *c;
	struct xk_error e;
	assert_int_equal(xk_qs8_gemm_create(XK_ISA_SCALAR, 4, 4, w, b, ws, bad, ok,
					    XK_ACT_NONE, &g, &e), XK_EINVAL);
	assert_non_null(strstr(e.msg, "zero points -128..127"));
	float ws0[4] = {0.1f, 0.0f, 0.1f, 0.1f};
	assert_int_equal(xk_qs8_gemm_create(XK_ISA_SCALAR, 4, 4, w, b, ws0, ok, ok,
					    XK_ACT_NONE, &g, &e), XK_EINVAL);
	assert_non_null(strstr(e.msg, "weight scale of channel 1"));
	int32_t big[4] = {0, 0, (1 << 30) + 1, 0};
	assert_int_equal(xk_qs8_gemm_create(XK_ISA_SCALAR, 4, 4, w, big, ws, ok, ok,
					    XK_ACT_NONE, &g, &e), XK_EUNSUPPORTED);
	assert_non_null(strstr(e.msg, "bias of channel 2"));
	assert_int_equal(xk_qs8_gemm_create(XK_ISA_SCALAR, XK_QS8_MAX_K + 1, 4, w, b, ws, ok,
					    ok, XK_ACT_NONE, &g, &e), XK_EUNSUPPORTED);
	assert_non_null(strstr(e.msg, "exact int32"));
	assert_int_equal(xk_qs8_dwconv_create(XK_ISA_SCALAR, 4, 4, 1, w, b, ws, ok, ok,
					      XK_ACT_NONE, &d, &e), XK_EUNSUPPORTED);
	assert_non_null(strstr(e.msg, "kernel 4x4"));
	assert_int_equal(xk_qs8_conv_create(XK_ISA_SCALAR, 1, 4, 3, 3, w, b, ws, ok, ok,
					    XK_ACT_NONE, &c, &e), XK_EUNSUPPORTED);
	assert_non_null(strstr(e.msg, "stride 3"));
	struct xk_qs8_add a;
	assert_int_equal(xk_qs8_add_init(&a, XK_ISA_SCALAR, ok, ok, ok, XK_ACT_HSWISH, &e),
			 XK_EUNSUPPORTED);
	assert_non_null(strstr(e.msg, "hswish"));
	struct xk_qs8_gavgpool gp;
	assert_int_equal(xk_qs8_gavgpool_init(&gp, XK_ISA_SCALAR, 0, ok, ok, &e),
			 XK_EUNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gemm_variants),
		cmocka_unit_test(test_dwconv_variants),
		cmocka_unit_test(test_gemm_pick),
		cmocka_unit_test(test_small_variants),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_requant_real),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_bad_params),
	};
	print_message("cpu features: %s\n", xk_cpu_features());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
