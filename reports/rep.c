/* rep.c - rep_render (rep.h): the supernet pages, their charts (gnuplot run
 * once per page on its script), then the index. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rep-page.h"

static bool hex64(const char *s)
{
	size_t n = 0;
	for (; s && s[n]; n++)
		if (!strchr("0123456789abcdef", s[n]))
			return false;
	return n == 64;
}

static void event(const struct rep_opts *opts, const struct rep_event *e)
{
	if (opts->on_event)
		opts->on_event(opts->ctx, e);
}

/* Supernet i's page and its charts; *written when the page is there. */
static enum xs_status one_page(const struct rep_input *in, size_t i, const struct rep_opts *opts,
			       struct rep_summary *sum, bool *written, struct xs_error *err)
{
	const struct rep_supernet *sn = &in->supernets[i];
	if (!hex64(sn->sha256)) {  /* it names files: 64 hex digits only */
		sum->skipped++;
		event(opts, &(struct rep_event){.kind = REP_EVENT_SKIPPED, .supernet_id = sn->id});
		return XS_OK;
	}
	char page[80], sub[64];
	snprintf(sub, sizeof(sub), "sn-%.12s", sn->sha256);
	snprintf(page, sizeof(page), "%s.html", sub);
	size_t charts;
	enum xs_status st = rep_supernet_page(in, sn, opts, page, sub, &charts, err);
	if (st != XS_OK)
		return st;
	*written = true;
	sum->pages++;
	if (opts->gnuplot == NULL)
		charts = 0;
	if (charts) {
		char dir[PATH_MAX];
		struct xs_error why;
		snprintf(dir, sizeof(dir), "%s/%s", opts->out, sub);
		if (rep_gnuplot_run(opts->gnuplot, dir, "charts.gp", &why) != XS_OK) {
			/* the page and its tables stand; the charts after the
			 * failing one are missing */
			sum->chart_failures++;
			event(opts, &(struct rep_event){.kind = REP_EVENT_CHARTS_FAILED, .page = page,
							.supernet_id = sn->id, .why = why.msg});
		}
	}
	sum->charts += charts;
	event(opts, &(struct rep_event){.kind = REP_EVENT_PAGE, .page = page, .supernet_id = sn->id,
					.charts = charts});
	return XS_OK;
}

enum xs_status rep_render(const struct rep_input *in, const struct rep_opts *opts,
			  struct rep_summary *sum, struct xs_error *err)
{
	struct rep_summary local_sum;
	struct xs_error local_err;
	if (sum == NULL)
		sum = &local_sum;
	if (err == NULL)
		err = &local_err;
	memset(sum, 0, sizeof(*sum));
	enum xs_status st;
	if (opts->gnuplot && (st = rep_gnuplot_check(opts->gnuplot, err)) != XS_OK)
		return st;
	if (mkdir(opts->out, 0755) != 0 && errno != EEXIST) {
		snprintf(err->msg, sizeof(err->msg), "cannot make '%.400s': %s", opts->out,
			 strerror(errno));
		return XS_EIO;
	}
	bool *written = calloc(in->nsupernets + 1, sizeof(bool));
	if (written == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return XS_ENOMEM;
	}
	st = XS_OK;
	for (size_t i = 0; st == XS_OK && i < in->nsupernets; i++)
		if (in->supernets[i].page)
			st = one_page(in, i, opts, sum, &written[i], err);
	if (st == XS_OK)
		st = rep_index_page(in, opts, written, err);
	if (st == XS_OK)
		event(opts, &(struct rep_event){.kind = REP_EVENT_INDEX, .page = "index.html"});
	free(written);
	return st;
}
