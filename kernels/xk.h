/* xk.h - the f32 compute kernels of xnn-fleet: operators, ISA dispatch, thread pool
 *
 * Tensors are NHWC, f32, densely packed (the pixel stride is the channel count).
 * Operators are created once from weights in PyTorch's layouts, which they pack
 * for the chosen instruction set, and then run any number of times on inputs of
 * any batch and spatial size. Every operator fuses its bias and an activation
 * (none, ReLU, ReLU6, h-swish); the activation's clamp is the kernel's last step.
 *
 * Results do not depend on the number of threads: every output element is
 * computed with one fixed order of operations (bias, then the products in a
 * fixed order, then the activation) whichever tile or thread computes it, so
 * work can be split to suit the thread count.
 *
 * "same" padding: pad = (k - 1) / 2 before and after, out = ceil(in / stride)
 * (PyTorch's padding = k // 2 for odd k).
 *
 * Errors: create functions return a status and fill the struct xk_error passed
 * last (it may be NULL). Run functions cannot fail: their shapes were checked by
 * xk_*_check, which callers use on shapes that come from outside.
 */
#ifndef XK_H
#define XK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Statuses, from one list. */
#define XK_STATUS_LIST(X)                                                      \
	X(XK_OK, "ok")                                                         \
	X(XK_EINVAL, "invalid argument")                                       \
	X(XK_EUNSUPPORTED, "unsupported shape or parameter")                   \
	X(XK_ENOMEM, "out of memory")                                          \
	X(XK_ENOISA, "instruction set not available on this CPU")              \
	X(XK_ESYS, "system call failed")

enum xk_status {
#define XK_X(name, text) name,
	XK_STATUS_LIST(XK_X)
#undef XK_X
};

/* The text of a status; cannot fail. */
const char *xk_strerror(enum xk_status s);

/* The message that goes with a status: "dwconv: kernel 4x4 not supported ...". */
struct xk_error {
	char msg[256];
};

/* ---- Instruction sets and dispatch ---------------------------------------- */

enum xk_isa {
	XK_ISA_SCALAR,
	XK_ISA_AVX2,   /* AVX2 + FMA3 */
	XK_ISA_AVX512, /* AVX-512F */
	XK_ISA_NEON,   /* aarch64 Advanced SIMD */
	XK_ISA_COUNT
};

/* "scalar", "avx2", "avx512", "neon"; cannot fail. */
const char *xk_isa_name(enum xk_isa isa);

/* Parses a name as above; returns false for anything else. */
bool xk_isa_parse(const char *name, enum xk_isa *out);

/* Whether this build has kernels for isa and this CPU (and OS) runs them. */
bool xk_isa_supported(enum xk_isa isa);

/* The instruction set operators use when created with XK_ISA_DEFAULT: the
 * environment's XK_ISA when set, else the best one supported. Decided once.
 * Returns XK_ENOISA (message names the variable) when XK_ISA names a set that
 * is unknown or not supported here. */
#define XK_ISA_DEFAULT XK_ISA_COUNT
enum xk_status xk_isa_default(enum xk_isa *out, struct xk_error *err);

/* The CPU features seen, as a space-separated list ("avx2 fma avx512f"). */
const char *xk_cpu_features(void);

/* ---- Thread pool ----------------------------------------------------------- */

struct xk_threadpool;

/* Creates a pool that runs work on nthreads threads: the caller of a run
 * function plus nthreads - 1 workers. With cpus (ncpus > 0), thread i is pinned
 * to cpus[i % ncpus]; the calling thread is pinned too when pin_caller is true.
 * A pin that the OS refuses is not an error: xk_threadpool_pinned tells. */
enum xk_status xk_threadpool_create(size_t nthreads, const int *cpus,
				    size_t ncpus, bool pin_caller,
				    struct xk_threadpool **out,
				    struct xk_error *err);
void xk_threadpool_destroy(struct xk_threadpool *tp);
size_t xk_threadpool_threads(const struct xk_threadpool *tp);
/* Number of threads (caller included when pinned) whose pin the OS accepted. */
size_t xk_threadpool_pinned(const struct xk_threadpool *tp);

/* Calls fn(ctx, task) once for each task in [0, ntasks), spread over the pool's
 * threads; returns when all are done. tp may be NULL (runs on the caller). */
typedef void (*xk_task_fn)(void *ctx, size_t task);
void xk_threadpool_run(struct xk_threadpool *tp, size_t ntasks, xk_task_fn fn,
		       void *ctx);

/* ---- Activations ----------------------------------------------------------- */

enum xk_act {
	XK_ACT_NONE,
	XK_ACT_RELU,
	XK_ACT_RELU6,
	XK_ACT_HSWISH, /* x * relu6(x + 3) / 6 */
	XK_ACT_COUNT
};

const char *xk_act_name(enum xk_act act);
bool xk_act_parse(const char *name, enum xk_act *out);

/* ---- GEMM: 1x1 convolution and fully-connected ------------------------------
 * c[m][n] = act(bias[n] + sum_k a[m][k] * w[n][k]) for m < M, n < N.
 * w is PyTorch's [N][K] (Linear weight, or a 1x1 conv's [N][K][1][1]); bias may
 * be NULL (zeros). a and c rows are a_stride and c_stride floats apart. */
struct xk_gemm;
enum xk_status xk_gemm_create(enum xk_isa isa, size_t k, size_t n,
			      const float *w, const float *bias, enum xk_act act,
			      struct xk_gemm **out, struct xk_error *err);
void xk_gemm_destroy(struct xk_gemm *op);
void xk_gemm_run(const struct xk_gemm *op, size_t m, const float *a,
		 size_t a_stride, float *c, size_t c_stride,
		 struct xk_threadpool *tp);
enum xk_isa xk_gemm_isa(const struct xk_gemm *op);

/* ---- Depthwise convolution --------------------------------------------------
 * kernel 3, 5 or 7, stride 1 or 2, "same" padding. w is PyTorch's [C][1][k][k].
 * input [batch][h][w][C] -> output [batch][ceil(h/s)][ceil(w/s)][C]. */
struct xk_dwconv;
enum xk_status xk_dwconv_create(enum xk_isa isa, size_t channels,
				size_t kernel, size_t stride, const float *w,
				const float *bias, enum xk_act act,
				struct xk_dwconv **out, struct xk_error *err);
void xk_dwconv_destroy(struct xk_dwconv *op);
enum xk_status xk_dwconv_check(const struct xk_dwconv *op, size_t batch,
			       size_t h, size_t w, struct xk_error *err);
void xk_dwconv_run(const struct xk_dwconv *op, size_t batch, size_t h,
		   size_t w, const float *in, float *out,
		   struct xk_threadpool *tp);
enum xk_isa xk_dwconv_isa(const struct xk_dwconv *op);

/* ---- Full convolution (the stem: few input channels) ------------------------
 * kernel k x k (odd, 1..XK_CONV_MAX_KERNEL), stride 1 or 2, "same" padding,
 * cin * k * k <= XK_CONV_MAX_PATCH. w is PyTorch's [cout][cin][k][k]. */
#define XK_CONV_MAX_KERNEL 7
#define XK_CONV_MAX_PATCH 512
struct xk_conv;
enum xk_status xk_conv_create(enum xk_isa isa, size_t cin, size_t cout,
			      size_t kernel, size_t stride, const float *w,
			      const float *bias, enum xk_act act,
			      struct xk_conv **out, struct xk_error *err);
void xk_conv_destroy(struct xk_conv *op);
enum xk_status xk_conv_check(const struct xk_conv *op, size_t batch, size_t h,
			     size_t w, struct xk_error *err);
void xk_conv_run(const struct xk_conv *op, size_t batch, size_t h, size_t w,
		 const float *in, float *out, struct xk_threadpool *tp);
enum xk_isa xk_conv_isa(const struct xk_conv *op);

/* ---- Small operators (scalar; they are a few percent of a network) ----------
 * All cannot fail; sizes are element counts. */

/* out[b][c] = mean over h*w pixels of in[b][p][c]. */
void xk_gavgpool(size_t batch, size_t pixels, size_t channels, const float *in,
		 float *out);
/* out[i] = act(a[i] + b[i]); out may alias a or b. */
void xk_add(size_t n, const float *a, const float *b, enum xk_act act,
	    float *out);
/* out[i] = x * relu6(x + 3) / 6 (h-swish), relu6(x + 3) / 6 (h-sigmoid). */
void xk_hswish(size_t n, const float *in, float *out);
void xk_hsigmoid(size_t n, const float *in, float *out);
/* Bilinear resize, NHWC, half-pixel centres, no antialiasing (PyTorch's
 * interpolate(mode="bilinear", align_corners=False)). */
void xk_resize_bilinear(size_t batch, size_t ih, size_t iw, size_t oh,
			size_t ow, size_t channels, const float *in,
			float *out);
/* Softmax over each row of n values (max-subtracted); argmax returns the first
 * index of the largest value (NaN never wins). */
void xk_softmax(size_t rows, size_t n, const float *in, float *out);
size_t xk_argmax(size_t n, const float *x);

/* ---- int8 (qs8) operators -----------------------------------------------------
 * Activations are int8, asymmetric per tensor: real = scale * (q - zero_point),
 * q in [-128, 127]. Weights are int8, symmetric per output channel: real =
 * wscale[o] * q with q in [-127, 127]; biases are int32 in units of
 * in.scale * wscale[o]. Every output of the GEMM, depthwise and convolution
 * operators is, on every instruction set, exactly
 *     acc = bias[o] + sum of (x - in.zero_point) * w      (int32, exact)
 *     y   = (float)acc * m[o]
 *     h-swish only: y = hswish(y) * r  (hswish as the f32 kernels compute it)
 *     y   = min(max(y, lo - zp), hi - zp)
 *     q   = (round half to even)(y) + zp,            zp = out.zero_point
 * with m[o] = in.scale * wscale[o] / out.scale (h-swish: m[o] = in.scale *
 * wscale[o] and r = 1 / out.scale), each rounded to f32 once from double, and
 * [lo, hi] = [-128, 127] narrowed by ReLU (lo = zp) or ReLU6 (also hi = zp +
 * round(6 / out.scale)). f32 operations are IEEE single, one at a time (no
 * FMA), so every instruction set gives the same bytes (tests/unit check it).
 * Padding ("same", as the f32 operators) is the real value 0, i.e. q = in's
 * zero point. Sizes are checked like the f32 operators'. */
struct xk_qparams {
	float scale;         /* > 0, finite */
	int32_t zero_point;  /* -128..127 */
};

/* c[m][n] = requantized(bias[n] + sum_k (a[m][k] - in.zp) * w[n][k]); w is
 * [n][k] int8 in [-127, 127]; bias and wscale have n entries (bias may be
 * NULL: zeros). Strides are in bytes. */
struct xk_qs8_gemm;
enum xk_status xk_qs8_gemm_create(enum xk_isa isa, size_t k, size_t n,
				  const int8_t *w, const int32_t *bias,
				  const float *wscale, struct xk_qparams in,
				  struct xk_qparams out, enum xk_act act,
				  struct xk_qs8_gemm **op, struct xk_error *err);
void xk_qs8_gemm_destroy(struct xk_qs8_gemm *op);
void xk_qs8_gemm_run(const struct xk_qs8_gemm *op, size_t m, const int8_t *a,
		     size_t a_stride, int8_t *c, size_t c_stride,
		     struct xk_threadpool *tp);
enum xk_isa xk_qs8_gemm_isa(const struct xk_qs8_gemm *op);

/* Depthwise, as xk_dwconv; w is [C][k][k] int8. */
struct xk_qs8_dwconv;
enum xk_status xk_qs8_dwconv_create(enum xk_isa isa, size_t channels,
				    size_t kernel, size_t stride,
				    const int8_t *w, const int32_t *bias,
				    const float *wscale, struct xk_qparams in,
				    struct xk_qparams out, enum xk_act act,
				    struct xk_qs8_dwconv **op,
				    struct xk_error *err);
void xk_qs8_dwconv_destroy(struct xk_qs8_dwconv *op);
enum xk_status xk_qs8_dwconv_check(const struct xk_qs8_dwconv *op,
				   size_t batch, size_t h, size_t w,
				   struct xk_error *err);
void xk_qs8_dwconv_run(const struct xk_qs8_dwconv *op, size_t batch, size_t h,
		       size_t w, const int8_t *in, int8_t *out,
		       struct xk_threadpool *tp);
enum xk_isa xk_qs8_dwconv_isa(const struct xk_qs8_dwconv *op);

/* Full convolution (the stem), as xk_conv; w is [cout][cin][k][k] int8. It
 * gathers patches and runs the GEMM micro-kernels. */
struct xk_qs8_conv;
enum xk_status xk_qs8_conv_create(enum xk_isa isa, size_t cin, size_t cout,
				  size_t kernel, size_t stride,
				  const int8_t *w, const int32_t *bias,
				  const float *wscale, struct xk_qparams in,
				  struct xk_qparams out, enum xk_act act,
				  struct xk_qs8_conv **op, struct xk_error *err);
void xk_qs8_conv_destroy(struct xk_qs8_conv *op);
enum xk_status xk_qs8_conv_check(const struct xk_qs8_conv *op, size_t batch,
				 size_t h, size_t w, struct xk_error *err);
void xk_qs8_conv_run(const struct xk_qs8_conv *op, size_t batch, size_t h,
		     size_t w, const int8_t *in, int8_t *out,
		     struct xk_threadpool *tp);
enum xk_isa xk_qs8_conv_isa(const struct xk_qs8_conv *op);

/* Element-wise add and global average pooling: parameters set once (by
 * xk_qs8_*_init, which checks them and picks the kernel), then any number of
 * calls. add: y = (float)(a - a.zp) * (a.scale / out.scale) + (float)(b -
 * b.zp) * (b.scale / out.scale), clamped and rounded as above (act ReLU or
 * none). gavgpool: y = (float)(sum over pixels of (x - in.zp)) * (in.scale /
 * (pixels * out.scale)), clamped and rounded. */
struct xk_qs8_add {
	void (*fn)(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
		   const struct xk_qs8_add *p);
	float ma, mb;        /* a.scale / out.scale, b.scale / out.scale */
	int32_t za, zb, zp;  /* zero points of a, b, out */
	float lo, hi;        /* clamp, relative to zp */
	enum xk_isa isa;
};
enum xk_status xk_qs8_add_init(struct xk_qs8_add *p, enum xk_isa isa,
			       struct xk_qparams a, struct xk_qparams b,
			       struct xk_qparams out, enum xk_act act,
			       struct xk_error *err);
/* out may alias a or b. */
void xk_qs8_add_run(const struct xk_qs8_add *p, size_t n, const int8_t *a,
		    const int8_t *b, int8_t *out);

struct xk_qs8_gavgpool {
	void (*fn)(size_t pixels, size_t channels, const int8_t *in, int8_t *out,
		   const struct xk_qs8_gavgpool *p);
	int32_t bias;        /* -pixels * in.zp */
	float m;             /* in.scale / (pixels * out.scale) */
	int32_t zp;
	float lo, hi;
	size_t pixels;
	enum xk_isa isa;
};
enum xk_status xk_qs8_gavgpool_init(struct xk_qs8_gavgpool *p, enum xk_isa isa,
				    size_t pixels, struct xk_qparams in,
				    struct xk_qparams out,
				    struct xk_error *err);
/* in [batch][pixels][channels] -> out [batch][channels]. */
void xk_qs8_gavgpool_run(const struct xk_qs8_gavgpool *p, size_t batch,
			 size_t channels, const int8_t *in, int8_t *out);

/* f32 <-> int8 (they convert a network's edges): quantize is
 * q = (round half to even)(clamp(x * (float)(1 / scale), -128 - zp, 127 - zp))
 * + zp (NaN gives zp); dequantize is x = (float)(q - zp) * scale.
 * xk_qs8_quantize_init checks q and picks the ISA's kernel (cannot fail but
 * for a bad ISA or q); xk_qs8_quantize is the same conversion, scalar, for a
 * one-off. */
struct xk_qs8_quantize {
	void (*fn)(size_t n, const float *in, int8_t *out,
		   const struct xk_qs8_quantize *p);
	float inv;           /* (float)(1 / scale) */
	float lo, hi;        /* clamp, relative to zp */
	int32_t zp;
	enum xk_isa isa;
};
enum xk_status xk_qs8_quantize_init(struct xk_qs8_quantize *p, enum xk_isa isa,
				    struct xk_qparams q, struct xk_error *err);
void xk_qs8_quantize_run(const struct xk_qs8_quantize *p, size_t n,
			 const float *in, int8_t *out);
void xk_qs8_quantize(size_t n, const float *in, struct xk_qparams q,
		     int8_t *out);
void xk_qs8_dequantize(size_t n, const int8_t *in, struct xk_qparams q,
		       float *out);
/* Whether q is usable: scale finite and > 0 (and not tiny), zero point in
 * range. */
bool xk_qparams_valid(struct xk_qparams q);

#ifdef __cplusplus
}
#endif
#endif /* XK_H */
