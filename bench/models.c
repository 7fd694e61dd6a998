/* models.c - end-to-end latency of sub-nets on our executor, side by side with
 * Debian's XNNPACK (the same folded network through its subgraph API) and
 * PyTorch (Debian's torch, the same weights, torch.jit frozen and optimised
 * for inference), in one run, as ratios.
 *
 * Sub-nets: the Fashion-MNIST supernet's largest, a middle and the smallest
 * (BN recalibrated as shipped), and the synthetic ImageNet-scale space's
 * largest and smallest (224 input; stored BN statistics). Batch 1, 1 and 2
 * threads. Ours and XNNPACK are sampled in turn (timing.h); PyTorch runs in
 * its own process (bench/torch_models.py) on the same .xnm files. Each engine's
 * logits are compared with ours: a ratio of two different computations would
 * mean nothing.
 *
 * Then int8 against f32 on ours, 1 thread: the three Fashion-MNIST sub-nets
 * and the ten golden ones (models/fmnist-ofa.golden.json), each quantized with
 * the default rule on the calibration images, the two timed in turn. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthreadpool.h>
#include <xnnpack.h>

#include "timing.h"
#include "xs.h"

#define MAX_MODELS 8

static const char usage_text[] =
	"usage: models [--quick] [--no-torch] [--data DIR] [--only TEXT]\n"
	"\n"
	"Times sub-nets end to end (batch 1, 1 and 2 threads) on libxs's executor,\n"
	"Debian's XNNPACK (subgraph API, the same folded weights) and PyTorch\n"
	"(torch.jit frozen + optimize_for_inference, run by bench/torch_models.py).\n"
	"Ratios are their time / ours: above 1 means ours is faster. The last line:\n"
	"  geomean vs xnnpack (1 thread): R\n"
	"--data holds the plain IDX files make test writes (default build/data);\n"
	"--quick samples for less time; --only times the sub-nets whose name has TEXT.\n";

struct model {
	const char *name;
	struct xs_model *m;
	float *input;        /* one image, normalized */
	char path[512];      /* the .xnm for torch */
};

/* ---- XNNPACK: the graph through its subgraph API --------------------------- */

struct xnn {
	xnn_runtime_t rt;
	pthreadpool_t tp;
	float *in, *out;
	size_t in_bytes;
	float *w;            /* filters in XNNPACK's layouts (owned) */
};

static void xnn_destroy(struct xnn *x)
{
	if (x->rt)
		xnn_delete_runtime(x->rt);
	if (x->tp)
		pthreadpool_destroy(x->tp);
	free(x->in);
	free(x->out);
	free(x->w);
	memset(x, 0, sizeof(*x));
}

static bool xnn_build(const struct xs_model *m, size_t threads, struct xnn *x)
{
	memset(x, 0, sizeof(*x));
	xnn_subgraph_t g = NULL;
	uint32_t *id = calloc(m->nvalues, sizeof(*id));
	x->w = malloc((m->nweights + 16) * sizeof(float));
	if (id == NULL || x->w == NULL || xnn_create_subgraph(2, 0, &g) != xnn_status_success)
		goto fail;
	for (uint32_t v = 0; v < m->nvalues; v++) {
		const struct xs_value *s = &m->values[v];
		size_t dims[4] = {1, s->h, s->w, s->c};
		uint32_t ext = v == 0 ? 0 : v == m->nvalues - 1 ? 1 : XNN_INVALID_VALUE_ID;
		uint32_t flags = v == 0 ? XNN_VALUE_FLAG_EXTERNAL_INPUT
			       : v == m->nvalues - 1 ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : 0;
		if (xnn_define_tensor_value(g, xnn_datatype_fp32, 4, dims, NULL, ext, flags,
					    &id[v]) != xnn_status_success)
			goto fail;
	}
	for (uint32_t i = 0; i < m->nnodes; i++) {
		const struct xs_node *n = &m->nodes[i];
		const struct xs_value *a = &m->values[n->in[0]], *o = &m->values[n->out];
		const float *w = m->weights + n->w, *b = m->weights + n->b;
		float lo = -INFINITY, hi = INFINITY;
		if (n->act == XK_ACT_RELU)
			lo = 0.0f;
		else if (n->act == XK_ACT_RELU6)
			lo = 0.0f, hi = 6.0f;
		/* h-swish is a node of its own after the operator */
		uint32_t out = id[n->out];
		if (n->act == XK_ACT_HSWISH) {
			size_t dims[4] = {1, o->h, o->w, o->c};
			if (xnn_define_tensor_value(g, xnn_datatype_fp32, 4, dims, NULL,
						    XNN_INVALID_VALUE_ID, 0, &out) != xnn_status_success)
				goto fail;
		}
		uint32_t wid = XNN_INVALID_VALUE_ID, bid = XNN_INVALID_VALUE_ID;
		float *wx = x->w + n->w;  /* reordered copy at the same offset */
		enum xnn_status st = xnn_status_success;
		const uint32_t p = (n->k - 1) / 2;
		switch (n->op) {
		case XS_OP_CONV:  /* OIHW -> OHWI */
			for (uint32_t co = 0; co < o->c; co++)
				for (uint32_t ky = 0; ky < n->k; ky++)
					for (uint32_t kx = 0; kx < n->k; kx++)
						for (uint32_t ci = 0; ci < a->c; ci++)
							wx[((co * n->k + ky) * n->k + kx) * a->c + ci] =
								w[((co * a->c + ci) * n->k + ky) * n->k + kx];
			break;
		case XS_OP_DW:  /* [C][k][k] -> [1][k][k][C] */
			for (uint32_t c = 0; c < o->c; c++)
				for (uint32_t k = 0; k < n->k * n->k; k++)
					wx[k * o->c + c] = w[c * n->k * n->k + k];
			break;
		case XS_OP_PW:
		case XS_OP_FC:
			memcpy(wx, w, (size_t)o->c * a->c * sizeof(float));
			break;
		default:
			break;
		}
		if (n->op == XS_OP_CONV || n->op == XS_OP_DW || n->op == XS_OP_PW ||
		    n->op == XS_OP_FC) {
			size_t wd[4], bd[1] = {o->c}, nd = 4;
			if (n->op == XS_OP_CONV)
				wd[0] = o->c, wd[1] = wd[2] = n->k, wd[3] = a->c;
			else if (n->op == XS_OP_DW)
				wd[0] = 1, wd[1] = wd[2] = n->k, wd[3] = o->c;
			else if (n->op == XS_OP_PW)
				wd[0] = o->c, wd[1] = wd[2] = 1, wd[3] = a->c;
			else
				wd[0] = o->c, wd[1] = a->c, nd = 2;
			if (xnn_define_tensor_value(g, xnn_datatype_fp32, nd, wd, wx,
						    XNN_INVALID_VALUE_ID, 0, &wid) != xnn_status_success ||
			    xnn_define_tensor_value(g, xnn_datatype_fp32, 1, bd, b,
						    XNN_INVALID_VALUE_ID, 0, &bid) != xnn_status_success)
				goto fail;
		}
		switch (n->op) {
		case XS_OP_RESIZE:
			st = xnn_define_static_resize_bilinear_2d(g, o->h, o->w, id[n->in[0]], out, 0);
			break;
		case XS_OP_CONV:
			st = xnn_define_convolution_2d(g, p, p, p, p, n->k, n->k, n->s, n->s, 1, 1, 1,
						       a->c, o->c, lo, hi, id[n->in[0]], wid, bid,
						       out, 0);
			break;
		case XS_OP_PW:
			st = xnn_define_convolution_2d(g, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, a->c,
						       o->c, lo, hi, id[n->in[0]], wid, bid, out, 0);
			break;
		case XS_OP_DW:
			st = xnn_define_depthwise_convolution_2d(g, p, p, p, p, n->k, n->k, n->s,
								 n->s, 1, 1, 1, a->c, lo, hi,
								 id[n->in[0]], wid, bid, out, 0);
			break;
		case XS_OP_ADD:
			st = xnn_define_add2(g, lo, hi, id[n->in[0]], id[n->in[1]], out, 0);
			break;
		case XS_OP_GAVGPOOL:
			st = xnn_define_global_average_pooling_2d(g, -INFINITY, INFINITY,
								  id[n->in[0]], out, 0);
			break;
		case XS_OP_FC:
			st = xnn_define_fully_connected(g, lo, hi, id[n->in[0]], wid, bid, out, 0);
			break;
		}
		if (st != xnn_status_success)
			goto fail;
		if (n->act == XK_ACT_HSWISH &&
		    xnn_define_hardswish(g, out, id[n->out], 0) != xnn_status_success)
			goto fail;
	}
	x->tp = threads > 1 ? pthreadpool_create(threads) : NULL;
	if (xnn_create_runtime_v2(g, x->tp, 0, &x->rt) != xnn_status_success)
		goto fail;
	x->in_bytes = (size_t)m->values[0].h * m->values[0].w * m->values[0].c * sizeof(float);
	x->in = calloc(1, x->in_bytes + XNN_EXTRA_BYTES);
	x->out = calloc(1, m->classes * sizeof(float) + XNN_EXTRA_BYTES);
	struct xnn_external_value ext[2] = {{0, x->in}, {1, x->out}};
	if (x->in == NULL || x->out == NULL ||
	    xnn_setup_runtime(x->rt, 2, ext) != xnn_status_success)
		goto fail;
	xnn_delete_subgraph(g);
	free(id);
	return true;
fail:
	if (g)
		xnn_delete_subgraph(g);
	free(id);
	xnn_destroy(x);
	return false;
}

static void run_xnn(void *p)
{
	struct xnn *x = p;
	xnn_invoke_runtime(x->rt);
}

struct ours {
	struct xs_exec *e;
	struct xk_threadpool *tp;
};

static void run_ours(void *p)
{
	struct ours *o = p;
	xs_exec_run(o->e, 1, o->tp);
}

/* ---- PyTorch, in its own process ------------------------------------------- */

struct torch_result {
	double ms[MAX_MODELS][3];       /* [model][threads]; NAN when not run */
	double diff[MAX_MODELS];        /* largest logit difference to ours */
	bool frozen[MAX_MODELS];        /* optimize_for_inference was wrong */
};

/* Runs bench/torch_models.py over the .xnm files and reads its rows
 * "torch,INDEX,THREADS,MS,LOGIT0,LOGIT1,...". false when torch is missing. */
static bool run_torch(struct model *mods, size_t n, double sample_s,
		      struct torch_result *r, char *why, size_t why_n)
{
	for (size_t i = 0; i < n; i++)
		r->ms[i][0] = r->ms[i][1] = r->ms[i][2] = NAN, r->diff[i] = NAN, r->frozen[i] = false;
	/* python3 bench/torch_models.py --seconds S FILE... from argv, no shell */
	char secs[32];
	snprintf(secs, sizeof(secs), "%.2f", sample_s);
	char *argv[MAX_MODELS + 5] = {"/usr/bin/python3", "bench/torch_models.py", "--seconds", secs};
	for (size_t i = 0; i < n; i++)
		argv[4 + i] = mods[i].path;
	argv[4 + n] = NULL;
	int fd[2];
	pid_t pid;
	if (pipe(fd) != 0 || (pid = fork()) < 0) {
		snprintf(why, why_n, "cannot start python3: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		printf("error,cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	FILE *f = fdopen(fd[0], "r");
	if (f == NULL) {
		snprintf(why, why_n, "fdopen: %s", strerror(errno));
		close(fd[0]);
		waitpid(pid, NULL, 0);
		return false;
	}
	char line[65536];
	bool any = false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "torch,", 6) != 0) {
			if (strncmp(line, "error,", 6) == 0)
				snprintf(why, why_n, "%.200s", line + 6);
			continue;
		}
		char *s = line + 6, *end;
		size_t idx = strtoul(s, &end, 10);
		size_t thr = strtoul(end + 1, &end, 10);
		double ms = strtod(end + 1, &end);
		if (idx >= n || thr < 1 || thr > 2 || *end != ',')
			continue;
		r->frozen[idx] = strncmp(end + 1, "frozen,", 7) == 0;
		end = strchr(end + 1, ',');
		if (end == NULL)
			continue;
		r->ms[idx][thr] = ms;
		double worst = 0.0, big = 0.0;
		const struct xs_model *m = mods[idx].m;
		float *ref = malloc(m->classes * sizeof(float));
		struct xs_exec *e;
		struct xs_error err;
		if (ref && xs_exec_create(m, XK_ISA_DEFAULT, 1, &e, &err) == XS_OK) {
			memcpy(xs_exec_input(e), mods[idx].input, (size_t)m->values[0].h *
			       m->values[0].w * m->values[0].c * sizeof(float));
			xs_exec_run(e, 1, NULL);
			for (uint32_t k = 0; k < m->classes && *end == ','; k++) {
				double v = strtod(end + 1, &end);
				worst = fmax(worst, fabs(v - xs_exec_output(e)[k]));
				big = fmax(big, fabs(xs_exec_output(e)[k]));
			}
			xs_exec_destroy(e);
		}
		free(ref);
		r->diff[idx] = worst / fmax(big, 1e-30);
		any = true;
	}
	fclose(f);
	int st;
	waitpid(pid, &st, 0);
	if (!any && why[0] == '\0')
		snprintf(why, why_n, "bench/torch_models.py exited with status %d",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return any;
}

/* ---- the run ------------------------------------------------------------------- */

static struct xs_model *extract(const struct xs_supernet *sn, const char *arch,
				const struct xs_idx *calib)
{
	struct xs_arch a;
	struct xs_error err;
	struct xs_model *m = NULL;
	if (strcmp(arch, "largest") == 0)
		xs_arch_largest(&sn->space, &a);
	else if (strcmp(arch, "smallest") == 0)
		xs_arch_smallest(&sn->space, &a);
	else if (xs_arch_parse(&sn->space, arch, &a, &err) != XS_OK) {
		fprintf(stderr, "models: %s\n", err.msg);
		return NULL;
	}
	if (xs_model_extract(sn, &a, calib, NULL, &m, &err) != XS_OK) {
		fprintf(stderr, "models: %s\n", err.msg);
		return NULL;
	}
	return m;
}

/* One row of the int8 table: m (f32) and its quantized model timed
 * together on input; false after saying why. */
static bool int8_row(const char *name, const struct xs_model *m, const float *input,
		     const struct xs_idx *train, uint32_t recal, const struct timing_cfg *cfg,
		     double *qlog, size_t *nq)
{
	struct xs_quant_options qo;
	struct xs_model *q;
	struct xs_error err;
	xs_quant_options_default(&qo);
	if (xs_model_quantize(m, train, &qo, recal, NULL, &q, &err) != XS_OK) {
		fprintf(stderr, "models: %s\n", err.msg);
		return false;
	}
	struct ours a = {NULL, NULL}, b = {NULL, NULL};
	if (xs_exec_create(m, XK_ISA_DEFAULT, 1, &a.e, &err) != XS_OK ||
	    xs_exec_create(q, XK_ISA_DEFAULT, 1, &b.e, &err) != XS_OK) {
		fprintf(stderr, "models: %s\n", err.msg);
		xs_exec_destroy(a.e);
		xs_model_destroy(q);
		return false;
	}
	const struct xs_value *v = &q->values[0];
	size_t bytes = (size_t)v->h * v->w * v->c * sizeof(float);
	memcpy(xs_exec_input(a.e), input, bytes);
	memcpy(xs_exec_input(b.e), input, bytes);
	bench_fn fns[2] = {run_ours, run_ours};
	void *args[2] = {&a, &b};
	double sec[2];
	time_together(2, fns, args, cfg, sec);
	printf("%-16s %10llu %9.3f %9.3f %8.2f %10zu %10zu\n", name,
	       (unsigned long long)xs_model_macs(q), 1e3 * sec[0], 1e3 * sec[1], sec[0] / sec[1],
	       xs_exec_arena_bytes(a.e) + xs_exec_weight_bytes(a.e),
	       xs_exec_arena_bytes(b.e) + xs_exec_weight_bytes(b.e));
	*qlog += log(sec[0] / sec[1]);
	(*nq)++;
	xs_exec_destroy(a.e);
	xs_exec_destroy(b.e);
	xs_model_destroy(q);
	return true;
}

/* The golden sub-nets' arch strings: each "arch": "..." of the file (ours,
 * models/fmnist-ofa.golden.json; the strings hold no escapes). */
static size_t golden_archs(const char *path, char (*out)[XS_ARCH_MAX], size_t max)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	static char text[1 << 20];
	size_t len = fread(text, 1, sizeof(text) - 1, f), n = 0;
	fclose(f);
	text[len] = '\0';
	for (const char *p = text; n < max && (p = strstr(p, "\"arch\": \"")) != NULL;) {
		p += 9;
		const char *end = strchr(p, '"');
		if (end == NULL || (size_t)(end - p) >= XS_ARCH_MAX)
			break;
		snprintf(out[n++], XS_ARCH_MAX, "%.*s", (int)(end - p), p);
		p = end;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *data = "build/data", *only = NULL;
	bool quick = false, torch = true;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--no-torch") == 0)
			torch = false;
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fputs(usage_text, strcmp(argv[i], "--help") == 0 ? stdout : stderr);
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	struct timing_cfg cfg = quick ? (struct timing_cfg){0.2, 3, 0.5, 5, 0.02}
				      : (struct timing_cfg){0.5, 5, 2.0, 15, 0.05};
	if (xnn_initialize(NULL) != xnn_status_success) {
		fprintf(stderr, "models: xnn_initialize failed\n");
		return 1;
	}
	struct xs_error err;
	struct xs_supernet *fm, *syn;
	struct xs_idx *train, *test;
	char path[512], dir[256];
	snprintf(dir, sizeof(dir), "%s/xnn-bench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "models: cannot make a folder in %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/train-images-idx3-ubyte", data);
	if (xs_supernet_load("models/fmnist-ofa.xsn", &fm, &err) != XS_OK ||
	    xs_idx_load(path, 3, &train, &err) != XS_OK) {
		fprintf(stderr, "models: %s (run from the source folder after make test, or "
				"give --data)\n", err.msg);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/t10k-images-idx3-ubyte", data);
	if (xs_idx_load(path, 3, &test, &err) != XS_OK) {
		fprintf(stderr, "models: %s\n", err.msg);
		return 1;
	}
	struct xs_space ss;
	uint64_t seed = 1;
	xs_space_synthetic(&ss);
	snprintf(path, sizeof(path), "%s/synthetic.xsn", dir);
	fprintf(stderr, "writing the synthetic supernet and extracting the sub-nets...\n");
	if (xs_supernet_write(path, &ss, xs_synthetic_fill, &seed, &err) != XS_OK ||
	    xs_supernet_load(path, &syn, &err) != XS_OK) {
		fprintf(stderr, "models: %s\n", err.msg);
		return 1;
	}
	unlink(path);
	static const struct {
		const char *name, *arch;
		bool synthetic;
	} list[] = {
		{"fmnist largest", "largest", false},
		{"fmnist middle", "r24-d2.2.2.2-s1:e3k5,e3k5-s2:e3k5,e3k5-s3:e3k5,e3k5-s4:e3k5,e3k5", false},
		{"fmnist smallest", "smallest", false},
		{"ofa224 largest", "largest", true},
		{"ofa224 smallest", "smallest", true},
	};
	struct model mods[MAX_MODELS];
	size_t nm = 0;
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		if (only && strstr(list[i].name, only) == NULL)
			continue;
		mods[nm] = (struct model){list[i].name, NULL, NULL, ""};
		mods[nm].m = list[i].synthetic ? extract(syn, list[i].arch, NULL)
					       : extract(fm, list[i].arch, train);
		nm++;
	}
	for (size_t i = 0; i < nm; i++) {
		if (mods[i].m == NULL)
			return 1;
		const struct xs_value *v = &mods[i].m->values[0];
		size_t count = (size_t)v->h * v->w * v->c;
		mods[i].input = malloc(count * sizeof(float));
		if (v->c == 1 && v->h == test->rows && v->w == test->cols) {
			xs_model_input(mods[i].m, test->data, 1, mods[i].input);
		} else {
			uint32_t x = 1;
			for (size_t k = 0; k < count; k++) {
				x = x * 1664525u + 1013904223u;
				mods[i].input[k] = (float)(x >> 8) / 16777216.0f * 4.0f - 2.0f;
			}
		}
		snprintf(mods[i].path, sizeof(mods[i].path), "%s/model-%zu.xnm", dir, i);
		if (xs_model_write(mods[i].m, mods[i].path, &err) != XS_OK) {
			fprintf(stderr, "models: %s\n", err.msg);
			return 1;
		}
		/* the input torch reads: raw f32 next to the model */
		char ipath[600];
		snprintf(ipath, sizeof(ipath), "%s.input", mods[i].path);
		FILE *f = fopen(ipath, "wb");
		if (f == NULL || fwrite(mods[i].input, sizeof(float), count, f) != count ||
		    fclose(f) != 0) {
			fprintf(stderr, "models: cannot write '%s'\n", ipath);
			return 1;
		}
	}
	struct torch_result tr;
	char why[512] = "";
	bool have_torch = false;
	if (torch) {
		fprintf(stderr, "timing PyTorch (bench/torch_models.py)...\n");
		have_torch = run_torch(mods, nm, quick ? 0.5 : 2.0, &tr, why, sizeof(why));
	}
	printf("End-to-end latency, batch 1, median ms (ratios: their time / ours, > 1 = ours faster)\n");
	printf("%-16s %10s %3s %9s %9s %10s %8s %8s %9s %9s\n", "model", "MACs", "thr", "ours",
	       "xnnpack", "torch", "xnn/ours", "tch/ours", "xnn diff", "tch diff");
	double logsum = 0.0;
	size_t nlog = 0;
	for (size_t i = 0; i < nm; i++) {
		for (size_t t = 1; t <= 2; t++) {
			struct ours o = {NULL, NULL};
			struct xnn x;
			struct xk_error xe;
			if (t > 1 && xk_threadpool_create(t, NULL, 0, false, &o.tp, &xe) != XK_OK) {
				fprintf(stderr, "models: %s\n", xe.msg);
				return 1;
			}
			if (xs_exec_create(mods[i].m, XK_ISA_DEFAULT, 1, &o.e, &err) != XS_OK) {
				fprintf(stderr, "models: %s\n", err.msg);
				return 1;
			}
			const struct xs_value *v = &mods[i].m->values[0];
			size_t bytes = (size_t)v->h * v->w * v->c * sizeof(float);
			memcpy(xs_exec_input(o.e), mods[i].input, bytes);
			bool xok = xnn_build(mods[i].m, t, &x);
			double sec[2] = {NAN, NAN}, xdiff = NAN;
			if (xok) {
				memcpy(x.in, mods[i].input, bytes);
				bench_fn fns[2] = {run_ours, run_xnn};
				void *args[2] = {&o, &x};
				time_together(2, fns, args, &cfg, sec);
				double worst = 0.0, big = 0.0;
				for (uint32_t k = 0; k < mods[i].m->classes; k++) {
					worst = fmax(worst, fabs(x.out[k] - xs_exec_output(o.e)[k]));
					big = fmax(big, fabs(xs_exec_output(o.e)[k]));
				}
				xdiff = worst / fmax(big, 1e-30);
				xnn_destroy(&x);
			} else {
				sec[0] = time_median(run_ours, &o, &cfg);
			}
			double tms = have_torch ? tr.ms[i][t] : NAN;
			printf("%-16s %10llu %3zu %9.3f %9.3f %9.3f%s %8.2f %8.2f %9.1e %9.1e\n",
			       mods[i].name, (unsigned long long)xs_model_macs(mods[i].m), t,
			       1e3 * sec[0], 1e3 * sec[1], tms, have_torch && tr.frozen[i] ? "*" : " ",
			       sec[1] / sec[0], tms / (1e3 * sec[0]),
			       xdiff, have_torch ? tr.diff[i] : NAN);
			if (t == 1 && xok) {
				logsum += log(sec[1] / sec[0]);
				nlog++;
			}
			xs_exec_destroy(o.e);
			xk_threadpool_destroy(o.tp);
		}
	}
	if (torch && !have_torch)
		printf("torch: not measured: %s (python3-torch: scripts/install-deps.sh --train)\n",
		       why[0] ? why : "no result");
	printf("diff: largest logit difference to ours over the largest |logit| (same input)\n");
	if (have_torch)
		printf("torch: jit trace + freeze + optimize_for_inference; * = that pass gave wrong\n"
		       "       logits here (this torch's mkldnn rewrite), so freeze only\n");
	printf("geomean vs xnnpack (1 thread): %.2f\n", nlog ? exp(logsum / (double)nlog) : NAN);
	/* int8 against f32, ours, 1 thread: the Fashion-MNIST sub-nets quantized
	 * (default rule: stem and classifier f32) on the calibration images */
	printf("\nint8 vs f32 end to end, ours, batch 1, 1 thread, median ms (> 1 = int8 faster)\n");
	printf("%-16s %10s %9s %9s %8s %10s %10s\n", "model", "MACs", "f32", "int8", "f32/int8",
	       "f32 bytes", "int8 bytes");
	double qlog = 0.0;
	size_t nq = 0;
	for (size_t i = 0; i < nm; i++)
		if (strncmp(mods[i].name, "fmnist", 6) == 0 &&
		    !int8_row(mods[i].name, mods[i].m, mods[i].input, train,
			      fm->space.recal_images, &cfg, &qlog, &nq))
			return 1;
	/* and the ten golden sub-nets (test-golden's), on test image 0 */
	static char golden[16][XS_ARCH_MAX];
	size_t ng = only ? 0 : golden_archs("models/fmnist-ofa.golden.json", golden, 16);
	for (size_t g = 0; g < ng; g++) {
		struct xs_model *m = extract(fm, golden[g], train);
		float *in = m ? malloc((size_t)m->values[0].h * m->values[0].w * sizeof(float)) : NULL;
		char name[32];
		snprintf(name, sizeof(name), "golden %zu", g + 1);
		if (in)
			xs_model_input(m, test->data, 1, in);
		bool ok = in && int8_row(name, m, in, train, fm->space.recal_images, &cfg, &qlog, &nq);
		free(in);
		xs_model_destroy(m);
		if (!ok)
			return 1;
	}
	if (only == NULL && ng == 0)
		printf("(golden sub-nets: models/fmnist-ofa.golden.json not found: run from the "
		       "source tree)\n");
	if (nq) {
		double g = exp(qlog / (double)nq);
		printf("geomean int8 speed-up over f32 (1 thread, the %zu sub-nets above): %.2f   "
		       "target >= 1.5: %s\n", nq, g,
		       g >= 1.5 ? "met" : "not met");
	}
	for (size_t i = 0; i < nm; i++) {
		char ipath[600];
		snprintf(ipath, sizeof(ipath), "%s.input", mods[i].path);
		unlink(ipath);
		unlink(mods[i].path);
		free(mods[i].input);
		xs_model_destroy(mods[i].m);
	}
	rmdir(dir);
	xs_idx_destroy(train);
	xs_idx_destroy(test);
	xs_supernet_destroy(fm);
	xs_supernet_destroy(syn);
	return 0;
}
