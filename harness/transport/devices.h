/* devices.h - the devices a sweep reaches and how the agent runs on them:
 * the registry over the transports of transport.h (this host, qemu-user,
 * adb servers, USB). A device is the common fields below plus its
 * transport's own state, kept as plain bytes inside the struct: copying a
 * struct xf_device by value copies everything, and nothing needs releasing.
 * Programs here run from argv, never through a shell; device commands are
 * quoted argv words. Nothing here prints. */
#ifndef XF_DEVICES_H
#define XF_DEVICES_H

#include <limits.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>

#include "adb-client.h"
#include "agent-csv.h"
#include "transport.h"

#define XF_DEVICE_PRIV 4352     /* bytes of transport state in a device */

struct xf_device {
	char transport[16];      /* its transport's name (ops->name): local, emulated, adb */
	const struct xf_transport *ops; /* its transport (static, not owned) */
	char serial[128];        /* host, qemu-aarch64, qemu-arm; adb: ro.serialno, else
				    the server's serial */
	char alias[128];         /* the transport's own name for the device, "" if none:
				    the adb server's serial (127.0.0.1:5555, ...) */
	char abi[32];            /* x86_64, arm64-v8a, armeabi-v7a */
	char agent[PATH_MAX];    /* the agent binary on this host */
	char model[128];         /* adb: ro.product.model; "" when unknown */
	char port[64];           /* where it is attached, when the transport knows: adb's USB
				    path ("usb:1-1.2"), "" else */
	char own_serial[128];    /* the serial it reports, when serial had to tell it apart
				    from another device's (xf_devices_identify); else "" */
	char workdir[512];       /* its work folder (adb: xnn.fleet.workdir, else
				    /data/local/tmp/xnn-fleet); "" when files stay here */
	bool emulated;           /* qemu-user: a correctness device, never timed as a phone */
	bool on_host;            /* runs on this host's CPUs (this host, qemu-user, an adb
				    device on loopback: xnn-adbd, Android's emulator): timed
				    only while no other such device runs */
	char problem[300];       /* not usable: why, and what to do ("" = usable) */
	double hang_s;           /* a run that sends nothing for this long is ended as hung
				    (XF_RUN_HUNG); 0: runs wait (the listing sets 0) */
	alignas(max_align_t) unsigned char priv[XF_DEVICE_PRIV]; /* the transport's state
				    (its own struct, copied in and out with memcpy) */
};

#define XF_MAX_DEVICES 64
#define XF_MAX_STAGE 8          /* files xf_device_stage takes at once */

/* Every transport's devices (xf_transports order: here, then adb servers,
 * then the notes on USB phones) into out; returns how many. notes (may be
 * NULL) is cleared, then gets what could not be used or looked at, with what
 * to do. */
size_t xf_devices_list(const struct xf_list_opts *o, struct xf_device *out, size_t max,
		       char *notes, size_t notes_n);

/* Two devices present at once are never one: each of out[0..n) whose
 * transport and serial another one shares (two phones of one batch report
 * 0123456789ABCDEF), or whose serial is one that many devices report, gets
 * serial "SERIAL@WHERE", WHERE what tells it apart for as long as it stays
 * attached there: its USB path, else its adb server's name for it
 * (HOST:PORT), else its transport id; own_serial keeps what it reports.
 * notes (may be NULL) gets a line per ambiguous serial, saying so. Called
 * by xf_devices_list; the sweep calls it on what it found. */
void xf_devices_identify(struct xf_device *out, size_t n, char *notes, size_t notes_n);

/* The devices that need nothing attached (local and emulated): this host,
 * and one emulated device per agent build that qemu-user can run here.
 * Agents are looked up next to the xnn-fleet program ($BUILD/bin/xnn-agent,
 * $BUILD/aarch64/bin/, $BUILD/armv7/bin/). Returns how many; notes (may be
 * NULL; cleared first) gets why an expected one is missing ("no agent at
 * ...: make agents"). */
size_t xf_devices_here(struct xf_device *out, size_t max, char *notes, size_t notes_n);

/* The devices of the adb servers (starting a loopback one that is not
 * running), appended to out from *n on. Devices that cannot be used
 * (offline, unauthorized, an ABI without an agent build, ...) are listed too,
 * with problem set. A server that cannot be reached goes to notes. */
void xf_devices_adb(const struct xf_adb_server *servers, size_t nservers,
		    struct xf_device *out, size_t max, size_t *n, char *notes, size_t notes_n);

/* Phones on USB that no adb server lists (no alias in found[0..n)), with
 * what to do, appended to notes; a bus that cannot be listed says why there
 * too when verbose. Uses libusb (usb.h). */
void xf_devices_usb_notes(const struct xf_device *found, size_t n, bool verbose, char *notes,
			  size_t notes_n);

/* A file the agent needs on a device. */
struct xf_stage_file {
	const char *host;        /* path here (not owned) */
	const char *name;        /* name in the device's work folder (not owned) */
	unsigned mode;           /* 0755 for programs, 0644 for data */
	long long size;          /* of the host file (xf_file_sha256) */
	char sha256[65];         /* "": a copying transport computes it (and size) */
	char dev[PATH_MAX];      /* out: its path on the device */
	bool copied;             /* out: copied to the device by this stage (else it was
				    there already, or is used in place) */
};

/* Size and SHA-256 (hex) of a file here. false when it cannot be read. */
bool xf_file_sha256(const char *path, long long *size, char hex[65]);

/* Makes the agent (files[0]) and files available on d through its
 * transport's stage: for local and emulated devices dev = host; for adb
 * ones, each goes to the work folder unless a file of the same size and
 * sha256 is there already (the agent's sha256 command checks), and is
 * checked the same way after the push (a full device may accept a push it
 * cannot store). Later runs use the staged agent. *pushed (may be NULL) gets
 * how many files went over; progress (may be NULL) is called before each
 * push. err may be NULL. */
enum xs_status xf_device_stage(struct xf_device *d, struct xf_stage_file *files, size_t n,
			       size_t *pushed, xf_stage_progress_fn progress, void *ctx,
			       struct xs_error *err);

/* One whole line of the agent's stderr (no newline), as it comes: what it
 * says of its progress (e.g. kernels: "kernels: N rows to time ..."). Not
 * called where the transport has stderr only after the run (adb's legacy
 * shell) before the run ends. */
typedef void (*xf_agent_note_fn)(void *ctx, const char *line);

/* Runs the agent on d with args (NULL-terminated, without the program),
 * feeding its stdout through a reader that calls fn per row, and its stderr
 * to note (may be NULL) line by line; both get ctx. *reader gets
 * the reader (destroy it) so the caller can read metadata. status gets the
 * agent's exit status (-1 when it did not exit normally; XF_RUN_HUNG when
 * it sent nothing for d->hang_s seconds and was ended). XS_OK when the
 * stream was complete; XS_EFORMAT when cut or malformed (err says which);
 * XS_EIO when it could not run or the device went away. The last lines of
 * the agent's stderr go to err on failure. err may be NULL. */
enum xs_status xf_agent_run(const struct xf_device *d, const char *const *args,
			    xf_agent_row_fn fn, xf_agent_note_fn note, void *ctx,
			    struct xf_agent_reader **reader, int *status,
			    struct xs_error *err);

/* Copies the file remote of d into dir/BASENAME here (BASENAME: remote's
 * last part; "", "." and ".." are refused); path gets the local path. */
enum xs_status xf_device_pull(const struct xf_device *d, const char *remote, const char *dir,
			      char *path, size_t path_n, struct xs_error *err);

/* Where d's files are, for listings: its work folder, or "(here)". */
void xf_device_describe(const struct xf_device *d, char *out, size_t n);

/* in as text safe for a terminal, into out (n > 0; cut to fit, always
 * terminated): a device names itself (serial, model), so an ESC sequence
 * or another control byte there (C0, DEL, C1, bytes that are not UTF-8)
 * becomes "\xHH"; a newline stays when lines is set. Returns out. */
char *xf_text_printable(const char *in, bool lines, char *out, size_t n);

#endif /* XF_DEVICES_H */
