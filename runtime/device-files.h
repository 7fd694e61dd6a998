/* device-files.h - reading a device's own files: /proc, /sys, the device
 * tree, under a root folder ("" for the real ones; tests give a fake tree).
 * The one reader that the runtime's identity (identity.c) and the agent's
 * probe (agent/probe.c) share, so that what the fleet recorded and what an
 * app sees name the device alike. Internal to the runtime and the agent:
 * apps include xr.h. None of these fails: what cannot be read is false or
 * "". */
#ifndef XR_DEVICE_FILES_H
#define XR_DEVICE_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "xr.h"

/* root/path into out (at most n - 1 bytes, cut at a NUL: device-tree
 * strings end with one), trailing white space trimmed; false when it cannot
 * be read or is empty. */
bool xr_file_text(const char *root, const char *path, char *out, size_t n);

/* The value of the first "key : value" line of root/proc/cpuinfo, trimmed;
 * false when there is none or it is empty. */
bool xr_cpuinfo_value(const char *root, const char *key, char *out, size_t n);

/* Whether root/proc/cpuinfo describes another architecture than this
 * build's (qemu-user shows the host's): then it says nothing of the SoC. */
bool xr_cpuinfo_foreign(const char *root);

/* The Android ABI this program was built for ("arm64-v8a", "armeabi-v7a",
 * "x86_64", "x86", else "unknown"): what it runs as, under qemu too. */
const char *xr_build_abi(void);

/* xr_identity_read with the getprop output already read (props: its text,
 * or NULL for none; on Android, NULL with the real root asks the system's
 * properties): the agent's probe reads getprop once for all its rows. */
void xr_identity_from(const char *root, const char *props, struct xr_identity *out);

#endif /* XR_DEVICE_FILES_H */
