/* fuzz-adbd.c - libFuzzer target: what xnn-adbd reads from the host and its
 * persona (agent/adbd/wire.c, runtime/props.c): the first byte picks the
 * parser. 0: a wire header (and its data check); 1: a persona; 2: a shell
 * command as argv words; 3: a sync SEND spec; 4: a sync path under the work
 * folder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adbd/wire.h"
#include "xr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *in = data + 1;
	size_t n = size - 1;
	char *text = malloc(n + 1);
	if (text == NULL)
		return 0;
	memcpy(text, in, n);
	text[n] = '\0';
	switch (data[0] % 5) {
	case 0:
		if (n >= XA_ADB_HEADER) {
			struct xa_adb_header h;
			char why[128];
			if (xa_adb_header_parse(in, XA_ADB_MAX_PAYLOAD, &h, why, sizeof(why))) {
				if (h.len > XA_ADB_MAX_PAYLOAD || h.magic != (h.cmd ^ 0xffffffffu))
					__builtin_trap();
				if (h.len <= n - XA_ADB_HEADER)
					xa_adb_data_ok(&h, XA_ADB_VERSION_MIN, in + XA_ADB_HEADER);
			}
		}
		break;
	case 1: {
		char v[32];
		if (xr_prop_value(text, "ro.product.cpu.abi", v, sizeof(v)) && strlen(v) >= sizeof(v))
			__builtin_trap();
		break;
	}
	case 2: {
		char buf[512], *argv[16];
		if (xa_shell_words(text, buf, sizeof(buf), argv, 16)) {
			size_t k = 0;
			while (argv[k])
				k++;
			if (k == 0 || k > 15)
				__builtin_trap();
		}
		break;
	}
	case 4: {
		/* what it gives is under the folder: no "..", no empty or "."
		 * component, no leading '/' */
		char rel[64], why[800];
		if (xa_sync_path_rel(text, "/w", "/r/w", rel, sizeof(rel), why, sizeof(why))) {
			size_t len = strlen(rel);
			if (len >= sizeof(rel) || rel[0] == '/' || strstr(rel, "//") ||
			    strstr(rel, "/../") || strncmp(rel, "../", 3) == 0 ||
			    strcmp(rel, "..") == 0 || (len >= 3 && strcmp(rel + len - 3, "/..") == 0))
				__builtin_trap();
		}
		break;
	}
	default: {
		char path[64];
		unsigned mode;
		if (xa_sync_send_spec(text, n, path, sizeof(path), &mode) &&
		    (strlen(path) >= sizeof(path) || mode > 07777))
			__builtin_trap();
		break;
	}
	}
	free(text);
	return 0;
}
