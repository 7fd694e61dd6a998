/* identity.c - what device this is (xr.h): the same sources, in the same
 * order, as the agent's probe, so that what the fleet measured and what the
 * app sees name the device alike. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __ANDROID__
#include <sys/system_properties.h>
#endif

#include "xk.h"
#include "xr.h"

#if defined(__aarch64__)
#define XR_ABI "arm64-v8a"
#elif defined(__arm__)
#define XR_ABI "armeabi-v7a"
#elif defined(__x86_64__)
#define XR_ABI "x86_64"
#else
#define XR_ABI "unknown"
#endif

/* Reads root/path, trimmed of trailing space and NULs (device-tree strings
 * end with one); false when it cannot be read or is empty. */
static bool read_text(const char *root, const char *path, char *out, size_t n)
{
	char full[1024];
	snprintf(full, sizeof(full), "%s%s", root, path);
	FILE *f = fopen(full, "rb");
	if (f == NULL)
		return false;
	size_t len = fread(out, 1, n - 1, f);
	fclose(f);
	out[len] = '\0';
	len = strlen(out);
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' ' || out[len - 1] == '\r'))
		out[--len] = '\0';
	return len > 0;
}


/* The value of key in props; false when absent or empty. */
static bool prop(const char *props, const char *key, char *out, size_t n)
{
#ifdef __ANDROID__
	(void)props;
	char v[PROP_VALUE_MAX];
	int len = __system_property_get(key, v);
	snprintf(out, n, "%s", v);
	return len > 0;
#else
	return xr_prop_value(props, key, out, n) && out[0] != '\0';
#endif
}

/* The value of "key : value" in /proc/cpuinfo. */
static bool cpuinfo(const char *root, const char *key, char *out, size_t n)
{
	char path[1024], line[1024];
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool ok = false;
	size_t kl = strlen(key);
	while (!ok && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) != 0 || (line[kl] != ' ' && line[kl] != '\t' && line[kl] != ':'))
			continue;
		char *c = strchr(line, ':');
		if (c == NULL)
			continue;
		c++;
		while (*c == ' ' || *c == '\t')
			c++;
		c[strcspn(c, "\n")] = '\0';
		snprintf(out, n, "%s", c);
		ok = *c != '\0';
	}
	fclose(f);
	return ok;
}

void xr_identity_read(const char *root, struct xr_identity *out)
{
	memset(out, 0, sizeof(*out));
	if (root == NULL || strcmp(root, "/") == 0)
		root = "";
#ifdef __ANDROID__
	char *props = NULL;
#else
	char *props = xr_props_read(root);
#endif
	if (!prop(props, "ro.product.model", out->model, sizeof(out->model)) &&
	    !read_text(root, "/proc/device-tree/model", out->model, sizeof(out->model)) &&
	    !read_text(root, "/sys/firmware/devicetree/base/model", out->model, sizeof(out->model)))
		read_text(root, "/sys/devices/virtual/dmi/id/product_name", out->model,
			  sizeof(out->model));
	if (!prop(props, "ro.product.manufacturer", out->manufacturer, sizeof(out->manufacturer)))
		read_text(root, "/sys/devices/virtual/dmi/id/sys_vendor", out->manufacturer,
			  sizeof(out->manufacturer));
	if (!prop(props, "ro.soc.model", out->soc, sizeof(out->soc)) &&
	    !cpuinfo(root, "Hardware", out->soc, sizeof(out->soc)))
		cpuinfo(root, "model name", out->soc, sizeof(out->soc));
	if (!prop(props, "ro.build.fingerprint", out->fingerprint, sizeof(out->fingerprint)))
		snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", XR_ABI);
	snprintf(out->abi, sizeof(out->abi), "%s", XR_ABI);
	{
		char path[1024], line[256];
		snprintf(path, sizeof(path), "%s/proc/meminfo", root);
		FILE *f = fopen(path, "r");
		unsigned long long kb;
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
				out->ram_bytes = (uint64_t)kb * 1024u;
		if (f)
			fclose(f);
	}
	snprintf(out->features, sizeof(out->features), "%s", xk_cpu_features());
	free(props);
}
