/* cmd-manifest.c - xnn-fleet manifest check DIR: the manifest reads as the
 * runtime reads it, and every file it names has its size and sha256. Each is
 * read as the runtime reads it (file-read.h): a FIFO or a device in its
 * place is refused, not waited on. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "file-read.h"
#include "manifest.h"
#include "xs.h"

static const char usage_text[] =
	"usage: xnn-fleet manifest check DIR   (or DIR/manifest.json)\n"
	"\n"
	"Reads DIR/manifest.json with the runtime's reader (every error it would\n"
	"refuse the manifest for) and checks the size and sha256 of every model file\n"
	"it names in DIR. Prints one line per tier; exit status 1 when anything is\n"
	"wrong.\n";

/* Prints tier t's line: its model file in dir ok, MISSING or BAD (not a
 * regular file, or not the size and sha256 the manifest says; a file larger
 * than that is not read). */
static bool model_ok(const struct xr_tier *t, const char *dir)
{
	char fp[4600], hex[65], why[5000];
	char *data;
	size_t size;
	snprintf(fp, sizeof(fp), "%s/%s", dir, t->file);
	enum xr_status st = xr_file_read(fp, t->size, &data, &size, why, sizeof(why));
	if (st == XR_EIO) {
		printf("%-8s %-20s MISSING (%s)\n", t->name, t->file, why);
		return false;
	}
	if (st != XR_OK) {
		printf("%-8s %-20s BAD: %s\n", t->name, t->file, why);
		return false;
	}
	uint8_t sum[32];
	xs_sha256(data, size, sum);
	xs_sha256_hex(sum, hex);
	free(data);
	if (size != t->size || strcmp(hex, t->sha256) != 0) {
		printf("%-8s %-20s BAD: %zu bytes, sha256 %.16s...; the manifest says %llu bytes, "
		       "%.16s...\n", t->name, t->file, size, hex, (unsigned long long)t->size,
		       t->sha256);
		return false;
	}
	printf("%-8s %-20s ok (%llu bytes, %s, %zu device%s listed)\n", t->name, t->file,
	       (unsigned long long)t->size, t->predicted ? "predicted" : "measured", t->nlisted,
	       t->nlisted == 1 ? "" : "s");
	return true;
}

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
	/* DIR, or DIR/manifest.json itself (what classify takes) */
	char dirbuf[4096];
	const char *dir = argv[2];
	size_t n = strlen(dir);
	struct stat sb;
	if (n > 14 && n < sizeof(dirbuf) && strcmp(dir + n - 14, "/manifest.json") == 0 &&
	    stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		memcpy(dirbuf, dir, n - 14);
		dirbuf[n - 14] = '\0';
		dir = dirbuf;
	} else if (strcmp(dir, "manifest.json") == 0 && stat(dir, &sb) == 0 &&
		   !S_ISDIR(sb.st_mode)) {
		dir = ".";
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	char *text;
	size_t len;
	static struct xr_manifest m;
	char why[512];
	if (xr_file_read(path, 4 << 20, &text, &len, why, sizeof(why)) != XR_OK) {
		fprintf(stderr, "xnn-fleet manifest: %s: is DIR the --out of xnn-fleet select?\n",
			why);
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
	for (size_t i = 0; i < m.ntiers; i++)
		bad += !model_ok(&m.tiers[i], dir);
	if (bad) {
		fprintf(stderr, "xnn-fleet manifest: %d of %zu model files do not match '%s': copy "
			"them again from the select's --out, or run xnn-fleet select again\n", bad,
			m.ntiers, path);
		return 1;
	}
	return 0;
}
