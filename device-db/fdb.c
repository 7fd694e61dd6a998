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
#include <unistd.h>

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
	/* 5: the writer of each sweep and run (host, pid, start: fdb-writer.c)
	 * and the statuses 'interrupted' (its writer is gone) and, for runs,
	 * 'hung' (the device went silent: --hang-timeout). A CHECK cannot be
	 * altered: both tables are rebuilt (SQLite's "make other kinds of table
	 * schema changes", foreign keys off during the migration), ids kept. */
	"CREATE TABLE sweeps_v5 ("
	"  id INTEGER PRIMARY KEY, started TEXT NOT NULL, ended TEXT,"
	"  status TEXT NOT NULL"
	"    CHECK (status IN ('running','done','incomplete','failed','interrupted')),"
	"  config TEXT NOT NULL,"
	"  writer_host TEXT, writer_pid INTEGER, writer_start TEXT);"
	"INSERT INTO sweeps_v5 (id, started, ended, status, config)"
	"  SELECT id, started, ended, status, config FROM sweeps;"
	"DROP TABLE sweeps;"
	"ALTER TABLE sweeps_v5 RENAME TO sweeps;"
	"CREATE TABLE runs_v5 ("
	"  id INTEGER PRIMARY KEY,"
	"  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
	"  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	"  started TEXT NOT NULL, ended TEXT,"
	"  status TEXT NOT NULL"
	"    CHECK (status IN ('running','done','incomplete','failed','interrupted','hung')),"
	"  error TEXT, conditions TEXT,"
	"  writer_host TEXT, writer_pid INTEGER, writer_start TEXT,"
	"  UNIQUE (sweep_id, device_id));"
	"INSERT INTO runs_v5 (id, sweep_id, device_id, started, ended, status, error, conditions)"
	"  SELECT id, sweep_id, device_id, started, ended, status, error, conditions FROM runs;"
	"DROP TABLE runs;"
	"ALTER TABLE runs_v5 RENAME TO runs;",
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


/* What a file holds, read before anything is written to it. */
struct schema {
	int version;            /* user_version */
	int64_t tables;         /* tables of any kind */
	bool devices;           /* one of them is 'devices' */
};

/* Reads the schema in one statement: one snapshot, so that another
 * process's migration is seen whole or not at all. Returns SQLite's code
 * (SQLITE_OK when *sc is set); a file that is not a database fails here. */
static int schema_read(struct fdb *db, struct schema *sc)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"SELECT (SELECT user_version FROM pragma_user_version),"
		" (SELECT count(*) FROM sqlite_master WHERE type = 'table'),"
		" EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'devices')",
		-1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*sc = (struct schema){sqlite3_column_int(s, 0), sqlite3_column_int64(s, 1),
				      sqlite3_column_int(s, 2) != 0};
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Refuses what must not be opened in this mode, before anything is written:
 * another program's SQLite file, an empty file to read, a newer schema to
 * write. */
static enum xs_status schema_check(struct fdb *db, const char *path, enum fdb_mode mode,
				   const struct schema *sc)
{
	if ((sc->version == 0 && sc->tables > 0) || (sc->version > 0 && !sc->devices))
		return fdb_seterr(db, XS_EFORMAT,
				  "'%s' is not a device DB: an SQLite file with other tables "
				  "(%lld, schema version %d); it was left as it is: give the device "
				  "DB's file (--db FILE)", path, (long long)sc->tables, sc->version);
	if (mode == FDB_READ && sc->tables == 0)
		return fdb_seterr(db, XS_EFORMAT, "'%s' is empty, not a device DB yet: make one "
				  "with 'xnn-fleet sweep'", path);
	if (mode != FDB_READ && sc->version > FDB_SCHEMA_VERSION)
		return fdb_seterr(db, XS_EVERSION,
				  "'%s': schema version %d is newer than this program's %d; it was "
				  "left as it is: use a newer xnn-fleet to write to it (this one "
				  "reads it: db info, db export, report)", path, sc->version,
				  FDB_SCHEMA_VERSION);
	return XS_OK;
}

/* PRAGMA quick_check: "ok" or the file is damaged. */
static enum xs_status quick_check(struct fdb *db, const char *path)
{
	sqlite3_stmt *s;
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

/* Brings the schema up to FDB_SCHEMA_VERSION in one BEGIN IMMEDIATE
 * transaction: the version is read again once the lock is held, so of
 * several writers opening a new DB at once one migrates and the others find
 * it done. Foreign keys are still off here (migration 5 rebuilds tables
 * that others refer to; the ids stay). */
/* Whether PRAGMA foreign_key_check finds nothing. */
static bool fk_clean(struct fdb *db)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
		return false;
	bool clean = sqlite3_step(s) == SQLITE_DONE;
	sqlite3_finalize(s);
	return clean;
}

static enum xs_status migrate(struct fdb *db, const char *path)
{
	if (db->version == FDB_SCHEMA_VERSION)
		return XS_OK;
	/* off whatever SQLite's build default: migration 5's DROP TABLE would
	 * otherwise delete every run's rows through ON DELETE CASCADE (the
	 * pragma does nothing inside a transaction: before BEGIN) */
	enum xs_status st = fdb_exec(db, "PRAGMA foreign_keys = OFF");
	if (st == XS_OK)
		st = fdb_begin(db);
	if (st != XS_OK)
		return st;
	struct schema sc = {0};
	int rc = schema_read(db, &sc);
	if (rc != SQLITE_OK)
		st = fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	else
		st = schema_check(db, path, FDB_WRITE, &sc);
	for (int v = sc.version; st == XS_OK && v < FDB_SCHEMA_VERSION; v++)
		st = fdb_exec(db, migrations[v]);
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", FDB_SCHEMA_VERSION);
	if (st == XS_OK && sc.version < FDB_SCHEMA_VERSION)
		st = fdb_exec(db, pragma);
	if (st == XS_OK && !fk_clean(db))
		st = fdb_seterr(db, XS_EFORMAT, "device DB '%s': rows refer to rows that are not "
				"there after the migration to schema %d: left at schema %d; restore "
				"it from a copy", path, FDB_SCHEMA_VERSION, sc.version);
	if (st == XS_OK)
		st = fdb_commit(db);
	if (st != XS_OK) {
		fdb_rollback(db);
		return st;
	}
	db->version = sc.version > FDB_SCHEMA_VERSION ? sc.version : FDB_SCHEMA_VERSION;
	return XS_OK;
}

/* SQL fdb_writer_gone(host, pid, start): fdb_writer_gone on the handle's
 * own writer (the user data). */
static void sql_writer_gone(sqlite3_context *c, int n, sqlite3_value **v)
{
	(void)n;
	const struct fdb *db = sqlite3_user_data(c);
	sqlite3_result_int(c, fdb_writer_gone(&db->self, (const char *)sqlite3_value_text(v[0]),
					      sqlite3_value_int64(v[1]),
					      (const char *)sqlite3_value_text(v[2])));
}

/* Marks 'interrupted' the sweeps and runs left 'running' by a writer of this
 * host that is gone (killed, crashed, or the host rebooted); their rows
 * stay. Rows from before schema 5 have no writer and are left alone. */
static enum xs_status mark_interrupted(struct fdb *db)
{
	sqlite3_stmt *s;
	bool any = false;
	if (sqlite3_create_function(db->h, "fdb_writer_gone", 3, SQLITE_UTF8, db,
				    sql_writer_gone, NULL, NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	if (sqlite3_prepare_v2(db->h,
			       "SELECT EXISTS (SELECT 1 FROM sweeps WHERE status = 'running'"
			       "  AND writer_host = ?1) OR EXISTS (SELECT 1 FROM runs"
			       "  WHERE status = 'running' AND writer_host = ?1)", -1, &s,
			       NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	sqlite3_bind_text(s, 1, db->self.host, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		any = sqlite3_column_int(s, 0) != 0;
	sqlite3_finalize(s);
	if (!any)
		return XS_OK;
	enum xs_status st = fdb_begin(db);
	if (st != XS_OK)
		return st;
	if ((st = fdb_exec(db,
		"UPDATE runs SET status = 'interrupted',"
		" ended = coalesce(ended, strftime('%Y-%m-%dT%H:%M:%SZ')),"
		" error = coalesce(error, printf('interrupted: the sweep writing it (pid %d on %s)"
		" ended without closing it: ''xnn-fleet sweep --resume'' measures what it lacks',"
		" writer_pid, writer_host))"
		" WHERE status = 'running' AND fdb_writer_gone(writer_host, writer_pid, writer_start)"))
	    != XS_OK ||
	    (st = fdb_exec(db,
		"UPDATE sweeps SET status = 'interrupted',"
		" ended = coalesce(ended, strftime('%Y-%m-%dT%H:%M:%SZ'))"
		" WHERE status = 'running' AND fdb_writer_gone(writer_host, writer_pid, writer_start)"))
	    != XS_OK ||
	    (st = fdb_commit(db)) != XS_OK) {
		fdb_rollback(db);
		return st;
	}
	return XS_OK;
}

/* Opens the handle on path with flags; immutable: as a file on read-only
 * media (a URI with immutable=1: no locks, no -shm). */
static enum xs_status handle_open(struct fdb *db, const char *path, int flags, bool immutable)
{
	char uri[8192];
	const char *name = path;
	if (immutable) {
		/* file:PATH?immutable=1, PATH %-escaped but for its slashes (a
		 * leading "//" would be an authority) */
		static const char hex[] = "0123456789ABCDEF";
		size_t at = (size_t)snprintf(uri, sizeof(uri), "file:");
		for (const char *c = path; *c && at + 16 < sizeof(uri); c++) {
			unsigned char u = (unsigned char)*c;
			bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
				     (u >= '0' && u <= '9') || strchr("._-~", u) ||
				     (u == '/' && !(c == path + 1 && path[0] == '/'));
			if (plain) {
				uri[at++] = (char)u;
			} else {
				uri[at++] = '%';
				uri[at++] = hex[u >> 4];
				uri[at++] = hex[u & 15];
			}
		}
		snprintf(uri + at, sizeof(uri) - at, "?immutable=1");
		name = uri;
		flags |= SQLITE_OPEN_URI;
	}
	if (sqlite3_open_v2(name, &db->h, flags, NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "cannot open '%s': %s", path,
				  db->h ? sqlite3_errmsg(db->h) : "out of memory");
	sqlite3_busy_timeout(db->h, 10000);
	sqlite3_extended_result_codes(db->h, 1);
	return XS_OK;
}

/* Whether path's -wal holds frames (more than its 32-byte header): then a
 * read must go through the WAL, it cannot treat the file as immutable. */
static bool wal_has_frames(const char *path)
{
	char wal[4096];
	struct stat sb;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return stat(wal, &sb) == 0 && sb.st_size > 32;
}

/* Opens for reading. A WAL file whose folder or -shm is not writable (a
 * read-only file or folder, another user's DB) cannot be read the usual
 * way: SQLite wants to make its -shm. When no -wal with frames is there (a
 * closed DB has none), the file is read as immutable instead; else the
 * error says what to do. */
static enum xs_status open_read(struct fdb *db, const char *path, struct schema *sc)
{
	enum xs_status st = handle_open(db, path, SQLITE_OPEN_READONLY, false);
	if (st != XS_OK)
		return st;
	int rc = schema_read(db, sc);
	int prim = rc & 0xff;
	if ((prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN) && !wal_has_frames(path)) {
		sqlite3_close(db->h);
		db->h = NULL;
		if ((st = handle_open(db, path, SQLITE_OPEN_READONLY, true)) != XS_OK)
			return st;
		rc = schema_read(db, sc);
		prim = rc & 0xff;
	}
	if (prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN)
		return fdb_seterr(db, XS_EIO, "cannot read '%s': %s (its write-ahead log '%s-wal' "
				  "needs a writable folder for SQLite's -shm file): open it once "
				  "where it is writable, or copy it with its -wal to a writable "
				  "folder", path, sqlite3_errmsg(db->h), path);
	if (rc != SQLITE_OK)
		return fdb_seterr(db, XS_EFORMAT, "'%s' is not a device DB: %s (give the --db "
				  "a sweep wrote, or restore this one from a copy)", path,
				  sqlite3_errmsg(db->h));
	return XS_OK;
}

/* Whether path's folder can take new files (SQLite's -wal and -shm). */
static bool folder_writable(const char *path)
{
	char d[4096];
	snprintf(d, sizeof(d), "%s", path);
	char *slash = strrchr(d, '/');
	if (slash == NULL)
		snprintf(d, sizeof(d), ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	return access(d, W_OK) == 0;
}

/* PRAGMA journal_mode = WAL. Changing the mode takes an exclusive lock,
 * for which SQLite does not wait: several writers opening a new DB at once
 * get SQLITE_BUSY here, so it is retried for as long as the busy timeout. */
static enum xs_status wal_set(struct fdb *db)
{
	for (int tries = 0;; tries++) {
		sqlite3_stmt *s;
		int rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &s, NULL);
		bool wal = false;
		if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *mode = (const char *)sqlite3_column_text(s, 0);
			wal = mode && strcmp(mode, "wal") == 0;
			rc = SQLITE_OK;
		}
		sqlite3_finalize(s);
		if (wal)
			return XS_OK;
		if ((rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) || tries == 1000)
			return fdb_seterr(db, XS_EIO, "device DB: cannot set WAL: %s",
					  rc != SQLITE_OK ? sqlite3_errmsg(db->h)
							  : "the file stays in another journal mode");
		usleep(10000);  /* 1000 tries: the busy timeout's 10 s */
	}
}

/* Opens for writing: refuses a read-only file or folder, another program's
 * SQLite file and a newer schema before anything is written (the file stays
 * byte for byte), then WAL, the migrations, and the runs of writers that
 * are gone. */
static enum xs_status open_write(struct fdb *db, const char *path, struct schema *sc)
{
	enum xs_status st = handle_open(db, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					false);
	if (st != XS_OK)
		return st;
	if (sqlite3_db_readonly(db->h, "main") == 1 || !folder_writable(path))
		return fdb_seterr(db, XS_EIO, "cannot write '%s': %s is read-only: make it "
				  "writable or give another file (--db FILE); reading works (db "
				  "info, db export, report)", path,
				  sqlite3_db_readonly(db->h, "main") == 1 ? "the file"
									 : "its folder");
	int rc = schema_read(db, sc);
	if (rc != SQLITE_OK)
		return fdb_seterr(db, XS_EFORMAT, "'%s' is not a device DB: %s (give the --db "
				  "a sweep wrote, or restore this one from a copy)", path,
				  sqlite3_errmsg(db->h));
	db->version = sc->version;
	if ((st = schema_check(db, path, FDB_WRITE, sc)) != XS_OK ||
	    (st = quick_check(db, path)) != XS_OK ||
	    (st = wal_set(db)) != XS_OK ||
	    (st = fdb_exec(db, "PRAGMA synchronous = NORMAL")) != XS_OK ||
	    (st = migrate(db, path)) != XS_OK ||
	    (st = fdb_exec(db, "PRAGMA foreign_keys = ON")) != XS_OK)
		return st;
	fdb_writer_self(&db->self);
	return mark_interrupted(db);
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
	struct stat sb;
	struct schema sc;
	if (must_exist && stat(path, &sb) != 0) {
		st = fdb_seterr(db, XS_EIO, "cannot open '%s': no such file (make one with "
				"'xnn-fleet sweep')", path);
		goto out_fail;
	}
	if (mode == FDB_WRITE) {
		if ((st = open_write(db, path, &sc)) != XS_OK)
			goto out_fail;
	} else {
		if ((st = open_read(db, path, &sc)) != XS_OK)
			goto out_fail;
		db->version = sc.version;
		if ((st = schema_check(db, path, FDB_READ, &sc)) != XS_OK ||
		    (st = quick_check(db, path)) != XS_OK ||
		    (st = fdb_exec(db, "PRAGMA foreign_keys = ON")) != XS_OK)
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
