/* manifest.h - the manifest: what `xnn-fleet select` writes and the runtime
 * reads at startup (DESIGN.md "Manifest"). One definition for both sides.
 *
 * JSON, format version 1:
 *   {"format": "xnn-fleet-manifest", "version": 1,
 *    "supernet": {"name": "fmnist-ofa", "sha256": "<64 hex>"},
 *    "budget": {"latency_ms": 8, "percentile": 90, "memory_bytes": 4194304,
 *               "size_bytes": 1048576},
 *    "fallback": "<tier name>"            (optional: default the last tier)
 *    "tiers": [                            (highest first)
 *      {"name": "t1", "arch": "<arch string>", "precision": "f32",
 *       "file": "t1.xnm", "size": 123456, "sha256": "<64 hex>",
 *       "expected": {"latency_ms": 1.2, "memory_bytes": 300000, "top1": 92.1,
 *                    "source": "measured" | "predicted"},
 *       "devices": [{"model": "Pixel 8", "fingerprint": "google/shiba/..."}],
 *       "rules": {"models": ["Pixel 8*"], "socs": ["Tensor*"],
 *                 "ram_min": 0, "ram_max": 0, "cpu_features": ["asimddp"]},
 *       "probe_min": 120.5}]}
 * Unknown keys are ignored (a newer writer may add some); a missing or
 * malformed known one is an error naming it. Model and SoC patterns are
 * fnmatch(3) globs; ram bounds are bytes, 0 for none; a tier's rules match
 * when every given part matches. probe_min: the smallest probe score of the
 * tier's devices (0 = none). */
#ifndef XR_MANIFEST_H
#define XR_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XR_MANIFEST_FORMAT "xnn-fleet-manifest"
#define XR_MANIFEST_VERSION 1
#define XR_MAX_TIERS 16
#define XR_MAX_PATTERNS 8
#define XR_MAX_LISTED 64

struct xr_rules {
	char models[XR_MAX_PATTERNS][128];
	size_t nmodels;
	char socs[XR_MAX_PATTERNS][128];
	size_t nsocs;
	uint64_t ram_min, ram_max;                 /* bytes; 0: no bound */
	char features[XR_MAX_PATTERNS][32];        /* CPU features, all required */
	size_t nfeatures;
};

struct xr_listed {
	char model[128];
	char fingerprint[256];                     /* "" when not known */
};

struct xr_tier {
	char name[64];
	char arch[512];
	char precision[8];
	char file[256];                            /* a plain file name: no '/' */
	char sha256[65];
	uint64_t size;
	double latency_ms, memory_bytes, top1;     /* expected */
	bool predicted;                            /* latency from prediction */
	struct xr_listed listed[XR_MAX_LISTED];    /* the devices measured in it */
	size_t nlisted;
	struct xr_rules rules;
	double probe_min;
};

struct xr_manifest {
	int version;
	char supernet[64], supernet_sha256[65];
	double budget_latency_ms, budget_percentile;
	uint64_t budget_memory, budget_size;
	struct xr_tier tiers[XR_MAX_TIERS];
	size_t ntiers;
	size_t fallback;                           /* index of the fallback tier */
};

/* Parses and checks len bytes of JSON into *out (about 400 KB: allocate it).
 * false with why (a message naming the field) when anything is wrong. */
bool xr_manifest_parse(const char *json, size_t len, struct xr_manifest *out, char *why,
		       size_t why_n);

struct xr_identity;
/* The tier for a device and why (DESIGN.md "Runtime startup"): a tier that
 * lists its model (and fingerprint, when given), else the first whose rules
 * match, else the first whose probe_min the device's probe score reaches
 * (*score < 0: probe() is called for it, once, and *score set), else the
 * fallback. */
size_t xr_manifest_choose(const struct xr_manifest *m, double (*probe)(void),
			  const struct xr_identity *id, double *score, char *why, size_t why_n);

#endif /* XR_MANIFEST_H */
