/* qs8-ops.c - the int8 operators: check parameters, fold the input's zero
 * point into the biases, pack weights once, cut the work into tasks and call
 * the micro-kernels (xk-qs8.h); and the f32 <-> int8 conversions.
 *
 * Every output is exact integer arithmetic followed by one fixed sequence of
 * f32 operations (xk.h), so results are the same bytes whatever the
 * instruction set, tile or thread computes them. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"

#define fail XK_FAIL
#define MAX_SIDE (1u << 16)

bool xk_qparams_valid(struct xk_qparams q)
{
	return isfinite(q.scale) && q.scale >= 1e-30f && q.scale <= 1e30f &&
	       q.zero_point >= -128 && q.zero_point <= 127;
}

void xk_qs8_params_init(struct xk_qs8_params *p, float *m, size_t n,
			const float *wscale, struct xk_qparams in,
			struct xk_qparams out, enum xk_act act)
{
	p->hswish = act == XK_ACT_HSWISH;
	p->r = (float)(1.0 / (double)out.scale);
	p->zp = out.zero_point;
	p->lo = (float)(-128 - out.zero_point);
	p->hi = (float)(127 - out.zero_point);
	if (act == XK_ACT_RELU || act == XK_ACT_RELU6)
		p->lo = 0.0f > p->lo ? 0.0f : p->lo;
	if (act == XK_ACT_RELU6) {
		double six = nearbyint(6.0 / (double)out.scale);
		if (six < (double)p->hi)
			p->hi = (float)six;
	}
	for (size_t o = 0; m && o < n; o++) {
		double s = (double)in.scale * (double)wscale[o];
		m[o] = (float)(p->hswish ? s : s / (double)out.scale);
	}
}

/* Checks what every weighted operator shares; `taps` is the K of a sum. */
static enum xk_status check_quant(const char *op, size_t n, size_t taps,
				  const int32_t *bias, const float *wscale,
				  struct xk_qparams in, struct xk_qparams out,
				  enum xk_act act, struct xk_error *err)
{
	if ((unsigned)act >= XK_ACT_COUNT)
		fail(err, XK_EINVAL, "%s: activation %d is not valid", op, (int)act);
	if (!xk_qparams_valid(in) || !xk_qparams_valid(out))
		fail(err, XK_EINVAL,
		     "%s: quantization in (scale %g, zero point %d) / out (scale %g, "
		     "zero point %d): scales must be finite and > 0, zero points -128..127",
		     op, (double)in.scale, (int)in.zero_point, (double)out.scale,
		     (int)out.zero_point);
	if (taps > XK_QS8_MAX_K)
		fail(err, XK_EUNSUPPORTED,
		     "%s: %zu products per output: at most %d for exact int32 sums", op,
		     taps, XK_QS8_MAX_K);
	if (wscale == NULL)
		fail(err, XK_EINVAL, "%s: weight scales not given", op);
	for (size_t o = 0; o < n; o++) {
		if (!(wscale[o] > 0.0f) || !isfinite(wscale[o]))
			fail(err, XK_EINVAL,
			     "%s: weight scale of channel %zu is %g: must be finite and > 0",
			     op, o, (double)wscale[o]);
		if (bias && (bias[o] > XK_QS8_MAX_BIAS || bias[o] < -XK_QS8_MAX_BIAS))
			fail(err, XK_EUNSUPPORTED,
			     "%s: bias of channel %zu is %d: must be within +-2^30", op, o,
			     (int)bias[o]);
	}
	return XK_OK;
}

static enum xk_status pick(const char *op, enum xk_isa *isa,
			   const struct xk_qs8_kernels **kern,
			   struct xk_error *err)
{
	if (*isa == XK_ISA_DEFAULT) {
		enum xk_status s = xk_isa_default(isa, err);
		if (s != XK_OK)
			return s;
	}
	if ((unsigned)*isa >= XK_ISA_COUNT)
		fail(err, XK_EINVAL, "%s: instruction set %d is not valid", op, (int)*isa);
	*kern = xk_qs8_kernels(*isa);
	if (*kern == NULL)
		fail(err, XK_ENOISA,
		     "%s: instruction set '%s' is not supported here (cpu features: %s)",
		     op, xk_isa_name(*isa), xk_cpu_features());
	return XK_OK;
}

/* ---- packing ------------------------------------------------------------- */

size_t xk_qs8_pack_gemm_size(size_t k, size_t n, size_t nr, size_t kr)
{
	return xk_div_up(n, nr) * xk_qs8_gemm_strip_bytes(k, nr, kr);
}

void xk_qs8_pack_gemm(size_t k, size_t n, size_t nr, size_t kr,
		      int32_t a_offset, int32_t in_zp, const int8_t *w,
		      const int32_t *bias, const float *m, void *packed)
{
	uint8_t *strip = packed;
	const size_t kg = xk_div_up(k, kr);
	for (size_t j0 = 0; j0 < n; j0 += nr) {
		int32_t *b = (int32_t *)strip;
		float *mm = (float *)(strip + 4 * nr);
		int8_t *wk = (int8_t *)(strip + 8 * nr);
		memset(wk, 0, kg * kr * nr);
		for (size_t j = 0; j < nr; j++) {
			size_t o = j0 + j;
			if (o >= n) {
				b[j] = 0;
				mm[j] = 0.0f;
				continue;
			}
			int64_t sum = 0;
			for (size_t kk = 0; kk < k; kk++) {
				int8_t v = w[o * k + kk];
				sum += v;
				wk[(kk / kr) * nr * kr + j * kr + kk % kr] = v;
			}
			int64_t bb = (bias ? bias[o] : 0) - (int64_t)(in_zp + a_offset) * sum;
			b[j] = (int32_t)bb; /* within int32: check_quant bounds k, bias */
			mm[j] = m[o];
		}
		strip += xk_qs8_gemm_strip_bytes(k, nr, kr);
	}
}

size_t xk_qs8_pack_dwconv_size(size_t channels, size_t k, size_t ct, size_t wb)
{
	return xk_div_up(channels, ct) * xk_qs8_dwconv_tile_bytes(k, ct, wb);
}

void xk_qs8_pack_dwconv(size_t channels, size_t k, size_t ct, size_t wb,
			int32_t in_zp, const int8_t *w, const int32_t *bias,
			const float *m, void *packed)
{
	uint8_t *tile = packed;
	const size_t taps = k * k;
	for (size_t c0 = 0; c0 < channels; c0 += ct) {
		/* tiles of ct 1 and wb 2 are not 4-byte aligned: memcpy */
		uint8_t *wt = tile + 8 * ct;
		memset(tile, 0, 8 * ct);
		memset(wt, 0, taps * ct * wb);
		for (size_t j = 0; j < ct && c0 + j < channels; j++) {
			size_t c = c0 + j;
			int32_t sum = 0;
			for (size_t t = 0; t < taps; t++) {
				int16_t v = w[c * taps + t];
				sum += v;
				memcpy(wt + (t * ct + j) * wb, &v, 2); /* high half stays 0 */
			}
			int32_t b = (bias ? bias[c] : 0) - in_zp * sum;
			memcpy(tile + 4 * j, &b, 4);
			memcpy(tile + 4 * (ct + j), &m[c], 4);
		}
		tile += xk_qs8_dwconv_tile_bytes(k, ct, wb);
	}
}

/* ---- GEMM ------------------------------------------------------------------ */

struct xk_qs8_gemm {
	enum xk_isa isa;
	const struct xk_qs8_gemm_kernel *g; /* chosen for n (xk_qs8_gemm_pick) */
	size_t k, n, strip;
	uint8_t *packed;
	struct xk_qs8_params p;
};

/* Packs [n][k] weights for g; m computed from the scales. */
static uint8_t *pack_gemm_for(const struct xk_qs8_gemm_kernel *g, size_t k,
			      size_t n, const int8_t *w, const int32_t *bias,
			      const float *wscale, struct xk_qparams in,
			      struct xk_qparams out, enum xk_act act,
			      struct xk_qs8_params *p)
{
	float *m = malloc(n * sizeof(float));
	uint8_t *packed = xk_alloc(xk_qs8_pack_gemm_size(k, n, g->nr, g->kr));
	if (m == NULL || packed == NULL) {
		free(m);
		xk_free(packed);
		return NULL;
	}
	xk_qs8_params_init(p, m, n, wscale, in, out, act);
	xk_qs8_pack_gemm(k, n, g->nr, g->kr, g->a_offset, in.zero_point, w, bias, m,
			 packed);
	free(m);
	return packed;
}

enum xk_status xk_qs8_gemm_create(enum xk_isa isa, size_t k, size_t n,
				  const int8_t *w, const int32_t *bias,
				  const float *wscale, struct xk_qparams in,
				  struct xk_qparams out, enum xk_act act,
				  struct xk_qs8_gemm **op_out, struct xk_error *err)
{
	const struct xk_qs8_kernels *kern;
	enum xk_status s = pick("qs8 gemm", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if (k == 0 || n == 0 || n > (1u << 24) || w == NULL)
		fail(err, XK_EUNSUPPORTED,
		     "qs8 gemm: %zu inputs x %zu outputs: both must be at least 1, outputs "
		     "at most %u, and weights given", k, n, 1u << 24);
	if ((s = check_quant("qs8 gemm", n, k, bias, wscale, in, out, act, err)) != XK_OK)
		return s;
	const struct xk_qs8_gemm_kernel *g = xk_qs8_gemm_pick(kern, n);
	struct xk_qs8_gemm *op = calloc(1, sizeof(*op));
	if (op == NULL ||
	    (op->packed = pack_gemm_for(g, k, n, w, bias, wscale, in, out, act,
					&op->p)) == NULL) {
		free(op);
		fail(err, XK_ENOMEM, "qs8 gemm: out of memory packing %zu x %zu", k, n);
	}
	op->isa = isa;
	op->g = g;
	op->k = k;
	op->n = n;
	op->strip = xk_qs8_gemm_strip_bytes(k, g->nr, g->kr);
	*op_out = op;
	return XK_OK;
}

void xk_qs8_gemm_destroy(struct xk_qs8_gemm *op)
{
	if (op == NULL)
		return;
	xk_free(op->packed);
	free(op);
}

enum xk_isa xk_qs8_gemm_isa(const struct xk_qs8_gemm *op) { return op->isa; }

struct gemm_job {
	const struct xk_qs8_gemm *op;
	struct xk_gemm_work g;
	const int8_t *a;
	size_t a_stride;
	int8_t *c;
	size_t c_stride;
};

static void gemm_task(void *p, size_t t)
{
	const struct gemm_job *j = p;
	const struct xk_qs8_gemm *op = j->op;
	size_t u0, u1;
	xk_task_range(j->g.units, j->g.tasks, t, &u0, &u1);
	for (size_t u = u0; u < u1; u++) {
		size_t i, mi, n0, nc;
		xk_gemm_work_unit(&j->g, u, &i, &mi, &n0, &nc);
		op->g->fn(mi, nc, op->k, j->a + i * j->a_stride, j->a_stride,
			  op->packed + n0 / op->g->nr * op->strip, j->c + i * j->c_stride + n0,
			  j->c_stride, &op->p);
	}
}

void xk_qs8_gemm_run(const struct xk_qs8_gemm *op, size_t m, const int8_t *a,
		     size_t a_stride, int8_t *c, size_t c_stride,
		     struct xk_threadpool *tp)
{
	if (m == 0)
		return;
	struct gemm_job j = {.op = op, .a = a, .a_stride = a_stride, .c = c,
			     .c_stride = c_stride};
	xk_gemm_work_plan(&j.g, m, op->n, op->k, op->g->mr, op->g->nr, op->strip, 0, tp);
	xk_threadpool_run(tp, j.g.tasks, gemm_task, &j);
}

/* ---- depthwise ------------------------------------------------------------- */

struct xk_qs8_dwconv {
	enum xk_isa isa;
	xk_qs8_dwconv_ukernel_fn fn;
	size_t channels, k, s, ct, tile;
	uint8_t *packed;
	int8_t *zero;       /* channels bytes of the input's zero point */
	struct xk_qs8_params p;
};

enum xk_status xk_qs8_dwconv_create(enum xk_isa isa, size_t channels,
				    size_t kernel, size_t stride,
				    const int8_t *w, const int32_t *bias,
				    const float *wscale, struct xk_qparams in,
				    struct xk_qparams out, enum xk_act act,
				    struct xk_qs8_dwconv **op_out,
				    struct xk_error *err)
{
	const struct xk_qs8_kernels *kern;
	enum xk_status s = pick("qs8 dwconv", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if (kernel != 3 && kernel != 5 && kernel != 7)
		fail(err, XK_EUNSUPPORTED,
		     "qs8 dwconv: kernel %zux%zu not supported: use 3, 5 or 7", kernel, kernel);
	if (stride != 1 && stride != 2)
		fail(err, XK_EUNSUPPORTED, "qs8 dwconv: stride %zu not supported: use 1 or 2",
		     stride);
	if (channels == 0 || channels > (1u << 20) || w == NULL)
		fail(err, XK_EUNSUPPORTED,
		     "qs8 dwconv: %zu channels: must be 1 to %u and weights given", channels,
		     1u << 20);
	if ((s = check_quant("qs8 dwconv", channels, kernel * kernel, bias, wscale, in,
			     out, act, err)) != XK_OK)
		return s;
	const size_t ct = kern->dwconv_ct, wb = kern->dwconv_wb;
	struct xk_qs8_dwconv *op = calloc(1, sizeof(*op));
	float *m = malloc(channels * sizeof(float));
	uint8_t *packed = xk_alloc(xk_qs8_pack_dwconv_size(channels, kernel, ct, wb));
	int8_t *zero = xk_alloc(xk_round_up(channels, 64));
	if (op == NULL || m == NULL || packed == NULL || zero == NULL) {
		free(op);
		free(m);
		xk_free(packed);
		xk_free(zero);
		fail(err, XK_ENOMEM, "qs8 dwconv: out of memory");
	}
	xk_qs8_params_init(&op->p, m, channels, wscale, in, out, act);
	xk_qs8_pack_dwconv(channels, kernel, ct, wb, in.zero_point, w, bias, m, packed);
	free(m);
	memset(zero, (int)(int8_t)in.zero_point, xk_round_up(channels, 64));
	op->isa = isa;
	op->fn = kern->dwconv[kernel / 2 - 1][stride - 1];
	op->channels = channels;
	op->k = kernel;
	op->s = stride;
	op->ct = ct;
	op->tile = xk_qs8_dwconv_tile_bytes(kernel, ct, wb);
	op->packed = packed;
	op->zero = zero;
	*op_out = op;
	return XK_OK;
}

void xk_qs8_dwconv_destroy(struct xk_qs8_dwconv *op)
{
	if (op == NULL)
		return;
	xk_free(op->packed);
	xk_free(op->zero);
	free(op);
}

enum xk_isa xk_qs8_dwconv_isa(const struct xk_qs8_dwconv *op) { return op->isa; }

enum xk_status xk_qs8_dwconv_check(const struct xk_qs8_dwconv *op, size_t batch,
				   size_t h, size_t w, struct xk_error *err)
{
	if (batch == 0 || h == 0 || w == 0 || h > MAX_SIDE || w > MAX_SIDE ||
	    batch > MAX_SIDE)
		fail(err, XK_EUNSUPPORTED,
		     "qs8 dwconv: input %zux%zux%zux%zu (NHWC) not supported: sizes must be "
		     "1 to %u", batch, h, w, op->channels, MAX_SIDE);
	return XK_OK;
}

struct dwconv_job {
	const struct xk_qs8_dwconv *op;
	struct xk_dw_work d;
	const int8_t *in;
	int8_t *out;
};

static void dwconv_task(void *p, size_t t)
{
	const struct dwconv_job *j = p;
	const struct xk_qs8_dwconv *op = j->op;
	size_t u0, u1;
	xk_task_range(j->d.units, j->d.tasks, t, &u0, &u1);
	for (size_t u = u0; u < u1; u++) {
		size_t c0, o, in[7];
		size_t n = xk_dw_work_unit(&j->d, u, &c0, &o, in);
		const int8_t *rows[7];
		for (size_t ky = 0; ky < op->k; ky++)
			rows[ky] = in[ky] == SIZE_MAX ? NULL : j->in + in[ky];
		op->fn(n, op->channels, j->d.w, j->d.ow, rows, op->zero + c0,
		       op->packed + c0 / op->ct * op->tile, j->out + o, &op->p);
	}
}

void xk_qs8_dwconv_run(const struct xk_qs8_dwconv *op, size_t batch, size_t h,
		       size_t w, const int8_t *in, int8_t *out,
		       struct xk_threadpool *tp)
{
	struct dwconv_job j = {.op = op, .in = in, .out = out};
	xk_dw_work_plan(&j.d, batch, h, w, op->channels, op->k, op->s, op->ct, tp);
	xk_threadpool_run(tp, j.d.tasks, dwconv_task, &j);
}

/* ---- full convolution: patches, then the GEMM micro-kernel ---------------- */

struct xk_qs8_conv {
	enum xk_isa isa;
	const struct xk_qs8_gemm_kernel *g; /* chosen for cout */
	size_t cin, cout, k, s, patch, strip;
	uint8_t *packed;
	int8_t zp;
	struct xk_qs8_params p;
};

#define CONV_MAX_MR 16

enum xk_status xk_qs8_conv_create(enum xk_isa isa, size_t cin, size_t cout,
				  size_t kernel, size_t stride,
				  const int8_t *w, const int32_t *bias,
				  const float *wscale, struct xk_qparams in,
				  struct xk_qparams out, enum xk_act act,
				  struct xk_qs8_conv **op_out, struct xk_error *err)
{
	const struct xk_qs8_kernels *kern;
	enum xk_status s = pick("qs8 conv", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if (kernel == 0 || kernel % 2 == 0 || kernel > XK_CONV_MAX_KERNEL)
		fail(err, XK_EUNSUPPORTED,
		     "qs8 conv: kernel %zux%zu not supported: use an odd size up to %d",
		     kernel, kernel, XK_CONV_MAX_KERNEL);
	if (stride != 1 && stride != 2)
		fail(err, XK_EUNSUPPORTED, "qs8 conv: stride %zu not supported: use 1 or 2",
		     stride);
	if (cin == 0 || cout == 0 || cout > (1u << 16) || w == NULL ||
	    cin * kernel * kernel > XK_CONV_MAX_PATCH)
		fail(err, XK_EUNSUPPORTED,
		     "qs8 conv: %zu -> %zu channels with a %zux%zu kernel not supported: "
		     "the patch (cin x k x k) must be at most %d", cin, cout, kernel, kernel,
		     XK_CONV_MAX_PATCH);
	const struct xk_qs8_gemm_kernel *g = xk_qs8_gemm_pick(kern, cout);
	assert(g->mr <= CONV_MAX_MR);
	const size_t patch = cin * kernel * kernel;
	if ((s = check_quant("qs8 conv", cout, patch, bias, wscale, in, out, act, err)) !=
	    XK_OK)
		return s;
	/* [cout][cin][ky][kx] -> [cout][ky][kx][cin]: a patch row of NHWC */
	int8_t *wt = malloc(cout * patch);
	struct xk_qs8_conv *op = calloc(1, sizeof(*op));
	if (wt == NULL || op == NULL) {
		free(wt);
		free(op);
		fail(err, XK_ENOMEM, "qs8 conv: out of memory");
	}
	for (size_t o = 0; o < cout; o++)
		for (size_t ci = 0; ci < cin; ci++)
			for (size_t t = 0; t < kernel * kernel; t++)
				wt[o * patch + t * cin + ci] = w[(o * cin + ci) * kernel * kernel + t];
	op->packed = pack_gemm_for(g, patch, cout, wt, bias, wscale, in, out, act, &op->p);
	free(wt);
	if (op->packed == NULL) {
		free(op);
		fail(err, XK_ENOMEM, "qs8 conv: out of memory");
	}
	op->isa = isa;
	op->g = g;
	op->cin = cin;
	op->cout = cout;
	op->k = kernel;
	op->s = stride;
	op->patch = patch;
	op->strip = xk_qs8_gemm_strip_bytes(patch, g->nr, g->kr);
	op->zp = (int8_t)in.zero_point;
	*op_out = op;
	return XK_OK;
}

void xk_qs8_conv_destroy(struct xk_qs8_conv *op)
{
	if (op == NULL)
		return;
	xk_free(op->packed);
	free(op);
}

enum xk_isa xk_qs8_conv_isa(const struct xk_qs8_conv *op) { return op->isa; }

enum xk_status xk_qs8_conv_check(const struct xk_qs8_conv *op, size_t batch,
				 size_t h, size_t w, struct xk_error *err)
{
	if (batch == 0 || h == 0 || w == 0 || h > MAX_SIDE || w > MAX_SIDE ||
	    batch > MAX_SIDE)
		fail(err, XK_EUNSUPPORTED,
		     "qs8 conv: input %zux%zux%zux%zu (NHWC) not supported: sizes must be "
		     "1 to %u", batch, h, w, op->cin, MAX_SIDE);
	return XK_OK;
}

struct conv_job {
	const struct xk_qs8_conv *op;
	size_t h, w, oh, ow;
	const int8_t *in;
	int8_t *out;
	size_t rows, tasks;
};

static void conv_task(void *p, size_t t)
{
	const struct conv_job *j = p;
	const struct xk_qs8_conv *op = j->op;
	const size_t k = op->k, s = op->s, cin = op->cin, pad = (k - 1) / 2;
	const size_t mr = op->g->mr, patch = op->patch;
	int8_t buf[CONV_MAX_MR * XK_CONV_MAX_PATCH];
	size_t r0, r1;
	xk_task_range(j->rows, j->tasks, t, &r0, &r1);
	for (size_t r = r0; r < r1; r++) {
		size_t b = r / j->oh, oy = r % j->oh;
		int8_t *out = j->out + r * j->ow * op->cout;
		for (size_t ox0 = 0; ox0 < j->ow; ox0 += mr) {
			size_t n = xk_min(mr, j->ow - ox0);
			for (size_t i = 0; i < n; i++) {
				int8_t *dst = buf + i * patch;
				for (size_t ky = 0; ky < k; ky++) {
					size_t iy = oy * s + ky; /* + pad */
					size_t ix0 = (ox0 + i) * s; /* + pad */
					if (iy >= pad && iy - pad < j->h && ix0 >= pad &&
					    ix0 - pad + k <= j->w) {
						/* the k pixels of the row are in the image:
						 * k * cin bytes in a row (NHWC) */
						memcpy(dst + ky * k * cin,
						       j->in + ((b * j->h + iy - pad) * j->w + ix0 -
								pad) * cin, k * cin);
						continue;
					}
					for (size_t kx = 0; kx < k; kx++) {
						size_t ix = (ox0 + i) * s + kx;
						int8_t *d = dst + (ky * k + kx) * cin;
						if (iy < pad || iy - pad >= j->h || ix < pad ||
						    ix - pad >= j->w)
							memset(d, op->zp, cin);
						else
							memcpy(d, j->in + ((b * j->h + iy - pad) * j->w +
									   ix - pad) * cin, cin);
					}
				}
			}
			op->g->fn(n, op->cout, patch, buf, patch, op->packed,
				  out + ox0 * op->cout, op->cout, &op->p);
		}
	}
}

void xk_qs8_conv_run(const struct xk_qs8_conv *op, size_t batch, size_t h,
		     size_t w, const int8_t *in, int8_t *out,
		     struct xk_threadpool *tp)
{
	struct conv_job j = {op, h, w, xk_div_up(h, op->s), xk_div_up(w, op->s),
			     in, out, 0, 0};
	j.rows = batch * j.oh;
	double macs = (double)j.rows * j.ow * op->cout * op->patch;
	j.tasks = xk_task_count(j.rows, macs, tp);
	xk_threadpool_run(tp, j.tasks, conv_task, &j);
}

/* ---- add, global average pooling ------------------------------------------- */

enum xk_status xk_qs8_add_init(struct xk_qs8_add *p, enum xk_isa isa,
			       struct xk_qparams a, struct xk_qparams b,
			       struct xk_qparams out, enum xk_act act,
			       struct xk_error *err)
{
	const struct xk_qs8_kernels *kern;
	enum xk_status s = pick("qs8 add", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if (act != XK_ACT_NONE && act != XK_ACT_RELU)
		fail(err, XK_EUNSUPPORTED, "qs8 add: activation '%s' not supported: none or relu",
		     xk_act_name(act));
	if (!xk_qparams_valid(a) || !xk_qparams_valid(b) || !xk_qparams_valid(out))
		fail(err, XK_EINVAL, "qs8 add: a quantization is not valid (scales finite "
		     "and > 0, zero points -128..127)");
	p->fn = kern->vadd;
	p->ma = (float)((double)a.scale / (double)out.scale);
	p->mb = (float)((double)b.scale / (double)out.scale);
	p->za = a.zero_point;
	p->zb = b.zero_point;
	p->zp = out.zero_point;
	p->lo = (float)(-128 - out.zero_point);
	p->hi = (float)(127 - out.zero_point);
	if (act == XK_ACT_RELU && p->lo < 0.0f)
		p->lo = 0.0f;
	p->isa = isa;
	return XK_OK;
}

void xk_qs8_add_run(const struct xk_qs8_add *p, size_t n, const int8_t *a,
		    const int8_t *b, int8_t *out)
{
	p->fn(n, a, b, out, p);
}

enum xk_status xk_qs8_gavgpool_init(struct xk_qs8_gavgpool *p, enum xk_isa isa,
				    size_t pixels, struct xk_qparams in,
				    struct xk_qparams out, struct xk_error *err)
{
	const struct xk_qs8_kernels *kern;
	enum xk_status s = pick("qs8 gavgpool", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if (pixels == 0 || pixels > (1u << 22))
		fail(err, XK_EUNSUPPORTED, "qs8 gavgpool: %zu pixels: 1 to %u", pixels,
		     1u << 22);
	if (!xk_qparams_valid(in) || !xk_qparams_valid(out))
		fail(err, XK_EINVAL, "qs8 gavgpool: a quantization is not valid (scales "
		     "finite and > 0, zero points -128..127)");
	p->fn = kern->gavgpool;
	p->bias = -(int32_t)pixels * in.zero_point;
	p->m = (float)((double)in.scale / ((double)pixels * (double)out.scale));
	p->zp = out.zero_point;
	p->lo = (float)(-128 - out.zero_point);
	p->hi = (float)(127 - out.zero_point);
	p->pixels = pixels;
	p->isa = isa;
	return XK_OK;
}

void xk_qs8_gavgpool_run(const struct xk_qs8_gavgpool *p, size_t batch,
			 size_t channels, const int8_t *in, int8_t *out)
{
	for (size_t b = 0; b < batch; b++)
		p->fn(p->pixels, channels, in + b * p->pixels * channels,
		      out + b * channels, p);
}

/* ---- conversions ------------------------------------------------------------ */

static void quantize_params(struct xk_qs8_quantize *p, struct xk_qparams q)
{
	p->inv = (float)(1.0 / (double)q.scale);
	p->lo = (float)(-128 - q.zero_point);
	p->hi = (float)(127 - q.zero_point);
	p->zp = q.zero_point;
}

enum xk_status xk_qs8_quantize_init(struct xk_qs8_quantize *p, enum xk_isa isa,
				    struct xk_qparams q, struct xk_error *err)
{
	const struct xk_qs8_kernels *kern;
	enum xk_status s = pick("qs8 quantize", &isa, &kern, err);
	if (s != XK_OK)
		return s;
	if (!xk_qparams_valid(q))
		fail(err, XK_EINVAL, "qs8 quantize: scale %g, zero point %d: the scale must "
		     "be finite and > 0, the zero point -128..127", (double)q.scale,
		     (int)q.zero_point);
	quantize_params(p, q);
	p->fn = kern->quantize;
	p->isa = isa;
	return XK_OK;
}

void xk_qs8_quantize_run(const struct xk_qs8_quantize *p, size_t n,
			 const float *in, int8_t *out)
{
	p->fn(n, in, out, p);
}

void xk_qs8_quantize(size_t n, const float *in, struct xk_qparams q, int8_t *out)
{
	struct xk_qs8_quantize p;
	quantize_params(&p, q);
	xk_qs8_quantize_ukernel__scalar(n, in, out, &p);
}

void xk_qs8_dequantize(size_t n, const int8_t *in, struct xk_qparams q, float *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (float)((int32_t)in[i] - q.zero_point) * q.scale;
}
