/* cmd-supernet.c - xnn-fleet supernet info|sample: what a supernet file holds
 * and which sub-nets it has. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "data.h"
#include "util.h"
#include "xs.h"

static const char usage_text[] =
	"usage: xnn-fleet supernet info [--supernet FILE] [--arch ARCH]...\n"
	"       xnn-fleet supernet sample [--supernet FILE] [-n N] [--seed S]\n"
	"                                 [--largest] [--smallest]\n"
	"       xnn-fleet supernet synth --out FILE [--seed S]\n"
	"       xnn-fleet supernet extract --arch ARCH --out FILE.xnm [...]\n"
	"       xnn-fleet supernet eval (--arch ARCH | --model FILE.xnm) [...]\n"
	"\n"
	"info    the space, the file's sha256 and size, how many sub-nets there are,\n"
	"        and the largest and smallest with their MACs and parameters; with\n"
	"        --arch, only CSV arch,macs,params for each ARCH given (checked)\n"
	"sample  N sub-nets (default 10) drawn with seed S (default 1), each choice\n"
	"        uniform as in training: CSV arch,macs,params; --largest and\n"
	"        --smallest put those first\n"
	"synth   writes the synthetic ImageNet-scale supernet (Once-for-All MobileNetV3\n"
	"        like: 224 input, resolutions 160-224, 5 stages of depth 2-4, expand\n"
	"        3/4/6, kernel 3/5/7) with weights drawn from seed S (default 1), for\n"
	"        latency-only sweeps; its accuracy is meaningless. Not committed: make\n"
	"        it when needed (about 15 MB)\n"
	"extract writes a sub-net as a standalone .xnm sub-model (BN recalibrated\n"
	"        and folded); eval runs one on the test images and ends with 'top1 P';\n"
	"        'xnn-fleet supernet extract --help' and 'eval --help' tell more\n"
	"\n"
	"--supernet defaults to " XF_DEFAULT_SUPERNET ".\n";

static const char *act_str(enum xk_act a) { return xk_act_name(a); }

static int info(const struct xs_supernet *sn, const char *path)
{
	const struct xs_space *sp = &sn->space;
	char hex[65], text[XS_ARCH_MAX];
	xs_sha256_hex(sn->sha256, hex);
	printf("file        %s (%zu bytes)\nsha256      %s\nname        %s\n", path,
	       sn->size, hex, sp->name);
	printf("input       %ux%ux%u, x = (pixel / 255 - %g) / %g\n", sp->in_c, sp->in_h,
	       sp->in_w, (double)sp->mean, (double)sp->std);
	printf("resolutions");
	for (uint32_t i = 0; i < sp->nres; i++)
		printf(" %u", sp->res[i]);
	printf("\nstem        conv %ux%u s%u -> %u, %s\n", sp->stem_k, sp->stem_k, sp->stem_s,
	       sp->stem_out, act_str(sp->stem_act));
	for (uint32_t i = 0; i < sp->nstages; i++)
		printf("stage %u     %u channels, stride %u, %s\n", i + 1, sp->stage[i].out,
		       sp->stage[i].stride, act_str(sp->stage[i].act));
	printf("depths     ");
	for (uint32_t i = 0; i < sp->ndepths; i++)
		printf(" %u", sp->depths[i]);
	printf("\nexpands    ");
	for (uint32_t i = 0; i < sp->nexpands; i++)
		printf(" %u", sp->expands[i]);
	printf("\nkernels    ");
	for (uint32_t i = 0; i < sp->nkernels; i++)
		printf(" %u", sp->kernels[i]);
	printf("%s\nhead        %u, %s; %u classes\n", sp->kernel_transform ? " (learned transforms)" : "",
	       sp->head_out, act_str(sp->head_act), sp->classes);
	printf("tensors     %zu\nsub-nets    %.4g\n", sn->ntensors, xs_arch_count(sp));
	struct xs_arch a;
	xs_arch_largest(sp, &a);
	xs_arch_print(sp, &a, text, sizeof(text));
	printf("largest     %s (%" PRIu64 " MACs, %" PRIu64 " params)\n", text, xs_arch_macs(sp, &a),
	       xs_arch_params(sp, &a));
	xs_arch_smallest(sp, &a);
	xs_arch_print(sp, &a, text, sizeof(text));
	printf("smallest    %s (%" PRIu64 " MACs, %" PRIu64 " params)\n", text, xs_arch_macs(sp, &a),
	       xs_arch_params(sp, &a));
	return 0;
}

static void row(const struct xs_space *sp, const struct xs_arch *a)
{
	char text[XS_ARCH_MAX];
	xs_arch_print(sp, a, text, sizeof(text));
	/* CSV: an arch with a depth above 1 holds commas, so it is quoted */
	const char *q = strchr(text, ',') ? "\"" : "";
	printf("%s%s%s,%" PRIu64 ",%" PRIu64 "\n", q, text, q, xs_arch_macs(sp, a),
	       xs_arch_params(sp, a));
}

int cmd_supernet(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "extract") == 0)
		return cmd_supernet_extract(argc - 1, argv + 1);
	if (strcmp(sub, "eval") == 0)
		return cmd_supernet_eval(argc - 1, argv + 1);
	if (strcmp(sub, "info") != 0 && strcmp(sub, "sample") != 0 && strcmp(sub, "synth") != 0) {
		fprintf(stderr, "xnn-fleet supernet: '%s' is not a subcommand (info, sample, synth, extract, eval)\n", sub);
		return 2;
	}
	const char *path = XF_DEFAULT_SUPERNET, *out = NULL;
	long n = 10;
	unsigned long long seed = 1;
	bool largest = false, smallest = false;
	const char *archs[64];
	int narchs = 0;
	static const struct option opts[] = {
		{"supernet", required_argument, NULL, 'f'}, {"seed", required_argument, NULL, 's'},
		{"largest", no_argument, NULL, 'L'},        {"smallest", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},           {"arch", required_argument, NULL, 'a'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0}};
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 10000000) {
				fprintf(stderr, "xnn-fleet supernet: -n '%s': give 0 to 10000000\n", optarg);
				return 2;
			}
			break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (*end || optarg[0] == '-') {
				fprintf(stderr, "xnn-fleet supernet: --seed '%s': give a number\n", optarg);
				return 2;
			}
			break;
		case 'L':
			largest = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'a':
			if (narchs == (int)(sizeof(archs) / sizeof(archs[0]))) {
				fprintf(stderr, "xnn-fleet supernet: at most 64 --arch\n");
				return 2;
			}
			archs[narchs++] = optarg;
			break;
		case 'S':
			smallest = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xnn-fleet supernet: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	struct xs_supernet *sn;
	struct xs_error err;
	if (strcmp(sub, "synth") == 0) {
		if (out == NULL) {
			fprintf(stderr, "xnn-fleet supernet synth: give --out FILE\n");
			return 2;
		}
		struct xs_space sp;
		uint64_t state = seed;
		xs_space_synthetic(&sp);
		if (xs_supernet_write(out, &sp, xs_synthetic_fill, &state, &err) != XS_OK) {
			fprintf(stderr, "xnn-fleet: %s\n", err.msg);
			return 1;
		}
		fprintf(stderr, "wrote %s (%s, seed %llu)\n", out, sp.name, seed);
		return 0;
	}
	if (xs_supernet_load(path, &sn, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return 1;
	}
	int rc = 0;
	if (strcmp(sub, "info") == 0 && narchs > 0) {
		printf("arch,macs,params\n");
		for (int i = 0; i < narchs && rc == 0; i++) {
			struct xs_arch a;
			if (xs_arch_parse(&sn->space, archs[i], &a, &err) != XS_OK) {
				fprintf(stderr, "xnn-fleet: %s\n", err.msg);
				rc = 1;
			} else {
				row(&sn->space, &a);
			}
		}
	} else if (strcmp(sub, "info") == 0) {
		rc = info(sn, path);
	} else {
		struct xs_arch a;
		uint64_t state = seed;
		printf("arch,macs,params\n");
		if (largest) {
			xs_arch_largest(&sn->space, &a);
			row(&sn->space, &a);
		}
		if (smallest) {
			xs_arch_smallest(&sn->space, &a);
			row(&sn->space, &a);
		}
		for (long i = 0; i < n; i++) {
			xs_arch_random(&sn->space, &state, &a);
			row(&sn->space, &a);
		}
	}
	xs_supernet_destroy(sn);
	return rc;
}
