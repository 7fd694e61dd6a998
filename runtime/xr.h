/* xr.h - libxnnrt: what an app links. At startup it reads the manifest that
 * `xnn-fleet select` wrote, recognises the device, picks its tier and loads
 * that tier's sub-model, checked against the size and sha256 the manifest
 * names; then it classifies images.
 *
 * The tier: a device the manifest lists (model and fingerprint) -> the first
 * tier whose rules match (model / SoC globs, RAM range, CPU features) -> the
 * probe score (a few ms of the kernels, against each tier's probe_min) -> the
 * fallback tier. A model that is missing or does not match its checksum is
 * refused and the next lower tier tried; xr_tier says what happened.
 *
 * Needs libc, libm, pthreads and the kernels and supernet libraries only.
 * Errors: a status, and xr_last_error() (this thread's last message). */
#ifndef XR_H
#define XR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XR_STATUS_LIST(X)                                                      \
	X(XR_OK, "ok")                                                          \
	X(XR_EINVAL, "invalid argument")                                       \
	X(XR_EIO, "input/output error")                                        \
	X(XR_EFORMAT, "malformed manifest")                                    \
	X(XR_ECHECKSUM, "model size or sha256 does not match the manifest")     \
	X(XR_EMODEL, "no tier's model could be loaded")                        \
	X(XR_ENOMEM, "out of memory")

enum xr_status {
#define XR_X(name, text) name,
	XR_STATUS_LIST(XR_X)
#undef XR_X
};
const char *xr_strerror(enum xr_status s);
/* The message of this thread's last failure ("" if none). */
const char *xr_last_error(void);

/* What the runtime knows of the device it runs on: the same values the
 * agent's probe reports as its device.* rows (and so the fleet's DB and the
 * manifest's listed devices), read by the same code. */
struct xr_identity {
	char model[128];        /* ro.product.model, else device-tree or DMI name */
	char manufacturer[128]; /* ro.product.manufacturer, else DMI's */
	char soc[128];          /* ro.soc.model, else /proc/cpuinfo's (not qemu's host) */
	char fingerprint[256];  /* ro.build.fingerprint, else abi */
	char abi[32];           /* the build's: arm64-v8a, armeabi-v7a, x86_64, x86 */
	uint64_t ram_bytes;     /* 0: unknown */
	char features[512];     /* CPU features, space-separated */
	char serial[128];       /* ro.serialno, ro.boot.serialno */
	char soc_manufacturer[128]; /* ro.soc.manufacturer */
	char platform[128];     /* ro.board.platform, else device-tree compatible */
	char hardware[128];     /* ro.hardware, ro.boot.hardware */
};
/* Reads it: Android properties (getprop), else /proc and /sys under root
 * ("/" or NULL for the real ones; tests give a fake tree). Cannot fail:
 * what cannot be read stays "" (the fingerprint: the ABI). */
void xr_identity_read(const char *root, struct xr_identity *out);

/* getprop's whole output ("[key]: [value]" lines), malloc'd, or NULL:
 * root/system/bin/getprop run from argv, or on the real root ("" or "/")
 * without it a getprop in PATH (xnn-adbd boards). */
char *xr_props_read(const char *root);
/* The value of key in getprop output text (may be NULL) into out (always
 * terminated, cut at n - 1 bytes); true when the key is there, even with an
 * empty value. */
bool xr_prop_value(const char *text, const char *key, char *out, size_t n);

/* A few milliseconds of the kernels on a fixed pointwise layer: GFLOP/s, the
 * same number the agent reports as probe_score. */
double xr_probe_score(void);

struct xr_runtime;

/* Reads manifest_path, picks the tier, loads its model from models_dir. On
 * failure *rt is NULL and xr_last_error() says why. */
enum xr_status xr_open(const char *manifest_path, const char *models_dir,
		       struct xr_runtime **rt);
/* Like xr_open with a given identity and probe score (score < 0: measure
 * it when needed): for tests and for apps that know better. */
enum xr_status xr_open_as(const char *manifest_path, const char *models_dir,
			  const struct xr_identity *id, double probe_score,
			  struct xr_runtime **rt);
/* Classifies one image: pixels (uint8, xr_input_pixels of them, the model's
 * stored image size) -> logits (xr_classes floats). Cannot fail. */
void xr_run(struct xr_runtime *rt, const uint8_t *pixels, float *logits);
size_t xr_input_pixels(const struct xr_runtime *rt);
size_t xr_classes(const struct xr_runtime *rt);
/* The chosen tier's name; *reason (may be NULL) says why it was chosen, e.g.
 * "listed: model 'Pixel 8' was measured in this tier" or "fallback". */
const char *xr_tier(const struct xr_runtime *rt, const char **reason);
void xr_close(struct xr_runtime *rt);

#ifdef __cplusplus
}
#endif

#endif /* XR_H */
