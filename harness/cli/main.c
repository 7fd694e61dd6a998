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

int xf_usage_error(const char *text)
{
	const char *end = strstr(text, "\n\n");
	fprintf(stderr, "%.*s\n", (int)(end ? (size_t)(end - text) : strlen(text)), text);
	/* the command: the words after "usage: " before the first option or
	 * argument ("xnn-fleet db simulate") */
	const char *c = strncmp(text, "usage: ", 7) == 0 ? text + 7 : "xnn-fleet ", *w = c;
	while (*w == ' ' || (*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9') ||
	       (*w == '-' && w > c && w[-1] != ' '))
		w++;
	while (w > c && w[-1] == ' ')
		w--;
	fprintf(stderr, "\n'%.*s --help' tells more.\n", (int)(w - c), c);
	return 2;
}

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
		if (strcmp(argv[1], commands[i].name) == 0) {
			/* getopt's messages begin with argv[0]: "xnn-fleet sweep:" */
			static char name[64];
			snprintf(name, sizeof(name), "xnn-fleet %s", commands[i].name);
			argv[1] = name;
			return commands[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "xnn-fleet: '%s' is not a command; see 'xnn-fleet --help'\n", argv[1]);
	return 2;
}
