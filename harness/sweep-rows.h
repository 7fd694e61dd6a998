/* sweep-rows.h - agent rows -> device DB rows: the probe's key,value rows ->
 * struct fdb_device, the kernel table -> struct fdb_kernel_result, the bench
 * table -> struct fdb_subnet_result, each with its measurement key.
 *
 * Every column a mapping reads is required: a header that lacks one is one
 * error naming the column, found once per stream (xf_rows_header_init, at the
 * first row). A row whose precision is not f32 or int8, or a number that is
 * not one, is out of its column's range, or is blank ("", "nan", "unknown")
 * where a value is needed, is one error naming the row, the column and the
 * value; such a row is not stored. Times must be positive where one is
 * needed (median_ms, p90_ms: a run takes some time), and the times of one
 * row must not fall along min <= median <= p90 <= p99 <= max (those it has)
 * nor along an interval (median_lo_ms <= median_hi_ms, p90's); the
 * error names both columns and values. Pure functions: no DB, no threads, no
 * output; the strings a mapping gives point into the row's fields (valid as
 * long as they are: copy them to keep them). */
#ifndef XF_SWEEP_ROWS_H
#define XF_SWEEP_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-csv.h"
#include "fdb.h"

enum xf_rows_table {
	XF_ROWS_PROBE,      /* xnn-agent probe: key,value */
	XF_ROWS_KERNELS,    /* xnn-agent kernels */
	XF_ROWS_BENCH,      /* xnn-agent bench */
};

#define XF_ROWS_MAX_COLS 40

/* The most threads a row may say it ran: what the agent runs at most (its
 * thread lists are 1..XA_MAX_CPUS, one thread per core of the set; the test
 * keeps the two equal). A row that says more is damaged. */
#define XF_ROWS_MAX_THREADS 256

/* The columns of one stream: where each column a mapping reads is. */
struct xf_rows_header {
	enum xf_rows_table table;
	int col[XF_ROWS_MAX_COLS];   /* field index, per column of the table's list */
};

/* Finds the columns of table in r's header (call it at the first row).
 * XS_EFORMAT when one is missing (kernels: also the '#cores' line): err
 * names it ("bench output: the header has no 'status' column: ..."). */
enum xs_status xf_rows_header_init(struct xf_rows_header *h, enum xf_rows_table table,
				   const struct xf_agent_reader *r, struct xs_error *err);

/* The probe's rows, kept as "key,value\n" lines (the DB keeps them whole). */
struct xf_probe {
	char text[16384];
	size_t len;             /* rows past the buffer are dropped */
};

/* Appends one probe row (h from xf_rows_header_init with XF_ROWS_PROBE).
 * Cannot fail. */
void xf_rows_probe_add(struct xf_probe *p, const struct xf_rows_header *h, char *const *f);

/* The value of key, copied to buf; NULL when absent or "unknown". */
const char *xf_probe_get(const struct xf_probe *p, const char *key, char *buf, size_t n);

/* What a probe says of the device, read and checked from its rows. */
struct xf_probe_info {
	char fingerprint[256], model[256], manufacturer[256], soc[256], os[256];
	bool has_fingerprint, has_model, has_manufacturer, has_soc, has_os;
	char clusters[512];     /* "0 1 2 3:512:1800000;4 5 6 7:1024:2800000" ("" none) */
	int cpus;               /* 0 unknown */
	int64_t ram_bytes;      /* 0 unknown */
	bool emulator;          /* emulator,yes */
	char cores[1024];       /* the agent's default core set (its probe's cores.big), else
				 * "0 1 ... cpus-1" ("" unknown) */
};

/* Reads p into *info. XS_EFORMAT when cpus or ram_bytes is there but not a
 * number in range (err names it). */
enum xs_status xf_rows_probe_info(const struct xf_probe *p, struct xf_probe_info *info,
				  struct xs_error *err);

/* The DB's device row: identity (transport, serial, abi, emulated: the
 * caller's) plus what info says; the fingerprint falls back to the abi.
 * Strings point into info, p and the arguments. Cannot fail. */
void xf_rows_probe_device(const struct xf_probe *p, const struct xf_probe_info *info,
			  const char *transport, const char *serial, const char *abi,
			  bool emulated, struct fdb_device *out);

/* One kernel row -> *out and key's precision, threads and cores (the
 * stream's '#cores'); key->device_id and key->agent_version are left as they
 * are (the caller's). XS_EFORMAT (err says what) when the row is damaged. */
enum xs_status xf_rows_kernel(const struct xf_rows_header *h, const struct xf_agent_reader *r,
			      char *const *f, struct fdb_kernel_result *out, struct fdb_key *key,
			      struct xs_error *err);

/* One bench row -> *arch, *out (status "ok", error NULL) and key's
 * precision, threads and cores, as xf_rows_kernel. An error row (status not
 * 'ok') is XS_EINVAL with err "ARCH: ERROR" (the agent's error column); a
 * damaged row XS_EFORMAT. *arch is set whenever the row has one. */
enum xs_status xf_rows_bench(const struct xf_rows_header *h, const struct xf_agent_reader *r,
			     char *const *f, const char **arch, struct fdb_subnet_result *out,
			     struct fdb_key *key, struct xs_error *err);

#endif /* XF_SWEEP_ROWS_H */
