/* identity.c - what device this is (xr.h): the one implementation, which
 * the agent's probe calls too (device-files.h), so that a device the
 * manifest lists is matched by the same code that recorded it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __ANDROID__
#include <sys/system_properties.h>
#endif

#include "device-files.h"
#include "xk.h"
#include "xr.h"

/* Where each text field comes from, in order: Android properties, then
 * files under the root. */
static const struct source {
	size_t off, n;                          /* the field in struct xr_identity */
	const char *props[2], *files[3];
} sources[] = {
#define FIELD(f) offsetof(struct xr_identity, f), sizeof(((struct xr_identity *)0)->f)
	{FIELD(model), {"ro.product.model"},
	 {"/proc/device-tree/model", "/sys/firmware/devicetree/base/model",
	  "/sys/devices/virtual/dmi/id/product_name"}},
	{FIELD(manufacturer), {"ro.product.manufacturer"},
	 {"/sys/devices/virtual/dmi/id/sys_vendor"}},
	{FIELD(soc), {"ro.soc.model"}, {NULL}},
	{FIELD(fingerprint), {"ro.build.fingerprint"}, {NULL}},
	{FIELD(serial), {"ro.serialno", "ro.boot.serialno"}, {NULL}},
	{FIELD(soc_manufacturer), {"ro.soc.manufacturer"}, {NULL}},
	{FIELD(platform), {"ro.board.platform"},
	 {"/proc/device-tree/compatible", "/sys/firmware/devicetree/base/compatible"}},
	{FIELD(hardware), {"ro.hardware", "ro.boot.hardware"}, {NULL}},
#undef FIELD
};

/* The value of key in props; false when absent or empty. */
static bool prop(const char *root, const char *props, const char *key, char *out, size_t n)
{
#ifdef __ANDROID__
	if (props == NULL && root[0] == '\0') {
		char v[PROP_VALUE_MAX];
		int len = __system_property_get(key, v);
		snprintf(out, n, "%s", len > 0 ? v : "");
		return len > 0;
	}
#endif
	(void)root;
	return xr_prop_value(props, key, out, n) && out[0] != '\0';
}

static uint64_t ram_total(const char *root)
{
	char path[1024], line[256];
	snprintf(path, sizeof(path), "%s/proc/meminfo", root);
	FILE *f = fopen(path, "r");
	unsigned long long kb;
	uint64_t bytes = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			bytes = (uint64_t)kb * 1024u;
	if (f)
		fclose(f);
	return bytes;
}

void xr_identity_from(const char *root, const char *props, struct xr_identity *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		const struct source *s = &sources[i];
		char *v = (char *)out + s->off;
		bool ok = false;
		for (size_t k = 0; k < 2 && !ok && s->props[k]; k++)
			ok = prop(root, props, s->props[k], v, s->n);
		for (size_t k = 0; k < 3 && !ok && s->files[k]; k++)
			ok = xr_file_text(root, s->files[k], v, s->n);
		if (!ok)
			v[0] = '\0';
	}
	/* /proc/cpuinfo: ARM's "Hardware", x86's "model name" (not under
	 * qemu-user: that is the host's) */
	if (out->soc[0] == '\0' && !xr_cpuinfo_foreign(root) &&
	    !xr_cpuinfo_value(root, "Hardware", out->soc, sizeof(out->soc)))
		xr_cpuinfo_value(root, "model name", out->soc, sizeof(out->soc));
	snprintf(out->abi, sizeof(out->abi), "%s", xr_build_abi());
	if (out->fingerprint[0] == '\0')
		snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", out->abi);
	out->ram_bytes = ram_total(root);
	snprintf(out->features, sizeof(out->features), "%s", xk_cpu_features());
}

void xr_identity_read(const char *root, struct xr_identity *out)
{
	if (root == NULL || strcmp(root, "/") == 0)
		root = "";
#ifdef __ANDROID__
	char *props = root[0] ? xr_props_read(root) : NULL;
#else
	char *props = xr_props_read(root);
#endif
	xr_identity_from(root, props, out);
	free(props);
}
