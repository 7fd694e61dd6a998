/* rep-supernet.c - the page of one supernet (rep-page.h): its head, the
 * devices table (devices.csv), then the sections of rep-frontier.c,
 * rep-kernels.c, rep-predict.c and rep-tiers.c in that order. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rep-page.h"

/* The device's stats for this supernet: the last row of it, NULL if none. */
static const struct rep_device_stats *stats_find(const struct rep_supernet *sn, int64_t id)
{
	for (size_t i = sn->nstats; i-- > 0;)
		if (sn->stats[i].device_id == id)
			return &sn->stats[i];
	return NULL;
}

static bool has_results(const struct rep_supernet *sn, int64_t id)
{
	for (size_t j = 0; j < sn->nresults; j++)
		if (sn->results[j].device_id == id)
			return true;
	return false;
}

static void device_row(FILE *f, const struct rep_device *d, const struct rep_device_stats *s)
{
	rep_device_cells(f, d);
	rep_tdn(f, d->cpus ? d->cpus : NAN, '0');
	rep_tdn(f, d->ram_bytes ? (double)d->ram_bytes / 1e9 : NAN, '1');
	fputs("<td>", f);
	rep_html_put(f, s->run_status ? s->run_status : "");
	if (s->run_error && s->run_error[0]) {
		fputs(": ", f);
		rep_html_put(f, s->run_error);
	}
	fputs("</td>", f);
	rep_td(f, s->conditions);
	const int64_t counts[] = {s->clean, s->throttled, s->noisy, s->untimed, s->failed, s->kernels};
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
		fprintf(f, "<td class=n>%" PRId64 "</td>", counts[k]);
	fputs("</tr>\n", f);
}

static void device_csv(FILE *dc, const struct rep_device *d, const struct rep_device_stats *s)
{
	fprintf(dc, "%" PRId64 ",", d->id);
	const char *fs[] = {d->serial, d->model, d->soc, d->abi, d->transport, rep_device_kind(d)};
	for (size_t k = 0; k < 6; k++) {
		xs_csv_put(dc, fs[k] ? fs[k] : "");
		putc(',', dc);
	}
	fprintf(dc, "%d,%" PRId64 ",", d->cpus, d->ram_bytes);
	xs_csv_put(dc, s->run_status ? s->run_status : "");
	fprintf(dc, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
		s->clean, s->throttled, s->noisy, s->untimed, s->failed, s->kernels);
}

void rep_section_devices(struct rep_page *pg)
{
	FILE *f = pg->html;
	fputs("<h2>Devices</h2>\n<table><tr><th>id</th><th>serial</th><th>model</th><th>SoC</th>"
	      "<th>ABI</th><th>transport</th><th>kind</th><th>CPUs</th><th>RAM (GB)</th>"
	      "<th>last run</th><th>conditions</th><th>clean</th><th>throttled</th><th>noisy</th>"
	      "<th>untimed</th><th>failed</th><th>kernel rows</th></tr>\n", f);
	FILE *dc = rep_file_open(pg, pg->dir, "devices.csv");
	if (dc)
		fputs("id,serial,model,soc,abi,transport,kind,cpus,ram_bytes,run_status,clean,"
		      "throttled,noisy,untimed,failed,kernel_rows\n", dc);
	size_t shown = 0;
	for (size_t i = 0; i < pg->in->ndevices; i++) {
		const struct rep_device *d = &pg->in->devices[i];
		const struct rep_device_stats *s = stats_find(pg->sn, d->id);
		if (s == NULL)
			continue;
		/* measured here: rows of some kind, or results (e.g. flagged
		 * "budget" only) */
		int64_t rows = s->clean + s->throttled + s->noisy + s->untimed + s->failed + s->kernels;
		if (rows == 0 && !has_results(pg->sn, d->id))
			continue;
		shown++;
		device_row(f, d, s);
		if (dc)
			device_csv(dc, d, s);
	}
	fputs("</table>\n", f);
	fprintf(f, "<p>%zu device%s (<a href=\"%s/devices.csv\">CSV</a>).</p>\n", shown,
		shown == 1 ? "" : "s", pg->subdir);
	rep_file_close(pg, dc, pg->dir, "devices.csv");
}

static int cmp_dev_order(const void *x, const void *y)
{
	const struct rep_device *a = *(const struct rep_device *const *)x;
	const struct rep_device *b = *(const struct rep_device *const *)y;
	if (a->simulated != b->simulated)
		return a->simulated ? 1 : -1;
	return (a->id > b->id) - (a->id < b->id);
}

/* pg->order: the devices with results, real ones first, by id; emulated
 * ones only when timed (their qemu times describe no phone). */
static bool order_devices(struct rep_page *pg, bool time_emulated)
{
	pg->order = calloc(pg->in->ndevices + 1, sizeof(*pg->order));
	if (pg->order == NULL)
		return false;
	for (size_t i = 0; i < pg->in->ndevices; i++) {
		const struct rep_device *d = &pg->in->devices[i];
		if (!has_results(pg->sn, d->id))
			continue;
		if (d->emulated && !d->simulated && !time_emulated)
			pg->emulated_out++;
		else
			pg->order[pg->norder++] = d;
	}
	qsort(pg->order, pg->norder, sizeof(*pg->order), cmp_dev_order);
	return true;
}

static void page_head(struct rep_page *pg)
{
	const struct rep_supernet *sn = pg->sn;
	FILE *f = pg->html;
	fputs("set terminal svg size 720,420 noenhanced font 'sans,10' background rgb 'white'\n"
	      "set datafile separator whitespace\n", pg->gp);
	char title[200];
	snprintf(title, sizeof(title), "xnn-fleet report: %s", sn->name ? sn->name : "?");
	rep_head(f, title);
	fputs("<p><a href=\"index.html\">all supernets, devices, sweeps</a></p>\n<h1>", f);
	rep_html_put(f, sn->name);
	fputs("</h1>\n<p>sha256 <code>", f);
	rep_html_put(f, sn->sha256);
	fprintf(f, "</code>; %" PRId64 " sub-nets in the DB, %" PRId64 " results (ok) from %" PRId64
		" device%s. Latency: one thread, ms; top-1: the host's, on the test set.</p>\n",
		sn->subnet_count, sn->result_count, sn->device_count, sn->device_count == 1 ? "" : "s");
	if (pg->emulated_out)
		fprintf(f, "<p class=note>%zu emulated device%s (qemu-user): checked against the "
			"host's logits, not timed. %s times describe no phone: they are in the "
			"tables and CSV files, not in the charts, tiers or predictions "
			"(<code>xnn-fleet report --time-emulated</code> draws them).</p>\n",
			pg->emulated_out, pg->emulated_out == 1 ? "" : "s",
			pg->emulated_out == 1 ? "Its" : "Their");
	if (!pg->charts)
		fputs("<p class=note>Charts need gnuplot (Debian: <code>apt install gnuplot-nox</code>) "
		      "and were not drawn; the tables and the CSV files next to this page have the "
		      "data.</p>\n", f);
}

enum xs_status rep_supernet_page(const struct rep_input *in, const struct rep_supernet *sn,
				 const struct rep_opts *opts, const char *page, const char *subdir,
				 size_t *charts, struct xs_error *err)
{
	struct rep_page pg = {.in = in, .sn = sn, .charts = opts->gnuplot != NULL, .err = err};
	*charts = 0;
	snprintf(pg.dir, sizeof(pg.dir), "%s/%s", opts->out, subdir);
	snprintf(pg.subdir, sizeof(pg.subdir), "%s", subdir);
	if (mkdir(pg.dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err->msg, sizeof(err->msg), "cannot make '%.400s': %s", pg.dir, strerror(errno));
		return XS_EIO;
	}
	pg.html = rep_file_open(&pg, opts->out, page);
	pg.gp = pg.html ? rep_file_open(&pg, pg.dir, "charts.gp") : NULL;
	if (pg.gp == NULL) {
		if (pg.html)
			fclose(pg.html);
		return pg.st;
	}
	bool ordered = order_devices(&pg, opts->time_emulated);
	page_head(&pg);
	rep_section_devices(&pg);
	if (ordered) {
		rep_section_frontiers(&pg);
		rep_section_kernels(&pg);
		rep_section_predict(&pg);
		rep_section_tiers(&pg);
		fputs("</body></html>\n", pg.html);
	} else {
		rep_page_nomem(&pg);
	}
	rep_file_close(&pg, pg.html, opts->out, page);
	rep_file_close(&pg, pg.gp, pg.dir, "charts.gp");
	free(pg.order);
	*charts = pg.ncharts;
	return pg.st;
}
