/* cmd-simulate.c - xnn-fleet db simulate: a made-up fleet for testing that
 * selection and reports scale (DESIGN.md "Scale"). Everything it writes is
 * marked: the devices are simulated = 1 with transport "simulated", the
 * supernet is "<name>-simulated" with its own sha256 (never the real one's,
 * so a merge can never mix its made-up accuracies into real sub-nets), the
 * sweep's config starts with "simulated".
 *
 * Model: each device has a speed factor (log-uniform over 100x); a piece of
 * the space costs factor * (res/28)^2 * expand * kernel^2 / 49 * 0.05 ms
 * (+ 2% noise), a sub-net its pieces' sum times 1.08 (+ 3% noise); top-1
 * grows with log MACs. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdb.h"
#include "predict.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet db simulate [--db FILE] [--devices N] [--subnets M] [--seed S]\n"
	"                             [--supernet FILE]\n"
	"\n"
	"Adds a simulated fleet to FILE (default sim.db): N devices (default 1000)\n"
	"with kernel tables and M sub-nets each (default 200) of the supernet's space,\n"
	"all marked simulated (devices simulated = 1, supernet '<name>-simulated' with\n"
	"its own sha256). For testing that select and report scale; never mix it with\n"
	"a real fleet's DB.\n";

static uint64_t rng;

static double uni(void)  /* [0, 1) */
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(rng >> 11) / 9007199254740992.0;
}

struct pieces {
	struct xf_piece p[4096];
	size_t n;
	double cost[4096];
	double sum;
};

static bool same_piece(const struct xf_piece *a, const struct xf_piece *b)
{
	return strcmp(a->kind, b->kind) == 0 && a->stage == b->stage && a->first == b->first &&
	       a->res == b->res && a->expand == b->expand && a->kernel == b->kernel;
}

static double piece_cost(const struct xf_piece *p)
{
	double r = p->res / 28.0;
	double e = p->expand ? p->expand : 1, k = p->kernel ? p->kernel : 3;
	return 0.05 * r * r * e * k * k / 49.0 + 0.002;
}

/* Collects the distinct pieces (for the kernel table) and one sub-net's sum. */
static void on_piece(void *ctx, const struct xf_piece *p)
{
	struct pieces *ps = ctx;
	ps->sum += piece_cost(p);
	for (size_t i = 0; i < ps->n; i++)
		if (same_piece(&ps->p[i], p))
			return;
	if (ps->n < 4096) {
		ps->cost[ps->n] = piece_cost(p);
		ps->p[ps->n++] = *p;
	}
}

int cmd_db_simulate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'D'},      {"devices", required_argument, NULL, 'd'},
		{"subnets", required_argument, NULL, 'm'}, {"seed", required_argument, NULL, 's'},
		{"supernet", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *db_path = "sim.db", *sn_path = XF_DEFAULT_SUPERNET;
	long ndev = 1000, nsub = 200;
	rng = 1;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': db_path = optarg; break;
		case 'd': ndev = atol(optarg); break;
		case 'm': nsub = atol(optarg); break;
		case 's': rng = strtoull(optarg, NULL, 10); break;
		case 'f': sn_path = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc || ndev < 1 || ndev > 100000 || nsub < 2 || nsub > 100000) {
		fputs(usage_text, stderr);
		return 2;
	}
	struct xs_supernet *sn;
	struct xs_error err;
	if (xs_supernet_load(sn_path, &sn, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return 1;
	}
	const struct xs_space *sp = &sn->space;
	struct fdb *db;
	char msg[512];
	if (fdb_open(db_path, FDB_WRITE, &db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		xs_supernet_destroy(sn);
		return 1;
	}
	int rc = 1;
	struct pieces *ps = calloc(1, sizeof(*ps));
	char (*archs)[XS_ARCH_MAX] = calloc((size_t)nsub, XS_ARCH_MAX);
	double *sums = calloc((size_t)nsub, sizeof(double));
	int64_t *ids = calloc((size_t)nsub, sizeof(int64_t));
	uint64_t *macs = calloc((size_t)nsub, sizeof(uint64_t));
	if (!ps || !archs || !sums || !ids || !macs)
		goto out;
	/* the supernet, marked */
	char hex[65], simhex[65], name[96], space[4096];
	uint8_t d[32];
	xs_sha256_hex(sn->sha256, hex);
	char tag[100];
	snprintf(tag, sizeof(tag), "simulated:%s", hex);
	xs_sha256(tag, strlen(tag), d);
	xs_sha256_hex(d, simhex);
	snprintf(name, sizeof(name), "%s-simulated", sp->name);
	if (xs_space_print(sp, space, sizeof(space)) >= sizeof(space)) {
		fprintf(stderr, "xnn-fleet: the space of '%s' is too long\n", sn_path);
		goto out;
	}
	int64_t sn_id, sweep_id = 0;
	struct timespec ts0, ts1;
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	enum xs_status st = fdb_begin(db);
	if (st == XS_OK)
		st = fdb_supernet_upsert(db, name, simhex, space, &sn_id);
	uint64_t lo = UINT64_MAX, hi = 0;
	uint64_t seed = rng;
	for (long i = 0; st == XS_OK && i < nsub; i++) {
		struct xs_arch a;
		xs_arch_random(sp, &seed, &a);
		xs_arch_print(sp, &a, archs[i], XS_ARCH_MAX);
		macs[i] = xs_arch_macs(sp, &a);
		lo = macs[i] < lo ? macs[i] : lo;
		hi = macs[i] > hi ? macs[i] : hi;
		ps->sum = 0;
		xf_arch_pieces(sp, &a, on_piece, ps);
		sums[i] = ps->sum;
		st = fdb_subnet_upsert(db, sn_id, archs[i], macs[i], xs_arch_params(sp, &a), &ids[i]);
	}
	for (long i = 0; st == XS_OK && i < nsub; i++) {
		double x = hi > lo ? log((double)macs[i] / (double)lo) / log((double)hi / (double)lo) : 0;
		double top1 = 88.0 + 4.5 * x + 0.3 * (uni() - 0.5);
		st = fdb_subnet_reference_set(db, ids[i], "f32", top1, top1 + 0.4 * (uni() - 0.5), NULL);
	}
	if (st == XS_OK)
		st = fdb_sweep_begin(db, "simulated fleet (xnn-fleet db simulate)", &sweep_id);
	if (st == XS_OK)
		st = fdb_commit(db);
	for (long k = 0; st == XS_OK && k < ndev; k++) {
		char serial[32], model[64], probe[64];
		double speed = exp(log(0.5) + uni() * log(100.0));
		snprintf(serial, sizeof(serial), "sim-%05ld", k + 1);
		snprintf(model, sizeof(model), "Simulated Phone %ld", k % 50 + 1);
		snprintf(probe, sizeof(probe), "probe_score,%.2f\nsimulated,yes\n", 100.0 / speed);
		struct fdb_device dv = {.transport = "simulated", .serial = serial,
					.fingerprint = "simulated/phone:1", .model = model,
					.manufacturer = "simulated", .soc = "Simulated SoC",
					.abi = "arm64-v8a", .os = "simulated", .cpus = 8,
					.ram_bytes = (int64_t)(2 + k % 7) << 30, .simulated = true,
					.probe = probe};
		int64_t dev_id, run_id;
		st = fdb_begin(db);
		if (st == XS_OK)
			st = fdb_device_upsert(db, &dv, &dev_id);
		if (st == XS_OK)
			st = fdb_run_begin(db, sweep_id, dev_id, &run_id);
		struct fdb_key key = {dev_id, "f32", 1, "0", "simulated"};
		bool stored;
		for (size_t i = 0; st == XS_OK && i < ps->n; i++) {
			const struct xf_piece *p = &ps->p[i];
			double m = speed * ps->cost[i] * (1 + 0.02 * (uni() - 0.5));
			struct fdb_kernel_result kr = {p->kind, p->stage, p->first, (int)p->res, 0, 0,
						       (int)p->expand, (int)p->kernel, 1, 0, 30, m, m,
						       0.01, 0.01, m * 1.03, m * 0.97, "clean"};
			st = fdb_kernel_result_insert(db, run_id, &key, sn_id, &kr, &stored);
		}
		for (long i = 0; st == XS_OK && i < nsub; i++) {
			double m = speed * sums[i] * 1.08 * (1 + 0.03 * (uni() - 0.5));
			struct fdb_subnet_result r = {
				.status = "ok", .flags = "clean", .n = 30, .arena_bytes = 100000,
				.weight_bytes = (int64_t)(macs[i] / 8), .peak_rss_delta_bytes = INT64_MIN,
				.eval_images = -1, .median_ms = m, .mean_ms = m, .stdev_ms = 0.02 * m,
				.cv = 0.02, .rcv = 0.02, .min_ms = 0.97 * m, .max_ms = 1.3 * m,
				.p90_ms = 1.05 * m, .p99_ms = 1.15 * m, .cold_ms = 2 * m, .build_ms = NAN,
				.top1 = NAN, .max_logit_diff = NAN, .temp_before_c = NAN,
				.temp_after_c = NAN, .freq_before = NAN, .freq_after = NAN};
			st = fdb_subnet_result_insert(db, run_id, &key, ids[i], &r, &stored);
		}
		if (st == XS_OK)
			st = fdb_run_end(db, run_id, "done", NULL, "simulated");
		if (st == XS_OK)
			st = fdb_commit(db);
	}
	if (st == XS_OK)
		st = fdb_sweep_end(db, sweep_id, "done");
	if (st != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", fdb_errmsg(db));
		fdb_rollback(db);
		if (sweep_id > 0)
			fdb_sweep_end(db, sweep_id, "failed");
		goto out;
	}
	int64_t distinct = 0;  /* random draws can repeat a sub-net: stored once */
	for (long i = 0; i < nsub; i++) {
		bool again = false;
		for (long k = 0; k < i && !again; k++)
			again = ids[k] == ids[i];
		distinct += !again;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	printf("%s: %ld simulated devices, %" PRId64 " sub-nets of '%s' (%zu kernel pieces each), "
	       "%.1f s\n", db_path, ndev, distinct, name, ps->n,
	       (double)(ts1.tv_sec - ts0.tv_sec) + 1e-9 * (double)(ts1.tv_nsec - ts0.tv_nsec));
	rc = 0;
out:
	free(ps);
	free(archs);
	free(sums);
	free(ids);
	free(macs);
	fdb_close(db);
	xs_supernet_destroy(sn);
	return rc;
}
