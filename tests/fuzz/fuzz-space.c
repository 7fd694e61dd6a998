/* fuzz-space.c - libFuzzer target: the space text of an .xsn file. */
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_space sp;
	struct xs_error err;
	if (xs_space_parse((const char *)data, size, &sp, &err) == XS_OK) {
		/* a space that parses gives sub-nets that print and parse back */
		struct xs_arch a, b;
		char text[XS_ARCH_MAX];
		xs_arch_largest(&sp, &a);
		if (xs_arch_print(&sp, &a, text, sizeof(text)) < sizeof(text) &&
		    xs_arch_parse(&sp, text, &b, &err) != XS_OK)
			__builtin_trap();
		(void)xs_arch_macs(&sp, &a);
	}
	return 0;
}
