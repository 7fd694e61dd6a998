/* fuzz-have.c - libFuzzer target: the agent's --have list (agent/have.c,
 * what `xnn-agent kernels --have FILE` reads; the harness writes it from
 * the DB on --resume). Every key it keeps is a whole line of the input
 * without its line end, is found again, and the keys are sorted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "have.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct xa_have h;
	if (!xa_have_parse(text, size, &h))
		return 0;
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (h.n > lines)
		__builtin_trap();
	for (size_t i = 0; i < h.n; i++) {
		const char *k = h.keys[i];
		if (k[0] == '\0' || strpbrk(k, "\r\n") != NULL || !xa_have_key(&h, k))
			__builtin_trap();
		if (i > 0 && strcmp(h.keys[i - 1], k) > 0)
			__builtin_trap();
		/* a key is the start of a line of the input */
		size_t off = (size_t)(k - h.text);
		if (off > size || (off > 0 && data[off - 1] != '\n'))
			__builtin_trap();
	}
	xa_have_release(&h);
	return 0;
}
