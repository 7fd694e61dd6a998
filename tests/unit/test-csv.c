/* test-csv.c - the one CSV field writer (csv.c): the exact bytes xs_csv_put
 * writes to a memory stream, and that an RFC 4180 reader written here gets
 * back every field it was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

/* What xs_csv_put writes for v (NULL-terminated by open_memstream). Caller
 * frees. */
static char *put(const char *v, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	xs_csv_put(f, v);
	assert_int_equal(fclose(f), 0);
	*len = n;
	return buf;
}

static void test_csv_put(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* plain: as they are, inner spaces and other punctuation too */
		{"plain", "plain"},
		{"r20-d1.1.1.1-s1:e2k3", "r20-d1.1.1.1-s1:e2k3"},
		{"1.5e-03", "1.5e-03"},
		{"a b;c|d'e", "a b;c|d'e"},
		{"x86_64 (avx512)", "x86_64 (avx512)"},
		/* a separator, a quote (doubled), CR, LF: quoted */
		{"a,b", "\"a,b\""},
		{",", "\",\""},
		{"say \"hi\"", "\"say \"\"hi\"\"\""},
		{"\"", "\"\"\"\""},
		{"\"\"", "\"\"\"\"\"\""},
		{"a\rb", "\"a\rb\""},
		{"a\nb", "\"a\nb\""},
		{"line\r\n", "\"line\r\n\""},
		{"\n", "\"\n\""},
		/* space or tab at either end (readers trim): quoted */
		{" lead", "\" lead\""},
		{"trail ", "\"trail \""},
		{"\tlead", "\"\tlead\""},
		{"trail\t", "\"trail\t\""},
		{" ", "\" \""},
		{"\t", "\"\t\""},
		{"a\tb", "a\tb"},
		/* everything at once */
		{" \"a\",\r\nb\t", "\" \"\"a\"\",\r\nb\t\""},
		/* empty */
		{"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		char *got = put(cases[i].in, &n);
		if (n != strlen(cases[i].out) || memcmp(got, cases[i].out, n) != 0)
			fail_msg("case %zu: wrote '%.*s' (%zu bytes), wanted '%s'", i, (int)n, got,
				 n, cases[i].out);
		free(got);
	}
	/* NULL is the empty field: nothing written */
	size_t n;
	char *got = put(NULL, &n);
	assert_int_equal(n, 0);
	free(got);
}

/* One field of RFC 4180 at *p, unquoted, into out; *p moves past it. */
static size_t read_field(const char **p, char *out)
{
	const char *s = *p;
	size_t n = 0;
	if (*s != '"') {
		while (*s && *s != ',' && *s != '\n')
			out[n++] = *s++;
	} else {
		for (s++;; s++) {
			assert_true(*s != '\0'); /* unterminated */
			if (*s == '"' && s[1] != '"')
				break;
			if (*s == '"')
				s++;
			out[n++] = *s;
		}
		s++;
		assert_true(*s == '\0' || *s == ',' || *s == '\n');
	}
	out[n] = '\0';
	*p = s;
	return n;
}

/* Rows of random fields from the characters that matter, written with a
 * comma between fields and a newline after the row, read back the same. */
static void test_csv_put_roundtrip(void **state)
{
	(void)state;
	static const char alphabet[] = "a1 \t,\"\r\n-.";
	uint64_t rng = 3;
	for (int row = 0; row < 500; row++) {
		char fields[4][16];
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		assert_non_null(f);
		for (int k = 0; k < 4; k++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			size_t n = (size_t)(rng >> 60) % 12;
			for (size_t j = 0; j < n; j++) {
				rng = rng * 6364136223846793005ull + 1442695040888963407ull;
				fields[k][j] = alphabet[(rng >> 33) % (sizeof(alphabet) - 1)];
			}
			fields[k][n] = '\0';
			if (k)
				putc(',', f);
			xs_csv_put(f, fields[k]);
		}
		putc('\n', f);
		assert_int_equal(fclose(f), 0);
		const char *p = buf;
		for (int k = 0; k < 4; k++) {
			char back[40];
			read_field(&p, back);
			if (strcmp(back, fields[k]) != 0)
				fail_msg("row %d field %d: read back '%s', wrote '%s' as '%s'", row, k,
					 back, fields[k], buf);
			assert_int_equal(*p, k < 3 ? ',' : '\n');
			p++;
		}
		assert_int_equal(*p, '\0');
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_put),
		cmocka_unit_test(test_csv_put_roundtrip),
	};
	return TU_RUN("csv", tests, NULL, NULL);
}
