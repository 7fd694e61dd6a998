/* fdb-columns.h - the columns of the two result tables, each listed once
 * (X-macros): the INSERTs' column lists, placeholders and binds
 * (fdb-write.c), the merge's column lists and the export's columns
 * (fdb-merge.c) all expand these, and test-fdb checks them against
 * PRAGMA table_info of a new DB, so a column cannot be missed by one of
 * them.
 *
 * X(name, kind): name is the column's and the C struct field's
 * (struct fdb_key, fdb_subnet_result, fdb_kernel_result), kind how it is
 * stored: text (NULL as NULL), status (NULL as 'ok'), int (always stored),
 * count (negative as NULL), delta (INT64_MIN as NULL), real (NAN as NULL).
 * Lists are in table order (the export's column order).
 *
 * The CREATE TABLEs stay literal in fdb.c's migrations: a shipped migration
 * never changes, so a new column is an ALTER TABLE in a new migration plus
 * an entry here (the test fails until both are there). Not listed: id and
 * the ids that join a row to its run, device and sub-net or supernet. */
#ifndef FDB_COLUMNS_H
#define FDB_COLUMNS_H

/* The measurement key after device_id (struct fdb_key): both tables. */
#define FDB_KEY_COLUMNS(X) \
	X(precision, text) X(threads, int) X(cores, text) X(agent_version, text)

/* subnet_results after run_id, device_id, subnet_id and the key. */
#define FDB_SUBNET_RESULT_COLUMNS(X) \
	X(status, status) X(flags, text) X(n, count) X(median_ms, real) \
	X(mean_ms, real) X(stdev_ms, real) X(cv, real) X(rcv, real) X(min_ms, real) \
	X(max_ms, real) X(p90_ms, real) X(p99_ms, real) X(cold_ms, real) \
	X(build_ms, real) X(arena_bytes, count) X(weight_bytes, count) \
	X(peak_rss_delta_bytes, delta) X(rss_method, text) X(eval_images, count) \
	X(top1, real) X(max_logit_diff, real) X(xnm_sha256, text) X(pinned, text) \
	X(temp_before_c, real) X(temp_after_c, real) X(freq_before, real) \
	X(freq_after, real) X(error, text) X(batch, count) X(median_lo_ms, real) \
	X(median_hi_ms, real) X(p90_lo_ms, real) X(p90_hi_ms, real)

/* kernel_results after run_id, device_id, supernet_id (the key sits
 * between stride and macs in the table). */
#define FDB_KERNEL_RESULT_COLUMNS(X) \
	X(piece, text) X(stage, int) X(first, int) X(res, int) X(cin, int) \
	X(cout, int) X(expand, int) X(kernel, int) X(stride, int) X(macs, count) \
	X(n, count) X(median_ms, real) X(mean_ms, real) X(cv, real) X(rcv, real) \
	X(p90_ms, real) X(min_ms, real) X(flags, text)

/* The declared SQL type of each kind (PRAGMA table_info's "type"). */
#define FDB_SQLTYPE_text "TEXT"
#define FDB_SQLTYPE_status "TEXT"
#define FDB_SQLTYPE_int "INTEGER"
#define FDB_SQLTYPE_count "INTEGER"
#define FDB_SQLTYPE_delta "INTEGER"
#define FDB_SQLTYPE_real "REAL"

/* Expansions into SQL text (string literals, so the statements stay
 * constants): ", name", ", r.name" and ", ?" per column. */
#define FDB_SQL_NAME(name, kind) ", " #name
#define FDB_SQL_R_NAME(name, kind) ", r." #name
#define FDB_SQL_PARAM(name, kind) ", ?"

#endif /* FDB_COLUMNS_H */
