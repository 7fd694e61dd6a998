/* rep-index.c - OUT/index.html (rep-page.h): the supernets (linked to their
 * pages), the devices and the sweeps of the DB. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "rep-page.h"

static void supernets_table(FILE *f, const struct rep_input *in, const bool *written)
{
	fputs("<h2>Supernets</h2>\n<table><tr><th>name</th><th>sha256</th><th>added"
	      "</th><th>sub-nets</th><th>results</th><th>devices</th></tr>\n", f);
	for (size_t i = 0; i < in->nsupernets; i++) {
		const struct rep_supernet *sn = &in->supernets[i];
		fputs("<tr><td>", f);
		if (written[i])
			fprintf(f, "<a href=\"sn-%.12s.html\">", sn->sha256);
		rep_html_put(f, sn->name);
		fputs(written[i] ? "</a></td>" : " <span class=note>(no page: --supernet)</span></td>",
		      f);
		rep_td(f, sn->sha256);
		rep_td(f, sn->added);
		fprintf(f, "<td class=n>%" PRId64 "</td><td class=n>%" PRId64 "</td><td class=n>%" PRId64
			"</td></tr>\n", sn->subnet_count, sn->result_count, sn->device_count);
	}
	fputs("</table>\n", f);
}

static void devices_table(FILE *f, const struct rep_input *in)
{
	fputs("<h2>Devices</h2>\n<table><tr><th>id</th><th>serial</th><th>model</th>"
	      "<th>SoC</th><th>ABI</th><th>transport</th><th>kind</th><th>fingerprint</th>"
	      "<th>OS</th></tr>\n", f);
	for (size_t i = 0; i < in->ndevices; i++) {
		const struct rep_device *d = &in->devices[i];
		rep_device_cells(f, d);
		rep_td(f, d->fingerprint);
		rep_td(f, d->os);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void sweeps_table(FILE *f, const struct rep_input *in)
{
	fputs("<h2>Sweeps</h2>\n<table><tr><th>id</th><th>started</th><th>ended</th>"
	      "<th>status</th><th>runs</th><th>results</th><th>config</th></tr>\n", f);
	for (size_t i = 0; i < in->nsweeps; i++) {
		const struct rep_sweep *r = &in->sweeps[i];
		fprintf(f, "<tr><td class=n>%" PRId64 "</td>", r->id);
		rep_td(f, r->started);
		rep_td(f, r->ended);
		rep_td(f, r->status);
		fprintf(f, "<td class=n>%" PRId64 "</td><td class=n>%" PRId64 "</td>", r->runs,
			r->results);
		fputs("<td><code>", f);
		rep_html_put(f, r->config);
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

enum xs_status rep_index_page(const struct rep_input *in, const struct rep_opts *opts,
			      const bool *written, struct xs_error *err)
{
	struct rep_page pg = {.in = in, .err = err};
	FILE *f = rep_file_open(&pg, opts->out, "index.html");
	if (f == NULL)
		return pg.st;
	rep_head(f, "xnn-fleet report");
	fputs("<h1>xnn-fleet report</h1>\n<p>From the device DB <code>", f);
	rep_html_put(f, in->db_name);
	fputs("</code>.</p>\n", f);
	supernets_table(f, in, written);
	devices_table(f, in);
	sweeps_table(f, in);
	fputs("</body></html>\n", f);
	rep_file_close(&pg, f, opts->out, "index.html");
	return pg.st;
}
