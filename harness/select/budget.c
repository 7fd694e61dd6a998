/* budget.c - the --budget spec and the --population CSV (budget.h). */
#include <ctype.h>
#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "budget.h"

/* ---- budget ------------------------------------------------------------------------ */

/* A number and its unit in [p, end); factor from the unit table. */
static bool number_unit(const char *p, const char *end, const char *const *units,
			const double *factors, double *out)
{
	char buf[64];
	size_t len = (size_t)(end - p);
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	char *u;
	double v = strtod(buf, &u);
	if (u == buf || !isfinite(v) || !(v > 0))
		return false;
	for (size_t i = 0; units[i]; i++)
		if (strcasecmp(u, units[i]) == 0) {
			*out = v * factors[i];
			return isfinite(*out);
		}
	return false;
}

bool xf_budget_parse(const char *text, struct xf_budget *out, char *why, size_t why_n)
{
	static const char *const time_units[] = {"us", "ms", "s", NULL};
	static const double time_f[] = {1e-3, 1, 1e3};
	static const char *const byte_units[] = {"B", "KB", "MB", "GB", "KiB", "MiB", "GiB", NULL};
	static const double byte_f[] = {1, 1024, 1048576, 1073741824.0, 1024, 1048576,
					1073741824.0};
	memset(out, 0, sizeof(*out));
	out->percentile = 90;
	bool seen_lat = false, seen_mem = false, seen_size = false;
	for (const char *p = text; *p;) {
		const char *end = p + strcspn(p, ",");
		const char *op = strstr(p, "<=");
		if (op == NULL || op > end) {
			snprintf(why, why_n, "'%.*s' is not NAME<=VALUE (e.g. p90<=8ms, mem<=4MB, "
				 "size<=1MB)", (int)(end - p > 60 ? 60 : end - p), p);
			return false;
		}
		size_t nlen = (size_t)(op - p);
		double v;
		if (nlen == 3 && p[0] == 'p' && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2])) {
			int pc = (p[1] - '0') * 10 + (p[2] - '0');
			if (pc != 50 && pc != 90 && pc != 99) {
				snprintf(why, why_n, "p%d: the agent measures p50 (the median), p90 and p99",
					 pc);
				return false;
			}
			if (seen_lat) {
				snprintf(why, why_n, "the latency is given twice");
				return false;
			}
			if (!number_unit(op + 2, end, time_units, time_f, &v) || v > 1e9) {
				snprintf(why, why_n, "'%.*s': give the latency as p90<=8ms (a number > 0 "
					 "and at most 1e6 s; units us, ms, s)",
					 (int)(end - p > 60 ? 60 : end - p), p);
				return false;
			}
			seen_lat = true;
			out->percentile = pc;
			out->latency_ms = v;
		} else if ((nlen == 3 && strncmp(p, "mem", 3) == 0) ||
			   (nlen == 4 && strncmp(p, "size", 4) == 0)) {
			bool mem = nlen == 3;
			if (mem ? seen_mem : seen_size) {
				snprintf(why, why_n, "%s is given twice", mem ? "the memory" : "the size");
				return false;
			}
			if (!number_unit(op + 2, end, byte_units, byte_f, &v) || v > 1e15) {
				snprintf(why, why_n, "'%.*s': give %s in B, KB, MB or GB (powers of 1024; a "
					 "number > 0 and below 1e15 bytes), e.g. %s",
					 (int)(end - p > 60 ? 60 : end - p), p,
					 mem ? "the memory" : "the size", mem ? "mem<=4MB" : "size<=1MB");
				return false;
			}
			if (mem) {
				seen_mem = true;
				out->memory = (uint64_t)ceil(v);
			} else {
				seen_size = true;
				out->size = (uint64_t)ceil(v);
			}
		} else {
			snprintf(why, why_n, "unknown budget '%.*s': give pNN (latency), mem or size",
				 (int)(nlen > 40 ? 40 : nlen), p);
			return false;
		}
		p = *end ? end + 1 : end;
	}
	if (!seen_lat && !seen_mem && !seen_size) {
		snprintf(why, why_n, "an empty budget: give e.g. %s", XF_DEFAULT_BUDGET);
		return false;
	}
	return true;
}

void xf_budget_print(const struct xf_budget *b, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	if (b->latency_ms > 0)
		len += (size_t)snprintf(out + len, n - len, "p%d<=%gms", b->percentile, b->latency_ms);
	if (b->memory && len < n)
		len += (size_t)snprintf(out + len, n - len, "%smem<=%lluB", len ? "," : "",
					(unsigned long long)b->memory);
	if (b->size && len < n)
		snprintf(out + len, n - len, "%ssize<=%lluB", len ? "," : "",
			 (unsigned long long)b->size);
}

/* ---- population ------------------------------------------------------------------- */

struct pop {
	struct xf_share *rows;
	size_t n, cap;
	char field[2][160];
	size_t nfields;
	size_t line;
	bool bad;
	char *why;
	size_t why_n;
};

static void pop_field(void *s, size_t len, void *ctx)
{
	struct pop *p = ctx;
	if (p->nfields < 2) {
		if (len >= sizeof(p->field[0]))
			len = sizeof(p->field[0]) - 1;
		if (s == NULL)  /* an empty field */
			len = 0;
		else
			memcpy(p->field[p->nfields], s, len);
		p->field[p->nfields][len] = '\0';
		if (strlen(p->field[p->nfields]) != len && !p->bad) {
			snprintf(p->why, p->why_n, "row %zu: a NUL byte in a field", p->line);
			p->bad = true;
		}
	}
	p->nfields++;
}

static void pop_row(int c, void *ctx)
{
	(void)c;
	struct pop *p = ctx;
	p->line++;
	size_t nf = p->nfields;
	p->nfields = 0;
	if (p->bad)
		return;
	if (nf != 2) {
		snprintf(p->why, p->why_n, "row %zu: %zu fields; each row is model,share", p->line, nf);
		p->bad = true;
		return;
	}
	char *end;
	double v = strtod(p->field[1], &end);
	if (end == p->field[1] || *end || !isfinite(v) || v < 0) {
		if (p->line == 1 && strcasecmp(p->field[1], "share") == 0)
			return;  /* the header */
		snprintf(p->why, p->why_n, "row %zu: share '%.40s' is not a number >= 0", p->line,
			 p->field[1]);
		p->bad = true;
		return;
	}
	if (p->field[0][0] == '\0') {
		snprintf(p->why, p->why_n, "row %zu: an empty model name", p->line);
		p->bad = true;
		return;
	}
	if (strlen(p->field[0]) >= sizeof(p->rows[0].model)) {
		snprintf(p->why, p->why_n, "row %zu: a model name longer than %zu bytes", p->line,
			 sizeof(p->rows[0].model) - 1);
		p->bad = true;
		return;
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->rows[i].model, p->field[0]) == 0) {
			snprintf(p->why, p->why_n, "row %zu: model '%.80s' is there twice", p->line,
				 p->field[0]);
			p->bad = true;
			return;
		}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 32;
		struct xf_share *nr = realloc(p->rows, cap * sizeof(*nr));
		if (nr == NULL) {
			snprintf(p->why, p->why_n, "out of memory");
			p->bad = true;
			return;
		}
		p->rows = nr;
		p->cap = cap;
	}
	snprintf(p->rows[p->n].model, sizeof(p->rows[p->n].model), "%s", p->field[0]);
	p->rows[p->n++].share = v;
}

bool xf_population_parse(const char *text, size_t len, struct xf_share **out, size_t *n,
			 char *why, size_t why_n)
{
	struct csv_parser csv;
	struct pop p = {.why = why, .why_n = why_n};
	*out = NULL;
	*n = 0;
	if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) {
		snprintf(why, why_n, "out of memory");
		return false;
	}
	bool ok = csv_parse(&csv, text, len, pop_field, pop_row, &p) == len;
	if (ok)
		ok = csv_fini(&csv, pop_field, pop_row, &p) == 0;
	if (!ok && !p.bad)
		snprintf(why, why_n, "row %zu: %s", p.line + 1, csv_strerror(csv_error(&csv)));
	csv_free(&csv);
	double total = 0;
	for (size_t i = 0; i < p.n; i++)
		total += p.rows[i].share;
	if (ok && !p.bad && !(total > 0)) {
		snprintf(why, why_n, p.n ? "every share is 0" : "no rows (model,share)");
		p.bad = true;
	}
	if (!ok || p.bad) {
		free(p.rows);
		return false;
	}
	for (size_t i = 0; i < p.n; i++)
		p.rows[i].share /= total;
	*out = p.rows;
	*n = p.n;
	return true;
}

