/* fuzz-xsn.c - libFuzzer target: the .xsn loader on any bytes.
 *
 * Inputs are resealed (their SHA-256 trailer recomputed) before loading, so
 * that mutations get past the checksum to the table and tensor checks behind
 * it; the checksum check itself is tested in tests/unit/test-xsn.c. */
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
	struct xs_supernet *sn = NULL;
	struct xs_error err;
	if (xs_supernet_load_buffer(copy, size, &sn, &err) == XS_OK) {
		/* whatever loaded lies inside the file's body, and reads */
		const uint8_t *lo = sn->buf, *hi = sn->buf + sn->size - 32;
		volatile float sink = 0;
		for (size_t i = 0; i < sn->ntensors; i++) {
			const struct xs_tensor *t = &sn->tensors[i];
			const uint8_t *p = (const uint8_t *)t->data;
			if (p < lo || p > hi || t->count > (size_t)(hi - p) / 4 ||
			    t->name < (const char *)lo || t->name >= (const char *)hi)
				__builtin_trap();
			sink += t->data[0] + t->data[t->count - 1];
		}
		(void)sink;
		xs_supernet_destroy(sn);
	}
	free(copy);
	return 0;
}
