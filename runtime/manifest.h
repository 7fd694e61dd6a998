/* manifest.h - the manifest: what `xnn-fleet select` writes and the runtime
 * reads at startup (DESIGN.md "Manifest"). The one definition for both
 * sides: the harness fills struct xr_manifest and calls xr_manifest_write
 * (manifest-write.c); the runtime calls xr_manifest_parse (manifest.c). The
 * key names are one list, manifest-keys.h.
 *
 * JSON, format version 1, as the writer lays it out (keys in this order):
 *   {"format": "xnn-fleet-manifest", "version": 1,
 *    "supernet": {"name": "fmnist-ofa", "sha256": "<64 hex>"},
 *    "budget": {"latency_ms": 8, "percentile": 90, "memory_bytes": 4194304,
 *               "size_bytes": 1048576},
 *    "fallback": "<tier name>",           (optional: default the last tier)
 *    "tiers": [                            (highest first)
 *      {"name": "t1", "arch": "<arch string>", "precision": "f32",
 *       "file": "t1.xnm", "size": 123456, "sha256": "<64 hex>",
 *       "expected": {"latency_ms": 1.2, "memory_bytes": 300000, "top1": 92.1,
 *                    "val_top1": 91.8, "source": "measured" | "predicted",
 *                    "timing": "clean" | "widened"},
 *       "devices": [{"model": "Pixel 8", "fingerprint": "google/shiba/...",
 *                    "serial": "abc123"}],
 *       "rules": {"models": ["Pixel 8*"], "socs": ["Tensor*"],
 *                 "ram_min": 0, "ram_max": 0, "cpu_features": ["asimddp"]},
 *       "probe_min": 120.5}]}
 * Unknown keys are ignored (a newer writer may add some); a missing or
 * malformed known one is an error naming it. Optional: fallback, top1,
 * val_top1, timing (measured tiers: "clean" when every device's figure was a
 * clean measurement, "widened" when some was noisy or throttled and counts at
 * its interval's upper end), devices (and a device's fingerprint and serial), rules (and each
 * of its keys), probe_min. Model and SoC patterns are fnmatch(3) globs; ram
 * bounds are bytes, 0 for none; a tier's rules match when every given part
 * matches. probe_min: the smallest probe score of the tier's devices (0 =
 * none). */
#ifndef XR_MANIFEST_H
#define XR_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xr.h"

#define XR_MANIFEST_FORMAT "xnn-fleet-manifest"
#define XR_MANIFEST_VERSION 1
#define XR_MAX_TIERS 16
#define XR_MAX_PATTERNS 8
#define XR_MAX_LISTED 64
#define XR_MAX_TOKENS 100000 /* JSON values and keys in a manifest */
#define XR_MAX_DEPTH 64      /* arrays and objects nested (the writer's: 5) */

struct xr_rules {
	char models[XR_MAX_PATTERNS][128];         /* device model globs */
	size_t nmodels;
	char socs[XR_MAX_PATTERNS][128];           /* SoC globs */
	size_t nsocs;
	uint64_t ram_min, ram_max;                 /* bytes; 0: no bound */
	char features[XR_MAX_PATTERNS][32];        /* CPU features, all required */
	size_t nfeatures;
};

/* A device measured in a tier, as the agent's probe named it (the runtime's
 * xr_identity_read: the same code). */
struct xr_listed {
	char model[128];
	char fingerprint[256];                     /* "" when not known */
	char serial[128];                          /* "" when not known */
};

struct xr_tier {
	char name[64];
	char arch[512];
	char precision[8];                         /* "f32" or "int8" */
	char file[256];                            /* a plain file name: no '/' */
	char sha256[65];
	uint64_t size;
	double latency_ms, memory_bytes;           /* expected */
	double top1, val_top1;                     /* expected; NAN: not given */
	bool predicted;                            /* latency from prediction */
	bool widened;                              /* timing "widened" (else clean or
						    * not given) */
	struct xr_listed listed[XR_MAX_LISTED];    /* the devices measured in it */
	size_t nlisted;
	struct xr_rules rules;
	double probe_min;                          /* 0: none */
};

struct xr_manifest {
	int version;                               /* XR_MANIFEST_VERSION */
	char supernet[64], supernet_sha256[65];
	double budget_latency_ms, budget_percentile;
	uint64_t budget_memory, budget_size;       /* bytes */
	struct xr_tier tiers[XR_MAX_TIERS];
	size_t ntiers;
	size_t fallback;                           /* index of the fallback tier */
};

/* Parses and checks len bytes of JSON into *out (about 530 KB: allocate it).
 * false with why (a message naming the field) when anything is wrong. Time
 * linear in len and a stack of fixed size for any bytes: more than
 * XR_MAX_TOKENS tokens or XR_MAX_DEPTH levels of nesting are refused before
 * they are parsed. */
bool xr_manifest_parse(const char *json, size_t len, struct xr_manifest *out, char *why,
		       size_t why_n);

/* ---- writing (manifest-write.c: an app that only reads does not link it) ---- */

/* An empty manifest to fill: all zero, version XR_MANIFEST_VERSION, every
 * tier's top1 and val_top1 NAN. Cannot fail. */
void xr_manifest_init(struct xr_manifest *m);

/* Writes m as JSON in the layout above, into *json (malloc'd, the caller
 * frees; NUL-terminated, *len bytes before the NUL, no final newline):
 * indented with tabs, one key a line (cJSON_Print's layout); strings with
 * '"', '\' and control bytes escaped (\n, \t... or \u00xx), other bytes as
 * they are (UTF-8 passes through); numbers that read back exactly (whole
 * ones as integers); top1 and val_top1 left out when NAN; a rules' socs and
 * cpu_features left out when empty. What it wrote is read back with
 * xr_manifest_parse and must equal m. Errors: XR_EINVAL with why naming the
 * field when m cannot be written as a manifest the runtime reads (a count
 * over its limit, a string without its NUL, a number that is not finite,
 * or whatever xr_manifest_parse refuses, in its words); XR_ENOMEM. *json
 * and *len are set only on XR_OK. */
enum xr_status xr_manifest_write(const struct xr_manifest *m, char **json, size_t *len,
				 char *why, size_t why_n);

/* Whether a and b hold the same manifest: every field the JSON carries
 * (strings up to their NUL, the first n entries of each list, NAN equal to
 * NAN); false with why naming the first field that differs. */
bool xr_manifest_equal(const struct xr_manifest *a, const struct xr_manifest *b, char *why,
		       size_t why_n);

/* ---- tier choice ------------------------------------------------------------ */

/* The tier for a device and why (DESIGN.md "Runtime startup"): a tier that
 * lists its model (and fingerprint, when given), else the first whose rules
 * match, else the first whose probe_min the device's probe score reaches
 * (*score < 0: probe() is called for it, once, and *score set), else the
 * fallback. */
size_t xr_manifest_choose(const struct xr_manifest *m, double (*probe)(void),
			  const struct xr_identity *id, double *score, char *why, size_t why_n);

#endif /* XR_MANIFEST_H */
