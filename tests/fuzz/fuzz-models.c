/* fuzz-models.c - libFuzzer target: the agent's models list (agent/models.c,
 * what `xnn-agent bench --models` reads); what parses must print back, as
 * the harness writes lists, to a list that parses to the same entries. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xa_model_entry *v = NULL, *w = NULL;
	size_t n = 0, m = 0;
	struct xs_error err;
	if (xa_models_parse((const char *)data, size, &v, &n, &err) != XS_OK) {
		if (err.msg[0] == '\0')
			__builtin_trap();  /* an error comes with its message */
		return 0;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		char hex[65];
		xs_sha256_hex(v[i].sha256, hex);
		fprintf(f, "%s\t%s\t%s\t%s\n", v[i].arch, xs_precision_name(v[i].precision),
			v[i].file, hex);
	}
	fclose(f);
	if (xa_models_parse(text, len, &w, &m, &err) != XS_OK || m != n)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].arch, w[i].arch) != 0 || strcmp(v[i].file, w[i].file) != 0 ||
		    v[i].precision != w[i].precision || memcmp(v[i].sha256, w[i].sha256, 32) != 0 ||
		    v[i].line == 0)
			__builtin_trap();
	free(text);
	free(v);
	free(w);
	return 0;
}
