/* devices.h - the devices a sweep reaches and how the agent runs on them.
 *
 * Transports: "local" (this host; the agent is a child process), "emulated"
 * (the aarch64 / armv7 agents under qemu-user, each its own device, marked
 * emulated) and "adb" (phones and boards an adb server sees; the agent and
 * its files are pushed to the device's work folder). Programs here run from
 * argv, never through a shell; device commands are quoted argv words. */
#ifndef XF_DEVICES_H
#define XF_DEVICES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "adb.h"
#include "agent-csv.h"

struct xf_device {
	char transport[16];      /* local, emulated, adb */
	char serial[128];        /* host, qemu-aarch64, qemu-arm; adb: ro.serialno, else
				    the server's serial */
	char abi[32];            /* x86_64, arm64-v8a, armeabi-v7a */
	char agent[PATH_MAX];    /* the agent binary on this host */
	char runner[32];         /* "" or the qemu-user program that runs it */
	bool emulated;
	/* adb */
	struct xf_adb_server server;
	char adb_serial[128];    /* the server's name for it (127.0.0.1:5555, ...) */
	char model[128];         /* ro.product.model */
	char workdir[512];       /* its work folder: xnn.fleet.workdir, else
				    /data/local/tmp/xnn-fleet */
	char dev_agent[PATH_MAX]; /* the agent there, once staged */
	bool shell_v2;
	char problem[300];       /* not usable: why, and what to do ("" = usable) */
};

#define XF_MAX_DEVICES 64
#define XF_MAX_STAGE 8          /* files xf_device_stage takes at once */

/* The devices that need nothing attached: this host, and one emulated
 * device per agent build that qemu-user can run here. Agents are looked up
 * next to the xnn-fleet program ($BUILD/bin/xnn-agent, $BUILD/aarch64/bin/,
 * $BUILD/armv7/bin/). Returns how many; notes (may be NULL) gets why an
 * expected one is missing ("no build/aarch64/bin/xnn-agent: make agents"). */
size_t xf_devices_here(struct xf_device *out, size_t max, char *notes, size_t notes_n);

/* The devices of the adb servers (starting a loopback one that is not
 * running), appended to out from *n on. Devices that cannot be used
 * (offline, unauthorized, an ABI without an agent build, ...) are listed too,
 * with problem set. A server that cannot be reached goes to notes. */
void xf_devices_adb(const struct xf_adb_server *servers, size_t nservers,
		    struct xf_device *out, size_t max, size_t *n, char *notes, size_t notes_n);

/* Phones on USB that no adb server lists (not in found[0..n)), with what
 * to do, appended to notes; a bus that cannot be listed says why there too
 * when verbose. Uses libusb (harness/usb.h). */
void xf_devices_usb_notes(const struct xf_device *found, size_t n, bool verbose, char *notes,
			  size_t notes_n);

/* A file the agent needs on a device. */
struct xf_stage_file {
	const char *host;        /* path here */
	const char *name;        /* name in the device's work folder */
	unsigned mode;           /* 0755 for programs, 0644 for data */
	long long size;          /* of the host file (xf_file_sha256) */
	char sha256[65];
	char dev[PATH_MAX];      /* out: its path on the device */
};

/* Size and SHA-256 (hex) of a file here. false when it cannot be read. */
bool xf_file_sha256(const char *path, long long *size, char hex[65]);

/* Makes the agent and files available on d: for local and emulated devices
 * dev = host; for adb ones, each goes to the work folder unless a file of
 * the same size and sha256 is there already (the agent's sha256 command
 * checks), and is checked the same way after the push (a full device may
 * accept a push it cannot store). Sets d->dev_agent. *pushed (may be NULL)
 * gets how many files went over; progress (may be NULL) is called before
 * each push. */
typedef void (*xf_stage_progress_fn)(void *ctx, const struct xf_stage_file *f);
enum xs_status xf_device_stage(struct xf_device *d, struct xf_stage_file *files, size_t n,
			       size_t *pushed, xf_stage_progress_fn progress, void *ctx,
			       struct xs_error *err);

/* Runs the agent on d with args (NULL-terminated, without the program),
 * feeding its stdout through a reader that calls fn per row. *reader gets
 * the reader (destroy it) so the caller can read metadata. status gets the
 * agent's exit status (-1 when it did not exit normally). XS_OK when the
 * stream was complete; XS_EFORMAT when cut or malformed (err says which);
 * XS_EIO when it could not run or the device went away. The last lines of the agent's stderr go to
 * err on failure. */
enum xs_status xf_agent_run(const struct xf_device *d, const char *const *args,
			    xf_agent_row_fn fn, void *ctx,
			    struct xf_agent_reader **reader, int *status,
			    struct xs_error *err);

#endif /* XF_DEVICES_H */
