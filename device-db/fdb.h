/* fdb.h - the device DB: one SQLite file (default fleet.db) holding the
 * devices, supernets, sub-nets, sweeps, runs, kernel and sub-net results and
 * manifests (DESIGN.md "Device DB").
 *
 * Opening sets foreign keys and a busy timeout and runs PRAGMA quick_check;
 * opening for writing also sets WAL and brings the schema up to this
 * program's version with forward-only migrations (PRAGMA user_version), in
 * one BEGIN IMMEDIATE transaction that reads the version again under its
 * lock (several writers may open a new DB at once), then marks
 * 'interrupted' the sweeps and runs left 'running' by a writer of this
 * host that is gone (each records its host, pid and start time). A DB
 * written by a newer program, another program's SQLite file and a
 * read-only file or folder are refused for writing before anything is
 * written: the file stays byte for byte. Reading works on a newer schema
 * and on a read-only file or folder (read as immutable when SQLite cannot
 * make its -shm and no -wal holds frames). Writers group rows in
 * transactions (fdb_begin ... fdb_commit; the result batches have their
 * own), so a killed harness leaves the DB as of the last committed one.
 *
 * Errors: functions return an enum xs_status; the message is on the handle
 * (fdb_errmsg), like sqlite3_errmsg.
 *
 * The code: fdb.c (open, migrations, transactions), fdb-write.c,
 * fdb-query.c, fdb-merge.c (merge, export); the result tables' columns are
 * listed once in fdb-columns.h. */
#ifndef FDB_H
#define FDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xs.h"

/* The schema version this program writes. */
#define FDB_SCHEMA_VERSION 5

struct fdb;

enum fdb_mode {
	FDB_READ,    /* the file must exist; any schema version */
	FDB_WRITE,   /* created if missing; migrated; refused if newer */
	FDB_UPDATE,  /* FDB_WRITE, but the file must exist (a mistyped name is an
		      * error, not a new empty DB) */
};

/* Opens path. On failure *out is NULL and msg (may be NULL, at least 256
 * bytes) says why. */
enum xs_status fdb_open(const char *path, enum fdb_mode mode, struct fdb **out,
			char *msg, size_t msg_n);
void fdb_close(struct fdb *db);
const char *fdb_errmsg(const struct fdb *db);
int fdb_schema_version(const struct fdb *db);  /* the file's user_version */

/* One batch of writes: BEGIN IMMEDIATE ... COMMIT (or ROLLBACK). */
enum xs_status fdb_begin(struct fdb *db);
enum xs_status fdb_commit(struct fdb *db);
void fdb_rollback(struct fdb *db);

/* Row counts of the main tables, for 'xnn-fleet db info'. */
struct fdb_counts {
	int64_t devices, supernets, subnets, sweeps, runs, kernel_results,
		subnet_results, manifests;
};
enum xs_status fdb_counts(struct fdb *db, struct fdb_counts *out);

/* ---- rows -------------------------------------------------------------------- */

/* A device's stable identity is (transport, serial, fingerprint); the rest
 * is updated on every probe. Strings may be NULL ("unknown"). */
struct fdb_device {
	const char *transport, *serial, *fingerprint;
	const char *model, *manufacturer, *soc, *abi, *os;
	int cpus;                 /* 0 unknown */
	const char *clusters;     /* "0 1 2 3:512:1800000;4 5 6 7:1024:2800000" */
	int64_t ram_bytes;        /* 0 unknown */
	bool emulated, simulated;
	const char *probe;        /* the probe's key,value CSV, kept whole */
};
enum xs_status fdb_device_upsert(struct fdb *db, const struct fdb_device *d,
				 int64_t *id);

enum xs_status fdb_supernet_upsert(struct fdb *db, const char *name,
				   const char *sha256, const char *space_text,
				   int64_t *id);
enum xs_status fdb_subnet_upsert(struct fdb *db, int64_t supernet_id,
				 const char *arch, uint64_t macs, uint64_t params,
				 int64_t *id);
/* The host's reference for a sub-net in a precision ("f32", "int8"; NULL is
 * f32): top-1 on the whole test set and on the validation split (NAN when
 * not known), and the logits of the first test images (*ref_logits: CSV rows
 * "image,v0,v1,...", malloc'd, NULL when not known). */
enum xs_status fdb_subnet_reference(struct fdb *db, int64_t subnet_id, const char *precision,
				    double *test_top1, double *val_top1, char **ref_logits);
enum xs_status fdb_subnet_reference_set(struct fdb *db, int64_t subnet_id, const char *precision,
					double test_top1, double val_top1,
					const char *ref_logits);

/* Sets only the validation top-1 (the selector's accuracy; the rest of the
 * reference is the sweep's). */
enum xs_status fdb_subnet_val_set(struct fdb *db, int64_t subnet_id, const char *precision,
				  double val_top1);

/* Stores a manifest (its JSON text) with the budget it was chosen for. */
enum xs_status fdb_manifest_insert(struct fdb *db, int64_t supernet_id, const char *budget,
				   const char *json, int64_t *id);

/* ---- sweeps, runs, results ---------------------------------------------------------
 * status: "running", "done", "incomplete" (cut: --resume fills it in),
 * "failed" or "interrupted" (its writer was killed: set by the next open for
 * writing). Times are set by the DB (UTC, ISO 8601). Beginning a sweep or a
 * run records this process as its writer (host name, pid, start time). */
enum xs_status fdb_sweep_begin(struct fdb *db, const char *config, int64_t *id);
enum xs_status fdb_sweep_end(struct fdb *db, int64_t sweep_id, const char *status);
/* The run of a device in a sweep (a resumed sweep gets its existing row). */
enum xs_status fdb_run_begin(struct fdb *db, int64_t sweep_id, int64_t device_id,
			     int64_t *id);
enum xs_status fdb_run_end(struct fdb *db, int64_t run_id, const char *status,
			   const char *error, const char *conditions);

/* A measurement's key: what makes two rows "the same measurement". */
struct fdb_key {
	int64_t device_id;
	const char *precision;      /* "f32" */
	int threads;
	const char *cores;          /* "0 1 2 3" */
	const char *agent_version;
};

/* One sub-net result; NAN (reals), -1 (counts), NULL (strings) for what is
 * unknown; peak_rss_delta_bytes can be negative: INT64_MIN is unknown. */
struct fdb_subnet_result {
	const char *status, *flags, *rss_method, *xnm_sha256, *pinned, *error;
	int64_t n, arena_bytes, weight_bytes, peak_rss_delta_bytes, eval_images;
	double median_ms, mean_ms, stdev_ms, cv, rcv, min_ms, max_ms, p90_ms, p99_ms,
	       cold_ms, build_ms, top1, max_logit_diff, temp_before_c, temp_after_c,
	       freq_before, freq_after;
	int64_t batch;                      /* runs per sample; negative: unknown */
	double median_lo_ms, median_hi_ms, p90_lo_ms, p90_hi_ms;  /* 95% intervals; NAN */
};

/* Stores a result unless one with the same key is there (then *stored is
 * false and nothing changes: a row is never stored twice). */
enum xs_status fdb_subnet_result_insert(struct fdb *db, int64_t run_id,
					const struct fdb_key *k, int64_t subnet_id,
					const struct fdb_subnet_result *r,
					bool *stored);
/* Whether a result with this key exists (a resumed sweep skips it). */
enum xs_status fdb_subnet_result_exists(struct fdb *db, const struct fdb_key *k,
					int64_t subnet_id, bool *exists);

/* One row of the agent's kernel table (a piece of the space's sub-nets). */
struct fdb_kernel_result {
	const char *piece;                  /* resize, stem, block, head */
	int stage, first, res, cin, cout, expand, kernel, stride;
	int64_t macs, n;
	double median_ms, mean_ms, cv, rcv, p90_ms, min_ms;
	const char *flags;
};
/* Stored unless the same piece has a row under this key and supernet. */
enum xs_status fdb_kernel_result_insert(struct fdb *db, int64_t run_id,
					const struct fdb_key *k, int64_t supernet_id,
					const struct fdb_kernel_result *r,
					bool *stored);

/* Batches: n results of one run, each stored unless its key is there
 * (also within the batch: the first of two rows with one key is kept);
 * *stored gets how many were new. One prepared INSERT per batch, in one
 * transaction (BEGIN IMMEDIATE ... COMMIT) or, when the caller has one open
 * (fdb_begin), in a savepoint inside it. On an error nothing of the batch
 * is stored (*stored is 0), the message is on the handle and a caller's
 * transaction stays open (unless SQLite ended it itself: a full disk, an
 * I/O error). A row without its full key (XS_EINVAL) fails the batch
 * before it starts. The single inserts above are one-row batches. */
enum xs_status fdb_kernel_results_insert(struct fdb *db, int64_t run_id, int64_t supernet_id,
					 const struct fdb_key *keys,
					 const struct fdb_kernel_result *rows, size_t n,
					 size_t *stored);
enum xs_status fdb_subnet_results_insert(struct fdb *db, int64_t run_id,
					 const struct fdb_key *keys, const int64_t *subnet_ids,
					 const struct fdb_subnet_result *rows, size_t n,
					 size_t *stored);

/* How many kernel rows a key has for a supernet (a resumed sweep skips the
 * kernel table when it is there). */
enum xs_status fdb_kernel_results_count(struct fdb *db, const struct fdb_key *k,
					int64_t supernet_id, int64_t *count);

/* ---- queries (the selector and the reports; work on a DB opened to read) -- */

/* A supernet by name or sha256 (the newest of that name): its id, sha256
 * and (space may be NULL) its space text, malloc'd. XS_EINVAL (message on the
 * handle) when the DB has none. */
enum xs_status fdb_supernet_find(struct fdb *db, const char *name_or_sha256, int64_t *id,
				 char sha256[65], char **space);

/* Strings are valid during the call only; NULL when unknown. */
struct fdb_device_row {
	int64_t id;
	const char *transport, *serial, *fingerprint, *model, *soc, *abi, *os;
	int cpus;
	int64_t ram_bytes;
	bool emulated, simulated;
	const char *probe;        /* the probe's key,value CSV */
};
typedef void (*fdb_device_fn)(void *ctx, const struct fdb_device_row *d);
/* Every device, by id. */
enum xs_status fdb_devices_each(struct fdb *db, fdb_device_fn fn, void *ctx);

struct fdb_result_row {
	int64_t device_id, subnet_id;
	const char *arch, *precision, *cores, *agent_version, *flags, *xnm_sha256;
	int threads;
	int64_t macs, params, n, arena_bytes, weight_bytes, peak_rss_delta_bytes;
	double median_ms, p90_ms, p99_ms, top1, test_top1, max_logit_diff;  /* NAN: unknown */
	double median_hi_ms, p90_hi_ms;  /* the 95% intervals' upper ends; NAN: unknown */
};
typedef void (*fdb_result_fn)(void *ctx, const struct fdb_result_row *r);
/* The 'ok' sub-net results of a supernet, of one device (device_id >= 0) or
 * all, by device, sub-net, precision and threads; test_top1 is the host's in
 * the row's precision. */
enum xs_status fdb_subnet_results_each(struct fdb *db, int64_t supernet_id, int64_t device_id,
				       fdb_result_fn fn, void *ctx);

struct fdb_kernel_row {
	int64_t device_id;
	const char *piece, *precision, *flags;
	int stage, first, res, cin, cout, expand, kernel, stride, threads;
	int64_t macs;
	double median_ms, p90_ms;
};
typedef void (*fdb_kernel_fn)(void *ctx, const struct fdb_kernel_row *k);
/* A device's kernel table for a supernet (device_id < 0: every device's). */
enum xs_status fdb_kernel_results_each(struct fdb *db, int64_t supernet_id, int64_t device_id,
				       fdb_kernel_fn fn, void *ctx);

/* ---- for reports ---- */
struct fdb_supernet_row {
	int64_t id;
	const char *name, *sha256, *added;
	int64_t subnets, results, devices;     /* sub-nets, 'ok' results, devices with one */
};
typedef void (*fdb_supernet_fn)(void *ctx, const struct fdb_supernet_row *r);
enum xs_status fdb_supernets_each(struct fdb *db, fdb_supernet_fn fn, void *ctx);

/* Each sweep: its runs, their sub-net results, and the bytes given to its
 * devices (the sums of the runs' conditions staged_bytes= and
 * pushed_bytes=, as the sweep records them). */
struct fdb_sweep_row {
	int64_t id;
	const char *started, *ended, *status, *config;
	int64_t runs, results;
	int64_t staged_bytes, pushed_bytes;  /* -1: no run of it recorded them */
};
typedef void (*fdb_sweep_fn)(void *ctx, const struct fdb_sweep_row *r);
enum xs_status fdb_sweeps_each(struct fdb *db, fdb_sweep_fn fn, void *ctx);

/* Per device, for one supernet: its sub-net results by flags (a row with
 * status other than 'ok' is failed; 'ok' rows count as clean, throttled,
 * noisy or untimed by their flags, several when several), and its latest
 * run: status, error, conditions (NULL when it has none). */
struct fdb_device_summary {
	int64_t device_id;
	int64_t clean, throttled, noisy, untimed, failed, kernels;
	const char *run_status, *run_error, *conditions, *last_seen;
};
typedef void (*fdb_summary_fn)(void *ctx, const struct fdb_device_summary *r);
enum xs_status fdb_device_summaries_each(struct fdb *db, int64_t supernet_id, fdb_summary_fn fn,
					 void *ctx);

/* The newest manifest of a supernet: *json and *created malloc'd, NULL when
 * there is none. */
enum xs_status fdb_manifest_latest(struct fdb *db, int64_t supernet_id, char **json,
				   char **created);

/* Every sub-net result with its device and arch, by device, MACs, arch,
 * precision and threads: fn is called once with values NULL (the header:
 * the ncol column names device_id,transport,serial,model,soc,abi,emulated,
 * simulated,supernet,arch,macs,precision,threads,cores,agent_version,
 * status,flags,n,median_ms,...), then once per row with its values as text
 * (NULL: unknown). Strings are valid during the call only. *rows gets the
 * rows handed over. */
typedef void (*fdb_export_fn)(void *ctx, int ncol, const char *const *names,
			      const char *const *values);
enum xs_status fdb_subnet_results_export(struct fdb *db, fdb_export_fn fn, void *ctx,
					 int64_t *rows);

/* The same rows written to out as CSV (RFC 4180, xs_csv_put), the header
 * first; XS_EIO when out has a write error. Returns the rows written in
 * *rows. */
enum xs_status fdb_export_csv(struct fdb *db, FILE *out, int64_t *rows);

/* Merges the DB file other into db in one transaction: devices by identity,
 * supernets by sha256, sub-nets by (supernet, arch), sweeps by (start, config),
 * runs by (sweep, device), results by their measurement key (a result already
 * in db is kept), manifests by content. Merging the same file twice adds
 * nothing. other must have this program's schema version. *added (may be
 * NULL) gets the result rows added. */
enum xs_status fdb_merge(struct fdb *db, const char *other, int64_t *added);

/* The pieces of a key's kernel table for a supernet, as the agent's
 * kernels --have reads them: "threads,piece,stage,first,res,expand,kernel"
 * lines into *text (malloc'd, NUL-terminated, "" when none; the caller
 * frees it), *count of them. A resumed sweep measures the others only. */
enum xs_status fdb_kernel_pieces_text(struct fdb *db, const struct fdb_key *k,
				      int64_t supernet_id, char **text, size_t *count);

#endif /* FDB_H */
