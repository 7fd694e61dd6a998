/* main.c - xnn-fleet: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "data.h"
#include "util.h"

static const struct {
	const char *name;
	xf_cmd_fn fn;
	const char *help;
} commands[] = {
	{"supernet", cmd_supernet, "a supernet and its sub-nets: info, sample, synth, extract, eval"},
	{"devices", cmd_devices, "the devices a sweep would reach, and the ones it cannot (why)"},
	{"sweep", cmd_sweep, "measure the sub-nets on every reachable device into the DB"},
	{"predict", cmd_predict, "latency per device and sub-net from its kernel table; --eval"},
	{"select", cmd_select, "device tiers and a sub-net per tier under budgets: the manifest"},
	{"manifest", cmd_manifest, "check a manifest's model files (sizes and sha256)"},
	{"report", cmd_report, "HTML pages with gnuplot charts of the device DB"},
	{"db", cmd_db, "the device DB: info, export, merge, simulate"},
	{"agent-check", cmd_agent_check, "check an xnn-agent output stream as the sweep reads it"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: xnn-fleet COMMAND [ARGS]\n\n"
		   "Measures a weight-sharing supernet's sub-nets on a fleet of devices and\n"
		   "picks one per device tier. Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'xnn-fleet COMMAND --help' tells more.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "xnn-fleet: '%s' is not a command; see 'xnn-fleet --help'\n", argv[1]);
	return 2;
}
