/* kernels-qs8.c - the int8 tables of the kernel benchmark: our int8
 * operators (the kernels the library dispatches), our f32 operators on the
 * same data, Debian's XNNPACK qs8 and qc8 convolutions and oneDNN's u8s8u8
 * convolution, on the anchors' shapes (kernel-anchors.md).
 *
 * Every engine gets the same int8 data and quantization. The zero points of
 * input and output are -128, so that oneDNN's u8 tensors (q + 128) have zero
 * point 0 and need no zero-point attribute (which would slow it down). Our
 * output must be byte-equal to our scalar operator's; the others may round
 * differently, so the table shows the share of their outputs within one step
 * of ours: a low share means a reference set up for another computation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <dnnl_debug.h>
#pragma GCC diagnostic pop

#include "kernels.h"
#include "xk-ukernel.h" /* xk_qs8_kernels and the kernel lists: names */

/* ---- Quantization ---------------------------------------------------------- */

#define Q_ZP (-128)              /* input and output zero point */
#define Q_IN_SCALE (1.0f / 32)
#define Q_W_SCALE (1.0f / 256)   /* per tensor; per channel within +-25% */
#define Q_SPREAD 50.0            /* output steps per standard deviation */
#define MATCH_MIN 0.9            /* below: the reference computes another thing */

/* Output scale for a sum of `taps` products of uniform x - zp in [0, 255]
 * and w in [-127, 127]: its standard deviation is about sqrt(taps * 21717 *
 * 5418) in units of in.scale * w.scale; that becomes Q_SPREAD steps. Half the
 * outputs are negative and clamp at the zero point (as after a ReLU). */
static float out_scale(const struct shape *sh)
{
	double sd = sqrt((double)shape_taps(sh) * 21717.0 * 5418.0);
	return (float)((double)Q_IN_SCALE * Q_W_SCALE * sd / Q_SPREAD);
}

/* A shape's data: one int8 tensor in each engine's layout. */
struct qdata {
	int8_t *in;           /* [h][w][cin] */
	uint8_t *in_u8;       /* in + 128: oneDNN's source (zero point 0) */
	int8_t *w;            /* PyTorch's [cout][cin][k][k] (dw: [C][k][k]) */
	int8_t *w_ohwi;       /* XNNPACK's [cout][k][k][cin] */
	float *wscale;        /* [cout], per channel */
	float *wscale_t;      /* [cout], all Q_W_SCALE: xnnpack-qs8's */
	float *dscale;        /* [cout], oneDNN's: in * wscale[o] / out */
	float *in_f, *w_f;    /* dequantized, for our f32 operators */
	struct xk_qparams qin, qout;
};

static void qdata_free(struct qdata *d)
{
	free(d->in);
	free(d->in_u8);
	free(d->w);
	free(d->w_ohwi);
	free(d->wscale);
	free(d->wscale_t);
	free(d->dscale);
	free(d->in_f);
	free(d->w_f);
	memset(d, 0, sizeof(*d));
}

/* The same data for a shape whatever the filter: the seed is its index. */
static bool qdata_make(const struct shape *sh, size_t index, struct qdata *d)
{
	uint64_t seed = 0x18eed0000u + index;
	size_t nin = shape_in_count(sh), nw = shape_w_count(sh), co = sh->cout;
	size_t per_o = nw / co;
	memset(d, 0, sizeof(*d));
	d->in = alloc_bytes(nin);
	d->in_u8 = alloc_bytes(nin);
	d->w = alloc_bytes(nw);
	d->w_ohwi = alloc_bytes(nw);
	d->wscale = alloc_bytes(co * sizeof(float));
	d->wscale_t = alloc_bytes(co * sizeof(float));
	d->dscale = alloc_bytes(co * sizeof(float));
	d->in_f = alloc_bytes(nin * sizeof(float));
	d->w_f = alloc_bytes(nw * sizeof(float));
	if (!d->in || !d->in_u8 || !d->w || !d->w_ohwi || !d->wscale ||
	    !d->wscale_t || !d->dscale || !d->in_f || !d->w_f) {
		qdata_free(d);
		return false;
	}
	d->qin = (struct xk_qparams){Q_IN_SCALE, Q_ZP};
	d->qout = (struct xk_qparams){out_scale(sh), Q_ZP};
	for (size_t i = 0; i < nin; i++) {
		d->in[i] = (int8_t)(rng_next(&seed) & 0xff);
		d->in_u8[i] = (uint8_t)(d->in[i] + 128);
	}
	for (size_t i = 0; i < nw; i++)
		d->w[i] = (int8_t)((int)(rng_next(&seed) % 255) - 127);
	for (size_t o = 0; o < co; o++) {
		double u = (double)(rng_next(&seed) >> 11) * 0x1p-53;
		d->wscale[o] = (float)(Q_W_SCALE * (0.75 + 0.5 * u));
		d->wscale_t[o] = Q_W_SCALE;
		d->dscale[o] = (float)((double)d->qin.scale * d->wscale[o] /
				       d->qout.scale);
	}
	xk_qs8_dequantize(nin, d->in, d->qin, d->in_f);
	for (size_t i = 0; i < nw; i++)
		d->w_f[i] = (float)d->w[i] * d->wscale[i / per_o];
	if (sh->fam == FAM_CONV) {
		size_t k = sh->k, ci = sh->cin;
		for (size_t o = 0; o < co; o++)
			for (size_t c = 0; c < ci; c++)
				for (size_t y = 0; y < k; y++)
					for (size_t x = 0; x < k; x++)
						d->w_ohwi[((o * k + y) * k + x) * ci + c] =
							d->w[((o * ci + c) * k + y) * k + x];
	} else {
		memcpy(d->w_ohwi, d->w, nw); /* [C][k][k][1] and [N][1][1][K] */
	}
	return true;
}

/* ---- Engines ------------------------------------------------------------------ */

enum qeng {
	Q_XK,       /* ours int8, XK_ISA_DEFAULT */
	Q_F32,      /* ours f32, XK_ISA_DEFAULT */
	Q_XNN_QS8,
	Q_XNN_QC8,
	Q_DNNL,
	Q_REF,      /* ours int8, XK_ISA_SCALAR: the check, not timed */
	Q_REF_T,    /* the same with xnnpack-qs8's per-tensor scale */
};

struct qimpl {
	enum qeng eng;
	char label[24];
	char note[80];              /* the kernel or implementation that ran */
	const struct shape *sh;
	const void *in;             /* int8; uint8 for oneDNN; f32 for Q_F32 */
	void *out;                  /* owned; same types */
	struct xk_threadpool *tp;
	pthreadpool_t xtp;
	union {
		struct xk_qs8_gemm *gemm;
		struct xk_qs8_dwconv *dw;
		struct xk_qs8_conv *conv;
		struct xk_gemm *fgemm;
		struct xk_dwconv *fdw;
		struct xk_conv *fconv;
	} op;                       /* Q_XK, Q_F32, Q_REF, Q_REF_T */
	xnn_operator_t xop;         /* Q_XNN_* */
	dnnl_primitive_t dprim;     /* Q_DNNL */
	dnnl_stream_t dstream;
	dnnl_memory_t dmem[3];      /* src, weights, dst */
	dnnl_exec_arg_t dargs[3];
	double match;               /* share within 1 step of ours; NAN: n/a */
	bool equal;                 /* Q_XK: byte-equal to Q_REF */
	bool bad;                   /* MISMATCH or LOW: out of the ratios */
	double sec, others;
};

static bool is_ours_int8(enum qeng e)
{
	return e == Q_XK || e == Q_REF || e == Q_REF_T;
}

static void qimpl_run(void *arg)
{
	struct qimpl *im = arg;
	const struct shape *sh = im->sh;
	if (is_ours_int8(im->eng)) {
		if (sh->fam == FAM_CONV)
			xk_qs8_conv_run(im->op.conv, 1, sh->h, sh->w, im->in, im->out,
					im->tp);
		else if (sh->fam == FAM_DW)
			xk_qs8_dwconv_run(im->op.dw, 1, sh->h, sh->w, im->in,
					  im->out, im->tp);
		else
			xk_qs8_gemm_run(im->op.gemm, sh->h * sh->w, im->in, sh->cin,
					im->out, sh->cout, im->tp);
		return;
	}
	switch (im->eng) {
	case Q_F32:
		if (sh->fam == FAM_CONV)
			xk_conv_run(im->op.fconv, 1, sh->h, sh->w, im->in, im->out,
				    im->tp);
		else if (sh->fam == FAM_DW)
			xk_dwconv_run(im->op.fdw, 1, sh->h, sh->w, im->in, im->out,
				      im->tp);
		else
			xk_gemm_run(im->op.fgemm, sh->h * sh->w, im->in, sh->cin,
				    im->out, sh->cout, im->tp);
		break;
	case Q_XNN_QS8:
	case Q_XNN_QC8:
		xnn_run_operator(im->xop, im->xtp);
		break;
	case Q_DNNL:
		dnnl_primitive_execute(im->dprim, im->dstream, 3, im->dargs);
		dnnl_stream_wait(im->dstream);
		break;
	default:
		break;
	}
}

static void qimpl_release(struct qimpl *im)
{
	const struct shape *sh = im->sh;
	if (is_ours_int8(im->eng)) {
		if (sh->fam == FAM_CONV)
			xk_qs8_conv_destroy(im->op.conv);
		else if (sh->fam == FAM_DW)
			xk_qs8_dwconv_destroy(im->op.dw);
		else
			xk_qs8_gemm_destroy(im->op.gemm);
	} else if (im->eng == Q_F32) {
		if (sh->fam == FAM_CONV)
			xk_conv_destroy(im->op.fconv);
		else if (sh->fam == FAM_DW)
			xk_dwconv_destroy(im->op.fdw);
		else
			xk_gemm_destroy(im->op.fgemm);
	} else if (im->eng == Q_XNN_QS8 || im->eng == Q_XNN_QC8) {
		if (im->xop != NULL)
			xnn_delete_operator(im->xop);
	} else if (im->eng == Q_DNNL) {
		if (im->dprim != NULL)
			dnnl_primitive_destroy(im->dprim);
		for (size_t i = 0; i < 3; i++)
			if (im->dmem[i] != NULL)
				dnnl_memory_destroy(im->dmem[i]);
	}
	free(im->out);
	memset(im, 0, sizeof(*im));
}

/* The name of the depthwise micro-kernel fn, from the family's list. */
static const char *dwconv_kernel_name(xk_qs8_dwconv_ukernel_fn fn)
{
	static const struct {
		xk_qs8_dwconv_ukernel_fn fn;
		const char *name;
	} list[] = {
#define XK_QS8_DWCONV(f, isa, k, s, ct, wb, feature) {f, #f},
#include "qs8-dwconv/qs8-dwconv.inc"
#undef XK_QS8_DWCONV
	};
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (list[i].fn == fn)
			return list[i].name;
	return NULL;
}

/* The micro-kernel our int8 operator for sh runs on isa (a resolved ISA). */
static const char *qs8_kernel_name(const struct shape *sh, enum xk_isa isa)
{
	const struct xk_qs8_kernels *k = xk_qs8_kernels(isa);
	if (k == NULL)
		return "unknown kernel";
	if (sh->fam != FAM_DW)
		return xk_qs8_gemm_pick(k, sh->cout)->name;
	const char *name = dwconv_kernel_name(k->dwconv[sh->k / 2 - 1][sh->s - 1]);
	return name != NULL ? name : k->dwconv_name;
}

static bool qxk_setup(struct qimpl *im, enum xk_isa isa, const struct qdata *d)
{
	const struct shape *sh = im->sh;
	const float *wscale = im->eng == Q_REF_T ? d->wscale_t : d->wscale;
	struct xk_error err = {{0}};
	enum xk_status st;
	if (sh->fam == FAM_CONV) {
		st = xk_qs8_conv_create(isa, sh->cin, sh->cout, sh->k, sh->s, d->w,
					NULL, wscale, d->qin, d->qout, XK_ACT_NONE,
					&im->op.conv, &err);
		if (st == XK_OK) {
			isa = xk_qs8_conv_isa(im->op.conv);
			st = xk_qs8_conv_check(im->op.conv, 1, sh->h, sh->w, &err);
		}
	} else if (sh->fam == FAM_DW) {
		st = xk_qs8_dwconv_create(isa, sh->cin, sh->k, sh->s, d->w, NULL,
					  wscale, d->qin, d->qout, XK_ACT_NONE,
					  &im->op.dw, &err);
		if (st == XK_OK) {
			isa = xk_qs8_dwconv_isa(im->op.dw);
			st = xk_qs8_dwconv_check(im->op.dw, 1, sh->h, sh->w, &err);
		}
	} else {
		st = xk_qs8_gemm_create(isa, sh->cin, sh->cout, d->w, NULL, wscale,
					d->qin, d->qout, XK_ACT_NONE, &im->op.gemm,
					&err);
		if (st == XK_OK)
			isa = xk_qs8_gemm_isa(im->op.gemm);
	}
	if (st != XK_OK) {
		printf("warning: %s: %s: %s (%s); skipped\n", sh->name, im->label,
		       err.msg[0] ? err.msg : "no message", xk_strerror(st));
		return false;
	}
	if (im->eng == Q_XK)
		snprintf(im->label, sizeof(im->label), "xk-i8-%s", xk_isa_name(isa));
	snprintf(im->note, sizeof(im->note), "%s", qs8_kernel_name(sh, isa));
	return true;
}

static bool f32_setup(struct qimpl *im, const struct qdata *d)
{
	const struct shape *sh = im->sh;
	struct xk_error err = {{0}};
	enum xk_status st;
	enum xk_isa isa = XK_ISA_DEFAULT;
	if (sh->fam == FAM_CONV) {
		st = xk_conv_create(XK_ISA_DEFAULT, sh->cin, sh->cout, sh->k, sh->s,
				    d->w_f, NULL, XK_ACT_NONE, &im->op.fconv, &err);
		if (st == XK_OK) {
			isa = xk_conv_isa(im->op.fconv);
			st = xk_conv_check(im->op.fconv, 1, sh->h, sh->w, &err);
		}
	} else if (sh->fam == FAM_DW) {
		st = xk_dwconv_create(XK_ISA_DEFAULT, sh->cin, sh->k, sh->s, d->w_f,
				      NULL, XK_ACT_NONE, &im->op.fdw, &err);
		if (st == XK_OK) {
			isa = xk_dwconv_isa(im->op.fdw);
			st = xk_dwconv_check(im->op.fdw, 1, sh->h, sh->w, &err);
		}
	} else {
		st = xk_gemm_create(XK_ISA_DEFAULT, sh->cin, sh->cout, d->w_f, NULL,
				    XK_ACT_NONE, &im->op.fgemm, &err);
		if (st == XK_OK)
			isa = xk_gemm_isa(im->op.fgemm);
	}
	if (st != XK_OK) {
		printf("warning: %s: %s: %s (%s); skipped\n", sh->name, im->label,
		       err.msg[0] ? err.msg : "no message", xk_strerror(st));
		return false;
	}
	snprintf(im->label, sizeof(im->label), "xk-f32-%s", xk_isa_name(isa));
	return true;
}

static bool xnn_qsetup(struct qimpl *im, const struct qdata *d)
{
	const struct shape *sh = im->sh;
	uint32_t p = (uint32_t)(sh->k - 1) / 2, k = (uint32_t)sh->k,
		 s = (uint32_t)sh->s;
	bool dw = sh->fam == FAM_DW;
	/* Depthwise: groups = C with one channel each ([C][k][k][1]). */
	uint32_t groups = dw ? (uint32_t)sh->cin : 1;
	size_t gic = dw ? 1 : sh->cin, goc = dw ? 1 : sh->cout;
	const char *what;
	enum xnn_status st;
	if (im->eng == Q_XNN_QS8) {
		what = "xnn_create_convolution2d_nhwc_qs8";
		st = xnn_create_convolution2d_nhwc_qs8(
			p, p, p, p, k, k, s, s, 1, 1, groups, gic, goc, sh->cin,
			sh->cout, (int8_t)Q_ZP, d->qin.scale, Q_W_SCALE, d->w_ohwi,
			NULL, (int8_t)Q_ZP, d->qout.scale, INT8_MIN, INT8_MAX, 0,
			&im->xop);
		if (st == xnn_status_success) {
			what = "xnn_setup_convolution2d_nhwc_qs8";
			st = xnn_setup_convolution2d_nhwc_qs8(im->xop, 1, sh->h, sh->w,
							      im->in, im->out, im->xtp);
		}
	} else {
		what = "xnn_create_convolution2d_nhwc_qc8";
		st = xnn_create_convolution2d_nhwc_qc8(
			p, p, p, p, k, k, s, s, 1, 1, groups, gic, goc, sh->cin,
			sh->cout, (int8_t)Q_ZP, d->qin.scale, d->wscale, d->w_ohwi,
			NULL, (int8_t)Q_ZP, d->qout.scale, INT8_MIN, INT8_MAX, 0,
			&im->xop);
		if (st == xnn_status_success) {
			what = "xnn_setup_convolution2d_nhwc_qc8";
			st = xnn_setup_convolution2d_nhwc_qc8(im->xop, 1, sh->h, sh->w,
							      im->in, im->out, im->xtp);
		}
	}
	if (st != xnn_status_success) {
		printf("warning: %s: %s: %s: %s; skipped\n", sh->name, im->label,
		       what, xnn_status_name(st));
		return false;
	}
	return true;
}

/* u8 src and dst (nhwc, zero point 0), s8 weights in oneDNN's chosen layout
 * (reordered once from oihw / goihw), output scale per channel. */
static bool dnnl_qsetup(struct qimpl *im, const struct env *env,
			const struct qdata *d)
{
	const struct shape *sh = im->sh;
	dnnl_memory_desc_t src_md, dst_md, wei_md, wei_user_md;
	dnnl_convolution_desc_t cd;
	dnnl_primitive_attr_t attr = NULL;
	dnnl_primitive_desc_t pd = NULL, rpd = NULL;
	dnnl_primitive_t reorder = NULL;
	dnnl_memory_t user_w = NULL;
	bool ok = false;
	dnnl_dim_t ci = (dnnl_dim_t)sh->cin, co = (dnnl_dim_t)sh->cout;
	dnnl_dim_t k = (dnnl_dim_t)sh->k, s = (dnnl_dim_t)sh->s,
		   p = (dnnl_dim_t)(sh->k - 1) / 2;
	dnnl_dims_t sd = {1, ci, (dnnl_dim_t)sh->h, (dnnl_dim_t)sh->w};
	dnnl_dims_t dd = {1, co, (dnnl_dim_t)shape_oh(sh), (dnnl_dim_t)shape_ow(sh)};
	dnnl_dims_t wd = {co, ci, k, k}, gwd = {ci, 1, 1, k, k};
	dnnl_dims_t strides = {s, s}, pad = {p, p};
	bool dw = sh->fam == FAM_DW;
	int wn = dw ? 5 : 4;

	if (!onednn_ok(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_u8,
						    dnnl_nhwc), sh, "src desc") ||
	    !onednn_ok(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_u8,
						    dnnl_nhwc), sh, "dst desc") ||
	    !onednn_ok(dnnl_memory_desc_init_by_tag(&wei_md, wn, dw ? gwd : wd,
						    dnnl_s8, dnnl_format_tag_any),
		       sh, "weights desc") ||
	    !onednn_ok(dnnl_memory_desc_init_by_tag(&wei_user_md, wn,
						    dw ? gwd : wd, dnnl_s8,
						    dw ? dnnl_goihw : dnnl_oihw),
		       sh, "user weights desc") ||
	    !onednn_ok(dnnl_convolution_forward_desc_init(
			       &cd, dnnl_forward_inference, dnnl_convolution_direct,
			       &src_md, &wei_md, NULL, &dst_md, strides, pad, pad),
		       sh, "dnnl_convolution_forward_desc_init") ||
	    !onednn_ok(dnnl_primitive_attr_create(&attr), sh, "attr") ||
	    !onednn_ok(dnnl_primitive_attr_set_output_scales(attr, co, 1 << 1,
							     d->dscale),
		       sh, "dnnl_primitive_attr_set_output_scales") ||
	    !onednn_ok(dnnl_primitive_desc_create(&pd, &cd, attr, env->deng, NULL),
		       sh, "dnnl_primitive_desc_create"))
		goto out;
	const char *impl_name = NULL;
	if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0,
				      &impl_name) == dnnl_success &&
	    impl_name != NULL)
		snprintf(im->note, sizeof(im->note), "%s", impl_name);
	const dnnl_memory_desc_t *wmd =
		dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	if (wmd == NULL) {
		printf("warning: %s: onednn: no weights desc; skipped\n", sh->name);
		goto out;
	}
	if (!onednn_ok(dnnl_primitive_create(&im->dprim, pd), sh,
		       "dnnl_primitive_create") ||
	    !onednn_ok(dnnl_memory_create(&im->dmem[0], &src_md, env->deng,
					  (void *)im->in), sh, "src memory") ||
	    !onednn_ok(dnnl_memory_create(&im->dmem[2], &dst_md, env->deng,
					  im->out), sh, "dst memory") ||
	    !onednn_ok(dnnl_memory_create(&user_w, &wei_user_md, env->deng, d->w),
		       sh, "user weights memory") ||
	    !onednn_ok(dnnl_memory_create(&im->dmem[1], wmd, env->deng,
					  DNNL_MEMORY_ALLOCATE),
		       sh, "weights memory") ||
	    !onednn_ok(dnnl_reorder_primitive_desc_create(&rpd, &wei_user_md,
							  env->deng, wmd,
							  env->deng, NULL),
		       sh, "weights reorder desc") ||
	    !onednn_ok(dnnl_primitive_create(&reorder, rpd), sh,
		       "weights reorder"))
		goto out;
	dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, user_w},
				    {DNNL_ARG_TO, im->dmem[1]}};
	if (!onednn_ok(dnnl_primitive_execute(reorder, env->dstream, 2, rargs),
		       sh, "weights reorder run") ||
	    !onednn_ok(dnnl_stream_wait(env->dstream), sh, "stream wait"))
		goto out;
	im->dstream = env->dstream;
	im->dargs[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, im->dmem[0]};
	im->dargs[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, im->dmem[1]};
	im->dargs[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, im->dmem[2]};
	ok = true;
out:
	if (reorder != NULL)
		dnnl_primitive_destroy(reorder);
	if (rpd != NULL)
		dnnl_primitive_desc_destroy(rpd);
	if (user_w != NULL)
		dnnl_memory_destroy(user_w);
	if (pd != NULL)
		dnnl_primitive_desc_destroy(pd);
	if (attr != NULL)
		dnnl_primitive_attr_destroy(attr);
	return ok;
}

static const char *const qeng_labels[] = {
	[Q_XK] = "xk-i8", [Q_F32] = "xk-f32", [Q_XNN_QS8] = "xnnpack-qs8",
	[Q_XNN_QC8] = "xnnpack-qc8", [Q_DNNL] = "onednn-u8s8u8",
	[Q_REF] = "xk-i8-scalar", [Q_REF_T] = "xk-i8-scalar/qs8",
};

/* Sets up im for eng; false (reported) when it cannot run this shape. */
static bool qimpl_setup(struct qimpl *im, enum qeng eng, const struct shape *sh,
			const struct qdata *d, const struct env *env)
{
	memset(im, 0, sizeof(*im));
	im->eng = eng;
	im->sh = sh;
	im->tp = env->tp;
	im->xtp = env->xtp;
	im->sec = NAN;
	im->match = NAN;
	snprintf(im->label, sizeof(im->label), "%s", qeng_labels[eng]);
	size_t nout = shape_out_count(sh);
	im->in = eng == Q_DNNL ? (const void *)d->in_u8
		 : eng == Q_F32 ? (const void *)d->in_f
				: (const void *)d->in;
	im->out = alloc_bytes(eng == Q_F32 ? nout * sizeof(float) : nout);
	if (im->out == NULL) {
		printf("warning: %s: %s: out of memory; skipped\n", sh->name,
		       im->label);
		return false;
	}
	bool ok;
	if (eng == Q_XK)
		ok = qxk_setup(im, XK_ISA_DEFAULT, d);
	else if (eng == Q_REF || eng == Q_REF_T)
		ok = qxk_setup(im, XK_ISA_SCALAR, d);
	else if (eng == Q_F32)
		ok = f32_setup(im, d);
	else if (eng == Q_DNNL)
		ok = dnnl_qsetup(im, env, d);
	else
		ok = xnn_qsetup(im, d);
	if (!ok)
		qimpl_release(im);
	return ok;
}

/* Runs im once on an output filled with 127 (rare in the results), checking
 * the references' statuses. */
static bool qimpl_first_run(struct qimpl *im)
{
	size_t n = shape_out_count(im->sh);
	if (im->eng == Q_F32)
		for (size_t i = 0; i < n; i++)
			((float *)im->out)[i] = NAN;
	else
		memset(im->out, im->eng == Q_DNNL ? 255 : 127, n);
	if (im->eng == Q_XNN_QS8 || im->eng == Q_XNN_QC8) {
		enum xnn_status st = xnn_run_operator(im->xop, im->xtp);
		if (st != xnn_status_success) {
			printf("warning: %s: %s: xnn_run_operator: %s; skipped\n",
			       im->sh->name, im->label, xnn_status_name(st));
			return false;
		}
		return true;
	}
	if (im->eng == Q_DNNL)
		return onednn_ok(dnnl_primitive_execute(im->dprim, im->dstream, 3,
							im->dargs),
				 im->sh, "dnnl_primitive_execute") &&
		       onednn_ok(dnnl_stream_wait(im->dstream), im->sh,
				 "dnnl_stream_wait");
	qimpl_run(im);
	return true;
}

/* Share of im's outputs, as int8 of our quantization, within 1 step of ref;
 * NAN when out of memory. */
static double share_within1(const struct qimpl *im, const int8_t *ref,
			    const struct qdata *d)
{
	size_t n = shape_out_count(im->sh), near = 0;
	int8_t *q = NULL;
	if (im->eng == Q_F32) {
		q = malloc(n);
		if (q == NULL)
			return NAN;
		xk_qs8_quantize(n, im->out, d->qout, q);
	}
	for (size_t i = 0; i < n; i++) {
		int v = q != NULL ? q[i]
			: im->eng == Q_DNNL ? (int)((const uint8_t *)im->out)[i] - 128
					    : ((const int8_t *)im->out)[i];
		near += abs(v - ref[i]) <= 1;
	}
	free(q);
	return n ? (double)near / (double)n : 1;
}

/* ---- Peak ------------------------------------------------------------------------ */

#define VNNI_ACCS 16 /* vpdpbusd chains of the peak loop */

#if defined(__x86_64__)
static volatile int vnni_sink;

#define QREP16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) \
	X(11) X(12) X(13) X(14) X(15)
/* 16 independent chains of vpdpbusd (64 u8 x s8 products each). */
__attribute__((target("avx512f,avx512vnni"))) static void vnni_zmm(void *arg)
{
	size_t n = *(const size_t *)arg;
	const __m512i x = _mm512_set1_epi8((char)(n | 1));
	const __m512i y = _mm512_set1_epi8((char)(n >> 8 | 1));
#define DECL(i) __m512i a##i = _mm512_set1_epi32(i);
	QREP16(DECL)
#undef DECL
	for (size_t i = 0; i < n; i++) {
#define STEP(i) a##i = _mm512_dpbusd_epi32(a##i, x, y);
		QREP16(STEP)
#undef STEP
	}
	__m512i s = _mm512_setzero_si512();
#define SUM(i) s = _mm512_add_epi32(s, a##i);
	QREP16(SUM)
#undef SUM
	vnni_sink = _mm512_reduce_add_epi32(s);
}
#endif

static size_t vnni_iters = 20000;

static bool have_vnni(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512vnni");
#else
	return false;
#endif
}

/* GOP/s of one core's vpdpbusd from the time of one vnni_zmm call. */
static double vnni_gops(double sec)
{
	return (double)vnni_iters * VNNI_ACCS * 64 * 2 / sec * 1e-9;
}

/* GOP/s of one core's vpdpbusd; NAN without AVX-512 VNNI. */
static double measure_vnni_peak(const struct timing_cfg *cfg)
{
	if (!have_vnni())
		return NAN;
#if defined(__x86_64__)
	return vnni_gops(time_median(vnni_zmm, &vnni_iters, cfg));
#else
	(void)cfg;
	return NAN;
#endif
}

/* ---- Tables ---------------------------------------------------------------------- */

/* A shape's times in one table, seconds; NAN where missing or LOW. */
struct qresult {
	bool ran;
	double ours, f32, xqs8, xqc8, dnnl;
	double peak;  /* one-core VNNI GOP/s sampled with the engines; NAN: not */
};

struct qcheck_stats {
	size_t busy_rows;
	size_t ours_checked, ours_differ;
	size_t compared, low;
	double worst;            /* lowest share within 1 step */
	char worst_what[80];
};

#define QMAX 5 /* timed engines per shape */

/* ref / ours as fmt_ratio, with a third decimal below 0.1 (scalar kernels
 * are 100x slower than the references). */
static void fmt_qratio(char *buf, size_t size, double ref, double ours)
{
	double r = ref / ours;
	if (!isnan(r) && r < 0.1 && r >= 0)
		snprintf(buf, size, "%.3f", r);
	else
		fmt_ratio(buf, size, ref, ours);
}

static void qs8_shape(const struct env *env, size_t index,
		      const struct timing_cfg *cfg, double peak,
		      struct qresult *res, struct qcheck_stats *cs)
{
	static const enum qeng order[QMAX] = {Q_XK, Q_F32, Q_XNN_QS8, Q_XNN_QC8,
					      Q_DNNL};
	const struct shape *sh = &shapes[index];
	struct qdata d;
	struct qimpl impls[QMAX], ref, ref_t;
	size_t n = 0;
	*res = (struct qresult){false, NAN, NAN, NAN, NAN, NAN, NAN};

	if (!qdata_make(sh, index, &d)) {
		printf("warning: %s: out of memory; skipped\n", sh->name);
		return;
	}
	bool have_ref = qimpl_setup(&ref, Q_REF, sh, &d, env) &&
			qimpl_first_run(&ref);
	bool have_ref_t = qimpl_setup(&ref_t, Q_REF_T, sh, &d, env) &&
			  qimpl_first_run(&ref_t);
	for (size_t e = 0; e < QMAX; e++) {
		enum qeng eng = order[e];
		if ((eng == Q_XNN_QS8 || eng == Q_XNN_QC8) &&
		    !(env->xnn_ok && env->xnn_threads_ok))
			continue;
		if (eng == Q_DNNL && !env->dnnl_ok)
			continue;
		if (qimpl_setup(&impls[n], eng, sh, &d, env))
			n++;
	}

	/* Checks: ours byte-equal to our scalar operator, the others within
	 * one step. */
	size_t nout = shape_out_count(sh);
	for (size_t i = 0; i < n; i++) {
		struct qimpl *im = &impls[i];
		if (!qimpl_first_run(im)) {
			qimpl_release(im);
			memmove(im, im + 1, (n - i - 1) * sizeof(*im));
			n--;
			i--;
			continue;
		}
		if (im->eng == Q_XK) {
			if (!have_ref)
				continue;
			cs->ours_checked++;
			im->equal = memcmp(im->out, ref.out, nout) == 0;
			if (!im->equal) {
				im->bad = true;
				cs->ours_differ++;
				printf("warning: %s: %s differs from %s (%s): the "
				       "kernels break the definition\n",
				       sh->name, im->label, ref.label, ref.note);
			}
			continue;
		}
		const struct qimpl *r = im->eng == Q_XNN_QS8 ? &ref_t : &ref;
		if (!(im->eng == Q_XNN_QS8 ? have_ref_t : have_ref))
			continue;
		im->match = share_within1(im, r->out, &d);
		cs->compared++;
		if (!(im->match >= cs->worst) || cs->compared == 1) {
			cs->worst = im->match;
			snprintf(cs->worst_what, sizeof(cs->worst_what), "%s, %s",
				 im->label, sh->name);
		}
		if (!(im->match >= MATCH_MIN)) {
			im->bad = true;
			cs->low++;
			printf("warning: %s: only %.1f%% of %s's outputs within 1 "
			       "step of %s's: not the same computation\n",
			       sh->name, 100 * im->match, im->label, r->label);
		}
	}
	if (have_ref)
		qimpl_release(&ref);
	if (have_ref_t)
		qimpl_release(&ref_t);

	/* With one thread the VNNI loop is sampled in the same rounds: the
	 * %peak of a shape holds when the machine's speed drifts. */
	bench_fn fns[QMAX + 1];
	void *args[QMAX + 1];
	double sec[QMAX + 1], others[QMAX + 1];
	size_t ntimed = n;
	for (size_t i = 0; i < n; i++) {
		fns[i] = qimpl_run;
		args[i] = &impls[i];
	}
#if defined(__x86_64__)
	if (env->nthreads == 1 && !isnan(peak)) {
		fns[ntimed] = vnni_zmm;
		args[ntimed++] = &vnni_iters;
	}
#endif
	time_engines(ntimed, fns, args, env->nthreads, cfg, sec, others);
	if (ntimed > n) {
		res->peak = vnni_gops(sec[n]);
		peak = res->peak;
	}
	for (size_t i = 0; i < n; i++) {
		impls[i].sec = sec[i];
		impls[i].others = others[i];
		if (too_busy(others[i], env->nthreads))
			cs->busy_rows++;
	}

	res->ran = true;
	size_t ours = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct qimpl *im = &impls[i];
		double t = im->bad ? NAN : im->sec;
		switch (im->eng) {
		case Q_XK: res->ours = t; ours = i; break;
		case Q_F32: res->f32 = t; break;
		case Q_XNN_QS8: res->xqs8 = t; break;
		case Q_XNN_QC8: res->xqc8 = t; break;
		case Q_DNNL: res->dnnl = t; break;
		default: break;
		}
	}

	double mmac = shape_macs(sh) * 1e-6;
	for (size_t i = 0; i < n; i++) {
		const struct qimpl *im = &impls[i];
		char us[24], pk[16], chk[16], r[4][16] = {"", "", "", ""};
		double gops = 2 * shape_macs(sh) / im->sec * 1e-9;
		fmt_us(us, sizeof(us), im->sec);
		if (isnan(peak))
			snprintf(pk, sizeof(pk), "-");
		else
			snprintf(pk, sizeof(pk), "%.1f",
				 100 * gops / (peak * (double)env->nthreads));
		if (im->eng == Q_XK)
			snprintf(chk, sizeof(chk), "%s",
				 !have_ref ? "-" : im->equal ? "=scalar" : "DIFFERS");
		else if (isnan(im->match))
			snprintf(chk, sizeof(chk), "-");
		else
			snprintf(chk, sizeof(chk), "%.1f%%", 100 * im->match);
		if (i == ours) {
			fmt_qratio(r[0], sizeof(r[0]), res->f32, res->ours);
			fmt_qratio(r[1], sizeof(r[1]), res->xqs8, res->ours);
			fmt_qratio(r[2], sizeof(r[2]), res->xqc8, res->ours);
			fmt_qratio(r[3], sizeof(r[3]), res->dnnl, res->ours);
		}
		char flags[48] = "";
		if (im->bad)
			snprintf(flags, sizeof(flags), "%s",
				 im->eng == Q_XK ? "  MISMATCH" : "  LOW");
		if (too_busy(im->others, env->nthreads))
			snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags),
				 "  BUSY (others %.0f%%)", 100 * im->others);
		printf("%-32s %-9s %6.3g  %-13s %8s %7.1f %6s %8s %6s %6s %6s %6s  "
		       "%s%s\n",
		       sh->name, family_names[sh->fam], mmac, im->label, us, gops,
		       pk, chk, r[0], r[1], r[2], r[3], im->note, flags);
	}
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		qimpl_release(&impls[i]);
	qdata_free(&d);
}

/* Median of the VNNI peaks sampled with the shapes' engines (NAN: none);
 * *lo and *hi get the extremes. */
static double sampled_peak(const struct qresult *results, double *lo,
			   double *hi)
{
	double pk[NSHAPES];
	size_t n = 0;
	for (size_t i = 0; i < NSHAPES; i++)
		if (results[i].ran && !isnan(results[i].peak))
			pk[n++] = results[i].peak;
	if (n == 0)
		return NAN;
	qsort(pk, n, sizeof(double), cmp_double);
	*lo = pk[0];
	*hi = pk[n - 1];
	return n % 2 ? pk[n / 2] : 0.5 * (pk[n / 2 - 1] + pk[n / 2]);
}

/* Runs one int8 table; returns the number of rows flagged BUSY. peak_what
 * says where peak comes from (more than one thread). */
static size_t qs8_table(struct env *env, size_t nthreads,
			const struct timing_cfg *cfg, double peak,
			const char *peak_what, struct qresult *results)
{
	struct qcheck_stats cs = {0, 0, 0, 0, 0, 1, ""};
	printf("\n== int8, %zu thread%s ==\n", nthreads, nthreads > 1 ? "s" : "");
	if (nthreads > 1)
		printf("note: %zu-thread numbers need a quiet machine; anything "
		       "else running makes them collapse\n",
		       nthreads);
	print_loadavg("before");
	print_busy(nthreads);
	env_threads(env, nthreads);
	printf("us = median time of one run; GOP/s = 2 x MAC / time; %%peak = "
	       "share of %zu x the one-core VNNI peak%s; within1 = share of "
	       "outputs within 1 step of ours; vs X = X's time / ours int8 "
	       "(above 1: ours faster)\n",
	       nthreads,
	       nthreads == 1 ? " (sampled with each shape's engines)" : peak_what);
	printf("%-32s %-9s %6s  %-13s %8s %7s %6s %8s %6s %6s %6s %6s  %s\n",
	       "shape", "family", "MMAC", "engine", "us", "GOP/s", "%peak",
	       "within1", "vs f32", "vs qs8", "vs qc8", "vs dnnl", "impl");
	for (size_t i = 0; i < NSHAPES; i++)
		if (shapes[i].int8 && shape_selected(env->o, &shapes[i]))
			qs8_shape(env, i, cfg, peak, &results[i], &cs);
	print_loadavg("after");
	double lo, hi, med = sampled_peak(results, &lo, &hi);
	if (!isnan(med))
		printf("VNNI peak of one core sampled with the shapes' engines: "
		       "median %.1f GOP/s (%.1f to %.1f; at the start %.1f)\n",
		       med, lo, hi, peak);
	if (cs.busy_rows)
		printf("warning: %zu row%s timed while other programs used the cpus "
		       "(flagged BUSY, even after 2 retries): their numbers and "
		       "ratios are not meaningful\n",
		       cs.busy_rows, cs.busy_rows > 1 ? "s" : "");
	printf("checks: ours byte-equal to our scalar operator on %zu of %zu "
	       "shapes; ",
	       cs.ours_checked - cs.ours_differ, cs.ours_checked);
	if (cs.compared)
		printf("references within 1 step of ours on >= %.1f%% of outputs "
		       "(lowest: %s)%s\n",
		       100 * cs.worst, cs.worst_what,
		       cs.low ? "; LOW ones are out of the ratios" : "");
	else
		printf("no reference compared\n");
	env_threads_release(env);
	return cs.busy_rows;
}

enum qref { REF_F32, REF_XQS8, REF_XQC8, REF_DNNL };

/* Geometric mean of ref / ours over the family's shapes that have both. */
static double qs8_geomean(const struct qresult *results, enum family fam,
			  enum qref which)
{
	double sum = 0;
	size_t n = 0;
	for (size_t i = 0; i < NSHAPES; i++) {
		const struct qresult *r = &results[i];
		if (shapes[i].fam != fam || !r->ran)
			continue;
		double ref = which == REF_F32 ? r->f32
			     : which == REF_XQS8 ? r->xqs8
			     : which == REF_XQC8 ? r->xqc8 : r->dnnl;
		if (isnan(ref) || isnan(r->ours) || !(r->ours > 0))
			continue;
		sum += log(ref / r->ours);
		n++;
	}
	return n ? exp(sum / (double)n) : NAN;
}

/* "int8 geomean FAMILY vs WHAT: R", with a target when min > 0. */
static void print_target(const struct qresult *results, enum family fam,
			 enum qref which, const char *what, double min,
			 const char *how)
{
	double g = qs8_geomean(results, fam, which);
	char gs[16], line[128];
	if (isnan(g))
		snprintf(gs, sizeof(gs), "n/a");
	else
		fmt_qratio(gs, sizeof(gs), g, 1);
	snprintf(line, sizeof(line), "int8 geomean %s vs %s: %s",
		 family_names[fam], what, gs);
	if (!(min > 0))
		printf("%s\n", line);
	else
		printf("%-52s target >= %.1f%s: %s\n", line, min, how,
		       isnan(g) ? "n/a" : g >= min ? "met" : "not met");
}

void qs8_run(struct env *env, const struct timing_cfg *cfg)
{
	const struct opts *o = env->o;
	printf("\n==== int8 ====\n");
	double peak = measure_vnni_peak(cfg);
	if (isnan(peak))
		printf("int8 peak: this cpu has no AVX-512 VNNI (vpdpbusd): "
		       "%%peak not shown\n");
	else
		printf("int8 VNNI peak of one core: %.1f GOP/s (vpdpbusd zmm, %d "
		       "accumulators)\n",
		       peak, VNNI_ACCS);
	enum xk_isa isa;
	struct xk_error err = {{0}};
	if (xk_isa_default(&isa, &err) != XK_OK) {
		printf("warning: %s: our operators are left out\n", err.msg);
	} else {
		const struct xk_qs8_kernels *k = xk_qs8_kernels(isa);
		const char *env_isa = getenv("XK_ISA");
		printf("ours int8: ISA %s%s%s%s; kernels: gemm %s, depthwise %s\n",
		       xk_isa_name(isa), env_isa ? " (XK_ISA=" : " (the best here",
		       env_isa ? env_isa : "", ")", k ? k->gemm_name : "none",
		       k ? k->dwconv_name : "none");
	}
	printf("quantization: input and output zero point %d, input scale %g, "
	       "weight scales %g +-25%% per channel (xnnpack-qs8: %g), output "
	       "scale per shape (%.0f steps per sd), no bias, no activation\n",
	       Q_ZP, (double)Q_IN_SCALE, (double)Q_W_SCALE, (double)Q_W_SCALE,
	       Q_SPREAD);

	static struct qresult res1[NSHAPES], resn[NSHAPES];
	size_t busy1 = qs8_table(env, 1, cfg, peak, "", res1), busyn = 0;
	if (o->threads > 1) {
		/* The median of the 1-thread samples is less disturbed than one
		 * measurement. */
		double lo, hi, med = sampled_peak(res1, &lo, &hi);
		busyn = qs8_table(env, o->threads, cfg, isnan(med) ? peak : med,
				  isnan(med) ? " (measured at the start)"
					     : " (the median sampled in the "
					       "1-thread table)",
				  resn);
	}

	printf("\n");
	if (o->threads > 1) {
		char a[16], b[16], c[16];
		fmt_qratio(a, sizeof(a), qs8_geomean(resn, FAM_PW, REF_DNNL), 1);
		fmt_qratio(b, sizeof(b), qs8_geomean(resn, FAM_DW, REF_DNNL), 1);
		fmt_qratio(c, sizeof(c), qs8_geomean(resn, FAM_CONV, REF_DNNL), 1);
		printf("%zu threads: int8 vs onednn-u8s8u8: pointwise %s, depthwise "
		       "%s, conv %s (geomeans%s)\n",
		       o->threads, a, b, c,
		       busyn ? "; NOT MEANINGFUL: rows flagged BUSY" : "");
	}
	if (busy1)
		printf("warning: %zu one-thread int8 row%s flagged BUSY: the summary "
		       "below includes them\n",
		       busy1, busy1 > 1 ? "s" : "");
	printf("int8 summary, 1 thread: geometric mean of their time / ours int8 "
	       "(above 1: ours faster)\n");
	print_target(res1, FAM_PW, REF_DNNL, "onednn-u8s8u8", 0.9, "");
	print_target(res1, FAM_PW, REF_XQS8, "xnnpack-qs8", 2.0, " (far ahead)");
	print_target(res1, FAM_PW, REF_F32, "xk-f32", 0, "");
	print_target(res1, FAM_DW, REF_DNNL, "onednn-u8s8u8", 1.0, "");
	print_target(res1, FAM_DW, REF_XQS8, "xnnpack-qs8", 0, "");
	print_target(res1, FAM_DW, REF_F32, "xk-f32", 0, "");
	print_target(res1, FAM_CONV, REF_DNNL, "onednn-u8s8u8", 0, "");
	print_target(res1, FAM_CONV, REF_XQS8, "xnnpack-qs8", 0, "");
	print_target(res1, FAM_CONV, REF_F32, "xk-f32", 0, "");
}
