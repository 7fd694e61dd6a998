/* sweep.h - the sweep as a library call: the agent on every device that
 * matches, its results in the caller's device DB.
 *
 * First, here: the host's reference of each sub-net (unless the devices
 * extract theirs, from the sub-models the reference lacks, extracted as the
 * devices get them) and the test images cut to what the devices evaluate.
 * Then two passes over the devices: each stages the agent, probes (the
 * device row) and plans what it lacks (resume: what the DB lacks); then,
 * unless they extract there, the host extracts the sub-nets some device still
 * measures and the reference did not, each in each precision once as an
 * .xnm file (ship.h; nothing when no device has a row to measure); then each
 * device stages what it measures with (the sub-models and their list, or the
 * supernet and the training images to extract them there; the space's text
 * for the kernel table; the test images), the kernel table, then the sub-net
 * benchmarks. Devices on this host's CPUs
 * (this host, qemu-user, adb on loopback) run one after another, this host
 * first, so no timing shares its cores with another agent; phones and
 * boards run beside them, at most opts.jobs at once. Rows are mapped
 * (sweep-rows.h), queued and written in batches (fdb_*_results_insert, one
 * transaction each: 32 rows, or what came in a second, and the rest at the
 * end of each stream) under one mutex around the DB handle: a cut stream keeps
 * every row that arrived whole and marks the run incomplete; resume measures
 * only what the DB lacks. The library never prints: progress goes through
 * the callback, the result into the summary. The DB handle is the caller's:
 * the sweep opens none (select measures its tiers on its own handle). */
#ifndef XF_SWEEP_H
#define XF_SWEEP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devexpr.h"
#include "devices.h"
#include "fdb.h"
#include "xs.h"

/* Phones measured at once per adb server by default: pushing files shares
 * one USB host controller, and a phone's timing does not depend on the
 * others. */
#define XF_SWEEP_JOBS_PER_SERVER 4

/* The largest logit difference an emulated device may show against the
 * host's reference: another ISA's f32 kernels sum in another order (seen:
 * under 1e-5); int8 is byte-exact up to the f32 classifier. */
#define XF_SWEEP_LOGIT_TOL 1e-3

/* Test images a device evaluates each sub-net on, unless --eval-n says: a
 * device's top-1 only shows that it computes the host's numbers (the
 * host's top-1 on the whole test set is the one select and the report use),
 * and emulated devices (hundreds of times slower) only check that they
 * compute the host's numbers. */
#define XF_SWEEP_EVAL_N 500

/* Silence after which a device is hung, unless opts.hang_s says: the agent
 * writes a row per kernel piece and a line per sub-net, each timed for at
 * most 10 s (with its warm-up, cool-downs and the test images, well under a
 * minute on a phone); qemu-user is tens of times slower. */
#define XF_SWEEP_HANG_S 300.0
#define XF_SWEEP_HANG_S_EMULATED 1800.0
#define XF_SWEEP_EVAL_N_EMULATED 64

/* What to sweep. Zero-initialised fields take the defaults named. */
struct xf_sweep_opts {
	const struct xf_devexpr *devices;  /* NULL: all */
	/* with ndevice_ids > 0: only these devices of db run (ids of its
	 * devices table, not owned); each found device that devices matches is
	 * probed, and the ones whose row is none of these are skipped. A serial
	 * devices names that is not found is then no error (without ids it is:
	 * a device asked for by name must run) */
	const int64_t *device_ids;
	size_t ndevice_ids;
	const char *supernet_path;         /* pushed to the devices; NULL: XF_DEFAULT_SUPERNET */
	const struct xs_supernet *supernet; /* that file, already loaded (NULL: loaded here) */
	/* the sub-nets: archs[0..narchs) when narchs > 0, else subnets: a count
	 * N (the largest, the smallest, N - 2 spread over the MACs range) or a
	 * file of arch strings; NULL: "6" */
	const char *const *archs;
	size_t narchs;
	const char *subnets;
	const char *threads;               /* "1,2,4"; NULL: "1" */
	long eval_n;                       /* test images per sub-net; < 0: XF_SWEEP_EVAL_N
					      (XF_SWEEP_EVAL_N_EMULATED on emulated devices) */
	double budget_s;                   /* per device; 0: none */
	double hang_s;                     /* a device whose agent sends nothing (rows or its
					      progress on stderr) for this long is hung: its
					      run ends, the others go on; 0: XF_SWEEP_HANG_S
					      (XF_SWEEP_HANG_S_EMULATED emulated, and at
					      least budget_s); < 0: wait for ever */
	bool resume;                       /* measure only what db lacks */
	bool quick;
	const char *precision;             /* "f32", "int8", "f32,int8"; NULL: "f32" */
	const struct xf_adb_server *adb_servers;  /* nadb_servers of them; 0: adb's default */
	size_t nadb_servers;
	bool no_adb;                       /* no adb devices */
	bool time_emulated;                /* emulated devices get the kernel table and the
					      full timing too (else they check the host's
					      logits with a few runs each) */
	size_t jobs;                       /* devices off this host run at most this many at
					      once; 0: XF_SWEEP_JOBS_PER_SERVER per adb server */
	bool extract_on_device;            /* each device extracts its sub-nets from the
					      supernet (the training images pushed too), as
					      the tests do to prove the bytes equal; else
					      the host does once and ships the .xnm files */
	bool dry_run;                      /* the plan in the summary; nothing run or stored */
	struct fdb *db;                    /* the caller's, open to write (not closed here;
					      may be NULL for a dry run) */
};

enum xf_sweep_status {
	XF_SWEEP_PENDING,        /* not run (yet) */
	XF_SWEEP_DONE,           /* everything measured and stored */
	XF_SWEEP_INCOMPLETE,     /* some of it: resume fills in the rest */
	XF_SWEEP_FAILED,         /* nothing measured */
	XF_SWEEP_UNAVAILABLE,    /* found but not usable (problem says why) */
	XF_SWEEP_SKIPPED,        /* its model does not match the expression */
	XF_SWEEP_HUNG,           /* its agent went silent (opts.hang_s): ended, what came
				    is kept (the DB's run says incomplete); resume goes on */
};
#define XF_SWEEP_NSTATUS 7
/* "pending", "done", "incomplete", "failed", "unavailable", "skipped", "hung". */
const char *xf_sweep_status_name(enum xf_sweep_status s);

/* One device of the sweep. */
struct xf_sweep_device {
	char serial[128], transport[16], abi[32];
	char agent[PATH_MAX];      /* the agent binary on this host */
	char problem[300];         /* as found: why it cannot be used ("" usable) */
	bool emulated;             /* qemu-user: checked against the host, not timed for tiers */
	bool on_host;              /* on this host's CPUs: run alone (see above) */
	enum xf_sweep_status status;
	size_t kernel_rows, subnet_rows;  /* rows the agent gave */
	size_t kernel_todo;        /* kernel rows the agent said it times (0: not said) */
	size_t stored;             /* rows new in the DB */
	size_t todo;               /* sub-net rows expected (0 until the benchmarks start) */
	size_t clean, throttled, noisy, budget, untimed;  /* flags of its sub-net rows */
	/* emulated: its rows' logits against the host's reference (checked,
	 * of them mismatched: over XF_SWEEP_LOGIT_TOL; unchecked: no reference) */
	size_t checked, mismatched, unchecked;
	double worst_diff;         /* the largest difference of the checked rows */
	/* the files its agent was given (the agent counted once), and of them
	 * the ones copied to it in this run (none where files are used in
	 * place: this host, qemu-user) */
	long long staged_bytes, pushed_bytes;
	size_t staged_files, pushed_files;
	char error[512];           /* "" when none */
};

struct xf_sweep_summary {
	int64_t sweep_id;          /* -1 when none was stored (dry run, early error) */
	struct xf_sweep_device *devices;  /* ndevices, malloc'd: the ones that matched */
	size_t ndevices;
	char (*archs)[XS_ARCH_MAX];       /* the sub-nets, narchs, malloc'd */
	uint64_t *macs;
	size_t narchs;
	char found[2048];          /* serials of every device found, space-separated */
	bool no_match;             /* no device matched (then the error says so) */
	/* totals over the devices */
	size_t by_status[XF_SWEEP_NSTATUS];  /* devices per enum xf_sweep_status */
	size_t kernel_rows, subnet_rows, stored, clean, throttled, noisy, budget, untimed;
	long long staged_bytes, pushed_bytes;
};
/* Frees what the summary holds (not s itself); the summary of a failed
 * call may be released too. */
void xf_sweep_summary_release(struct xf_sweep_summary *s);

enum xf_sweep_event_kind {
	XF_SWEEP_EV_NOTES,        /* text: what device discovery said ("serial: what (fix)\n"...) */
	XF_SWEEP_EV_REFERENCE,    /* text: the host's reference of a sub-net (one line) */
	XF_SWEEP_EV_EXTRACT,      /* text: a sub-model extracted here for the devices (one line) */
	XF_SWEEP_EV_START,        /* sweep_id, devices and sub-nets known; about to run */
	XF_SWEEP_EV_UNAVAILABLE,  /* a matching device that cannot be used: text says why */
	XF_SWEEP_EV_STATE,        /* text: what device does now (push, probe, kernels, ...) */
	XF_SWEEP_EV_KERNELS,      /* device->kernel_rows grew, or kernel_todo is known */
	XF_SWEEP_EV_RESULT,       /* a sub-net row: device->subnet_rows of device->todo */
	XF_SWEEP_EV_FINISHED,     /* device->status and device->error are final */
};

enum xf_sweep_phase { XF_SWEEP_PHASE_STAGE, XF_SWEEP_PHASE_PROBE, XF_SWEEP_PHASE_KERNEL_TABLE, XF_SWEEP_PHASE_SUBNETS };

struct xf_sweep_event {
	enum xf_sweep_event_kind kind;
	const struct xf_sweep_summary *summary;
	size_t index;                          /* the device's, in summary->devices */
	const struct xf_sweep_device *device;  /* NULL for NOTES and START */
	enum xf_sweep_phase phase;             /* STATE: which part of the run */
	const char *text;                      /* NOTES, REFERENCE, UNAVAILABLE, STATE */
	/* RESULT: the row as stored (valid during the call) */
	const char *arch;
	const struct fdb_key *key;
	const struct fdb_subnet_result *result;
};

/* Called from the device threads, one call at a time (the library holds a
 * lock around each); the event is valid during the call only. */
typedef void (*xf_sweep_progress_fn)(void *ctx, const struct xf_sweep_event *ev);

/* Runs the sweep: finds the devices (this host's, emulated, adb), keeps the
 * ones opts->devices matches, stores the supernet, its sub-nets and a sweep
 * row, the host's reference (top-1, logits) of each sub-net, then runs every
 * usable device (as above) and ends the sweep row ("done" when every
 * device is done or skipped, else "incomplete"). progress may be NULL.
 * *summary (release it) gets the devices and their counts, also on failure.
 * XS_OK when the sweep ran, whatever each device did (see the summary's
 * statuses); on error nothing more is run and err says why: no device
 * matched (summary->no_match), the sub-nets or the supernet cannot be read,
 * a DB error, the host reference. */
enum xs_status xf_sweep_run(const struct xf_sweep_opts *opts, xf_sweep_progress_fn progress,
			    void *ctx, struct xf_sweep_summary *summary, struct xs_error *err);

#endif /* XF_SWEEP_H */
