/* test-util.h - what the unit tests share: the shipped supernet and the data
 * set as a cmocka group fixture, data paths, reading a file, resealing a
 * checksum trailer, the fmnist space text, the tiny hand-made model.
 *
 * Not a test program: the Makefile links test-util.o into every unit test
 * (tests/unit/ and tests/unit/host/). Helpers that check fail the running
 * test with cmocka's assert_*; they do not return errors. Include after
 * <cmocka.h> (and the headers it needs). */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xk-ukernel.h"
#include "xs-internal.h"

/* The supernet the model tests extract from, from the source folder. */
#define TU_SUPERNET "models/fmnist-ofa.xsn"

/* What tu_fixture_setup loads; owned by the fixture (tu_fixture_teardown). */
struct tu_fixture {
	struct xs_supernet *sn;		/* TU_SUPERNET */
	struct xs_idx *train;		/* train-images-idx3-ubyte */
	struct xs_idx *test;		/* t10k-images-idx3-ubyte */
	struct xs_idx *labels;		/* t10k-labels-idx1-ubyte */
	struct xk_threadpool *tp;	/* two threads */
};

extern struct tu_fixture tu_fx;

/* Group setup: loads all of tu_fx (data from tu_data_path); -1 with a message
 * on stderr when something is missing. */
int tu_fixture_setup(void **state);
/* Group setup for tests that need only tu_fx.tp. */
int tu_pool_setup(void **state);
/* Group teardown for either setup: frees what was loaded. */
int tu_fixture_teardown(void **state);

/* $XS_TEST_DATA/name (build/data/name without it): the decompressed data
 * set. A static buffer, overwritten by the next call. */
const char *tu_data_path(const char *name);

/* The whole file at path, NUL-terminated; its length in *n. Caller frees. */
char *tu_file_read(const char *path, size_t *n);

/* Recomputes the SHA-256 trailer (the last 32 bytes of the n at b) of an
 * .xsn or .xnm file, so that the checks behind the checksum are reached. */
void tu_reseal(uint8_t *b, size_t n);

/* The .xnm bytes of m. Caller frees. */
uint8_t *tu_model_bytes(const struct xs_model *m, size_t *size);

/* Loads the .xnm at (b, n) and returns the status; an error must come with
 * a message; never a crash (ASan watches). */
enum xs_status tu_model_load(const uint8_t *b, size_t n);

/* The sub-net arch ("largest", "smallest" or an arch string) of tu_fx.sn,
 * recalibrated on tu_fx.train (recal false: the stored BN statistics,
 * faster, for tests of the graph and executor only). Caller destroys. */
struct xs_model *tu_extract(const char *arch, struct xk_threadpool *tp, bool recal);

/* The int8 model of m by the default options (xs_quant_options_default),
 * calibrated on the space's recal_images first images of tu_fx.train, on
 * tu_fx.tp. Caller destroys. */
struct xs_model *tu_quantize(const struct xs_model *m);

/* 6x6x1 -> resize 5x5 -> conv 3x3 s2 (4, h-swish) -> pw 8 (relu) -> dw 3x3
 * (8, relu6) -> pw 4 -> add (the conv's output) -> gavgpool -> fc 3, with
 * seeded weights: every operator, 211 weights. Caller destroys. */
struct xs_model *tu_tiny_model(void);

/* n seeded images of the tiny model's 6x6 input, loaded from an IDX file
 * made in memory. Caller destroys. */
struct xs_idx *tu_tiny_images(size_t n, uint32_t seed);

/* The space text of models/fmnist-ofa.xsn, and that text parsed. */
extern const char *const tu_fmnist_space;
struct xs_space tu_fmnist(void);

/* Runs the group (cmocka_run_group_tests_name) with $XS_TEST_FILTER, when
 * set, as cmocka's test filter. */
int tu_run(const char *name, const struct CMUnitTest *tests, size_t n,
	   CMFixtureFunction setup, CMFixtureFunction teardown);
#define TU_RUN(name, tests, setup, teardown) \
	tu_run(name, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)

#endif
