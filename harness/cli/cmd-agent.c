/* cmd-agent.c - xnn-fleet agent-check: reads an agent's output (a file or
 * stdin) as the sweep does and says whether it is complete and well formed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent-csv.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static void count_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)r;
	(void)f;
	(void)n;
	(*(size_t *)ctx)++;
}

int cmd_agent_check(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "--help") == 0) {
		fputs("usage: xnn-fleet agent-check FILE|-\n\n"
		      "Reads an xnn-agent output stream (FILE, or stdin for '-') the way the sweep\n"
		      "does: metadata, header, rows, '#end rows=N'. Prints the table's name, rows\n"
		      "and columns; exit status 1 when it is cut or malformed (the message says\n"
		      "where).\n", argc == 2 ? stdout : stderr);
		return argc == 2 ? 0 : 2;
	}
	FILE *f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
	if (f == NULL) {
		fprintf(stderr, "xnn-fleet: cannot open '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct xf_agent_reader *r;
	struct xs_error err;
	size_t rows = 0;
	if (xf_agent_reader_create(count_row, &rows, &r, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return 1;
	}
	char buf[65536];
	size_t n;
	enum xs_status st = XS_OK;
	while (st == XS_OK && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		st = xf_agent_reader_feed(r, buf, n, &err);
	if (st == XS_OK)
		st = xf_agent_reader_finish(r, &err);
	const char *table = xf_agent_reader_meta(r, "table");
	printf("table %s, %zu rows, %zu columns\n", table ? table : "(unnamed)", rows,
	       xf_agent_reader_ncols(r));
	if (st != XS_OK)
		fprintf(stderr, "xnn-fleet: '%s': %s\n", argv[1], err.msg);
	xf_agent_reader_destroy(r);
	if (f != stdin)
		fclose(f);
	return st == XS_OK ? 0 : 1;
}
