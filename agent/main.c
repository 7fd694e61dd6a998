/* main.c - xnn-agent: the program the harness pushes to each device. It
 * measures there and prints CSV tables (agent/xa.h) on stdout; progress and
 * errors go to stderr. One function per command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xa-cmd.h"
#include "xr.h"

static const char usage_text[] =
	"usage: xnn-agent COMMAND [ARGS]\n"
	"\n"
	"The on-device side of xnn-fleet. Output: CSV tables on stdout, '#key=value'\n"
	"metadata lines, and '#end rows=N' last; progress on stderr.\n"
	"\n"
	"  probe [--root DIR]   the device's identity and state as key,value rows:\n"
	"                       ABI and CPU features, cores and clusters, RAM, OS,\n"
	"                       SoC, temperatures, governors and frequencies,\n"
	"                       battery, whether it is an emulator ('unknown' when\n"
	"                       unreadable), and probe_score (the runtime's: GFLOP/s of\n"
	"                       a fixed layer), cores.big (the fastest cluster: where\n"
	"                       bench and kernels run by default). --root reads /proc,\n"
	"                       /sys and /etc under DIR instead of / (for tests; no\n"
	"                       score or cores.big then)\n"
	"  bench --supernet F --subnets FILE [...]\n"
	"                       latency, memory and top-1 of each sub-net of FILE\n"
	"                       ('xnn-agent bench --help' tells more)\n"
	"  kernels --supernet F the latency of every piece of the space's sub-nets\n"
	"                       (stem, each block configuration, head) for prediction\n"
	"  sha256 FILE...       size and SHA-256 of each file (rows path,size,sha256;\n"
	"                       size -1 and sha256 'missing' when it cannot be read):\n"
	"                       how the harness checks what it pushed\n"
	"  version              the agent's version\n";

static void emit_row(void *ctx, const char *key, const char *value)
{
	struct xa_csv *c = ctx;
	xa_csv_field(c, key);
	xa_csv_field(c, value);
	xa_csv_end_row(c);
}

static int cmd_probe(int argc, char **argv)
{
	const char *root = "/";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			root = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			fprintf(stderr, "xnn-agent probe: unexpected '%s'; see 'xnn-agent --help'\n",
				argv[i]);
			return 2;
		}
	}
	struct xa_csv c;
	static const char *const cols[] = {"key", "value"};
	xa_csv_init(&c, stdout);
	xa_csv_meta(&c, "table", "probe");
	xa_csv_meta(&c, "agent_version", XA_VERSION);
	xa_csv_header(&c, cols, 2);
	xa_probe(root, emit_row, &c);
	if (strcmp(root, "/") == 0) {  /* the runtime's score: its tier thresholds come from these */
		char v[32];
		snprintf(v, sizeof(v), "%.2f", xr_probe_score());
		emit_row(&c, "probe_score", v);
		/* bench's and kernels' default core set, as they resolve it: the
		 * harness keys their rows with it before they run */
		int cpus[XA_MAX_CPUS];
		size_t n = 0;
		char why[128], list[1024];
		if (xa_cores_parse("big", cpus, &n, why, sizeof(why))) {
			xa_cores_format(cpus, n, list, sizeof(list));
			emit_row(&c, "cores.big", list);
		}
	}
	xa_csv_finish(&c);
	return 0;
}

static int cmd_sha256(int argc, char **argv)
{
	struct xa_csv c;
	static const char *const cols[] = {"path", "size", "sha256"};
	xa_csv_init(&c, stdout);
	xa_csv_meta(&c, "table", "sha256");
	xa_csv_meta(&c, "agent_version", XA_VERSION);
	xa_csv_header(&c, cols, 3);
	static unsigned char buf[1 << 16];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		struct xs_sha256 h;
		xs_sha256_init(&h);
		long long size = 0;
		size_t r;
		while (f && (r = fread(buf, 1, sizeof(buf), f)) > 0) {
			xs_sha256_update(&h, buf, r);
			size += (long long)r;
		}
		bool ok = f && !ferror(f);
		if (f)
			fclose(f);
		uint8_t sum[32];
		char hex[65], sz[32];
		xs_sha256_final(&h, sum);
		xs_sha256_hex(sum, hex);
		snprintf(sz, sizeof(sz), "%lld", ok ? size : -1);
		xa_csv_field(&c, argv[i]);
		xa_csv_field(&c, sz);
		xa_csv_field(&c, ok ? hex : "missing");
		xa_csv_end_row(&c);
	}
	xa_csv_finish(&c);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("xnn-agent %s\n", XA_VERSION);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"probe", cmd_probe},
	{"bench", xa_cmd_bench},
	{"kernels", xa_cmd_kernels},
	{"sha256", cmd_sha256},
	{"version", cmd_version},
};

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "xnn-agent: '%s' is not a command; see 'xnn-agent --help'\n", argv[1]);
	return 2;
}
