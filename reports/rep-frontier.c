/* rep-frontier.c - the latency and top-1 sections of a supernet page
 * (rep-page.h), one per precision: per device (the first
 * REP_MAX_DEVICE_SECTIONS) every sub-net with its Pareto frontier and the
 * frontier's latency spread (dev-ID-PREC.dat/.csv/.svg), then every device's
 * frontier in one chart (frontiers-PREC.dat/.csv/.svg). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rep-page.h"

/* One device's sub-nets of one precision and its frontier. */
struct front {
	const struct rep_device *d;
	const char *prec;
	double *lat, *acc;             /* per sub-net */
	size_t *map;                   /* sub-net -> index into the results */
	size_t n;
	size_t *idx;                   /* the frontier: sub-net indices, by latency */
	size_t nf;
};

static const struct rep_result *front_result(const struct rep_page *pg, const struct front *fr,
					     size_t q)
{
	return &pg->sn->results[fr->map[fr->idx[q]]];
}

/* dev-ID-PREC.dat: block 0 every sub-net, block 1 the frontier with its
 * spread; dev-ID-PREC.csv every sub-net. Returns the points of block 0. */
static size_t device_files(struct rep_page *pg, const struct front *fr, const char *base,
			   bool *dat_ok)
{
	char dat[96], csv[96];
	snprintf(dat, sizeof(dat), "%s.dat", base);
	snprintf(csv, sizeof(csv), "%s.csv", base);
	FILE *dd = rep_file_open(pg, pg->dir, dat), *dcsv = rep_file_open(pg, pg->dir, csv);
	if (dcsv)
		fputs("arch,macs,median_ms,p90_ms,p99_ms,memory_bytes,top1,flags,frontier\n", dcsv);
	size_t npts = 0;
	for (size_t k = 0; k < fr->n; k++) {
		const struct rep_result *x = &pg->sn->results[fr->map[k]];
		bool front = false;
		for (size_t q = 0; q < fr->nf; q++)
			front = front || fr->idx[q] == k;
		if (dd && x->median_ms > 0 && !isnan(x->top1)) {
			fprintf(dd, "%.6g %.4f\n", x->median_ms, x->top1);
			npts++;
		}
		if (dcsv) {
			xs_csv_put(dcsv, x->arch);
			fprintf(dcsv, ",%" PRId64 ",%.6g,%.6g,%.6g,%" PRId64 ",%.4f,", x->macs,
				x->median_ms, x->p90_ms, x->p99_ms, x->memory_bytes, x->top1);
			xs_csv_put(dcsv, x->flags ? x->flags : "");
			fprintf(dcsv, ",%d\n", front);
		}
	}
	if (dd) {
		fputs("\n\n", dd);  /* block 1: the frontier with its spread */
		for (size_t q = 0; q < fr->nf; q++) {
			const struct rep_result *x = front_result(pg, fr, q);
			fprintf(dd, "%zu %.6g %.4f %.6g %.6g\n", q + 1, x->median_ms, x->top1,
				x->p90_ms > 0 ? x->p90_ms : x->median_ms,
				x->p99_ms > 0 ? x->p99_ms : x->median_ms);
		}
	}
	*dat_ok = dd != NULL;
	rep_file_close(pg, dd, pg->dir, dat);
	rep_file_close(pg, dcsv, pg->dir, csv);
	return npts;
}

/* The device's two charts: its sub-nets with the frontier, the spread. */
static void device_charts(struct rep_page *pg, const struct front *fr, const char *base)
{
	char svg[96], t[160];
	snprintf(svg, sizeof(svg), "%s.svg", base);
	snprintf(t, sizeof(t), "D%" PRId64 " %s: every measured sub-net and the Pareto frontier",
		 fr->d->id, fr->prec);
	rep_chart_begin(pg, svg, t, "median latency (ms, log)", "top-1 (%)", true);
	fprintf(pg->gp, "plot '%s.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#888888' "
			"title 'sub-nets', '' index 1 using 2:3 with linespoints pt 7 lw 2 lc rgb "
			"'#c03000' title 'Pareto frontier'\n", base);
	rep_chart_img(pg, svg, t);
	snprintf(svg, sizeof(svg), "%s-spread.svg", base);
	snprintf(t, sizeof(t), "D%" PRId64 " %s: latency of the frontier sub-nets (median, p90, "
		 "p99)", fr->d->id, fr->prec);
	rep_chart_begin(pg, svg, t, "frontier sub-net (by latency)", "latency (ms)", false);
	fprintf(pg->gp, "set xtics 1\nset offsets 0.5, 0.5, 0, 0\nset logscale y\nplot '%s.dat' "
			"index 1 using 1:2:2:5 with yerrorbars pt 7 lc rgb '#0050a0' title 'median, "
			"bar to p99', '' index 1 using 1:4 with points pt 2 ps 1.2 lc rgb '#c03000' "
			"title 'p90'\n", base);
	rep_chart_img(pg, svg, t);
}

/* A device's section: heading, charts, the frontier's table. */
static void device_section(struct rep_page *pg, const struct front *fr)
{
	FILE *f = pg->html;
	char base[64];
	snprintf(base, sizeof(base), "dev-%" PRId64 "-%s", fr->d->id, fr->prec);
	bool dat_ok;
	size_t npts = device_files(pg, fr, base, &dat_ok);
	fprintf(f, "<h3>D%" PRId64 ": ", fr->d->id);
	rep_html_put(f, fr->d->serial);
	if (fr->d->model && fr->d->model[0]) {
		fputs(" (", f);
		rep_html_put(f, fr->d->model);
		fputs(")", f);
	}
	fprintf(f, " <span class=note>%s, %zu sub-nets, %zu on the frontier; <a href=\"%s/%s.csv\">"
		   "CSV</a></span></h3>\n", rep_device_kind(fr->d), fr->n, fr->nf, pg->subdir, base);
	if (npts && fr->nf && dat_ok)
		device_charts(pg, fr, base);
	fputs("<table><tr><th>frontier sub-net</th><th>median ms</th><th>p90 ms</th>"
	      "<th>p99 ms</th><th>spread (p90/median)</th><th>top-1</th></tr>\n", f);
	for (size_t q = 0; q < fr->nf; q++) {
		const struct rep_result *x = front_result(pg, fr, q);
		fputs("<tr><td><code>", f);
		rep_html_put(f, x->arch);
		fputs("</code></td>", f);
		rep_tdn(f, x->median_ms, 'g');
		rep_tdn(f, x->p90_ms, 'g');
		rep_tdn(f, x->p99_ms, 'g');
		rep_tdn(f, x->p90_ms / x->median_ms, '3');
		rep_tdn(f, x->top1, '2');
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* fr's sub-nets: the device's results of fr->prec; then its frontier. */
static void front_find(const struct rep_page *pg, struct front *fr)
{
	fr->n = 0;
	for (size_t j = 0; j < pg->sn->nresults; j++) {
		const struct rep_result *x = &pg->sn->results[j];
		if (x->device_id == fr->d->id && strcmp(x->precision, fr->prec) == 0) {
			/* a log axis: a latency <= 0 is no point */
			fr->lat[fr->n] = x->median_ms > 0 ? x->median_ms : NAN;
			fr->acc[fr->n] = x->top1;
			fr->map[fr->n++] = j;
		}
	}
	fr->nf = rep_pareto(fr->lat, fr->acc, fr->n, fr->idx);
}

/* The chart of every device's frontier (blocks of frontiers-PREC.dat). */
static void all_frontiers_chart(struct rep_page *pg, const char *prec, size_t ndevs,
				const char *ids)
{
	char svg[64], t[128];
	snprintf(svg, sizeof(svg), "frontiers-%s.svg", prec);
	snprintf(t, sizeof(t), "%s: the Pareto frontier of each of %zu device%s", prec, ndevs,
		 ndevs == 1 ? "" : "s");
	rep_chart_begin(pg, svg, t, "median latency (ms, log)", "top-1 (%)", true);
	if (ndevs <= 12)
		fprintf(pg->gp, "ids = '%s'\nset key outside right\nplot for [i=0:%zu] "
				"'frontiers-%s.dat' index i using 1:2 with linespoints pt 7 ps 0.4 "
				"lw 1.5 title 'D'.word(ids, i + 1)\n", ids, ndevs - 1, prec);
	else
		fprintf(pg->gp, "set key off\nplot for [i=0:%zu] 'frontiers-%s.dat' index i using "
				"1:2 with linespoints pt 7 ps 0.4 lw 1.5\n", ndevs - 1, prec);
	rep_chart_img(pg, svg, t);
}

/* The frontier rows of a device: a block of fd, rows of fc. */
static void frontier_rows(const struct rep_page *pg, const struct front *fr, FILE *fd, FILE *fc)
{
	for (size_t k = 0; k < fr->nf; k++) {
		const struct rep_result *x = front_result(pg, fr, k);
		if (fd)
			fprintf(fd, "%.6g %.4f\n", x->median_ms, x->top1);
		if (fc) {
			fprintf(fc, "%" PRId64 ",", fr->d->id);
			xs_csv_put(fc, x->arch);
			fprintf(fc, ",%.6g,%.6g,%.6g,%.4f\n", x->median_ms, x->p90_ms, x->p99_ms,
				x->top1);
		}
	}
	if (fd && fr->nf)
		fputs("\n\n", fd);
}

static void precision_section(struct rep_page *pg, struct front *fr)
{
	const char *prec = fr->prec;
	FILE *f = pg->html;
	char dat[64], csv[64];
	fprintf(f, "<h2>Latency and top-1 (%s)</h2>\n", prec);
	snprintf(dat, sizeof(dat), "frontiers-%s.dat", prec);
	snprintf(csv, sizeof(csv), "frontiers-%s.csv", prec);
	FILE *fd = rep_file_open(pg, pg->dir, dat), *fc = rep_file_open(pg, pg->dir, csv);
	if (fc)
		fputs("device,arch,median_ms,p90_ms,p99_ms,top1\n", fc);
	size_t nfront_devs = 0, sections = 0, more = 0;
	char front_ids[2048] = "";  /* the D ids of the frontier blocks, for the key */
	size_t fil = 0;
	for (size_t oi = 0; oi < pg->norder; oi++) {
		fr->d = pg->order[oi];
		front_find(pg, fr);
		if (fr->n == 0)
			continue;
		frontier_rows(pg, fr, fd, fc);
		if (fr->nf && fil + 24 < sizeof(front_ids))
			fil += (size_t)snprintf(front_ids + fil, sizeof(front_ids) - fil, "%s%" PRId64,
						fil ? " " : "", fr->d->id);
		nfront_devs += fr->nf > 0;
		if (sections == REP_MAX_DEVICE_SECTIONS) {
			more++;
			continue;
		}
		sections++;
		device_section(pg, fr);
	}
	if (more)
		fprintf(f, "<p class=note>%zu more devices: in <a href=\"%s/frontiers-%s.csv\">"
			   "frontiers-%s.csv</a>.</p>\n", more, pg->subdir, prec, prec);
	bool fd_ok = fd != NULL;
	rep_file_close(pg, fd, pg->dir, dat);
	rep_file_close(pg, fc, pg->dir, csv);
	fprintf(f, "<h3>Every device's frontier (%s)</h3>\n<p><a href=\"%s/frontiers-%s.csv\">"
		   "CSV</a></p>\n", prec, pg->subdir, prec);
	if (nfront_devs && fd_ok)
		all_frontiers_chart(pg, prec, nfront_devs, front_ids);
}

void rep_section_frontiers(struct rep_page *pg)
{
	const struct rep_supernet *sn = pg->sn;
	/* precisions present: the known words only (they name files and go into
	 * the gnuplot script; the sweep refuses others, a merged DB may not) */
	static const char *const known[] = {"f32", "int8"};
	const char *precs[2];
	size_t nprec = 0, unknown = 0;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < sn->nresults; i++)
			if (strcmp(sn->results[i].precision, known[k]) == 0) {
				precs[nprec++] = known[k];
				break;
			}
	for (size_t i = 0; i < sn->nresults; i++)
		unknown += strcmp(sn->results[i].precision, "f32") != 0 &&
			   strcmp(sn->results[i].precision, "int8") != 0;
	if (unknown)
		fprintf(pg->html, "<p class=note>%zu results with a precision other than f32 or int8 "
				  "are left out.</p>\n", unknown);
	size_t m = sn->nresults + 1;
	struct front fr = {.lat = malloc(m * sizeof(double)), .acc = malloc(m * sizeof(double)),
			   .map = malloc(m * sizeof(size_t)), .idx = malloc(m * sizeof(size_t))};
	if (fr.lat == NULL || fr.acc == NULL || fr.map == NULL || fr.idx == NULL) {
		rep_page_nomem(pg);
	} else {
		for (size_t pi = 0; pi < nprec; pi++) {
			fr.prec = precs[pi];
			precision_section(pg, &fr);
		}
	}
	free(fr.lat);
	free(fr.acc);
	free(fr.map);
	free(fr.idx);
}
