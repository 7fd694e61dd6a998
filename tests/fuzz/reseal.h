/* reseal.h - for the fuzz targets of checksummed files: a copy of the input
 * with its SHA-256 trailer (the last 32 bytes) recomputed, so that mutations
 * get past the checksum to the checks behind it. */
#ifndef FUZZ_RESEAL_H
#define FUZZ_RESEAL_H

#include <stdlib.h>
#include <string.h>

#include "xs.h"

/* malloc'd (free it); NULL when out of memory. */
static inline uint8_t *fuzz_resealed_copy(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, data, size);
	if (size >= 32)
		xs_sha256(copy, size - 32, copy + size - 32);
	return copy;
}

#endif /* FUZZ_RESEAL_H */
