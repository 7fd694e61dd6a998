/* devices.h - the devices a sweep reaches and how the agent runs on them.
 *
 * Transports so far: "local" (this host; the agent is a child process) and
 * "emulated" (the aarch64 / armv7 agents under qemu-user, each its own
 * device, marked emulated). Programs run from argv, never through a shell. */
#ifndef XF_DEVICES_H
#define XF_DEVICES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent-csv.h"

struct xf_device {
	char transport[16];      /* local, emulated */
	char serial[64];         /* host, qemu-aarch64, qemu-arm */
	char abi[32];            /* x86_64, arm64-v8a, armeabi-v7a */
	char agent[PATH_MAX];    /* the agent binary on this host */
	char runner[32];         /* "" or the qemu-user program that runs it */
	bool emulated;
};

#define XF_MAX_DEVICES 64

/* The devices that need nothing attached: this host, and one emulated
 * device per agent build that qemu-user can run here. Agents are looked up
 * next to the xnn-fleet program ($BUILD/bin/xnn-agent, $BUILD/aarch64/bin/,
 * $BUILD/armv7/bin/). Returns how many; notes (may be NULL) gets why an
 * expected one is missing ("no build/aarch64/bin/xnn-agent: make agents"). */
size_t xf_devices_here(struct xf_device *out, size_t max, char *notes, size_t notes_n);

/* Runs the agent on d with args (NULL-terminated, without the program),
 * feeding its stdout through a reader that calls fn per row. *reader gets
 * the reader (destroy it) so the caller can read metadata. status gets the
 * agent's exit status (-1 when it did not exit normally). XS_OK when the
 * stream was complete; XS_EFORMAT when cut or malformed (err says which);
 * XS_EIO when it could not run. The last lines of the agent's stderr go to
 * err on failure. */
enum xs_status xf_agent_run(const struct xf_device *d, const char *const *args,
			    xf_agent_row_fn fn, void *ctx,
			    struct xf_agent_reader **reader, int *status,
			    struct xs_error *err);

#endif /* XF_DEVICES_H */
