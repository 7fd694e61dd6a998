/* rep-page.h - what the page writers of reports/ share (not for callers of
 * rep.h): the page being written, its files, the small HTML writers, the
 * sections of a supernet page (one file each).
 *
 * A page keeps its first failure (st, err) and goes on writing what it can:
 * a file that does not open is NULL and skipped by the writers, and the page
 * returns that failure at its end. */
#ifndef REP_PAGE_H
#define REP_PAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "rep.h"

struct rep_page {
	const struct rep_input *in;
	const struct rep_supernet *sn;
	char dir[PATH_MAX];            /* OUT/sn-SHA12: the page's files */
	char subdir[64];               /* sn-SHA12: as the page links them */
	FILE *html;                    /* OUT/sn-SHA12.html */
	FILE *gp;                      /* the gnuplot script, charts.gp */
	size_t ncharts;                /* charts in it */
	bool charts;                   /* gnuplot will draw them: <img> tags */
	const struct rep_device **order;  /* devices with results, real first, by id;
					   * emulated ones only when timed (opts) */
	size_t norder;
	size_t emulated_out;           /* emulated devices with results left out of order */
	enum xs_status st;             /* the first failure */
	struct xs_error *err;          /* never NULL */
};

/* Opens dir/name for writing; NULL (the page's failure set) when it cannot. */
FILE *rep_file_open(struct rep_page *pg, const char *dir, const char *name);
/* Closes f, dir/name (NULL: nothing), a write error the page's failure. */
void rep_file_close(struct rep_page *pg, FILE *f, const char *dir, const char *name);
/* Records XS_ENOMEM as the page's failure (when it has none yet). */
void rep_page_nomem(struct rep_page *pg);

/* <td>s</td>, escaped. */
void rep_td(FILE *f, const char *s);
/* A number cell: how '0'..'9' decimals, 'g' 4 significant digits; NAN a dash. */
void rep_tdn(FILE *f, double v, char how);
/* The doctype, head with the title (escaped) and the style, <body>. */
void rep_head(FILE *f, const char *title);
/* "real", "emulated" or "simulated". */
const char *rep_device_kind(const struct rep_device *d);
/* A device's row up to its kind: <tr>, id (D3), serial, model, SoC, ABI,
 * transport, kind. */
void rep_device_cells(FILE *f, const struct rep_device *d);
/* The device of id, NULL when the input has none. */
const struct rep_device *rep_device_find(const struct rep_input *in, int64_t id);

/* Starts a chart in the page's script: its SVG file, title, axes. */
void rep_chart_begin(struct rep_page *pg, const char *svg, const char *title, const char *xlabel,
		     const char *ylabel, bool logx);
/* The <img> of a chart (nothing without gnuplot). */
void rep_chart_img(struct rep_page *pg, const char *svg, const char *alt);

/* The sections of a supernet page, in page order. */
void rep_section_devices(struct rep_page *pg);
void rep_section_frontiers(struct rep_page *pg);
void rep_section_kernels(struct rep_page *pg);
void rep_section_predict(struct rep_page *pg);
void rep_section_tiers(struct rep_page *pg);

/* The page of a supernet (sha256 checked) as page, its files in subdir. */
enum xs_status rep_supernet_page(const struct rep_input *in, const struct rep_supernet *sn,
				 const struct rep_opts *opts, const char *page, const char *subdir,
				 size_t *charts, struct xs_error *err);
/* index.html; written[i]: supernet i has a page. */
enum xs_status rep_index_page(const struct rep_input *in, const struct rep_opts *opts,
			      const bool *written, struct xs_error *err);

#endif /* REP_PAGE_H */
