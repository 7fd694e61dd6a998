/* test-fleet.c - the per-device latency model (harness/select/fleet.c) on a
 * real SQLite DB built here with fdb calls: a device whose kernel table
 * times every piece at a known cost and whose measured sub-nets take exactly
 * twice the table's sum, so the calibration, the percentile ratio, the
 * margin, the int8 ratio and the predictions have answers computed here
 * independently; an emulated device left out when asked; a device without a
 * table; a reload after new measurements. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet.h"
#include "util.h"

/* Piece costs (ms): the table's sum of a sub-net is known from its pieces. */
#define BLOCK_MS 1.0
#define STEM_MS 0.5
#define HEAD_MS 0.25
#define RESIZE_MS 0.125

static const char *const archs[] = {
	"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
	"r24-d2.2.2.2-s1:e3k5,e3k5-s2:e3k5,e3k5-s3:e3k5,e3k5-s4:e3k5,e3k5",
	"r28-d1.2.1.1-s1:e3k5-s2:e3k5,e3k5-s3:e3k5-s4:e3k5",
	"r20-d3.3.3.3-s1:e2k3,e2k3,e2k3-s2:e2k3,e2k3,e2k3-s3:e2k3,e2k3,e2k3-s4:e2k3,e2k3,e2k3",
};
#define NARCHS 4

struct world {
	struct xs_supernet *sn;
	const struct xs_space *sp;
	char path[512];
	struct fdb *db;
	int64_t sn_id, phone, emu, bare, run;
	int64_t subnet[NARCHS];
};

static double cost_of(const struct xf_piece *p)
{
	return strcmp(p->kind, "block") == 0 ? BLOCK_MS : strcmp(p->kind, "stem") == 0 ? STEM_MS
	       : strcmp(p->kind, "head") == 0 ? HEAD_MS : RESIZE_MS;
}

struct kt_ctx {
	struct fdb_kernel_result rows[256];
	size_t n;
	double sum;
};

static void on_piece(void *ctx, const struct xf_piece *p)
{
	struct kt_ctx *k = ctx;
	k->sum += cost_of(p);
	struct fdb_kernel_result *r = &k->rows[k->n++];
	memset(r, 0, sizeof(*r));
	r->piece = p->kind;
	r->stage = p->stage;
	r->first = p->first;
	r->res = (int)p->res;
	r->expand = (int)p->expand;
	r->kernel = (int)p->kernel;
	r->n = 10;
	r->median_ms = r->mean_ms = r->p90_ms = r->min_ms = cost_of(p);
	r->cv = r->rcv = 0;
}

/* The table's sum of a (the known answer), from its pieces. */
static double table_sum(const struct world *w, const struct xs_arch *a)
{
	struct kt_ctx k = {.n = 0, .sum = 0};
	xf_arch_pieces(w->sp, a, on_piece, &k);
	return k.sum;
}

/* A kernel table on device dev covering the pieces of every test arch and
 * of the space's largest sub-net. */
static void put_table(struct world *w, int64_t dev)
{
	struct fdb_key key = {dev, "f32", 1, "0", "test-1"};
	struct xs_arch a[NARCHS + 1];
	struct xs_error err;
	for (size_t i = 0; i < NARCHS; i++)
		assert_int_equal(xs_arch_parse(w->sp, archs[i], &a[i], &err), XS_OK);
	xs_arch_largest(w->sp, &a[NARCHS]);
	for (size_t i = 0; i <= NARCHS; i++) {
		static struct kt_ctx k;
		k.n = 0;
		xf_arch_pieces(w->sp, &a[i], on_piece, &k);
		struct fdb_key keys[256];
		for (size_t j = 0; j < k.n; j++)
			keys[j] = key;
		size_t stored;
		assert_int_equal(fdb_kernel_results_insert(w->db, w->run, w->sn_id, keys, k.rows, k.n,
							   &stored), XS_OK);
	}
}

/* A row with flags and p90's interval's upper end (NAN: none). */
static void put_flagged(struct world *w, int64_t dev, size_t arch, const char *prec,
			const char *version, double median, double p90, const char *flags,
			double p90_hi)
{
	struct fdb_key key = {dev, prec, 1, "0", version};
	struct fdb_subnet_result r;
	memset(&r, 0, sizeof(r));
	r.status = "ok";
	r.n = 20;
	r.arena_bytes = r.weight_bytes = -1;
	r.eval_images = -1;
	r.peak_rss_delta_bytes = INT64_MIN;
	r.mean_ms = r.stdev_ms = r.cv = r.rcv = r.min_ms = r.max_ms = r.cold_ms = r.build_ms = NAN;
	r.top1 = r.max_logit_diff = r.temp_before_c = r.temp_after_c = NAN;
	r.freq_before = r.freq_after = NAN;
	r.median_ms = median;
	r.p90_ms = p90;
	r.p99_ms = p90 * 1.5;
	r.flags = flags;
	r.batch = -1;
	r.median_lo_ms = r.median_hi_ms = r.p90_lo_ms = NAN;
	r.p90_hi_ms = p90_hi;
	bool stored;
	assert_int_equal(fdb_subnet_result_insert(w->db, w->run, &key, w->subnet[arch], &r, &stored),
			 XS_OK);
	assert_true(stored);
}

static void put_result(struct world *w, int64_t dev, size_t arch, const char *prec,
		       const char *version, double median, double p90)
{
	put_flagged(w, dev, arch, prec, version, median, p90, "clean", NAN);
}

static int64_t put_device(struct world *w, const char *serial, bool emulated)
{
	struct fdb_device d = {.transport = "local", .serial = serial, .fingerprint = serial,
			       .model = serial, .emulated = emulated,
			       .probe = "probe_score,3.5\n"};
	int64_t id;
	assert_int_equal(fdb_device_upsert(w->db, &d, &id), XS_OK);
	return id;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct xs_error err;
	char msg[512], sha[65];
	if (w == NULL || xs_supernet_load("models/fmnist-ofa.xsn", &w->sn, &err) != XS_OK)
		return -1;
	w->sp = &w->sn->space;
	snprintf(w->path, sizeof(w->path), "%s/test-fleet-%ld.db", xf_tmpdir(), (long)getpid());
	unlink(w->path);
	if (fdb_open(w->path, FDB_WRITE, &w->db, msg, sizeof(msg)) != XS_OK)
		return -1;
	xs_sha256_hex(w->sn->sha256, sha);
	int64_t sweep;
	if (fdb_supernet_upsert(w->db, w->sp->name, sha, "space", &w->sn_id) != XS_OK ||
	    fdb_sweep_begin(w->db, "test", &sweep) != XS_OK)
		return -1;
	w->phone = put_device(w, "phone", false);
	w->emu = put_device(w, "qemu", true);
	w->bare = put_device(w, "bare", false);  /* no kernel table */
	if (fdb_run_begin(w->db, sweep, w->phone, &w->run) != XS_OK)
		return -1;
	for (size_t i = 0; i < NARCHS; i++)
		if (fdb_subnet_upsert(w->db, w->sn_id, archs[i], 1, 1, &w->subnet[i]) != XS_OK)
			return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	fdb_close(w->db);
	unlink(w->path);
	xs_supernet_destroy(w->sn);
	free(w);
	return 0;
}

/* The phone: a table, the first three archs measured at twice their sum
 * (p90 1.2x the median), two of them in int8 too; the emulated device: a
 * table, nothing measured. */
static void test_model(void **state)
{
	struct world *w = *state;
	put_table(w, w->phone);
	put_table(w, w->emu);
	struct xs_arch a[NARCHS], largest;
	struct xs_error err;
	double sum[NARCHS];
	for (size_t i = 0; i < NARCHS; i++) {
		assert_int_equal(xs_arch_parse(w->sp, archs[i], &a[i], &err), XS_OK);
		sum[i] = table_sum(w, &a[i]);
	}
	xs_arch_largest(w->sp, &largest);
	/* an older agent's row of arch 0 first: the newer one must win */
	put_result(w, w->phone, 0, "f32", "test-0", 50 * sum[0], 60 * sum[0]);
	for (size_t i = 0; i < 3; i++)
		put_result(w, w->phone, i, "f32", "test-1", 2 * sum[i], 2.4 * sum[i]);
	put_result(w, w->phone, 0, "int8", "test-1", 0.5 * 2 * sum[0], 0.5 * 2.4 * sum[0]);
	put_result(w, w->phone, 1, "int8", "test-1", 0.8 * 2 * sum[1], 0.8 * 2.4 * sum[1]);

	struct xf_fleet *f;
	const struct xf_fleet_opts all = {1, 90, false};
	assert_int_equal(xf_fleet_load(w->db, w->sn_id, w->sp, &all, &f, &err), XS_OK);
	assert_int_equal(f->n, 3);
	size_t p, q, b;
	assert_true(xf_fleet_find(f, w->phone, &p));
	assert_true(xf_fleet_find(f, w->emu, &q));
	assert_true(xf_fleet_find(f, w->bare, &b));
	const struct xf_fleet_device *d = &f->dev[p];
	assert_int_equal(d->state, XF_FLEET_OK);
	assert_int_equal(f->dev[b].state, XF_FLEET_NO_TABLE);
	assert_true(isnan(xf_fleet_predicted(f, b, &a[0], XS_PRECISION_F32)));
	assert_true(f->dev[q].emulated);
	assert_true(fabs(f->dev[p].probe - 3.5) < 1e-12);
	assert_int_equal(d->nm, 5);  /* 3 f32 (the older row replaced), 2 int8 */
	assert_int_equal(d->nfit, 3);
	/* three points: the scale alone, exactly 2 */
	assert_true(fabs(d->calib.a - 2) < 1e-9);
	assert_true(fabs(d->ratio - 1.2) < 1e-9);
	assert_true(fabs(d->margin - 0.02) < 1e-12);  /* no error left out: the 2% floor */
	assert_true(fabs(f->dev[q].margin - 0.10) < 1e-12);  /* fewer than 3 points: 10% */
	/* a measured sub-net: the measurement (p90), and the model's
	 * prediction of it: 2 * sum * 1.2 */
	bool measured;
	double lat = xf_fleet_latency(f, p, &a[1], XS_PRECISION_F32, archs[1], &measured);
	assert_true(measured);
	assert_true(fabs(lat - 2.4 * sum[1]) < 1e-9);
	assert_true(fabs(xf_fleet_predicted(f, p, &a[1], XS_PRECISION_F32) - 2.4 * sum[1]) < 1e-9);
	/* an unmeasured one: predicted */
	lat = xf_fleet_latency(f, p, &a[3], XS_PRECISION_F32, archs[3], &measured);
	assert_false(measured);
	assert_true(fabs(lat - 2.4 * sum[3]) < 1e-9);
	assert_true(fabs(d->speed - 2.4 * table_sum(w, &largest)) < 1e-9);
	/* int8: the geometric mean of 0.5 and 0.8, the spread the log's
	 * standard deviation */
	assert_true(fabs(d->int8_ratio - sqrt(0.4)) < 1e-9);
	assert_true(fabs(d->int8_spread - fabs(log(0.5) - log(0.8)) / sqrt(2)) < 1e-9);
	assert_true(fabs(xf_fleet_predicted(f, p, &a[3], XS_PRECISION_INT8) -
			 2.4 * sum[3] * sqrt(0.4)) < 1e-9);
	lat = xf_fleet_latency(f, p, &a[0], XS_PRECISION_INT8, archs[0], &measured);
	assert_true(measured && fabs(lat - 0.5 * 2.4 * sum[0]) < 1e-9);
	/* the emulated device: no measurements, the table's sum * 1.1 */
	assert_int_equal(f->dev[q].nfit, 0);
	assert_true(fabs(xf_fleet_predicted(f, q, &a[2], XS_PRECISION_F32) - 1.1 * sum[2]) < 1e-9);
	assert_true(isnan(xf_fleet_predicted(f, q, &a[2], XS_PRECISION_INT8)));
	/* a correction scales predictions, and survives a reload that sees a
	 * fourth measurement (now four points: the scale and an offset, still
	 * exactly 2 and 0) */
	f->dev[p].correction = 1.5;
	put_result(w, w->phone, 3, "f32", "test-1", 2 * sum[3], 2.4 * sum[3]);
	assert_int_equal(xf_fleet_reload_device(f, p, &err), XS_OK);
	d = &f->dev[p];
	assert_int_equal(d->nfit, 4);
	assert_true(fabs(d->calib.a - 2) < 1e-9 && fabs(d->calib.b) < 1e-9);
	assert_true(fabs(d->margin - 0.02) < 1e-12);
	assert_true(xf_fleet_measured(f, p, archs[3], XS_PRECISION_F32, &lat));
	assert_true(fabs(xf_fleet_predicted(f, p, &a[3], XS_PRECISION_F32) - 1.5 * 2.4 * sum[3]) <
		    1e-9);
	double pred[4];
	assert_true(xf_fleet_loo(f, p, pred));
	for (size_t i = 0; i < 4; i++)
		assert_true(fabs(pred[i] - d->fit_median[i]) < 1e-6 * d->fit_median[i]);
	xf_fleet_destroy(f);

	/* emulated devices left out when asked; the median at p50 */
	const struct xf_fleet_opts real = {1, 50, true};
	assert_int_equal(xf_fleet_load(w->db, w->sn_id, w->sp, &real, &f, &err), XS_OK);
	assert_int_equal(f->n, 2);
	assert_false(xf_fleet_find(f, w->emu, &q));
	assert_true(xf_fleet_find(f, w->phone, &p));
	assert_true(fabs(f->dev[p].ratio - 1) < 1e-12);
	assert_true(xf_fleet_measured(f, p, archs[2], XS_PRECISION_F32, &lat));
	assert_true(fabs(lat - 2 * sum[2]) < 1e-9);
	xf_fleet_destroy(f);
	/* rows not flagged clean count at their interval's upper end, at least
	 * 5% over; with no interval, 10% over */
	put_flagged(w, w->bare, 0, "f32", "test-1", 10, 12, "noisy", 18);
	put_flagged(w, w->bare, 1, "f32", "test-1", 10, 12, "throttled", NAN);
	put_flagged(w, w->bare, 2, "f32", "test-1", 10, 12, "noisy", 12.1);
	put_flagged(w, w->bare, 3, "f32", "test-1", 10, 12, "clean", 18);
	assert_int_equal(xf_fleet_load(w->db, w->sn_id, w->sp, &all, &f, &err), XS_OK);
	assert_true(xf_fleet_find(f, w->bare, &b));
	const double want[4] = {18, 1.10 * 12, 1.05 * 12, 12};
	for (size_t i = 0; i < 4; i++) {
		assert_true(xf_fleet_measured(f, b, archs[i], XS_PRECISION_F32, &lat));
		assert_true(fabs(lat - want[i]) < 1e-9);
		assert_int_equal(xf_fleet_clean(f, b, archs[i], XS_PRECISION_F32), i == 3);
	}
	assert_false(xf_fleet_clean(f, b, archs[0], XS_PRECISION_INT8));  /* not measured */
	xf_fleet_destroy(f);
	/* bad options */
	const struct xf_fleet_opts bad = {1, 95, false};
	assert_int_equal(xf_fleet_load(w->db, w->sn_id, w->sp, &bad, &f, NULL), XS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
