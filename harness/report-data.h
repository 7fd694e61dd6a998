/* report-data.h - the rows of `xnn-fleet report`, gathered from the device
 * DB into the input of the renderer (reports/rep.h), which never opens the
 * DB: devices, sweeps, supernets and, for each supernet that gets a page, its
 * per-device stats, one-thread results and kernel tables, the leave-one-out
 * latency predictions (from the kernel tables, harness/predict.h) and the
 * newest manifest. */
#ifndef XF_REPORT_DATA_H
#define XF_REPORT_DATA_H

#include "fdb.h"
#include "rep.h"
#include "xs.h"

struct xf_report_rows;             /* the storage behind in */

struct xf_report_data {
	struct rep_input in;           /* for rep_render: points into rows, valid until
					* xf_report_data_release */
	struct xf_report_rows *rows;
};

/* Reads db's rows into *out (released by the caller, also on failure).
 * db_name names the DB on the index page (borrowed: it must outlive *out).
 * only (NULL: every supernet) picks the supernet that gets a page, by name
 * or sha256. A manifest the DB cannot give is no failure: its state is
 * REP_MANIFEST_UNREAD with the DB's message as why. Errors: XS_EINVAL when
 * no supernet is only (err says so), the DB's status with its message,
 * XS_ENOMEM. */
enum xs_status xf_report_data_gather(struct fdb *db, const char *db_name, const char *only,
				     struct xf_report_data *out, struct xs_error *err);

/* Frees what gather allocated; the struct is then empty. NULL does nothing. */
void xf_report_data_release(struct xf_report_data *d);

#endif /* XF_REPORT_DATA_H */
