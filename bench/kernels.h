/* kernels.h - what the two halves of the kernel benchmark share: kernels.c
 * (the program: options, the f32 tables, main) and kernels-qs8.c (the int8
 * tables): shapes, options, the engines' thread setup, timing under other
 * programs' load, formatting. Internal to bench/kernels. */
#ifndef BENCH_KERNELS_H
#define BENCH_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <dnnl.h>
#include <pthreadpool.h>
#include <xnnpack.h>
#pragma GCC diagnostic pop

#include "timing.h"
#include "xk.h"

/* ---- Shapes ----------------------------------------------------------------- */

enum family { FAM_CONV, FAM_PW, FAM_DW, FAM_FC, FAM_COUNT };

extern const char *const family_names[FAM_COUNT];

struct shape {
	const char *name;
	enum family fam;
	size_t h, w;      /* input pixels (1 x 1 for fc) */
	size_t cin, cout; /* channels (equal for depthwise) */
	size_t k, s;      /* kernel and stride (1 for pointwise and fc) */
	bool int8;        /* in the int8 tables too */
};

#define NSHAPES 14
extern const struct shape shapes[NSHAPES];

static inline size_t out_dim(size_t in, size_t s) { return (in + s - 1) / s; }
static inline size_t shape_oh(const struct shape *sh) { return out_dim(sh->h, sh->s); }
static inline size_t shape_ow(const struct shape *sh) { return out_dim(sh->w, sh->s); }
static inline size_t shape_in_count(const struct shape *sh)
{
	return sh->h * sh->w * sh->cin;
}
static inline size_t shape_out_count(const struct shape *sh)
{
	return shape_oh(sh) * shape_ow(sh) * sh->cout;
}
static inline size_t shape_w_count(const struct shape *sh)
{
	return sh->cout * (sh->fam == FAM_DW ? 1 : sh->cin) * sh->k * sh->k;
}
/* Products per output (the K of its sum). */
static inline size_t shape_taps(const struct shape *sh)
{
	return (sh->fam == FAM_DW ? 1 : sh->cin) * sh->k * sh->k;
}
/* Multiply-accumulates, padding taps included (as in kernel-anchors.md). */
static inline double shape_macs(const struct shape *sh)
{
	return (double)shape_out_count(sh) * (double)shape_taps(sh);
}

/* ---- Options ---------------------------------------------------------------- */

enum { PREC_F32 = 1, PREC_INT8 = 2 }; /* bits of opts.precision */

struct opts {
	bool quick;                 /* halve warm-up and measuring times */
	size_t threads;             /* tables for 1 and, when > 1, this many threads */
	const char *filter;         /* shape or family substring; NULL: all */
	bool isa_on[XK_ISA_COUNT];  /* our f32 variants to time (when supported) */
	unsigned precision;         /* PREC_* bits: the tables to print */
	bool verbose;
};

bool shape_selected(const struct opts *o, const struct shape *sh);

/* ---- Engines' threads --------------------------------------------------------- */

/* What a table shares: thread count and the engines' handles. */
struct env {
	const struct opts *o;
	size_t nthreads;
	struct xk_threadpool *tp;   /* NULL for one thread */
	bool xnn_ok;                /* XNNPACK initialized */
	bool xnn_threads_ok;        /* xtp has nthreads (or nthreads == 1) */
	pthreadpool_t xtp;          /* NULL for one thread */
	bool dnnl_ok;
	dnnl_engine_t deng;
	dnnl_stream_t dstream;
};

/* Sets every engine's thread count and prints them; env_threads_release
 * undoes it. */
void env_threads(struct env *env, size_t nthreads);
void env_threads_release(struct env *env);

/* ---- Helpers -------------------------------------------------------------------- */

/* n bytes, 64-byte aligned, zeroed, with XNN_EXTRA_BYTES of zeroed slack past
 * the end (XNNPACK reads beyond its inputs); NULL when out of memory. */
void *alloc_bytes(size_t n);
uint64_t rng_next(uint64_t *s); /* splitmix64 */

const char *xnn_status_name(enum xnn_status st);
/* True on success, else prints "warning: SHAPE: onednn: WHAT: ...; skipped". */
bool onednn_ok(dnnl_status_t st, const struct shape *sh, const char *what);

/* ---- Timing under load ---------------------------------------------------------
 * The table's engines of one shape: with one thread sampled in turn (rounds
 * of one sample each, so that the machine's drift hits all alike), with more
 * one after the other with a pause before each; a timing disturbed by other
 * programs (too_busy) is retried twice after a pause, the least disturbed one
 * kept. sec[i] = median seconds per run, others[i] = share of the machine's
 * cpu time other programs used meanwhile (NAN: unknown). n <= MAX_TIMED. */
void time_engines(size_t n, const bench_fn *fns, void *const *args,
		  size_t nthreads, const struct timing_cfg *cfg, double *sec,
		  double *others);
/* Whether others using `others` of the machine leave fewer than nthreads
 * cpus (10% margin). */
bool too_busy(double others, size_t nthreads);
void print_loadavg(const char *when);
/* Prints others' share of the cpus over 0.5 s; warns when too busy. */
void print_busy(size_t nthreads);

/* ---- Formatting ---------------------------------------------------------------- */

void fmt_us(char *buf, size_t size, double sec);           /* "-" for NAN */
void fmt_ratio(char *buf, size_t size, double ref, double ours); /* ref / ours */
double fmin_nan(double a, double b);

/* ---- int8 (kernels-qs8.c) --------------------------------------------------- */

/* The int8 tables (1 and opts.threads threads) and their summary, on the
 * shapes marked int8; the VNNI peak is measured first. */
void qs8_run(struct env *env, const struct timing_cfg *cfg);

#endif /* BENCH_KERNELS_H */
