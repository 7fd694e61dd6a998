/* fuzz-idx.c - libFuzzer target: IDX image and label files. */
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (uint32_t dims = 1; dims <= 3; dims += 2) {
		struct xs_idx *idx = NULL;
		struct xs_error err;
		if (xs_idx_load_buffer(data, size, dims, &idx, &err) == XS_OK) {
			size_t n = (size_t)idx->count * idx->rows * idx->cols;
			volatile uint8_t sink = idx->data[0] ^ idx->data[n - 1];
			(void)sink;
			xs_idx_destroy(idx);
		}
	}
	return 0;
}
