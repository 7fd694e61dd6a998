/* threadpool.c - a fixed pool of pthreads that runs numbered tasks.
 *
 * Each thread owns a contiguous range of a run's tasks: it takes them from the
 * front, then steals from the back of the others' ranges. So, run after run,
 * the same tasks (the same rows of a layer) stay on the same core and its
 * caches, and the work still balances. The caller of xk_threadpool_run is
 * thread 0 and waits only for tasks, never for workers: a worker that the OS
 * does not schedule in time (another program holds the core) takes no task,
 * and the others do its range.
 *
 * A range is one 64-bit word, generation (16 bits) | start (24) | end (24),
 * claimed by compare-and-swap. A run first closes every range (new generation,
 * empty), then writes its fields, then opens the ranges: a worker still holding
 * a word of an older run fails its swap, and one that claims a task reads the
 * run's fields after the claim, when they cannot change until that task is
 * done. Idle workers spin for a while (a network runs operators back to back),
 * then sleep on a condition variable. */
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"

#define SPIN_ROUNDS 20000
#define MAX_TASKS (1u << 24)
#define WORD(gen, start, end)                                                  \
	((uint64_t)(gen) << 48 | (uint64_t)(start) << 24 | (uint64_t)(end))
#define W_GEN(w) ((uint32_t)((w) >> 48))
#define W_START(w) ((uint32_t)((w) >> 24) & (MAX_TASKS - 1))
#define W_END(w) ((uint32_t)(w) & (MAX_TASKS - 1))

struct range {
	alignas(64) _Atomic uint64_t word; /* one cache line per thread */
};

struct xk_threadpool {
	size_t nthreads;
	pthread_t *workers;          /* nthreads - 1 */
	struct range *ranges;        /* nthreads; [0] is the caller's */
	pthread_mutex_t lock;
	pthread_cond_t wake;         /* a run opened, or stop */
	pthread_cond_t done;         /* a run's last task finished; a worker started */
	atomic_uint published;       /* generation of the open run */
	atomic_size_t completed;     /* tasks of this run finished */
	atomic_uint sleepers;        /* workers blocked on wake */
	atomic_size_t pinned;
	size_t started;              /* workers that have tried their pin (lock) */
	atomic_bool stop;
	uint32_t gen;                /* the caller's: generation of the last run */
	/* the run, written only while every range is closed */
	_Atomic size_t ntasks;
	_Atomic(xk_task_fn) fn;
	void *_Atomic ctx;
	int *cpus;                   /* ncpus entries */
	size_t ncpus;
};

struct worker_arg {
	struct xk_threadpool *tp;
	size_t index;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ volatile("yield");
#endif
}

static bool pin_self(const int *cpus, size_t ncpus, size_t index)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	int cpu = cpus[index % ncpus];
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return false;
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

/* Takes one task of generation gen from range r: from its front when own,
 * else from its back. Returns false when the range is empty or of another
 * generation. */
static bool claim(struct range *r, uint32_t gen, bool own, uint32_t *task)
{
	uint64_t w = atomic_load_explicit(&r->word, memory_order_acquire);
	for (;;) {
		uint32_t s = W_START(w), e = W_END(w);
		if (W_GEN(w) != gen || s >= e)
			return false;
		uint64_t next = own ? WORD(gen, s + 1, e) : WORD(gen, s, e - 1);
		if (atomic_compare_exchange_weak_explicit(&r->word, &w, next,
							  memory_order_acquire,
							  memory_order_acquire)) {
			*task = own ? s : e - 1;
			return true;
		}
	}
}

/* Runs tasks of generation gen as thread self, its own range first; returns
 * whether this thread finished the run's last task. */
static bool work(struct xk_threadpool *tp, uint32_t gen, size_t self)
{
	bool last = false;
	for (size_t i = 0; i < tp->nthreads; i++) {
		struct range *r = &tp->ranges[(self + i) % tp->nthreads];
		uint32_t task;
		while (claim(r, gen, i == 0, &task)) {
			/* The run cannot end before this task does: its
			 * fields are this run's. */
			xk_task_fn fn = atomic_load_explicit(&tp->fn, memory_order_relaxed);
			void *ctx = atomic_load_explicit(&tp->ctx, memory_order_relaxed);
			size_t n = atomic_load_explicit(&tp->ntasks, memory_order_relaxed);
			fn(ctx, task);
			last = atomic_fetch_add_explicit(&tp->completed, 1,
							 memory_order_acq_rel) + 1 == n;
		}
	}
	return last;
}

static void *worker_main(void *p)
{
	struct worker_arg arg = *(struct worker_arg *)p;
	struct xk_threadpool *tp = arg.tp;
	free(p);
	if (tp->ncpus > 0 && pin_self(tp->cpus, tp->ncpus, arg.index))
		atomic_fetch_add(&tp->pinned, 1);
	pthread_mutex_lock(&tp->lock);
	tp->started++;
	pthread_cond_broadcast(&tp->done);
	pthread_mutex_unlock(&tp->lock);
	uint32_t seen = atomic_load(&tp->published);
	for (;;) {
		/* Wait for a run of a newer generation. */
		uint32_t gen;
		int spins = 0;
		while ((gen = atomic_load_explicit(&tp->published,
						   memory_order_acquire)) == seen &&
		       !atomic_load(&tp->stop)) {
			if (spins++ < SPIN_ROUNDS) {
				cpu_relax();
				continue;
			}
			pthread_mutex_lock(&tp->lock);
			atomic_fetch_add(&tp->sleepers, 1); /* seq_cst: see run() */
			while (atomic_load(&tp->published) == seen &&
			       !atomic_load(&tp->stop))
				pthread_cond_wait(&tp->wake, &tp->lock);
			atomic_fetch_sub(&tp->sleepers, 1);
			pthread_mutex_unlock(&tp->lock);
			spins = 0;
		}
		if (atomic_load(&tp->stop))
			return NULL;
		seen = gen;
		if (work(tp, gen, arg.index)) {
			pthread_mutex_lock(&tp->lock);
			pthread_cond_broadcast(&tp->done);
			pthread_mutex_unlock(&tp->lock);
		}
	}
}

enum xk_status xk_threadpool_create(size_t nthreads, const int *cpus,
				    size_t ncpus, bool pin_caller,
				    struct xk_threadpool **out,
				    struct xk_error *err)
{
	if (nthreads < 1 || nthreads > 1024) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "threadpool: %zu threads: use 1 to 1024", nthreads);
		return XK_EINVAL;
	}
	struct xk_threadpool *tp = calloc(1, sizeof(*tp));
	int *cpu_copy = ncpus ? malloc(ncpus * sizeof(*cpu_copy)) : NULL;
	pthread_t *workers = calloc(nthreads, sizeof(*workers));
	struct range *ranges = xk_alloc(nthreads * sizeof(*ranges));
	if (tp == NULL || workers == NULL || ranges == NULL ||
	    (ncpus && cpu_copy == NULL)) {
		free(tp);
		free(cpu_copy);
		free(workers);
		xk_free(ranges);
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "threadpool: out of memory");
		return XK_ENOMEM;
	}
	if (ncpus)
		memcpy(cpu_copy, cpus, ncpus * sizeof(*cpu_copy));
	tp->nthreads = nthreads;
	tp->workers = workers;
	tp->cpus = cpu_copy;
	tp->ncpus = ncpus;
	tp->ranges = ranges;
	for (size_t i = 0; i < nthreads; i++)
		atomic_init(&ranges[i].word, WORD(0, 0, 0)); /* generation 0, empty */
	pthread_mutex_init(&tp->lock, NULL);
	pthread_cond_init(&tp->wake, NULL);
	pthread_cond_init(&tp->done, NULL);
	if (ncpus && pin_caller && pin_self(cpu_copy, ncpus, 0))
		atomic_fetch_add(&tp->pinned, 1);
	for (size_t i = 1; i < nthreads; i++) {
		struct worker_arg *arg = malloc(sizeof(*arg));
		int rc = -1;
		if (arg) {
			arg->tp = tp;
			arg->index = i;
			rc = pthread_create(&workers[i - 1], NULL, worker_main, arg);
		}
		if (rc != 0) {
			free(arg);
			tp->nthreads = i; /* destroy joins the ones started */
			xk_threadpool_destroy(tp);
			if (err)
				snprintf(err->msg, sizeof(err->msg),
					 "threadpool: cannot start thread %zu of %zu",
					 i + 1, nthreads);
			return XK_ESYS;
		}
	}
	/* Return once every worker is up and pinned (or refused), so that
	 * xk_threadpool_pinned is exact from the start. */
	pthread_mutex_lock(&tp->lock);
	while (tp->started < nthreads - 1)
		pthread_cond_wait(&tp->done, &tp->lock);
	pthread_mutex_unlock(&tp->lock);
	*out = tp;
	return XK_OK;
}

void xk_threadpool_destroy(struct xk_threadpool *tp)
{
	if (tp == NULL)
		return;
	pthread_mutex_lock(&tp->lock);
	atomic_store(&tp->stop, true);
	pthread_cond_broadcast(&tp->wake);
	pthread_mutex_unlock(&tp->lock);
	for (size_t i = 1; i < tp->nthreads; i++)
		pthread_join(tp->workers[i - 1], NULL);
	pthread_cond_destroy(&tp->done);
	pthread_cond_destroy(&tp->wake);
	pthread_mutex_destroy(&tp->lock);
	free(tp->cpus);
	free(tp->workers);
	xk_free(tp->ranges);
	free(tp);
}

size_t xk_threadpool_threads(const struct xk_threadpool *tp)
{
	return tp ? tp->nthreads : 1;
}

size_t xk_threadpool_pinned(const struct xk_threadpool *tp)
{
	return tp ? atomic_load(&((struct xk_threadpool *)tp)->pinned) : 0;
}

void xk_threadpool_run(struct xk_threadpool *tp, size_t ntasks, xk_task_fn fn,
		       void *ctx)
{
	if (tp == NULL || tp->nthreads == 1 || ntasks <= 1 || ntasks >= MAX_TASKS) {
		for (size_t t = 0; t < ntasks; t++)
			fn(ctx, t);
		return;
	}
	/* Close every range, fill in the run, open the ranges, publish. Only
	 * the caller writes ranges' generations, and runs do not overlap (one
	 * caller at a time). */
	const size_t n = tp->nthreads;
	uint32_t gen = tp->gen = (tp->gen + 1) & 0xffff;
	for (size_t i = 0; i < n; i++)
		atomic_store(&tp->ranges[i].word, WORD(gen, 0, 0));
	atomic_store_explicit(&tp->ntasks, ntasks, memory_order_relaxed);
	atomic_store_explicit(&tp->fn, fn, memory_order_relaxed);
	atomic_store_explicit(&tp->ctx, ctx, memory_order_relaxed);
	atomic_store_explicit(&tp->completed, 0, memory_order_relaxed);
	for (size_t i = 0; i < n; i++)
		atomic_store_explicit(&tp->ranges[i].word,
				      WORD(gen, ntasks * i / n, ntasks * (i + 1) / n),
				      memory_order_release);
	atomic_store(&tp->published, gen); /* seq_cst, then: */
	if (atomic_load(&tp->sleepers) > 0) {
		pthread_mutex_lock(&tp->lock);
		pthread_cond_broadcast(&tp->wake);
		pthread_mutex_unlock(&tp->lock);
	}
	work(tp, gen, 0);
	/* What is left are tasks that workers claimed and are running. */
	int spins = 0;
	while (atomic_load_explicit(&tp->completed, memory_order_acquire) != ntasks &&
	       spins++ < SPIN_ROUNDS)
		cpu_relax();
	if (atomic_load_explicit(&tp->completed, memory_order_acquire) != ntasks) {
		pthread_mutex_lock(&tp->lock);
		while (atomic_load(&tp->completed) != ntasks)
			pthread_cond_wait(&tp->done, &tp->lock);
		pthread_mutex_unlock(&tp->lock);
	}
}
