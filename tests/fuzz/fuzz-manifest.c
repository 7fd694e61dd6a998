/* fuzz-manifest.c - libFuzzer target: the runtime's manifest reader
 * (runtime/manifest.c) on any bytes, and its tier choice (listed device,
 * rules, probe score, fallback) for identities taken from the same bytes.
 * What it accepts is consistent: tiers within bounds, the fallback one of
 * them, every file name plain; the choice is a tier with a reason. And the
 * writer (runtime/manifest-write.c) writes whatever the reader accepted,
 * which reads back equal and writes again to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "xr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* m -> JSON -> struct gives m; that struct -> JSON the same bytes. */
static void roundtrip(const struct xr_manifest *m)
{
	static struct xr_manifest back;
	char why[256], *json, *again;
	size_t n, n2;
	if (xr_manifest_write(m, &json, &n, why, sizeof(why)) != XR_OK ||
	    !xr_manifest_parse(json, n, &back, why, sizeof(why)) ||
	    !xr_manifest_equal(m, &back, why, sizeof(why)))
		__builtin_trap();
	if (xr_manifest_write(&back, &again, &n2, why, sizeof(why)) != XR_OK || n2 != n ||
	    memcmp(again, json, n) != 0)
		__builtin_trap();
	free(again);
	free(json);
}

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
		/* identities from the input's bytes: the first tier's listed model
		 * and patterns as the device's strings, and a few RAM sizes */
		static struct xr_identity id;
		memset(&id, 0, sizeof(id));
		const struct xr_tier *t0 = &m.tiers[size % m.ntiers];
		if (t0->nlisted)
			snprintf(id.model, sizeof(id.model), "%s", t0->listed[0].model);
		if (t0->rules.nsocs)
			snprintf(id.soc, sizeof(id.soc), "%s", t0->rules.socs[0]);
		snprintf(id.features, sizeof(id.features), "%.*s", (int)(size < 64 ? size : 64),
			 (const char *)data);
		id.ram_bytes = (uint64_t)size << (size % 40);
		double score = (double)(size % 300);
		char reason[256];
		reason[0] = '\0';
		size_t t = xr_manifest_choose(&m, NULL, &id, &score, reason, sizeof(reason));
		if (t >= m.ntiers || reason[0] == '\0')
			__builtin_trap();
		roundtrip(&m);
	} else if (why[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
