/* csv.c - the agent's output: RFC 4180 CSV tables with "#" metadata lines,
 * ending "#end rows=N" so that a reader tells a complete stream from a cut
 * one. Every row is flushed as it ends. */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "xa.h"
#include "xs.h"

void xa_csv_init(struct xa_csv *c, FILE *f)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
}

void xa_csv_meta(struct xa_csv *c, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	fprintf(c->f, "#%s=%s\n", key, buf);
	fflush(c->f);
}

void xa_csv_header(struct xa_csv *c, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', c->f);
		xs_csv_put(c->f, names[i]);
	}
	fputc('\n', c->f);
	c->ncols = n;
	c->col = 0;
}

void xa_csv_field(struct xa_csv *c, const char *s)
{
	if (c->col++)
		fputc(',', c->f);
	xs_csv_put(c->f, s ? s : "");
}

void xa_csv_fieldf(struct xa_csv *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xa_csv_field(c, buf);
}

void xa_csv_number(struct xa_csv *c, double v)
{
	if (isnan(v))
		xa_csv_field(c, "");
	else
		xa_csv_fieldf(c, "%.9g", v);
}

void xa_csv_end_row(struct xa_csv *c)
{
	while (c->col < c->ncols)
		xa_csv_field(c, "");
	fputc('\n', c->f);
	fflush(c->f);
	c->rows++;
	c->col = 0;
}

void xa_csv_finish(struct xa_csv *c)
{
	fprintf(c->f, "#end rows=%zu\n", c->rows);
	fflush(c->f);
}
