/* reference.h - what the host knows of each sub-net of a sweep, computed
 * once and kept in the device DB: top-1 on the whole test set, and the
 * logits of the first test images, which every device compares its own with
 * (the agent's --ref, the max_logit_diff column: a device that computes wrong
 * numbers is caught). */
#ifndef XF_REFERENCE_H
#define XF_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdb.h"
#include "xs.h"

#define XF_REF_IMAGES 16   /* reference logits per sub-net */

/* Which of the n sub-nets (DB ids) xf_reference_update would measure in
 * each precision of precisions ("f32", "int8" or "f32,int8", np of them):
 * lack[i * np + k] (n * np of them) for sub-net i in the k-th precision;
 * all false when the space's input is not the image of eval (the test
 * images: no reference at all). A sweep extracts those sub-models for the
 * devices first and the reference evaluates the files. XS_EINVAL (bad
 * precisions), XS_EIO with err naming the file, DB errors. */
enum xs_status xf_reference_lacking(struct fdb *db, const struct xs_supernet *sn,
				    const int64_t *ids, size_t n, const char *eval,
				    const char *precisions, bool *lack, struct xs_error *err);

/* Where a sub-net's model comes from: *out (the caller's) for sub-net i of
 * those given, in prec; err says why not. */
typedef enum xs_status (*xf_reference_model_fn)(void *ctx, size_t i, enum xs_precision prec,
						 struct xs_model **out, struct xs_error *err);

/* For each precision of precisions ("f32", "int8" or "f32,int8") and each
 * of the n sub-nets (arch text, DB id) that the DB has no reference for in
 * it: its model from model (NULL: built here, BN recalibrated on calib;
 * int8: quantized as the agent does), evaluated on all of eval/labels and
 * on the validation split (the space's val_images last images of calib,
 * held out of training; labels train_labels) with threads threads, and
 * both top-1s and the logits stored. Then writes every sub-net's logits as
 * "arch,image,v0,..." rows to ref_path (the agent's --ref; int8 rows are
 * keyed "arch int8"). Spaces whose input is not the data set's image (the
 * synthetic ImageNet-scale one) get no reference: *ref_written false. The
 * DB calls are the caller's (no other thread may use db meanwhile).
 * progress (may be NULL) gets a line (no newline) before and after each
 * sub-net measured here ("host reference 1/2 f32: ARCH ...", "host
 * reference 1/2 f32: top1 90.01 on 10000 test images, ..."); model and
 * progress get ctx. */
typedef void (*xf_reference_progress_fn)(void *ctx, const char *line);
enum xs_status xf_reference_update(struct fdb *db, const struct xs_supernet *sn,
				   const char (*archs)[XS_ARCH_MAX], const int64_t *ids, size_t n,
				   const char *calib, const char *train_labels, const char *eval,
				   const char *labels, const char *precisions, int threads,
				   const char *ref_path, bool *ref_written,
				   xf_reference_model_fn model, xf_reference_progress_fn progress,
				   void *ctx, struct xs_error *err);

#endif /* XF_REFERENCE_H */
