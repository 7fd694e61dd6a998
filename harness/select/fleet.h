/* fleet.h - the per-device latency model of a device DB for one supernet:
 * THE model that select, predict and report use.
 *
 * Per device: its kernel table (predict.h), its measured sub-nets (the
 * newest row of each arch and precision wins), the calibration fitted on the
 * f32 ones the table covers, the percentile-over-median ratio, the margin
 * (the calibration's own leave-one-out error), and the int8/f32 ratio (the
 * geometric mean over the sub-nets measured in both) with its spread.
 *
 * A sub-net's latency on a device at the model's percentile: measured when
 * the DB has it (a row not flagged clean at its interval's upper end), else predicted = calib(sum of pieces) * ratio * correction
 * (f32), times int8_ratio (int8). The fleet reads the DB only in load and
 * reload; latency calls do no I/O. */
#ifndef XF_FLEET_H
#define XF_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdb.h"
#include "predict.h"
#include "xs.h"

struct xf_fleet_opts {
	int threads;             /* kernel table and results of this thread count (>= 1) */
	int percentile;          /* 50, 90 or 99: the latency xf_fleet_latency gives */
	bool exclude_emulated;   /* leave emulated devices out of the fleet */
};

/* One measured sub-net of a device. */
struct xf_fleet_meas {
	char arch[XS_ARCH_MAX];  /* as the DB has it (canonical) */
	enum xs_precision prec;
	double lat, median;      /* at the percentile (widened unless clean); median (ms) */
	bool clean;              /* the row's flags are "clean"; else lat is its
				  * interval's upper end, at least 5% (no interval: 10%)
				  * over the figure */
	int64_t memory;          /* arena + weights, -1 unknown */
	bool fitted;             /* one of the calibration's points */
	char missing[160];       /* f32 and not fitted: the piece the table lacks ("": none
				  * or the arch does not parse) */
};

enum xf_fleet_state {
	XF_FLEET_OK,             /* a kernel table covering the space's largest sub-net */
	XF_FLEET_NO_TABLE,       /* no kernel table for opts.threads: no predictions */
	XF_FLEET_PARTIAL,        /* the table misses pieces of the largest sub-net */
};

struct xf_fleet_device {
	int64_t id;
	char serial[128], model[128], fingerprint[256], transport[16], abi[32];
	bool emulated, simulated;
	int64_t ram_bytes;       /* 0 or less: unknown */
	double probe;            /* the probe's probe_score, NAN unknown */
	enum xf_fleet_state state;
	struct xf_ktable *kt;    /* NULL when state is XF_FLEET_NO_TABLE; owned */
	struct xf_fleet_meas *m; /* measured sub-nets; owned */
	size_t nm;
	/* the calibration's points: the f32 measurements the table covers
	 * (fit_meas[i] indexes m), nfit of each */
	double *fit_sum, *fit_blocks, *fit_median;
	size_t *fit_meas, nfit;
	struct xf_calib calib;
	struct xf_predict_eval eval;  /* leave-one-out over the points */
	double ratio;            /* percentile / median: the largest seen (>= 1; 1.1 with
				  * no points, 1 at p50) */
	double margin;           /* the relative error to allow: eval.rmspe in 2%..50%,
				  * 10% with fewer than 3 points */
	double correction;       /* >= 1, starts at 1: the caller raises it when the device
				  * measured slower than predicted */
	double int8_ratio;       /* int8 / f32 median, geometric mean; NAN: no pair */
	double int8_spread;      /* standard deviation of the log ratio (0.1 from one pair) */
	double speed;            /* predicted f32 latency of the space's largest sub-net
				  * (NAN unless state is XF_FLEET_OK): sorts devices */
};

struct xf_fleet {
	struct fdb *db;          /* the caller's; kept open while the fleet lives */
	int64_t supernet_id;
	const struct xs_space *sp;  /* the caller's */
	struct xf_fleet_opts opts;
	struct xf_fleet_device *dev;  /* every device of the DB (by id), less the
				       * emulated ones when excluded */
	size_t n;
	size_t emulated_out;     /* emulated devices left out (opts.exclude_emulated) */
};

/* Loads the devices of db with their kernel tables and measurements of
 * supernet_id (space sp) and fits each device's model. db and sp must
 * outlive the fleet. *out (xf_fleet_destroy) only on success; XS_EIO with
 * the DB's message, XS_ENOMEM, XS_EINVAL on bad opts. */
enum xs_status xf_fleet_load(struct fdb *db, int64_t supernet_id, const struct xs_space *sp,
			     const struct xf_fleet_opts *opts, struct xf_fleet **out,
			     struct xs_error *err);

/* Re-reads device i's measurements (after new ones were stored) and refits
 * its model; its correction stays. XS_EIO / XS_ENOMEM. */
enum xs_status xf_fleet_reload_device(struct xf_fleet *f, size_t i, struct xs_error *err);

/* The index of the device with DB id device_id; false when not in the fleet. */
bool xf_fleet_find(const struct xf_fleet *f, int64_t device_id, size_t *index);

/* Device i's measured latency of arch (canonical text) in prec at the
 * percentile; false when the DB has none. */
bool xf_fleet_measured(const struct xf_fleet *f, size_t i, const char *arch,
		       enum xs_precision prec, double *lat_ms);

/* Whether device i's measured latency of arch in prec is a clean figure
 * (false when not measured or widened). */
bool xf_fleet_clean(const struct xf_fleet *f, size_t i, const char *arch,
		    enum xs_precision prec);

/* Device i's predicted latency of a in prec at the percentile (see the top).
 * NAN when the device has no table, the table lacks a piece, or prec is int8
 * and the device has no int8 ratio. Cannot fail. */
double xf_fleet_predicted(const struct xf_fleet *f, size_t i, const struct xs_arch *a,
			  enum xs_precision prec);

/* Measured if the DB has it (text: a's canonical text; NULL to predict
 * only), else predicted; *measured (may be NULL) says which. */
double xf_fleet_latency(const struct xf_fleet *f, size_t i, const struct xs_arch *a,
			enum xs_precision prec, const char *text, bool *measured);

/* Each of device i's calibration points predicted from a fit on the others
 * (pred[nfit]); false when out of memory. */
bool xf_fleet_loo(const struct xf_fleet *f, size_t i, double *pred);

void xf_fleet_destroy(struct xf_fleet *f);

#endif /* XF_FLEET_H */
