/* fuzz-manifest.c - libFuzzer target: the runtime's manifest reader
 * (runtime/manifest.c) on any bytes. What it accepts is consistent: tiers
 * within bounds, the fallback one of them, every file name plain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xr_manifest m;
	char why[256];
	if (xr_manifest_parse((const char *)data, size, &m, why, sizeof(why))) {
		if (m.ntiers == 0 || m.ntiers > XR_MAX_TIERS || m.fallback >= m.ntiers)
			__builtin_trap();
		for (size_t i = 0; i < m.ntiers; i++)
			if (strchr(m.tiers[i].file, '/') || strlen(m.tiers[i].sha256) != 64 ||
			    m.tiers[i].nlisted > XR_MAX_LISTED)
				__builtin_trap();
	} else if (why[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
