/* xf.h - xnn-fleet, the host command: one function per subcommand (git's
 * habit: harness/main.c dispatches, harness/cmd-NAME.c holds cmd_NAME). */
#ifndef XF_H
#define XF_H

#include <stdbool.h>

#include "xs.h"

/* A subcommand: argv[0] is its name; returns the process exit status
 * (0 ok, 1 failure, 2 usage). Messages go to stderr, results to stdout. */
typedef int (*xf_cmd_fn)(int argc, char **argv);

int cmd_supernet(int argc, char **argv);
int cmd_agent_check(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_select(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* xnn-fleet db simulate (cmd-simulate.c); argv[0] is "simulate". */
int xf_db_simulate(int argc, char **argv);
/* xnn-fleet supernet extract|eval (cmd-model.c); argv[0] is "extract" or
 * "eval". */
int xf_supernet_extract(int argc, char **argv);
int xf_supernet_eval(int argc, char **argv);

/* The supernet a command uses when --supernet is not given. */
#define XF_DEFAULT_SUPERNET "models/fmnist-ofa.xsn"

/* Debian's dataset-fashion-mnist: gzip'd IDX files. */
#define XF_DATA_DIR "/usr/share/datasets/fashion-mnist"
#define XF_TRAIN_IMAGES XF_DATA_DIR "/train-images-idx3-ubyte.gz"
/* What --precision int8 does, for usage texts. */
#define XF_INT8_HELP                                                            \
	"weights int8 per output channel, activations int8 per tensor calibrated " \
	"on the same images as BN; --float-layers keeps layers in f32: none or a " \
	"comma list of stem, blocks, head, classifier (default stem,classifier); " \
	"--calib-method minmax (default) or percentile[:P] (P default 99.99)"
#define XF_TRAIN_LABELS XF_DATA_DIR "/train-labels-idx1-ubyte.gz"
#define XF_TEST_IMAGES XF_DATA_DIR "/t10k-images-idx3-ubyte.gz"
#define XF_TEST_LABELS XF_DATA_DIR "/t10k-labels-idx1-ubyte.gz"

/* Loads an IDX file, plain or gzip'd (.gz: decompressed by running gzip).
 * dims: 3 images, 1 labels. */
enum xs_status xf_idx_load(const char *path, uint32_t dims, struct xs_idx **out,
			   struct xs_error *err);

/* The plain IDX file of gz (a data set file) in the cache
 * ($XDG_CACHE_HOME or ~/.cache, /xnn-fleet/NAME), decompressed on first use:
 * agents read plain IDX. false after saying why on stderr. */
bool xf_data_cached(const char *gz, const char *name, char *out, size_t n);

/* Room for one more element in the array at *items (n in use, *cap
 * allocated, size bytes each): the capacity doubles from first. false when
 * out of memory (the array stays as it was). */
bool xf_grow(void *items, size_t n, size_t *cap, size_t size, size_t first);

/* The number of online CPUs (at least 1). */
int xf_cpus(void);

/* "f32", "int8", "f32,int8" or "int8,f32": out gets them in that order (f32
 * first), *n how many. false on anything else (an empty word, a repeat). */
bool xf_precision_list_parse(const char *text, enum xs_precision out[2], size_t *n);

#endif /* XF_H */
