/* agent-csv.h - the harness's reader of agent output (DESIGN.md "Agent
 * output"): "#key=value" metadata lines, a header row, RFC 4180 rows (libcsv),
 * and "#end rows=N" last.
 *
 * It streams: feed it bytes as they arrive and it calls back once per
 * complete row, so a stream that is cut keeps every row that arrived whole.
 * It checks what it can: a header before rows, every row as wide as the
 * header, metadata only between rows, nothing after the end line, and that
 * the end line's count is the number of rows. err may be NULL everywhere. */
#ifndef XF_AGENT_CSV_H
#define XF_AGENT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "xs.h"

struct xf_agent_reader;

/* fields[i] are NUL-terminated and valid during the call only. */
typedef void (*xf_agent_row_fn)(void *ctx, const struct xf_agent_reader *r,
				char *const *fields, size_t n);

enum xs_status xf_agent_reader_create(xf_agent_row_fn fn, void *ctx,
				      struct xf_agent_reader **out,
				      struct xs_error *err);
void xf_agent_reader_destroy(struct xf_agent_reader *r);
/* Parses more bytes. XS_EFORMAT (and err) at the first malformed thing;
 * after an error the reader takes no more. */
enum xs_status xf_agent_reader_feed(struct xf_agent_reader *r, const void *data,
				    size_t len, struct xs_error *err);
/* The stream ended: XS_OK when it was complete ("#end rows=N" matched),
 * else XS_EFORMAT saying how it was cut. */
enum xs_status xf_agent_reader_finish(struct xf_agent_reader *r,
				      struct xs_error *err);

size_t xf_agent_reader_rows(const struct xf_agent_reader *r);
size_t xf_agent_reader_ncols(const struct xf_agent_reader *r);
const char *xf_agent_reader_col(const struct xf_agent_reader *r, size_t i);
/* The index of column name, or -1. */
int xf_agent_reader_find(const struct xf_agent_reader *r, const char *name);
/* A metadata value ("#key=value"), or NULL. */
const char *xf_agent_reader_meta(const struct xf_agent_reader *r, const char *key);


#endif /* XF_AGENT_CSV_H */
