/* rep-tiers.c - the tiers section of a supernet page (rep-page.h): the
 * newest manifest's budget and tiers, each with what its listed devices
 * measured. */
#include <inttypes.h>
#include <string.h>

#include "rep-page.h"

static const char *str(const char *s)
{
	return s ? s : "";
}

/* ": median / p90" for each result of the tier's sub-net on the listed
 * device (matched by fingerprint and model). */
static void listed_measured(const struct rep_page *pg, const struct rep_tier *tr,
			    const struct rep_listed *l)
{
	const struct rep_supernet *sn = pg->sn;
	for (size_t j = 0; j < sn->nresults; j++) {
		const struct rep_result *x = &sn->results[j];
		if (strcmp(x->arch, str(tr->arch)) != 0 || strcmp(x->precision, str(tr->precision)) != 0)
			continue;
		const struct rep_device *d = rep_device_find(pg->in, x->device_id);
		if (d && strcmp(str(d->fingerprint), str(l->fingerprint)) == 0 &&
		    strcmp(str(d->model), str(l->model)) == 0)
			fprintf(pg->html, ": %.4g / %.4g", x->median_ms, x->p90_ms);
	}
}

static void tier_row(const struct rep_page *pg, const struct rep_tier *tr)
{
	FILE *f = pg->html;
	fputs("<tr>", f);
	rep_td(f, tr->name);
	fputs("<td><code>", f);
	rep_html_put(f, tr->arch);
	fputs("</code></td>", f);
	rep_td(f, tr->precision);
	rep_tdn(f, (double)tr->size, '0');
	rep_tdn(f, tr->latency_ms, 'g');
	rep_tdn(f, tr->memory_bytes, '0');
	rep_tdn(f, tr->top1, '2');
	rep_td(f, tr->predicted ? "predicted" : "measured");
	rep_tdn(f, tr->probe_min, '2');
	fputs("<td>", f);
	for (size_t k = 0; k < tr->nlisted; k++) {
		const struct rep_listed *l = &tr->listed[k];
		if (k)
			fputs("<br>", f);
		rep_html_put(f, l->model && l->model[0] ? l->model : "(no model)");
		fputs(" ", f);
		rep_html_put(f, l->fingerprint);
		listed_measured(pg, tr, l);
	}
	fputs("</td></tr>\n", f);
}

void rep_section_tiers(struct rep_page *pg)
{
	const struct rep_manifest *m = &pg->sn->manifest;
	FILE *f = pg->html;
	fputs("<h2>Tiers</h2>\n", f);
	switch (m->state) {
	case REP_MANIFEST_UNREAD:
		return;
	case REP_MANIFEST_NONE:
		fputs("<p class=note>No manifest yet (<code>xnn-fleet select</code> writes one).</p>\n", f);
		return;
	case REP_MANIFEST_BAD:
		fputs("<p class=note>The newest manifest does not read: ", f);
		rep_html_put(f, m->why);
		fputs("</p>\n", f);
		return;
	case REP_MANIFEST_OK:
		break;
	}
	fputs("<p>The newest manifest (", f);
	rep_html_put(f, m->created);
	fprintf(f, "), budget p%.0f &le; %g ms, memory &le; %" PRIu64 " B, size &le; %" PRIu64
		" B; fallback ", m->budget_percentile, m->budget_latency_ms, m->budget_memory,
		m->budget_size);
	rep_html_put(f, m->fallback < m->ntiers ? m->tiers[m->fallback].name : "");
	fputs(".</p>\n<table><tr><th>tier</th><th>sub-net</th><th>precision</th><th>size</th>"
	      "<th>expected latency ms</th><th>memory</th><th>top-1</th><th>source</th>"
	      "<th>probe min</th><th>devices: measured median / p90 ms</th></tr>\n", f);
	for (size_t t = 0; t < m->ntiers; t++)
		tier_row(pg, &m->tiers[t]);
	fputs("</table>\n", f);
}
