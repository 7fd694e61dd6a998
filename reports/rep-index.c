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

/* "7.3 MB staged, 0 B pushed": what a sweep gave its devices' agents
 * (staged) and what of it was copied to them (pushed: none where the files
 * are used in place, this host and qemu-user); what it did not record is
 * left out. */
static void given_td(FILE *f, const struct rep_sweep *r)
{
	const int64_t bytes[] = {r->staged_bytes, r->pushed_bytes};
	static const char *const what[] = {"staged", "pushed"};
	const char *sep = "";
	fputs("<td class=n>", f);
	for (size_t k = 0; k < 2; k++) {
		if (bytes[k] < 0)
			continue;
		char b[32];
		rep_bytes_human(bytes[k], b, sizeof(b));
		fprintf(f, "%s%s %s", sep, b, what[k]);
		sep = ", ";
	}
	fputs("</td>", f);
}

static void sweeps_table(FILE *f, const struct rep_input *in)
{
	fputs("<h2>Sweeps</h2>\n<table><tr><th>id</th><th>started</th><th>ended</th>"
	      "<th>status</th><th>runs</th><th>results</th><th>given to the devices</th>"
	      "<th>config</th></tr>\n", f);
	for (size_t i = 0; i < in->nsweeps; i++) {
		const struct rep_sweep *r = &in->sweeps[i];
		fprintf(f, "<tr><td class=n>%" PRId64 "</td>", r->id);
		rep_td(f, r->started);
		rep_td(f, r->ended);
		rep_td(f, r->status);
		fprintf(f, "<td class=n>%" PRId64 "</td><td class=n>%" PRId64 "</td>", r->runs,
			r->results);
		given_td(f, r);
		fputs("<td><code>", f);
		rep_html_put(f, r->config);
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* "Timed: 2 phones or boards and this host." and its other cases: a count
 * of none reads badly, so what is missing is left out. */
static void timed_line(FILE *f, size_t phones, size_t here)
{
	fputs("<p><strong>Timed:</strong> ", f);
	if (phones)
		fprintf(f, "%zu %s", phones, phones == 1 ? "phone or board" : "phones or boards");
	if (phones && here)
		fputs(" and ", f);
	if (here)
		fputs("this host", f);
	if (!phones && !here)
		fputs("no device", f);
	fputs(".", f);
}

/* The first lines: what was timed, what was only checked, and what brings
 * tiers when no phone was measured. */
static void measured_lines(FILE *f, const struct rep_input *in, bool time_emulated)
{
	size_t here = 0, phones = 0, emulated = 0, simulated = 0;
	for (size_t i = 0; i < in->ndevices; i++) {
		const struct rep_device *d = &in->devices[i];
		if (d->simulated)
			simulated++;
		else if (d->emulated)
			emulated++;
		else if (d->transport && strcmp(d->transport, "local") == 0)
			here++;
		else
			phones++;
	}
	timed_line(f, phones, here);
	if (emulated)
		fprintf(f, " <strong>Checked, not timed:</strong> %zu emulated device%s (qemu-user: the host's "
			"logits on another ISA; %s).", emulated, emulated == 1 ? "" : "s",
			time_emulated ? "drawn as asked, though their times describe no phone"
				      : "their times describe no phone and are not drawn");
	if (simulated)
		fprintf(f, " <strong>Simulated:</strong> %zu device%s (xnn-fleet db simulate).", simulated,
			simulated == 1 ? "" : "s");
	fputs("</p>\n", f);
	if (phones == 0)
		fputs("<p class=note>No phone or board was measured, so the tiers cover this host "
		      "only: phones bring the tiers. Connect them over adb (or give "
		      "<code>--adb-server</code> for a farm) and run the sweep again.</p>\n", f);
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
	measured_lines(f, in, opts->time_emulated);
	supernets_table(f, in, written);
	devices_table(f, in);
	sweeps_table(f, in);
	fputs("</body></html>\n", f);
	rep_file_close(&pg, f, opts->out, "index.html");
	return pg.st;
}
