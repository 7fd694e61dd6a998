/* rep-html.c - the small HTML writers of the pages (rep.h, rep-page.h):
 * escaping, byte counts, table cells, the head with its inline style. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "rep-page.h"

static const char style[] =
	"<style>body{font-family:sans-serif;margin:1.5em;max-width:1300px;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:90%}"
	"th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}"
	"th{background:#eee}td.n{text-align:right}.note{color:#666}"
	"img.chart{display:block;margin:.5em 0;border:1px solid #ddd}"
	"code{font-size:90%}.sim{color:#a60}</style>";

void rep_html_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: putc(*s, f);
		}
	}
}

void rep_bytes_human(int64_t bytes, char *out, size_t n)
{
	if (bytes >= 1000000)
		snprintf(out, n, "%.1f MB", (double)bytes / 1e6);
	else if (bytes >= 1000)
		snprintf(out, n, "%.0f KB", (double)bytes / 1e3);
	else
		snprintf(out, n, "%" PRId64 " B", bytes);
}

void rep_td(FILE *f, const char *s)
{
	fputs("<td>", f);
	rep_html_put(f, s ? s : "");
	fputs("</td>", f);
}

void rep_tdn(FILE *f, double v, char how)
{
	fputs("<td class=n>", f);
	if (isnan(v))
		fputs("&ndash;", f);
	else if (how == 'g')
		fprintf(f, "%.4g", v);
	else
		fprintf(f, "%.*f", how - '0', v);
	fputs("</td>", f);
}

void rep_head(FILE *f, const char *title)
{
	fputs("<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>", f);
	rep_html_put(f, title);
	fprintf(f, "</title>%s</head><body>\n", style);
}

const char *rep_device_kind(const struct rep_device *d)
{
	return d->simulated ? "simulated" : d->emulated ? "emulated" : "real";
}

void rep_device_cells(FILE *f, const struct rep_device *d)
{
	fprintf(f, "<tr><td>D%" PRId64 "</td>", d->id);
	rep_td(f, d->serial);
	rep_td(f, d->model);
	rep_td(f, d->soc);
	rep_td(f, d->abi);
	rep_td(f, d->transport);
	fprintf(f, "<td%s>%s</td>", d->simulated ? " class=sim" : "", rep_device_kind(d));
}

const struct rep_device *rep_device_find(const struct rep_input *in, int64_t id)
{
	for (size_t i = 0; i < in->ndevices; i++)
		if (in->devices[i].id == id)
			return &in->devices[i];
	return NULL;
}
