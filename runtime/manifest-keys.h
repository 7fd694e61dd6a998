/* manifest-keys.h - the manifest's JSON key names (manifest.h shows where
 * each goes): the one list that the reader (manifest.c) and the writer
 * (manifest-write.c) both spell them from. Each key is written as the C
 * identifier it is; XR_KEY(name) is its string, and a key not in the list
 * does not compile. Internal to the runtime: apps include manifest.h. */
#ifndef XR_MANIFEST_KEYS_H
#define XR_MANIFEST_KEYS_H

#define XR_MANIFEST_KEYS(X)                                                        \
	X(format) X(version) X(supernet) X(name) X(sha256)                          \
	X(budget) X(latency_ms) X(percentile) X(memory_bytes) X(size_bytes)         \
	X(fallback) X(tiers) X(arch) X(precision) X(file) X(size)                    \
	X(expected) X(top1) X(val_top1) X(source) X(timing)                         \
	X(devices) X(model) X(fingerprint) X(serial)                                \
	X(rules) X(models) X(socs) X(ram_min) X(ram_max) X(cpu_features)            \
	X(probe_min)

enum xr_manifest_key {
#define XR_KEY_ENUM(k) XR_KEY_##k,
	XR_MANIFEST_KEYS(XR_KEY_ENUM)
#undef XR_KEY_ENUM
	XR_NKEYS
};

/* Characters, not pointers: no relocations in a static app. */
static const char xr_manifest_key_names[XR_NKEYS][16] = {
#define XR_KEY_NAME(k) #k,
	XR_MANIFEST_KEYS(XR_KEY_NAME)
#undef XR_KEY_NAME
};

#define XR_KEY(k) (xr_manifest_key_names[XR_KEY_##k])

/* The values of expected.source. */
#define XR_SOURCE_MEASURED "measured"
#define XR_SOURCE_PREDICTED "predicted"
/* The values of expected.timing. */
#define XR_TIMING_CLEAN "clean"
#define XR_TIMING_WIDENED "widened"

#endif /* XR_MANIFEST_KEYS_H */
