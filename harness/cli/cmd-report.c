/* cmd-report.c - xnn-fleet report: HTML pages of the device DB with gnuplot
 * charts (SVG) and the tables behind every chart as CSV next to its page.
 * The rows come from harness/report-data.h, the pages from reports/rep.h;
 * this file parses the options and prints what they did. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "cmd.h"
#include "fdb.h"
#include "rep.h"
#include "report-data.h"

static const char usage_text[] =
	"usage: xnn-fleet report [--db FILE] [--supernet NAME|SHA256] [--no-charts]\n"
	"                        [--time-emulated] --out DIR\n"
	"\n"
	"Writes DIR/index.html (supernets, devices, sweeps with the bytes given to\n"
	"their devices) and a page per supernet: its devices (identity, transport,\n"
	"emulated or simulated, conditions, clean / throttled / noisy / untimed /\n"
	"failed measurements), latency against top-1 per device with the Pareto\n"
	"frontier, all devices' frontiers, the latency spread of the frontier sub-nets,\n"
	"a heat map of the kernel tables, predicted against measured latency\n"
	"(leave-one-out, the +-10% band) and the tiers of the newest manifest. Charts\n"
	"are SVG made by gnuplot (Debian: gnuplot-nox); without it (or with\n"
	"--no-charts) the pages keep their tables. Every chart's table is a CSV file\n"
	"next to the page. Latency is for one thread; accuracy is the host's top-1 on\n"
	"the test set. Per-device sections: the first 40 devices (real ones first); the\n"
	"CSV files have all. Emulated devices (qemu-user) are checked, not timed: their\n"
	"rows are in the tables and CSV files, not in the charts (--time-emulated draws\n"
	"them).\n"
	"--db defaults to fleet.db; --supernet to every supernet of the DB.\n";

struct printer {
	const char *out;
	const struct rep_input *in;
};

static void on_event(void *ctx, const struct rep_event *e)
{
	const struct printer *p = ctx;
	switch (e->kind) {
	case REP_EVENT_SKIPPED:
		fprintf(stderr, "xnn-fleet report: supernet %" PRId64 " has no valid sha256 in the DB: "
			"skipped\n", e->supernet_id);
		break;
	case REP_EVENT_CHARTS_FAILED:
		fprintf(stderr, "xnn-fleet report: %s: %s\n", e->page, e->why);
		break;
	case REP_EVENT_PAGE:
		printf("%s/%s: %zu chart%s\n", p->out, e->page, e->charts, e->charts == 1 ? "" : "s");
		break;
	case REP_EVENT_INDEX:
		printf("%s/index.html: %zu supernet%s, %zu device%s\n", p->out, p->in->nsupernets,
		       p->in->nsupernets == 1 ? "" : "s", p->in->ndevices,
		       p->in->ndevices == 1 ? "" : "s");
		break;
	}
}

/* The manifests the DB could not give: said, the pages go on without. */
static void manifest_warnings(const struct rep_input *in)
{
	for (size_t i = 0; i < in->nsupernets; i++)
		if (in->supernets[i].page && in->supernets[i].manifest.state == REP_MANIFEST_UNREAD)
			fprintf(stderr, "xnn-fleet report: %s\n", in->supernets[i].manifest.why);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'D'},     {"supernet", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'},    {"no-charts", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},         {"time-emulated", no_argument, NULL, 'T'},
		{NULL, 0, NULL, 0}};
	const char *db_path = "fleet.db", *only = NULL;
	struct rep_opts ro = {.gnuplot = "gnuplot", .on_event = on_event};
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': db_path = optarg; break;
		case 's': only = optarg; break;
		case 'o': ro.out = optarg; break;
		case 'n': ro.gnuplot = NULL; break;
		case 'T': ro.time_emulated = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return xf_usage_error(usage_text);
		}
	}
	if (optind != argc || ro.out == NULL) {
		fprintf(stderr, optind != argc ? "xnn-fleet report: unexpected '%s'\n"
			: "xnn-fleet report: give --out DIR (where the pages go)\n",
			optind != argc ? argv[optind] : "");
		return 2;
	}
	if (ro.gnuplot && !xf_in_path(ro.gnuplot)) {
		fprintf(stderr, "xnn-fleet report: gnuplot is not installed (" REP_GNUPLOT_INSTALL "): "
			"the pages get tables and CSV files, no charts\n");
		ro.gnuplot = NULL;
	}
	struct fdb *db;
	char msg[512];
	if (fdb_open(db_path, FDB_READ, &db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		return 1;
	}
	int rc = 1;
	struct xf_report_data data = {0};
	struct xs_error err;
	struct rep_summary sum;
	if (mkdir(ro.out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "xnn-fleet report: --out '%s': %s\n", ro.out, strerror(errno));
		goto out_close_db;
	}
	if (xf_report_data_gather(db, db_path, only, &data, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet report: %s\n", err.msg);
		goto out_release;
	}
	manifest_warnings(&data.in);
	struct printer pr = {ro.out, &data.in};
	ro.ctx = &pr;
	if (rep_render(&data.in, &ro, &sum, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet report: %s\n", err.msg);
		goto out_release;
	}
	rc = sum.chart_failures ? 1 : 0;
out_release:
	xf_report_data_release(&data);
out_close_db:
	fdb_close(db);
	return rc;
}
