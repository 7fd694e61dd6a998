/* cmd-kernels.c - xnn-agent kernels: the latency of every distinct piece a
 * sub-net of the space is made of, on this device: the input resize and the
 * stem per resolution, every block configuration (stage, first block of the
 * stage or not, input resolution, expand, kernel; the first block has the
 * stage's stride and input channels), and the head (1x1 conv, pool, fc) per
 * resolution ("res" is a piece's input resolution; for the resize, its
 * output). A sub-net's predicted latency is the sum of its pieces (the
 * harness calibrates it with the sub-nets measured on the same device). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "have.h"
#include "xa-cmd.h"
#include "xk-ukernel.h"
#include "xs.h"

static const char usage_text[] =
	"usage: xnn-agent kernels --supernet FILE | --space FILE [--threads LIST]\n"
	"                         [--cores SPEC] [--precision f32] [--quick]\n"
	"                         [--have FILE]\n"
	"\n"
	"Times every distinct piece of the supernet's sub-nets on this device: resize\n"
	"and stem per resolution, each block configuration (stage, first or not,\n"
	"input resolution, expand, kernel), and the head per resolution; one CSV row\n"
	"per piece and thread count (median, mean, CV, p90, min in ms; flags as in\n"
	"bench), '#end rows=N' last. --cores: as bench's (default big: thread i on the\n"
	"i-th core of the fastest cluster). A piece stops when its median is known to\n"
	"+-2% and p90 to +-5% (95% bootstrap intervals); --quick measures each piece\n"
	"for less time. The pieces' weights are a fixed pattern: only the search space\n"
	"is read, from the supernet or from --space, the space's key=value text as the\n"
	"supernet holds it (what the sweep pushes: a few hundred bytes). On stderr\n"
	"first: 'kernels: N rows to time (P pieces x T thread counts)' (the sweep's\n"
	"count and ETA). --have FILE: the rows measured already, which are skipped\n"
	"(a resumed sweep's): one a line, 'threads,piece,stage,first,res,expand,kernel'\n"
	"as the table's columns print them.\n";

static const char *const columns[] = {
	"piece", "stage", "first", "res", "cin", "cout", "expand", "kernel", "stride",
	"precision", "threads", "macs", "n", "median_ms", "mean_ms", "cv", "rcv", "p90_ms", "min_ms",
	"flags"};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

/* A small graph built in place: values and nodes, weights in a pattern. */
struct piece {
	struct xs_model m;
	struct xs_value values[8];
	struct xs_node nodes[8];
};

static void piece_init(struct piece *p, uint32_t h, uint32_t w, uint32_t c)
{
	memset(p, 0, sizeof(*p));
	p->m.values = p->values;
	p->m.nodes = p->nodes;
	p->m.mean = 0.0f;
	p->m.std = 1.0f;
	p->values[0] = (struct xs_value){.h = h, .w = w, .c = c};
	p->m.nvalues = 1;
}

/* Appends a node; its weights and bias are counted, placed later. */
static uint32_t piece_add(struct piece *p, enum xs_op op, uint32_t in0, uint32_t in1,
			  struct xs_value out, uint32_t k, uint32_t s, enum xk_act act)
{
	uint32_t v = p->m.nvalues++;
	p->values[v] = out;
	uint32_t cin = p->values[in0].c;
	size_t wc = 0, bc = 0;
	if (op == XS_OP_CONV)
		wc = (size_t)out.c * cin * k * k, bc = out.c;
	else if (op == XS_OP_DW)
		wc = (size_t)out.c * k * k, bc = out.c;
	else if (op == XS_OP_PW || op == XS_OP_FC)
		wc = (size_t)out.c * cin, bc = out.c;
	p->nodes[p->m.nnodes++] = (struct xs_node){op, {in0, in1}, v, act, k, s,
						   wc ? p->m.nweights : 0,
						   bc ? p->m.nweights + wc : 0};
	p->m.nweights += wc + bc;
	return v;
}

static bool piece_weights(struct piece *p)
{
	p->m.weights = xk_alloc((p->m.nweights + 1) * sizeof(float));
	if (p->m.weights == NULL)
		return false;
	for (size_t i = 0; i < p->m.nweights; i++)
		p->m.weights[i] = (float)((int)((i * 2654435761u) >> 24 & 0xFF) - 128) / 1024.0f;
	return true;
}

struct job {
	struct xa_csv *c;          /* NULL: a walk that only counts the pieces */
	const struct xa_have *have;  /* skipped (may be NULL) */
	const struct xa_measure_cfg *cfg;
	struct xk_threadpool *tp;
	int threads;
	int errors;
	size_t pieces;             /* the walk's count */
};

static uint32_t up(uint32_t a, uint32_t s) { return (a + s - 1) / s; }

/* The --have file at path (at most 1 MiB: 4096 rows and more) into h;
 * false with why filled. A stray line matches no piece: that piece is
 * timed. */
static bool have_read(const char *path, struct xa_have *h, char *why, size_t why_n)
{
	enum { MAX = 1 << 20 };
	memset(h, 0, sizeof(*h));
	char owhy[400];
	FILE *f = xs_open_regular(path, owhy, sizeof(owhy));
	if (f == NULL) {
		snprintf(why, why_n, "--have: %.240s", owhy);
		return false;
	}
	char *text = malloc(MAX + 1);
	size_t len = text ? fread(text, 1, MAX + 1, f) : 0;
	bool bad = ferror(f) != 0;
	fclose(f);
	if (text == NULL || bad || len > MAX) {
		snprintf(why, why_n, "--have '%.200s': %s", path, text == NULL ? "out of memory"
			 : bad ? "cannot read it" : "over 1 MiB: not a list of rows");
		free(text);
		return false;
	}
	text[len] = '\0';
	if (!xa_have_parse(text, len, h)) {
		snprintf(why, why_n, "out of memory");
		return false;
	}
	return true;
}

/* Times piece p and writes its row (unless j->have has it). */
static void time_piece(struct job *j, struct piece *p, const char *kind, int stage,
		       int first, uint32_t res, uint32_t cin, uint32_t cout, uint32_t e,
		       uint32_t k, uint32_t s)
{
	struct xs_error err;
	struct xs_exec *ex = NULL;
	struct xa_measurement ms;
	if (xa_have_has(j->have, j->threads, kind, stage, first, res, e, k))
		return;
	if (j->c == NULL) {
		j->pieces++;
		return;
	}
	bool ok = piece_weights(p) && xs_exec_create(&p->m, XK_ISA_DEFAULT, 1, &ex, &err) == XS_OK;
	if (ok) {
		const struct xs_value *in = &p->values[0];
		float *x = xs_exec_input(ex);
		for (size_t i = 0; i < (size_t)in->h * in->w * in->c; i++)
			x[i] = (float)((i * 7919) % 255) / 127.0f - 1.0f;
		struct xa_run_exec rc = {ex, j->tp};
		ok = xa_measure(xa_run_exec_once, &rc, j->cfg, &ms);
	}
	struct xa_csv *c = j->c;
	xa_csv_field(c, kind);
	xa_csv_fieldf(c, "%d", stage);
	xa_csv_fieldf(c, "%d", first);
	xa_csv_fieldf(c, "%u", res);
	xa_csv_fieldf(c, "%u", cin);
	xa_csv_fieldf(c, "%u", cout);
	xa_csv_fieldf(c, "%u", e);
	xa_csv_fieldf(c, "%u", k);
	xa_csv_fieldf(c, "%u", s);
	xa_csv_field(c, "f32");
	xa_csv_fieldf(c, "%d", j->threads);
	xa_csv_fieldf(c, "%llu", (unsigned long long)xs_model_macs(&p->m));
	if (ok) {
		xa_csv_fieldf(c, "%zu", ms.stats.n);
		xa_csv_number(c, 1e3 * ms.stats.median);
		xa_csv_number(c, 1e3 * ms.stats.mean);
		xa_csv_number(c, ms.stats.cv);
		xa_csv_number(c, ms.stats.rcv);
		xa_csv_number(c, 1e3 * ms.stats.p90);
		xa_csv_number(c, 1e3 * ms.stats.min);
		xa_csv_field(c, ms.throttled ? (ms.noisy ? "throttled noisy" : "throttled")
					     : ms.noisy ? "noisy" : "clean");
	} else {
		j->errors++;
		for (int i = 0; i < 7; i++)
			xa_csv_field(c, "");
		xa_csv_field(c, "error");
	}
	xa_csv_end_row(c);
	xs_exec_destroy(ex);
	xk_free(p->m.weights);
	p->m.weights = NULL;
}

/* Whether this piece was timed already: two input resolutions can reach a
 * block with the same shapes (20 and 24 both give 3x3 in the last stage),
 * and the table keeps one row per piece. kind NULL starts over. */
static bool seen(const char *kind, int st, int first, uint32_t res, uint32_t cin, uint32_t e,
		 uint32_t k)
{
	static uint32_t keys[4096][7];
	static size_t n;
	if (kind == NULL) {  /* a new table */
		n = 0;
		return false;
	}
	const uint32_t key[7] = {(uint32_t)kind[0], (uint32_t)st, (uint32_t)first, res, cin, e, k};
	for (size_t i = 0; i < n; i++)
		if (memcmp(keys[i], key, sizeof(key)) == 0)
			return true;
	if (n < 4096)
		memcpy(keys[n++], key, sizeof(key));
	return false;
}

static void all_pieces(struct job *j, const struct xs_space *sp)
{
	struct piece p;
	seen(NULL, 0, 0, 0, 0, 0, 0);
	for (uint32_t ri = 0; ri < sp->nres; ri++) {
		const uint32_t r = sp->res[ri];
		if (r != sp->in_h || r != sp->in_w) {
			piece_init(&p, sp->in_h, sp->in_w, sp->in_c);
			piece_add(&p, XS_OP_RESIZE, 0, 0, (struct xs_value){.h = r, .w = r, .c = sp->in_c}, 0, 0,
				  XK_ACT_NONE);
			time_piece(j, &p, "resize", -1, 0, r, sp->in_c, sp->in_c, 0, 0, 0);
		}
		uint32_t h = up(r, sp->stem_s);
		piece_init(&p, r, r, sp->in_c);
		piece_add(&p, XS_OP_CONV, 0, 0, (struct xs_value){.h = h, .w = h, .c = sp->stem_out}, sp->stem_k,
			  sp->stem_s, sp->stem_act);
		time_piece(j, &p, "stem", -1, 0, r, sp->in_c, sp->stem_out, 0, sp->stem_k, sp->stem_s);
		uint32_t cin = sp->stem_out;
		for (uint32_t st = 0; st < sp->nstages; st++) {
			const struct xs_stage *g = &sp->stage[st];
			for (int first = 1; first >= 0; first--) {
				const uint32_t s = first ? g->stride : 1, c = first ? cin : g->out;
				const uint32_t oh = up(h, s);
				/* a later block sees the stage's output resolution */
				const uint32_t ih = first ? h : up(h, g->stride);
				const uint32_t oh2 = first ? oh : ih;
				for (uint32_t ei = 0; ei < sp->nexpands; ei++)
					for (uint32_t ki = 0; ki < sp->nkernels; ki++) {
						const uint32_t e = sp->expands[ei], k = sp->kernels[ki];
						if (seen("block", (int)st, first, ih, c, e, k))
							continue;
						piece_init(&p, ih, ih, c);
						uint32_t x = piece_add(&p, XS_OP_PW, 0, 0,
								       (struct xs_value){.h = ih, .w = ih, .c = c * e}, 0, 0, g->act);
						x = piece_add(&p, XS_OP_DW, x, 0,
							      (struct xs_value){.h = oh2, .w = oh2, .c = c * e}, k, s, g->act);
						x = piece_add(&p, XS_OP_PW, x, 0,
							      (struct xs_value){.h = oh2, .w = oh2, .c = g->out}, 0, 0, XK_ACT_NONE);
						if (s == 1 && c == g->out)
							piece_add(&p, XS_OP_ADD, 0, x,
								  (struct xs_value){.h = oh2, .w = oh2, .c = g->out}, 0, 0, XK_ACT_NONE);
						time_piece(j, &p, "block", (int)st + 1, first, ih, c, g->out,
							   e, k, s);
					}
			}
			h = up(h, g->stride);
			cin = g->out;
		}
		/* head: 1x1 conv, pool, fc at the last stage's resolution */
		if (seen("head", -1, 0, h, cin, 0, 0))
			continue;
		piece_init(&p, h, h, cin);
		uint32_t x = piece_add(&p, XS_OP_PW, 0, 0, (struct xs_value){.h = h, .w = h, .c = sp->head_out}, 0, 0,
				       sp->head_act);
		x = piece_add(&p, XS_OP_GAVGPOOL, x, 0, (struct xs_value){.h = 1, .w = 1, .c = sp->head_out}, 0, 0,
			      XK_ACT_NONE);
		piece_add(&p, XS_OP_FC, x, 0, (struct xs_value){.h = 1, .w = 1, .c = sp->classes}, 0, 0, XK_ACT_NONE);
		time_piece(j, &p, "head", -1, 0, h, cin, sp->classes, 0, 0, 0);
	}
}

/* The space text of path (at most 64 KiB) parsed into out; false with err
 * naming the file. */
static bool space_read(const char *path, struct xs_space *out, struct xs_error *err)
{
	enum { MAX = 64 * 1024 };
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(MAX + 1) : NULL;
	size_t n = buf ? fread(buf, 1, MAX + 1, f) : 0;
	bool ok = false;
	if (f == NULL)
		snprintf(err->msg, sizeof(err->msg), "cannot open '%.400s': %s", path, strerror(errno));
	else if (buf == NULL)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	else if (ferror(f))
		snprintf(err->msg, sizeof(err->msg), "cannot read '%.400s'", path);
	else if (n > MAX)
		snprintf(err->msg, sizeof(err->msg), "'%.400s' is over %d bytes: not a space's text",
			 path, MAX);
	else if (xs_space_parse(buf, n, out, err) != XS_OK) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		snprintf(err->msg, sizeof(err->msg), "'%.200s': %.300s", path, why);
	} else
		ok = true;
	free(buf);
	if (f)
		fclose(f);
	return ok;
}

int xa_cmd_kernels(int argc, char **argv)
{
	static const struct option opts[] = {
		{"supernet", required_argument, NULL, 'f'}, {"threads", required_argument, NULL, 't'},
		{"cores", required_argument, NULL, 'C'},    {"precision", required_argument, NULL, 'p'},
		{"quick", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
		{"space", required_argument, NULL, 's'},    {"have", required_argument, NULL, 'H'},
		{NULL, 0, NULL, 0}};
	const char *supernet = NULL, *space_file = NULL, *cores = "big", *precision = "f32", *threads_s = "1";
	const char *have_file = NULL;
	bool quick = false;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': supernet = optarg; break;
		case 's': space_file = optarg; break;
		case 't': threads_s = optarg; break;
		case 'C': cores = optarg; break;
		case 'p': precision = optarg; break;
		case 'q': quick = true; break;
		case 'H': have_file = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc || (supernet == NULL) == (space_file == NULL)) {
		fprintf(stderr, "xnn-agent kernels: give --supernet FILE or --space FILE%s%s\n",
			optind != argc ? "; unexpected " : "", optind != argc ? argv[optind] : "");
		return 2;
	}
	if (strcmp(precision, "f32") != 0) {
		fprintf(stderr, "xnn-agent kernels: --precision '%s': this agent runs f32 only\n",
			precision);
		return 2;
	}
	int threads[16], cpus[XA_MAX_CPUS];
	size_t nthreads = 0, ncpus;
	char why[256];
	if (!xa_threads_parse(threads_s, threads, 16, &nthreads)) {
		fprintf(stderr, "xnn-agent kernels: --threads '%s': give a list like 1,2\n", threads_s);
		return 2;
	}
	if (!xa_cores_parse(cores, cpus, &ncpus, why, sizeof(why))) {
		fprintf(stderr, "xnn-agent kernels: %s\n", why);
		return 2;
	}
	struct xa_have have = {0};
	if (have_file && !have_read(have_file, &have, why, sizeof(why))) {
		fprintf(stderr, "xnn-agent kernels: %s\n", why);
		xa_have_release(&have);
		return 1;
	}
	struct xs_supernet *sn = NULL;
	struct xs_space space;
	struct xs_error err;
	char hex[65] = "";
	if (supernet) {
		if (xs_supernet_load(supernet, &sn, &err) != XS_OK) {
			fprintf(stderr, "xnn-agent: %s\n", err.msg);
			return 1;
		}
		space = sn->space;
		xs_sha256_hex(sn->sha256, hex);
		xs_supernet_destroy(sn);
	} else if (!space_read(space_file, &space, &err)) {
		fprintf(stderr, "xnn-agent kernels: --space: %s\n", err.msg);
		return 1;
	}
	struct xa_measure_cfg cfg;
	xa_measure_defaults(&cfg);
	/* 196 pieces on this supernet: the interval decides when one is known,
	 * the minimum time only guards against a lucky start */
	cfg.min_s = quick ? 0.05 : 0.1;
	cfg.min_runs = quick ? 5 : 20;
	cfg.warm_s = quick ? 0.02 : 0.05;
	cfg.max_s = quick ? 0.5 : 3.0;
	cfg.redo = quick ? 0 : 1;
	cfg.cool_s = 1.0;
	/* a table for the predictor: +-2% on the median is plenty */
	cfg.median_tol = 0.02;
	cfg.p90_tol = 0.05;
	cfg.resamples = 200;
	struct xa_csv c;
	xa_csv_init(&c, stdout);
	xa_csv_meta(&c, "table", "kernels");
	xa_csv_meta(&c, "supernet", "%s", space.name);
	if (hex[0])
		xa_csv_meta(&c, "supernet_sha256", "%s", hex);
	char cl[1024];
	xa_cores_format(cpus, ncpus, cl, sizeof(cl));
	xa_csv_meta(&c, "cores", "%s", cl);  /* as bench's cores column: the key */
	xa_csv_meta(&c, "cores_spec", "%s", cores);
	xa_csv_header(&c, columns, NCOLS);
	/* how many rows come, before the first (stdout holds the table only):
	 * the sweep's count and ETA */
	struct job walk = {.c = NULL};
	all_pieces(&walk, &space);
	const size_t pieces = walk.pieces;
	size_t todo = 0;
	for (size_t t = 0; t < nthreads; t++) {
		walk = (struct job){.c = NULL, .have = &have, .threads = threads[t]};
		all_pieces(&walk, &space);
		todo += walk.pieces;
	}
	fprintf(stderr, "kernels: %zu rows to time (%zu pieces x %zu thread count%s", todo, pieces,
		nthreads, nthreads > 1 ? "s" : "");
	if (pieces * nthreads > todo)
		fprintf(stderr, "; %zu measured already", pieces * nthreads - todo);
	fprintf(stderr, ")\n");
	int errors = 0;
	for (size_t t = 0; t < nthreads && todo; t++) {
		struct job j = {&c, &have, &cfg, NULL, threads[t], 0, 0};
		struct xk_error xe;
		if (xk_threadpool_create((size_t)threads[t], cpus, ncpus, true, &j.tp, &xe) != XK_OK) {
			fprintf(stderr, "xnn-agent: %s\n", xe.msg);
			errors++;
			continue;
		}
		fprintf(stderr, "kernels: %d thread%s...\n", threads[t], threads[t] > 1 ? "s" : "");
		all_pieces(&j, &space);
		errors += j.errors;
		xk_threadpool_destroy(j.tp);
	}
	xa_csv_finish(&c);
	xa_have_release(&have);
	return errors ? 1 : 0;
}
