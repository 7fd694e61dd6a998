/* simulate.c - the simulated fleet (simulate.h): the marked supernet and
 * its sub-nets, then per device its kernel table and sub-net results, made
 * from a cost model of the space's pieces, written in batches. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdb.h"
#include "predict.h"
#include "simulate.h"
#include "util.h"

#define MAX_PIECES 4096

/* The distinct pieces of the drawn sub-nets (a device's kernel table) with
 * their costs, and the cost sum of the sub-net being collected. */
struct pieces {
	struct xf_piece p[MAX_PIECES];
	size_t n;
	double cost[MAX_PIECES];
	double sum;
};

/* What the simulation keeps from step to step; arrays of nsub unless
 * said otherwise. */
struct sim {
	uint64_t rng;                       /* uni()'s state */
	long nsub;
	struct pieces *ps;
	char (*archs)[XS_ARCH_MAX];
	double *sums;                       /* a sub-net's pieces' cost */
	int64_t *ids;                       /* its row id (draws can repeat) */
	uint64_t *macs;
	struct fdb_key *keys;               /* max(MAX_PIECES, nsub): one device's key */
	struct fdb_kernel_result *krows;    /* MAX_PIECES */
	struct fdb_subnet_result *srows;
	int64_t sn_id, sweep_id;            /* sweep_id 0: none stored */
	char name[96];                      /* the simulated supernet's */
};

static double uni(uint64_t *rng)  /* [0, 1) */
{
	*rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(*rng >> 11) / 9007199254740992.0;
}

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
	if (ps->n < MAX_PIECES) {
		ps->cost[ps->n] = piece_cost(p);
		ps->p[ps->n++] = *p;
	}
}

static void sim_free(struct sim *m)
{
	free(m->ps);
	free(m->archs);
	free(m->sums);
	free(m->ids);
	free(m->macs);
	free(m->keys);
	free(m->krows);
	free(m->srows);
}

static bool sim_alloc(struct sim *m, long nsub)
{
	size_t n = (size_t)nsub;
	m->nsub = nsub;
	m->ps = calloc(1, sizeof(*m->ps));
	m->archs = calloc(n, sizeof(*m->archs));
	m->sums = calloc(n, sizeof(*m->sums));
	m->ids = calloc(n, sizeof(*m->ids));
	m->macs = calloc(n, sizeof(*m->macs));
	m->keys = calloc(n > MAX_PIECES ? n : MAX_PIECES, sizeof(*m->keys));
	m->krows = calloc(MAX_PIECES, sizeof(*m->krows));
	m->srows = calloc(n, sizeof(*m->srows));
	return m->ps && m->archs && m->sums && m->ids && m->macs && m->keys && m->krows &&
	       m->srows;
}

/* Draws the sub-nets and stores them with the marked supernet, their
 * made-up accuracies and the sweep, in one transaction. */
static enum xs_status sim_supernet(struct fdb *db, const struct xs_supernet *sn, struct sim *m,
				   struct xs_error *err)
{
	const struct xs_space *sp = &sn->space;
	char hex[65], simhex[65], tag[100], space[4096];
	uint8_t d[32];
	xs_sha256_hex(sn->sha256, hex);
	snprintf(tag, sizeof(tag), "simulated:%s", hex);
	xs_sha256(tag, strlen(tag), d);
	xs_sha256_hex(d, simhex);
	snprintf(m->name, sizeof(m->name), "%s-simulated", sp->name);
	if (xs_space_print(sp, space, sizeof(space)) >= sizeof(space))
		return xf_error_set(err, XS_EINVAL, "the space of '%s' is too long", sp->name);
	enum xs_status st = fdb_begin(db);
	if (st == XS_OK)
		st = fdb_supernet_upsert(db, m->name, simhex, space, &m->sn_id);
	uint64_t lo = UINT64_MAX, hi = 0, seed = m->rng;
	for (long i = 0; st == XS_OK && i < m->nsub; i++) {
		struct xs_arch a;
		xs_arch_random(sp, &seed, &a);
		xs_arch_print(sp, &a, m->archs[i], XS_ARCH_MAX);
		m->macs[i] = xs_arch_macs(sp, &a);
		lo = m->macs[i] < lo ? m->macs[i] : lo;
		hi = m->macs[i] > hi ? m->macs[i] : hi;
		m->ps->sum = 0;
		xf_arch_pieces(sp, &a, on_piece, m->ps);
		m->sums[i] = m->ps->sum;
		st = fdb_subnet_upsert(db, m->sn_id, m->archs[i], m->macs[i], xs_arch_params(sp, &a),
				       &m->ids[i]);
	}
	for (long i = 0; st == XS_OK && i < m->nsub; i++) {
		double x = hi > lo ? log((double)m->macs[i] / (double)lo) /
				     log((double)hi / (double)lo) : 0;
		double top1 = 88.0 + 4.5 * x + 0.3 * (uni(&m->rng) - 0.5);
		st = fdb_subnet_reference_set(db, m->ids[i], "f32", top1,
					      top1 + 0.4 * (uni(&m->rng) - 0.5), NULL);
	}
	if (st == XS_OK)
		st = fdb_sweep_begin(db, "simulated fleet (xnn-fleet db simulate)", &m->sweep_id);
	if (st == XS_OK)
		st = fdb_commit(db);
	if (st != XS_OK) {
		xf_error_set(err, st, "%s", fdb_errmsg(db));
		fdb_rollback(db);
		m->sweep_id = 0;
	}
	return st;
}

/* Fills the kernel rows and the sub-net rows of a device of this speed
 * (m->krows, m->srows; in this order, for the generator's sequence). */
static void sim_kernel_rows(struct sim *m, double speed)
{
	for (size_t i = 0; i < m->ps->n; i++) {
		const struct xf_piece *p = &m->ps->p[i];
		double t = speed * m->ps->cost[i] * (1 + 0.02 * (uni(&m->rng) - 0.5));
		m->krows[i] = (struct fdb_kernel_result){
			.piece = p->kind, .stage = p->stage, .first = p->first, .res = (int)p->res,
			.expand = (int)p->expand, .kernel = (int)p->kernel, .stride = 1, .macs = 0,
			.n = 30, .median_ms = t, .mean_ms = t, .cv = 0.01, .rcv = 0.01,
			.p90_ms = t * 1.03, .min_ms = t * 0.97, .flags = "clean"};
	}
}

static void sim_subnet_rows(struct sim *m, double speed)
{
	for (long i = 0; i < m->nsub; i++) {
		double t = speed * m->sums[i] * 1.08 * (1 + 0.03 * (uni(&m->rng) - 0.5));
		m->srows[i] = (struct fdb_subnet_result){
			.status = "ok", .flags = "clean", .n = 30, .arena_bytes = 100000,
			.weight_bytes = (int64_t)(m->macs[i] / 8), .peak_rss_delta_bytes = INT64_MIN,
			.eval_images = -1, .median_ms = t, .mean_ms = t, .stdev_ms = 0.02 * t,
			.cv = 0.02, .rcv = 0.02, .min_ms = 0.97 * t, .max_ms = 1.3 * t,
			.p90_ms = 1.05 * t, .p99_ms = 1.15 * t, .cold_ms = 2 * t, .build_ms = NAN,
			.top1 = NAN, .max_logit_diff = NAN, .temp_before_c = NAN,
			.temp_after_c = NAN, .freq_before = NAN, .freq_after = NAN, .batch = 1,
			.median_lo_ms = 0.995 * t, .median_hi_ms = 1.005 * t,
			.p90_lo_ms = 1.03 * t, .p90_hi_ms = 1.07 * t};
	}
}

/* Device k (0-based): its row, run, kernel table and sub-net results in one
 * transaction, left open on an error (the caller rolls it back). */
static enum xs_status sim_device(struct fdb *db, struct sim *m, long k)
{
	char serial[32], model[64], probe[64];
	double speed = exp(log(0.5) + uni(&m->rng) * log(100.0));
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
	size_t stored;
	enum xs_status st = fdb_begin(db);
	if (st == XS_OK)
		st = fdb_device_upsert(db, &dv, &dev_id);
	if (st == XS_OK)
		st = fdb_run_begin(db, m->sweep_id, dev_id, &run_id);
	if (st != XS_OK)
		return st;
	size_t nkeys = (size_t)m->nsub > m->ps->n ? (size_t)m->nsub : m->ps->n;
	for (size_t i = 0; i < nkeys; i++)
		m->keys[i] = (struct fdb_key){dev_id, "f32", 1, "0", "simulated"};
	sim_kernel_rows(m, speed);
	st = fdb_kernel_results_insert(db, run_id, m->sn_id, m->keys, m->krows, m->ps->n, &stored);
	if (st == XS_OK) {
		sim_subnet_rows(m, speed);
		st = fdb_subnet_results_insert(db, run_id, m->keys, m->ids, m->srows,
					       (size_t)m->nsub, &stored);
	}
	if (st == XS_OK)
		st = fdb_run_end(db, run_id, "done", NULL, "simulated");
	if (st == XS_OK)
		st = fdb_commit(db);
	return st;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* How many of the drawn sub-nets are distinct (sorts ids). */
static int64_t distinct_ids(int64_t *ids, long n)
{
	qsort(ids, (size_t)n, sizeof(*ids), cmp_id);
	int64_t d = 0;
	for (long i = 0; i < n; i++)
		d += i == 0 || ids[i] != ids[i - 1];
	return d;
}

enum xs_status xf_simulate_fleet(struct fdb *db, const struct xf_simulate_opts *o,
				 struct xf_simulate_summary *out, struct xs_error *err)
{
	if (o->supernet == NULL || o->devices < 1 || o->devices > 100000 || o->subnets < 2 ||
	    o->subnets > 100000)
		return xf_error_set(err, XS_EINVAL, "simulate: 1 to 100000 devices and 2 to 100000 "
				    "sub-nets of a supernet");
	struct sim m = {.rng = o->seed};
	enum xs_status st = XS_OK;
	if (!sim_alloc(&m, o->subnets)) {
		st = xf_error_set(err, XS_ENOMEM, "simulate: out of memory");
		goto out_free;
	}
	st = sim_supernet(db, o->supernet, &m, err);
	for (long k = 0; st == XS_OK && k < o->devices; k++) {
		if ((st = sim_device(db, &m, k)) != XS_OK) {
			xf_error_set(err, st, "%s", fdb_errmsg(db));
			fdb_rollback(db);
		}
	}
	if (st == XS_OK && (st = fdb_sweep_end(db, m.sweep_id, "done")) != XS_OK)
		xf_error_set(err, st, "%s", fdb_errmsg(db));
	if (st != XS_OK) {
		if (m.sweep_id > 0)
			fdb_sweep_end(db, m.sweep_id, "failed");
		goto out_free;
	}
	if (out) {
		out->devices = o->devices;
		out->pieces = m.ps->n;
		out->subnets = distinct_ids(m.ids, m.nsub);
		snprintf(out->supernet, sizeof(out->supernet), "%s", m.name);
	}
out_free:
	sim_free(&m);
	return st;
}
