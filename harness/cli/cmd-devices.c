/* cmd-devices.c - xnn-fleet devices: what a sweep would reach (this host,
 * the emulated devices, every adb server's devices) and what it cannot, with
 * what to do: offline or unauthorized phones, ABIs without an agent build,
 * phones on USB that no adb server shows, servers that do not answer or
 * have no device. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "devices.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet devices [--adb-server HOST:PORT|none]... [--csv]\n"
	"\n"
	"Lists the devices 'xnn-fleet sweep' would measure: this host, the aarch64\n"
	"and armv7 agents under qemu-user, and the devices of the adb servers\n"
	"(default: the one adb uses, started when not running on loopback), with\n"
	"their transport, ABI, model and work folder. Devices a sweep cannot use\n"
	"are listed too, with why and what to do; so are phones on USB that no adb\n"
	"server shows (libusb: ADB interfaces, class ff/42/01, and fastboot), and an\n"
	"adb server with no device says so, with how to get one.\n"
	"--csv prints serial,transport,abi,model,usable,problem rows instead.\n";

static void csv(const char *v, bool last)
{
	xs_csv_put(stdout, v);
	putchar(last ? '\n' : ',');
}

int cmd_devices(int argc, char **argv)
{
	static const struct option opts[] = {
		{"adb-server", required_argument, NULL, 'a'}, {"csv", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
	struct xf_adb_server servers[16];
	size_t nservers = 0;
	bool no_adb = false, as_csv = false;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (strcmp(optarg, "none") == 0) {
				no_adb = true;
			} else if (nservers == 16 || !xf_adb_server_parse(optarg, &servers[nservers++])) {
				fprintf(stderr, "xnn-fleet devices: --adb-server '%s': give HOST:PORT "
						"(at most 16), or none\n", optarg);
				return 2;
			}
			break;
		case 'c': as_csv = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return xf_usage_error(usage_text);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xnn-fleet devices: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	static struct xf_device found[XF_MAX_DEVICES];
	char notes[8192];
	if (!no_adb && nservers == 0)
		xf_adb_server_default(&servers[nservers++]);
	struct xf_list_opts lo = {.servers = servers, .nservers = no_adb ? 0 : nservers,
				  .usb_verbose = true, .adb_verbose = true};
	size_t n = xf_devices_list(&lo, found, XF_MAX_DEVICES, notes, sizeof(notes));
	if (as_csv) {
		printf("serial,transport,abi,model,usable,problem\n");
		for (size_t i = 0; i < n; i++) {
			csv(found[i].serial, false);
			csv(found[i].transport, false);
			csv(found[i].abi, false);
			csv(found[i].model, false);
			csv(found[i].problem[0] ? "no" : "yes", false);
			csv(found[i].problem, true);
		}
	} else {
		printf("%-20s %-9s %-12s %-20s %s\n", "serial", "transport", "abi", "model",
		       "work folder / problem");
		for (size_t i = 0; i < n; i++) {
			/* what a device says of itself reaches the terminal as text */
			char where[600], serial[520], abi[130], model[520], problem[1200];
			xf_device_describe(&found[i], where, sizeof(where));
			printf("%-20s %-9s %-12s %-20s %s\n",
			       xf_text_printable(found[i].serial, false, serial, sizeof(serial)),
			       found[i].transport,
			       found[i].abi[0] ? xf_text_printable(found[i].abi, false, abi, sizeof(abi))
					       : "?",
			       found[i].model[0] ? xf_text_printable(found[i].model, false, model,
								     sizeof(model)) : "-",
			       xf_text_printable(found[i].problem[0] ? found[i].problem : where, false,
						 problem, sizeof(problem)));
		}
	}
	static char safe[4 * sizeof(notes)];
	if (notes[0])
		fprintf(stderr, "%s", xf_text_printable(notes, true, safe, sizeof(safe)));
	return 0;
}
