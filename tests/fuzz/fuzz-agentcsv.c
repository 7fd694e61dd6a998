/* fuzz-agentcsv.c - libFuzzer target: the harness's reader of agent output
 * (harness/agent-csv.c) on any bytes, fed in two pieces split where the first
 * byte says, so that every state can be cut. Every row it delivers has the
 * header's width. */
#include <stddef.h>
#include <stdint.h>

#include "agent-csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)ctx;
	if (n != xf_agent_reader_ncols(r))
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (f[i] == NULL)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xf_agent_reader *r;
	struct xs_error err;
	if (xf_agent_reader_create(on_row, NULL, &r, &err) != XS_OK)
		return 0;
	size_t cut = size ? data[0] % (size + 1) : 0;
	if (xf_agent_reader_feed(r, data, cut, &err) == XS_OK &&
	    xf_agent_reader_feed(r, data + cut, size - cut, &err) == XS_OK)
		xf_agent_reader_finish(r, &err);
	xf_agent_reader_destroy(r);
	return 0;
}
