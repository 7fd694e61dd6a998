/* fdb-merge.c - the device DB's merge of another DB file into this one and
 * its export of the sub-net results (fdb.h): rows handed to a callback, or
 * written as CSV with xs_csv_put. The result tables' columns come from
 * fdb-columns.h. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fdb.h"
#include "fdb-columns.h"
#include "fdb-internal.h"
#include "xs.h"

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
	"INSERT INTO kernel_results (run_id, device_id, supernet_id"
	FDB_KEY_COLUMNS(FDB_SQL_NAME) FDB_KERNEL_RESULT_COLUMNS(FDB_SQL_NAME) ")"
	" SELECT mr.new, md.new, ms.new"
	FDB_KEY_COLUMNS(FDB_SQL_R_NAME) FDB_KERNEL_RESULT_COLUMNS(FDB_SQL_R_NAME)
	" FROM o.kernel_results r JOIN map_run mr ON mr.old = r.run_id"
	" JOIN map_dev md ON md.old = r.device_id JOIN map_sn ms ON ms.old = r.supernet_id"
	" WHERE true ON CONFLICT DO NOTHING",
	"INSERT INTO subnet_results (run_id, device_id, subnet_id"
	FDB_KEY_COLUMNS(FDB_SQL_NAME) FDB_SUBNET_RESULT_COLUMNS(FDB_SQL_NAME) ")"
	" SELECT mr.new, md.new, mu.new"
	FDB_KEY_COLUMNS(FDB_SQL_R_NAME) FDB_SUBNET_RESULT_COLUMNS(FDB_SQL_R_NAME)
	" FROM o.subnet_results r JOIN map_run mr ON mr.old = r.run_id"
	" JOIN map_dev md ON md.old = r.device_id JOIN map_sub mu ON mu.old = r.subnet_id"
	" WHERE true ON CONFLICT DO NOTHING",
	"INSERT INTO manifests (supernet_id, created, budget, json)"
	" SELECT ms.new, m.created, m.budget, m.json FROM o.manifests m"
	" JOIN map_sn ms ON ms.old = m.supernet_id WHERE NOT EXISTS"
	"  (SELECT 1 FROM main.manifests x WHERE x.supernet_id = ms.new AND x.json = m.json)",
};

/* The result rows of both tables (what a merge counts as added). */
static int64_t results_count(struct fdb *db)
{
	return fdb_table_count(db, "subnet_results") + fdb_table_count(db, "kernel_results");
}

enum xs_status fdb_merge(struct fdb *db, const char *other, int64_t *added)
{
	if (db->mode != FDB_WRITE)
		return fdb_seterr(db, XS_EINVAL, "device DB: opened for reading");
	/* the other file opens on its own first: exists, not damaged, its version */
	struct fdb *o;
	char msg[512];
	enum xs_status st = fdb_open(other, FDB_READ, &o, msg, sizeof(msg));
	if (st != XS_OK)
		return fdb_seterr(db, st, "%s", msg);
	int version = o->version;
	fdb_close(o);
	if (version != FDB_SCHEMA_VERSION)
		return fdb_seterr(db, XS_EVERSION,
				  "'%s' has schema version %d, this program %d: %s", other, version,
				  FDB_SCHEMA_VERSION, version < FDB_SCHEMA_VERSION
				  ? "migrate it first (merge it into an empty DB with the xnn-fleet "
				    "that wrote it, or open a copy with this one's 'db merge')"
				  : "use a newer xnn-fleet");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h, "ATTACH DATABASE ?1 AS o", -1, &s, NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	sqlite3_bind_text(s, 1, other, -1, SQLITE_TRANSIENT);
	st = fdb_step_done(db, s, "attach the other DB");
	if (st != XS_OK)
		return st;
	int64_t before = results_count(db);
	if ((st = fdb_begin(db)) == XS_OK) {
		const size_t nsteps = sizeof(merge_steps) / sizeof(merge_steps[0]);
		for (size_t i = 0; st == XS_OK && i < nsteps; i++)
			st = fdb_exec(db, merge_steps[i]);
		if (st == XS_OK)
			st = fdb_exec(db, "DROP TABLE map_dev; DROP TABLE map_sn; DROP TABLE map_sub;"
				      " DROP TABLE map_sweep; DROP TABLE map_run");
		if (st == XS_OK)
			st = fdb_commit(db);
		else
			fdb_rollback(db);
	}
	if (st == XS_OK && added)
		*added = results_count(db) - before;
	char *e = NULL;
	sqlite3_exec(db->h, "DETACH DATABASE o", NULL, NULL, &e);
	sqlite3_free(e);
	return st;
}


/* ---- export ---------------------------------------------------------------------- */

static const char export_sql[] =
	"SELECT d.id AS device_id, d.transport, d.serial, d.model, d.soc, d.abi,"
	"  d.emulated, d.simulated, sn.name AS supernet, su.arch, su.macs"
	FDB_KEY_COLUMNS(FDB_SQL_R_NAME) FDB_SUBNET_RESULT_COLUMNS(FDB_SQL_R_NAME)
	" FROM subnet_results r JOIN devices d ON d.id = r.device_id"
	" JOIN subnets su ON su.id = r.subnet_id JOIN supernets sn ON sn.id = su.supernet_id"
	" ORDER BY d.id, su.macs, su.arch, r.precision, r.threads";

enum xs_status fdb_subnet_results_export(struct fdb *db, fdb_export_fn fn, void *ctx,
					 int64_t *rows)
{
	sqlite3_stmt *s = fdb_query(db, export_sql);
	if (s == NULL)
		return XS_EIO;
	const int ncol = sqlite3_column_count(s);
	const char **names = calloc((size_t)ncol, sizeof(*names));
	const char **values = calloc((size_t)ncol, sizeof(*values));
	if (names == NULL || values == NULL) {
		free(names);
		free(values);
		sqlite3_finalize(s);
		return fdb_seterr(db, XS_ENOMEM, "device DB: out of memory");
	}
	for (int i = 0; i < ncol; i++)
		names[i] = sqlite3_column_name(s, i);
	fn(ctx, ncol, names, NULL);
	int64_t n = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++)
			values[i] = (const char *)sqlite3_column_text(s, i);
		fn(ctx, ncol, names, values);
		n++;
	}
	free(names);
	free(values);
	if (rc != SQLITE_DONE) {
		fdb_seterr(db, XS_EIO, "device DB: export: %s", sqlite3_errmsg(db->h));
		sqlite3_finalize(s);
		return XS_EIO;
	}
	sqlite3_finalize(s);
	*rows = n;
	return XS_OK;
}

/* One CSV line: the header when values is NULL. */
static void csv_line(void *ctx, int ncol, const char *const *names, const char *const *values)
{
	FILE *f = ctx;
	for (int i = 0; i < ncol; i++) {
		if (i > 0)
			putc(',', f);
		xs_csv_put(f, values ? values[i] : names[i]);
	}
	putc('\n', f);
}

enum xs_status fdb_export_csv(struct fdb *db, FILE *out, int64_t *rows)
{
	int64_t n = 0;
	enum xs_status st = fdb_subnet_results_export(db, csv_line, out, &n);
	if (st != XS_OK)
		return st;
	if (ferror(out))
		return fdb_seterr(db, XS_EIO, "device DB: export: write error");
	*rows = n;
	return XS_OK;
}
