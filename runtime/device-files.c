/* device-files.c - a device's /proc, /sys and device-tree files under a
 * root (device-files.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "device-files.h"

bool xr_file_text(const char *root, const char *path, char *out, size_t n)
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
	while (len > 0 && isspace((unsigned char)out[len - 1]))
		out[--len] = '\0';
	return len > 0;
}

bool xr_cpuinfo_value(const char *root, const char *key, char *out, size_t n)
{
	char path[1024], line[1024];
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	size_t kl = strlen(key);
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) != 0 ||
		    (line[kl] != ' ' && line[kl] != '\t' && line[kl] != ':'))
			continue;
		char *v = strchr(line, ':');
		if (v == NULL)
			continue;
		found = true;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		size_t len = strlen(v);
		while (len > 0 && isspace((unsigned char)v[len - 1]))
			v[--len] = '\0';
		snprintf(out, n, "%s", v);
	}
	fclose(f);
	return found && out[0] != '\0';
}

bool xr_cpuinfo_foreign(const char *root)
{
	char v[64];
#if defined(__aarch64__) || defined(__arm__)
	return xr_cpuinfo_value(root, "vendor_id", v, sizeof(v));
#else
	return xr_cpuinfo_value(root, "CPU implementer", v, sizeof(v));
#endif
}

const char *xr_build_abi(void)
{
#if defined(__aarch64__)
	return "arm64-v8a";
#elif defined(__arm__)
	return "armeabi-v7a";
#elif defined(__x86_64__)
	return "x86_64";
#elif defined(__i386__)
	return "x86";
#else
	return "unknown";
#endif
}
