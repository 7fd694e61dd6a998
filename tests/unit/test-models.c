/* test-models.c - the agent's models list (agent/models.c): what parses and
 * what is refused with its line; opening a listed .xnm only when its sha256
 * is the list's (a damaged, missing or mislabelled file is an error naming
 * the file and saying what to do); and `xnn-agent bench --models` with one
 * damaged file among three: that model's error row, the other two measured. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "models.h"
#include "test-util.h"
#include "xa-cmd.h"

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"

static enum xs_status parse(const char *text, struct xa_model_entry **v, size_t *n,
			    struct xs_error *err)
{
	return xa_models_parse(text, strlen(text), v, n, err);
}

/* ---- the list ---------------------------------------------------------------------- */

static void test_parse(void **state)
{
	(void)state;
	const char *text =
		"# xnn-agent bench --models\n"
		"\n"
		"r20-d1.1.1.1-s1:e2k3,e2k3-s2:e2k3\tf32\txnm-000-f32.xnm\t" SHA_A "\n"
		"  r28-d3.3.3.3-s1:e4k7 \t\t int8 \t /data/local/tmp/a b.xnm\t" SHA_B
		"  # a comment\r\n"
		"   \t \r\n"
		"tiny\tf32\tm.xnm\t" SHA_A;  /* no newline at the end */
	struct xa_model_entry *v = NULL;
	size_t n = 0;
	struct xs_error err;
	assert_int_equal(parse(text, &v, &n, &err), XS_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].arch, "r20-d1.1.1.1-s1:e2k3,e2k3-s2:e2k3");
	assert_int_equal(v[0].precision, XS_PRECISION_F32);
	assert_string_equal(v[0].file, "xnm-000-f32.xnm");
	assert_int_equal(v[0].sha256[0], 0x01);
	assert_int_equal(v[0].sha256[31], 0xef);
	assert_int_equal(v[0].line, 3);
	/* blanks around fields and a run of tabs; spaces inside a file name */
	assert_string_equal(v[1].arch, "r28-d3.3.3.3-s1:e4k7");
	assert_int_equal(v[1].precision, XS_PRECISION_INT8);
	assert_string_equal(v[1].file, "/data/local/tmp/a b.xnm");
	assert_int_equal(v[1].sha256[0], 0xfe);  /* upper-case hex */
	assert_int_equal(v[1].line, 4);
	assert_int_equal(v[2].line, 6);
	free(v);
	/* nothing listed: valid, no array */
	v = (struct xa_model_entry *)&err;
	assert_int_equal(parse("", &v, &n, &err), XS_OK);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(parse("# only a comment\n\n  \n", &v, &n, &err), XS_OK);
	assert_int_equal(n, 0);
}

static void test_parse_errors(void **state)
{
	(void)state;
	char long_arch[XS_ARCH_MAX + 100];
	memset(long_arch, 'r', sizeof(long_arch) - 1);
	long_arch[sizeof(long_arch) - 1] = '\0';
	char too_long[sizeof(long_arch) + 200];
	snprintf(too_long, sizeof(too_long), "%s\tf32\tm.xnm\t%s\n", long_arch, SHA_A);
	static const char sha_g[] =
		"g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char bad_hex[200];
	snprintf(bad_hex, sizeof(bad_hex), "a\tf32\tm.xnm\t%s\n", sha_g);
	const struct {
		const char *text, *want;
	} cases[] = {
		{"a\tf32\tm.xnm\n", "line 1: 3 fields, not 4"},
		{"# ok\na\tf32\tm.xnm\t" SHA_A "\textra\n", "line 2: more than 4 fields"},
		{"a f32 m.xnm " SHA_A "\n", "line 1: 1 field, not 4"},
		{"a\tf16\tm.xnm\t" SHA_A "\n", "precision 'f16' is not f32 or int8"},
		{"a\tf32\tm.xnm\t0123\n", "sha256 '0123' is not 64 hex digits"},
		{"a\tf32\tm.xnm\t" SHA_A "0\n", "is not 64 hex digits"},
		{bad_hex, "is not 64 hex digits"},
		{"a\t \tm.xnm\t" SHA_A "\n", "line 1: the precision is empty"},
		{too_long, "line 1: the arch is empty or longer than"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xa_model_entry *v = NULL;
		size_t n = 99;
		struct xs_error err = {""};
		assert_int_equal(parse(cases[i].text, &v, &n, &err), XS_EFORMAT);
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
		assert_null(v);
		assert_int_equal(n, 99);  /* not written on failure */
	}
	/* a NUL byte inside a line */
	static const char nul[] = "a\tf32\tm\0.xnm\t" SHA_A "\n";
	struct xa_model_entry *v = NULL;
	size_t n = 0;
	struct xs_error err;
	assert_int_equal(xa_models_parse(nul, sizeof(nul) - 1, &v, &n, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "line 1: a NUL byte"));
	/* a list that cannot be read names its file */
	assert_int_equal(xa_models_load("/nonexistent/models.txt", &v, &n, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "'/nonexistent/models.txt'"));
}

/* ---- the files ---------------------------------------------------------------------- */

struct files {
	char dir[64];
	char list[128];
	uint8_t *bytes;          /* the tiny model's .xnm */
	size_t size;
	char hex[65];            /* its sha256 */
};

static void write_file(const char *dir, const char *name, const void *b, size_t n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* A folder with good.xnm, bad.xnm (one byte changed) and notxnm.xnm. */
static void files_make(struct files *fs)
{
	snprintf(fs->dir, sizeof(fs->dir), "/tmp/xa-models-XXXXXX");
	assert_non_null(mkdtemp(fs->dir));
	struct xs_model *m = tu_tiny_model();
	fs->bytes = tu_model_bytes(m, &fs->size);
	xs_model_destroy(m);
	uint8_t sum[32];
	xs_sha256(fs->bytes, fs->size, sum);
	xs_sha256_hex(sum, fs->hex);
	write_file(fs->dir, "good.xnm", fs->bytes, fs->size);
	fs->bytes[fs->size / 2] ^= 0x40;  /* what a bad transfer does */
	write_file(fs->dir, "bad.xnm", fs->bytes, fs->size);
	fs->bytes[fs->size / 2] ^= 0x40;
	write_file(fs->dir, "notxnm.xnm", "not a model\n", 12);
}

static void files_remove(struct files *fs)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fs->dir);
	assert_int_equal(system(cmd), 0);
	free(fs->bytes);
}

static struct xa_model_entry entry(const char *arch, enum xs_precision p, const char *file,
				   const char *hex)
{
	struct xa_model_entry e = {.precision = p, .line = 1};
	char text[1024];
	snprintf(text, sizeof(text), "%s\t%s\t%s\t%s\n", arch, xs_precision_name(p), file, hex);
	struct xa_model_entry *v;
	size_t n;
	struct xs_error err;
	assert_int_equal(parse(text, &v, &n, &err), XS_OK);
	assert_int_equal(n, 1);
	e = v[0];
	free(v);
	return e;
}

static void test_open(void **state)
{
	(void)state;
	struct files fs;
	files_make(&fs);
	struct xs_model *m = NULL;
	struct xs_error err = {""};
	struct xa_model_entry e = entry("tiny", XS_PRECISION_F32, "good.xnm", fs.hex);
	assert_int_equal(xa_model_open(&e, fs.dir, &m, &err), XS_OK);
	assert_string_equal(m->arch, "tiny");
	xs_model_destroy(m);
	/* an absolute FILE ignores the folder */
	char abs[128];
	snprintf(abs, sizeof(abs), "%s/good.xnm", fs.dir);
	e = entry("tiny", XS_PRECISION_F32, abs, fs.hex);
	assert_int_equal(xa_model_open(&e, "/nonexistent", &m, &err), XS_OK);
	xs_model_destroy(m);
	/* damaged: refused before anything reads it, with what to do */
	m = NULL;
	e = entry("tiny", XS_PRECISION_F32, "bad.xnm", fs.hex);
	assert_int_equal(xa_model_open(&e, fs.dir, &m, &err), XS_ECHECKSUM);
	assert_null(m);
	assert_non_null(strstr(err.msg, "bad.xnm'"));
	assert_non_null(strstr(err.msg, "re-run the sweep; the file was damaged in transfer"));
	/* missing */
	e = entry("tiny", XS_PRECISION_F32, "gone.xnm", fs.hex);
	assert_int_equal(xa_model_open(&e, fs.dir, &m, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "cannot read '"));
	assert_non_null(strstr(err.msg, "gone.xnm'"));
	assert_non_null(strstr(err.msg, "re-run the sweep"));
	/* the right sha256 of bytes that are no model, and a model listed as
	 * another: both refused, naming the file */
	uint8_t sum[32];
	char hex[65];
	xs_sha256("not a model\n", 12, sum);
	xs_sha256_hex(sum, hex);
	e = entry("tiny", XS_PRECISION_F32, "notxnm.xnm", hex);
	assert_int_equal(xa_model_open(&e, fs.dir, &m, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "notxnm.xnm'"));
	e = entry("tiny", XS_PRECISION_INT8, "good.xnm", fs.hex);
	assert_int_equal(xa_model_open(&e, fs.dir, &m, &err), XS_EFORMAT);
	assert_non_null(strstr(err.msg, "holds tiny f32, the models list says tiny int8"));
	e = entry("other", XS_PRECISION_F32, "good.xnm", fs.hex);
	assert_int_equal(xa_model_open(&e, fs.dir, &m, &err), XS_EFORMAT);
	assert_null(m);
	files_remove(&fs);
}

/* ---- bench --models -------------------------------------------------------------------- */

/* Runs xa_cmd_bench(args) with stdout into out (and stderr away); its exit
 * status. */
static int bench(const char **args, int n, const char *out)
{
	fflush(stdout);
	fflush(stderr);
	int saved1 = dup(1), saved2 = dup(2);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), null = open("/dev/null", O_WRONLY);
	assert_true(saved1 >= 0 && saved2 >= 0 && fd >= 0 && null >= 0);
	dup2(fd, 1);
	dup2(null, 2);
	int rc = xa_cmd_bench(n, (char **)args);
	fflush(stdout);
	fflush(stderr);
	dup2(saved1, 1);
	dup2(saved2, 2);
	close(fd);
	close(null);
	close(saved1);
	close(saved2);
	return rc;
}

static void test_bench_damaged(void **state)
{
	(void)state;
	struct files fs;
	files_make(&fs);
	char list[256], out[256];
	snprintf(list, sizeof(list), "%s/models.txt", fs.dir);
	snprintf(out, sizeof(out), "%s/out.csv", fs.dir);
	FILE *f = fopen(list, "w");
	assert_non_null(f);
	fprintf(f, "tiny\tf32\tgood.xnm\t%s\ntiny\tf32\tbad.xnm\t%s\ntiny\tf32\tgood.xnm\t%s\n",
		fs.hex, fs.hex, fs.hex);
	assert_int_equal(fclose(f), 0);
	const char *args[] = {"bench", "--models", list, "--quick", NULL};
	assert_int_equal(bench(args, 4, out), 1);  /* a row failed */
	size_t n;
	char *text = tu_file_read(out, &n);
	/* the stream is whole: metadata, header, three rows, the end */
	assert_non_null(strstr(text, "#table=bench\n"));
	assert_non_null(strstr(text, "\n#end rows=3\n"));
	assert_non_null(strstr(text, "\n0,tiny,f32,1,"));
	assert_non_null(strstr(text, "\n2,tiny,f32,1,"));
	char *bad = strstr(text, "\n1,tiny,");
	assert_non_null(bad);
	char *eol = strchr(bad + 1, '\n');
	assert_non_null(eol);
	*eol = '\0';
	assert_non_null(strstr(bad, ",error,"));
	assert_non_null(strstr(bad, "bad.xnm'"));
	assert_non_null(strstr(bad, "re-run the sweep; the file was damaged in transfer"));
	/* the good rows carry the file's sha256 */
	*eol = '\n';
	char *ok = strstr(text, "\n0,tiny,f32,1,");
	eol = strchr(ok + 1, '\n');
	*eol = '\0';
	assert_non_null(strstr(ok, ",ok,"));
	assert_non_null(strstr(ok, fs.hex));
	free(text);
	/* --models takes the place of --supernet, --subnets, --calib, --precision */
	const char *mixed[] = {"bench", "--models", list, "--precision", "int8", NULL};
	assert_int_equal(bench(mixed, 5, out), 2);
	const char *missing[] = {"bench", "--models", "/nonexistent/models.txt", NULL};
	assert_int_equal(bench(missing, 3, out), 1);
	files_remove(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_bench_damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
