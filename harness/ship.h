/* ship.h - what a sweep gives the devices besides the agent: the sub-models
 * extracted once here in each precision (the same bytes on every ISA, so a
 * device only checks and loads them), the models list that
 * `xnn-agent bench --models` reads, and the test images cut to the count a
 * device evaluates. Everything is made in one staging folder under the
 * temporary folder and removed with it by xf_ship_release. Nothing here
 * prints.
 *
 * The models list is agent/models.h's format: one model a line, "ARCH
 * <TAB> PRECISION <TAB> FILE <TAB> SHA256", FILE relative to the list's
 * folder (the device's work folder holds both; for devices that use files
 * where they are, the staging folder does). */
#ifndef XF_SHIP_H
#define XF_SHIP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

#define XF_SHIP_NAME_MAX 64

/* One sub-model in one precision. */
struct xf_ship_model {
	char arch[XS_ARCH_MAX];
	size_t arch_index;             /* in the archs given to xf_ship_models_init */
	enum xs_precision precision;
	char name[XF_SHIP_NAME_MAX];   /* the file's name, here and on devices:
					  "xnm-003-int8.xnm" (index and precision) */
	char path[PATH_MAX];           /* here, in the staging folder */
	bool built;                    /* the file is written: sha256 and size are its */
	char sha256[65];               /* of the file's bytes */
	long long size;
};

struct xf_ship {
	char dir[PATH_MAX];            /* the staging folder; "" when there is none */
	struct xf_ship_model *models;  /* nmodels, malloc'd: arch by arch, each in the
					  precisions in the order given */
	size_t nmodels;
	size_t nprecs;                 /* precisions per arch: models[i * nprecs + p] */
};

/* Makes the staging folder ($TMPDIR/xnn-fleet-stage-XXXXXX) into s (zeroed
 * first). XS_EIO when it cannot. */
enum xs_status xf_ship_init(struct xf_ship *s, struct xs_error *err);

/* Removes every file in the staging folder and the folder, and frees the
 * models; s is zeroed. Nothing when s is NULL or has no folder. */
void xf_ship_release(struct xf_ship *s);

/* progress: one line (no newline) per model built, from the worker threads,
 * one call at a time. */
typedef void (*xf_ship_progress_fn)(void *ctx, const char *line);

/* Names the models of archs[0..n) in each of precs[0..np) (each precision
 * once) in s->models, arch by arch; none is built yet. XS_ENOMEM. */
enum xs_status xf_ship_models_init(struct xf_ship *s, const char (*archs)[XS_ARCH_MAX],
				   size_t n, const enum xs_precision *precs, size_t np,
				   struct xs_error *err);

/* Writes the models k with want[k] (want NULL: all) that are not built yet
 * as .xnm files into the staging folder, with threads workers (at least
 * one), each taking whole archs: the f32 model extracted once (BN
 * recalibrated on calib, NULL: the stored statistics), int8 quantized from
 * it with the default options on calib's first recal_images images, as
 * `xnn-agent bench --supernet` and `xnn-fleet supernet extract` do: the same
 * bytes. A sweep calls it for what its reference lacks, then for what its
 * devices lack: no model is built twice. *built (may be NULL) gets the count
 * written by this call. progress may be NULL. On error the files of this
 * call are removed (not built) and err names the sub-net. */
enum xs_status xf_ship_build(struct xf_ship *s, const struct xs_supernet *sn, const bool *want,
			     const struct xs_idx *calib, int threads, xf_ship_progress_fn progress,
			     void *ctx, size_t *built, struct xs_error *err);

/* The first count images of the IDX file images and the first count labels
 * of labels (plain IDX), as a compact IDX pair in the staging folder
 * ("t10k-COUNT-images-idx3-ubyte" and "t10k-COUNT-labels-idx1-ubyte"; count
 * cut to what the files hold); their paths into images_out and labels_out
 * (n bytes each). err names the file that cannot be read or written. */
enum xs_status xf_ship_eval(const struct xf_ship *s, const char *images, const char *labels,
			    uint32_t count, char *images_out, char *labels_out, size_t n,
			    struct xs_error *err);

/* Writes the models list of the models k with want[k] (want NULL: all) to
 * path, through path.tmp and a rename. XS_EIO with err naming the file;
 * XS_EINVAL naming the first of them not built. */
enum xs_status xf_ship_list_write(const struct xf_ship *s, const bool *want, const char *path,
				  struct xs_error *err);

#endif /* XF_SHIP_H */
