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
	char msg[256];
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
