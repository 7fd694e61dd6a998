/* test-sha256.c - SHA-256 (sha256.c): the FIPS 180-4 examples, whole and fed
 * in odd pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test-util.h"

static void hex_of(const void *data, size_t n, char hex[65])
{
	uint8_t sum[32];
	xs_sha256(data, n, sum);
	xs_sha256_hex(sum, hex);
}

static void test_sha256(void **state)
{
	(void)state;
	char hex[65];
	/* FIPS 180-4 examples */
	hex_of("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	hex_of(two, strlen(two), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	hex_of(million, 1000000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* incremental in odd pieces gives the same */
	struct xs_sha256 s;
	uint8_t sum[32];
	xs_sha256_init(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 7 % 1001 + 1)
		xs_sha256_update(&s, million + off, off + step > 1000000 ? 1000000 - off : step);
	xs_sha256_final(&s, sum);
	xs_sha256_hex(sum, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
	};
	return TU_RUN("sha256", tests, NULL, NULL);
}
