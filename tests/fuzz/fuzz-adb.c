/* fuzz-adb.c - libFuzzer target: what the harness reads from adb servers and
 * devices (harness/transport/adb-client.c): the first byte picks the parser,
 * the rest is its input. 0: host:devices-l text; 1: a shell_v2 stream fed in
 * two pieces; 2: getprop output; 3: a server address. Each checks what it
 * promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adb-client.h"
#include "xr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_out(void *ctx, int stream, const char *d, size_t n)
{
	size_t *total = ctx;
	if ((stream != 1 && stream != 2) || (n && d == NULL))
		__builtin_trap();
	*total += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0: {
		struct xf_adb_dev d[8];
		size_t n = xf_adb_devices_parse(text, d, 8);
		for (size_t i = 0; i < n; i++)
			if (d[i].serial[0] == '\0' || d[i].state[0] == '\0' ||
			    strlen(d[i].model) >= sizeof(d[i].model))
				__builtin_trap();
		break;
	}
	case 1: {
		struct xf_shellv2 p;
		char why[128];
		size_t total = 0, cut = size > 1 ? data[1] % size : 0;
		xf_shellv2_init(&p);
		if (xf_shellv2_feed(&p, data + 1, cut, on_out, &total, why, sizeof(why)))
			xf_shellv2_feed(&p, data + 1 + cut, size - 1 - cut, on_out, &total, why,
					sizeof(why));
		if (total > size || p.exit_code > 255)
			__builtin_trap();
		break;
	}
	case 2: {
		char v[16];
		if (xr_prop_value(text, "ro.product.model", v, sizeof(v)) &&
		    strlen(v) >= sizeof(v))
			__builtin_trap();
		break;
	}
	default: {
		struct xf_adb_server s;
		if (xf_adb_server_parse(text, &s) && (s.port <= 0 || s.port > 65535))
			__builtin_trap();
		break;
	}
	}
	free(text);
	return 0;
}
