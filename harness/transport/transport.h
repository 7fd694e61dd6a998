/* transport.h - how the harness reaches a device: one table of operations
 * per transport (list, stage, run, pull, describe) and the registry of the
 * four: local (this host, the agent a child process), emulated (the aarch64
 * and armv7 agents under qemu-user here), adb (devices of adb servers, over
 * the smart-socket client of adb-client.h) and usb (phones on USB that no
 * adb server shows: listed with what to do; usb.h).
 *
 * A transport's name is spelled once, in its table; the rest of the harness
 * holds a device's table (struct xf_device.ops) and never compares names.
 * The tables are static and live as long as the program. Transports never
 * print: what a user should know goes to the notes text or to err, which is
 * never NULL in an operation (the registry, devices.h, passes its own). */
#ifndef XF_TRANSPORT_H
#define XF_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "xs.h"

struct xf_device;
struct xf_stage_file;
struct xf_adb_server;

/* Called before each file a stage copies to a device. */
typedef void (*xf_stage_progress_fn)(void *ctx, const struct xf_stage_file *f);
/* Output of a program on a device: stream 1 stdout, 2 stderr (same type as
 * xf_adb_out_fn). */
typedef void (*xf_out_fn)(void *ctx, int stream, const char *data, size_t n);

/* Where the list operations look. Zeroed: this host only. */
struct xf_list_opts {
	const struct xf_adb_server *servers; /* adb: the servers to ask (not owned) */
	size_t nservers;                     /* 0: no adb devices */
	bool usb_verbose;                    /* usb: a bus that cannot be listed goes to notes */
	bool adb_verbose;                    /* adb: so does a server with no device, with how
						to get one */
	const char *agent_dir;               /* the agent builds' $BUILD/bin (not owned); NULL:
						the folder holding this program */
};

struct xf_transport {
	const char *name;        /* local, emulated, adb, usb: what struct xf_device.transport holds */
	bool copies;             /* stage copies files to the device (else it uses them in place) */
	/* Appends this transport's devices to out[*n..max), usable ones and, with
	 * problem set, unusable ones; what it could not look at goes to notes
	 * ("who: what (what to do)\n" lines appended; notes may be NULL). out[0..*n)
	 * are the devices found so far (usb skips the phones adb lists). */
	void (*list)(const struct xf_list_opts *o, struct xf_device *out, size_t max, size_t *n,
		     char *notes, size_t notes_n);
	/* Makes files[0..n) available on d (files[0] is the agent): fills each
	 * files[i].dev and files[i].copied; a copying transport skips a file
	 * whose size and sha256 are there already and checks both after the
	 * copy. *pushed gets how many were copied. */
	enum xs_status (*stage)(struct xf_device *d, struct xf_stage_file *files, size_t n,
				size_t *pushed, xf_stage_progress_fn progress, void *ctx,
				struct xs_error *err);
	/* Runs the staged agent with args (NULL-terminated, without the program),
	 * its output to out. *status: the exit status, -1 when it did not exit.
	 * XS_EIO when it could not run or the device went away; also when it
	 * sent nothing (stdout or stderr) for d->hang_s seconds (> 0): then it
	 * is ended and *status is XF_RUN_HUNG. */
	enum xs_status (*run)(const struct xf_device *d, const char *const *args, xf_out_fn out,
			      void *ctx, int *status, struct xs_error *err);
	/* Copies the device's file remote to dir/BASENAME here; path gets it. */
	enum xs_status (*pull)(const struct xf_device *d, const char *remote, const char *dir,
			       char *path, size_t path_n, struct xs_error *err);
	/* Where its files are, for listings: the work folder, "(here)". */
	void (*describe)(const struct xf_device *d, char *out, size_t n);
};

extern const struct xf_transport xf_transport_local;
extern const struct xf_transport xf_transport_emulated;
extern const struct xf_transport xf_transport_adb;
extern const struct xf_transport xf_transport_usb;

/* Every transport, in listing order (local, emulated, adb, usb), then NULL. */
extern const struct xf_transport *const xf_transports[];

/* The transport called name, or NULL. */
const struct xf_transport *xf_transport_find(const char *name);

/* ---- for the transports themselves ----------------------------------------------- */

/* A device of transport t: zeroed, with ops, transport and serial set. */
void xf_device_init(struct xf_device *d, const struct xf_transport *t, const char *serial);

/* Appends "who: what (fix)\n" to notes (NULL: nothing). Cannot fail (cut
 * when notes is full). */
void xf_note(char *notes, size_t n, const char *who, const char *what, const char *fix);

/* The path of an agent build: rel (e.g. "../aarch64/bin/xnn-agent") from
 * dir, or when dir is NULL from the folder holding this program ($BUILD/bin;
 * "." when that cannot be read). false when it does not fit in n. */
bool xf_agent_build_path(const char *dir, const char *rel, char *out, size_t n);

#define XF_MAX_ARGV 64           /* words of a command line, with its NULL */
#define XF_RUN_HUNG (-2)         /* *status of a run ended for its silence (hang_s) */

/* argv = [runner] agent args... NULL (runner may be NULL; args cut to fit
 * XF_MAX_ARGV). Cannot fail. */
void xf_agent_argv(const char *argv[XF_MAX_ARGV], const char *runner, const char *agent,
		   const char *const *args);

/* Runs argv (argv[0] looked up in PATH when it has no '/') as a child
 * process here, stdout and stderr to out as they come. When it sends
 * nothing for hang_s seconds (> 0; 0 waits for ever) it is killed: XS_EIO,
 * *status XF_RUN_HUNG. */
enum xs_status xf_run_here(const char *const *argv, double hang_s, xf_out_fn out, void *ctx,
			   int *status, struct xs_error *err);

/* The stage, pull and describe of the transports that run here: files are
 * used where they are (dev = host), pull copies remote into dir. */
enum xs_status xf_stage_here(struct xf_device *d, struct xf_stage_file *files, size_t n,
			     size_t *pushed, xf_stage_progress_fn progress, void *ctx,
			     struct xs_error *err);
enum xs_status xf_pull_here(const struct xf_device *d, const char *remote, const char *dir,
			    char *path, size_t path_n, struct xs_error *err);
/* "(here)". */
void xf_describe_here(const struct xf_device *d, char *out, size_t n);

#endif /* XF_TRANSPORT_H */
