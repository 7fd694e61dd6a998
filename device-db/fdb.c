/* fdb.c - the device DB's handle (fdb.h): open (pragmas, quick_check, the
 * schema's forward-only migrations), close, the error message, batches
 * (BEGIN IMMEDIATE ... COMMIT), and the statement helpers the other files
 * share (fdb-internal.h). Writes are in fdb-write.c, reads in fdb-query.c,
 * merge and export in fdb-merge.c. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fdb.h"
#include "fdb-internal.h"

/* Migration N takes the schema from version N - 1 to N. Append only: a
 * shipped migration never changes. */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE devices ("
	"  id INTEGER PRIMARY KEY,"
	"  transport TEXT NOT NULL, serial TEXT NOT NULL, fingerprint TEXT NOT NULL,"
	"  model TEXT, manufacturer TEXT, soc TEXT, abi TEXT, os TEXT,"
	"  cpus INTEGER, clusters TEXT, ram_bytes INTEGER,"
	"  emulated INTEGER NOT NULL DEFAULT 0, simulated INTEGER NOT NULL DEFAULT 0,"
	"  probe TEXT, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,"
	"  UNIQUE (transport, serial, fingerprint));"
	"CREATE TABLE supernets ("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,"
	"  space TEXT NOT NULL, added TEXT NOT NULL);"
	"CREATE TABLE subnets ("
	"  id INTEGER PRIMARY KEY,"
	"  supernet_id INTEGER NOT NULL REFERENCES supernets(id) ON DELETE CASCADE,"
	"  arch TEXT NOT NULL, macs INTEGER NOT NULL, params INTEGER NOT NULL,"
	"  val_top1 REAL, test_top1 REAL,"
	"  UNIQUE (supernet_id, arch));"
	"CREATE TABLE sweeps ("
	"  id INTEGER PRIMARY KEY, started TEXT NOT NULL, ended TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('running','done','incomplete','failed')),"
	"  config TEXT NOT NULL);"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
	"  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	"  started TEXT NOT NULL, ended TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('running','done','incomplete','failed')),"
	"  error TEXT, conditions TEXT,"
	"  UNIQUE (sweep_id, device_id));"
	"CREATE TABLE kernel_results ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	"  supernet_id INTEGER NOT NULL REFERENCES supernets(id) ON DELETE CASCADE,"
	"  piece TEXT NOT NULL, stage INTEGER NOT NULL, first INTEGER NOT NULL,"
	"  res INTEGER NOT NULL, cin INTEGER NOT NULL, cout INTEGER NOT NULL,"
	"  expand INTEGER NOT NULL, kernel INTEGER NOT NULL, stride INTEGER NOT NULL,"
	"  precision TEXT NOT NULL, threads INTEGER NOT NULL, cores TEXT NOT NULL,"
	"  agent_version TEXT NOT NULL, macs INTEGER,"
	"  n INTEGER, median_ms REAL, mean_ms REAL, cv REAL, rcv REAL, p90_ms REAL,"
	"  min_ms REAL, flags TEXT,"
	"  UNIQUE (device_id, supernet_id, piece, stage, first, res, expand, kernel,"
	"          precision, threads, cores, agent_version));"
	"CREATE TABLE subnet_results ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	"  subnet_id INTEGER NOT NULL REFERENCES subnets(id) ON DELETE CASCADE,"
	"  precision TEXT NOT NULL, threads INTEGER NOT NULL, cores TEXT NOT NULL,"
	"  agent_version TEXT NOT NULL, status TEXT NOT NULL, flags TEXT,"
	"  n INTEGER, median_ms REAL, mean_ms REAL, stdev_ms REAL, cv REAL, rcv REAL,"
	"  min_ms REAL, max_ms REAL, p90_ms REAL, p99_ms REAL, cold_ms REAL,"
	"  build_ms REAL, arena_bytes INTEGER, weight_bytes INTEGER,"
	"  peak_rss_delta_bytes INTEGER, rss_method TEXT, eval_images INTEGER,"
	"  top1 REAL, max_logit_diff REAL, xnm_sha256 TEXT, pinned TEXT,"
	"  temp_before_c REAL, temp_after_c REAL, freq_before REAL, freq_after REAL,"
	"  error TEXT,"
	"  UNIQUE (device_id, subnet_id, precision, threads, cores, agent_version));"
	"CREATE TABLE manifests ("
	"  id INTEGER PRIMARY KEY,"
	"  supernet_id INTEGER NOT NULL REFERENCES supernets(id) ON DELETE CASCADE,"
	"  created TEXT NOT NULL, budget TEXT NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX subnet_results_by_subnet ON subnet_results(subnet_id);"
	"CREATE INDEX kernel_results_by_device ON kernel_results(device_id, supernet_id);",
	/* 2: the host's reference logits per sub-net (CSV rows image,v0,v1,...) */
	"ALTER TABLE subnets ADD COLUMN ref_logits TEXT;",
	/* 3: the same reference in the other precisions (int8): f32's stays in
	 * subnets */
	"CREATE TABLE subnet_accuracy ("
	"  subnet_id INTEGER NOT NULL REFERENCES subnets(id) ON DELETE CASCADE,"
	"  precision TEXT NOT NULL CHECK (precision <> 'f32'),"
	"  val_top1 REAL, test_top1 REAL, ref_logits TEXT,"
	"  PRIMARY KEY (subnet_id, precision));",
	/* 4: the measurement protocol's batch (runs per sample) and the 95%
	 * bootstrap intervals of the median and p90 */
	"ALTER TABLE subnet_results ADD COLUMN batch INTEGER;"
	"ALTER TABLE subnet_results ADD COLUMN median_lo_ms REAL;"
	"ALTER TABLE subnet_results ADD COLUMN median_hi_ms REAL;"
	"ALTER TABLE subnet_results ADD COLUMN p90_lo_ms REAL;"
	"ALTER TABLE subnet_results ADD COLUMN p90_hi_ms REAL;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(NMIGRATIONS == FDB_SCHEMA_VERSION, "one migration per schema version");

enum xs_status fdb_seterr(struct fdb *db, enum xs_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->msg, sizeof(db->msg), fmt, ap);
	va_end(ap);
	return st;
}

enum xs_status fdb_exec(struct fdb *db, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db->h, sql, NULL, NULL, &e) != SQLITE_OK) {
		enum xs_status st = fdb_seterr(db, XS_EIO, "device DB: %s",
					       e ? e : sqlite3_errmsg(db->h));
		sqlite3_free(e);
		return st;
	}
	return XS_OK;
}

enum xs_status fdb_prepare_write(struct fdb *db, const char *sql, sqlite3_stmt **s)
{
	if (db->mode != FDB_WRITE)
		return fdb_seterr(db, XS_EINVAL, "device DB: opened for reading");
	if (sqlite3_prepare_v2(db->h, sql, -1, s, NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	return XS_OK;
}

sqlite3_stmt *fdb_query(struct fdb *db, const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK) {
		fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
		return NULL;
	}
	return s;
}

enum xs_status fdb_query_end(struct fdb *db, sqlite3_stmt *s, int rc)
{
	enum xs_status st = rc == SQLITE_DONE ? XS_OK
			    : fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(s);
	return st;
}

enum xs_status fdb_step_done(struct fdb *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	enum xs_status st = XS_OK;
	if (rc != SQLITE_DONE)
		st = fdb_seterr(db, XS_EIO, "device DB: cannot %s: %s", what, sqlite3_errmsg(db->h));
	sqlite3_finalize(s);
	return st;
}

void fdb_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

bool fdb_key_ok(const struct fdb_key *k)
{
	return k->precision && k->cores && k->agent_version && k->threads > 0;
}

void fdb_bind_key(sqlite3_stmt *s, const struct fdb_key *k, int64_t other_id)
{
	sqlite3_bind_int64(s, 1, k->device_id);
	sqlite3_bind_int64(s, 2, other_id);
	fdb_bind_text(s, 3, k->precision);
	sqlite3_bind_int(s, 4, k->threads);
	fdb_bind_text(s, 5, k->cores);
	fdb_bind_text(s, 6, k->agent_version);
}

int64_t fdb_table_count(struct fdb *db, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

const char *fdb_errmsg(const struct fdb *db) { return db->msg; }
int fdb_schema_version(const struct fdb *db) { return db->version; }

void fdb_close(struct fdb *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->h);
	free(db);
}

enum xs_status fdb_begin(struct fdb *db) { return fdb_exec(db, "BEGIN IMMEDIATE"); }
enum xs_status fdb_commit(struct fdb *db) { return fdb_exec(db, "COMMIT"); }
void fdb_rollback(struct fdb *db) { sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL); }

static enum xs_status migrate(struct fdb *db)
{
	if (db->version > FDB_SCHEMA_VERSION)
		return fdb_seterr(db, XS_EVERSION,
				  "device DB: schema version %d is newer than this program's %d: "
				  "use a newer xnn-fleet to write to it (reading works)",
				  db->version, FDB_SCHEMA_VERSION);
	for (int v = db->version; v < FDB_SCHEMA_VERSION; v++) {
		enum xs_status st = fdb_begin(db);
		if (st != XS_OK)
			return st;
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if ((st = fdb_exec(db, migrations[v])) != XS_OK ||
		    (st = fdb_exec(db, pragma)) != XS_OK) {
			fdb_rollback(db);
			return st;
		}
		if ((st = fdb_commit(db)) != XS_OK)
			return st;
		db->version = v + 1;
	}
	return XS_OK;
}

/* Reads the schema version (the first read: a file that is not a database
 * fails here) and runs PRAGMA quick_check. */
static enum xs_status check_file(struct fdb *db, const char *path)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		enum xs_status st = fdb_seterr(db, XS_EFORMAT, "'%s' is not a device DB: %s", path,
					       sqlite3_errmsg(db->h));
		sqlite3_finalize(s);
		return st;
	}
	db->version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	const char *res = NULL;
	if (sqlite3_prepare_v2(db->h, "PRAGMA quick_check", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		res = (const char *)sqlite3_column_text(s, 0);
	enum xs_status st = XS_OK;
	if (res == NULL || strcmp(res, "ok") != 0)
		st = fdb_seterr(db, XS_EFORMAT, "'%s' is damaged (quick_check: %.200s): "
				"restore it from a copy", path, res ? res : sqlite3_errmsg(db->h));
	sqlite3_finalize(s);
	return st;
}

enum xs_status fdb_open(const char *path, enum fdb_mode mode, struct fdb **out,
			char *msg, size_t msg_n)
{
	*out = NULL;
	struct fdb *db = calloc(1, sizeof(*db));
	if (db == NULL) {
		if (msg)
			snprintf(msg, msg_n, "device DB: out of memory");
		return XS_ENOMEM;
	}
	bool must_exist = mode != FDB_WRITE;
	if (mode == FDB_UPDATE)
		mode = FDB_WRITE;
	db->mode = mode;
	enum xs_status st = XS_OK;
	int flags = mode == FDB_READ ? SQLITE_OPEN_READONLY
				     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	struct stat sb;
	if (must_exist && stat(path, &sb) != 0) {
		st = fdb_seterr(db, XS_EIO, "cannot open '%s': no such file (make one with "
				"'xnn-fleet sweep')", path);
		goto out_fail;
	}
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		st = fdb_seterr(db, XS_EIO, "cannot open '%s': %s", path,
				db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto out_fail;
	}
	sqlite3_busy_timeout(db->h, 10000);
	sqlite3_extended_result_codes(db->h, 1);
	if ((st = check_file(db, path)) != XS_OK ||
	    (st = fdb_exec(db, "PRAGMA foreign_keys = ON")) != XS_OK)
		goto out_fail;
	if (mode == FDB_WRITE) {
		if ((st = fdb_exec(db, "PRAGMA journal_mode = WAL")) != XS_OK ||
		    (st = fdb_exec(db, "PRAGMA synchronous = NORMAL")) != XS_OK ||
		    (st = migrate(db)) != XS_OK)
			goto out_fail;
	}
	*out = db;
	return XS_OK;
out_fail:
	if (msg)
		snprintf(msg, msg_n, "%s", db->msg);
	fdb_close(db);
	return st;
}
