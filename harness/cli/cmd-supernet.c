/* cmd-supernet.c - xnn-fleet supernet info|sample|synth|extract|eval: what a
 * supernet file holds and which sub-nets it has; a sub-net as an .xnm file,
 * and its top-1 on the test images, run on this host's kernels. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "data.h"
#include "util.h"
#include "xs.h"

static const char usage_text[] =
	"usage: xnn-fleet supernet info [--supernet FILE] [--arch ARCH]... [--space]\n"
	"       xnn-fleet supernet sample [--supernet FILE] [-n N] [--seed S]\n"
	"                                 [--largest] [--smallest]\n"
	"       xnn-fleet supernet synth --out FILE [--seed S]\n"
	"       xnn-fleet supernet extract --arch ARCH --out FILE.xnm [...]\n"
	"       xnn-fleet supernet eval (--arch ARCH | --model FILE.xnm) [...]\n"
	"\n"
	"info    the space, the file's sha256 and size, how many sub-nets there are,\n"
	"        and the largest and smallest with their MACs and parameters; with\n"
	"        --arch, only CSV arch,macs,params for each ARCH given (checked); with\n"
	"        --space, only the space's key=value text (what 'xnn-agent kernels\n"
	"        --space' reads, and what the sweep gives devices for their kernel table)\n"
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

/* ---- info, sample, synth ------------------------------------------------------------ */

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
	xs_csv_put(stdout, text);  /* an arch with a depth above 1 holds commas */
	printf(",%" PRIu64 ",%" PRIu64 "\n", xs_arch_macs(sp, a), xs_arch_params(sp, a));
}

/* The subcommands' names for getopt's messages. */
static char extract_name[] = "xnn-fleet supernet extract", eval_name[] = "xnn-fleet supernet eval";

int cmd_supernet(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "extract") == 0 || strcmp(sub, "eval") == 0) {
		const bool x = strcmp(sub, "extract") == 0;
		argv[1] = x ? extract_name : eval_name;
		return (x ? cmd_supernet_extract : cmd_supernet_eval)(argc - 1, argv + 1);
	}
	if (strcmp(sub, "info") != 0 && strcmp(sub, "sample") != 0 && strcmp(sub, "synth") != 0) {
		fprintf(stderr, "xnn-fleet supernet: '%s' is not a subcommand (info, sample, synth, extract, eval)\n", sub);
		return 2;
	}
	const char *path = XF_DEFAULT_SUPERNET, *out = NULL;
	long n = 10;
	unsigned long long seed = 1;
	bool largest = false, smallest = false, space_only = false;
	const char *archs[64];
	int narchs = 0;
	static const struct option opts[] = {
		{"supernet", required_argument, NULL, 'f'}, {"seed", required_argument, NULL, 's'},
		{"largest", no_argument, NULL, 'L'},        {"smallest", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},           {"arch", required_argument, NULL, 'a'},
		{"out", required_argument, NULL, 'o'},       {"space", no_argument, NULL, 'P'},
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
		case 'P':
			space_only = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return xf_usage_error(usage_text);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xnn-fleet supernet: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	if (space_only && (narchs > 0 || strcmp(sub, "info") != 0)) {
		fprintf(stderr, "xnn-fleet supernet: --space goes with 'info' alone (no --arch)\n");
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
	if (strcmp(sub, "info") == 0 && space_only) {
		char text[8192];
		size_t tl = xs_space_print(&sn->space, text, sizeof(text));
		rc = tl < sizeof(text) && fwrite(text, 1, tl, stdout) == tl && fflush(stdout) == 0
			     ? 0 : 1;
		if (rc)
			fprintf(stderr, "xnn-fleet supernet info: cannot write the space of '%s'%s\n",
				path, tl < sizeof(text) ? " to stdout" : ": its text is too long");
	} else if (strcmp(sub, "info") == 0 && narchs > 0) {
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

/* ---- extract, eval ------------------------------------------------------------------- */

static const char extract_usage[] =
	"usage: xnn-fleet supernet extract --arch ARCH --out FILE.xnm\n"
	"                                  [--supernet FILE] [--calib IDX|none]\n"
	"                                  [--threads N]\n"
	"                                  [--precision f32|int8] [--float-layers LIST]\n"
	"                                  [--calib-method minmax|percentile[:P]]\n"
	"\n"
	"Writes sub-net ARCH (an arch string, 'largest' or 'smallest') as a standalone\n"
	".xnm sub-model: channels sliced, kernels cut, batch norm recalibrated on the\n"
	"first images of --calib (default\n" XF_TRAIN_IMAGES ")\n"
	"and folded into the convolutions. The same arch gives the same bytes on every\n"
	"machine. '--calib none' keeps the supernet's stored BN statistics (the only\n"
	"choice for the synthetic supernet, which has no images).\n"
	"--precision int8 then quantizes it (" XF_INT8_HELP ").\n"
	"--supernet defaults to " XF_DEFAULT_SUPERNET "; --threads to this host's CPUs.\n";

static const char eval_usage[] =
	"usage: xnn-fleet supernet eval (--arch ARCH | --model FILE.xnm)\n"
	"                               [--supernet FILE] [--calib IDX|none]\n"
	"                               [--images IDX] [--labels IDX] [-n N]\n"
	"                               [--threads N] [--isa NAME] [--batch B]\n"
	"                               [--logits K]\n"
	"                               [--precision f32|int8] [--float-layers LIST]\n"
	"                               [--calib-method minmax|percentile[:P]]\n"
	"\n"
	"Top-1 of a sub-net on the test images, run on this host's kernels: ARCH is\n"
	"extracted first (as by 'extract'), or FILE.xnm is loaded. Prints the model's\n"
	"identity, planned memory and speed, and ends with the line 'top1 P' (percent).\n"
	"--images/--labels default to the 10,000 test images of\n" XF_DATA_DIR "\n"
	"(gzip'd or plain IDX); -n uses the first N. --logits K prints the logits of the\n"
	"first K images as CSV rows 'logits,IMAGE,V0,V1,...'. --isa forces the kernels\n"
	"(scalar, avx2, avx512, neon); --batch images per run (default 100).\n"
	"--precision int8 quantizes an extracted ARCH (" XF_INT8_HELP ").\n";

struct opts {
	const char *supernet, *arch, *model, *out, *calib, *images, *labels, *isa;
	long n, threads, batch, logits;
	enum xs_precision precision;
	struct xs_quant_options quant;
};

static bool parse_long(const char *name, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "xnn-fleet supernet: %s '%s': give %ld to %ld\n", name, s, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

/* 0 ok, 1 help printed, 2 usage error. */
static int parse(int argc, char **argv, const char *usage, struct opts *o)
{
	static const struct option opts[] = {
		{"supernet", required_argument, NULL, 'f'}, {"arch", required_argument, NULL, 'a'},
		{"model", required_argument, NULL, 'm'},    {"out", required_argument, NULL, 'o'},
		{"calib", required_argument, NULL, 'c'},    {"images", required_argument, NULL, 'i'},
		{"labels", required_argument, NULL, 'l'},   {"isa", required_argument, NULL, 'I'},
		{"threads", required_argument, NULL, 't'},  {"batch", required_argument, NULL, 'b'},
		{"logits", required_argument, NULL, 'L'},   {"help", no_argument, NULL, 'h'},
		{"precision", required_argument, NULL, 'P'},
		{"float-layers", required_argument, NULL, 'F'},
		{"calib-method", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0}};
	*o = (struct opts){XF_DEFAULT_SUPERNET, NULL, NULL, NULL, NULL, XF_TEST_IMAGES,
			   XF_TEST_LABELS, NULL, -1, xf_cpus(), 100, 0, XS_PRECISION_F32, {0}};
	xs_quant_options_default(&o->quant);
	struct xs_error err;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (!xs_precision_parse(optarg, &o->precision)) {
				fprintf(stderr, "xnn-fleet supernet: --precision '%s': use f32 or "
					"int8\n", optarg);
				return 2;
			}
			break;
		case 'F':
			if (xs_quant_layers_parse(optarg, &o->quant.float_layers, &err) != XS_OK) {
				fprintf(stderr, "xnn-fleet supernet: --%s\n", err.msg);
				return 2;
			}
			break;
		case 'C':
			if (xs_quant_calib_parse(optarg, &o->quant, &err) != XS_OK) {
				fprintf(stderr, "xnn-fleet supernet: --%s\n", err.msg);
				return 2;
			}
			break;
		case 'f': o->supernet = optarg; break;
		case 'a': o->arch = optarg; break;
		case 'm': o->model = optarg; break;
		case 'o': o->out = optarg; break;
		case 'c': o->calib = optarg; break;
		case 'i': o->images = optarg; break;
		case 'l': o->labels = optarg; break;
		case 'I': o->isa = optarg; break;
		case 'n':
			if (!parse_long("-n", optarg, 1, 100000000, &o->n))
				return 2;
			break;
		case 't':
			if (!parse_long("--threads", optarg, 1, 1024, &o->threads))
				return 2;
			break;
		case 'b':
			if (!parse_long("--batch", optarg, 1, 100000, &o->batch))
				return 2;
			break;
		case 'L':
			if (!parse_long("--logits", optarg, 0, 100000000, &o->logits))
				return 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return xf_usage_error(usage);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xnn-fleet supernet: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* Parses largest, smallest or an arch string. */
static bool arch_of(const struct xs_space *sp, const char *s, struct xs_arch *a)
{
	struct xs_error err;
	if (strcmp(s, "largest") == 0)
		xs_arch_largest(sp, a);
	else if (strcmp(s, "smallest") == 0)
		xs_arch_smallest(sp, a);
	else if (xs_arch_parse(sp, s, a, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return false;
	}
	return true;
}

/* Loads the supernet and extracts o->arch into *m; 0 or an exit status. */
static int extract(const struct opts *o, struct xk_threadpool *tp, struct xs_model **m)
{
	struct xs_supernet *sn;
	struct xs_error err;
	struct xs_idx *calib = NULL;
	struct xs_arch a;
	int rc = 1;
	if (xs_supernet_load(o->supernet, &sn, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return 1;
	}
	if (!arch_of(&sn->space, o->arch, &a))
		goto out_free;
	const struct xs_space *sp = &sn->space;
	const char *cpath = o->calib;
	if (cpath == NULL)
		cpath = sp->in_c == 1 && sp->in_h == 28 && sp->in_w == 28 ? XF_TRAIN_IMAGES : "none";
	if (strcmp(cpath, "none") != 0 && xf_idx_load(cpath, 3, &calib, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		goto out_free;
	}
	double t0 = xf_now();
	fprintf(stderr, "extracting%s...\n", calib ? " (BN recalibration)" : "");
	if (xs_model_extract(sn, &a, calib, tp, m, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		goto out_free;
	}
	printf("extract     %.2f s (%s)\n", xf_now() - t0,
	       calib ? "BN recalibrated on the calibration images" : "stored BN statistics");
	if (o->precision == XS_PRECISION_INT8) {
		struct xs_model *q;
		if (calib == NULL) {
			fprintf(stderr, "xnn-fleet: --precision int8 needs calibration images: "
				"give --calib IDX\n");
			goto out_free;
		}
		t0 = xf_now();
		if (xs_model_quantize(*m, calib, &o->quant, sp->recal_images, tp, &q, &err) !=
		    XS_OK) {
			fprintf(stderr, "xnn-fleet: %s\n", err.msg);
			goto out_free;
		}
		xs_model_destroy(*m);
		*m = q;
		printf("quantize    %.2f s (int8, calibrated on %u images)\n", xf_now() - t0,
		       sp->recal_images);
	}
	rc = 0;
out_free:
	xs_idx_destroy(calib);
	xs_supernet_destroy(sn);
	return rc;
}

static void describe(const struct xs_model *m, const char *file)
{
	uint8_t sum[32];
	char hex[65];
	struct xs_error err;
	printf("arch        %s\n", m->arch);
	if (xs_model_sha256(m, sum, &err) == XS_OK) {
		xs_sha256_hex(sum, hex);
		printf("sha256      %s%s%s\n", hex, file ? "  " : "", file ? file : "");
	}
	printf("precision   %s\nmacs        %" PRIu64 "\nweights     %zu floats\n",
	       xs_precision_name(m->precision), xs_model_macs(m), m->nweights);
	if (m->nqbytes)
		printf("int8        %zu bytes\n", m->nqbytes);
}

static struct xk_threadpool *pool(long threads)
{
	struct xk_threadpool *tp = NULL;
	struct xk_error xe;
	if (threads > 1 && xk_threadpool_create((size_t)threads, NULL, 0, false, &tp, &xe) != XK_OK)
		fprintf(stderr, "xnn-fleet: %s; running on one thread\n", xe.msg);
	return tp;
}

int cmd_supernet_extract(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, extract_usage, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (o.arch == NULL || o.out == NULL) {
		fprintf(stderr, "xnn-fleet supernet extract: give --arch ARCH and --out FILE.xnm\n");
		return 2;
	}
	struct xk_threadpool *tp = pool(o.threads);
	struct xs_model *m = NULL;
	struct xs_error err;
	rc = extract(&o, tp, &m);
	if (rc == 0 && xs_model_write(m, o.out, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		rc = 1;
	}
	if (rc == 0)
		describe(m, o.out);
	xs_model_destroy(m);
	xk_threadpool_destroy(tp);
	return rc;
}

int cmd_supernet_eval(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, eval_usage, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	if ((o.arch == NULL) == (o.model == NULL)) {
		fprintf(stderr, "xnn-fleet supernet eval: give --arch ARCH or --model FILE.xnm\n");
		return 2;
	}
	enum xk_isa isa = XK_ISA_DEFAULT;
	if (o.isa && (!xk_isa_parse(o.isa, &isa) || !xk_isa_supported(isa))) {
		fprintf(stderr, "xnn-fleet: --isa '%s': not %s (scalar, avx2, avx512, neon)\n",
			o.isa, xk_isa_parse(o.isa, &isa) ? "supported on this CPU" : "a known name");
		return 2;
	}
	struct xk_threadpool *tp = pool(o.threads);
	struct xs_model *m = NULL;
	struct xs_idx *images = NULL, *labels = NULL;
	struct xs_exec *e = NULL;
	struct xs_error err;
	float *logits = NULL;
	rc = 1;
	if (xf_idx_load(o.images, 3, &images, &err) != XS_OK ||
	    xf_idx_load(o.labels, 1, &labels, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		goto out_free;
	}
	if (o.model) {
		if (xs_model_load(o.model, &m, NULL, &err) != XS_OK) {
			fprintf(stderr, "xnn-fleet: %s\n", err.msg);
			goto out_free;
		}
	} else if (extract(&o, tp, &m) != 0) {
		goto out_free;
	}
	describe(m, o.model);
	size_t count = o.n < 0 || (size_t)o.n > images->count ? images->count : (size_t)o.n;
	if (xs_exec_create(m, isa, (size_t)o.batch, &e, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		goto out_free;
	}
	printf("kernels     %s, %zu thread%s, batch %ld\n", xk_isa_name(xs_exec_isa(e)),
	       tp ? xk_threadpool_threads(tp) : 1, tp ? "s" : "", o.batch);
	printf("memory      %zu bytes planned: arena %zu + weights %zu\n",
	       xs_exec_arena_bytes(e) + xs_exec_weight_bytes(e), xs_exec_arena_bytes(e),
	       xs_exec_weight_bytes(e));
	logits = malloc(count * m->classes * sizeof(float));
	if (logits == NULL) {
		fprintf(stderr, "xnn-fleet: out of memory\n");
		goto out_free;
	}
	fprintf(stderr, "evaluating %zu images...\n", count);
	double t0 = xf_now();
	size_t correct;
	if (xs_exec_eval(e, m, images, labels, count, tp, &correct, logits, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		goto out_free;
	}
	double dt = xf_now() - t0;
	for (size_t i = 0; i < count && i < (size_t)o.logits; i++) {
		printf("logits,%zu", i);
		for (uint32_t k = 0; k < m->classes; k++)
			printf(",%.9g", (double)logits[i * m->classes + k]);
		printf("\n");
	}
	printf("images      %zu in %.2f s (%.3f ms per image)\n", count, dt,
	       count ? 1e3 * dt / (double)count : 0.0);
	printf("correct     %zu\ntop1 %.2f\n", correct,
	       count ? 100.0 * (double)correct / (double)count : 0.0);
	rc = 0;
out_free:
	free(logits);
	xs_exec_destroy(e);
	xs_idx_destroy(images);
	xs_idx_destroy(labels);
	xs_model_destroy(m);
	xk_threadpool_destroy(tp);
	return rc;
}
