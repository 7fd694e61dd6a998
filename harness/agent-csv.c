/* agent-csv.c - reads agent output as it streams in (agent-csv.h).
 *
 * libcsv parses the records; this file decides, at the start of each record,
 * whether the line is a "#" metadata line instead, and feeds libcsv one line
 * at a time so that it knows where records end (a quoted field may hold a
 * newline: then the next line continues the record and is not metadata). */
#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-csv.h"

#define MAX_FIELDS 256
#define MAX_META 64
#define MAX_LINE (1 << 20)

struct xf_agent_reader {
	struct csv_parser csv;
	xf_agent_row_fn fn;
	void *ctx;
	/* the record being read */
	char *fields[MAX_FIELDS];
	size_t nfields;
	bool overflow;
	bool record_ended;
	/* the table */
	char *cols[MAX_FIELDS];
	size_t ncols;
	size_t rows;
	char *meta_key[MAX_META], *meta_val[MAX_META];
	size_t nmeta;
	bool ended;            /* "#end rows=N" seen */
	size_t end_rows;
	bool failed;
	char why[200];
	/* a partial line (no newline yet) */
	char *line;
	size_t line_len, line_cap;
	bool in_record;        /* inside a record that spans lines */
};

static void on_field(void *s, size_t len, void *p)
{
	struct xf_agent_reader *r = p;
	if (r->nfields == MAX_FIELDS) {
		r->overflow = true;
		return;
	}
	char *f = malloc(len + 1);
	if (f == NULL) {
		r->overflow = true;
		return;
	}
	if (len)
		memcpy(f, s, len);
	f[len] = '\0';
	r->fields[r->nfields++] = f;
}

static void clear_fields(struct xf_agent_reader *r)
{
	for (size_t i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	r->nfields = 0;
	r->overflow = false;
}

static void fail(struct xf_agent_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct xf_agent_reader *r, const char *fmt, ...)
{
	if (r->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	r->failed = true;
}

static void on_record(int c, void *p)
{
	(void)c;
	struct xf_agent_reader *r = p;
	r->record_ended = true;
	if (r->failed) {
		clear_fields(r);
		return;
	}
	if (r->overflow)
		fail(r, "a row has more than %d fields", MAX_FIELDS);
	else if (r->ended)
		fail(r, "a row after the '#end' line");
	else if (r->ncols == 0) {
		memcpy(r->cols, r->fields, r->nfields * sizeof(char *));
		r->ncols = r->nfields;
		r->nfields = 0;  /* the header keeps the strings */
		return;
	} else if (r->nfields != r->ncols)
		fail(r, "row %zu has %zu fields, the header %zu", r->rows + 1, r->nfields,
		     r->ncols);
	else {
		r->rows++;
		r->fn(r->ctx, r, r->fields, r->nfields);
	}
	clear_fields(r);
}

enum xs_status xf_agent_reader_create(xf_agent_row_fn fn, void *ctx,
				      struct xf_agent_reader **out,
				      struct xs_error *err)
{
	struct xf_agent_reader *r = calloc(1, sizeof(*r));
	if (r == NULL || csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(r);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "agent output: out of memory");
		return XS_ENOMEM;
	}
	r->fn = fn;
	r->ctx = ctx;
	*out = r;
	return XS_OK;
}

void xf_agent_reader_destroy(struct xf_agent_reader *r)
{
	if (r == NULL)
		return;
	csv_free(&r->csv);
	clear_fields(r);
	for (size_t i = 0; i < r->ncols; i++)
		free(r->cols[i]);
	for (size_t i = 0; i < r->nmeta; i++) {
		free(r->meta_key[i]);
		free(r->meta_val[i]);
	}
	free(r->line);
	free(r);
}

/* One "#..." line (without its newline). */
static void meta_line(struct xf_agent_reader *r, const char *s, size_t len)
{
	if (r->ended) {
		fail(r, "a line after the '#end' line");
		return;
	}
	if (len > 9 && strncmp(s, "#end rows=", 10) == 0) {
		char num[32], *end;
		size_t n = len - 10 < sizeof(num) - 1 ? len - 10 : sizeof(num) - 1;
		memcpy(num, s + 10, n);
		num[n] = '\0';
		unsigned long long v = strtoull(num, &end, 10);
		if (end == num || *end) {
			fail(r, "bad end line '%.40s'", s);
			return;
		}
		r->ended = true;
		r->end_rows = (size_t)v;
		return;
	}
	const char *eq = memchr(s, '=', len);
	if (eq == NULL || eq == s + 1) {
		fail(r, "a metadata line without key=value: '%.40s'", s);
		return;
	}
	if (r->nmeta == MAX_META)
		return;  /* more metadata than we keep: ignored */
	r->meta_key[r->nmeta] = strndup(s + 1, (size_t)(eq - s - 1));
	r->meta_val[r->nmeta] = strndup(eq + 1, (size_t)(s + len - eq - 1));
	if (r->meta_key[r->nmeta] && r->meta_val[r->nmeta])
		r->nmeta++;
}

/* One whole line, its newline included. */
static void whole_line(struct xf_agent_reader *r, const char *s, size_t len)
{
	if (!r->in_record && len > 0 && s[0] == '#') {
		size_t n = len;
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			n--;
		meta_line(r, s, n);
		return;
	}
	if (r->ended && !(len == 1 || (len == 2 && s[0] == '\r'))) {
		fail(r, "a line after the '#end' line");
		return;
	}
	r->record_ended = false;
	if (csv_parse(&r->csv, s, len, on_field, on_record, r) != len) {
		fail(r, "malformed CSV at row %zu: %s", r->rows + 1,
		     csv_strerror(csv_error(&r->csv)));
		return;
	}
	/* a line that did not end its record was inside quotes */
	r->in_record = !r->record_ended && (r->nfields > 0 || len > 1);
}

enum xs_status xf_agent_reader_feed(struct xf_agent_reader *r, const void *data,
				    size_t len, struct xs_error *err)
{
	const char *p = data;
	while (len > 0 && !r->failed) {
		const char *nl = memchr(p, '\n', len);
		size_t take = nl ? (size_t)(nl - p) + 1 : len;
		if (r->line_len + take > MAX_LINE) {
			fail(r, "a line longer than %d bytes", MAX_LINE);
			break;
		}
		if (r->line_len + take > r->line_cap) {
			size_t cap = r->line_cap ? r->line_cap : 4096;
			while (cap < r->line_len + take)
				cap *= 2;
			char *nlb = realloc(r->line, cap);
			if (nlb == NULL) {
				fail(r, "out of memory");
				break;
			}
			r->line = nlb;
			r->line_cap = cap;
		}
		memcpy(r->line + r->line_len, p, take);
		r->line_len += take;
		p += take;
		len -= take;
		if (nl) {
			whole_line(r, r->line, r->line_len);
			r->line_len = 0;
		}
	}
	if (r->failed) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "agent output: %s", r->why);
		return XS_EFORMAT;
	}
	return XS_OK;
}

enum xs_status xf_agent_reader_finish(struct xf_agent_reader *r,
				      struct xs_error *err)
{
	if (!r->failed && r->line_len > 0) {
		/* a last line without newline: complete only if it is the end line */
		if (r->line[0] == '#' && !r->in_record)
			meta_line(r, r->line, r->line_len);
		else
			fail(r, "cut: the last row has no line end");
		r->line_len = 0;
	}
	if (!r->failed && r->in_record)
		fail(r, "cut inside a quoted field of row %zu", r->rows + 1);
	if (!r->failed && !r->ended)
		fail(r, "cut: no '#end rows=N' line after %zu rows (the device or the "
			"connection stopped; the rows so far are kept)", r->rows);
	if (!r->failed && r->end_rows != r->rows)
		fail(r, "the end line says %zu rows but %zu arrived", r->end_rows, r->rows);
	if (!r->failed && r->ncols == 0)
		fail(r, "no header row");
	if (r->failed) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "agent output: %s", r->why);
		return XS_EFORMAT;
	}
	return XS_OK;
}

size_t xf_agent_reader_rows(const struct xf_agent_reader *r) { return r->rows; }
size_t xf_agent_reader_ncols(const struct xf_agent_reader *r) { return r->ncols; }

const char *xf_agent_reader_col(const struct xf_agent_reader *r, size_t i)
{
	return i < r->ncols ? r->cols[i] : NULL;
}

int xf_agent_reader_find(const struct xf_agent_reader *r, const char *name)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i], name) == 0)
			return (int)i;
	return -1;
}

const char *xf_agent_reader_meta(const struct xf_agent_reader *r, const char *key)
{
	for (size_t i = 0; i < r->nmeta; i++)
		if (strcmp(r->meta_key[i], key) == 0)
			return r->meta_val[i];
	return NULL;
}
