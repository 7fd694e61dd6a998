/* test-reference.c - the host's reference (harness/reference.c) into a fresh
 * SQLite file: what it lacks is every sub-net in every precision, then none
 * once stored; with a model source it evaluates the models it is given (the
 * sweep's staged .xnm files) once per lacking sub-net and precision and never
 * for a stored one, and their logits are those of the models it builds from
 * the supernet itself (the same bytes); a source that fails stops it, named,
 * with nothing stored. Its file is written beside ref_path without following
 * a link planted at the old temp name (ref_path.tmp) and leaves no temp file. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cmocka.h>

#include "data.h"
#include "reference.h"
#include "util.h"
#include "test-util.h"

#define N 2
#define NP 2

static const char archs[N][XS_ARCH_MAX] = {
	"r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3",
	"r20-d1.1.1.1-s1:e2k5-s2:e2k5-s3:e2k5-s4:e2k5",
};

static char dir[PATH_MAX];
static struct xf_data data;

/* The model source: the files written here, each call counted. */
struct source {
	char paths[N][NP][PATH_MAX + 32];  /* [sub-net][f32, int8] */
	size_t calls;
	bool fail;
};

static enum xs_status from_files(void *ctx, size_t i, enum xs_precision prec,
				 struct xs_model **out, struct xs_error *err)
{
	struct source *s = ctx;
	s->calls++;
	assert_true(i < N);
	if (s->fail)
		return xf_error_set(err, XS_EIO, "'%s' is gone", s->paths[i][0]);
	return xs_model_load(s->paths[i][prec == XS_PRECISION_INT8], out, NULL, err);
}

/* The sub-models as the sweep stages them (ship.c): f32 recalibrated on the
 * training images, int8 quantized from it. */
static void write_models(struct source *s)
{
	struct xs_idx *calib;
	struct xs_error err;
	assert_int_equal(xs_idx_load(data.calib, 3, &calib, &err), XS_OK);
	for (size_t i = 0; i < N; i++) {
		struct xs_arch a;
		struct xs_model *m, *q;
		struct xs_quant_options qo;
		xs_quant_options_default(&qo);
		assert_int_equal(xs_arch_parse(&tu_fx.sn->space, archs[i], &a, &err), XS_OK);
		assert_int_equal(xs_model_extract(tu_fx.sn, &a, calib, NULL, &m, &err), XS_OK);
		assert_int_equal(xs_model_quantize(m, calib, &qo, tu_fx.sn->space.recal_images, NULL,
						   &q, &err), XS_OK);
		snprintf(s->paths[i][0], sizeof(s->paths[i][0]), "%s/m%zu-f32.xnm", dir, i);
		snprintf(s->paths[i][1], sizeof(s->paths[i][1]), "%s/m%zu-int8.xnm", dir, i);
		assert_int_equal(xs_model_write(m, s->paths[i][0], &err), XS_OK);
		assert_int_equal(xs_model_write(q, s->paths[i][1], &err), XS_OK);
		xs_model_destroy(m);
		xs_model_destroy(q);
	}
	xs_idx_destroy(calib);
}

/* A fresh DB (dir/NAME) with the supernet and the sub-nets: ids[]. */
static struct fdb *db_make(const char *name, int64_t ids[N])
{
	char path[PATH_MAX + 64], hex[65], space[4096];
	struct fdb *db;
	int64_t sid;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(fdb_open(path, FDB_WRITE, &db, NULL, 0), XS_OK);
	xs_sha256_hex(tu_fx.sn->sha256, hex);
	xs_space_print(&tu_fx.sn->space, space, sizeof(space));
	assert_int_equal(fdb_supernet_upsert(db, tu_fx.sn->space.name, hex, space, &sid), XS_OK);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(fdb_subnet_upsert(db, sid, archs[i], 1, 1, &ids[i]), XS_OK);
	return db;
}

static size_t lacking(struct fdb *db, const int64_t ids[N])
{
	bool lack[N * NP];
	struct xs_error err;
	if (xf_reference_lacking(db, tu_fx.sn, ids, N, data.eval, "f32,int8", lack, &err) != XS_OK)
		fail_msg("lacking: %s", err.msg);
	size_t n = 0;
	for (size_t k = 0; k < N * NP; k++)
		n += lack[k];
	return n;
}

static enum xs_status update(struct fdb *db, const int64_t ids[N], const char *ref,
			     struct source *s, struct xs_error *err)
{
	bool written = false;
	enum xs_status st = xf_reference_update(db, tu_fx.sn, archs, ids, N, data.calib,
						data.train_labels, data.eval, data.labels,
						"f32,int8", 2, ref, &written,
						s ? from_files : NULL, NULL, s, err);
	assert_int_equal(written, st == XS_OK);
	return st;
}

static void test_reference(void **state)
{
	(void)state;
	struct xs_error err;
	struct source src = {0};
	int64_t ids[N], ids2[N], ids3[N];
	char ref[PATH_MAX + 32], ref2[PATH_MAX + 32];
	snprintf(ref, sizeof(ref), "%s/ref.csv", dir);
	snprintf(ref2, sizeof(ref2), "%s/ref2.csv", dir);
	write_models(&src);

	/* from the files: each sub-net in each precision once */
	struct fdb *db = db_make("a.db", ids);
	assert_int_equal(lacking(db, ids), N * NP);
	if (update(db, ids, ref, &src, &err) != XS_OK)
		fail_msg("update: %s", err.msg);
	assert_int_equal(src.calls, N * NP);
	assert_int_equal(lacking(db, ids), 0);
	double top1, val;
	char *logits = NULL;
	assert_int_equal(fdb_subnet_reference(db, ids[0], "int8", &top1, &val, &logits), XS_OK);
	assert_true(top1 > 80 && top1 <= 100 && val > 80 && val <= 100);
	assert_non_null(logits);
	free(logits);
	/* stored: not evaluated again, the same rows written */
	size_t n1, n2;
	char *first = tu_file_read(ref, &n1);
	assert_int_equal(update(db, ids, ref, &src, &err), XS_OK);
	assert_int_equal(src.calls, N * NP);
	char *again = tu_file_read(ref, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(first, again, n1);
	assert_int_equal(n1 > 0 && strstr(first, " int8,0,") != NULL, true);
	free(again);
	fdb_close(db);

	/* built here from the supernet: the same logits; a link planted at the
	 * temp name (the sweep's is in $TMPDIR) is not followed */
	char victim[PATH_MAX + 32], planted[PATH_MAX + 64];
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(planted, sizeof(planted), "%s.tmp", ref2);
	FILE *vf = fopen(victim, "w");
	assert_non_null(vf);
	fputs("not the reference's\n", vf);
	assert_int_equal(fclose(vf), 0);
	assert_int_equal(symlink(victim, planted), 0);
	struct fdb *db2 = db_make("b.db", ids2);
	assert_int_equal(update(db2, ids2, ref2, NULL, &err), XS_OK);
	char *built = tu_file_read(ref2, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(first, built, n1);
	free(built);
	size_t nv;
	char *kept = tu_file_read(victim, &nv);
	assert_string_equal(kept, "not the reference's\n");
	free(kept);
	struct stat lst;
	assert_int_equal(lstat(ref2, &lst), 0);
	assert_true(S_ISREG(lst.st_mode));
	DIR *dh = opendir(dir);
	assert_non_null(dh);
	for (struct dirent *de; (de = readdir(dh)) != NULL;)  /* no temp file left */
		if (strncmp(de->d_name, "ref2.csv.", 9) == 0 && strcmp(de->d_name, "ref2.csv.tmp"))
			fail_msg("left behind: %s", de->d_name);
	closedir(dh);
	unlink(planted);
	unlink(victim);
	free(first);
	fdb_close(db2);

	/* a source that fails: named, nothing stored */
	struct fdb *db3 = db_make("c.db", ids3);
	src.fail = true;
	assert_int_equal(update(db3, ids3, ref2, &src, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "m0-f32.xnm' is gone"));
	assert_int_equal(lacking(db3, ids3), N * NP);
	fdb_close(db3);

	static const char *const left[] = {"a.db", "a.db-wal", "a.db-shm", "b.db", "b.db-wal",
					   "b.db-shm", "c.db", "c.db-wal", "c.db-shm", "ref.csv",
					   "ref2.csv"};
	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		char p[PATH_MAX + 64];
		snprintf(p, sizeof(p), "%s/%s", dir, left[i]);
		unlink(p);
	}
	for (size_t i = 0; i < N; i++)
		for (size_t k = 0; k < NP; k++)
			unlink(src.paths[i][k]);
}

int main(void)
{
	struct xs_error err;
	snprintf(dir, sizeof(dir), "%s/test-reference-XXXXXX", xf_tmpdir());
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "test-reference: cannot make '%s'\n", dir);
		return 1;
	}
	if (xf_data_stage(&data, &err) != XS_OK) {
		fprintf(stderr, "test-reference: %s\n", err.msg);
		rmdir(dir);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference),
	};
	int rc = cmocka_run_group_tests(tests, tu_fixture_setup, tu_fixture_teardown);
	if (rmdir(dir) != 0) {
		fprintf(stderr, "test-reference: '%s' is not empty\n", dir);
		rc = 1;
	}
	return rc;
}
