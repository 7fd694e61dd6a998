/* cmd-predict.c - xnn-fleet predict: sub-net latency per device from its
 * kernel table, calibrated with the sub-nets measured there; --eval says how
 * good that is by leave-one-out over the measured sub-nets. The model is the
 * fleet's (harness/select/fleet.h), the one select uses. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet predict [--db FILE] [--supernet NAME|SHA256] [--threads N]\n"
	"                         [--time-emulated] (--eval | --arch ARCH...)\n"
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
	"--time-emulated  emulated devices (qemu-user) too: left out by default, their\n"
	"         times describe no phone\n"
	"--db defaults to fleet.db, --supernet to fmnist-ofa, --threads to 1.\n";

/* A device's leave-one-out row of --eval; adds its counts to the totals. */
static void print_eval(const struct xf_fleet_device *d, size_t *total, size_t *total5,
		       size_t *total10)
{
	const struct xf_predict_eval *e = &d->eval;
	const size_t k = d->nfit;
	printf("%-20.20s %4zu %6.1f%% %6.1f%% %6.2f%% %8.3f %6.1f%%  a %.3f b %.4f c %.5f\n",
	       d->serial, k, 100 * e->within5, 100 * e->within10, 100 * e->rmspe, e->spearman,
	       100 * e->worst, d->calib.a, d->calib.b, d->calib.c);
	*total += k;
	*total5 += (size_t)lround(e->within5 * (double)k);
	*total10 += (size_t)lround(e->within10 * (double)k);
}

/* The CSV rows device,arch,median_ms,note of the archs on device i. */
static void print_archs(const struct xf_fleet *f, size_t i, const char *const *archs,
			const struct xs_arch *want, size_t narchs)
{
	const struct xf_fleet_device *d = &f->dev[i];
	for (size_t k = 0; k < narchs; k++) {
		double s, b, ms = xf_fleet_predicted(f, i, &want[k], XS_PRECISION_F32);
		char missing[160];
		xs_csv_put(stdout, d->serial);
		putchar(',');
		xs_csv_put(stdout, archs[k]);
		if (isnan(ms) && !xf_ktable_sum(d->kt, f->sp, &want[k], &s, &b, missing,
						sizeof(missing)))
			printf(",,no %s in the kernel table\n", missing);
		else
			printf(",%.4f,fitted on %zu sub-nets\n", ms, d->calib.n);
	}
}

int cmd_predict(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'D'},      {"supernet", required_argument, NULL, 's'},
		{"threads", required_argument, NULL, 't'}, {"eval", no_argument, NULL, 'e'},
		{"arch", required_argument, NULL, 'a'},    {"help", no_argument, NULL, 'h'},
		{"time-emulated", no_argument, NULL, 'T'}, {NULL, 0, NULL, 0}};
	const char *db_path = "fleet.db", *supernet = "fmnist-ofa";
	const char *archs[64];
	size_t narchs = 0;
	int threads = 1;
	bool eval = false, time_emulated = false;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': db_path = optarg; break;
		case 's': supernet = optarg; break;
		case 't': threads = atoi(optarg); break;
		case 'e': eval = true; break;
		case 'T': time_emulated = true; break;
		case 'a':
			if (narchs == 64) {
				fprintf(stderr, "xnn-fleet predict: at most 64 --arch\n");
				return 2;
			}
			archs[narchs++] = optarg;
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return xf_usage_error(usage_text);
		}
	}
	if (optind != argc || (!eval && narchs == 0) || threads < 1) {
		return xf_usage_error(usage_text);
	}
	struct fdb *db;
	char msg[512], sha[65], *space_text = NULL;
	if (fdb_open(db_path, FDB_READ, &db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		return 1;
	}
	int rc = 1;
	struct xf_fleet *fleet = NULL;
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
	const struct xf_fleet_opts fo = {threads, 50, !time_emulated};
	if (xf_fleet_load(db, sn_id, &sp, &fo, &fleet, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		goto out;
	}
	if (fleet->emulated_out)
		fprintf(stderr, "xnn-fleet predict: %zu emulated device%s left out: their times "
			"describe no phone (--time-emulated counts them)\n", fleet->emulated_out,
			fleet->emulated_out > 1 ? "s" : "");
	if (eval)
		printf("%-20s %4s %7s %7s %7s %8s %7s  %s\n", "device", "n", "<=5%", "<=10%", "RMSPE",
		       "spearman", "worst", "fit (ms = a*sum + b + c*blocks, all sub-nets)");
	size_t total = 0, total5 = 0, total10 = 0, used = 0;
	for (size_t di = 0; di < fleet->n; di++) {
		const struct xf_fleet_device *d = &fleet->dev[di];
		if (d->kt == NULL)
			continue;  /* no kernel table: nothing to predict from */
		for (size_t i = 0; i < d->nm; i++)
			if (d->m[i].missing[0])
				fprintf(stderr, "%s: the kernel table has no %s (%s)\n", d->serial,
					d->m[i].missing, d->m[i].arch);
		used++;
		if (eval)
			print_eval(d, &total, &total5, &total10);
		print_archs(fleet, di, archs, want, narchs);
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
	xf_fleet_destroy(fleet);
	free(space_text);
	fdb_close(db);
	return rc;
}
