/* fdb.c - the device DB (fdb.h): open, pragmas, migrations, batches, and the
 * identity rows (devices, supernets, sub-nets). */
#include <sqlite3.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fdb.h"

struct fdb {
	sqlite3 *h;
	enum fdb_mode mode;
	int version;
	char msg[512];
};

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
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(NMIGRATIONS == FDB_SCHEMA_VERSION, "one migration per schema version");

static enum xs_status seterr(struct fdb *db, enum xs_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum xs_status seterr(struct fdb *db, enum xs_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->msg, sizeof(db->msg), fmt, ap);
	va_end(ap);
	return st;
}

/* Runs SQL without results; XS_EIO with SQLite's message on failure. */
static enum xs_status exec(struct fdb *db, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db->h, sql, NULL, NULL, &e) != SQLITE_OK) {
		enum xs_status st = seterr(db, XS_EIO, "device DB: %s", e ? e : sqlite3_errmsg(db->h));
		sqlite3_free(e);
		return st;
	}
	return XS_OK;
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

enum xs_status fdb_begin(struct fdb *db) { return exec(db, "BEGIN IMMEDIATE"); }
enum xs_status fdb_commit(struct fdb *db) { return exec(db, "COMMIT"); }
void fdb_rollback(struct fdb *db) { sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL); }

static enum xs_status migrate(struct fdb *db)
{
	if (db->version > FDB_SCHEMA_VERSION)
		return seterr(db, XS_EVERSION,
			      "device DB: schema version %d is newer than this program's %d: "
			      "use a newer xnn-fleet to write to it (reading works)",
			      db->version, FDB_SCHEMA_VERSION);
	for (int v = db->version; v < FDB_SCHEMA_VERSION; v++) {
		enum xs_status st = fdb_begin(db);
		if (st != XS_OK)
			return st;
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if ((st = exec(db, migrations[v])) != XS_OK || (st = exec(db, pragma)) != XS_OK) {
			fdb_rollback(db);
			return st;
		}
		if ((st = fdb_commit(db)) != XS_OK)
			return st;
		db->version = v + 1;
	}
	return XS_OK;
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
	db->mode = mode;
	enum xs_status st = XS_OK;
	int flags = mode == FDB_READ ? SQLITE_OPEN_READONLY
				     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	struct stat sb;
	if (mode == FDB_READ && stat(path, &sb) != 0) {
		st = seterr(db, XS_EIO, "cannot open '%s': no such file (make one with "
			    "'xnn-fleet sweep')", path);
		goto out_fail;
	}
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		st = seterr(db, XS_EIO, "cannot open '%s': %s", path,
			    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto out_fail;
	}
	sqlite3_busy_timeout(db->h, 10000);
	sqlite3_extended_result_codes(db->h, 1);
	/* Reading the schema version is the first read: a file that is not a
	 * database fails here. */
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		st = seterr(db, XS_EFORMAT, "'%s' is not a device DB: %s", path,
			    sqlite3_errmsg(db->h));
		if (s)
			sqlite3_finalize(s);
		goto out_fail;
	}
	db->version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	{
		sqlite3_stmt *q;
		const char *res = NULL;
		if (sqlite3_prepare_v2(db->h, "PRAGMA quick_check", -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			res = (const char *)sqlite3_column_text(q, 0);
		if (res == NULL || strcmp(res, "ok") != 0) {
			st = seterr(db, XS_EFORMAT, "'%s' is damaged (quick_check: %.200s): "
				    "restore it from a copy", path, res ? res : sqlite3_errmsg(db->h));
			sqlite3_finalize(q);
			goto out_fail;
		}
		sqlite3_finalize(q);
	}
	if ((st = exec(db, "PRAGMA foreign_keys = ON")) != XS_OK)
		goto out_fail;
	if (mode == FDB_WRITE) {
		if ((st = exec(db, "PRAGMA journal_mode = WAL")) != XS_OK ||
		    (st = exec(db, "PRAGMA synchronous = NORMAL")) != XS_OK ||
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

static int64_t count(struct fdb *db, const char *table)
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

enum xs_status fdb_counts(struct fdb *db, struct fdb_counts *c)
{
	c->devices = count(db, "devices");
	c->supernets = count(db, "supernets");
	c->subnets = count(db, "subnets");
	c->sweeps = count(db, "sweeps");
	c->runs = count(db, "runs");
	c->kernel_results = count(db, "kernel_results");
	c->subnet_results = count(db, "subnet_results");
	c->manifests = count(db, "manifests");
	if (c->devices < 0)
		return seterr(db, XS_EFORMAT, "device DB: no tables (schema version %d)",
			      db->version);
	return XS_OK;
}

/* ---- identity rows -------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Runs a prepared upsert that ends "RETURNING id". */
static enum xs_status step_id(struct fdb *db, sqlite3_stmt *s, int64_t *id, const char *what)
{
	int rc = sqlite3_step(s);
	enum xs_status st = XS_OK;
	if (rc == SQLITE_ROW) {
		if (id)
			*id = sqlite3_column_int64(s, 0);
	} else {
		st = seterr(db, XS_EIO, "device DB: cannot store the %s: %s", what,
			    sqlite3_errmsg(db->h));
	}
	sqlite3_finalize(s);
	return st;
}

static enum xs_status prepare(struct fdb *db, const char *sql, sqlite3_stmt **s)
{
	if (db->mode != FDB_WRITE)
		return seterr(db, XS_EINVAL, "device DB: opened for reading");
	if (sqlite3_prepare_v2(db->h, sql, -1, s, NULL) != SQLITE_OK)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	return XS_OK;
}

enum xs_status fdb_device_upsert(struct fdb *db, const struct fdb_device *d, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
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
	bind_text(s, 1, d->transport ? d->transport : "unknown");
	bind_text(s, 2, d->serial ? d->serial : "unknown");
	bind_text(s, 3, d->fingerprint ? d->fingerprint : "unknown");
	bind_text(s, 4, d->model);
	bind_text(s, 5, d->manufacturer);
	bind_text(s, 6, d->soc);
	bind_text(s, 7, d->abi);
	bind_text(s, 8, d->os);
	if (d->cpus > 0)
		sqlite3_bind_int(s, 9, d->cpus);
	bind_text(s, 10, d->clusters);
	if (d->ram_bytes > 0)
		sqlite3_bind_int64(s, 11, d->ram_bytes);
	sqlite3_bind_int(s, 12, d->emulated);
	sqlite3_bind_int(s, 13, d->simulated);
	bind_text(s, 14, d->probe);
	return step_id(db, s, id, "device");
}

enum xs_status fdb_supernet_upsert(struct fdb *db, const char *name, const char *sha256,
				   const char *space_text, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"INSERT INTO supernets (name, sha256, space, added)"
		" VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ'))"
		" ON CONFLICT (sha256) DO UPDATE SET name = excluded.name RETURNING id", &s);
	if (st != XS_OK)
		return st;
	bind_text(s, 1, name);
	bind_text(s, 2, sha256);
	bind_text(s, 3, space_text);
	return step_id(db, s, id, "supernet");
}

enum xs_status fdb_subnet_upsert(struct fdb *db, int64_t supernet_id, const char *arch,
				 uint64_t macs, uint64_t params, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"INSERT INTO subnets (supernet_id, arch, macs, params) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (supernet_id, arch) DO UPDATE SET macs = excluded.macs"
		" RETURNING id", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, supernet_id);
	bind_text(s, 2, arch);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)macs);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)params);
	return step_id(db, s, id, "sub-net");
}

static enum xs_status step_done(struct fdb *db, sqlite3_stmt *s, const char *what);

static bool is_f32(const char *precision)
{
	return precision == NULL || strcmp(precision, "f32") == 0;
}

enum xs_status fdb_subnet_reference(struct fdb *db, int64_t subnet_id, const char *precision,
				    double *test_top1, double *val_top1, char **ref_logits)
{
	sqlite3_stmt *s;
	*test_top1 = *val_top1 = NAN;
	*ref_logits = NULL;
	if (sqlite3_prepare_v2(db->h, is_f32(precision)
			       ? "SELECT test_top1, ref_logits, val_top1 FROM subnets WHERE id = ?1"
			       : "SELECT test_top1, ref_logits, val_top1 FROM subnet_accuracy"
				 " WHERE subnet_id = ?1 AND precision = ?2", -1, &s, NULL) != SQLITE_OK)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	sqlite3_bind_int64(s, 1, subnet_id);
	if (!is_f32(precision))
		bind_text(s, 2, precision);
	int rc = sqlite3_step(s);
	enum xs_status st = XS_OK;
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*test_top1 = sqlite3_column_double(s, 0);
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			*val_top1 = sqlite3_column_double(s, 2);
		const unsigned char *t = sqlite3_column_text(s, 1);
		if (t && (*ref_logits = strdup((const char *)t)) == NULL)
			st = seterr(db, XS_ENOMEM, "device DB: out of memory");
	} else if (rc != SQLITE_DONE) {
		st = seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	}
	sqlite3_finalize(s);
	return st;
}

enum xs_status fdb_subnet_reference_set(struct fdb *db, int64_t subnet_id, const char *precision,
					double test_top1, double val_top1, const char *ref_logits)
{
	sqlite3_stmt *s;
	enum xs_status st = prepare(db, is_f32(precision)
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
	bind_text(s, 3, ref_logits);
	if (!is_f32(precision))
		bind_text(s, 5, precision);
	return step_done(db, s, "sub-net reference");
}

enum xs_status fdb_subnet_val_set(struct fdb *db, int64_t subnet_id, const char *precision,
				  double val_top1)
{
	sqlite3_stmt *s;
	enum xs_status st = prepare(db, is_f32(precision)
		? "UPDATE subnets SET val_top1 = ?2 WHERE id = ?1"
		: "INSERT INTO subnet_accuracy (subnet_id, val_top1, precision) VALUES (?1, ?2, ?3)"
		  " ON CONFLICT (subnet_id, precision) DO UPDATE SET val_top1 = excluded.val_top1", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, subnet_id);
	sqlite3_bind_double(s, 2, val_top1);
	if (!is_f32(precision))
		bind_text(s, 3, precision);
	return step_done(db, s, "sub-net validation top-1");
}

enum xs_status fdb_manifest_insert(struct fdb *db, int64_t supernet_id, const char *budget,
				   const char *json, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"INSERT INTO manifests (supernet_id, created, budget, json)"
		" VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?2, ?3)", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, supernet_id);
	bind_text(s, 2, budget);
	bind_text(s, 3, json);
	st = step_done(db, s, "manifest");
	if (st == XS_OK && id)
		*id = sqlite3_last_insert_rowid(db->h);
	return st;
}

/* ---- queries ----------------------------------------------------------------------- */

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static double col_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static int64_t col_int(sqlite3_stmt *s, int i, int64_t unknown)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? unknown : sqlite3_column_int64(s, i);
}

/* Prepares a read; the statement or NULL with the message on the handle. */
static sqlite3_stmt *query(struct fdb *db, const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK) {
		seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
		return NULL;
	}
	return s;
}

/* Ends a read loop: SQLITE_DONE is fine, anything else an error. */
static enum xs_status query_end(struct fdb *db, sqlite3_stmt *s, int rc)
{
	enum xs_status st = rc == SQLITE_DONE ? XS_OK
			    : seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(s);
	return st;
}

enum xs_status fdb_supernet_find(struct fdb *db, const char *name_or_sha256, int64_t *id,
				 char sha256[65], char **space)
{
	sqlite3_stmt *s = query(db, "SELECT id, sha256, space FROM supernets WHERE sha256 = ?1 OR"
				    " name = ?1 ORDER BY sha256 = ?1 DESC, id DESC LIMIT 1");
	if (s == NULL)
		return XS_EIO;
	bind_text(s, 1, name_or_sha256);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		snprintf(sha256, 65, "%s", col_text(s, 1) ? col_text(s, 1) : "");
		enum xs_status st = XS_OK;
		if (space && (*space = strdup(col_text(s, 2) ? col_text(s, 2) : "")) == NULL)
			st = seterr(db, XS_ENOMEM, "device DB: out of memory");
		sqlite3_finalize(s);
		return st;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	return seterr(db, XS_EINVAL, "device DB: no supernet named '%s' (xnn-fleet db info lists "
		      "them)", name_or_sha256);
}

enum xs_status fdb_devices_each(struct fdb *db, fdb_device_fn fn, void *ctx)
{
	sqlite3_stmt *s = query(db, "SELECT id, transport, serial, fingerprint, model, soc, abi, os,"
				    " cpus, ram_bytes, emulated, simulated, probe FROM devices ORDER BY id");
	if (s == NULL)
		return XS_EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fdb_device_row d = {
			sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2), col_text(s, 3),
			col_text(s, 4), col_text(s, 5), col_text(s, 6), col_text(s, 7),
			(int)col_int(s, 8, 0), col_int(s, 9, 0), sqlite3_column_int(s, 10) != 0,
			sqlite3_column_int(s, 11) != 0, col_text(s, 12)};
		fn(ctx, &d);
	}
	return query_end(db, s, rc);
}

enum xs_status fdb_supernets_each(struct fdb *db, fdb_supernet_fn fn, void *ctx)
{
	sqlite3_stmt *s = query(db,
		"SELECT sn.id, sn.name, sn.sha256, sn.added,"
		" (SELECT count(*) FROM subnets su WHERE su.supernet_id = sn.id),"
		" (SELECT count(*) FROM subnet_results r JOIN subnets su ON su.id = r.subnet_id"
		"   WHERE su.supernet_id = sn.id AND r.status = 'ok'),"
		" (SELECT count(DISTINCT r.device_id) FROM subnet_results r JOIN subnets su"
		"   ON su.id = r.subnet_id WHERE su.supernet_id = sn.id AND r.status = 'ok')"
		" FROM supernets sn ORDER BY sn.id");
	if (s == NULL)
		return XS_EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fdb_supernet_row r = {sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2),
					     col_text(s, 3), col_int(s, 4, 0), col_int(s, 5, 0),
					     col_int(s, 6, 0)};
		fn(ctx, &r);
	}
	return query_end(db, s, rc);
}

enum xs_status fdb_sweeps_each(struct fdb *db, fdb_sweep_fn fn, void *ctx)
{
	sqlite3_stmt *s = query(db,
		"SELECT w.id, w.started, w.ended, w.status, w.config,"
		" (SELECT count(*) FROM runs u WHERE u.sweep_id = w.id),"
		" (SELECT count(*) FROM subnet_results r JOIN runs u ON u.id = r.run_id"
		"   WHERE u.sweep_id = w.id)"
		" FROM sweeps w ORDER BY w.id");
	if (s == NULL)
		return XS_EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fdb_sweep_row r = {sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2),
					  col_text(s, 3), col_text(s, 4), col_int(s, 5, 0),
					  col_int(s, 6, 0)};
		fn(ctx, &r);
	}
	return query_end(db, s, rc);
}

enum xs_status fdb_device_summaries_each(struct fdb *db, int64_t supernet_id, fdb_summary_fn fn,
					 void *ctx)
{
	sqlite3_stmt *s = query(db,
		"WITH res AS (SELECT r.device_id,"
		"  sum(r.status = 'ok' AND ' ' || coalesce(r.flags, '') || ' ' LIKE '% clean %') AS c,"
		"  sum(r.status = 'ok' AND ' ' || coalesce(r.flags, '') || ' ' LIKE '% throttled %') AS t,"
		"  sum(r.status = 'ok' AND ' ' || coalesce(r.flags, '') || ' ' LIKE '% noisy %') AS n,"
		"  sum(r.status <> 'ok') AS f"
		"  FROM subnet_results r JOIN subnets su ON su.id = r.subnet_id"
		"  WHERE su.supernet_id = ?1 GROUP BY r.device_id),"
		" ker AS (SELECT device_id, count(*) AS k FROM kernel_results WHERE supernet_id = ?1"
		"  GROUP BY device_id),"
		" last AS (SELECT u.device_id, u.status, u.error, u.conditions,"
		"  row_number() OVER (PARTITION BY u.device_id ORDER BY u.id DESC) AS k FROM runs u)"
		" SELECT d.id, coalesce(res.c, 0), coalesce(res.t, 0), coalesce(res.n, 0),"
		"  coalesce(res.f, 0), coalesce(ker.k, 0), l.status, l.error, l.conditions, d.last_seen"
		" FROM devices d LEFT JOIN res ON res.device_id = d.id"
		" LEFT JOIN ker ON ker.device_id = d.id"
		" LEFT JOIN last l ON l.device_id = d.id AND l.k = 1 ORDER BY d.id");
	if (s == NULL)
		return XS_EIO;
	sqlite3_bind_int64(s, 1, supernet_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fdb_device_summary r = {sqlite3_column_int64(s, 0), col_int(s, 1, 0),
					       col_int(s, 2, 0), col_int(s, 3, 0), col_int(s, 4, 0),
					       col_int(s, 5, 0), col_text(s, 6), col_text(s, 7),
					       col_text(s, 8), col_text(s, 9)};
		fn(ctx, &r);
	}
	return query_end(db, s, rc);
}

enum xs_status fdb_manifest_latest(struct fdb *db, int64_t supernet_id, char **json,
				   char **created)
{
	*json = *created = NULL;
	sqlite3_stmt *s = query(db, "SELECT json, created FROM manifests WHERE supernet_id = ?1"
				    " ORDER BY id DESC LIMIT 1");
	if (s == NULL)
		return XS_EIO;
	sqlite3_bind_int64(s, 1, supernet_id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*json = strdup(col_text(s, 0) ? col_text(s, 0) : "");
		*created = strdup(col_text(s, 1) ? col_text(s, 1) : "");
		if (*json == NULL || *created == NULL) {
			free(*json);
			free(*created);
			*json = *created = NULL;
			sqlite3_finalize(s);
			return seterr(db, XS_ENOMEM, "out of memory");
		}
		rc = SQLITE_DONE;
	}
	return query_end(db, s, rc);
}

enum xs_status fdb_subnet_results_each(struct fdb *db, int64_t supernet_id, int64_t device_id,
				       fdb_result_fn fn, void *ctx)
{
	/* two statements: "(?2 < 0 OR r.device_id = ?2)" would keep SQLite off the
	 * device index (a scan of every row per device) */
	char sql[1024];
	snprintf(sql, sizeof(sql),
		"SELECT r.device_id, r.subnet_id, su.arch, r.precision, r.cores, r.agent_version,"
		" r.flags, r.xnm_sha256, r.threads, su.macs, su.params, r.n, r.arena_bytes,"
		" r.weight_bytes, r.peak_rss_delta_bytes, r.median_ms, r.p90_ms, r.p99_ms, r.top1,"
		" CASE r.precision WHEN 'f32' THEN su.test_top1 ELSE a.test_top1 END,"
		" r.max_logit_diff"
		" FROM subnet_results r JOIN subnets su ON su.id = r.subnet_id"
		" LEFT JOIN subnet_accuracy a ON a.subnet_id = r.subnet_id AND"
		"  a.precision = r.precision"
		" WHERE su.supernet_id = ?1 AND %s AND r.status = 'ok'"
		" ORDER BY r.device_id, r.subnet_id, r.precision, r.threads",
		 device_id >= 0 ? "r.device_id = ?2" : "?2 < 0");
	sqlite3_stmt *s = query(db, sql);
	if (s == NULL)
		return XS_EIO;
	sqlite3_bind_int64(s, 1, supernet_id);
	sqlite3_bind_int64(s, 2, device_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fdb_result_row r = {
			sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), col_text(s, 2),
			col_text(s, 3), col_text(s, 4), col_text(s, 5), col_text(s, 6), col_text(s, 7),
			(int)col_int(s, 8, 0), col_int(s, 9, -1), col_int(s, 10, -1), col_int(s, 11, -1),
			col_int(s, 12, -1), col_int(s, 13, -1), col_int(s, 14, INT64_MIN),
			col_real(s, 15), col_real(s, 16), col_real(s, 17), col_real(s, 18),
			col_real(s, 19), col_real(s, 20)};
		fn(ctx, &r);
	}
	return query_end(db, s, rc);
}

enum xs_status fdb_kernel_results_each(struct fdb *db, int64_t supernet_id, int64_t device_id,
				       fdb_kernel_fn fn, void *ctx)
{
	char sql[512];  /* no OR on ?2: see fdb_subnet_results_each */
	snprintf(sql, sizeof(sql),
		"SELECT device_id, piece, precision, flags, stage, first, res, cin, cout, expand,"
		" kernel, stride, threads, macs, median_ms, p90_ms FROM kernel_results"
		" WHERE supernet_id = ?1 AND %s"
		" ORDER BY device_id, threads, id",
		 device_id >= 0 ? "device_id = ?2" : "?2 < 0");
	sqlite3_stmt *s = query(db, sql);
	if (s == NULL)
		return XS_EIO;
	sqlite3_bind_int64(s, 1, supernet_id);
	sqlite3_bind_int64(s, 2, device_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fdb_kernel_row k = {
			sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2), col_text(s, 3),
			(int)col_int(s, 4, 0), (int)col_int(s, 5, 0), (int)col_int(s, 6, 0),
			(int)col_int(s, 7, 0), (int)col_int(s, 8, 0), (int)col_int(s, 9, 0),
			(int)col_int(s, 10, 0), (int)col_int(s, 11, 0), (int)col_int(s, 12, 0),
			col_int(s, 13, -1), col_real(s, 14), col_real(s, 15)};
		fn(ctx, &k);
	}
	return query_end(db, s, rc);
}

/* ---- sweeps, runs, results ------------------------------------------------------ */

static bool valid_status(const char *s)
{
	return s && (strcmp(s, "running") == 0 || strcmp(s, "done") == 0 ||
		     strcmp(s, "incomplete") == 0 || strcmp(s, "failed") == 0);
}

/* Runs a prepared statement that returns no row. */
static enum xs_status step_done(struct fdb *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return seterr(db, XS_EIO, "device DB: cannot %s: %s", what, sqlite3_errmsg(db->h));
	return XS_OK;
}

enum xs_status fdb_sweep_begin(struct fdb *db, const char *config, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"INSERT INTO sweeps (started, status, config)"
		" VALUES (strftime('%Y-%m-%dT%H:%M:%SZ'), 'running', ?1) RETURNING id", &s);
	if (st != XS_OK)
		return st;
	bind_text(s, 1, config ? config : "");
	return step_id(db, s, id, "sweep");
}

enum xs_status fdb_sweep_end(struct fdb *db, int64_t sweep_id, const char *status)
{
	if (!valid_status(status))
		return seterr(db, XS_EINVAL, "device DB: bad sweep status '%s'", status ? status : "");
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"UPDATE sweeps SET status = ?2, ended = strftime('%Y-%m-%dT%H:%M:%SZ')"
		" WHERE id = ?1", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, sweep_id);
	bind_text(s, 2, status);
	return step_done(db, s, "end the sweep");
}

enum xs_status fdb_run_begin(struct fdb *db, int64_t sweep_id, int64_t device_id, int64_t *id)
{
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"INSERT INTO runs (sweep_id, device_id, started, status)"
		" VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ'), 'running')"
		" ON CONFLICT (sweep_id, device_id) DO UPDATE SET status = 'running', ended = NULL"
		" RETURNING id", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, sweep_id);
	sqlite3_bind_int64(s, 2, device_id);
	return step_id(db, s, id, "run");
}

enum xs_status fdb_run_end(struct fdb *db, int64_t run_id, const char *status,
			   const char *error, const char *conditions)
{
	if (!valid_status(status))
		return seterr(db, XS_EINVAL, "device DB: bad run status '%s'", status ? status : "");
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"UPDATE runs SET status = ?2, error = ?3, conditions = ?4,"
		" ended = strftime('%Y-%m-%dT%H:%M:%SZ') WHERE id = ?1", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, run_id);
	bind_text(s, 2, status);
	bind_text(s, 3, error);
	bind_text(s, 4, conditions);
	return step_done(db, s, "end the run");
}

static void bind_real(sqlite3_stmt *s, int i, double v)
{
	if (v == v)
		sqlite3_bind_double(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static void bind_count(sqlite3_stmt *s, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

/* Binds ?1 device, ?2 the other id, ?3 precision, ?4 threads, ?5 cores,
 * ?6 agent version: the lookups by measurement key. */
static void bind_key(sqlite3_stmt *s, const struct fdb_key *k, int64_t other_id)
{
	sqlite3_bind_int64(s, 1, k->device_id);
	sqlite3_bind_int64(s, 2, other_id);
	bind_text(s, 3, k->precision);
	sqlite3_bind_int(s, 4, k->threads);
	bind_text(s, 5, k->cores);
	bind_text(s, 6, k->agent_version);
}

static bool key_ok(const struct fdb_key *k)
{
	return k->precision && k->cores && k->agent_version && k->threads > 0;
}

enum xs_status fdb_subnet_result_insert(struct fdb *db, int64_t run_id,
					const struct fdb_key *k, int64_t subnet_id,
					const struct fdb_subnet_result *r, bool *stored)
{
	if (!key_ok(k))
		return seterr(db, XS_EINVAL, "device DB: a result without its full key");
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"INSERT INTO subnet_results (run_id, device_id, subnet_id, precision, threads,"
		"  cores, agent_version, status, flags, n, median_ms, mean_ms, stdev_ms, cv,"
		"  min_ms, max_ms, p90_ms, p99_ms, cold_ms, build_ms, arena_bytes, weight_bytes,"
		"  peak_rss_delta_bytes, rss_method, eval_images, top1, max_logit_diff,"
		"  xnm_sha256, pinned, temp_before_c, temp_after_c, freq_before, freq_after, error,"
		"  rcv)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		"  ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31,"
		"  ?32, ?33, ?34, ?35)"
		" ON CONFLICT (device_id, subnet_id, precision, threads, cores, agent_version)"
		" DO NOTHING", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, k->device_id);
	sqlite3_bind_int64(s, 3, subnet_id);
	bind_text(s, 4, k->precision);
	sqlite3_bind_int(s, 5, k->threads);
	bind_text(s, 6, k->cores);
	bind_text(s, 7, k->agent_version);
	bind_text(s, 8, r->status ? r->status : "ok");
	bind_text(s, 9, r->flags);
	bind_count(s, 10, r->n);
	const double reals[] = {r->median_ms, r->mean_ms, r->stdev_ms, r->cv, r->min_ms,
				r->max_ms, r->p90_ms, r->p99_ms, r->cold_ms, r->build_ms};
	for (int i = 0; i < 10; i++)
		bind_real(s, 11 + i, reals[i]);
	bind_count(s, 21, r->arena_bytes);
	bind_count(s, 22, r->weight_bytes);
	if (r->peak_rss_delta_bytes != INT64_MIN)
		sqlite3_bind_int64(s, 23, r->peak_rss_delta_bytes);
	bind_text(s, 24, r->rss_method);
	bind_count(s, 25, r->eval_images);
	bind_real(s, 26, r->top1);
	bind_real(s, 27, r->max_logit_diff);
	bind_text(s, 28, r->xnm_sha256);
	bind_text(s, 29, r->pinned);
	bind_real(s, 30, r->temp_before_c);
	bind_real(s, 31, r->temp_after_c);
	bind_real(s, 32, r->freq_before);
	bind_real(s, 33, r->freq_after);
	bind_text(s, 34, r->error);
	bind_real(s, 35, r->rcv);
	st = step_done(db, s, "store the sub-net result");
	if (st == XS_OK && stored)
		*stored = sqlite3_changes(db->h) == 1;
	return st;
}

enum xs_status fdb_subnet_result_exists(struct fdb *db, const struct fdb_key *k,
					int64_t subnet_id, bool *exists)
{
	if (!key_ok(k))
		return seterr(db, XS_EINVAL, "device DB: a lookup without the full key");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h,
		"SELECT 1 FROM subnet_results WHERE device_id = ?1 AND subnet_id = ?2 AND"
		" precision = ?3 AND threads = ?4 AND cores = ?5 AND agent_version = ?6 AND"
		" status = 'ok'", -1, &s, NULL) != SQLITE_OK)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	bind_key(s, k, subnet_id);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	*exists = rc == SQLITE_ROW;
	return XS_OK;
}

enum xs_status fdb_kernel_result_insert(struct fdb *db, int64_t run_id,
					const struct fdb_key *k, int64_t supernet_id,
					const struct fdb_kernel_result *r, bool *stored)
{
	if (!key_ok(k) || r->piece == NULL)
		return seterr(db, XS_EINVAL, "device DB: a kernel result without its full key");
	sqlite3_stmt *s;
	enum xs_status st = prepare(db,
		"INSERT INTO kernel_results (run_id, device_id, supernet_id, piece, stage, first,"
		"  res, cin, cout, expand, kernel, stride, precision, threads, cores,"
		"  agent_version, macs, n, median_ms, mean_ms, cv, p90_ms, min_ms, flags, rcv)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		"  ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)"
		" ON CONFLICT DO NOTHING", &s);
	if (st != XS_OK)
		return st;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, k->device_id);
	sqlite3_bind_int64(s, 3, supernet_id);
	bind_text(s, 4, r->piece);
	const int ints[] = {r->stage, r->first, r->res, r->cin, r->cout, r->expand, r->kernel,
			    r->stride};
	for (int i = 0; i < 8; i++)
		sqlite3_bind_int(s, 5 + i, ints[i]);
	bind_text(s, 13, k->precision);
	sqlite3_bind_int(s, 14, k->threads);
	bind_text(s, 15, k->cores);
	bind_text(s, 16, k->agent_version);
	bind_count(s, 17, r->macs);
	bind_count(s, 18, r->n);
	bind_real(s, 19, r->median_ms);
	bind_real(s, 20, r->mean_ms);
	bind_real(s, 21, r->cv);
	bind_real(s, 22, r->p90_ms);
	bind_real(s, 23, r->min_ms);
	bind_text(s, 24, r->flags);
	bind_real(s, 25, r->rcv);
	st = step_done(db, s, "store the kernel result");
	if (st == XS_OK && stored)
		*stored = sqlite3_changes(db->h) == 1;
	return st;
}

/* A CSV field: quoted when it holds a comma, quote, CR or LF. */
static void csv_field(FILE *f, const char *v, bool first)
{
	if (!first)
		fputc(',', f);
	if (v == NULL)
		return;
	if (strpbrk(v, ",\"\r\n") == NULL && v[0] != ' ') {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

enum xs_status fdb_export_csv(struct fdb *db, FILE *out, int64_t *rows)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h,
		"SELECT d.id AS device_id, d.transport, d.serial, d.model, d.soc, d.abi,"
		"  d.emulated, d.simulated, sn.name AS supernet, su.arch, su.macs,"
		"  r.precision, r.threads, r.cores, r.agent_version, r.status, r.flags, r.n,"
		"  r.median_ms, r.mean_ms, r.stdev_ms, r.cv, r.rcv, r.min_ms, r.max_ms, r.p90_ms,"
		"  r.p99_ms, r.cold_ms, r.build_ms, r.arena_bytes, r.weight_bytes,"
		"  r.peak_rss_delta_bytes, r.rss_method, r.eval_images, r.top1,"
		"  r.max_logit_diff, r.xnm_sha256, r.pinned, r.temp_before_c, r.temp_after_c,"
		"  r.freq_before, r.freq_after, r.error"
		" FROM subnet_results r JOIN devices d ON d.id = r.device_id"
		" JOIN subnets su ON su.id = r.subnet_id JOIN supernets sn ON sn.id = su.supernet_id"
		" ORDER BY d.id, su.macs, su.arch, r.precision, r.threads", -1, &s, NULL) != SQLITE_OK)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	const int ncol = sqlite3_column_count(s);
	for (int i = 0; i < ncol; i++)
		csv_field(out, sqlite3_column_name(s, i), i == 0);
	fputc('\n', out);
	int64_t n = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++)
			csv_field(out, (const char *)sqlite3_column_text(s, i), i == 0);
		fputc('\n', out);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return seterr(db, XS_EIO, "device DB: export: %s", sqlite3_errmsg(db->h));
	if (ferror(out))
		return seterr(db, XS_EIO, "device DB: export: write error");
	*rows = n;
	return XS_OK;
}

/* The merge, step by step, inside one transaction; "o" is the other file.
 * Temporary maps old id -> new id join each table to the next. */
static const char *const merge_steps[] = {
	"INSERT INTO devices (transport, serial, fingerprint, model, manufacturer, soc, abi,"
	"  os, cpus, clusters, ram_bytes, emulated, simulated, probe, first_seen, last_seen)"
	" SELECT transport, serial, fingerprint, model, manufacturer, soc, abi, os, cpus,"
	"  clusters, ram_bytes, emulated, simulated, probe, first_seen, last_seen"
	" FROM o.devices WHERE true"
	" ON CONFLICT (transport, serial, fingerprint) DO UPDATE SET"
	"  last_seen = max(last_seen, excluded.last_seen),"
	"  first_seen = min(first_seen, excluded.first_seen)",
	"CREATE TEMP TABLE map_dev AS SELECT od.id AS old, d.id AS new FROM o.devices od"
	" JOIN main.devices d USING (transport, serial, fingerprint)",
	"INSERT INTO supernets (name, sha256, space, added)"
	" SELECT name, sha256, space, added FROM o.supernets WHERE true"
	" ON CONFLICT (sha256) DO NOTHING",
	"CREATE TEMP TABLE map_sn AS SELECT os.id AS old, s.id AS new FROM o.supernets os"
	" JOIN main.supernets s USING (sha256)",
	"INSERT INTO subnets (supernet_id, arch, macs, params, val_top1, test_top1, ref_logits)"
	" SELECT m.new, su.arch, su.macs, su.params, su.val_top1, su.test_top1, su.ref_logits"
	" FROM o.subnets su JOIN map_sn m ON m.old = su.supernet_id WHERE true"
	" ON CONFLICT (supernet_id, arch) DO UPDATE SET"
	"  val_top1 = coalesce(val_top1, excluded.val_top1),"
	"  test_top1 = coalesce(test_top1, excluded.test_top1),"
	"  ref_logits = coalesce(ref_logits, excluded.ref_logits)",
	"CREATE TEMP TABLE map_sub AS SELECT osu.id AS old, su.id AS new FROM o.subnets osu"
	" JOIN map_sn m ON m.old = osu.supernet_id"
	" JOIN main.subnets su ON su.supernet_id = m.new AND su.arch = osu.arch",
	"INSERT INTO sweeps (started, ended, status, config)"
	" SELECT started, ended, status, config FROM o.sweeps osw WHERE NOT EXISTS"
	"  (SELECT 1 FROM main.sweeps w WHERE w.started = osw.started AND w.config = osw.config)",
	"INSERT INTO subnet_accuracy (subnet_id, precision, val_top1, test_top1, ref_logits)"
	" SELECT mu.new, a.precision, a.val_top1, a.test_top1, a.ref_logits"
	" FROM o.subnet_accuracy a JOIN map_sub mu ON mu.old = a.subnet_id WHERE true"
	" ON CONFLICT (subnet_id, precision) DO UPDATE SET"
	"  val_top1 = coalesce(val_top1, excluded.val_top1),"
	"  test_top1 = coalesce(test_top1, excluded.test_top1),"
	"  ref_logits = coalesce(ref_logits, excluded.ref_logits)",
	"CREATE TEMP TABLE map_sweep AS SELECT osw.id AS old, min(w.id) AS new FROM o.sweeps osw"
	" JOIN main.sweeps w ON w.started = osw.started AND w.config = osw.config GROUP BY osw.id",
	"INSERT INTO runs (sweep_id, device_id, started, ended, status, error, conditions)"
	" SELECT ms.new, md.new, r.started, r.ended, r.status, r.error, r.conditions"
	" FROM o.runs r JOIN map_sweep ms ON ms.old = r.sweep_id"
	" JOIN map_dev md ON md.old = r.device_id WHERE true"
	" ON CONFLICT (sweep_id, device_id) DO NOTHING",
	"CREATE TEMP TABLE map_run AS SELECT r.id AS old, nr.id AS new FROM o.runs r"
	" JOIN map_sweep ms ON ms.old = r.sweep_id JOIN map_dev md ON md.old = r.device_id"
	" JOIN main.runs nr ON nr.sweep_id = ms.new AND nr.device_id = md.new",
	"INSERT INTO kernel_results (run_id, device_id, supernet_id, piece, stage, first, res,"
	"  cin, cout, expand, kernel, stride, precision, threads, cores, agent_version, macs,"
	"  n, median_ms, mean_ms, cv, rcv, p90_ms, min_ms, flags)"
	" SELECT mr.new, md.new, ms.new, k.piece, k.stage, k.first, k.res, k.cin, k.cout,"
	"  k.expand, k.kernel, k.stride, k.precision, k.threads, k.cores, k.agent_version,"
	"  k.macs, k.n, k.median_ms, k.mean_ms, k.cv, k.rcv, k.p90_ms, k.min_ms, k.flags"
	" FROM o.kernel_results k JOIN map_run mr ON mr.old = k.run_id"
	" JOIN map_dev md ON md.old = k.device_id JOIN map_sn ms ON ms.old = k.supernet_id"
	" WHERE true ON CONFLICT DO NOTHING",
	"INSERT INTO subnet_results (run_id, device_id, subnet_id, precision, threads, cores,"
	"  agent_version, status, flags, n, median_ms, mean_ms, stdev_ms, cv, rcv, min_ms,"
	"  max_ms, p90_ms, p99_ms, cold_ms, build_ms, arena_bytes, weight_bytes, peak_rss_delta_bytes,"
	"  rss_method, eval_images, top1, max_logit_diff, xnm_sha256, pinned, temp_before_c,"
	"  temp_after_c, freq_before, freq_after, error)"
	" SELECT mr.new, md.new, mu.new, r.precision, r.threads, r.cores, r.agent_version,"
	"  r.status, r.flags, r.n, r.median_ms, r.mean_ms, r.stdev_ms, r.cv, r.rcv, r.min_ms,"
	"  r.max_ms, r.p90_ms, r.p99_ms, r.cold_ms, r.build_ms, r.arena_bytes, r.weight_bytes,"
	"  r.peak_rss_delta_bytes, r.rss_method, r.eval_images, r.top1, r.max_logit_diff,"
	"  r.xnm_sha256, r.pinned, r.temp_before_c, r.temp_after_c, r.freq_before,"
	"  r.freq_after, r.error"
	" FROM o.subnet_results r JOIN map_run mr ON mr.old = r.run_id"
	" JOIN map_dev md ON md.old = r.device_id JOIN map_sub mu ON mu.old = r.subnet_id"
	" WHERE true ON CONFLICT DO NOTHING",
	"INSERT INTO manifests (supernet_id, created, budget, json)"
	" SELECT ms.new, m.created, m.budget, m.json FROM o.manifests m"
	" JOIN map_sn ms ON ms.old = m.supernet_id WHERE NOT EXISTS"
	"  (SELECT 1 FROM main.manifests x WHERE x.supernet_id = ms.new AND x.json = m.json)",
};

enum xs_status fdb_merge(struct fdb *db, const char *other, int64_t *added)
{
	if (db->mode != FDB_WRITE)
		return seterr(db, XS_EINVAL, "device DB: opened for reading");
	/* the other file opens on its own first: exists, not damaged, its version */
	struct fdb *o;
	char msg[512];
	enum xs_status st = fdb_open(other, FDB_READ, &o, msg, sizeof(msg));
	if (st != XS_OK)
		return seterr(db, st, "%s", msg);
	int version = o->version;
	fdb_close(o);
	if (version != FDB_SCHEMA_VERSION)
		return seterr(db, XS_EVERSION,
			      "'%s' has schema version %d, this program %d: %s", other, version,
			      FDB_SCHEMA_VERSION, version < FDB_SCHEMA_VERSION
			      ? "migrate it first (merge it into an empty DB with the xnn-fleet "
				"that wrote it, or open a copy with this one's 'db merge')"
			      : "use a newer xnn-fleet");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h, "ATTACH DATABASE ?1 AS o", -1, &s, NULL) != SQLITE_OK)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	sqlite3_bind_text(s, 1, other, -1, SQLITE_TRANSIENT);
	st = step_done(db, s, "attach the other DB");
	if (st != XS_OK)
		return st;
	int64_t before = count(db, "subnet_results") + count(db, "kernel_results");
	if ((st = fdb_begin(db)) == XS_OK) {
		for (size_t i = 0; st == XS_OK && i < sizeof(merge_steps) / sizeof(merge_steps[0]); i++)
			st = exec(db, merge_steps[i]);
		if (st == XS_OK)
			st = exec(db, "DROP TABLE map_dev; DROP TABLE map_sn; DROP TABLE map_sub;"
				      " DROP TABLE map_sweep; DROP TABLE map_run");
		if (st == XS_OK)
			st = fdb_commit(db);
		else
			fdb_rollback(db);
	}
	if (st == XS_OK && added)
		*added = count(db, "subnet_results") + count(db, "kernel_results") - before;
	char *e = NULL;
	sqlite3_exec(db->h, "DETACH DATABASE o", NULL, NULL, &e);
	sqlite3_free(e);
	return st;
}

enum xs_status fdb_kernel_results_count(struct fdb *db, const struct fdb_key *k,
					int64_t supernet_id, int64_t *count)
{
	if (!key_ok(k))
		return seterr(db, XS_EINVAL, "device DB: a lookup without the full key");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h,
		"SELECT count(*) FROM kernel_results WHERE device_id = ?1 AND supernet_id = ?2 AND"
		" precision = ?3 AND threads = ?4 AND cores = ?5 AND agent_version = ?6",
		-1, &s, NULL) != SQLITE_OK)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	bind_key(s, k, supernet_id);
	int rc = sqlite3_step(s);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	return XS_OK;
}

/* ---- batches --------------------------------------------------------------------- */

enum xs_status fdb_kernel_results_insert(struct fdb *db, int64_t run_id, int64_t supernet_id,
					 const struct fdb_key *keys,
					 const struct fdb_kernel_result *rows, size_t n,
					 size_t *stored)
{
	*stored = 0;
	enum xs_status st = fdb_begin(db);
	size_t added = 0;
	for (size_t i = 0; st == XS_OK && i < n; i++) {
		bool one = false;
		st = fdb_kernel_result_insert(db, run_id, &keys[i], supernet_id, &rows[i], &one);
		added += one;
	}
	if (st == XS_OK)
		st = fdb_commit(db);
	if (st != XS_OK) {
		fdb_rollback(db);
		return st;
	}
	*stored = added;
	return XS_OK;
}

enum xs_status fdb_subnet_results_insert(struct fdb *db, int64_t run_id,
					 const struct fdb_key *keys, const int64_t *subnet_ids,
					 const struct fdb_subnet_result *rows, size_t n,
					 size_t *stored)
{
	*stored = 0;
	enum xs_status st = fdb_begin(db);
	size_t added = 0;
	for (size_t i = 0; st == XS_OK && i < n; i++) {
		bool one = false;
		st = fdb_subnet_result_insert(db, run_id, &keys[i], subnet_ids[i], &rows[i], &one);
		added += one;
	}
	if (st == XS_OK)
		st = fdb_commit(db);
	if (st != XS_OK) {
		fdb_rollback(db);
		return st;
	}
	*stored = added;
	return XS_OK;
}
