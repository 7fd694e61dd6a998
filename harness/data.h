/* data.h - the data set the harness reads and stages: Debian's
 * dataset-fashion-mnist (gzip'd IDX), decompressed once into the cache for
 * the agents, which read plain IDX. Also the supernet a command uses by
 * default. */
#ifndef XF_DATA_H
#define XF_DATA_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

/* The supernet a command uses when --supernet is not given. */
#define XF_DEFAULT_SUPERNET "models/fmnist-ofa.xsn"

/* Debian's dataset-fashion-mnist: gzip'd IDX files. */
#define XF_DATA_DIR "/usr/share/datasets/fashion-mnist"
#define XF_TRAIN_IMAGES XF_DATA_DIR "/train-images-idx3-ubyte.gz"
#define XF_TRAIN_LABELS XF_DATA_DIR "/train-labels-idx1-ubyte.gz"
#define XF_TEST_IMAGES XF_DATA_DIR "/t10k-images-idx3-ubyte.gz"
#define XF_TEST_LABELS XF_DATA_DIR "/t10k-labels-idx1-ubyte.gz"

/* What --precision int8 does, for usage texts. */
#define XF_INT8_HELP                                                            \
	"weights int8 per output channel,\n"                                        \
	"activations int8 per tensor calibrated on the same images as BN;\n"       \
	"--float-layers keeps layers in f32: none or a comma list of stem, blocks,\n" \
	"head, classifier (default stem,classifier); --calib-method minmax\n"       \
	"(default) or percentile[:P] (P default 99.99)"

/* Loads an IDX file, plain or gzip'd (.gz: decompressed by running gzip).
 * dims: 3 images, 1 labels. */
enum xs_status xf_idx_load(const char *path, uint32_t dims, struct xs_idx **out,
			   struct xs_error *err);

/* The plain IDX file of gz (a data set file) in the cache
 * ($XDG_CACHE_HOME or ~/.cache, /xnn-fleet/NAME), decompressed on first use:
 * agents read plain IDX. out gets its path. */
enum xs_status xf_data_cached(const char *gz, const char *name, char *out, size_t n,
			      struct xs_error *err);

/* The four files of the data set, as plain IDX in the cache. */
struct xf_data {
	char calib[PATH_MAX];        /* training images: BN calibration, validation split */
	char train_labels[PATH_MAX]; /* their labels */
	char eval[PATH_MAX];         /* the test images */
	char labels[PATH_MAX];       /* their labels */
};

/* Stages all four (xf_data_cached each). err says which one failed. */
enum xs_status xf_data_stage(struct xf_data *d, struct xs_error *err);

#endif /* XF_DATA_H */
