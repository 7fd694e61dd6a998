/* xs.h - the supernet: search space, arch strings and the .xsn supernet file
 *
 * A supernet file (.xsn, written by scripts/export_xsn.py, which documents the
 * format) holds the search space as key=value text and the trained weights as
 * named f32 tensors, with a SHA-256 of the whole. Loading checks every size
 * and offset and the checksum before anything is used: a short, corrupted or
 * hostile file is an error with a message, never a crash.
 *
 * A sub-net is an arch: a resolution, a depth per stage, and an expand ratio
 * and depthwise kernel per running block. Its text form is canonical:
 *     r28-d3.2.1.3-s1:e4k7,e3k5,e4k3-s2:e2k3,e4k5-s3:e3k7-s4:e2k3,e3k3,e4k7
 * (parsing then printing gives the same string); it is the sub-net's key.
 *
 * Errors: functions that can fail return an enum xs_status and fill the struct
 * xs_error passed last (may be NULL). Library code never prints.
 */
#ifndef XS_H
#define XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xk.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XS_STATUS_LIST(X)                                                      \
	X(XS_OK, "ok")                                                         \
	X(XS_EINVAL, "invalid argument")                                       \
	X(XS_EIO, "input/output error")                                        \
	X(XS_EFORMAT, "malformed file")                                        \
	X(XS_ECHECKSUM, "checksum mismatch")                                   \
	X(XS_EVERSION, "unsupported format version")                          \
	X(XS_ENOMEM, "out of memory")                                          \
	X(XS_EARCH, "invalid arch")

enum xs_status {
#define XS_X(name, text) name,
	XS_STATUS_LIST(XS_X)
#undef XS_X
};

const char *xs_strerror(enum xs_status s);

struct xs_error {
	char msg[512];
};

/* ---- SHA-256 --------------------------------------------------------------- */

struct xs_sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t fill;
};

void xs_sha256_init(struct xs_sha256 *s);
void xs_sha256_update(struct xs_sha256 *s, const void *data, size_t n);
void xs_sha256_final(struct xs_sha256 *s, uint8_t out[32]);
/* One call; out is 32 bytes. */
void xs_sha256(const void *data, size_t n, uint8_t out[32]);
/* 64 lowercase hex digits and a NUL into hex[65]. */
void xs_sha256_hex(const uint8_t sum[32], char hex[65]);

/* Opens path to read it whole, when it is a regular file (a FIFO, a
 * directory or a device is refused at once: why says so); NULL with why
 * set otherwise (file.c). */
FILE *xs_open_regular(const char *path, char *why, size_t why_n);

/* ---- CSV ------------------------------------------------------------------- */

/* Writes one CSV field (RFC 4180) to f: quoted when it holds a comma, a
 * quote, a line break, or starts or ends with a space or tab (which CSV
 * readers trim); NULL is the empty field. The one CSV field writer: the
 * agent's output, the DB export, the reports' tables and the harness's CSV
 * all go through it. */
void xs_csv_put(FILE *f, const char *v);

/* ---- search space ------------------------------------------------------------ */

#define XS_MAX_STAGES 8
#define XS_MAX_DEPTH 8
#define XS_MAX_CHOICES 8

struct xs_stage {
	uint32_t out;     /* output channels */
	uint32_t stride;  /* of the first block */
	enum xk_act act;  /* of the expand and depthwise layers */
};

struct xs_space {
	char name[64];
	uint32_t in_c, in_h, in_w;        /* the stored image */
	float mean, std;                  /* x = (pixel / 255 - mean) / std */
	uint32_t nres, res[XS_MAX_CHOICES];          /* ascending */
	uint32_t stem_out, stem_k, stem_s;
	enum xk_act stem_act;
	uint32_t nstages;
	struct xs_stage stage[XS_MAX_STAGES];
	uint32_t ndepths, depths[XS_MAX_CHOICES];    /* ascending */
	uint32_t nexpands, expands[XS_MAX_CHOICES];  /* ascending */
	uint32_t nkernels, kernels[XS_MAX_CHOICES];  /* ascending, odd */
	uint32_t head_out;
	enum xk_act head_act;
	uint32_t classes;
	float bn_eps;
	bool kernel_transform;  /* smaller kernels through learned matrices */
	uint32_t recal_images, val_images;
};

/* Parses the space text of an .xsn file (key=value lines). */
enum xs_status xs_space_parse(const char *text, size_t len,
			      struct xs_space *out, struct xs_error *err);

/* Writes the space as the .xsn's key=value text (what xs_space_parse reads);
 * returns the length, or what it would need when n is too small. */
size_t xs_space_print(const struct xs_space *space, char *buf, size_t n);

/* One tensor a space needs: name and shape (PyTorch layout). */
struct xs_tensor_desc {
	char name[64];
	uint32_t ndim;
	uint32_t dims[4];   /* unused ones 0 */
};
/* Calls fn for every tensor the space's supernet holds, in a fixed order;
 * stops early when fn returns false. Returns the number visited. */
size_t xs_space_tensors(const struct xs_space *space,
			bool (*fn)(const struct xs_tensor_desc *d, void *ctx),
			void *ctx);

/* ---- arch strings ---------------------------------------------------------- */

struct xs_arch {
	uint32_t r;                                      /* resolution */
	uint32_t d[XS_MAX_STAGES];                       /* depth per stage */
	uint8_t e[XS_MAX_STAGES][XS_MAX_DEPTH];          /* expand per block */
	uint8_t k[XS_MAX_STAGES][XS_MAX_DEPTH];          /* kernel per block */
};

/* Longest arch string of any space within the limits above, NUL included. */
#define XS_ARCH_MAX 512

/* Parses a canonical arch string and checks it against space. */
enum xs_status xs_arch_parse(const struct xs_space *space, const char *text,
			     struct xs_arch *out, struct xs_error *err);
/* Writes the canonical string (at most XS_ARCH_MAX bytes with the NUL);
 * blocks past a stage's depth are not part of it. Returns the length, or
 * the length it would need when n is too small (like snprintf). */
size_t xs_arch_print(const struct xs_space *space, const struct xs_arch *a,
		     char *buf, size_t n);
/* Checks an arch against the space; entries past a stage's depth are
 * ignored. */
enum xs_status xs_arch_validate(const struct xs_space *space,
				const struct xs_arch *a, struct xs_error *err);
/* Sets the unused entries (past each depth, past the last stage) to zero,
 * so that equal sub-nets are equal structs; cannot fail. */
void xs_arch_canonicalise(const struct xs_space *space, struct xs_arch *a);
void xs_arch_largest(const struct xs_space *space, struct xs_arch *out);
void xs_arch_smallest(const struct xs_space *space, struct xs_arch *out);
/* A uniformly random arch; *state is the generator's state (any value). */
void xs_arch_random(const struct xs_space *space, uint64_t *state,
		    struct xs_arch *out);
/* The number of distinct sub-nets, as a double (it can exceed 2^53). */
double xs_arch_count(const struct xs_space *space);
/* Sub-net number index (0 <= index < xs_arch_count) in a fixed order; false
 * when index is out of range. */
bool xs_arch_from_index(const struct xs_space *space, uint64_t index,
			struct xs_arch *out);
/* Multiply-adds for one image and parameters with BN folded into the
 * convolutions (weights + biases). */
uint64_t xs_arch_macs(const struct xs_space *space, const struct xs_arch *a);
uint64_t xs_arch_params(const struct xs_space *space, const struct xs_arch *a);

/* ---- the .xsn file ------------------------------------------------------------ */

#define XS_XSN_VERSION 1

struct xs_tensor {
	const char *name;
	uint32_t ndim;
	uint32_t dims[4];
	size_t count;        /* elements */
	const float *data;   /* in the supernet's buffer, 64-byte aligned */
};

struct xs_supernet {
	struct xs_space space;
	uint8_t sha256[32];          /* of the whole file */
	size_t ntensors;
	struct xs_tensor *tensors;   /* owned */
	uint8_t *buf;                /* the file, owned */
	size_t size;
};

/* Loads and checks an .xsn file: header, every offset and size, the
 * checksum, the space, and that every tensor the space needs is there with
 * its shape. */
enum xs_status xs_supernet_load(const char *path, struct xs_supernet **out,
				struct xs_error *err);
/* The same from bytes in memory (copied). */
enum xs_status xs_supernet_load_buffer(const void *data, size_t size,
				       struct xs_supernet **out,
				       struct xs_error *err);
void xs_supernet_destroy(struct xs_supernet *sn);
/* Writes an .xsn file: the space, then every tensor it needs (in
 * xs_space_tensors order), whose values fill(desc, out, count, ctx) writes. */
enum xs_status xs_supernet_write(const char *path, const struct xs_space *space,
				 void (*fill)(const struct xs_tensor_desc *d,
					      float *out, size_t count, void *ctx),
				 void *ctx, struct xs_error *err);
/* The tensor of that name, or NULL. */
const struct xs_tensor *xs_supernet_tensor(const struct xs_supernet *sn,
					   const char *name);

/* ---- activation arena -----------------------------------------------------
 * The executor keeps every activation in one aligned arena; tensors that are
 * never alive at the same time share bytes. */
struct xs_arena_tensor {
	size_t size;     /* bytes; 0 takes no space */
	uint32_t first;  /* first step that writes or reads it */
	uint32_t last;   /* last step that reads it (>= first) */
	size_t offset;   /* out: a multiple of the alignment */
};

/* Places n tensors (greedy by size: the largest first, each at the lowest
 * offset where it overlaps no placed tensor alive in a common step) and sets
 * *arena_bytes. The same input gives the same plan. Fails only when out of
 * memory or given bad intervals. */
enum xs_status xs_arena_plan(struct xs_arena_tensor *t, size_t n, size_t align,
			     size_t *arena_bytes, struct xs_error *err);

/* ---- sub-models (.xnm) --------------------------------------------------------
 * One sub-net, standalone: a graph of operators over NHWC values, its folded
 * weights, its arch string and precision. Value 0 is the input (the stored
 * image size, normalized as the space says); the last value is the logits.
 * Both are f32; values between may be int8 (qs8: a scale and zero point per
 * tensor, see xk.h), and an operator computes in the type of its values:
 * quantize and dequantize nodes convert where the types change.
 * Format (little-endian), written by xs_model_write:
 *   header (64 bytes): "XFSUBMDL", u32 version, u32 precision, u32 nvalues,
 *     u32 nnodes, u32 arch length, u32 classes, f32 mean, f32 std, u64 weight
 *     count (floats), u64 weights offset, u64 int8 section bytes (version 2;
 *     zero in version 1)
 *   arch string (no NUL), zero-padded to 4 bytes
 *   values: nvalues x (u32 h, w, c), version 2: x (u32 h, w, c, dtype, f32
 *     scale, i32 zero point) (dtype 0 f32: scale 0, zero point 0; 1 qs8)
 *   nodes: nnodes x (u32 op, in0, in1, out, act, k, s, 0, u64 w, u64 b):
 *     for f32 nodes w and b are offsets in floats into the weights (PyTorch
 *     layouts: conv [cout][cin][k][k], depthwise [c][1][k][k], pointwise and
 *     fc [cout][cin]; bias [cout]); for int8 nodes byte offsets into the int8
 *     section: w the int8 weights (same layouts, -127..127), b (a multiple of
 *     4) int32 biases [cout] then f32 weight scales [cout]
 *   zeros to a multiple of 64, the weights (f32)
 *   version 2: zeros to a multiple of 64, the int8 section
 *   SHA-256 of all the bytes before it (32 bytes).
 * A model without int8 values is written as version 1 (the same bytes as
 * before int8 existed); with them as version 2. Both are read.
 * A file's identity is the SHA-256 of all its bytes (what sha256sum prints).
 * Extraction is deterministic: the same supernet and arch give the same bytes
 * on every machine. */

#define XS_XNM_VERSION 2  /* the newest read and written */

struct xs_idx;

enum xs_precision {
	XS_PRECISION_F32,
	XS_PRECISION_INT8,   /* int8 layers (some may stay f32) */
	XS_PRECISION_COUNT
};
const char *xs_precision_name(enum xs_precision p);  /* "f32", "int8" */
bool xs_precision_parse(const char *name, enum xs_precision *out);

enum xs_dtype {
	XS_DTYPE_F32,
	XS_DTYPE_QS8,
	XS_DTYPE_COUNT
};

#define XS_OP_LIST(X)                                                          \
	X(XS_OP_RESIZE, "resize")      /* bilinear to out's h x w */           \
	X(XS_OP_CONV, "conv")          /* k x k, stride s, "same" padding */   \
	X(XS_OP_PW, "pw")              /* 1x1 convolution */                   \
	X(XS_OP_DW, "dw")              /* depthwise k x k, stride s */         \
	X(XS_OP_ADD, "add")            /* in0 + in1 */                         \
	X(XS_OP_GAVGPOOL, "gavgpool")  /* mean over h x w */                   \
	X(XS_OP_FC, "fc")              /* fully connected on a 1x1 value */   \
	X(XS_OP_QUANTIZE, "quantize")  /* f32 -> qs8 */                        \
	X(XS_OP_DEQUANTIZE, "dequantize") /* qs8 -> f32 */

enum xs_op {
#define XS_X(name, text) name,
	XS_OP_LIST(XS_X)
#undef XS_X
	XS_OP_COUNT
};
const char *xs_op_name(enum xs_op op);

struct xs_value {
	uint32_t h, w, c;    /* per image */
	uint32_t dtype;      /* enum xs_dtype */
	float scale;         /* qs8: real = scale * (q - zp) */
	int32_t zp;
};

struct xs_node {
	uint32_t op;         /* enum xs_op */
	uint32_t in[2];      /* value ids; in[1] only for add */
	uint32_t out;        /* value id */
	uint32_t act;        /* enum xk_act, applied last */
	uint32_t k, s;       /* kernel and stride (conv, dw) */
	uint64_t w, b;       /* weight and bias offsets in floats */
};

struct xs_model {
	char arch[XS_ARCH_MAX];      /* canonical arch string */
	enum xs_precision precision;
	float mean, std;             /* input = (pixel / 255 - mean) / std */
	uint32_t classes;
	uint32_t nvalues, nnodes;
	struct xs_value *values;     /* owned */
	struct xs_node *nodes;       /* owned */
	size_t nweights;
	float *weights;              /* owned, 64-byte aligned */
	size_t nqbytes;
	uint8_t *qweights;           /* the int8 section, owned (NULL when empty) */
};

/* Extracts sub-net a of sn: channels sliced, kernels cut from the centre
 * (through the learned transforms), BN recalibrated on the first
 * space.recal_images images of images (one batch, training mode: each BN's
 * statistics are that batch's mean and unbiased variance) and folded into
 * the convolutions. Recalibration runs the scalar kernels, so the result is
 * the same bytes on every ISA and for any thread count; tp may be NULL.
 * images must be the space's image size. */
enum xs_status xs_model_extract(const struct xs_supernet *sn,
				const struct xs_arch *a,
				const struct xs_idx *images,
				struct xk_threadpool *tp,
				struct xs_model **out, struct xs_error *err);
void xs_model_destroy(struct xs_model *m);
/* The .xnm bytes (malloc'd, owned by the caller) and their size; the last
 * 32 bytes are the SHA-256 of the rest. */
enum xs_status xs_model_serialize(const struct xs_model *m, uint8_t **buf,
				  size_t *size, struct xs_error *err);
/* The identity of the file xs_model_write writes: SHA-256 of all its bytes. */
enum xs_status xs_model_sha256(const struct xs_model *m, uint8_t out[32],
			       struct xs_error *err);
enum xs_status xs_model_write(const struct xs_model *m, const char *path,
			      struct xs_error *err);
/* Loads and checks an .xnm file: checksum, header, that the graph is well
 * formed (every value written once before it is read, shapes agree with each
 * operator, every weight range inside the file). sha256 (may be NULL) gets
 * the file's identity. */
enum xs_status xs_model_load(const char *path, struct xs_model **out,
			     uint8_t sha256[32], struct xs_error *err);
enum xs_status xs_model_load_buffer(const void *data, size_t size,
				    struct xs_model **out, uint8_t sha256[32],
				    struct xs_error *err);
/* Multiply-adds per image (the same count as xs_arch_macs). */
uint64_t xs_model_macs(const struct xs_model *m);
/* Input values for n images of pixels (uint8, the model's input size):
 * (p / 255 - mean) / std in f32. */
void xs_model_input(const struct xs_model *m, const uint8_t *pixels, size_t n,
		    float *out);

/* ---- quantization --------------------------------------------------------------
 * xs_model_quantize makes the int8 model of an f32 one: activations int8 per
 * tensor (asymmetric; the range of each value over the calibration images,
 * widened to hold 0, or clipped to a percentile of its values), weights int8
 * per output channel (symmetric, scale max|w| / 127), biases int32 in units of
 * input scale x weight scale. Layers named in float_layers stay f32, with
 * quantize / dequantize nodes where the types change. Calibration runs the
 * f32 model on the scalar kernels over the first space.recal_images images
 * (the same images as BN recalibration), so the result is the same bytes on
 * every machine. */
enum xs_calib {
	XS_CALIB_MINMAX,
	XS_CALIB_PERCENTILE,
};
#define XS_LAYER_STEM 1u        /* the first convolution */
#define XS_LAYER_BLOCKS 2u      /* the blocks' pointwise, depthwise and adds */
#define XS_LAYER_HEAD 4u        /* the last pointwise and the pooling */
#define XS_LAYER_CLASSIFIER 8u  /* the fully-connected layer */
struct xs_quant_options {
	enum xs_calib calib;
	double percentile;      /* XS_CALIB_PERCENTILE: keep [100 - p, p] % */
	uint32_t float_layers;  /* XS_LAYER_* kept f32 */
};
/* The defaults: min/max, the stem and the classifier in f32. */
void xs_quant_options_default(struct xs_quant_options *o);
/* Parses a float-layer rule: "none" or a comma list of stem, blocks, head,
 * classifier. */
enum xs_status xs_quant_layers_parse(const char *text, uint32_t *out,
				     struct xs_error *err);
/* Parses "minmax" or "percentile" or "percentile:P" (P in (50, 100]). */
enum xs_status xs_quant_calib_parse(const char *text, struct xs_quant_options *o,
				    struct xs_error *err);
enum xs_status xs_model_quantize(const struct xs_model *f32,
				 const struct xs_idx *images,
				 const struct xs_quant_options *opt,
				 uint32_t calib_images, struct xk_threadpool *tp,
				 struct xs_model **out, struct xs_error *err);
/* A sub-net as it ships in a precision: extracted (images as in
 * xs_model_extract; NULL: not recalibrated), then for int8 quantized with
 * the default options on the first space.recal_images images (images NULL:
 * on one image of zeros; the ranges are wrong, the sizes are right: for
 * counting bytes only). */
enum xs_status xs_model_build(const struct xs_supernet *sn, const struct xs_arch *a,
			      enum xs_precision precision, const struct xs_idx *images,
			      struct xk_threadpool *tp, struct xs_model **out,
			      struct xs_error *err);

/* ---- executor ------------------------------------------------------------------
 * Runs a model on the kernels: every activation in one aligned arena planned
 * by liveness (xs_arena_plan), the operators' packed weights next to it. */
struct xs_exec;

/* Creates the operators for isa (XK_ISA_DEFAULT: the dispatched one) and
 * plans the arena for up to batch images. The model may be destroyed after. */
enum xs_status xs_exec_create(const struct xs_model *m, enum xk_isa isa,
			      size_t batch, struct xs_exec **out,
			      struct xs_error *err);
void xs_exec_destroy(struct xs_exec *e);
/* Where to write the input of up to batch images (xs_model_input), and where
 * the logits ([n][classes]) are after a run. Both inside the arena; a run
 * does not change the input. */
float *xs_exec_input(struct xs_exec *e);
const float *xs_exec_output(const struct xs_exec *e);
/* Runs n <= batch images; cannot fail. */
void xs_exec_run(struct xs_exec *e, size_t n, struct xk_threadpool *tp);
/* Planned bytes: the activation arena, and the weights the operators hold
 * (as in the model: f32, or int8 with int32 biases and f32 scales). */
size_t xs_exec_arena_bytes(const struct xs_exec *e);
size_t xs_exec_weight_bytes(const struct xs_exec *e);
enum xk_isa xs_exec_isa(const struct xs_exec *e);

/* Top-1 over a test set: runs every image through e (batches of its size) and
 * counts argmax == label. correct gets the count; logits (may be NULL) gets
 * [count][classes]. labels->count must equal images->count. */
enum xs_status xs_exec_eval(struct xs_exec *e, const struct xs_model *m,
			    const struct xs_idx *images,
			    const struct xs_idx *labels, size_t count,
			    struct xk_threadpool *tp, size_t *correct,
			    float *logits, struct xs_error *err);

/* ---- the synthetic ImageNet-scale supernet ----------------------------------
 * Like Once-for-All's MobileNetV3 space (no squeeze-excite, kernels cut from
 * the 7x7 centre): 3x224x224 input, resolutions 160..224 by 16, stem 16 s2,
 * 5 stages 24/40/80/112/160 (strides 2,2,2,1,2), depth {2,3,4}, expand
 * {3,4,6}, kernel {3,5,7}, head 960, 1000 classes. For latency-only sweeps
 * with phone-like workloads: its weights are seeded noise and its accuracy is
 * meaningless ("none"). */
void xs_space_synthetic(struct xs_space *out);
/* Fills a tensor of the synthetic supernet: convolutions and the classifier
 * uniform with Kaiming's variance (2 / fan-in), BN the identity, from seed. */
void xs_synthetic_fill(const struct xs_tensor_desc *d, float *out, size_t count,
		       void *seed);

/* ---- IDX image and label files (plain, not gzip) ---------------------------
 * Big-endian magic 00 00 08 03 (images: count, rows, cols) or 00 00 08 01
 * (labels: count), then that many uint8. Images are count x rows x cols
 * bytes, row-major; labels count bytes. */
struct xs_idx {
	uint32_t count, rows, cols;  /* rows = cols = 1 for labels */
	const uint8_t *data;         /* into buf */
	uint8_t *buf;                /* the file, owned */
	size_t size;
};

/* Reads path: exactly the header and its data (a longer or shorter file is
 * an error). want_dims is 3 for images, 1 for labels. */
enum xs_status xs_idx_load(const char *path, uint32_t want_dims,
			   struct xs_idx **out, struct xs_error *err);
/* The same from bytes in memory (copied). */
enum xs_status xs_idx_load_buffer(const void *data, size_t size,
				  uint32_t want_dims, struct xs_idx **out,
				  struct xs_error *err);
void xs_idx_destroy(struct xs_idx *idx);

#ifdef __cplusplus
}
#endif
#endif /* XS_H */
