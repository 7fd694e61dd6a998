/* test-kernels.c - the f32 kernels: every listed micro-kernel against its
 * family's __scalar kernel, the operators against a double-precision
 * reference, byte-identical results for 1, 2 and 3 threads, the small
 * operators, the thread pool, and the errors for shapes that are refused.
 *
 * Tolerances. Every kernel computes bias + sum of n products in the same order;
 * they differ only in rounding (FMA or not). With S = |bias| + sum |x_i * w_i|,
 * two such sums differ by at most about 2 * n * eps * S, and each is within
 * n * eps * S of the exact value (eps = FLT_EPSILON). The epilogue can stretch
 * an error by at most 1.5 (the slope of h-swish on [-3, 3]). We check
 *     |variant - scalar| <= 4 * (n + 2) * eps * S + 1e-30
 *     |operator - double reference| <= 4 * (n + 2) * eps * S + 1e-30
 * which is a bound, not a guess: a wrong tap, column or row breaks it by orders
 * of magnitude (random inputs in [-1, 1]). A variant whose instruction set the
 * CPU lacks is skipped, and says so. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "xk-ukernel.h"

/* ---- helpers --------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static float rng_float(void) /* [-1, 1) */
{
	return (float)(rng_next() & 0xffffff) / (float)(1 << 23) - 1.0f;
}

static float *random_floats(size_t n)
{
	float *p = xk_alloc((n ? n : 1) * sizeof(float));
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = rng_float();
	return p;
}

static float *filled(size_t n, float v)
{
	float *p = xk_alloc((n ? n : 1) * sizeof(float));
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = v;
	return p;
}

static double act_ref(double y, enum xk_act act)
{
	switch (act) {
	case XK_ACT_RELU:
		return y < 0 ? 0 : y;
	case XK_ACT_RELU6:
		return y < 0 ? 0 : y > 6 ? 6 : y;
	case XK_ACT_HSWISH: {
		double t = y + 3;
		t = t < 0 ? 0 : t > 6 ? 6 : t;
		return y * t / 6;
	}
	default:
		return y;
	}
}

static double bound(size_t n, double s) { return 4.0 * (n + 2) * FLT_EPSILON * s + 1e-30; }

/* Fails with the position when |got - want| > tol. */
static void check_close(const char *what, size_t i, double got, double want,
			double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: element %zu is %.9g, expected %.9g (tolerance %.3g)",
			 what, i, got, want, tol);
}

/* Skips the test (cmocka reports it as skipped) when isa cannot run here. */
static bool isa_or_skip(enum xk_isa isa)
{
	if (xk_isa_supported(isa))
		return true;
	print_message("skipped: no %s kernels for this CPU or build (cpu "
		      "features: %s)\n",
		      xk_isa_name(isa), xk_cpu_features());
	skip();
	return false;
}

/* A variant's ISA may run here even before the whole ISA's kernel set exists,
 * so micro-kernel tests check only the CPU. */
static bool cpu_or_skip(enum xk_isa isa)
{
	if (isa == XK_ISA_SCALAR)
		return true;
#if XK_ARCH_X86_64
	if (isa == XK_ISA_AVX2 && strstr(xk_cpu_features(), "avx2") &&
	    strstr(xk_cpu_features(), "fma"))
		return true;
	if (isa == XK_ISA_AVX512 && strstr(xk_cpu_features(), "avx512f"))
		return true;
#endif
#if XK_ARCH_AARCH64
	if (isa == XK_ISA_NEON && strstr(xk_cpu_features(), "asimd"))
		return true;
#endif
	print_message("skipped: this CPU has no %s (features: %s)\n",
		      xk_isa_name(isa), xk_cpu_features());
	skip();
	return false;
}

/* ---- micro-kernel lists ---------------------------------------------------- */

struct gemm_variant {
	const char *name;
	xk_f32_gemm_ukernel_fn fn;
	enum xk_isa isa;
	size_t mr, nr;
};

static const struct gemm_variant gemm_variants[] = {
#define XK_F32_GEMM(fn, isa, mr, nr) {#fn, fn, isa, mr, nr},
#include "f32-gemm/f32-gemm.inc"
#undef XK_F32_GEMM
};

struct dwconv_variant {
	const char *name;
	xk_f32_dwconv_ukernel_fn fn;
	enum xk_isa isa;
	size_t k, s, ct;
};

static const struct dwconv_variant dwconv_variants[] = {
#define XK_F32_DWCONV(fn, isa, k, s, ct) {#fn, fn, isa, k, s, ct},
#include "f32-dwconv/f32-dwconv.inc"
#undef XK_F32_DWCONV
};

struct conv_variant {
	const char *name;
	xk_f32_conv_ukernel_fn fn;
	enum xk_isa isa;
	size_t mr, nr;
};

static const struct conv_variant conv_variants[] = {
#define XK_F32_CONV(fn, isa, mr, nr) {#fn, fn, isa, mr, nr},
#include "f32-conv/f32-conv.inc"
#undef XK_F32_CONV
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- GEMM micro-kernels ---------------------------------------------------- */

/* Runs fn over an m x n output in tiles of mr rows; each call covers all n
 * columns (the kernel walks the strips), or one row when mr is 1. */
static void drive_gemm(xk_f32_gemm_ukernel_fn fn, size_t mr, size_t m,
		       size_t n, size_t k, const float *a, size_t a_stride,
		       const float *packed, float *c, size_t c_stride,
		       const struct xk_act_params *p)
{
	for (size_t i = 0; i < m; i += mr)
		fn(xk_min(mr, m - i), n, k, a + i * a_stride, a_stride, packed,
		   c + i * c_stride, c_stride, p);
}

static void test_gemm_variant(void **state)
{
	const struct gemm_variant *v = *state;
	const struct gemm_variant *ref = &gemm_variants[0];
	assert_int_equal(ref->isa, XK_ISA_SCALAR);
	if (!cpu_or_skip(v->isa))
		return;
	const size_t ms[] = {1, 2, v->mr - 1 ? v->mr - 1 : 1, v->mr, v->mr + 1,
			     2 * v->mr + 3};
	const size_t ns[] = {1, 3, v->nr - 1, v->nr, v->nr + 1, v->nr / 2 + 1,
			     2 * v->nr + 5, 4 * v->nr + 3, 9 * v->nr};
	const size_t ks[] = {1, 2, 7, 24, 65};
	size_t cases = 0;
	for (size_t im = 0; im < COUNT(ms); im++)
		for (size_t jn = 0; jn < COUNT(ns); jn++)
			for (size_t ik = 0; ik < COUNT(ks); ik++) {
				size_t m = v->mr == 1 ? 1 : ms[im];
				size_t n = ns[jn], k = ks[ik];
				if (n == 0)
					continue;
				enum xk_act act = (enum xk_act)(cases++ % XK_ACT_COUNT);
				struct xk_act_params p;
				xk_act_params_init(&p, act);
				size_t a_stride = k + (cases % 3), c_stride = n + (cases % 2) * 5;
				float *a = random_floats(m * a_stride);
				float *w = random_floats(n * k);
				float *bias = random_floats(n);
				float *pv = xk_alloc(xk_pack_gemm_size(k, n, v->nr) * sizeof(float));
				float *pr = xk_alloc(xk_pack_gemm_size(k, n, ref->nr) * sizeof(float));
				xk_pack_gemm(k, n, v->nr, w, bias, pv);
				xk_pack_gemm(k, n, ref->nr, w, bias, pr);
				float *cv = filled(m * c_stride, 1234.5f);
				float *cr = filled(m * c_stride, 1234.5f);
				drive_gemm(v->fn, v->mr, m, n, k, a, a_stride, pv, cv, c_stride, &p);
				drive_gemm(ref->fn, ref->mr, m, n, k, a, a_stride, pr, cr, c_stride, &p);
				for (size_t i = 0; i < m; i++)
					for (size_t j = 0; j < c_stride; j++) {
						size_t at = i * c_stride + j;
						if (j >= n) { /* padding between rows untouched */
							assert_true(cv[at] == 1234.5f);
							continue;
						}
						double s = fabs(bias[j]);
						for (size_t kk = 0; kk < k; kk++)
							s += fabs(a[i * a_stride + kk] * w[j * k + kk]);
						check_close(v->name, at, cv[at], cr[at], 2 * bound(k, s));
					}
				xk_free(a), xk_free(w), xk_free(bias), xk_free(pv);
				xk_free(pr), xk_free(cv), xk_free(cr);
			}
	print_message("%s: %zu shapes\n", v->name, cases);
}

/* ---- depthwise micro-kernels ----------------------------------------------- */

static void test_dwconv_variant(void **state)
{
	const struct dwconv_variant *v = *state;
	const struct dwconv_variant *ref = NULL;
	for (size_t i = 0; i < COUNT(dwconv_variants); i++)
		if (dwconv_variants[i].isa == XK_ISA_SCALAR &&
		    dwconv_variants[i].k == v->k && dwconv_variants[i].s == v->s)
			ref = &dwconv_variants[i];
	assert_non_null(ref);
	if (!cpu_or_skip(v->isa))
		return;
	const size_t k = v->k, s = v->s;
	const size_t chans[] = {1, 3, v->ct - 1 ? v->ct - 1 : 2, v->ct, v->ct + 1,
				2 * v->ct + 3, 37};
	const size_t widths[] = {1, 2, 3, k - 1, k, k + 1, 13, 31};
	size_t cases = 0;
	for (size_t ic = 0; ic < COUNT(chans); ic++)
		for (size_t iw = 0; iw < COUNT(widths); iw++) {
			size_t C = chans[ic], in_w = widths[iw];
			size_t cstride = C + (cases % 3 == 2 ? 5 : 0);
			size_t out_w = xk_div_up(in_w, s);
			enum xk_act act = (enum xk_act)(cases++ % XK_ACT_COUNT);
			struct xk_act_params p;
			xk_act_params_init(&p, act);
			/* k input rows laid out one after another; every 3rd
			 * case drops the first and last rows (padding). The
			 * buffer ends exactly at the last pixel's last channel,
			 * so reading past it is caught by ASan. */
			size_t row_len = in_w * cstride;
			float *in = random_floats(k * row_len - (cstride - C));
			const float *rows[7];
			for (size_t ky = 0; ky < k; ky++)
				rows[ky] = in + ky * row_len;
			if (cases % 3 == 0) {
				rows[0] = NULL;
				rows[k - 1] = NULL;
			}
			float *w = random_floats(C * k * k);
			float *bias = random_floats(C);
			float *pv = xk_alloc(xk_pack_dwconv_size(C, k, v->ct) * sizeof(float));
			float *pr = xk_alloc(xk_pack_dwconv_size(C, k, ref->ct) * sizeof(float));
			xk_pack_dwconv(C, k, v->ct, w, bias, pv);
			xk_pack_dwconv(C, k, ref->ct, w, bias, pr);
			size_t out_len = out_w * cstride;
			float *ov = filled(out_len, 1234.5f), *orf = filled(out_len, 1234.5f);
			v->fn(C, cstride, in_w, out_w, rows, pv, ov, &p);
			ref->fn(C, cstride, in_w, out_w, rows, pr, orf, &p);
			for (size_t ox = 0; ox < out_w; ox++)
				for (size_t c = 0; c < cstride; c++) {
					size_t at = ox * cstride + c;
					if (c >= C) {
						assert_true(ov[at] == 1234.5f);
						continue;
					}
					double sum = fabs(bias[c]);
					for (size_t ky = 0; ky < k; ky++)
						for (size_t kx = 0; kx < k; kx++) {
							ptrdiff_t ix = (ptrdiff_t)(ox * s + kx) - (ptrdiff_t)(k / 2);
							if (rows[ky] && ix >= 0 && ix < (ptrdiff_t)in_w)
								sum += fabs(rows[ky][ix * cstride + c] * w[c * k * k + ky * k + kx]);
						}
					check_close(v->name, at, ov[at], orf[at], 2 * bound(k * k, sum));
				}
			xk_free(in), xk_free(w), xk_free(bias), xk_free(pv);
			xk_free(pr), xk_free(ov), xk_free(orf);
		}
	print_message("%s: %zu shapes\n", v->name, cases);
}

/* ---- convolution micro-kernels --------------------------------------------- */

static void test_conv_variant(void **state)
{
	const struct conv_variant *v = *state;
	const struct conv_variant *ref = &conv_variants[0];
	assert_int_equal(ref->isa, XK_ISA_SCALAR);
	if (!cpu_or_skip(v->isa))
		return;
	const size_t ks[] = {1, 3, 5, 7};
	const size_t cins[] = {1, 3, 4};
	const size_t ns[] = {1, 5, v->nr / 2, v->nr - 1, v->nr, v->nr + 1,
			     2 * v->nr + 3};
	size_t cases = 0;
	for (size_t ik = 0; ik < COUNT(ks); ik++)
		for (size_t ic = 0; ic < COUNT(cins); ic++)
			for (size_t jn = 0; jn < COUNT(ns); jn++)
				for (size_t im = 0; im < 4; im++) {
					const size_t mrs[4] = {1, 2, v->mr > 2 ? v->mr - 1 : 1, v->mr};
					size_t mr = mrs[im];
					size_t k = ks[ik], cin = cins[ic], n = ns[jn];
					if (n == 0)
						continue;
					size_t s = 1 + cases % 2;
					size_t kwc = k * cin, xstride = s * cin;
					enum xk_act act = (enum xk_act)(cases++ % XK_ACT_COUNT);
					struct xk_act_params p;
					xk_act_params_init(&p, act);
					size_t row_len = (mr - 1) * xstride + kwc;
					float *in = random_floats(k * row_len);
					const float *rows[7];
					for (size_t ky = 0; ky < k; ky++)
						rows[ky] = in + ky * row_len;
					if (cases % 4 == 0 && k > 1)
						rows[k - 1] = NULL;
					float *w = random_floats(n * cin * k * k);
					float *bias = random_floats(n);
					float *pv = xk_alloc(xk_pack_conv_size(cin, n, k, v->nr) * sizeof(float));
					float *pr = xk_alloc(xk_pack_conv_size(cin, n, k, ref->nr) * sizeof(float));
					xk_pack_conv(cin, n, k, v->nr, w, bias, pv);
					xk_pack_conv(cin, n, k, ref->nr, w, bias, pr);
					size_t c_stride = n + 3;
					float *ov = filled(mr * c_stride, 1234.5f);
					float *orf = filled(mr * c_stride, 1234.5f);
					v->fn(mr, n, k, kwc, xstride, rows, pv, ov, c_stride, &p);
					for (size_t j = 0; j < mr; j += ref->mr)
						ref->fn(xk_min(ref->mr, mr - j), n, k, kwc, xstride,
							(const float *const[7]){
								rows[0] ? rows[0] + j * xstride : NULL,
								k > 1 && rows[1] ? rows[1] + j * xstride : NULL,
								k > 2 && rows[2] ? rows[2] + j * xstride : NULL,
								k > 3 && rows[3] ? rows[3] + j * xstride : NULL,
								k > 4 && rows[4] ? rows[4] + j * xstride : NULL,
								k > 5 && rows[5] ? rows[5] + j * xstride : NULL,
								k > 6 && rows[6] ? rows[6] + j * xstride : NULL},
							pr, orf + j * c_stride, c_stride, &p);
					for (size_t j = 0; j < mr; j++)
						for (size_t o = 0; o < c_stride; o++) {
							size_t at = j * c_stride + o;
							if (o >= n) {
								assert_true(ov[at] == 1234.5f);
								continue;
							}
							double sum = fabs(bias[o]);
							for (size_t ky = 0; ky < k; ky++)
								for (size_t t = 0; rows[ky] && t < kwc; t++)
									sum += fabs(rows[ky][j * xstride + t]);
							check_close(v->name, at, ov[at], orf[at], 2 * bound(k * kwc, sum));
						}
					xk_free(in), xk_free(w), xk_free(bias), xk_free(pv);
					xk_free(pr), xk_free(ov), xk_free(orf);
				}
	print_message("%s: %zu shapes\n", v->name, cases);
}

/* ---- operators against double precision, and thread counts ----------------- */

static struct xk_threadpool *pools[4]; /* [t] has t threads; [1] is NULL */

static void ref_dwconv(size_t batch, size_t h, size_t w, size_t C, size_t k,
		       size_t s, const float *in, const float *wt,
		       const float *bias, enum xk_act act, double *out,
		       double *mag)
{
	size_t oh = xk_div_up(h, s), ow = xk_div_up(w, s), pad = k / 2;
	for (size_t b = 0; b < batch; b++)
		for (size_t oy = 0; oy < oh; oy++)
			for (size_t ox = 0; ox < ow; ox++)
				for (size_t c = 0; c < C; c++) {
					double acc = bias[c], m = fabs(bias[c]);
					for (size_t ky = 0; ky < k; ky++)
						for (size_t kx = 0; kx < k; kx++) {
							ptrdiff_t iy = (ptrdiff_t)(oy * s + ky) - (ptrdiff_t)pad;
							ptrdiff_t ix = (ptrdiff_t)(ox * s + kx) - (ptrdiff_t)pad;
							if (iy < 0 || ix < 0 || iy >= (ptrdiff_t)h || ix >= (ptrdiff_t)w)
								continue;
							double x = in[((b * h + iy) * w + ix) * C + c];
							double t = x * wt[(c * k + ky) * k + kx];
							acc += t;
							m += fabs(t);
						}
					size_t at = ((b * oh + oy) * ow + ox) * C + c;
					out[at] = act_ref(acc, act);
					mag[at] = m;
				}
}

static void ref_conv(size_t batch, size_t h, size_t w, size_t cin, size_t cout,
		     size_t k, size_t s, const float *in, const float *wt,
		     const float *bias, enum xk_act act, double *out, double *mag)
{
	size_t oh = xk_div_up(h, s), ow = xk_div_up(w, s), pad = k / 2;
	for (size_t b = 0; b < batch; b++)
		for (size_t oy = 0; oy < oh; oy++)
			for (size_t ox = 0; ox < ow; ox++)
				for (size_t o = 0; o < cout; o++) {
					double acc = bias[o], m = fabs(bias[o]);
					for (size_t ci = 0; ci < cin; ci++)
						for (size_t ky = 0; ky < k; ky++)
							for (size_t kx = 0; kx < k; kx++) {
								ptrdiff_t iy = (ptrdiff_t)(oy * s + ky) - (ptrdiff_t)pad;
								ptrdiff_t ix = (ptrdiff_t)(ox * s + kx) - (ptrdiff_t)pad;
								if (iy < 0 || ix < 0 || iy >= (ptrdiff_t)h || ix >= (ptrdiff_t)w)
									continue;
								double t = (double)in[((b * h + iy) * w + ix) * cin + ci] *
									   wt[((o * cin + ci) * k + ky) * k + kx];
								acc += t;
								m += fabs(t);
							}
					size_t at = ((b * oh + oy) * ow + ox) * cout + o;
					out[at] = act_ref(acc, act);
					mag[at] = m;
				}
}

/* Runs an operator with 1, 2 and 3 threads: the bytes must be equal. */
#define RUN_THREADS(out, len, call)                                            \
	do {                                                                   \
		float *first_ = NULL;                                          \
		for (size_t t_ = 1; t_ <= 3; t_++) {                            \
			struct xk_threadpool *tp = pools[t_];                  \
			memset(out, 0xff, (len) * sizeof(float));              \
			call;                                                  \
			if (first_ == NULL) {                                  \
				first_ = xk_alloc((len) * sizeof(float));      \
				memcpy(first_, out, (len) * sizeof(float));    \
			} else if (memcmp(first_, out, (len) * sizeof(float)) != 0) { \
				fail_msg("%zu threads give other bytes than 1", t_); \
			}                                                      \
		}                                                              \
		xk_free(first_);                                               \
	} while (0)

static void test_gemm_op(void **state)
{
	enum xk_isa isa = (enum xk_isa)(uintptr_t)*state;
	if (!isa_or_skip(isa))
		return;
	const size_t shapes[][3] = {/* m, k, n */
		{1, 1, 1},   {1, 128, 10}, {1, 300, 1000}, {2, 24, 144},
		{49, 160, 97}, {196, 32, 96}, {37, 5, 33},  {3136 / 4, 24, 144}};
	for (size_t i = 0; i < COUNT(shapes); i++) {
		size_t m = shapes[i][0], k = shapes[i][1], n = shapes[i][2];
		enum xk_act act = (enum xk_act)(i % XK_ACT_COUNT);
		float *a = random_floats(m * k), *w = random_floats(n * k);
		float *bias = random_floats(n), *c = xk_alloc(m * n * sizeof(float));
		struct xk_gemm *op;
		struct xk_error err;
		assert_int_equal(xk_gemm_create(isa, k, n, w, bias, act, &op, &err), XK_OK);
		assert_int_equal(xk_gemm_isa(op), isa);
		RUN_THREADS(c, m * n, xk_gemm_run(op, m, a, k, c, n, tp));
		for (size_t r = 0; r < m; r++)
			for (size_t j = 0; j < n; j++) {
				double acc = bias[j], mag = fabs(bias[j]);
				for (size_t kk = 0; kk < k; kk++) {
					double t = (double)a[r * k + kk] * w[j * k + kk];
					acc += t;
					mag += fabs(t);
				}
				check_close("gemm op", r * n + j, c[r * n + j], act_ref(acc, act), bound(k, mag));
			}
		xk_gemm_destroy(op);
		xk_free(a), xk_free(w), xk_free(bias), xk_free(c);
	}
}

static void test_dwconv_op(void **state)
{
	enum xk_isa isa = (enum xk_isa)(uintptr_t)*state;
	if (!isa_or_skip(isa))
		return;
	const size_t shapes[][4] = {/* batch, h, w, C */
		{1, 1, 1, 5}, {1, 7, 9, 17}, {2, 13, 5, 8}, {1, 14, 14, 96},
		{1, 7, 7, 40}, {1, 2, 3, 33}, {3, 5, 11, 16}};
	size_t n = 0;
	for (size_t i = 0; i < COUNT(shapes); i++)
		for (size_t k = 3; k <= 7; k += 2)
			for (size_t s = 1; s <= 2; s++, n++) {
				size_t batch = shapes[i][0], h = shapes[i][1], w = shapes[i][2], C = shapes[i][3];
				size_t oh = xk_div_up(h, s), ow = xk_div_up(w, s);
				size_t len = batch * oh * ow * C;
				enum xk_act act = (enum xk_act)(n % XK_ACT_COUNT);
				float *in = random_floats(batch * h * w * C);
				float *wt = random_floats(C * k * k), *bias = random_floats(C);
				float *out = xk_alloc(len * sizeof(float));
				double *ref = malloc(len * sizeof(double)), *mag = malloc(len * sizeof(double));
				struct xk_dwconv *op;
				struct xk_error err;
				assert_int_equal(xk_dwconv_create(isa, C, k, s, wt, bias, act, &op, &err), XK_OK);
				assert_int_equal(xk_dwconv_check(op, batch, h, w, &err), XK_OK);
				RUN_THREADS(out, len, xk_dwconv_run(op, batch, h, w, in, out, tp));
				ref_dwconv(batch, h, w, C, k, s, in, wt, bias, act, ref, mag);
				for (size_t e = 0; e < len; e++)
					check_close("dwconv op", e, out[e], ref[e], bound(k * k, mag[e]));
				xk_dwconv_destroy(op);
				xk_free(in), xk_free(wt), xk_free(bias), xk_free(out);
				free(ref), free(mag);
			}
}

static void test_conv_op(void **state)
{
	enum xk_isa isa = (enum xk_isa)(uintptr_t)*state;
	if (!isa_or_skip(isa))
		return;
	const size_t shapes[][7] = {/* batch, h, w, cin, cout, k, s */
		{1, 28, 28, 1, 16, 3, 1}, {1, 31, 29, 3, 32, 3, 2}, {2, 9, 7, 3, 5, 3, 2},
		{1, 1, 1, 1, 16, 3, 1},   {1, 2, 3, 2, 40, 5, 1},   {1, 11, 13, 4, 17, 7, 2},
		{1, 20, 20, 1, 16, 3, 1}, {1, 6, 6, 3, 8, 1, 1}};
	for (size_t i = 0; i < COUNT(shapes); i++) {
		size_t batch = shapes[i][0], h = shapes[i][1], w = shapes[i][2], cin = shapes[i][3];
		size_t cout = shapes[i][4], k = shapes[i][5], s = shapes[i][6];
		size_t oh = xk_div_up(h, s), ow = xk_div_up(w, s), len = batch * oh * ow * cout;
		enum xk_act act = (enum xk_act)(i % XK_ACT_COUNT);
		float *in = random_floats(batch * h * w * cin);
		float *wt = random_floats(cout * cin * k * k), *bias = random_floats(cout);
		float *out = xk_alloc(len * sizeof(float));
		double *ref = malloc(len * sizeof(double)), *mag = malloc(len * sizeof(double));
		struct xk_conv *op;
		struct xk_error err;
		assert_int_equal(xk_conv_create(isa, cin, cout, k, s, wt, bias, act, &op, &err), XK_OK);
		assert_int_equal(xk_conv_check(op, batch, h, w, &err), XK_OK);
		RUN_THREADS(out, len, xk_conv_run(op, batch, h, w, in, out, tp));
		ref_conv(batch, h, w, cin, cout, k, s, in, wt, bias, act, ref, mag);
		for (size_t e = 0; e < len; e++)
			check_close("conv op", e, out[e], ref[e], bound(k * k * cin, mag[e]));
		xk_conv_destroy(op);
		xk_free(in), xk_free(wt), xk_free(bias), xk_free(out);
		free(ref), free(mag);
	}
}

/* ---- small operators ------------------------------------------------------- */

static void test_small_ops(void **state)
{
	(void)state;
	/* global average pooling */
	float in[2 * 3 * 2] = {1, 2, 3, 4, 5, 6, /* image 0: 3 pixels x 2 ch */
			       -1, 0, -1, 0, -1, 3};
	float gap[4];
	xk_gavgpool(2, 3, 2, in, gap);
	assert_float_equal(gap[0], 3.0f, 1e-6);
	assert_float_equal(gap[1], 4.0f, 1e-6);
	assert_float_equal(gap[2], -1.0f, 1e-6);
	assert_float_equal(gap[3], 1.0f, 1e-6);

	/* add with activations */
	float a[4] = {-2, 1, 5, 7}, b[4] = {1, 1, 2, 1}, o[4];
	xk_add(4, a, b, XK_ACT_RELU6, o);
	assert_true(o[0] == 0 && o[1] == 2 && o[2] == 6 && o[3] == 6);
	xk_add(4, a, b, XK_ACT_NONE, a); /* in place */
	assert_true(a[0] == -1 && a[1] == 2 && a[2] == 7 && a[3] == 8);

	/* h-swish / h-sigmoid at the kinks and between */
	float x[6] = {-4, -3, -1.5f, 0, 1.5f, 3}, hs[6], hg[6];
	xk_hswish(6, x, hs);
	xk_hsigmoid(6, x, hg);
	const float hs_want[6] = {0, 0, -0.375f, 0, 1.125f, 3};
	const float hg_want[6] = {0, 0, 0.25f, 0.5f, 0.75f, 1};
	for (int i = 0; i < 6; i++) {
		assert_float_equal(hs[i], hs_want[i], 1e-6);
		assert_float_equal(hg[i], hg_want[i], 1e-6);
	}

	/* bilinear: PyTorch's interpolate([0, 1], 4, align_corners=False) is
	 * [0, 0.25, 0.75, 1]; same size is the identity; 2 channels move alike. */
	float line[4] = {0, 10, 1, 20}, up[8];
	xk_resize_bilinear(1, 1, 2, 1, 4, 2, line, up);
	const float up_want[8] = {0, 10, 0.25f, 12.5f, 0.75f, 17.5f, 1, 20};
	for (int i = 0; i < 8; i++)
		assert_float_equal(up[i], up_want[i], 1e-6);
	float *img = random_floats(2 * 5 * 7 * 3), *same = xk_alloc(2 * 5 * 7 * 3 * sizeof(float));
	xk_resize_bilinear(2, 5, 7, 5, 7, 3, img, same);
	assert_memory_equal(img, same, 2 * 5 * 7 * 3 * sizeof(float));
	/* downscale 28 -> 20 (the supernet's resolutions), one known value:
	 * output 0 samples x = 0.5 * 28/20 - 0.5 = 0.2 */
	float ramp[28], down[20];
	for (int i = 0; i < 28; i++)
		ramp[i] = (float)i;
	xk_resize_bilinear(1, 1, 28, 1, 20, 1, ramp, down);
	assert_float_equal(down[0], 0.2f, 1e-5);
	assert_float_equal(down[19], 19.5f * 1.4f - 0.5f, 1e-4);
	xk_free(img), xk_free(same);

	/* softmax and argmax */
	float logits[6] = {1, 2, 3, 1000, 1000, -1000}, sm[6];
	xk_softmax(2, 3, logits, sm);
	assert_float_equal(sm[0] + sm[1] + sm[2], 1.0f, 1e-6);
	assert_float_equal(sm[2] / sm[1], expf(1.0f), 1e-4);
	assert_float_equal(sm[3], 0.5f, 1e-6); /* no overflow */
	assert_float_equal(sm[5], 0.0f, 1e-6);
	assert_int_equal(xk_argmax(3, logits), 2);
	assert_int_equal(xk_argmax(3, logits + 3), 0); /* first of the ties */
	float withnan[3] = {NAN, 1, 2};
	assert_int_equal(xk_argmax(3, withnan), 2);
}

/* ---- thread pool ----------------------------------------------------------- */

struct count_ctx {
	int hits[1000];
};

static void count_task(void *p, size_t t) { __atomic_add_fetch(&((struct count_ctx *)p)->hits[t], 1, __ATOMIC_RELAXED); }

struct who_ctx {
	pthread_t thread[2];
};

static void who_task(void *p, size_t t)
{
	struct timespec ts = {0, 30 * 1000 * 1000};
	((struct who_ctx *)p)->thread[t] = pthread_self();
	nanosleep(&ts, NULL);
}

static void test_threadpool(void **state)
{
	(void)state;
	struct count_ctx ctx;
	for (size_t t = 1; t <= 3; t++) {
		for (int round = 0; round < 50; round++) {
			memset(&ctx, 0, sizeof(ctx));
			size_t n = 1 + (size_t)round * 19 % 1000;
			xk_threadpool_run(pools[t], n, count_task, &ctx);
			for (size_t i = 0; i < 1000; i++)
				assert_int_equal(ctx.hits[i], i < n ? 1 : 0);
		}
		assert_int_equal(xk_threadpool_threads(pools[t]), t);
	}
	/* the workers take part: two tasks that each sleep 30 ms run on two
	 * threads (the caller sleeps in one while a worker claims the other) */
	for (size_t t = 2; t <= 3; t++) {
		struct who_ctx who = {{0}};
		xk_threadpool_run(pools[t], 2, who_task, &who);
		assert_true(who.thread[0] != 0 && who.thread[1] != 0);
		assert_false(pthread_equal(who.thread[0], who.thread[1]));
	}
	/* pinning: cpu 0 exists; cpu 100000 cannot be pinned, and the pool still works */
	struct xk_threadpool *tp;
	struct xk_error err;
	int cpu0 = 0, bad = 100000;
	assert_int_equal(xk_threadpool_create(2, &cpu0, 1, false, &tp, &err), XK_OK);
	memset(&ctx, 0, sizeof(ctx));
	xk_threadpool_run(tp, 100, count_task, &ctx);
	assert_int_equal(ctx.hits[99], 1);
	assert_int_equal(xk_threadpool_pinned(tp), 1);
	xk_threadpool_destroy(tp);
	assert_int_equal(xk_threadpool_create(2, &bad, 1, false, &tp, &err), XK_OK);
	memset(&ctx, 0, sizeof(ctx));
	xk_threadpool_run(tp, 100, count_task, &ctx);
	assert_int_equal(ctx.hits[0] + ctx.hits[99], 2);
	assert_int_equal(xk_threadpool_pinned(tp), 0);
	xk_threadpool_destroy(tp);
	assert_int_equal(xk_threadpool_create(0, NULL, 0, false, &tp, &err), XK_EINVAL);
	assert_non_null(strstr(err.msg, "0 threads"));
	xk_threadpool_destroy(NULL);
}

/* ---- refused shapes -------------------------------------------------------- */

static void test_bad_input(void **state)
{
	(void)state;
	static float w[16 * 16 * 7 * 7]; /* zeros, big enough for every create below */
	struct xk_error err;
	struct xk_dwconv *dw = NULL;
	struct xk_conv *cv = NULL;
	struct xk_gemm *gm = NULL;
	assert_int_equal(xk_dwconv_create(XK_ISA_SCALAR, 8, 4, 1, w, NULL, XK_ACT_NONE, &dw, &err), XK_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "kernel 4x4"));
	assert_null(dw);
	assert_int_equal(xk_dwconv_create(XK_ISA_SCALAR, 8, 3, 3, w, NULL, XK_ACT_NONE, &dw, &err), XK_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "stride 3"));
	assert_int_equal(xk_dwconv_create(XK_ISA_SCALAR, 0, 3, 1, w, NULL, XK_ACT_NONE, &dw, &err), XK_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "0 channels"));
	assert_int_equal(xk_dwconv_create(XK_ISA_SCALAR, 8, 3, 1, w, NULL, (enum xk_act)9, &dw, &err), XK_EINVAL);
	assert_int_equal(xk_dwconv_create(XK_ISA_SCALAR, 8, 3, 1, w, NULL, XK_ACT_RELU, &dw, &err), XK_OK);
	assert_int_equal(xk_dwconv_check(dw, 1, 0, 5, &err), XK_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "1x0x5x8"));
	xk_dwconv_destroy(dw);
	assert_int_equal(xk_conv_create(XK_ISA_SCALAR, 3, 16, 4, 1, w, NULL, XK_ACT_NONE, &cv, &err), XK_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "kernel 4x4"));
	assert_int_equal(xk_conv_create(XK_ISA_SCALAR, 16, 16, 7, 1, w, NULL, XK_ACT_NONE, &cv, &err), XK_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "16 -> 16 channels"));
	assert_int_equal(xk_conv_create(XK_ISA_SCALAR, 3, 16, 3, 1, w, NULL, XK_ACT_NONE, &cv, &err), XK_OK);
	assert_int_equal(xk_conv_check(cv, 1, 5, 70000, &err), XK_EUNSUPPORTED);
	xk_conv_destroy(cv);
	assert_int_equal(xk_gemm_create(XK_ISA_SCALAR, 0, 16, w, NULL, XK_ACT_NONE, &gm, &err), XK_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "0 inputs"));
	assert_null(gm);
	/* an instruction set this build or CPU does not have */
	enum xk_isa missing = XK_ISA_COUNT;
	for (int i = 0; i < XK_ISA_COUNT; i++)
		if (!xk_isa_supported((enum xk_isa)i))
			missing = (enum xk_isa)i;
	assert_true(missing != XK_ISA_COUNT); /* x86 lacks neon, arm lacks avx */
	assert_int_equal(xk_gemm_create(missing, 4, 4, w, NULL, XK_ACT_NONE, &gm, &err), XK_ENOISA);
	assert_non_null(strstr(err.msg, xk_isa_name(missing)));
	/* names */
	enum xk_isa isa;
	assert_true(xk_isa_parse("avx512", &isa) && isa == XK_ISA_AVX512);
	assert_false(xk_isa_parse("sse", &isa));
	enum xk_act act;
	assert_true(xk_act_parse("hswish", &act) && act == XK_ACT_HSWISH);
	assert_false(xk_act_parse("gelu", &act));
	assert_string_equal(xk_strerror(XK_ENOISA), "instruction set not available on this CPU");
}

/* ---- dispatch -------------------------------------------------------------- */

/* xk_isa_default follows XK_ISA: make test runs this with XK_ISA unset, set to
 * "scalar" and set to "bogus". */
static void test_isa_default(void **state)
{
	(void)state;
	const char *env = getenv("XK_ISA");
	enum xk_isa isa = XK_ISA_COUNT, want;
	struct xk_error err = {{0}};
	enum xk_status s = xk_isa_default(&isa, &err);
	if (env == NULL || env[0] == '\0') {
		assert_int_equal(s, XK_OK);
		assert_true(xk_isa_supported(isa));
		for (int i = isa + 1; i < XK_ISA_COUNT; i++) /* the best one */
			assert_false(xk_isa_supported((enum xk_isa)i) && i != XK_ISA_NEON);
		print_message("default instruction set: %s\n", xk_isa_name(isa));
	} else if (xk_isa_parse(env, &want) && xk_isa_supported(want)) {
		assert_int_equal(s, XK_OK);
		assert_int_equal(isa, want);
		/* operators created with the default use it */
		float w[4] = {1, 2, 3, 4};
		struct xk_gemm *op;
		assert_int_equal(xk_gemm_create(XK_ISA_DEFAULT, 2, 2, w, NULL, XK_ACT_NONE, &op, &err), XK_OK);
		assert_int_equal(xk_gemm_isa(op), want);
		xk_gemm_destroy(op);
	} else {
		assert_int_equal(s, XK_ENOISA);
		assert_int_equal(isa, XK_ISA_COUNT); /* untouched */
		assert_non_null(strstr(err.msg, "XK_ISA="));
		assert_non_null(strstr(err.msg, env));
		print_message("refused as expected: %s\n", err.msg);
	}
}

/* ---- main ------------------------------------------------------------------ */

static int pools_setup(void **state)
{
	(void)state;
	struct xk_error err;
	/* Split every shape into as many tasks as it has units, so that the
	 * 2- and 3-thread runs really spread the work. */
	xk_min_task_macs = 1.0;
	for (size_t t = 2; t <= 3; t++)
		if (xk_threadpool_create(t, NULL, 0, false, &pools[t], &err) != XK_OK)
			return -1;
	return 0;
}

static int pools_teardown(void **state)
{
	(void)state;
	for (size_t t = 2; t <= 3; t++)
		xk_threadpool_destroy(pools[t]);
	return 0;
}

int main(void)
{
	static struct CMUnitTest tests[256];
	size_t n = 0;
	for (size_t i = 0; i < COUNT(gemm_variants); i++)
		tests[n++] = (struct CMUnitTest){gemm_variants[i].name, test_gemm_variant, NULL, NULL,
						 (void *)&gemm_variants[i]};
	for (size_t i = 0; i < COUNT(dwconv_variants); i++)
		tests[n++] = (struct CMUnitTest){dwconv_variants[i].name, test_dwconv_variant, NULL,
						 NULL, (void *)&dwconv_variants[i]};
	for (size_t i = 0; i < COUNT(conv_variants); i++)
		tests[n++] = (struct CMUnitTest){conv_variants[i].name, test_conv_variant, NULL, NULL,
						 (void *)&conv_variants[i]};
	static char names[XK_ISA_COUNT][3][32];
	for (int isa = 0; isa < XK_ISA_COUNT; isa++) {
		static const char *const what[3] = {"gemm_op", "dwconv_op", "conv_op"};
		static const CMUnitTestFunction fns[3] = {test_gemm_op, test_dwconv_op, test_conv_op};
		for (int f = 0; f < 3; f++) {
			snprintf(names[isa][f], sizeof(names[isa][f]), "%s__%s", what[f],
				 xk_isa_name((enum xk_isa)isa));
			tests[n++] = (struct CMUnitTest){names[isa][f], fns[f], NULL, NULL,
							 (void *)(uintptr_t)isa};
		}
	}
	tests[n++] = (struct CMUnitTest){"small_ops", test_small_ops, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"threadpool", test_threadpool, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"bad_input", test_bad_input, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"isa_default", test_isa_default, NULL, NULL, NULL};
	if (getenv("XK_TEST_FILTER"))
		cmocka_set_test_filter(getenv("XK_TEST_FILTER"));
	print_message("cpu features: %s\n", xk_cpu_features());
	return _cmocka_run_group_tests("kernels", tests, n, pools_setup, pools_teardown);
}
