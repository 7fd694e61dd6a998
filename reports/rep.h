/* rep.h - the report renderer: HTML pages of a device DB's rows, gnuplot
 * charts (SVG) and the table behind every chart as CSV next to its page.
 *
 * It is handed rows (harness/report-data.c gathers them from the DB; a test
 * builds them by hand) and never opens the DB. OUT/index.html lists the
 * supernets, devices and sweeps; OUT/sn-SHA12.html is the page of a supernet,
 * its files in OUT/sn-SHA12/ (charts.gp, the gnuplot script that draws the
 * charts, its .dat inputs, the .csv tables, the .svg charts).
 *
 * Promises: charts name devices by their DB id (D3): no string of the input
 * ever goes into a gnuplot script or a file name (a supernet's sha256 names
 * files only when it is 64 hex digits); in the pages every string is
 * HTML-escaped; the pages need nothing from the web (no scripts, no fonts,
 * CSS inline). Nothing is printed: what happens goes through opts->on_event.
 *
 * Ownership: every pointer in the input is borrowed; rep_render reads it
 * during the call and keeps none. A NULL string is written as "" unless a
 * field says otherwise. */
#ifndef REP_H
#define REP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xs.h"

/* What to install when gnuplot is missing (in messages). */
#define REP_GNUPLOT_INSTALL "Debian: apt install gnuplot-nox"

/* A supernet page has a section (heading, charts, frontier table) for the
 * first this many devices with results (real ones first); the CSV files
 * have all. */
#define REP_MAX_DEVICE_SECTIONS 40

/* ---- the input ------------------------------------------------------------------- */

struct rep_device {                /* a device of the DB */
	int64_t id;                    /* its DB id: D3 in charts and file names */
	const char *transport, *serial, *fingerprint, *model, *soc, *abi, *os;
	int cpus;                      /* 0: unknown */
	int64_t ram_bytes;             /* 0: unknown */
	bool emulated, simulated;
};

struct rep_sweep {                 /* a sweep of the DB */
	int64_t id;
	const char *started, *ended, *status, *config;
	int64_t runs, results;
	int64_t staged_bytes, pushed_bytes;  /* given to its devices, its runs' sums; -1: unknown */
};

struct rep_device_stats {          /* one device's measurements of one supernet */
	int64_t device_id;
	int64_t clean, throttled, noisy;  /* 'ok' result rows by flags (several when several) */
	int64_t untimed;               /* 'ok' rows checked, not timed (emulated devices) */
	int64_t failed;                /* result rows not 'ok' */
	int64_t kernels;               /* kernel-table rows */
	const char *run_status, *run_error, *conditions;  /* its latest run; NULL: none */
};

struct rep_result {                /* one sub-net measured on one device, one thread */
	int64_t device_id;
	const char *arch, *precision, *flags;  /* never NULL */
	double median_ms, p90_ms, p99_ms;      /* NAN: unknown */
	double top1;                   /* the host's top-1 (%) on the test set; NAN: unknown */
	int64_t macs;
	int64_t memory_bytes;          /* arena + weights; -1: unknown */
};

#define REP_KERNEL_KEY_MAX 96
struct rep_kernel {                /* one piece of a device's kernel table, one thread */
	int64_t device_id;             /* rows come grouped by device */
	char key[REP_KERNEL_KEY_MAX];  /* the piece, e.g. "block s2 first r14 e4 k5 f32" */
	double median_ms;              /* > 0 */
};

struct rep_prediction {            /* a measured sub-net predicted from its kernel table */
	size_t result;                 /* index into the supernet's results (device, measured) */
	double predicted_ms;           /* leave-one-out; <= 0 or NAN: counted, not drawn */
};

struct rep_listed {                /* a device a tier was measured on */
	const char *model, *fingerprint;
};

struct rep_tier {                  /* a tier of the newest manifest */
	const char *name, *arch, *precision;
	uint64_t size;                 /* bytes of its model file */
	double latency_ms, memory_bytes, top1;  /* expected */
	bool predicted;                /* latency from prediction (else measured) */
	double probe_min;
	const struct rep_listed *listed;
	size_t nlisted;
};

enum rep_manifest_state {
	REP_MANIFEST_NONE,             /* no manifest yet */
	REP_MANIFEST_OK,               /* the fields below */
	REP_MANIFEST_BAD,              /* the newest does not read: why */
	REP_MANIFEST_UNREAD,           /* the DB could not give it: why; nothing shown */
};

struct rep_manifest {              /* the newest manifest of a supernet */
	enum rep_manifest_state state;
	const char *why;               /* BAD, UNREAD: why */
	const char *created;
	double budget_percentile, budget_latency_ms;
	uint64_t budget_memory, budget_size;
	const struct rep_tier *tiers;
	size_t ntiers;
	size_t fallback;               /* index into tiers */
};

struct rep_supernet {
	int64_t id;
	const char *name, *sha256, *added;
	int64_t subnet_count, result_count, device_count;  /* sub-nets, 'ok' results, devices */
	bool page;                     /* gets a page; false: the rows below are not read */
	const struct rep_device_stats *stats;  /* per device (the last of a device counts) */
	size_t nstats;
	const struct rep_result *results;
	size_t nresults;
	const struct rep_kernel *kernels;
	size_t nkernels;
	const struct rep_prediction *predictions;  /* grouped by device, any device order */
	size_t npredictions;
	struct rep_manifest manifest;
};

struct rep_input {
	const char *db_name;           /* the DB the rows come from, named on the index */
	const struct rep_device *devices;  /* by id */
	size_t ndevices;
	const struct rep_supernet *supernets;
	size_t nsupernets;
	const struct rep_sweep *sweeps;
	size_t nsweeps;
};

/* ---- rendering ------------------------------------------------------------------- */

enum rep_event_kind {
	REP_EVENT_SKIPPED,             /* a supernet without a valid sha256: no page */
	REP_EVENT_CHARTS_FAILED,       /* gnuplot failed on a page: why; the page stands */
	REP_EVENT_PAGE,                /* a supernet page written, charts drawn */
	REP_EVENT_INDEX,               /* index.html written */
};

struct rep_event {
	enum rep_event_kind kind;
	const char *page;              /* its file name in opts->out (not SKIPPED) */
	int64_t supernet_id;           /* SKIPPED */
	size_t charts;                 /* PAGE: charts in its script (0 without gnuplot) */
	const char *why;               /* CHARTS_FAILED */
};

struct rep_opts {
	const char *out;               /* the folder of the pages (made when missing) */
	const char *gnuplot;           /* the program: a path, or a name looked up in PATH;
					* NULL: no charts (the pages say so) */
	void (*on_event)(void *ctx, const struct rep_event *e);  /* may be NULL */
	void *ctx;
	bool time_emulated;            /* draw emulated devices' latencies too (by default
					* they are checked, not timed: tables and CSV only) */
};

struct rep_summary {
	size_t pages;                  /* supernet pages written */
	size_t charts;                 /* charts in the scripts gnuplot ran, all pages */
	size_t chart_failures;         /* pages whose charts gnuplot failed to draw */
	size_t skipped;                /* supernets without a valid sha256 */
};

/* Writes the page of each supernet with page set, then index.html (which
 * links those written). *sum (may be NULL) says what was written, also on
 * failure. A failing gnuplot is no failure: the page keeps its tables, the
 * event and sum->chart_failures say so. Errors: XS_EINVAL when opts->gnuplot
 * is a path that is not an executable file (err names it and the package),
 * XS_EIO when a file cannot be written (err names it), XS_ENOMEM. */
enum xs_status rep_render(const struct rep_input *in, const struct rep_opts *opts,
			  struct rep_summary *sum, struct xs_error *err);

/* ---- the pieces, for the pages and their tests ------------------------------------ */

/* Writes s with & < > " ' as entities (NULL as ""): text and attribute
 * values from a device or the DB are never markup. */
void rep_html_put(FILE *f, const char *s);

/* bytes for people into out (n bytes): "7.3 MB" (10^6), "456 KB" (10^3) or
 * "789 B"; the index's sweeps and the sweep's summary say them so. Cannot
 * fail (cut to n). */
void rep_bytes_human(int64_t bytes, char *out, size_t n);

/* The Pareto frontier of n points (latency lower is better, accuracy higher
 * is better): idx (room for n) gets the indices of the points no other point
 * beats in both (ties: the first), by ascending latency; returns how many.
 * Points with a NAN are skipped. Cannot fail. */
size_t rep_pareto(const double *lat, const double *acc, size_t n, size_t *idx);

/* Whether prog (a path, or a name looked up in PATH when run) can be run:
 * XS_EINVAL when it is a path that is not an executable file, err naming it
 * and what to install. */
enum xs_status rep_gnuplot_check(const char *prog, struct xs_error *err);

/* Runs `prog script` in dir (argv, no shell; its output to dir/gnuplot.log).
 * XS_EIO with err when it cannot be started, is not found or fails. */
enum xs_status rep_gnuplot_run(const char *prog, const char *dir, const char *script,
			       struct xs_error *err);

#endif /* REP_H */
