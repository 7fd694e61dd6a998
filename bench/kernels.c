/* kernels.c - the kernel benchmark: every xk variant this CPU runs, side by
 * side with XNNPACK, oneDNN and OpenBLAS, on MobileNet-style layers.
 *
 * One run prints the fp32 FMA peak of one core, then one table per thread count
 * (1, then 2) with one row per (shape, engine), then a summary of our fastest
 * variant against the references. Every engine's output is compared once per
 * shape and table with our scalar variant's, so a reference set up for another
 * computation shows up as a warning instead of a ratio. Then, likewise, the
 * int8 tables (kernels-qs8.c). `--precision` picks f32, int8 or both;
 * `kernels --help` says it all; bench/README.md has a short version.
 *
 * The references are Debian's libraries (libxnnpack-dev with libpthreadpool-dev,
 * libdnnl-dev, libopenblas-dev). oneDNN's OpenMP runtime is not linked into
 * programs: its thread-count functions are found with dlsym in the libgomp that
 * oneDNN loads. */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <cblas.h>
#include <dnnl_debug.h>
#pragma GCC diagnostic pop

#include "kernels.h"

/* ---- Shapes ----------------------------------------------------------------- */

const char *const family_names[FAM_COUNT] = {"conv", "pointwise", "depthwise",
					     "fc"};

const struct shape shapes[NSHAPES] = {
	{"conv3x3 s2 224x224x3->112x112x32", FAM_CONV, 224, 224, 3, 32, 3, 2, true},
	{"pw 56x56x24->144", FAM_PW, 56, 56, 24, 144, 1, 1, true},
	{"pw 28x28x32->192", FAM_PW, 28, 28, 32, 192, 1, 1, true},
	{"pw 14x14x96->576", FAM_PW, 14, 14, 96, 576, 1, 1, true},
	{"pw 7x7x160->960", FAM_PW, 7, 7, 160, 960, 1, 1, true},
	{"dw3x3 s1 56x56x144", FAM_DW, 56, 56, 144, 144, 3, 1, true},
	{"dw3x3 s2 56x56x144->28x28", FAM_DW, 56, 56, 144, 144, 3, 2, true},
	{"dw5x5 s1 14x14x480", FAM_DW, 14, 14, 480, 480, 5, 1, true},
	{"dw7x7 s1 7x7x960", FAM_DW, 7, 7, 960, 960, 7, 1, true},
	{"fc 1280->1000", FAM_FC, 1, 1, 1280, 1000, 1, 1, false},
	{"net conv3x3 28x28x1->16", FAM_CONV, 28, 28, 1, 16, 3, 1, false},
	{"net pw 14x14x32->96", FAM_PW, 14, 14, 32, 96, 1, 1, true},
	{"net dw3x3 s1 14x14x96", FAM_DW, 14, 14, 96, 96, 3, 1, true},
	{"net fc 128->10", FAM_FC, 1, 1, 128, 10, 1, 1, false},
};

/* ---- Options ---------------------------------------------------------------- */

static const char help_text[] =
	"usage: kernels [--quick] [--threads N] [--filter SUBSTR] [--isa LIST]\n"
	"               [--precision LIST] [--verbose]\n"
	"\n"
	"Times the f32 operators of libxk against Debian's XNNPACK, oneDNN and OpenBLAS\n"
	"on MobileNet-style layers: NHWC, batch 1, \"same\" padding ((k-1)/2 each side,\n"
	"out = ceil(in/stride)), no bias, no activation, random weights and inputs from\n"
	"a fixed seed; then its int8 operators against XNNPACK's and oneDNN's (the\n"
	"int8 section at the end of this text).\n"
	"\n"
	"Shapes: conv3x3 s2 224x224x3->32; pointwise 56x56x24->144, 28x28x32->192,\n"
	"14x14x96->576, 7x7x160->960; depthwise 3x3 s1 56x56x144, 3x3 s2 56x56x144,\n"
	"5x5 s1 14x14x480, 7x7 s1 7x7x960; fc 1280->1000; and the small net: conv3x3\n"
	"28x28x1->16, pw 14x14x32->96, dw3x3 14x14x96, fc 128->10.\n"
	"\n"
	"Engines, per shape:\n"
	"  xk-ISA    every variant of ours this build and CPU run (scalar, avx2, avx512),\n"
	"            created with that ISA: xk_conv (conv), xk_gemm with m = H*W\n"
	"            (pointwise) or m = 1 (fc), xk_dwconv (depthwise); threads from\n"
	"            xk_threadpool_create(N) (NULL pool for 1 thread)\n"
	"  xnnpack   operator API: xnn_create_convolution2d_nhwc_f32 (pointwise as 1x1,\n"
	"            depthwise as groups = C) or xnn_create_fully_connected_nc_f32;\n"
	"            threads from a pthreadpool (NULL for 1 thread)\n"
	"  onednn    convolution (nhwc src/dst, weights 'any' reordered once; depthwise\n"
	"            grouped goihw, groups = C) or inner product (fc); OpenMP threads\n"
	"            set with omp_set_num_threads\n"
	"  openblas  cblas_sgemm for pointwise; for fc both cblas_sgemv (openblas-gemv)\n"
	"            and cblas_sgemm with M = 1 (openblas-gemm); openblas_set_num_threads.\n"
	"            OpenBLAS 0.3.21 takes newer CPUs for a Prescott (SSE3 kernels):\n"
	"            then, unless OPENBLAS_CORETYPE is set, the program restarts\n"
	"            itself with OPENBLAS_CORETYPE=SkylakeX (or Haswell) and says so\n"
	"Every engine's output is compared with our scalar variant's once per shape and\n"
	"table: max over elements of |x - ref| / (|ref| + rms(ref)); above 1e-4 prints a\n"
	"warning, marks the row MISMATCH and keeps it out of the ratios. A reference\n"
	"that fails to create or run is reported and skipped for that shape.\n"
	"\n"
	"Timing, the same for every engine: CLOCK_MONOTONIC; warm up for at least 50 ms\n"
	"and 10 runs; then samples until at least 0.3 s and 30 samples, a sample timing\n"
	"back-to-back runs lasting about 10 us (one run when a run is longer); the\n"
	"median per-run time in microseconds is reported. With 1 thread the engines of\n"
	"a shape are sampled in turn, round after round, so that a change in the\n"
	"machine's speed (a VM's moves by 20% within seconds) hits them alike. With 2\n"
	"threads they are timed one after another, the program sleeping 150 ms before\n"
	"each so that the spinning idle workers of the previous one stop.\n"
	"A full run takes about a minute on a quiet machine (half with\n"
	"--quick), up to three when disturbed timings are retried.\n"
	"\n"
	"Peak: an fp32 FMA loop on one core with 16 independent zmm accumulators (and 12\n"
	"ymm), timed the same way. GFLOP/s = 2 * MACs / time, MACs counted with the\n"
	"padding taps; %peak = share of (threads x the one-core zmm peak), or ymm when\n"
	"the CPU lacks AVX-512. It can pass 100 where many counted taps are padding\n"
	"that a kernel skips (dw7x7 on 7x7: 57% of the counted taps are real).\n"
	"\n"
	"Columns: shape, family, MMAC, engine, us (median), GFLOP/s, %peak; on the row\n"
	"of our fastest variant, 'vs ENGINE' = that engine's time / ours (above 1: we\n"
	"are faster); openblas is the faster of its calls; flags MISMATCH and BUSY\n"
	"at the end of a row (see above). After the tables: fc lines,\n"
	"then the summary, single-threaded, geometric mean of those ratios over the\n"
	"family's shapes, as the last three lines:\n"
	"  geomean pointwise vs xnnpack: R   (the 5 pointwise shapes)\n"
	"  geomean depthwise vs best: R      (5 depthwise; best = faster of xnnpack, onednn)\n"
	"  geomean conv vs best: R           (the 2 stems)\n"
	"n/a where no shape of the family ran (with --precision f32 these are the\n"
	"last three lines; the int8 section follows them otherwise).\n"
	"\n"
	"2-thread numbers need a quiet machine: anything else running collapses them.\n"
	"Before each table the program prints the load average and the share of cpu\n"
	"time others used over 0.5 s while it slept. While each engine is timed it\n"
	"measures the cpu time other programs take (/proc/stat minus its own); when\n"
	"they leave fewer than N free cpus (10% margin) the timing is retried twice\n"
	"after a pause, the least disturbed kept, and the row flagged BUSY if still\n"
	"disturbed.\n"
	"\n"
	"Options:\n"
	"  --quick           halve the warm-up and measuring times\n"
	"  --threads N       tables for 1 and N threads (default 2); 1 skips the second\n"
	"  --filter SUBSTR   only shapes whose name or family contains SUBSTR\n"
	"  --isa LIST        only these f32 variants of ours, comma-separated\n"
	"                    (scalar,avx2,avx512); XK_ISA is not used\n"
	"  --precision LIST  the tables to run, comma-separated: f32, int8\n"
	"                    (default f32,int8)\n"
	"  --verbose         also print each oneDNN implementation's name\n"
	"  --help            this text\n"
	"\n"
	"int8 (--precision int8): the shapes above without fc and the 28x28x1 stem.\n"
	"Every engine gets the same random int8 data and quantization: input and\n"
	"output zero point -128 (so oneDNN's u8 tensors, q + 128, need no zero\n"
	"point), input scale 1/32, symmetric weights in [-127, 127] with a scale per\n"
	"output channel (a per-tensor one for xnnpack-qs8), an output scale that\n"
	"spreads the outputs over about 50 steps; no bias, no activation.\n"
	"Engines, per shape:\n"
	"  xk-i8-ISA     ours: xk_qs8_conv / xk_qs8_gemm / xk_qs8_dwconv created with\n"
	"                XK_ISA_DEFAULT (XK_ISA from the environment, else the best\n"
	"                ISA), i.e. the kernels the library dispatches; the impl\n"
	"                column names the micro-kernel that ran (xk_qs8_kernels)\n"
	"  xk-f32-ISA    ours f32 (XK_ISA_DEFAULT) on the dequantized data\n"
	"  xnnpack-qs8   xnn_create_convolution2d_nhwc_qs8 (per-tensor weight scale)\n"
	"  xnnpack-qc8   xnn_create_convolution2d_nhwc_qc8 (per-channel)\n"
	"  onednn-u8s8u8 convolution, u8 src and dst (nhwc), s8 weights ('any',\n"
	"                reordered once), per-channel output scales\n"
	"Checks, once per shape and table: ours must be byte-equal to our scalar\n"
	"operator (XK_ISA_SCALAR), else MISMATCH and out of the ratios; each other\n"
	"engine's output, quantized the same way (f32: xk_qs8_quantize), is compared\n"
	"with ours (xnnpack-qs8: with our scalar operator given its per-tensor scale):\n"
	"the 'within1' column is the share of outputs within 1 step; below 90% is a\n"
	"warning (a reference set up for another computation), flagged LOW and kept\n"
	"out of the ratios.\n"
	"Peak: a vpdpbusd loop (AVX-512 VNNI) on one core with 16 zmm accumulators,\n"
	"timed like the rest at the start and, with 1 thread, again in each shape's\n"
	"rounds (the %peak of a 1-thread row is against that sample; the spread is\n"
	"printed after the table; the 2-thread table uses their median); GOP/s =\n"
	"2 * MACs / time; %peak = share of threads x the peak (not shown without\n"
	"VNNI). 'vs X' on our row = X's time / ours.\n"
	"Summary, single-threaded, geometric means per family of their time / ours,\n"
	"with the targets: pointwise vs onednn-u8s8u8 >= 0.9 and far ahead of\n"
	"xnnpack-qs8 (>= 2); depthwise vs onednn-u8s8u8 >= 1.0; each 'met' or\n"
	"'not met'. The program never fails on a time.\n";

/* Parses argv into o; returns 0 to go on, 1 after --help, 2 on a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threads = 2;
	o->precision = PREC_F32 | PREC_INT8;
	for (size_t i = 0; i < XK_ISA_COUNT; i++)
		o->isa_on[i] = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(help_text, stdout);
			return 1;
		} else if (strcmp(a, "--quick") == 0) {
			o->quick = true;
		} else if (strcmp(a, "--verbose") == 0) {
			o->verbose = true;
		} else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
			char *end;
			unsigned long n = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || n < 1 || n > 256) {
				fprintf(stderr, "kernels: --threads '%s': use 1 to 256\n",
					argv[i]);
				return 2;
			}
			o->threads = n;
		} else if (strcmp(a, "--precision") == 0 && i + 1 < argc) {
			char list[64];
			snprintf(list, sizeof(list), "%s", argv[++i]);
			o->precision = 0;
			char *save = NULL;
			for (char *t = strtok_r(list, ",", &save); t != NULL;
			     t = strtok_r(NULL, ",", &save)) {
				if (strcmp(t, "f32") == 0) {
					o->precision |= PREC_F32;
				} else if (strcmp(t, "int8") == 0) {
					o->precision |= PREC_INT8;
				} else {
					fprintf(stderr, "kernels: --precision '%s': use "
							"f32, int8 or both\n",
						t);
					return 2;
				}
			}
			if (o->precision == 0) {
				fprintf(stderr, "kernels: --precision: name f32, "
						"int8 or both\n");
				return 2;
			}
		} else if (strcmp(a, "--filter") == 0 && i + 1 < argc) {
			o->filter = argv[++i];
		} else if (strcmp(a, "--isa") == 0 && i + 1 < argc) {
			char list[128];
			snprintf(list, sizeof(list), "%s", argv[++i]);
			for (size_t j = 0; j < XK_ISA_COUNT; j++)
				o->isa_on[j] = false;
			char *save = NULL;
			for (char *t = strtok_r(list, ",", &save); t != NULL;
			     t = strtok_r(NULL, ",", &save)) {
				enum xk_isa isa;
				if (!xk_isa_parse(t, &isa)) {
					fprintf(stderr,
						"kernels: --isa '%s': use scalar, avx2, "
						"avx512 or neon\n",
						t);
					return 2;
				}
				o->isa_on[isa] = true;
			}
		} else {
			fprintf(stderr, "kernels: unknown or incomplete option '%s' "
					"(see --help)\n",
				a);
			return 2;
		}
	}
	return 0;
}

bool shape_selected(const struct opts *o, const struct shape *sh)
{
	return o->filter == NULL || strstr(sh->name, o->filter) != NULL ||
	       strstr(family_names[sh->fam], o->filter) != NULL;
}

/* ---- FMA peak --------------------------------------------------------------- */

#if defined(__x86_64__)
static volatile float fma_sink;

#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define REP16(X) REP12(X) X(12) X(13) X(14) X(15)

/* 16 independent chains: 2 FMA ports x 4-cycle latency needs 8 in flight. */
#define ZMM_ACCS 16
__attribute__((target("avx512f"))) static void fma_zmm(void *arg)
{
	size_t n = *(const size_t *)arg;
	const __m512 x = _mm512_set1_ps(0.9999999f);
	const __m512 y = _mm512_set1_ps(1e-7f);
#define DECL(i) __m512 a##i = _mm512_set1_ps((float)(i));
	REP16(DECL)
#undef DECL
	for (size_t i = 0; i < n; i++) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, x, y);
		REP16(STEP)
#undef STEP
	}
	__m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
	REP16(SUM)
#undef SUM
	fma_sink = _mm512_reduce_add_ps(s);
}

/* AVX2 has 16 ymm registers: 12 accumulators and the two constants. */
#define YMM_ACCS 12
__attribute__((target("avx2,fma"))) static void fma_ymm(void *arg)
{
	size_t n = *(const size_t *)arg;
	const __m256 x = _mm256_set1_ps(0.9999999f);
	const __m256 y = _mm256_set1_ps(1e-7f);
#define DECL(i) __m256 a##i = _mm256_set1_ps((float)(i));
	REP12(DECL)
#undef DECL
	for (size_t i = 0; i < n; i++) {
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, x, y);
		REP12(STEP)
#undef STEP
	}
	__m256 s = _mm256_setzero_ps();
#define SUM(i) s = _mm256_add_ps(s, a##i);
	REP12(SUM)
#undef SUM
	float v[8];
	_mm256_storeu_ps(v, s);
	fma_sink = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
}
#endif

struct peak {
	double zmm, ymm; /* GFLOP/s of one core; NAN when not supported */
};

static struct peak measure_peak(const struct timing_cfg *cfg)
{
	struct peak p = {NAN, NAN};
#if defined(__x86_64__)
	size_t iters = 20000;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f")) {
		double t = time_median(fma_zmm, &iters, cfg);
		p.zmm = (double)iters * ZMM_ACCS * 16 * 2 / t * 1e-9;
	}
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		double t = time_median(fma_ymm, &iters, cfg);
		p.ymm = (double)iters * YMM_ACCS * 8 * 2 / t * 1e-9;
	}
#else
	(void)cfg;
#endif
	return p;
}

/* ---- Threads of the references ------------------------------------------------
 * Found at run time: libgomp is loaded by oneDNN but not linked into this
 * program. */

static void (*omp_set_threads)(int);
static int (*omp_max_threads)(void);

static void find_thread_functions(void)
{
	omp_set_threads = (void (*)(int))dlsym(RTLD_DEFAULT,
					       "omp_set_num_threads");
	omp_max_threads = (int (*)(void))dlsym(RTLD_DEFAULT,
					       "omp_get_max_threads");
}

/* ---- Engines ---------------------------------------------------------------- */

enum engine { ENG_XK, ENG_XNNPACK, ENG_ONEDNN, ENG_BLAS_GEMM, ENG_BLAS_GEMV };


/* A shape's inputs, weights in PyTorch's layout, and the OHWI copy XNNPACK's
 * full convolution takes. */
struct data {
	float *in;
	float *w;
	float *w_ohwi;
};

/* One engine or variant set up for one shape. */
struct impl {
	enum engine eng;
	enum xk_isa isa;            /* ENG_XK */
	char label[24];
	char note[64];              /* oneDNN implementation */
	const struct shape *sh;
	const float *in;
	const float *w;             /* ENG_BLAS_* */
	float *out;                 /* owned */
	struct xk_threadpool *tp;
	pthreadpool_t xtp;
	union {
		struct xk_gemm *gemm;
		struct xk_dwconv *dw;
		struct xk_conv *conv;
	} op;                       /* ENG_XK */
	xnn_operator_t xop;         /* ENG_XNNPACK */
	dnnl_primitive_t dprim;     /* ENG_ONEDNN */
	dnnl_stream_t dstream;
	dnnl_memory_t dmem[3];      /* src, weights, dst */
	dnnl_exec_arg_t dargs[3];
	double err;                 /* check against the baseline */
	bool mismatch;
	double sec;                 /* median time of one run; NAN: not timed */
	double others;              /* share of the cpus others used meanwhile */
};

void *alloc_bytes(size_t n)
{
	size_t bytes = (n + XNN_EXTRA_BYTES + 63) / 64 * 64;
	void *p = aligned_alloc(64, bytes);
	if (p != NULL)
		memset(p, 0, bytes);
	return p;
}

/* Floats as alloc_bytes. */
static float *alloc_floats(size_t n)
{
	return alloc_bytes(n * sizeof(float));
}

uint64_t rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void fill_uniform(float *p, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (float)((double)(rng_next(s) >> 11) * 0x1p-52 - 1.0);
}

static void data_free(struct data *d)
{
	free(d->in);
	free(d->w);
	free(d->w_ohwi);
	memset(d, 0, sizeof(*d));
}

/* The same data for a shape whatever the filter: the seed is its index. */
static bool data_make(const struct shape *sh, size_t index, struct data *d)
{
	uint64_t seed = 0x5eed0000u + index;
	size_t nw = shape_w_count(sh);
	d->in = alloc_floats(shape_in_count(sh));
	d->w = alloc_floats(nw);
	d->w_ohwi = alloc_floats(nw);
	if (d->in == NULL || d->w == NULL || d->w_ohwi == NULL) {
		data_free(d);
		return false;
	}
	fill_uniform(d->in, shape_in_count(sh), &seed);
	fill_uniform(d->w, nw, &seed);
	if (sh->fam == FAM_CONV) {
		size_t k = sh->k, ci = sh->cin;
		for (size_t o = 0; o < sh->cout; o++)
			for (size_t c = 0; c < ci; c++)
				for (size_t y = 0; y < k; y++)
					for (size_t x = 0; x < k; x++)
						d->w_ohwi[((o * k + y) * k + x) * ci + c] =
							d->w[((o * ci + c) * k + y) * k + x];
	} else {
		memcpy(d->w_ohwi, d->w, nw * sizeof(float));
	}
	return true;
}

static void impl_run(void *arg)
{
	struct impl *im = arg;
	const struct shape *sh = im->sh;
	switch (im->eng) {
	case ENG_XK:
		if (sh->fam == FAM_CONV)
			xk_conv_run(im->op.conv, 1, sh->h, sh->w, im->in, im->out,
				    im->tp);
		else if (sh->fam == FAM_DW)
			xk_dwconv_run(im->op.dw, 1, sh->h, sh->w, im->in, im->out,
				      im->tp);
		else
			xk_gemm_run(im->op.gemm, sh->h * sh->w, im->in, sh->cin,
				    im->out, sh->cout, im->tp);
		break;
	case ENG_XNNPACK:
		xnn_run_operator(im->xop, im->xtp);
		break;
	case ENG_ONEDNN:
		dnnl_primitive_execute(im->dprim, im->dstream, 3, im->dargs);
		dnnl_stream_wait(im->dstream);
		break;
	case ENG_BLAS_GEMM:
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
			    (blasint)(sh->h * sh->w), (blasint)sh->cout,
			    (blasint)sh->cin, 1.0f, im->in, (blasint)sh->cin,
			    im->w, (blasint)sh->cin, 0.0f, im->out,
			    (blasint)sh->cout);
		break;
	case ENG_BLAS_GEMV:
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)sh->cout,
			    (blasint)sh->cin, 1.0f, im->w, (blasint)sh->cin, im->in,
			    1, 0.0f, im->out, 1);
		break;
	}
}

static void impl_release(struct impl *im)
{
	switch (im->eng) {
	case ENG_XK:
		if (im->sh->fam == FAM_CONV)
			xk_conv_destroy(im->op.conv);
		else if (im->sh->fam == FAM_DW)
			xk_dwconv_destroy(im->op.dw);
		else
			xk_gemm_destroy(im->op.gemm);
		break;
	case ENG_XNNPACK:
		if (im->xop != NULL)
			xnn_delete_operator(im->xop);
		break;
	case ENG_ONEDNN:
		if (im->dprim != NULL)
			dnnl_primitive_destroy(im->dprim);
		for (size_t i = 0; i < 3; i++)
			if (im->dmem[i] != NULL)
				dnnl_memory_destroy(im->dmem[i]);
		break;
	default:
		break;
	}
	free(im->out);
	memset(im, 0, sizeof(*im));
}

const char *xnn_status_name(enum xnn_status st)
{
	switch (st) {
	case xnn_status_success: return "success";
	case xnn_status_uninitialized: return "uninitialized";
	case xnn_status_invalid_parameter: return "invalid parameter";
	case xnn_status_invalid_state: return "invalid state";
	case xnn_status_unsupported_parameter: return "unsupported parameter";
	case xnn_status_unsupported_hardware: return "unsupported hardware";
	case xnn_status_out_of_memory: return "out of memory";
	}
	return "unknown status";
}

static bool xk_setup(struct impl *im, const struct data *d)
{
	const struct shape *sh = im->sh;
	struct xk_error err = {{0}};
	enum xk_status st;
	if (sh->fam == FAM_CONV) {
		st = xk_conv_create(im->isa, sh->cin, sh->cout, sh->k, sh->s, d->w,
				    NULL, XK_ACT_NONE, &im->op.conv, &err);
		if (st == XK_OK)
			st = xk_conv_check(im->op.conv, 1, sh->h, sh->w, &err);
	} else if (sh->fam == FAM_DW) {
		st = xk_dwconv_create(im->isa, sh->cin, sh->k, sh->s, d->w, NULL,
				      XK_ACT_NONE, &im->op.dw, &err);
		if (st == XK_OK)
			st = xk_dwconv_check(im->op.dw, 1, sh->h, sh->w, &err);
	} else {
		st = xk_gemm_create(im->isa, sh->cin, sh->cout, d->w, NULL,
				    XK_ACT_NONE, &im->op.gemm, &err);
	}
	if (st != XK_OK) {
		printf("warning: %s: %s: %s (%s); skipped\n", sh->name, im->label,
		       err.msg[0] ? err.msg : "no message", xk_strerror(st));
		return false;
	}
	return true;
}

static bool xnnpack_setup(struct impl *im, const struct data *d)
{
	const struct shape *sh = im->sh;
	const char *what;
	enum xnn_status st;
	if (sh->fam == FAM_FC) {
		what = "xnn_create_fully_connected_nc_f32";
		st = xnn_create_fully_connected_nc_f32(
			sh->cin, sh->cout, sh->cin, sh->cout, d->w, NULL, -INFINITY,
			INFINITY, 0, &im->xop);
		if (st == xnn_status_success) {
			what = "xnn_setup_fully_connected_nc_f32";
			st = xnn_setup_fully_connected_nc_f32(im->xop, 1, im->in,
							      im->out, im->xtp);
		}
	} else {
		uint32_t p = (uint32_t)(sh->k - 1) / 2, k = (uint32_t)sh->k,
			 s = (uint32_t)sh->s;
		bool dw = sh->fam == FAM_DW;
		/* Depthwise: groups = C with one channel each, so the kernel
		 * [C][k][k][1] is PyTorch's [C][1][k][k]. */
		what = "xnn_create_convolution2d_nhwc_f32";
		st = xnn_create_convolution2d_nhwc_f32(
			p, p, p, p, k, k, s, s, 1, 1,
			dw ? (uint32_t)sh->cin : 1, dw ? 1 : sh->cin,
			dw ? 1 : sh->cout, sh->cin, sh->cout, d->w_ohwi, NULL,
			-INFINITY, INFINITY, 0, &im->xop);
		if (st == xnn_status_success) {
			what = "xnn_setup_convolution2d_nhwc_f32";
			st = xnn_setup_convolution2d_nhwc_f32(
				im->xop, 1, sh->h, sh->w, im->in, im->out, im->xtp);
		}
	}
	if (st != xnn_status_success) {
		printf("warning: %s: xnnpack: %s: %s; skipped\n", sh->name, what,
		       xnn_status_name(st));
		return false;
	}
	return true;
}

bool onednn_ok(dnnl_status_t st, const struct shape *sh, const char *what)
{
	if (st == dnnl_success)
		return true;
	printf("warning: %s: onednn: %s: %s; skipped\n", sh->name, what,
	       dnnl_status2str(st));
	return false;
}

static bool onednn_setup(struct impl *im, const struct env *env,
			 const struct data *d)
{
	const struct shape *sh = im->sh;
	dnnl_memory_desc_t src_md, dst_md, wei_md, wei_user_md;
	union {
		dnnl_convolution_desc_t conv;
		dnnl_inner_product_desc_t ip;
	} od;
	dnnl_primitive_desc_t pd = NULL, rpd = NULL;
	dnnl_primitive_t reorder = NULL;
	dnnl_memory_t user_w = NULL;
	dnnl_status_t st;
	bool ok = false;
	dnnl_dim_t ci = (dnnl_dim_t)sh->cin, co = (dnnl_dim_t)sh->cout;

	if (sh->fam == FAM_FC) {
		dnnl_dims_t sd = {1, ci}, wd = {co, ci}, dd = {1, co};
		if (!onednn_ok(dnnl_memory_desc_init_by_tag(&src_md, 2, sd, dnnl_f32,
							    dnnl_nc), sh, "src desc") ||
		    !onednn_ok(dnnl_memory_desc_init_by_tag(&wei_md, 2, wd, dnnl_f32,
							    dnnl_format_tag_any),
			       sh, "weights desc") ||
		    !onednn_ok(dnnl_memory_desc_init_by_tag(&wei_user_md, 2, wd,
							    dnnl_f32, dnnl_oi),
			       sh, "user weights desc") ||
		    !onednn_ok(dnnl_memory_desc_init_by_tag(&dst_md, 2, dd, dnnl_f32,
							    dnnl_nc), sh, "dst desc") ||
		    !onednn_ok(dnnl_inner_product_forward_desc_init(
				       &od.ip, dnnl_forward_inference, &src_md,
				       &wei_md, NULL, &dst_md),
			       sh, "dnnl_inner_product_forward_desc_init"))
			goto out;
	} else {
		dnnl_dim_t k = (dnnl_dim_t)sh->k, s = (dnnl_dim_t)sh->s,
			   p = (dnnl_dim_t)(sh->k - 1) / 2;
		dnnl_dims_t sd = {1, ci, (dnnl_dim_t)sh->h, (dnnl_dim_t)sh->w};
		dnnl_dims_t dd = {1, co, (dnnl_dim_t)shape_oh(sh),
				  (dnnl_dim_t)shape_ow(sh)};
		dnnl_dims_t wd = {co, ci, k, k}, gwd = {ci, 1, 1, k, k};
		dnnl_dims_t strides = {s, s}, pad = {p, p};
		bool dw = sh->fam == FAM_DW;
		int wn = dw ? 5 : 4;
		if (!onednn_ok(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_f32,
							    dnnl_nhwc), sh, "src desc") ||
		    !onednn_ok(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_f32,
							    dnnl_nhwc), sh, "dst desc") ||
		    !onednn_ok(dnnl_memory_desc_init_by_tag(&wei_md, wn,
							    dw ? gwd : wd, dnnl_f32,
							    dnnl_format_tag_any),
			       sh, "weights desc") ||
		    !onednn_ok(dnnl_memory_desc_init_by_tag(
				       &wei_user_md, wn, dw ? gwd : wd, dnnl_f32,
				       dw ? dnnl_goihw : dnnl_oihw),
			       sh, "user weights desc") ||
		    !onednn_ok(dnnl_convolution_forward_desc_init(
				       &od.conv, dnnl_forward_inference,
				       dnnl_convolution_direct, &src_md, &wei_md,
				       NULL, &dst_md, strides, pad, pad),
			       sh, "dnnl_convolution_forward_desc_init"))
			goto out;
	}
	st = dnnl_primitive_desc_create(&pd, &od, NULL, env->deng, NULL);
	if (!onednn_ok(st, sh, "dnnl_primitive_desc_create"))
		goto out;
	const char *impl_name = NULL;
	if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0,
				      &impl_name) == dnnl_success &&
	    impl_name != NULL)
		snprintf(im->note, sizeof(im->note), "%s", impl_name);
	if (!onednn_ok(dnnl_primitive_create(&im->dprim, pd), sh,
		       "dnnl_primitive_create"))
		goto out;

	/* src and dst are our buffers; weights reordered once if need be. */
	const dnnl_memory_desc_t *wmd =
		dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	if (wmd == NULL) {
		printf("warning: %s: onednn: no weights desc; skipped\n", sh->name);
		goto out;
	}
	if (!onednn_ok(dnnl_memory_create(&im->dmem[0], &src_md, env->deng,
					  (void *)im->in), sh, "src memory") ||
	    !onednn_ok(dnnl_memory_create(&im->dmem[2], &dst_md, env->deng,
					  im->out), sh, "dst memory"))
		goto out;
	if (dnnl_memory_desc_equal(wmd, &wei_user_md)) {
		if (!onednn_ok(dnnl_memory_create(&im->dmem[1], &wei_user_md,
						  env->deng, d->w),
			       sh, "weights memory"))
			goto out;
	} else {
		if (!onednn_ok(dnnl_memory_create(&user_w, &wei_user_md, env->deng,
						  d->w), sh, "user weights memory") ||
		    !onednn_ok(dnnl_memory_create(&im->dmem[1], wmd, env->deng,
						  DNNL_MEMORY_ALLOCATE),
			       sh, "weights memory") ||
		    !onednn_ok(dnnl_reorder_primitive_desc_create(
				       &rpd, &wei_user_md, env->deng, wmd,
				       env->deng, NULL),
			       sh, "weights reorder desc") ||
		    !onednn_ok(dnnl_primitive_create(&reorder, rpd), sh,
			       "weights reorder"))
			goto out;
		dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, user_w},
					    {DNNL_ARG_TO, im->dmem[1]}};
		if (!onednn_ok(dnnl_primitive_execute(reorder, env->dstream, 2,
						      rargs), sh, "weights reorder run") ||
		    !onednn_ok(dnnl_stream_wait(env->dstream), sh, "stream wait"))
			goto out;
	}
	im->dstream = env->dstream;
	im->dargs[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, im->dmem[0]};
	im->dargs[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, im->dmem[1]};
	im->dargs[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, im->dmem[2]};
	ok = true;
out:
	if (reorder != NULL)
		dnnl_primitive_destroy(reorder);
	if (rpd != NULL)
		dnnl_primitive_desc_destroy(rpd);
	if (user_w != NULL)
		dnnl_memory_destroy(user_w);
	if (pd != NULL)
		dnnl_primitive_desc_destroy(pd);
	return ok;
}

/* Sets up im for engine eng; false (reported) when it cannot run this shape. */
static bool impl_setup(struct impl *im, enum engine eng, enum xk_isa isa,
		       const struct shape *sh, const struct data *d,
		       const struct env *env)
{
	memset(im, 0, sizeof(*im));
	im->eng = eng;
	im->isa = isa;
	im->sh = sh;
	im->in = d->in;
	im->w = d->w;
	im->tp = env->tp;
	im->xtp = env->xtp;
	im->sec = NAN;
	switch (eng) {
	case ENG_XK:
		snprintf(im->label, sizeof(im->label), "xk-%s", xk_isa_name(isa));
		break;
	case ENG_XNNPACK:
		snprintf(im->label, sizeof(im->label), "xnnpack");
		break;
	case ENG_ONEDNN:
		snprintf(im->label, sizeof(im->label), "onednn");
		break;
	case ENG_BLAS_GEMM:
		snprintf(im->label, sizeof(im->label), "%s",
			 sh->fam == FAM_FC ? "openblas-gemm" : "openblas");
		break;
	case ENG_BLAS_GEMV:
		snprintf(im->label, sizeof(im->label), "openblas-gemv");
		break;
	}
	im->out = alloc_floats(shape_out_count(sh));
	if (im->out == NULL) {
		printf("warning: %s: %s: out of memory; skipped\n", sh->name,
		       im->label);
		return false;
	}
	bool ok = true;
	if (eng == ENG_XK)
		ok = xk_setup(im, d);
	else if (eng == ENG_XNNPACK)
		ok = xnnpack_setup(im, d);
	else if (eng == ENG_ONEDNN)
		ok = onednn_setup(im, env, d);
	if (!ok)
		impl_release(im);
	return ok;
}

/* Runs im once on a NaN-filled output, checking the references' statuses. */
static bool impl_first_run(struct impl *im)
{
	size_t n = shape_out_count(im->sh);
	for (size_t i = 0; i < n; i++)
		im->out[i] = NAN;
	if (im->eng == ENG_XNNPACK) {
		enum xnn_status st = xnn_run_operator(im->xop, im->xtp);
		if (st != xnn_status_success) {
			printf("warning: %s: xnnpack: xnn_run_operator: %s; skipped\n",
			       im->sh->name, xnn_status_name(st));
			return false;
		}
		return true;
	}
	if (im->eng == ENG_ONEDNN) {
		if (!onednn_ok(dnnl_primitive_execute(im->dprim, im->dstream, 3,
						      im->dargs),
			       im->sh, "dnnl_primitive_execute") ||
		    !onednn_ok(dnnl_stream_wait(im->dstream), im->sh,
			       "dnnl_stream_wait"))
			return false;
		return true;
	}
	impl_run(im);
	return true;
}

/* max |x - ref| / (|ref| + rms(ref)); INFINITY when x has a NaN. */
static double max_rel_err(const float *x, const float *ref, size_t n)
{
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (double)ref[i] * ref[i];
	double rms = n ? sqrt(ss / (double)n) : 0;
	if (!(rms > 0))
		rms = 1;
	double worst = 0;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)x[i] - ref[i]) / (fabs(ref[i]) + rms);
		if (isnan(e))
			return INFINITY;
		if (e > worst)
			worst = e;
	}
	return worst;
}

#define CHECK_TOL 1e-4

/* ---- Tables ----------------------------------------------------------------- */

/* A shape's times in one table, seconds; NAN where missing. */
struct result {
	bool ran;
	double ours;  /* our fastest variant */
	double xnn, dnnl, blas;
	double blas_gemv, blas_gemm; /* fc */
};

struct check_stats {
	size_t busy_rows; /* timed while others used the cpus we needed */
	size_t compared, failed;
	double worst;
	char worst_what[80];
};

void print_loadavg(const char *when)
{
	double la[3];
	if (getloadavg(la, 3) == 3)
		printf("load average %s: %.2f %.2f %.2f\n", when, la[0], la[1],
		       la[2]);
	else
		printf("load average %s: unknown\n", when);
}

/* Busy and total jiffies of all cpus from /proc/stat (steal counts as busy). */
static bool read_cpu_times(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	if (f == NULL)
		return false;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		       &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return false;
	*total = 0;
	for (size_t i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4];
	return true;
}

/* Share of the machine's cpu time others use: measured over sec while this
 * program sleeps (its pools idle). NAN when /proc/stat cannot be read. */
static double others_busy(double sec)
{
	unsigned long long b0, t0, b1, t1;
	if (!read_cpu_times(&b0, &t0))
		return NAN;
	sleep_s(sec);
	if (!read_cpu_times(&b1, &t1) || t1 <= t0)
		return NAN;
	return (double)(b1 - b0) / (double)(t1 - t0);
}

/* Whether others using `others` of the machine leave fewer than nthreads
 * cpus (with a 10% margin) to this program. */
bool too_busy(double others, size_t nthreads)
{
	double ncpus = (double)sysconf(_SC_NPROCESSORS_ONLN);
	return !isnan(others) && (1 - others) * ncpus < 0.9 * (double)nthreads;
}

static double process_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Times n functions together (time_together); *others = share of the
 * machine's cpu time used by other programs meanwhile (all cpus' busy time
 * minus this process's), NAN when unknown. */
static void time_measured(size_t n, const bench_fn *fns, void *const *args,
			  const struct timing_cfg *cfg, double *sec,
			  double *others)
{
	unsigned long long b0 = 0, t0 = 0, b1 = 0, t1 = 0;
	bool ok = read_cpu_times(&b0, &t0);
	double c0 = process_cpu_s(), w0 = now_s();
	time_together(n, fns, args, cfg, sec);
	double c1 = process_cpu_s(), w1 = now_s();
	ok = ok && read_cpu_times(&b1, &t1);
	*others = NAN;
	if (ok && w1 > w0) {
		double hz = (double)sysconf(_SC_CLK_TCK);
		double ncpus = (double)sysconf(_SC_NPROCESSORS_ONLN);
		double o = ((double)(b1 - b0) / hz - (c1 - c0)) / ((w1 - w0) * ncpus);
		*others = o < 0 ? 0 : o > 1 ? 1 : o;
	}
}

/* One thread: all engines of a shape are timed together, in rounds of one
 * sample of each, so that a change in the machine's speed (a virtual machine's
 * can move by 20% within seconds) hits every engine alike and the ratios hold.
 * More threads: one engine after the other, with a pause before each, so that
 * the idle workers of one engine's pool (they spin) do not take the cores of
 * the next. A timing disturbed by other programs is tried twice more after a
 * pause, and the least disturbed one is kept. */
void time_engines(size_t n, const bench_fn *fns, void *const *args,
		  size_t nthreads, const struct timing_cfg *cfg, double *sec,
		  double *others)
{
	double s[MAX_TIMED], o;
	if (n > MAX_TIMED)
		n = MAX_TIMED;
	if (nthreads == 1) {
		for (int attempt = 0; attempt < 3; attempt++) {
			if (attempt > 0)
				sleep_s(0.5);
			time_measured(n, fns, args, cfg, s, &o);
			if (attempt == 0 || !(o >= others[0])) {
				for (size_t i = 0; i < n; i++) {
					sec[i] = s[i];
					others[i] = o;
				}
			}
			if (!too_busy(others[0], nthreads))
				break;
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		for (int attempt = 0; attempt < 3; attempt++) {
			sleep_s(attempt > 0 ? 0.5 : cfg->meas_s / 2);
			time_measured(1, &fns[i], &args[i], cfg, s, &o);
			if (attempt == 0 || !(o >= others[i])) {
				sec[i] = s[0];
				others[i] = o;
			}
			if (!too_busy(others[i], nthreads))
				break;
		}
	}
}

/* Prints how busy the machine is; warns when it is too busy for nthreads. */
void print_busy(size_t nthreads)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	double busy = others_busy(0.5);
	if (isnan(busy)) {
		printf("others' cpu use: unknown (no /proc/stat)\n");
		return;
	}
	printf("others' cpu use: %.0f%% of %ld cpus (over 0.5 s while this "
	       "program slept)\n",
	       100 * busy, ncpus);
	if (too_busy(busy, nthreads))
		printf("warning: the machine is busy: fewer than %zu free cpu%s; "
		       "disturbed timings are retried and flagged BUSY\n",
		       nthreads, nthreads > 1 ? "s" : "");
}

void fmt_us(char *buf, size_t size, double sec)
{
	double us = sec * 1e6;
	if (isnan(us))
		snprintf(buf, size, "-");
	else if (us < 10)
		snprintf(buf, size, "%.3f", us);
	else if (us < 1000)
		snprintf(buf, size, "%.1f", us);
	else
		snprintf(buf, size, "%.0f", us);
}

void fmt_ratio(char *buf, size_t size, double ref, double ours)
{
	if (isnan(ref) || isnan(ours) || !(ours > 0))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f", ref / ours);
}

double fmin_nan(double a, double b)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return a < b ? a : b;
}

static void print_table_header(void)
{
	printf("%-33s %-9s %8s  %-13s %9s %8s %6s  %10s %10s %11s\n", "shape",
	       "family", "MMAC", "engine", "us", "GFLOP/s", "%peak",
	       "vs xnnpack", "vs onednn", "vs openblas");
}

static void bench_shape(const struct env *env, size_t index,
			const struct timing_cfg *cfg, double peak,
			struct result *res, struct check_stats *cs)
{
	const struct shape *sh = &shapes[index];
	struct data d = {0};
	struct impl impls[XK_ISA_COUNT + 4];
	size_t n = 0;
	*res = (struct result){false, NAN, NAN, NAN, NAN, NAN, NAN};

	if (!data_make(sh, index, &d)) {
		printf("warning: %s: out of memory; skipped\n", sh->name);
		return;
	}
	for (size_t i = 0; i < XK_ISA_COUNT; i++)
		if (env->o->isa_on[i] && xk_isa_supported((enum xk_isa)i) &&
		    impl_setup(&impls[n], ENG_XK, (enum xk_isa)i, sh, &d, env))
			n++;
	size_t nours = n;
	if (env->xnn_ok && env->xnn_threads_ok &&
	    impl_setup(&impls[n], ENG_XNNPACK, 0, sh, &d, env))
		n++;
	if (env->dnnl_ok && impl_setup(&impls[n], ENG_ONEDNN, 0, sh, &d, env))
		n++;
	if ((sh->fam == FAM_PW || sh->fam == FAM_FC) &&
	    impl_setup(&impls[n], ENG_BLAS_GEMM, 0, sh, &d, env))
		n++;
	if (sh->fam == FAM_FC &&
	    impl_setup(&impls[n], ENG_BLAS_GEMV, 0, sh, &d, env))
		n++;

	/* Check: every output against the first of ours (scalar unless --isa
	 * left it out). */
	size_t nout = shape_out_count(sh);
	for (size_t i = 0; i < n; i++) {
		struct impl *im = &impls[i];
		if (!impl_first_run(im)) {
			impl_release(im);
			memmove(im, im + 1, (n - i - 1) * sizeof(*im));
			n--;
			if (i < nours)
				nours--;
			i--;
			continue;
		}
		if (i == 0)
			continue;
		im->err = max_rel_err(im->out, impls[0].out, nout);
		cs->compared++;
		if (!(im->err <= cs->worst)) {
			cs->worst = im->err;
			snprintf(cs->worst_what, sizeof(cs->worst_what), "%s, %s",
				 im->label, sh->name);
		}
		if (!(im->err <= CHECK_TOL)) {
			im->mismatch = true;
			cs->failed++;
			printf("warning: %s: %s differs from %s: max rel err %.3g "
			       "(tolerance %.0e): not the same computation\n",
			       sh->name, im->label, impls[0].label, im->err,
			       CHECK_TOL);
		}
	}
	if (nours == 0)
		printf("warning: %s: none of our variants ran: the outputs are "
		       "compared with %s's\n", sh->name, n ? impls[0].label : "-");

	/* Timing (time_engines). */
	bench_fn fns[MAX_TIMED];
	void *args[MAX_TIMED];
	double sec[MAX_TIMED], others[MAX_TIMED];
	for (size_t i = 0; i < n && i < MAX_TIMED; i++) {
		fns[i] = impl_run;
		args[i] = &impls[i];
	}
	time_engines(n, fns, args, env->nthreads, cfg, sec, others);
	for (size_t i = 0; i < n && i < MAX_TIMED; i++) {
		impls[i].sec = sec[i];
		impls[i].others = others[i];
		if (too_busy(others[i], env->nthreads))
			cs->busy_rows++;
	}

	/* Collect. */
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < nours; i++)
		if (!impls[i].mismatch && !isnan(impls[i].sec) &&
		    (best == SIZE_MAX || impls[i].sec < impls[best].sec))
			best = i;
	res->ran = true;
	res->ours = best == SIZE_MAX ? NAN : impls[best].sec;
	for (size_t i = nours; i < n; i++) {
		const struct impl *im = &impls[i];
		if (im->mismatch)
			continue;
		if (im->eng == ENG_XNNPACK)
			res->xnn = im->sec;
		else if (im->eng == ENG_ONEDNN)
			res->dnnl = im->sec;
		else if (im->eng == ENG_BLAS_GEMM)
			res->blas_gemm = im->sec;
		else if (im->eng == ENG_BLAS_GEMV)
			res->blas_gemv = im->sec;
	}
	res->blas = fmin_nan(res->blas_gemm, res->blas_gemv);

	double mmac = shape_macs(sh) * 1e-6;
	for (size_t i = 0; i < n; i++) {
		const struct impl *im = &impls[i];
		char us[24], r0[16] = "", r1[16] = "", r2[16] = "", pk[16];
		double gflops = 2 * shape_macs(sh) / im->sec * 1e-9;
		fmt_us(us, sizeof(us), im->sec);
		if (isnan(peak))
			snprintf(pk, sizeof(pk), "-");
		else
			snprintf(pk, sizeof(pk), "%.1f",
				 100 * gflops / (peak * (double)env->nthreads));
		if (i == best) {
			fmt_ratio(r0, sizeof(r0), res->xnn, res->ours);
			fmt_ratio(r1, sizeof(r1), res->dnnl, res->ours);
			fmt_ratio(r2, sizeof(r2), res->blas, res->ours);
		}
		char flags[48] = "";
		if (im->mismatch)
			snprintf(flags, sizeof(flags), "  MISMATCH");
		if (too_busy(im->others, env->nthreads))
			snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags),
				 "  BUSY (others %.0f%%)", 100 * im->others);
		printf("%-33s %-9s %8.4g  %-13s %9s %8.2f %6s  %10s %10s %11s%s\n",
		       sh->name, family_names[sh->fam], mmac, im->label, us,
		       gflops, pk, r0, r1, r2, flags);
		if (env->o->verbose && im->note[0])
			printf("%-33s %-9s %8s  %-13s impl %s\n", "", "", "", "",
			       im->note);
	}
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		impl_release(&impls[i]);
	data_free(&d);
}

/* Sets every engine's thread count; says which could not be set. */
void env_threads(struct env *env, size_t nthreads)
{
	env->nthreads = nthreads;
	env->tp = NULL;
	env->xtp = NULL;
	env->xnn_threads_ok = true;
	if (nthreads > 1) {
		struct xk_error err = {{0}};
		enum xk_status st = xk_threadpool_create(nthreads, NULL, 0, false,
							 &env->tp, &err);
		if (st != XK_OK) {
			printf("warning: xk_threadpool_create(%zu): %s; our "
			       "variants run on one thread\n",
			       nthreads, err.msg);
			env->tp = NULL;
		}
		env->xnn_threads_ok = false;
		env->xtp = pthreadpool_create(nthreads);
		if (env->xtp != NULL)
			env->xnn_threads_ok = true;
		else
			printf("warning: pthreadpool_create(%zu) failed: xnnpack "
			       "is left out of this table\n", nthreads);
	}
	if (omp_set_threads != NULL)
		omp_set_threads((int)nthreads);
	else
		printf("warning: no omp_set_num_threads in the loaded libraries: "
		       "onednn runs on its default thread count\n");
	openblas_set_num_threads((int)nthreads);

	size_t xk_n = env->tp ? xk_threadpool_threads(env->tp) : 1;
	size_t xnn_n = env->xtp ? pthreadpool_get_threads_count(env->xtp) : 1;
	int omp_n = omp_max_threads ? omp_max_threads() : -1;
	int blas_n = openblas_get_num_threads();
	printf("threads: xk pool %zu, xnnpack pthreadpool %zu, onednn "
	       "(OpenMP) max %d, openblas %d\n",
	       xk_n, xnn_n, omp_n, blas_n);
	if (xk_n != nthreads || (env->xnn_threads_ok && xnn_n != nthreads) ||
	    omp_n != (int)nthreads || blas_n != (int)nthreads)
		printf("warning: not every engine runs on %zu threads (see the "
		       "line above)\n",
		       nthreads);
}

void env_threads_release(struct env *env)
{
	xk_threadpool_destroy(env->tp);
	env->tp = NULL;
	if (env->xtp != NULL)
		pthreadpool_destroy(env->xtp);
	env->xtp = NULL;
}

/* Runs one table; returns the number of rows flagged BUSY. */
static size_t run_table(struct env *env, size_t nthreads,
			const struct timing_cfg *cfg, double peak,
			struct result *results)
{
	struct check_stats cs = {0, 0, 0, 0, ""};
	printf("\n== %zu thread%s ==\n", nthreads, nthreads > 1 ? "s" : "");
	if (nthreads > 1)
		printf("note: %zu-thread numbers need a quiet machine; anything "
		       "else running makes them collapse\n",
		       nthreads);
	print_loadavg("before");
	print_busy(nthreads);
	env_threads(env, nthreads);
	printf("us = median time of one run; %%peak = share of %zu x the "
	       "one-core zmm peak; vs X = X's time / our fastest variant's "
	       "(above 1: we are faster)\n",
	       nthreads);
	print_table_header();
	for (size_t i = 0; i < NSHAPES; i++)
		if (shape_selected(env->o, &shapes[i]))
			bench_shape(env, i, cfg, peak, &results[i], &cs);
	print_loadavg("after");
	if (cs.busy_rows)
		printf("warning: %zu row%s timed while other programs used the cpus "
		       "(flagged BUSY, even after 2 retries): their numbers and "
		       "ratios are not meaningful\n",
		       cs.busy_rows, cs.busy_rows > 1 ? "s" : "");
	if (cs.failed)
		printf("checks: %zu of %zu outputs differ from ours (worst %.3g: "
		       "%s)\n",
		       cs.failed, cs.compared, cs.worst, cs.worst_what);
	else if (cs.compared)
		printf("checks: all %zu outputs within %.0e of ours (worst %.3g: "
		       "%s)\n",
		       cs.compared, CHECK_TOL, cs.worst, cs.worst_what);
	env_threads_release(env);
	return cs.busy_rows;
}

/* Geometric mean of ref / ours over the family's shapes that have both. */
static double family_geomean(const struct result *results, enum family fam,
			     bool vs_best)
{
	double sum = 0;
	size_t n = 0;
	for (size_t i = 0; i < NSHAPES; i++) {
		const struct result *r = &results[i];
		if (shapes[i].fam != fam || !r->ran)
			continue;
		double ref = vs_best ? fmin_nan(r->xnn, r->dnnl) : r->xnn;
		if (isnan(ref) || isnan(r->ours) || !(r->ours > 0))
			continue;
		sum += log(ref / r->ours);
		n++;
	}
	return n ? exp(sum / (double)n) : NAN;
}

static void print_geomean(const char *what, double g)
{
	if (isnan(g))
		printf("%s: n/a\n", what);
	else
		printf("%s: %.2f\n", what, g);
}

static void print_fc_lines(const struct result *results, const char *tag)
{
	for (size_t i = 0; i < NSHAPES; i++) {
		const struct result *r = &results[i];
		if (shapes[i].fam != FAM_FC || !r->ran)
			continue;
		char a[16], b[16], c[16], e[16];
		fmt_ratio(a, sizeof(a), r->xnn, r->ours);
		fmt_ratio(b, sizeof(b), r->dnnl, r->ours);
		fmt_ratio(c, sizeof(c), r->blas_gemv, r->ours);
		fmt_ratio(e, sizeof(e), r->blas_gemm, r->ours);
		printf("%s%s vs xnnpack: %s, onednn: %s, openblas-gemv: %s, "
		       "openblas-gemm: %s\n",
		       tag, shapes[i].name, a, b, c, e);
	}
}

/* OpenBLAS 0.3.21 takes CPUs newer than it knows (this Xeon, model 207) for a
 * Prescott and runs its SSE3 kernels, 4-5x slower than its AVX-512 ones: not a
 * reference worth beating. Unless OPENBLAS_CORETYPE is set, a program whose
 * OpenBLAS picked a core without AVX2 on a CPU with AVX2 restarts itself with
 * OPENBLAS_CORETYPE naming the best core the CPU runs (OpenBLAS reads it when
 * loaded, before main). Returns only when there is nothing to do or exec
 * failed. */
static void openblas_fix_coretype(char **argv)
{
#if defined(__x86_64__)
	static const char *const avx2_cores[] = {
		"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids",
		"Excavator"};
	if (getenv("OPENBLAS_CORETYPE") != NULL)
		return;
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return;
	const char *core = openblas_get_corename();
	if (core == NULL)
		return;
	for (size_t i = 0; i < sizeof(avx2_cores) / sizeof(avx2_cores[0]); i++)
		if (strcasecmp(core, avx2_cores[i]) == 0)
			return;
	const char *want = "Haswell";
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512cd"))
		want = "SkylakeX";
	setenv("XK_BENCH_OPENBLAS_DETECTED", core, 1);
	setenv("OPENBLAS_CORETYPE", want, 1);
	fflush(stdout);
	execv("/proc/self/exe", argv);
	printf("warning: cannot restart with OPENBLAS_CORETYPE=%s: %s; "
	       "openblas runs its %s kernels\n",
	       want, strerror(errno), core);
	unsetenv("OPENBLAS_CORETYPE");
	unsetenv("XK_BENCH_OPENBLAS_DETECTED");
#else
	(void)argv;
#endif
}

static void print_cpu(void)
{
	char line[256], model[160] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	printf("cpu: %s, %ld cpus online; features: %s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), xk_cpu_features());
}

/* The f32 tables (1 and --threads threads) and their summary. */
static void run_f32(struct env *env, const struct timing_cfg *cfg)
{
	struct peak pk = measure_peak(cfg);
	char zs[32] = "not supported", ys[32] = "not supported";
	if (!isnan(pk.zmm))
		snprintf(zs, sizeof(zs), "%.1f GFLOP/s", pk.zmm);
	if (!isnan(pk.ymm))
		snprintf(ys, sizeof(ys), "%.1f GFLOP/s", pk.ymm);
	printf("fp32 FMA peak of one core: zmm %s (%d accumulators), ymm %s "
	       "(%d accumulators)\n",
	       zs, 16, ys, 12);
	double peak = isnan(pk.zmm) ? pk.ymm : pk.zmm;

	static struct result res1[NSHAPES], resn[NSHAPES];
	size_t busy1 = run_table(env, 1, cfg, peak, res1), busyn = 0;
	if (env->o->threads > 1) {
		if ((long)env->o->threads > sysconf(_SC_NPROCESSORS_ONLN))
			printf("\nwarning: %zu threads on %ld cpus\n", env->o->threads,
			       sysconf(_SC_NPROCESSORS_ONLN));
		busyn = run_table(env, env->o->threads, cfg, peak, resn);
	}

	printf("\n");
	if (env->o->threads > 1) {
		char tag[32];
		snprintf(tag, sizeof(tag), "%zu threads: ", env->o->threads);
		print_fc_lines(resn, tag);
		char a[16], b[16], c[16];
		fmt_ratio(a, sizeof(a), family_geomean(resn, FAM_PW, false), 1);
		fmt_ratio(b, sizeof(b), family_geomean(resn, FAM_DW, true), 1);
		fmt_ratio(c, sizeof(c), family_geomean(resn, FAM_CONV, true), 1);
		printf("%zu threads: pointwise vs xnnpack %s, depthwise vs best "
		       "%s, conv vs best %s (geomeans%s)\n",
		       env->o->threads, a, b, c,
		       busyn ? "; NOT MEANINGFUL: rows flagged BUSY" : "");
	}
	if (busy1)
		printf("warning: %zu one-thread row%s flagged BUSY: the summary "
		       "below includes them\n",
		       busy1, busy1 > 1 ? "s" : "");
	print_fc_lines(res1, "");
	print_geomean("geomean pointwise vs xnnpack",
		      family_geomean(res1, FAM_PW, false));
	print_geomean("geomean depthwise vs best",
		      family_geomean(res1, FAM_DW, true));
	print_geomean("geomean conv vs best", family_geomean(res1, FAM_CONV, true));
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc == 1)
		return 0;
	if (rc != 0)
		return 2;
	openblas_fix_coretype(argv);
	setvbuf(stdout, NULL, _IOLBF, 0);

	double f = o.quick ? 0.5 : 1;
	struct timing_cfg cfg = {0.05 * f, 10, 0.3 * f, 30, 10e-6};

	printf("kernel benchmark: xk vs XNNPACK, oneDNN, OpenBLAS (%s, NHWC, "
	       "batch 1)%s\n",
	       o.precision == PREC_F32 ? "f32"
	       : o.precision == PREC_INT8 ? "int8" : "f32 and int8",
	       o.quick ? ", --quick" : "");
	print_cpu();
	printf("xk variants:");
	for (size_t i = 0; i < XK_ISA_COUNT; i++)
		if (xk_isa_supported((enum xk_isa)i))
			printf(" %s%s", xk_isa_name((enum xk_isa)i),
			       o.isa_on[i] ? "" : " (left out by --isa)");
	printf("\n");
	const dnnl_version_t *dv = dnnl_version();
	printf("references: XNNPACK (Debian libxnnpack0), oneDNN %d.%d.%d "
	       "(cpu runtime %s), %s\n",
	       dv->major, dv->minor, dv->patch,
	       dv->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other",
	       openblas_get_config());
	const char *detected = getenv("XK_BENCH_OPENBLAS_DETECTED");
	if (detected != NULL)
		printf("note: OPENBLAS_CORETYPE=%s set by this program: OpenBLAS "
		       "took this cpu for a %s (set OPENBLAS_CORETYPE to choose)\n",
		       getenv("OPENBLAS_CORETYPE"), detected);
	print_loadavg("at start");

	find_thread_functions();
	struct env env;
	memset(&env, 0, sizeof(env));
	env.o = &o;
	enum xnn_status xst = xnn_initialize(NULL);
	env.xnn_ok = xst == xnn_status_success;
	if (!env.xnn_ok)
		printf("warning: xnn_initialize: %s; xnnpack left out\n",
		       xnn_status_name(xst));
	dnnl_status_t dst = dnnl_engine_create(&env.deng, dnnl_cpu, 0);
	if (dst == dnnl_success) {
		dst = dnnl_stream_create(&env.dstream, env.deng,
					 dnnl_stream_default_flags);
		if (dst != dnnl_success)
			dnnl_engine_destroy(env.deng);
	}
	env.dnnl_ok = dst == dnnl_success;
	if (!env.dnnl_ok)
		printf("warning: onednn engine or stream: %s; onednn left out\n",
		       dnnl_status2str(dst));

	if (o.precision & PREC_F32)
		run_f32(&env, &cfg);
	if (o.precision & PREC_INT8)
		qs8_run(&env, &cfg);

	if (env.dnnl_ok) {
		dnnl_stream_destroy(env.dstream);
		dnnl_engine_destroy(env.deng);
	}
	return 0;
}
