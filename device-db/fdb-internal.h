/* fdb-internal.h - what the device DB's files share (fdb.c, fdb-write.c,
 * fdb-query.c, fdb-merge.c; not for callers of fdb.h): the handle and the
 * helpers that prepare, bind and step statements with the message on the
 * handle. */
#ifndef FDB_INTERNAL_H
#define FDB_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fdb.h"

/* A sweep's writer (fdb-writer.c): what the sweeps and runs it begins
 * record, so that a later open can tell whether it is still alive. */
struct fdb_writer {
	char host[256];         /* gethostname */
	long pid;
	char start[96];         /* "BOOT_ID TICKS" (its start since that boot); "" unknown */
};

struct fdb {
	sqlite3 *h;             /* owned: closed by fdb_close */
	enum fdb_mode mode;
	int version;            /* the file's user_version as opened or migrated */
	struct fdb_writer self; /* this process (FDB_WRITE) */
	char msg[512];          /* the last error (fdb_errmsg) */
};

/* This process as a writer. Cannot fail (what it cannot read is "unknown"
 * or ""). */
void fdb_writer_self(struct fdb_writer *w);

/* Whether the writer (host, pid, start) recorded on a row is gone: same host
 * as self, and no process pid, a zombie, or one that started at another
 * time or boot (the pid was reused). A writer of another host, or one with no
 * pid, is never gone: it cannot be seen from here. */
bool fdb_writer_gone(const struct fdb_writer *self, const char *host, int64_t pid,
		     const char *start);

/* Sets the handle's message; returns st. */
enum xs_status fdb_seterr(struct fdb *db, enum xs_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Runs SQL without results; XS_EIO with SQLite's message on failure. */
enum xs_status fdb_exec(struct fdb *db, const char *sql);

/* Prepares a write: XS_EINVAL on a handle opened for reading, XS_EIO when
 * SQLite refuses the statement. *s is the caller's to finalize on XS_OK. */
enum xs_status fdb_prepare_write(struct fdb *db, const char *sql, sqlite3_stmt **s);

/* Prepares a read; the statement (the caller's to finalize) or NULL with
 * the message on the handle. */
sqlite3_stmt *fdb_query(struct fdb *db, const char *sql);

/* Ends a read loop: finalizes s; SQLITE_DONE is fine, any other rc an
 * error. */
enum xs_status fdb_query_end(struct fdb *db, sqlite3_stmt *s, int rc);

/* Steps and finalizes a statement that returns no row ("cannot WHAT: ..."
 * on failure). */
enum xs_status fdb_step_done(struct fdb *db, sqlite3_stmt *s, const char *what);

/* Binds v, NULL as SQL NULL. */
void fdb_bind_text(sqlite3_stmt *s, int i, const char *v);

/* Whether a measurement key is complete (precision, cores, agent version,
 * threads > 0). */
bool fdb_key_ok(const struct fdb_key *k);

/* Binds ?1 device, ?2 the other id, ?3 precision, ?4 threads, ?5 cores,
 * ?6 agent version: the lookups by measurement key. */
void fdb_bind_key(sqlite3_stmt *s, const struct fdb_key *k, int64_t other_id);

/* Whether a precision is f32 (NULL is): its reference is in subnets, the
 * others' in subnet_accuracy. */
static inline bool fdb_is_f32(const char *precision)
{
	return precision == NULL || strcmp(precision, "f32") == 0;
}

/* SELECT count(*) FROM table; -1 when it cannot be read. */
int64_t fdb_table_count(struct fdb *db, const char *table);

#endif /* FDB_INTERNAL_H */
