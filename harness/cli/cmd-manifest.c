/* cmd-manifest.c - xnn-fleet manifest check DIR: the manifest reads as the
 * runtime reads it, and every file it names has its size and sha256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "manifest.h"
#include "cmd.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet manifest check DIR\n"
	"\n"
	"Reads DIR/manifest.json with the runtime's reader (every error it would\n"
	"refuse the manifest for) and checks the size and sha256 of every model file\n"
	"it names in DIR. Prints one line per tier; exit status 1 when anything is\n"
	"wrong.\n";

int cmd_manifest(int argc, char **argv)
{
	if ((argc == 2 || argc == 3) && (strcmp(argv[argc - 1], "--help") == 0 ||
					 strcmp(argv[argc - 1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "check") != 0) {
		return xf_usage_error(usage_text);
	}
	const char *dir = argv[2];
	char path[4200];
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	char *text;
	size_t len;
	struct xs_error err;
	static struct xr_manifest m;
	char why[512];
	if (xf_file_read(path, 4 << 20, &text, &len, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet manifest: %s: is DIR the --out of xnn-fleet select?\n",
			err.msg);
		return 1;
	}
	bool ok = xr_manifest_parse(text, len, &m, why, sizeof(why));
	free(text);
	if (!ok) {
		fprintf(stderr, "xnn-fleet manifest: '%s': %s\n", path, why);
		return 1;
	}
	printf("%s: supernet %s (%.12s...), %zu tier%s, fallback %s\n", path, m.supernet,
	       m.supernet_sha256, m.ntiers, m.ntiers == 1 ? "" : "s", m.tiers[m.fallback].name);
	int bad = 0;
	for (size_t i = 0; i < m.ntiers; i++) {
		const struct xr_tier *t = &m.tiers[i];
		char fp[4600], hex[65];
		long long size;
		snprintf(fp, sizeof(fp), "%s/%s", dir, t->file);
		if (!xf_file_sha256(fp, &size, hex)) {
			printf("%-8s %-20s MISSING (cannot read '%s')\n", t->name, t->file, fp);
			bad++;
		} else if ((unsigned long long)size != t->size || strcmp(hex, t->sha256) != 0) {
			printf("%-8s %-20s BAD: %lld bytes, sha256 %.16s...; the manifest says %llu "
			       "bytes, %.16s...\n", t->name, t->file, size, hex,
			       (unsigned long long)t->size, t->sha256);
			bad++;
		} else {
			printf("%-8s %-20s ok (%llu bytes, %s, %zu device%s listed)\n", t->name, t->file,
			       (unsigned long long)t->size, t->predicted ? "predicted" : "measured",
			       t->nlisted, t->nlisted == 1 ? "" : "s");
		}
	}
	if (bad) {
		fprintf(stderr, "xnn-fleet manifest: %d of %zu model files do not match '%s': copy "
			"them again from the select's --out, or run xnn-fleet select again\n", bad,
			m.ntiers, path);
		return 1;
	}
	return 0;
}
