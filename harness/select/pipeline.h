/* pipeline.h - xnn-fleet select as one library call (DESIGN.md "Selection"):
 *
 * 1. The devices of the DB with a kernel table (the fleet model, fleet.h),
 *    in speed order. A candidate is a sub-net in a precision (f32 or int8);
 *    a device that never ran int8 has no int8 candidates.
 * 2. A search per device and precision (at most XF_SELECT_SEARCH_DEVICES
 *    devices, spread over the speed order; the accuracy cache is shared):
 *    the candidates.
 * 3. Tiers: contiguous runs of the devices in speed order, grouped for the
 *    highest expected accuracy over the population (tiers.h); then a search
 *    per tier over all its devices.
 * 4. Each tier's sub-net measured on the tier's devices through the
 *    caller's measure callback; one that misses the budget is replaced (the
 *    measurement is now what the search sees) and measured again, up to
 *    three times.
 * 5. The test top-1 of the chosen ones (the host reference, in the DB).
 * Writing the manifest is xf_select_write_manifest (manifest-out.h).
 *
 * The pipeline never prints: what the command shows comes through the event
 * callback and the result. It uses the caller's open DB handle (one writer)
 * and calls no command. */
#ifndef XF_PIPELINE_H
#define XF_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adb-client.h"
#include "budget.h"
#include "data.h"
#include "fdb.h"
#include "fleet.h"
#include "regret.h"
#include "search.h"
#include "tiers.h"
#include "xs.h"

/* Devices searched for one by one, at most (spread over the speed order). */
#define XF_SELECT_SEARCH_DEVICES 24

enum xf_select_event_kind {
	XF_SELECT_NOTICE,        /* msg: a device left out, a share of 0, tiers merged */
	XF_SELECT_START,         /* ndevices: the devices selected for */
	XF_SELECT_SEARCH,        /* after each sub-net scored: what, scored, evals, best */
	XF_SELECT_DEVICE,        /* a device's own search found something: device, search,
				  * prec */
	XF_SELECT_MISS,          /* measured over the budget: tier, arch, device, lat_ms,
				  * replaced (false: the last try, the run fails) */
	XF_SELECT_REFERENCE,     /* msg: the host reference's progress line */
};

struct xf_select_event {
	enum xf_select_event_kind kind;
	const char *msg;                        /* NOTICE */
	size_t ndevices;                        /* START */
	const char *what;                       /* SEARCH: "for SERIAL, f32" */
	size_t scored, evals;                   /* SEARCH */
	double best;                            /* SEARCH: the best top-1 so far */
	const struct xf_fleet_device *device;   /* DEVICE, MISS */
	const struct xf_search_result *search;  /* DEVICE */
	enum xs_precision prec;                 /* DEVICE */
	int tier;                               /* MISS: 0-based */
	const char *arch;                       /* MISS */
	double lat_ms;                          /* MISS: as measured */
	bool replaced;                          /* MISS */
};
typedef void (*xf_select_event_fn)(void *ctx, const struct xf_select_event *ev);

/* How the chosen sub-nets are measured: xf_sweep_run (harness/sweep.h) on
 * the pipeline's DB handle, of the tier's devices that are not simulated,
 * resumed (what the DB has is not measured again), top-1 on 100 test images
 * as a check (accuracy is the host's). Devices it cannot reach stay
 * predicted. */
struct xf_select_sweep {
	const char *supernet_path;           /* the file sn was loaded from (pushed) */
	const struct xf_adb_server *adb_servers;  /* nadb_servers; 0: adb's default */
	size_t nadb_servers;
	bool no_adb;
};

struct xf_select_opts {
	struct fdb *db;                      /* open for writing; the caller's */
	const char *db_name;                 /* its file, for messages */
	const struct xs_supernet *sn;        /* with a validation split (val_images) */
	int64_t supernet_id;                 /* sn in db */
	const struct xs_idx *images, *labels;/* the training images and labels (validation
					      * split, BN calibration) */
	const struct xf_data *data;          /* the staged files (the test top-1) */
	struct xk_threadpool *tp;            /* may be NULL */
	int threads;                         /* host threads for the test top-1 */
	struct xf_budget budget;
	size_t tiers;                        /* 1..XF_MAX_TIERS; 0: auto */
	const struct xf_share *population;   /* NULL: equal shares per device */
	size_t npopulation;
	const char *population_name;         /* for messages (the file) */
	size_t evals;                        /* sub-nets scored per search */
	uint64_t seed;
	bool exclude_emulated;
	bool regret;                         /* also the regret study (regret.h) */
	enum xs_precision precs[2];          /* the precisions tiers may get */
	size_t nprecs;
	bool measure;                        /* false: --no-measure (predictions only) */
	struct xf_select_sweep sweep;        /* with measure */
	xf_select_event_fn event;            /* may be NULL */
	void *event_ctx;
};

/* One tier of the result. */
struct xf_select_tier {
	struct xs_arch arch;
	char text[XS_ARCH_MAX];              /* arch's canonical text */
	enum xs_precision prec;
	uint64_t size, memory;               /* file bytes; arena + weights */
	double val_top1, test_top1;          /* percent; test NAN: unknown */
	double lat_ms;                       /* the largest over its devices */
	bool all_measured;                   /* every device's lat_ms measured */
	size_t widened;                      /* devices whose measured lat_ms was widened
					      * (not a clean row: fleet.h) */
	size_t ndevs;
	size_t *devs;                        /* indices into the result's fleet; owned */
	double *dev_lat;                     /* each device's latency; owned */
	bool *dev_measured;                  /* owned */
	char file[32], sha256[65];           /* set by xf_select_write_manifest */
};

struct xf_select_result {
	struct xf_fleet *fleet;              /* owned: the devices the tiers index */
	double *share;                       /* per fleet device, of the population; owned */
	struct xf_select_tier *tiers;        /* owned; fastest first (the last: the fallback) */
	size_t ntiers;
	double expected;                     /* expected val top-1 over the population in tiers */
	double in_tiers;                     /* that population's share, 0..1 */
	size_t looked_at;                    /* candidates (sub-net, precision) */
	size_t scored_here;                  /* accuracies computed here, not from the DB */
	double score_seconds;
	bool regret_done;                    /* opts.regret: the study ran (see regret) */
	enum xs_status regret_status;        /* its failure (the run still succeeds) */
	struct xs_error regret_err;
	struct xf_regret regret;
};

/* Runs the selection. *res (xf_select_result_release) is filled on success;
 * errors say what failed (no device with a kernel table, no device can meet
 * the budget, a tier whose sub-nets keep missing it, the DB, the engine). */
enum xs_status xf_select_run(const struct xf_select_opts *o, struct xf_select_result *res,
			     struct xs_error *err);
void xf_select_result_release(struct xf_select_result *res);

#endif /* XF_PIPELINE_H */
