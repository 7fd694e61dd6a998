/* fuzz-xnm.c - libFuzzer target: the .xnm loader on any bytes, and the
 * executor on whatever graph the loader accepts.
 *
 * Inputs are resealed (their SHA-256 trailer recomputed) so that mutations
 * reach the graph checks behind the checksum (the checksum itself is tested
 * in tests/unit/test-xnm.c). A model that loads must be one the executor
 * runs safely: small ones are run on a zero input (scalar kernels), and ASan
 * watches every read and write. The seeds, corpus-xnm/tiny.xnm (every
 * operator, 211 weights) and corpus-xnm/tiny-int8.xnm (the same quantized, every
 * layer int8, with converts), are written by the unit test:
 *     XS_TEST_WRITE_TINY=tests/fuzz/corpus-xnm/tiny.xnm \
 *     XS_TEST_WRITE_TINY_INT8=tests/fuzz/corpus-xnm/tiny-int8.xnm build/tests/test-xnm */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reseal.h"
#include "xs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = fuzz_resealed_copy(data, size);
	if (copy == NULL)
		return 0;
	struct xs_model *m = NULL;
	struct xs_error err;
	if (xs_model_load_buffer(copy, size, &m, NULL, &err) == XS_OK) {
		struct xs_exec *e;
		if (xs_model_macs(m) < 10000000 &&
		    xs_exec_create(m, XK_ISA_SCALAR, 1, &e, &err) == XS_OK) {
			if (xs_exec_arena_bytes(e) < (16u << 20)) {
				const struct xs_value *in = &m->values[0];
				memset(xs_exec_input(e), 0, (size_t)in->h * in->w * in->c * sizeof(float));
				xs_exec_run(e, 1, NULL);
			}
			xs_exec_destroy(e);
		}
		xs_model_destroy(m);
	}
	free(copy);
	return 0;
}
