/* fdb-write.c - the device DB's writes (fdb.h): the identity upserts
 * (devices, supernets, sub-nets), references, manifests, sweeps and runs,
 * and the result rows in batches: one transaction (or a savepoint inside
 * the caller's) and one prepared INSERT per batch, its columns from
 * fdb-columns.h. */
#include <sqlite3.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fdb.h"
#include "fdb-columns.h"
#include "fdb-internal.h"

/* Runs a prepared upsert that ends "RETURNING id". */
static enum xs_status step_id(struct fdb *db, sqlite3_stmt *s, int64_t *id, const char *what)
{
	int rc = sqlite3_step(s);
	enum xs_status st = XS_OK;
	if (rc == SQLITE_ROW) {
		if (id)
			*id = sqlite3_column_int64(s, 0);
	} else {
		st = fdb_seterr(db, XS_EIO, "device DB: cannot store the %s: %s", what,
				sqlite3_errmsg(db->h));
	}
	sqlite3_finalize(s);
	return st;
}

enum xs_status fdb_device_upsert(struct fdb *db, const struct fdb_device *d, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db,
		"INSERT INTO devices (transport, serial, fingerprint, model, manufacturer, soc,"
		"  abi, os, cpus, clusters, ram_bytes, emulated, simulated, probe, first_seen,"
		"  last_seen)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
		"  strftime('%Y-%m-%dT%H:%M:%SZ'), strftime('%Y-%m-%dT%H:%M:%SZ'))"
		" ON CONFLICT (transport, serial, fingerprint) DO UPDATE SET"
		"  model = excluded.model, manufacturer = excluded.manufacturer,"
		"  soc = excluded.soc, abi = excluded.abi, os = excluded.os,"
		"  cpus = excluded.cpus, clusters = excluded.clusters,"
		"  ram_bytes = excluded.ram_bytes, emulated = excluded.emulated,"
		"  simulated = excluded.simulated, probe = excluded.probe,"
		"  last_seen = excluded.last_seen"
		" RETURNING id", &s);
	if (st != XS_OK)
		return st;
	fdb_bind_text(s, 1, d->transport ? d->transport : "unknown");
	fdb_bind_text(s, 2, d->serial ? d->serial : "unknown");
	fdb_bind_text(s, 3, d->fingerprint ? d->fingerprint : "unknown");
	fdb_bind_text(s, 4, d->model);
	fdb_bind_text(s, 5, d->manufacturer);
	fdb_bind_text(s, 6, d->soc);
	fdb_bind_text(s, 7, d->abi);
	fdb_bind_text(s, 8, d->os);
	if (d->cpus > 0)
		sqlite3_bind_int(s, 9, d->cpus);
	fdb_bind_text(s, 10, d->clusters);
	if (d->ram_bytes > 0)
		sqlite3_bind_int64(s, 11, d->ram_bytes);
	sqlite3_bind_int(s, 12, d->emulated);
	sqlite3_bind_int(s, 13, d->simulated);
	fdb_bind_text(s, 14, d->probe);
	return step_id(db, s, id, "device");
}

enum xs_status fdb_supernet_upsert(struct fdb *db, const char *name, const char *sha256,
				   const char *space_text, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db,
		"INSERT INTO supernets (name, sha256, space, added)"
		" VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ'))"
		" ON CONFLICT (sha256) DO UPDATE SET name = excluded.name RETURNING id", &s);
	if (st != XS_OK)
		return st;
	fdb_bind_text(s, 1, name);
	fdb_bind_text(s, 2, sha256);
	fdb_bind_text(s, 3, space_text);
	return step_id(db, s, id, "supernet");
}

enum xs_status fdb_subnet_upsert(struct fdb *db, int64_t supernet_id, const char *arch,
				 uint64_t macs, uint64_t params, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db,
		"INSERT INTO subnets (supernet_id, arch, macs, params) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (supernet_id, arch) DO UPDATE SET macs = excluded.macs"
		" RETURNING id", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, supernet_id);
	fdb_bind_text(s, 2, arch);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)macs);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)params);
	return step_id(db, s, id, "sub-net");
}

enum xs_status fdb_subnet_reference_set(struct fdb *db, int64_t subnet_id, const char *precision,
					double test_top1, double val_top1, const char *ref_logits)
{
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db, fdb_is_f32(precision)
		? "UPDATE subnets SET test_top1 = ?2, ref_logits = ?3, val_top1 = ?4 WHERE id = ?1"
		: "INSERT INTO subnet_accuracy (subnet_id, test_top1, ref_logits, val_top1, precision)"
		  " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (subnet_id, precision) DO UPDATE SET"
		  " test_top1 = excluded.test_top1, ref_logits = excluded.ref_logits,"
		  " val_top1 = excluded.val_top1", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, subnet_id);
	const double v[2] = {test_top1, val_top1};
	for (int i = 0; i < 2; i++)
		if (isnan(v[i]))
			sqlite3_bind_null(s, i ? 4 : 2);
		else
			sqlite3_bind_double(s, i ? 4 : 2, v[i]);
	fdb_bind_text(s, 3, ref_logits);
	if (!fdb_is_f32(precision))
		fdb_bind_text(s, 5, precision);
	return fdb_step_done(db, s, "store the sub-net reference");
}

enum xs_status fdb_subnet_val_set(struct fdb *db, int64_t subnet_id, const char *precision,
				  double val_top1)
{
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db, fdb_is_f32(precision)
		? "UPDATE subnets SET val_top1 = ?2 WHERE id = ?1"
		: "INSERT INTO subnet_accuracy (subnet_id, val_top1, precision) VALUES (?1, ?2, ?3)"
		  " ON CONFLICT (subnet_id, precision) DO UPDATE SET val_top1 = excluded.val_top1", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, subnet_id);
	sqlite3_bind_double(s, 2, val_top1);
	if (!fdb_is_f32(precision))
		fdb_bind_text(s, 3, precision);
	return fdb_step_done(db, s, "store the sub-net validation top-1");
}

enum xs_status fdb_manifest_insert(struct fdb *db, int64_t supernet_id, const char *budget,
				   const char *json, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db,
		"INSERT INTO manifests (supernet_id, created, budget, json)"
		" VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?2, ?3)", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, supernet_id);
	fdb_bind_text(s, 2, budget);
	fdb_bind_text(s, 3, json);
	st = fdb_step_done(db, s, "store the manifest");
	if (st == XS_OK && id)
		*id = sqlite3_last_insert_rowid(db->h);
	return st;
}

static bool valid_status(const char *s)
{
	return s && (strcmp(s, "running") == 0 || strcmp(s, "done") == 0 ||
		     strcmp(s, "incomplete") == 0 || strcmp(s, "failed") == 0 ||
		     strcmp(s, "interrupted") == 0);
}

/* A run's status: a sweep's, or 'hung' (its device went silent). */
static bool valid_run_status(const char *s)
{
	return valid_status(s) || (s && strcmp(s, "hung") == 0);
}

/* Binds this process as the writer: ?first host, ?first+1 pid, ?first+2
 * its start ("" unknown: NULL). */
static void bind_writer(struct fdb *db, sqlite3_stmt *s, int first)
{
	fdb_bind_text(s, first, db->self.host);
	sqlite3_bind_int64(s, first + 1, db->self.pid);
	fdb_bind_text(s, first + 2, db->self.start[0] ? db->self.start : NULL);
}

enum xs_status fdb_sweep_begin(struct fdb *db, const char *config, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db,
		"INSERT INTO sweeps (started, status, config, writer_host, writer_pid, writer_start)"
		" VALUES (strftime('%Y-%m-%dT%H:%M:%SZ'), 'running', ?1, ?2, ?3, ?4) RETURNING id", &s);
	if (st != XS_OK)
		return st;
	fdb_bind_text(s, 1, config ? config : "");
	bind_writer(db, s, 2);
	return step_id(db, s, id, "sweep");
}

enum xs_status fdb_sweep_end(struct fdb *db, int64_t sweep_id, const char *status)
{
	if (!valid_status(status))
		return fdb_seterr(db, XS_EINVAL, "device DB: bad sweep status '%s'", status ? status : "");
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db,
		"UPDATE sweeps SET status = ?2, ended = strftime('%Y-%m-%dT%H:%M:%SZ')"
		" WHERE id = ?1", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, sweep_id);
	fdb_bind_text(s, 2, status);
	return fdb_step_done(db, s, "end the sweep");
}

enum xs_status fdb_run_begin(struct fdb *db, int64_t sweep_id, int64_t device_id, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db,
		"INSERT INTO runs (sweep_id, device_id, started, status, writer_host, writer_pid,"
		"  writer_start)"
		" VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ'), 'running', ?3, ?4, ?5)"
		" ON CONFLICT (sweep_id, device_id) DO UPDATE SET status = 'running', ended = NULL,"
		"  writer_host = excluded.writer_host, writer_pid = excluded.writer_pid,"
		"  writer_start = excluded.writer_start"
		" RETURNING id", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, sweep_id);
	sqlite3_bind_int64(s, 2, device_id);
	bind_writer(db, s, 3);
	return step_id(db, s, id, "run");
}

enum xs_status fdb_run_end(struct fdb *db, int64_t run_id, const char *status,
			   const char *error, const char *conditions)
{
	if (!valid_run_status(status))
		return fdb_seterr(db, XS_EINVAL, "device DB: bad run status '%s'", status ? status : "");
	sqlite3_stmt *s;
	enum xs_status st = fdb_prepare_write(db,
		"UPDATE runs SET status = ?2, error = ?3, conditions = ?4,"
		" ended = strftime('%Y-%m-%dT%H:%M:%SZ') WHERE id = ?1", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, run_id);
	fdb_bind_text(s, 2, status);
	fdb_bind_text(s, 3, error);
	fdb_bind_text(s, 4, conditions);
	return fdb_step_done(db, s, "end the run");
}

/* ---- result rows: batches -------------------------------------------------------- */

/* The binds of the column kinds (fdb-columns.h): every column is bound on
 * every row, unknowns as NULL, so a reset statement needs no clearing. */
static void bind_text(sqlite3_stmt *s, int i, const char *v) { fdb_bind_text(s, i, v); }
static void bind_status(sqlite3_stmt *s, int i, const char *v)
{
	fdb_bind_text(s, i, v ? v : "ok");
}
static void bind_int(sqlite3_stmt *s, int i, int v) { sqlite3_bind_int(s, i, v); }

static void bind_count(sqlite3_stmt *s, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static void bind_delta(sqlite3_stmt *s, int i, int64_t v)
{
	if (v != INT64_MIN)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static void bind_real(sqlite3_stmt *s, int i, double v)
{
	if (!isnan(v))
		sqlite3_bind_double(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

#define BIND_KEY(name, kind) bind_##kind(s, ++i, k->name);
#define BIND_ROW(name, kind) bind_##kind(s, ++i, r->name);

static const char subnet_insert_sql[] =
	"INSERT INTO subnet_results (run_id, device_id, subnet_id"
	FDB_KEY_COLUMNS(FDB_SQL_NAME) FDB_SUBNET_RESULT_COLUMNS(FDB_SQL_NAME)
	") VALUES (?, ?, ?"
	FDB_KEY_COLUMNS(FDB_SQL_PARAM) FDB_SUBNET_RESULT_COLUMNS(FDB_SQL_PARAM)
	") ON CONFLICT (device_id, subnet_id, precision, threads, cores, agent_version)"
	" DO NOTHING";

static const char kernel_insert_sql[] =
	"INSERT INTO kernel_results (run_id, device_id, supernet_id"
	FDB_KEY_COLUMNS(FDB_SQL_NAME) FDB_KERNEL_RESULT_COLUMNS(FDB_SQL_NAME)
	") VALUES (?, ?, ?"
	FDB_KEY_COLUMNS(FDB_SQL_PARAM) FDB_KERNEL_RESULT_COLUMNS(FDB_SQL_PARAM)
	") ON CONFLICT DO NOTHING";

/* Binds every parameter of s to row i of a batch (ctx). */
typedef void (*bind_row_fn)(sqlite3_stmt *s, const void *ctx, size_t i);

/* Undoes a batch; the handle's message (the error that stopped it) stays. */
static void batch_undo(struct fdb *db, bool own)
{
	sqlite3_exec(db->h, own ? "ROLLBACK" : "ROLLBACK TO fdb_batch; RELEASE fdb_batch",
		     NULL, NULL, NULL);
}

/* Stores n rows with one prepared INSERT (sql, bound by bind): in a
 * transaction of their own when the caller has none open (BEGIN IMMEDIATE
 * ... COMMIT), else in a savepoint of the caller's (undone on an error, the
 * caller's transaction left open). *stored counts the new rows; on an error
 * nothing of the batch stays and "cannot store the WHAT: ..." is on the
 * handle. */
static enum xs_status batch_insert(struct fdb *db, const char *sql, const char *what,
				   bind_row_fn bind, const void *ctx, size_t n, size_t *stored)
{
	*stored = 0;
	if (db->mode != FDB_WRITE)
		return fdb_seterr(db, XS_EINVAL, "device DB: opened for reading");
	const bool own = sqlite3_get_autocommit(db->h) != 0;
	enum xs_status st = fdb_exec(db, own ? "BEGIN IMMEDIATE" : "SAVEPOINT fdb_batch");
	if (st != XS_OK)
		return st;
	sqlite3_stmt *s = NULL;
	size_t added = 0;
	st = fdb_prepare_write(db, sql, &s);
	for (size_t i = 0; st == XS_OK && i < n; i++) {
		sqlite3_reset(s);
		bind(s, ctx, i);
		if (sqlite3_step(s) != SQLITE_DONE)
			st = fdb_seterr(db, XS_EIO, "device DB: cannot store the %s: %s", what,
					sqlite3_errmsg(db->h));
		else
			added += sqlite3_changes(db->h) == 1;
	}
	sqlite3_finalize(s);
	if (st == XS_OK)
		st = fdb_exec(db, own ? "COMMIT" : "RELEASE fdb_batch");
	if (st != XS_OK) {
		batch_undo(db, own);
		return st;
	}
	*stored = added;
	return XS_OK;
}

struct subnet_batch {
	int64_t run_id;
	const struct fdb_key *keys;
	const int64_t *subnet_ids;
	const struct fdb_subnet_result *rows;
};

static void bind_subnet_row(sqlite3_stmt *s, const void *ctx, size_t row)
{
	const struct subnet_batch *b = ctx;
	const struct fdb_key *k = &b->keys[row];
	const struct fdb_subnet_result *r = &b->rows[row];
	int i = 0;
	sqlite3_bind_int64(s, ++i, b->run_id);
	sqlite3_bind_int64(s, ++i, k->device_id);
	sqlite3_bind_int64(s, ++i, b->subnet_ids[row]);
	FDB_KEY_COLUMNS(BIND_KEY)
	FDB_SUBNET_RESULT_COLUMNS(BIND_ROW)
}

struct kernel_batch {
	int64_t run_id, supernet_id;
	const struct fdb_key *keys;
	const struct fdb_kernel_result *rows;
};

static void bind_kernel_row(sqlite3_stmt *s, const void *ctx, size_t row)
{
	const struct kernel_batch *b = ctx;
	const struct fdb_key *k = &b->keys[row];
	const struct fdb_kernel_result *r = &b->rows[row];
	int i = 0;
	sqlite3_bind_int64(s, ++i, b->run_id);
	sqlite3_bind_int64(s, ++i, k->device_id);
	sqlite3_bind_int64(s, ++i, b->supernet_id);
	FDB_KEY_COLUMNS(BIND_KEY)
	FDB_KERNEL_RESULT_COLUMNS(BIND_ROW)
}

enum xs_status fdb_subnet_results_insert(struct fdb *db, int64_t run_id,
					 const struct fdb_key *keys, const int64_t *subnet_ids,
					 const struct fdb_subnet_result *rows, size_t n,
					 size_t *stored)
{
	*stored = 0;
	for (size_t i = 0; i < n; i++)
		if (!fdb_key_ok(&keys[i]))
			return fdb_seterr(db, XS_EINVAL,
					  "device DB: a result without its full key");
	const struct subnet_batch b = {run_id, keys, subnet_ids, rows};
	return batch_insert(db, subnet_insert_sql, "sub-net result", bind_subnet_row, &b, n,
			    stored);
}

enum xs_status fdb_kernel_results_insert(struct fdb *db, int64_t run_id, int64_t supernet_id,
					 const struct fdb_key *keys,
					 const struct fdb_kernel_result *rows, size_t n,
					 size_t *stored)
{
	*stored = 0;
	for (size_t i = 0; i < n; i++)
		if (!fdb_key_ok(&keys[i]) || rows[i].piece == NULL)
			return fdb_seterr(db, XS_EINVAL,
					  "device DB: a kernel result without its full key");
	const struct kernel_batch b = {run_id, supernet_id, keys, rows};
	return batch_insert(db, kernel_insert_sql, "kernel result", bind_kernel_row, &b, n,
			    stored);
}

enum xs_status fdb_subnet_result_insert(struct fdb *db, int64_t run_id,
					const struct fdb_key *k, int64_t subnet_id,
					const struct fdb_subnet_result *r, bool *stored)
{
	size_t n = 0;
	enum xs_status st = fdb_subnet_results_insert(db, run_id, k, &subnet_id, r, 1, &n);
	if (st == XS_OK && stored)
		*stored = n == 1;
	return st;
}

enum xs_status fdb_kernel_result_insert(struct fdb *db, int64_t run_id,
					const struct fdb_key *k, int64_t supernet_id,
					const struct fdb_kernel_result *r, bool *stored)
{
	size_t n = 0;
	enum xs_status st = fdb_kernel_results_insert(db, run_id, supernet_id, k, r, 1, &n);
	if (st == XS_OK && stored)
		*stored = n == 1;
	return st;
}
