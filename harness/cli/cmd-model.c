/* cmd-model.c - xnn-fleet supernet extract|eval: a sub-net as an .xnm file,
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

static const char extract_usage[] =
	"usage: xnn-fleet supernet extract --arch ARCH --out FILE.xnm\n"
	"                                  [--supernet FILE] [--calib IDX|none] [--threads N]\n"
	"                                  [--precision f32|int8] [--float-layers LIST]\n"
	"                                  [--calib-method minmax|percentile[:P]]\n"
	"\n"
	"Writes sub-net ARCH (an arch string, 'largest' or 'smallest') as a standalone\n"
	".xnm sub-model: channels sliced, kernels cut, batch norm recalibrated on the\n"
	"first images of --calib (default " XF_TRAIN_IMAGES ")\n"
	"and folded into the convolutions. The same arch gives the same bytes on every\n"
	"machine. '--calib none' keeps the supernet's stored BN statistics (the only\n"
	"choice for the synthetic supernet, which has no images).\n"
	"--precision int8 then quantizes it (" XF_INT8_HELP ").\n"
	"--supernet defaults to " XF_DEFAULT_SUPERNET "; --threads to this host's CPUs.\n";

static const char eval_usage[] =
	"usage: xnn-fleet supernet eval (--arch ARCH | --model FILE.xnm)\n"
	"                               [--supernet FILE] [--calib IDX|none]\n"
	"                               [--images IDX] [--labels IDX] [-n N]\n"
	"                               [--threads N] [--isa NAME] [--batch B] [--logits K]\n"
	"                               [--precision f32|int8] [--float-layers LIST]\n"
	"                               [--calib-method minmax|percentile[:P]]\n"
	"\n"
	"Top-1 of a sub-net on the test images, run on this host's kernels: ARCH is\n"
	"extracted first (as by 'extract'), or FILE.xnm is loaded. Prints the model's\n"
	"identity, planned memory and speed, and ends with the line 'top1 P' (percent).\n"
	"--images/--labels default to the 10,000 test images of " XF_DATA_DIR "\n"
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
			fputs(usage, stderr);
			return 2;
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
