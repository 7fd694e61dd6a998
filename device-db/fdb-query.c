/* fdb-query.c - the device DB's reads (fdb.h): row counts, the sub-net
 * references, finding a supernet, the lookups by measurement key (resume),
 * and the *_each queries of the selector and the reports. All work on a DB
 * opened to read; strings handed to callbacks live during the call only. */
#include <sqlite3.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdb.h"
#include "fdb-internal.h"

enum xs_status fdb_counts(struct fdb *db, struct fdb_counts *c)
{
	c->devices = fdb_table_count(db, "devices");
	c->supernets = fdb_table_count(db, "supernets");
	c->subnets = fdb_table_count(db, "subnets");
	c->sweeps = fdb_table_count(db, "sweeps");
	c->runs = fdb_table_count(db, "runs");
	c->kernel_results = fdb_table_count(db, "kernel_results");
	c->subnet_results = fdb_table_count(db, "subnet_results");
	c->manifests = fdb_table_count(db, "manifests");
	if (c->devices < 0)
		return fdb_seterr(db, XS_EFORMAT, "device DB: no tables (schema version %d)",
				  db->version);
	return XS_OK;
}

enum xs_status fdb_subnet_reference(struct fdb *db, int64_t subnet_id, const char *precision,
				    double *test_top1, double *val_top1, char **ref_logits)
{
	sqlite3_stmt *s;
	*test_top1 = *val_top1 = NAN;
	*ref_logits = NULL;
	if (sqlite3_prepare_v2(db->h, fdb_is_f32(precision)
			       ? "SELECT test_top1, ref_logits, val_top1 FROM subnets WHERE id = ?1"
			       : "SELECT test_top1, ref_logits, val_top1 FROM subnet_accuracy"
				 " WHERE subnet_id = ?1 AND precision = ?2", -1, &s, NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	sqlite3_bind_int64(s, 1, subnet_id);
	if (!fdb_is_f32(precision))
		fdb_bind_text(s, 2, precision);
	int rc = sqlite3_step(s);
	enum xs_status st = XS_OK;
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*test_top1 = sqlite3_column_double(s, 0);
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			*val_top1 = sqlite3_column_double(s, 2);
		const unsigned char *t = sqlite3_column_text(s, 1);
		if (t && (*ref_logits = strdup((const char *)t)) == NULL)
			st = fdb_seterr(db, XS_ENOMEM, "device DB: out of memory");
	} else if (rc != SQLITE_DONE) {
		st = fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	}
	sqlite3_finalize(s);
	return st;
}

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

enum xs_status fdb_supernet_find(struct fdb *db, const char *name_or_sha256, int64_t *id,
				 char sha256[65], char **space)
{
	sqlite3_stmt *s = fdb_query(db, "SELECT id, sha256, space FROM supernets WHERE sha256 = ?1 OR"
				    " name = ?1 ORDER BY sha256 = ?1 DESC, id DESC LIMIT 1");
	if (s == NULL)
		return XS_EIO;
	fdb_bind_text(s, 1, name_or_sha256);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		snprintf(sha256, 65, "%s", col_text(s, 1) ? col_text(s, 1) : "");
		enum xs_status st = XS_OK;
		if (space && (*space = strdup(col_text(s, 2) ? col_text(s, 2) : "")) == NULL)
			st = fdb_seterr(db, XS_ENOMEM, "device DB: out of memory");
		sqlite3_finalize(s);
		return st;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	return fdb_seterr(db, XS_EINVAL, "device DB: no supernet named '%s' (xnn-fleet db info lists "
			  "them)", name_or_sha256);
}

enum xs_status fdb_subnet_result_exists(struct fdb *db, const struct fdb_key *k,
					int64_t subnet_id, bool *exists)
{
	if (!fdb_key_ok(k))
		return fdb_seterr(db, XS_EINVAL, "device DB: a lookup without the full key");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h,
		"SELECT 1 FROM subnet_results WHERE device_id = ?1 AND subnet_id = ?2 AND"
		" precision = ?3 AND threads = ?4 AND cores = ?5 AND agent_version = ?6 AND"
		" status = 'ok'", -1, &s, NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	fdb_bind_key(s, k, subnet_id);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	*exists = rc == SQLITE_ROW;
	return XS_OK;
}

enum xs_status fdb_kernel_results_count(struct fdb *db, const struct fdb_key *k,
					int64_t supernet_id, int64_t *count)
{
	if (!fdb_key_ok(k))
		return fdb_seterr(db, XS_EINVAL, "device DB: a lookup without the full key");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h,
		"SELECT count(*) FROM kernel_results WHERE device_id = ?1 AND supernet_id = ?2 AND"
		" precision = ?3 AND threads = ?4 AND cores = ?5 AND agent_version = ?6",
		-1, &s, NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	fdb_bind_key(s, k, supernet_id);
	int rc = sqlite3_step(s);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	return XS_OK;
}

enum xs_status fdb_devices_each(struct fdb *db, fdb_device_fn fn, void *ctx)
{
	sqlite3_stmt *s = fdb_query(db, "SELECT id, transport, serial, fingerprint, model, soc, abi, os,"
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
	return fdb_query_end(db, s, rc);
}

enum xs_status fdb_supernets_each(struct fdb *db, fdb_supernet_fn fn, void *ctx)
{
	sqlite3_stmt *s = fdb_query(db,
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
	return fdb_query_end(db, s, rc);
}

/* The integer after " KEY=" in the conditions of run u ("k=v k=v": SQLite's
 * CAST reads the digits up to the next space), NULL when it has no KEY. */
#define RUN_CONDITION_INT(key)                                                          \
	"CASE WHEN instr(' ' || u.conditions, ' " key "=') > 0"                         \
	" THEN CAST(substr(' ' || u.conditions, instr(' ' || u.conditions, ' " key "=')" \
	" + length(' " key "=')) AS INTEGER) END"

enum xs_status fdb_sweeps_each(struct fdb *db, fdb_sweep_fn fn, void *ctx)
{
	sqlite3_stmt *s = fdb_query(db,
		"SELECT w.id, w.started, w.ended, w.status, w.config, coalesce(g.runs, 0),"
		" (SELECT count(*) FROM subnet_results r JOIN runs u ON u.id = r.run_id"
		"   WHERE u.sweep_id = w.id), g.staged, g.pushed"
		" FROM sweeps w LEFT JOIN (SELECT u.sweep_id, count(*) AS runs,"
		"   sum(" RUN_CONDITION_INT("staged_bytes") ") AS staged,"
		"   sum(" RUN_CONDITION_INT("pushed_bytes") ") AS pushed"
		"   FROM runs u GROUP BY u.sweep_id) g ON g.sweep_id = w.id"
		" ORDER BY w.id");
	if (s == NULL)
		return XS_EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fdb_sweep_row r = {sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2),
					  col_text(s, 3), col_text(s, 4), col_int(s, 5, 0),
					  col_int(s, 6, 0), col_int(s, 7, -1), col_int(s, 8, -1)};
		fn(ctx, &r);
	}
	return fdb_query_end(db, s, rc);
}

enum xs_status fdb_device_summaries_each(struct fdb *db, int64_t supernet_id, fdb_summary_fn fn,
					 void *ctx)
{
	sqlite3_stmt *s = fdb_query(db,
		"WITH res AS (SELECT r.device_id,"
		"  sum(r.status = 'ok' AND ' ' || coalesce(r.flags, '') || ' ' LIKE '% clean %') AS c,"
		"  sum(r.status = 'ok' AND ' ' || coalesce(r.flags, '') || ' ' LIKE '% throttled %') AS t,"
		"  sum(r.status = 'ok' AND ' ' || coalesce(r.flags, '') || ' ' LIKE '% noisy %') AS n,"
		"  sum(r.status = 'ok' AND ' ' || coalesce(r.flags, '') || ' ' LIKE '% untimed %') AS u,"
		"  sum(r.status <> 'ok') AS f"
		"  FROM subnet_results r JOIN subnets su ON su.id = r.subnet_id"
		"  WHERE su.supernet_id = ?1 GROUP BY r.device_id),"
		" ker AS (SELECT device_id, count(*) AS k FROM kernel_results WHERE supernet_id = ?1"
		"  GROUP BY device_id),"
		" last AS (SELECT u.device_id, u.status, u.error, u.conditions,"
		"  row_number() OVER (PARTITION BY u.device_id ORDER BY u.id DESC) AS k FROM runs u)"
		" SELECT d.id, coalesce(res.c, 0), coalesce(res.t, 0), coalesce(res.n, 0),"
		"  coalesce(res.u, 0), coalesce(res.f, 0), coalesce(ker.k, 0), l.status, l.error,"
		"  l.conditions, d.last_seen"
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
					       col_int(s, 5, 0), col_int(s, 6, 0), col_text(s, 7),
					       col_text(s, 8), col_text(s, 9), col_text(s, 10)};
		fn(ctx, &r);
	}
	return fdb_query_end(db, s, rc);
}

enum xs_status fdb_manifest_latest(struct fdb *db, int64_t supernet_id, char **json,
				   char **created)
{
	*json = *created = NULL;
	sqlite3_stmt *s = fdb_query(db, "SELECT json, created FROM manifests WHERE supernet_id = ?1"
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
			return fdb_seterr(db, XS_ENOMEM, "out of memory");
		}
		rc = SQLITE_DONE;
	}
	return fdb_query_end(db, s, rc);
}

/* Prepares head COND tail, COND "COL = ?2" for one device (device_id >= 0)
 * or "?2 < 0" for all, with ?1 supernet_id and ?2 device_id bound. Two
 * statements, not "(?2 < 0 OR COL = ?2)": the OR would keep SQLite off the
 * device index (a scan of every row per device). NULL with the message on
 * the handle. */
static sqlite3_stmt *device_query(struct fdb *db, const char *head, const char *col,
				  const char *tail, int64_t supernet_id, int64_t device_id)
{
	char sql[1024];
	if (device_id >= 0)
		snprintf(sql, sizeof(sql), "%s%s = ?2%s", head, col, tail);
	else
		snprintf(sql, sizeof(sql), "%s?2 < 0%s", head, tail);
	sqlite3_stmt *s = fdb_query(db, sql);
	if (s) {
		sqlite3_bind_int64(s, 1, supernet_id);
		sqlite3_bind_int64(s, 2, device_id);
	}
	return s;
}

enum xs_status fdb_subnet_results_each(struct fdb *db, int64_t supernet_id, int64_t device_id,
				       fdb_result_fn fn, void *ctx)
{
	sqlite3_stmt *s = device_query(db,
		"SELECT r.device_id, r.subnet_id, su.arch, r.precision, r.cores, r.agent_version,"
		" r.flags, r.xnm_sha256, r.threads, su.macs, su.params, r.n, r.arena_bytes,"
		" r.weight_bytes, r.peak_rss_delta_bytes, r.median_ms, r.p90_ms, r.p99_ms, r.top1,"
		" CASE r.precision WHEN 'f32' THEN su.test_top1 ELSE a.test_top1 END,"
		" r.max_logit_diff, r.median_hi_ms, r.p90_hi_ms"
		" FROM subnet_results r JOIN subnets su ON su.id = r.subnet_id"
		" LEFT JOIN subnet_accuracy a ON a.subnet_id = r.subnet_id AND"
		"  a.precision = r.precision"
		" WHERE su.supernet_id = ?1 AND ", "r.device_id",
		" AND r.status = 'ok' ORDER BY r.device_id, r.subnet_id, r.precision, r.threads",
		supernet_id, device_id);
	if (s == NULL)
		return XS_EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fdb_result_row r = {
			sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), col_text(s, 2),
			col_text(s, 3), col_text(s, 4), col_text(s, 5), col_text(s, 6), col_text(s, 7),
			(int)col_int(s, 8, 0), col_int(s, 9, -1), col_int(s, 10, -1), col_int(s, 11, -1),
			col_int(s, 12, -1), col_int(s, 13, -1), col_int(s, 14, INT64_MIN),
			col_real(s, 15), col_real(s, 16), col_real(s, 17), col_real(s, 18),
			col_real(s, 19), col_real(s, 20), col_real(s, 21), col_real(s, 22)};
		fn(ctx, &r);
	}
	return fdb_query_end(db, s, rc);
}

enum xs_status fdb_kernel_results_each(struct fdb *db, int64_t supernet_id, int64_t device_id,
				       fdb_kernel_fn fn, void *ctx)
{
	sqlite3_stmt *s = device_query(db,
		"SELECT device_id, piece, precision, flags, stage, first, res, cin, cout, expand,"
		" kernel, stride, threads, macs, median_ms, p90_ms FROM kernel_results"
		" WHERE supernet_id = ?1 AND ", "device_id", " ORDER BY device_id, threads, id",
		supernet_id, device_id);
	if (s == NULL)
		return XS_EIO;
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
	return fdb_query_end(db, s, rc);
}

enum xs_status fdb_kernel_pieces_text(struct fdb *db, const struct fdb_key *k,
				      int64_t supernet_id, char **text, size_t *count)
{
	*text = NULL;
	*count = 0;
	if (!fdb_key_ok(k))
		return fdb_seterr(db, XS_EINVAL, "device DB: a lookup without the full key");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->h,
		"SELECT threads || ',' || piece || ',' || stage || ',' || first || ',' || res ||"
		" ',' || expand || ',' || kernel FROM kernel_results WHERE device_id = ?1 AND"
		" supernet_id = ?2 AND precision = ?3 AND threads = ?4 AND cores = ?5 AND"
		" agent_version = ?6", -1, &s, NULL) != SQLITE_OK)
		return fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	fdb_bind_key(s, k, supernet_id);
	size_t len = 0, cap = 1;
	char *buf = malloc(cap);
	int rc = SQLITE_NOMEM;
	while (buf && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(s, 0);
		size_t n = line ? strlen(line) : 0;
		if (len + n + 2 > cap) {
			char *nb = realloc(buf, (len + n + 2) * 2);
			if (nb == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			buf = nb;
			cap = (len + n + 2) * 2;
		}
		memcpy(buf + len, line ? line : "", n);
		len += n;
		buf[len++] = '\n';
		(*count)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(buf);
		*count = 0;
		return rc == SQLITE_NOMEM ? fdb_seterr(db, XS_ENOMEM, "out of memory")
					  : fdb_seterr(db, XS_EIO, "device DB: %s", sqlite3_errmsg(db->h));
	}
	buf[len] = '\0';
	*text = buf;
	return XS_OK;
}
