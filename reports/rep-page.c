/* rep-page.c - a page's files and charts (rep-page.h): opening and closing
 * with the first failure kept, a chart's lines in the gnuplot script and its
 * <img> in the page. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rep-page.h"

static void fail(struct rep_page *pg, enum xs_status st, const char *dir, const char *name)
{
	if (pg->st != XS_OK)
		return;
	pg->st = st;
	snprintf(pg->err->msg, sizeof(pg->err->msg), "cannot write '%.300s/%.100s': %s", dir, name,
		 strerror(errno));
}

FILE *rep_file_open(struct rep_page *pg, const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		fail(pg, XS_EIO, dir, name);
	return f;
}

void rep_file_close(struct rep_page *pg, FILE *f, const char *dir, const char *name)
{
	if (f && fclose(f) != 0)
		fail(pg, XS_EIO, dir, name);
}

void rep_page_nomem(struct rep_page *pg)
{
	if (pg->st != XS_OK)
		return;
	pg->st = XS_ENOMEM;
	snprintf(pg->err->msg, sizeof(pg->err->msg), "out of memory");
}

void rep_chart_begin(struct rep_page *pg, const char *svg, const char *title, const char *xlabel,
		     const char *ylabel, bool logx)
{
	fprintf(pg->gp, "reset\nset output '%s'\nset title '%s'\nset xlabel '%s'\nset ylabel '%s'\n"
			"set grid\nset key bottom right\n%s", svg, title, xlabel, ylabel,
		logx ? "set logscale x\n" : "");
	pg->ncharts++;
}

void rep_chart_img(struct rep_page *pg, const char *svg, const char *alt)
{
	if (!pg->charts)
		return;
	fprintf(pg->html, "<img class=chart src=\"%s/%s\" width=720 height=420 alt=\"", pg->subdir,
		svg);
	rep_html_put(pg->html, alt);
	fputs("\">\n", pg->html);
}
