/* cmd-report.c - xnn-fleet report: HTML pages of the device DB with gnuplot
 * charts (SVG), and the tables behind every chart as CSV next to its page.
 *
 * OUT/index.html: supernets, devices, sweeps. OUT/sn-SHA12.html per
 * supernet, its files in OUT/sn-SHA12/. Charts name devices by their DB id
 * (D3): no string from a device ever goes into a gnuplot script; in the
 * pages every such string is HTML-escaped. The pages need nothing from the
 * web: no scripts, no fonts, CSS inline. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent-csv.h"
#include "fdb.h"
#include "manifest.h"
#include "predict.h"
#include "report.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet report [--db FILE] [--supernet NAME|SHA256] [--no-charts] --out DIR\n"
	"\n"
	"Writes DIR/index.html (supernets, devices, sweeps) and a page per supernet:\n"
	"its devices (identity, transport, emulated or simulated, conditions, clean /\n"
	"throttled / noisy / failed measurements), latency against top-1 per device\n"
	"with the Pareto frontier, all devices' frontiers, the latency spread of the\n"
	"frontier sub-nets, a heat map of the kernel tables, predicted against\n"
	"measured latency (leave-one-out, the +-10% band) and the tiers of the newest\n"
	"manifest. Charts are SVG made by gnuplot (Debian: gnuplot-nox); without it\n"
	"(or with --no-charts) the pages keep their tables. Every chart's table is a\n"
	"CSV file next to the page. Latency is for one thread; accuracy is the host's\n"
	"top-1 on the test set. Per-device sections: the first 40 devices (real ones\n"
	"first); the CSV files have all.\n"
	"--db defaults to fleet.db; --supernet to every supernet of the DB.\n";

#define MAX_DEVICE_SECTIONS 40

static const char style[] =
	"<style>body{font-family:sans-serif;margin:1.5em;max-width:1300px;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:90%}"
	"th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}"
	"th{background:#eee}td.n{text-align:right}.note{color:#666}"
	"img.chart{display:block;margin:.5em 0;border:1px solid #ddd}"
	"code{font-size:90%}.sim{color:#a60}</style>";

/* ---- what the DB holds ------------------------------------------------------------- */

struct dev {
	int64_t id;
	char *transport, *serial, *fingerprint, *model, *soc, *abi, *os;
	int cpus;
	int64_t ram;
	bool emulated, simulated;
	struct fdb_device_summary sum;
	char *run_status, *run_error, *conditions;
	bool has_sum;
};

struct res {
	int64_t device_id;
	char *arch, *precision, *flags;
	double median, p90, p99, top1;
	int64_t macs, memory;
};

struct krow {
	int64_t device_id;
	char key[96];
	double median;
};

struct rep {
	struct fdb *db;
	const char *out;
	bool charts;
	struct dev *d;
	size_t nd;
	struct res *r;
	size_t nr, capr;
	struct krow *k;
	size_t nk, capk;
	int64_t sn_id;
	bool oom;
	size_t chart_failures;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void on_device(void *ctx, const struct fdb_device_row *r)
{
	struct rep *p = ctx;
	struct dev *nd = realloc(p->d, (p->nd + 1) * sizeof(*nd));
	if (nd == NULL) {
		p->oom = true;
		return;
	}
	p->d = nd;
	struct dev *d = &p->d[p->nd++];
	memset(d, 0, sizeof(*d));
	d->id = r->id;
	d->transport = dup_or_null(r->transport);
	d->serial = dup_or_null(r->serial);
	d->fingerprint = dup_or_null(r->fingerprint);
	d->model = dup_or_null(r->model);
	d->soc = dup_or_null(r->soc);
	d->abi = dup_or_null(r->abi);
	d->os = dup_or_null(r->os);
	d->cpus = r->cpus;
	d->ram = r->ram_bytes;
	d->emulated = r->emulated;
	d->simulated = r->simulated;
}

static struct dev *dev_by_id(struct rep *p, int64_t id)
{
	for (size_t i = 0; i < p->nd; i++)
		if (p->d[i].id == id)
			return &p->d[i];
	return NULL;
}

static void on_summary(void *ctx, const struct fdb_device_summary *s)
{
	struct rep *p = ctx;
	struct dev *d = dev_by_id(p, s->device_id);
	if (d == NULL)
		return;
	d->sum = *s;
	d->has_sum = true;
	free(d->run_status);
	free(d->run_error);
	free(d->conditions);
	d->run_status = dup_or_null(s->run_status);
	d->run_error = dup_or_null(s->run_error);
	d->conditions = dup_or_null(s->conditions);
}

static void on_result(void *ctx, const struct fdb_result_row *r)
{
	struct rep *p = ctx;
	if (r->threads != 1)
		return;
	if (!xf_grow(&p->r, p->nr, &p->capr, sizeof(*p->r), 256)) {
		p->oom = true;
		return;
	}
	struct res *x = &p->r[p->nr++];
	x->device_id = r->device_id;
	x->arch = dup_or_null(r->arch ? r->arch : "");
	x->precision = dup_or_null(r->precision ? r->precision : "f32");
	x->flags = dup_or_null(r->flags ? r->flags : "");
	if (x->arch == NULL || x->precision == NULL || x->flags == NULL) {
		free(x->arch);
		free(x->precision);
		free(x->flags);
		p->nr--;
		p->oom = true;
		return;
	}
	x->median = r->median_ms;
	x->p90 = r->p90_ms;
	x->p99 = r->p99_ms;
	x->top1 = r->test_top1;
	x->macs = r->macs;
	x->memory = r->arena_bytes >= 0 && r->weight_bytes >= 0 ? r->arena_bytes + r->weight_bytes
								 : -1;
}

static void on_kernel(void *ctx, const struct fdb_kernel_row *k)
{
	struct rep *p = ctx;
	if (k->threads != 1 || isnan(k->median_ms) || !(k->median_ms > 0))
		return;
	if (!xf_grow(&p->k, p->nk, &p->capk, sizeof(*p->k), 1024)) {
		p->oom = true;
		return;
	}
	struct krow *x = &p->k[p->nk++];
	x->device_id = k->device_id;
	snprintf(x->key, sizeof(x->key), "%s s%d%s r%d e%d k%d %s", k->piece ? k->piece : "?",
		 k->stage, k->first ? " first" : "", k->res, k->expand, k->kernel,
		 k->precision ? k->precision : "f32");
	x->median = k->median_ms;
}

/* ---- small writers ----------------------------------------------------------------- */

static FILE *open_out(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		fprintf(stderr, "xnn-fleet report: cannot write '%s': %s\n", path, strerror(errno));
	return f;
}

static void td(FILE *f, const char *s)
{
	fputs("<td>", f);
	xf_html_put(f, s ? s : "");
	fputs("</td>", f);
}

/* A number cell: digits decimals ('g': 4 significant digits); NAN a dash. */
static void tdn(FILE *f, double v, char how)
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

static void head(FILE *f, const char *title)
{
	fputs("<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>", f);
	xf_html_put(f, title);
	fprintf(f, "</title>%s</head><body>\n", style);
}

static const char *devkind(const struct dev *d)
{
	return d->simulated ? "simulated" : d->emulated ? "emulated" : "real";
}

/* ---- the per-supernet page ---------------------------------------------------------- */

struct chartset {
	FILE *gp;       /* the gnuplot script */
	size_t n;       /* charts in it */
};

static void chart_begin(struct chartset *cs, const char *svg, const char *title,
			const char *xlabel, const char *ylabel, bool logx)
{
	FILE *g = cs->gp;
	fprintf(g, "reset\nset output '%s'\nset title '%s'\nset xlabel '%s'\nset ylabel '%s'\n"
		   "set grid\nset key bottom right\n%s", svg, title, xlabel, ylabel,
		logx ? "set logscale x\n" : "");
	cs->n++;
}

static void img(FILE *f, const char *subdir, const char *svg, bool charts, const char *alt)
{
	if (!charts)
		return;
	fprintf(f, "<img class=chart src=\"%s/%s\" width=720 height=420 alt=\"", subdir, svg);
	xf_html_put(f, alt);
	fputs("\">\n", f);
}

static int cmp_dev_order(const void *x, const void *y)
{
	const struct dev *a = *(const struct dev *const *)x, *b = *(const struct dev *const *)y;
	if (a->simulated != b->simulated)
		return a->simulated ? 1 : -1;
	return (a->id > b->id) - (a->id < b->id);
}

static bool supernet_page(struct rep *p, const struct fdb_supernet_row *sn, const char *page,
			  const char *subdir)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", p->out, subdir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "xnn-fleet report: cannot make '%s': %s\n", dir, strerror(errno));
		return false;
	}
	/* the data */
	for (size_t i = 0; i < p->nr; i++) {
		free(p->r[i].arch);
		free(p->r[i].precision);
		free(p->r[i].flags);
	}
	p->nr = p->nk = 0;
	for (size_t i = 0; i < p->nd; i++)
		p->d[i].has_sum = false;
	if (fdb_device_summaries_each(p->db, sn->id, on_summary, p) != XS_OK ||
	    fdb_subnet_results_each(p->db, sn->id, -1, on_result, p) != XS_OK ||
	    fdb_kernel_results_each(p->db, sn->id, -1, on_kernel, p) != XS_OK || p->oom) {
		fprintf(stderr, "xnn-fleet report: %s\n", p->oom ? "out of memory" : fdb_errmsg(p->db));
		return false;
	}
	char *space = NULL, sha[65];
	struct xs_space sp;
	struct xs_error err;
	int64_t snid;
	bool have_space = fdb_supernet_find(p->db, sn->sha256, &snid, sha, &space) == XS_OK &&
			  xs_space_parse(space, strlen(space), &sp, &err) == XS_OK;
	free(space);
	FILE *f = open_out(p->out, page);
	struct chartset cs = {open_out(dir, "charts.gp"), 0};
	if (f == NULL || cs.gp == NULL) {
		if (f)
			fclose(f);
		if (cs.gp)
			fclose(cs.gp);
		return false;
	}
	fputs("set terminal svg size 720,420 noenhanced font 'sans,10' background rgb 'white'\n"
	      "set datafile separator whitespace\n", cs.gp);
	char title[200];
	snprintf(title, sizeof(title), "xnn-fleet report: %s", sn->name ? sn->name : "?");
	head(f, title);
	fputs("<p><a href=\"index.html\">all supernets, devices, sweeps</a></p>\n<h1>", f);
	xf_html_put(f, sn->name);
	fputs("</h1>\n<p>sha256 <code>", f);
	xf_html_put(f, sn->sha256);
	fprintf(f, "</code>; %" PRId64 " sub-nets in the DB, %" PRId64 " results (ok) from %" PRId64
		" devices. Latency: one thread, ms; top-1: the host's, on the test set.</p>\n",
		sn->subnets, sn->results, sn->devices);
	if (!p->charts)
		fputs("<p class=note>Charts need gnuplot (Debian: <code>apt install gnuplot-nox</code>) "
		      "and were not drawn; the tables and the CSV files next to this page have the "
		      "data.</p>\n", f);

	/* devices */
	fputs("<h2>Devices</h2>\n<table><tr><th>id</th><th>serial</th><th>model</th><th>SoC</th>"
	      "<th>ABI</th><th>transport</th><th>kind</th><th>CPUs</th><th>RAM (GB)</th>"
	      "<th>last run</th><th>conditions</th><th>clean</th><th>throttled</th><th>noisy</th>"
	      "<th>failed</th><th>kernel rows</th></tr>\n", f);
	FILE *dc = open_out(dir, "devices.csv");
	if (dc)
		fputs("id,serial,model,soc,abi,transport,kind,cpus,ram_bytes,run_status,clean,"
		      "throttled,noisy,failed,kernel_rows\n", dc);
	size_t shown = 0;
	for (size_t i = 0; i < p->nd; i++) {
		const struct dev *d = &p->d[i];
		const struct fdb_device_summary *s = &d->sum;
		bool any = d->has_sum && s->clean + s->throttled + s->noisy + s->failed + s->kernels > 0;
		for (size_t j = 0; !any && d->has_sum && j < p->nr; j++)
			any = p->r[j].device_id == d->id;  /* e.g. rows flagged "budget" only */
		if (!any)
			continue;
		shown++;
		fprintf(f, "<tr><td>D%" PRId64 "</td>", d->id);
		td(f, d->serial);
		td(f, d->model);
		td(f, d->soc);
		td(f, d->abi);
		td(f, d->transport);
		fprintf(f, "<td%s>%s</td>", d->simulated ? " class=sim" : "", devkind(d));
		tdn(f, d->cpus ? d->cpus : NAN, '0');
		tdn(f, d->ram ? (double)d->ram / 1e9 : NAN, '1');
		fputs("<td>", f);
		xf_html_put(f, d->run_status ? d->run_status : "");
		if (d->run_error && d->run_error[0]) {
			fputs(": ", f);
			xf_html_put(f, d->run_error);
		}
		fputs("</td>", f);
		td(f, d->conditions);
		fprintf(f, "<td class=n>%" PRId64 "</td><td class=n>%" PRId64 "</td><td class=n>%" PRId64
			"</td><td class=n>%" PRId64 "</td><td class=n>%" PRId64 "</td></tr>\n", s->clean,
			s->throttled, s->noisy, s->failed, s->kernels);
		if (dc) {
			fprintf(dc, "%" PRId64 ",", d->id);
			const char *fs[] = {d->serial, d->model, d->soc, d->abi, d->transport, devkind(d)};
			for (size_t k = 0; k < 6; k++) {
				xs_csv_put(dc, fs[k] ? fs[k] : "");
				putc(',', dc);
			}
			fprintf(dc, "%d,%" PRId64 ",", d->cpus, d->ram);
			xs_csv_put(dc, d->run_status ? d->run_status : "");
			fprintf(dc, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
				s->clean, s->throttled, s->noisy, s->failed, s->kernels);
		}
	}
	fputs("</table>\n", f);
	fprintf(f, "<p>%zu device%s (<a href=\"%s/devices.csv\">CSV</a>).</p>\n", shown,
		shown == 1 ? "" : "s", subdir);
	if (dc)
		fclose(dc);

	/* precisions present: the known words only (they name files and go into
	 * the gnuplot script; the sweep refuses others, a merged DB may not) */
	static const char *const known[] = {"f32", "int8"};
	char precs[2][8];
	size_t nprec = 0, unknown = 0;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < p->nr; i++)
			if (strcmp(p->r[i].precision, known[k]) == 0) {
				snprintf(precs[nprec++], sizeof(precs[0]), "%s", known[k]);
				break;
			}
	for (size_t i = 0; i < p->nr; i++)
		unknown += strcmp(p->r[i].precision, "f32") != 0 && strcmp(p->r[i].precision, "int8") != 0;
	if (unknown)
		fprintf(f, "<p class=note>%zu results with a precision other than f32 or int8 are left "
			   "out.</p>\n", unknown);
	/* devices with results, real ones first */
	struct dev **order = calloc(p->nd + 1, sizeof(*order));
	size_t norder = 0;
	for (size_t i = 0; order && i < p->nd; i++)
		for (size_t j = 0; j < p->nr; j++)
			if (p->r[j].device_id == p->d[i].id) {
				order[norder++] = &p->d[i];
				break;
			}
	if (order)
		qsort(order, norder, sizeof(*order), cmp_dev_order);
	size_t *idx = malloc((p->nr + 1) * sizeof(size_t));
	double *lat = malloc((p->nr + 1) * sizeof(double)), *acc = malloc((p->nr + 1) * sizeof(double));
	size_t *map = malloc((p->nr + 1) * sizeof(size_t));
	if (order == NULL || idx == NULL || lat == NULL || acc == NULL || map == NULL) {
		free(order);
		free(idx);
		free(lat);
		free(acc);
		free(map);
		fclose(f);
		fclose(cs.gp);
		return false;
	}
	for (size_t pi = 0; pi < nprec; pi++) {
		const char *prec = precs[pi];
		char name[128];
		fprintf(f, "<h2>Latency and top-1 (%s)</h2>\n", prec);
		/* all frontiers: one file, one block per device */
		snprintf(name, sizeof(name), "frontiers-%s.dat", prec);
		FILE *fd = open_out(dir, name);
		snprintf(name, sizeof(name), "frontiers-%s.csv", prec);
		FILE *fc = open_out(dir, name);
		if (fc)
			fputs("device,arch,median_ms,p90_ms,p99_ms,top1\n", fc);
		size_t nfront_devs = 0, sections = 0, more = 0;
		char front_ids[2048] = "";  /* the D ids of the frontier blocks, for the key */
		size_t fil = 0;
		for (size_t oi = 0; oi < norder; oi++) {
			const struct dev *d = order[oi];
			size_t n = 0;
			for (size_t j = 0; j < p->nr; j++)
				if (p->r[j].device_id == d->id && strcmp(p->r[j].precision, prec) == 0) {
					/* a log axis: a latency <= 0 is no point */
					lat[n] = p->r[j].median > 0 ? p->r[j].median : NAN;
					acc[n] = p->r[j].top1;
					map[n++] = j;
				}
			if (n == 0)
				continue;
			size_t nf = xf_pareto(lat, acc, n, idx);
			for (size_t k = 0; k < nf; k++) {
				const struct res *x = &p->r[map[idx[k]]];
				if (fd)
					fprintf(fd, "%.6g %.4f\n", x->median, x->top1);
				if (fc) {
					fprintf(fc, "%" PRId64 ",", d->id);
					xs_csv_put(fc, x->arch);
					fprintf(fc, ",%.6g,%.6g,%.6g,%.4f\n", x->median, x->p90, x->p99, x->top1);
				}
			}
			if (fd && nf)
				fputs("\n\n", fd);
			if (nf && fil + 24 < sizeof(front_ids))
				fil += (size_t)snprintf(front_ids + fil, sizeof(front_ids) - fil, "%s%" PRId64,
							fil ? " " : "", d->id);
			nfront_devs += nf > 0;
			if (sections == MAX_DEVICE_SECTIONS) {
				more++;
				continue;
			}
			sections++;
			/* this device: every sub-net, its frontier, their spread */
			char base[64];
			snprintf(base, sizeof(base), "dev-%" PRId64 "-%s", d->id, prec);
			snprintf(name, sizeof(name), "%s.dat", base);
			FILE *dd = open_out(dir, name);
			snprintf(name, sizeof(name), "%s.csv", base);
			FILE *dcsv = open_out(dir, name);
			if (dcsv)
				fputs("arch,macs,median_ms,p90_ms,p99_ms,memory_bytes,top1,flags,frontier\n",
				      dcsv);
			size_t npts = 0;
			for (size_t k = 0; k < n; k++) {
				const struct res *x = &p->r[map[k]];
				bool front = false;
				for (size_t q = 0; q < nf; q++)
					front = front || idx[q] == k;
				if (dd && x->median > 0 && !isnan(x->top1)) {
					fprintf(dd, "%.6g %.4f\n", x->median, x->top1);
					npts++;
				}
				if (dcsv) {
					xs_csv_put(dcsv, x->arch);
					fprintf(dcsv, ",%" PRId64 ",%.6g,%.6g,%.6g,%" PRId64 ",%.4f,", x->macs,
						x->median, x->p90, x->p99, x->memory, x->top1);
					xs_csv_put(dcsv, x->flags ? x->flags : "");
					fprintf(dcsv, ",%d\n", front);
				}
			}
			if (dd) {
				fputs("\n\n", dd);  /* block 1: the frontier with its spread */
				for (size_t q = 0; q < nf; q++) {
					const struct res *x = &p->r[map[idx[q]]];
					fprintf(dd, "%zu %.6g %.4f %.6g %.6g\n", q + 1, x->median, x->top1,
						x->p90 > 0 ? x->p90 : x->median,
						x->p99 > 0 ? x->p99 : x->median);
				}
				fclose(dd);
			}
			if (dcsv)
				fclose(dcsv);
			fprintf(f, "<h3>D%" PRId64 ": ", d->id);
			xf_html_put(f, d->serial);
			if (d->model && d->model[0]) {
				fputs(" (", f);
				xf_html_put(f, d->model);
				fputs(")", f);
			}
			fprintf(f, " <span class=note>%s, %zu sub-nets, %zu on the frontier; <a "
				   "href=\"%s/%s.csv\">CSV</a></span></h3>\n", devkind(d), n, nf, subdir, base);
			if (npts && nf && dd) {
				char svg[96], t[160];
				snprintf(svg, sizeof(svg), "%s.svg", base);
				snprintf(t, sizeof(t), "D%" PRId64 " %s: every measured sub-net and the Pareto "
					 "frontier", d->id, prec);
				chart_begin(&cs, svg, t, "median latency (ms, log)", "top-1 (%)", true);
				fprintf(cs.gp, "plot '%s.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb "
					       "'#888888' title 'sub-nets', '' index 1 using 2:3 with linespoints "
					       "pt 7 lw 2 lc rgb '#c03000' title 'Pareto frontier'\n", base);
				img(f, subdir, svg, p->charts, t);
				snprintf(svg, sizeof(svg), "%s-spread.svg", base);
				snprintf(t, sizeof(t), "D%" PRId64 " %s: latency of the frontier sub-nets "
					 "(median, p90, p99)", d->id, prec);
				chart_begin(&cs, svg, t, "frontier sub-net (by latency)", "latency (ms)",
					    false);
				fprintf(cs.gp, "set xtics 1\nset offsets 0.5, 0.5, 0, 0\nset logscale y\n"
					       "plot '%s.dat' index 1 using 1:2:2:5 with yerrorbars pt 7 lc rgb "
					       "'#0050a0' title 'median, bar to p99', '' index 1 using 1:4 with "
					       "points pt 2 ps 1.2 lc rgb '#c03000' title 'p90'\n", base);
				img(f, subdir, svg, p->charts, t);
			}
			fputs("<table><tr><th>frontier sub-net</th><th>median ms</th><th>p90 ms</th>"
			      "<th>p99 ms</th><th>spread (p90/median)</th><th>top-1</th></tr>\n", f);
			for (size_t q = 0; q < nf; q++) {
				const struct res *x = &p->r[map[idx[q]]];
				fputs("<tr>", f);
				fputs("<td><code>", f);
				xf_html_put(f, x->arch);
				fputs("</code></td>", f);
				tdn(f, x->median, 'g');
				tdn(f, x->p90, 'g');
				tdn(f, x->p99, 'g');
				tdn(f, x->p90 / x->median, '3');
				tdn(f, x->top1, '2');
				fputs("</tr>\n", f);
			}
			fputs("</table>\n", f);
		}
		if (more)
			fprintf(f, "<p class=note>%zu more devices: in <a href=\"%s/frontiers-%s.csv\">"
				   "frontiers-%s.csv</a>.</p>\n", more, subdir, prec, prec);
		if (fd)
			fclose(fd);
		if (fc)
			fclose(fc);
		fprintf(f, "<h3>Every device's frontier (%s)</h3>\n<p><a href=\"%s/frontiers-%s.csv\">"
			   "CSV</a></p>\n", prec, subdir, prec);
		if (nfront_devs && fd) {
			char svg[64], t[128];
			snprintf(svg, sizeof(svg), "frontiers-%s.svg", prec);
			snprintf(t, sizeof(t), "%s: the Pareto frontier of each of %zu device%s", prec,
				 nfront_devs, nfront_devs == 1 ? "" : "s");
			chart_begin(&cs, svg, t, "median latency (ms, log)", "top-1 (%)", true);
			if (nfront_devs <= 12)
				fprintf(cs.gp, "ids = '%s'\nset key outside right\nplot for [i=0:%zu] "
					       "'frontiers-%s.dat' index i using 1:2 with linespoints pt 7 ps 0.4 "
					       "lw 1.5 title 'D'.word(ids, i + 1)\n", front_ids, nfront_devs - 1,
					prec);
			else
				fprintf(cs.gp, "set key off\nplot for [i=0:%zu] 'frontiers-%s.dat' index i "
					       "using 1:2 with linespoints pt 7 ps 0.4 lw 1.5\n",
					nfront_devs - 1, prec);
			img(f, subdir, svg, p->charts, t);
		}
	}

	/* the kernel tables: a heat map of log10(ms), pieces x devices (rows come
	 * by device) */
	size_t nkeys = 0, nkdev = 0;
	char (*keys)[96] = malloc((p->nk + 1) * sizeof(*keys));
	int64_t *kdev = malloc((p->nk + 1) * sizeof(int64_t));
	size_t *krow_key = malloc((p->nk + 1) * sizeof(size_t));
	size_t *krow_col = malloc((p->nk + 1) * sizeof(size_t));
	for (size_t i = 0; keys && kdev && krow_key && krow_col && i < p->nk; i++) {
		if (nkdev == 0 || kdev[nkdev - 1] != p->k[i].device_id)
			kdev[nkdev++] = p->k[i].device_id;
		krow_col[i] = nkdev - 1;
		size_t k = 0;
		/* the keys of one device repeat the first device's, in the same
		 * order mostly: look from where the last one was found */
		size_t start = i && krow_key[i - 1] + 1 < nkeys ? krow_key[i - 1] + 1 : 0;
		for (k = 0; k < nkeys; k++) {
			size_t c = (start + k) % nkeys;
			if (strcmp(keys[c], p->k[i].key) == 0) {
				k = c;
				break;
			}
		}
		if (k == nkeys)
			snprintf(keys[nkeys++], sizeof(keys[0]), "%s", p->k[i].key);
		krow_key[i] = k;
	}
	fputs("<h2>Kernel tables</h2>\n", f);
	double *mat = keys && kdev && nkeys && nkdev ? malloc(nkeys * nkdev * sizeof(double)) : NULL;
	if (mat) {
		for (size_t i = 0; i < nkeys * nkdev; i++)
			mat[i] = NAN;
		for (size_t i = 0; i < p->nk; i++)
			mat[krow_key[i] * nkdev + krow_col[i]] = p->k[i].median;
		FILE *km = open_out(dir, "kernels.dat"), *kc = open_out(dir, "kernels.csv");
		if (kc) {
			fputs("piece", kc);
			for (size_t c = 0; c < nkdev; c++)
				fprintf(kc, ",D%" PRId64, kdev[c]);
			putc('\n', kc);
		}
		for (size_t r = 0; r < nkeys; r++) {
			const double *row = &mat[r * nkdev];
			if (kc) {
				xs_csv_put(kc, keys[r]);
				for (size_t c = 0; c < nkdev; c++)
					fprintf(kc, isnan(row[c]) ? "," : ",%.6g", row[c]);
				putc('\n', kc);
			}
			/* gnuplot's image needs two rows and two columns: one piece or
			 * one device is written twice */
			for (int rr = 0; km && rr < (nkeys == 1 ? 2 : 1); rr++) {
				for (size_t c = 0; c < nkdev; c++)
					for (int cc = 0; cc < (nkdev == 1 ? 2 : 1); cc++)
						fprintf(km, "%s%.4f", c || cc ? " " : "",
							isnan(row[c]) ? NAN : log10(row[c]));
				putc('\n', km);
			}
		}
		bool km_ok = km != NULL;
		if (km)
			fclose(km);
		if (kc)
			fclose(kc);
		fprintf(f, "<p>%zu pieces (stem, blocks, head, as the agent's kernel table times them) on "
			   "%zu devices; colour: log10 of the median ms (<a href=\"%s/kernels.csv\">CSV"
			   "</a>, rows in its order, columns D ids).</p>\n", nkeys, nkdev, subdir);
		char t[128];
		snprintf(t, sizeof(t), "kernel tables: log10(median ms), %zu pieces x %zu devices",
			 nkeys, nkdev);
		if (km_ok) {
			chart_begin(&cs, "kernels.svg", t, "device (column of kernels.csv)",
				    "piece (row of kernels.csv)", false);
			fprintf(cs.gp, "set palette rgbformulae 33,13,10\nset datafile missing 'nan'\n"
				       "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\nunset grid\n",
				nkdev == 1 ? (size_t)1 : nkdev - 1, nkeys == 1 ? (size_t)1 : nkeys - 1);
			if (nkdev <= 30) {  /* D ids under the columns: numbers only */
				fputs("set xtics (", cs.gp);
				for (size_t c = 0; c < nkdev; c++)
					fprintf(cs.gp, "%s\"D%" PRId64 "\" %g", c ? ", " : "", kdev[c],
						nkdev == 1 ? 0.5 : (double)c);
				fputs(")\n", cs.gp);
			}
			/* a rectangle per cell for a few devices; an embedded image for many */
			fprintf(cs.gp, "plot 'kernels.dat' matrix with image%s notitle\n",
				nkdev <= 60 ? " pixels" : "");
			img(f, subdir, "kernels.svg", p->charts, t);
		}
	} else {
		fputs("<p class=note>No kernel tables in the DB.</p>\n", f);
	}
	free(mat);
	free(keys);
	free(kdev);
	free(krow_key);
	free(krow_col);

	/* predicted against measured: leave-one-out per device */
	fputs("<h2>Predicted and measured latency</h2>\n", f);
	size_t npred = 0, within10 = 0;
	FILE *pd = open_out(dir, "predict.dat"), *pc = open_out(dir, "predict.csv");
	if (pc)
		fputs("device,arch,predicted_ms,measured_ms\n", pc);
	double lo = INFINITY, hi = 0;
	for (size_t oi = 0; have_space && oi < norder; oi++) {
		const struct dev *d = order[oi];
		struct xf_ktable *kt;
		if (xf_ktable_load(p->db, sn->id, d->id, 1, &kt, &err) != XS_OK)
			continue;
		size_t n = 0;
		double *sum = malloc((p->nr + 1) * sizeof(double));
		double *blocks = malloc((p->nr + 1) * sizeof(double));
		double *meas = malloc((p->nr + 1) * sizeof(double));
		double *pred = malloc((p->nr + 1) * sizeof(double));
		for (size_t j = 0; sum && blocks && meas && pred && j < p->nr; j++) {
			const struct res *x = &p->r[j];
			struct xs_arch a;
			char missing[160];
			if (x->device_id != d->id || strcmp(x->precision, "f32") != 0 || !(x->median > 0) ||
			    xs_arch_parse(&sp, x->arch, &a, &err) != XS_OK ||
			    !xf_ktable_sum(kt, &sp, &a, &sum[n], &blocks[n], missing, sizeof(missing)))
				continue;
			meas[n] = x->median;
			map[n++] = j;
		}
		if (n >= 3 && xf_predict_loo(sum, blocks, meas, n, pred)) {
			for (size_t k = 0; k < n; k++) {
				if (!(pred[k] > 0))  /* a log axis */
					continue;
				if (pd)
					fprintf(pd, "%.6g %.6g\n", pred[k], meas[k]);
				if (pc) {
					fprintf(pc, "%" PRId64 ",", d->id);
					xs_csv_put(pc, p->r[map[k]].arch);
					fprintf(pc, ",%.6g,%.6g\n", pred[k], meas[k]);
				}
				within10 += fabs(pred[k] - meas[k]) <= 0.1 * meas[k];
				lo = fmin(lo, fmin(pred[k], meas[k]));
				hi = fmax(hi, fmax(pred[k], meas[k]));
			}
			npred += n;
		}
		free(sum);
		free(blocks);
		free(meas);
		free(pred);
		xf_ktable_destroy(kt);
	}
	if (pd)
		fclose(pd);
	if (pc)
		fclose(pc);
	if (npred && pd && hi > 0) {
		if (!(hi > lo * 1.01)) {  /* one value: a range around it */
			lo /= 2;
			hi *= 2;
		}
		fprintf(f, "<p>Each device's measured sub-nets, each predicted from its kernel table "
			   "calibrated on the others (leave-one-out): %zu of %zu within &plusmn;10%% "
			   "(<a href=\"%s/predict.csv\">CSV</a>).</p>\n", within10, npred, subdir);
		chart_begin(&cs, "predict.svg", "predicted against measured median latency "
			    "(leave-one-out), with the +-10% band", "predicted (ms, log)",
			    "measured (ms, log)", true);
		fprintf(cs.gp, "set logscale y\nset xrange [%g:%g]\nset yrange [%g:%g]\nset key top left\n"
			       "plot x with lines lc rgb '#000000' title 'measured = predicted', "
			       "1.1*x with lines dt 2 lc rgb '#888888' title '+10%%', 0.9*x with lines dt 2 "
			       "lc rgb '#888888' title '-10%%', 'predict.dat' every %zu using 1:2 with "
			       "points pt 7 ps 0.6 lc rgb '#0050a0' title '%s'\n", lo / 1.3, hi * 1.3,
			lo / 1.3, hi * 1.3, npred > 5000 ? (npred + 4999) / 5000 : 1,
			npred > 5000 ? "sub-nets (a sample of 5000)" : "sub-nets");
		img(f, subdir, "predict.svg", p->charts, "predicted against measured latency");
	} else {
		fputs("<p class=note>No device has a kernel table and three measured sub-nets.</p>\n", f);
	}

	/* tiers of the newest manifest */
	fputs("<h2>Tiers</h2>\n", f);
	char *json = NULL, *created = NULL;
	static struct xr_manifest m;
	char why[256];
	if (fdb_manifest_latest(p->db, sn->id, &json, &created) != XS_OK) {
		fprintf(stderr, "xnn-fleet report: %s\n", fdb_errmsg(p->db));
	} else if (json == NULL) {
		fputs("<p class=note>No manifest yet (<code>xnn-fleet select</code> writes one).</p>\n", f);
	} else if (!xr_manifest_parse(json, strlen(json), &m, why, sizeof(why))) {
		fputs("<p class=note>The newest manifest does not read: ", f);
		xf_html_put(f, why);
		fputs("</p>\n", f);
	} else {
		fputs("<p>The newest manifest (", f);
		xf_html_put(f, created);
		fprintf(f, "), budget p%.0f &le; %g ms, memory &le; %" PRIu64 " B, size &le; %" PRIu64
			" B; fallback ", m.budget_percentile, m.budget_latency_ms, m.budget_memory,
			m.budget_size);
		xf_html_put(f, m.tiers[m.fallback].name);
		fputs(".</p>\n<table><tr><th>tier</th><th>sub-net</th><th>precision</th><th>size</th>"
		      "<th>expected "
		      "latency ms</th><th>memory</th><th>top-1</th><th>source</th><th>probe min</th>"
		      "<th>devices: measured median / p90 ms</th></tr>\n", f);
		for (size_t t = 0; t < m.ntiers; t++) {
			const struct xr_tier *tr = &m.tiers[t];
			fputs("<tr>", f);
			td(f, tr->name);
			fputs("<td><code>", f);
			xf_html_put(f, tr->arch);
			fputs("</code></td>", f);
			td(f, tr->precision);
			tdn(f, (double)tr->size, '0');
			tdn(f, tr->latency_ms, 'g');
			tdn(f, tr->memory_bytes, '0');
			tdn(f, tr->top1, '2');
			td(f, tr->predicted ? "predicted" : "measured");
			tdn(f, tr->probe_min, '2');
			fputs("<td>", f);
			for (size_t k = 0; k < tr->nlisted; k++) {
				if (k)
					fputs("<br>", f);
				xf_html_put(f, tr->listed[k].model[0] ? tr->listed[k].model : "(no model)");
				fputs(" ", f);
				xf_html_put(f, tr->listed[k].fingerprint);
				for (size_t j = 0; j < p->nr; j++) {
					if (strcmp(p->r[j].arch, tr->arch) != 0 ||
					    strcmp(p->r[j].precision, tr->precision) != 0)
						continue;
					const struct dev *d = dev_by_id(p, p->r[j].device_id);
					if (d &&
					    strcmp(d->fingerprint ? d->fingerprint : "",
						   tr->listed[k].fingerprint) == 0 &&
					    strcmp(d->model ? d->model : "", tr->listed[k].model) == 0)
						fprintf(f, ": %.4g / %.4g", p->r[j].median, p->r[j].p90);
				}
			}
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	free(json);
	free(created);
	fputs("</body></html>\n", f);
	bool ok = fclose(f) == 0;
	ok = fclose(cs.gp) == 0 && ok;
	free(order);
	free(idx);
	free(lat);
	free(acc);
	free(map);
	if (!ok) {
		fprintf(stderr, "xnn-fleet report: cannot write the page for %s\n", sn->name);
		return false;
	}
	if (p->charts && cs.n && !xf_gnuplot_run(dir, "charts.gp", why, sizeof(why))) {
		/* the page and its tables stand; the charts after the failing one
		 * are missing: said here and in the exit status */
		fprintf(stderr, "xnn-fleet report: %s: %s\n", page, why);
		p->chart_failures++;
	}
	printf("%s/%s: %zu charts\n", p->out, page, p->charts ? cs.n : 0);
	return true;
}

static bool hex64(const char *s)
{
	size_t n = 0;
	for (; s && s[n]; n++)
		if (!strchr("0123456789abcdef", s[n]))
			return false;
	return n == 64;
}

/* ---- the index --------------------------------------------------------------------- */

struct sns {
	struct fdb_supernet_row *r;
	size_t n;
};

static void on_supernet(void *ctx, const struct fdb_supernet_row *r)
{
	struct sns *v = ctx;
	struct fdb_supernet_row *n = realloc(v->r, (v->n + 1) * sizeof(*n));
	if (n == NULL)
		return;
	v->r = n;
	v->r[v->n] = *r;
	v->r[v->n].name = dup_or_null(r->name);
	v->r[v->n].sha256 = dup_or_null(r->sha256);
	v->r[v->n].added = dup_or_null(r->added);
	v->n++;
}

static void on_sweep(void *ctx, const struct fdb_sweep_row *r)
{
	FILE *f = ctx;
	fprintf(f, "<tr><td class=n>%" PRId64 "</td>", r->id);
	td(f, r->started);
	td(f, r->ended);
	td(f, r->status);
	fprintf(f, "<td class=n>%" PRId64 "</td><td class=n>%" PRId64 "</td>", r->runs, r->results);
	fputs("<td><code>", f);
	xf_html_put(f, r->config);
	fputs("</code></td></tr>\n", f);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'D'},     {"supernet", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'},    {"no-charts", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	const char *db_path = "fleet.db", *only = NULL;
	struct rep p = {.charts = true};
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': db_path = optarg; break;
		case 's': only = optarg; break;
		case 'o': p.out = optarg; break;
		case 'n': p.charts = false; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc || p.out == NULL) {
		fprintf(stderr, optind != argc ? "xnn-fleet report: unexpected '%s'\n"
			: "xnn-fleet report: give --out DIR (where the pages go)\n",
			optind != argc ? argv[optind] : "");
		return 2;
	}
	char why[256];
	if (p.charts && !xf_gnuplot_available(why, sizeof(why))) {
		fprintf(stderr, "xnn-fleet report: %s: the pages get tables and CSV files, no "
			"charts\n", why);
		p.charts = false;
	}
	char msg[512];
	if (fdb_open(db_path, FDB_READ, &p.db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		return 1;
	}
	int rc = 1;
	struct sns sns = {NULL, 0};
	FILE *f = NULL;
	bool *written = NULL;
	if (mkdir(p.out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "xnn-fleet report: --out '%s': %s\n", p.out, strerror(errno));
		goto out;
	}
	if (fdb_devices_each(p.db, on_device, &p) != XS_OK ||
	    fdb_supernets_each(p.db, on_supernet, &sns) != XS_OK || p.oom) {
		fprintf(stderr, "xnn-fleet report: %s\n", p.oom ? "out of memory" : fdb_errmsg(p.db));
		goto out;
	}
	size_t pages = 0;
	written = calloc(sns.n + 1, sizeof(bool));
	if (written == NULL)
		goto out;
	for (size_t i = 0; i < sns.n; i++) {
		if (only && strcmp(only, sns.r[i].name ? sns.r[i].name : "") != 0 &&
		    strcmp(only, sns.r[i].sha256 ? sns.r[i].sha256 : "") != 0)
			continue;
		if (!hex64(sns.r[i].sha256)) {  /* it names files: 64 hex digits only */
			fprintf(stderr, "xnn-fleet report: supernet %" PRId64 " has no valid sha256 in the "
				"DB: skipped\n", sns.r[i].id);
			continue;
		}
		char page[80], sub[64];
		snprintf(sub, sizeof(sub), "sn-%.12s", sns.r[i].sha256);
		snprintf(page, sizeof(page), "%s.html", sub);
		if (!supernet_page(&p, &sns.r[i], page, sub))
			goto out;
		written[i] = true;
		pages++;
	}
	if (only && pages == 0) {
		fprintf(stderr, "xnn-fleet report: '%s' has no supernet '%s'\n", db_path, only);
		goto out;
	}
	if ((f = open_out(p.out, "index.html")) == NULL)
		goto out;
	head(f, "xnn-fleet report");
	fputs("<h1>xnn-fleet report</h1>\n<p>From the device DB <code>", f);
	xf_html_put(f, db_path);
	fputs("</code>.</p>\n<h2>Supernets</h2>\n<table><tr><th>name</th><th>sha256</th><th>added"
	      "</th><th>sub-nets</th><th>results</th><th>devices</th></tr>\n", f);
	for (size_t i = 0; i < sns.n; i++) {
		fputs("<tr><td>", f);
		if (written[i])
			fprintf(f, "<a href=\"sn-%.12s.html\">", sns.r[i].sha256);
		xf_html_put(f, sns.r[i].name);
		fputs(written[i] ? "</a></td>" : " <span class=note>(no page: --supernet)</span></td>",
		      f);
		td(f, sns.r[i].sha256);
		td(f, sns.r[i].added);
		fprintf(f, "<td class=n>%" PRId64 "</td><td class=n>%" PRId64 "</td><td class=n>%" PRId64
			"</td></tr>\n", sns.r[i].subnets, sns.r[i].results, sns.r[i].devices);
	}
	fputs("</table>\n<h2>Devices</h2>\n<table><tr><th>id</th><th>serial</th><th>model</th>"
	      "<th>SoC</th><th>ABI</th><th>transport</th><th>kind</th><th>fingerprint</th>"
	      "<th>OS</th></tr>\n", f);
	for (size_t i = 0; i < p.nd; i++) {
		const struct dev *d = &p.d[i];
		fprintf(f, "<tr><td>D%" PRId64 "</td>", d->id);
		td(f, d->serial);
		td(f, d->model);
		td(f, d->soc);
		td(f, d->abi);
		td(f, d->transport);
		fprintf(f, "<td%s>%s</td>", d->simulated ? " class=sim" : "", devkind(d));
		td(f, d->fingerprint);
		td(f, d->os);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<h2>Sweeps</h2>\n<table><tr><th>id</th><th>started</th><th>ended</th>"
	      "<th>status</th><th>runs</th><th>results</th><th>config</th></tr>\n", f);
	if (fdb_sweeps_each(p.db, on_sweep, f) != XS_OK) {
		fprintf(stderr, "xnn-fleet report: %s\n", fdb_errmsg(p.db));
		goto out;
	}
	fputs("</table>\n</body></html>\n", f);
	if (fclose(f) != 0) {
		f = NULL;
		fprintf(stderr, "xnn-fleet report: cannot write %s/index.html\n", p.out);
		goto out;
	}
	f = NULL;
	printf("%s/index.html: %zu supernets, %zu devices\n", p.out, sns.n, p.nd);
	rc = p.chart_failures ? 1 : 0;
out:
	if (f)
		fclose(f);
	free(written);
	for (size_t i = 0; i < sns.n; i++) {
		free((char *)sns.r[i].name);
		free((char *)sns.r[i].sha256);
		free((char *)sns.r[i].added);
	}
	free(sns.r);
	for (size_t i = 0; i < p.nd; i++) {
		struct dev *d = &p.d[i];
		free(d->transport);
		free(d->serial);
		free(d->fingerprint);
		free(d->model);
		free(d->soc);
		free(d->abi);
		free(d->os);
		free(d->run_status);
		free(d->run_error);
		free(d->conditions);
	}
	free(p.d);
	for (size_t i = 0; i < p.nr; i++) {
		free(p.r[i].arch);
		free(p.r[i].precision);
		free(p.r[i].flags);
	}
	free(p.r);
	free(p.k);
	fdb_close(p.db);
	return rc;
}
