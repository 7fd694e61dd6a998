/* cmd-predict.c - xnn-fleet predict: sub-net latency per device from its
 * kernel table, calibrated with the sub-nets measured there; --eval says how
 * good that is by leave-one-out over the measured sub-nets. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-csv.h"
#include "predict.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet predict [--db FILE] [--supernet NAME|SHA256] [--threads N]\n"
	"                         (--eval | --arch ARCH...)\n"
	"\n"
	"Predicts sub-net latency (median, ms) on every device of the DB with a kernel\n"
	"table: the sum of the sub-net's pieces as the table times them, calibrated\n"
	"with the sub-nets measured on that device (measured = a * sum + b + c * blocks,\n"
	"fitted on relative error).\n"
	"\n"
	"--eval   per device, each measured sub-net predicted from a fit on the others\n"
	"         (leave-one-out): the share within 5% and 10%, RMSPE, Spearman's rank\n"
	"         correlation and the worst error\n"
	"--arch   the prediction for these sub-nets on each device (repeatable), as CSV\n"
	"         rows device,arch,median_ms,note\n"
	"--db defaults to fleet.db, --supernet to fmnist-ofa, --threads to 1.\n";

struct dev {
	int64_t id;
	char serial[128];
	bool emulated;
};

struct devs {
	struct dev *d;
	size_t n, cap;
};

static void on_device(void *ctx, const struct fdb_device_row *r)
{
	struct devs *v = ctx;
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		struct dev *nd = realloc(v->d, cap * sizeof(*nd));
		if (nd == NULL)
			return;
		v->d = nd;
		v->cap = cap;
	}
	struct dev *d = &v->d[v->n++];
	d->id = r->id;
	snprintf(d->serial, sizeof(d->serial), "%s", r->serial ? r->serial : "?");
	d->emulated = r->emulated;
}

/* The measured sub-nets of one device: arch and median. */
struct meas {
	int threads;
	char (*arch)[XS_ARCH_MAX];
	double *median;
	size_t n, cap;
};

static void on_result(void *ctx, const struct fdb_result_row *r)
{
	struct meas *m = ctx;
	if (r->threads != m->threads || r->precision == NULL || strcmp(r->precision, "f32") != 0 ||
	    isnan(r->median_ms) || r->arch == NULL)
		return;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		void *na = realloc(m->arch, cap * sizeof(*m->arch));
		if (na == NULL)
			return;
		m->arch = na;
		double *nm = realloc(m->median, cap * sizeof(double));
		if (nm == NULL)
			return;
		m->median = nm;
		m->cap = cap;
	}
	snprintf(m->arch[m->n], XS_ARCH_MAX, "%s", r->arch);
	m->median[m->n++] = r->median_ms;
}

int cmd_predict(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'D'},      {"supernet", required_argument, NULL, 's'},
		{"threads", required_argument, NULL, 't'}, {"eval", no_argument, NULL, 'e'},
		{"arch", required_argument, NULL, 'a'},    {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *db_path = "fleet.db", *supernet = "fmnist-ofa";
	const char *archs[64];
	size_t narchs = 0;
	int threads = 1;
	bool eval = false;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': db_path = optarg; break;
		case 's': supernet = optarg; break;
		case 't': threads = atoi(optarg); break;
		case 'e': eval = true; break;
		case 'a':
			if (narchs == 64) {
				fprintf(stderr, "xnn-fleet predict: at most 64 --arch\n");
				return 2;
			}
			archs[narchs++] = optarg;
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc || (!eval && narchs == 0) || threads < 1) {
		fputs(usage_text, stderr);
		return 2;
	}
	struct fdb *db;
	char msg[512], sha[65], *space_text = NULL;
	if (fdb_open(db_path, FDB_READ, &db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		return 1;
	}
	int rc = 1;
	struct devs devs = {0};
	struct meas m = {threads, NULL, NULL, 0, 0};
	double *sum = NULL, *blocks = NULL;
	int64_t sn_id;
	struct xs_space sp;
	struct xs_error err;
	if (fdb_supernet_find(db, supernet, &sn_id, sha, &space_text) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", fdb_errmsg(db));
		goto out;
	}
	if (xs_space_parse(space_text, strlen(space_text), &sp, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: the DB's space of '%s': %s\n", supernet, err.msg);
		goto out;
	}
	struct xs_arch want[64];
	for (size_t i = 0; i < narchs; i++)
		if (xs_arch_parse(&sp, archs[i], &want[i], &err) != XS_OK) {
			fprintf(stderr, "xnn-fleet predict: --arch '%s': %s\n", archs[i], err.msg);
			rc = 2;
			goto out;
		}
	if (fdb_devices_each(db, on_device, &devs) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", fdb_errmsg(db));
		goto out;
	}
	if (eval)
		printf("%-20s %4s %7s %7s %7s %8s %7s  %s\n", "device", "n", "<=5%", "<=10%", "RMSPE",
		       "spearman", "worst", "fit (ms = a*sum + b + c*blocks, all sub-nets)");
	size_t total = 0, total5 = 0, total10 = 0, used = 0;
	for (size_t di = 0; di < devs.n; di++) {
		struct xf_ktable *kt;
		if (xf_ktable_load(db, sn_id, devs.d[di].id, threads, &kt, &err) != XS_OK)
			continue;  /* no kernel table: nothing to predict from */
		m.n = 0;
		if (fdb_subnet_results_each(db, sn_id, devs.d[di].id, on_result, &m) != XS_OK) {
			fprintf(stderr, "xnn-fleet: %s\n", fdb_errmsg(db));
			xf_ktable_destroy(kt);
			goto out;
		}
		free(sum);
		free(blocks);
		sum = calloc(m.n + 1, sizeof(double));
		blocks = calloc(m.n + 1, sizeof(double));
		double *meas = calloc(m.n + 1, sizeof(double));
		size_t k = 0;
		for (size_t i = 0; sum && blocks && meas && i < m.n; i++) {
			struct xs_arch a;
			char missing[160];
			if (xs_arch_parse(&sp, m.arch[i], &a, &err) != XS_OK)
				continue;
			if (!xf_ktable_sum(kt, &sp, &a, &sum[k], &blocks[k], missing, sizeof(missing))) {
				fprintf(stderr, "%s: the kernel table has no %s (%s)\n", devs.d[di].serial,
					missing, m.arch[i]);
				continue;
			}
			meas[k++] = m.median[i];
		}
		struct xf_calib c;
		xf_calib_fit(sum, blocks, meas, k, &c);
		used++;
		if (eval) {
			struct xf_predict_eval e;
			xf_predict_eval(sum, blocks, meas, k, &e);
			printf("%-20.20s %4zu %6.1f%% %6.1f%% %6.2f%% %8.3f %6.1f%%  a %.3f b %.4f c %.5f\n",
			       devs.d[di].serial, k, 100 * e.within5, 100 * e.within10, 100 * e.rmspe,
			       e.spearman, 100 * e.worst, c.a, c.b, c.c);
			total += k;
			total5 += (size_t)lround(e.within5 * (double)k);
			total10 += (size_t)lround(e.within10 * (double)k);
		}
		for (size_t i = 0; i < narchs; i++) {
			double s, b;
			char missing[160];
			xs_csv_put(stdout, devs.d[di].serial);
			putchar(',');
			xs_csv_put(stdout, archs[i]);
			if (!xf_ktable_sum(kt, &sp, &want[i], &s, &b, missing, sizeof(missing)))
				printf(",,no %s in the kernel table\n", missing);
			else
				printf(",%.4f,fitted on %zu sub-nets\n", xf_calib_predict(&c, s, b), c.n);
		}
		free(meas);
		xf_ktable_destroy(kt);
	}
	if (used == 0) {
		fprintf(stderr, "xnn-fleet predict: no device in '%s' has a kernel table for %d "
				"thread%s of '%s': run xnn-fleet sweep first\n", db_path, threads,
			threads == 1 ? "" : "s", supernet);
		goto out;
	}
	if (eval && total)
		printf("%-20s %4zu %6.1f%% %6.1f%%\n", "all devices", total,
		       100.0 * (double)total5 / (double)total, 100.0 * (double)total10 / (double)total);
	rc = 0;
out:
	free(space_text);
	free(devs.d);
	free(m.arch);
	free(m.median);
	free(sum);
	free(blocks);
	fdb_close(db);
	return rc;
}
