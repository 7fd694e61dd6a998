/* threadpool.c - a fixed pool of pthreads that runs numbered tasks.
 *
 * The caller of xk_threadpool_run works too, and waits only for tasks, never
 * for workers: a worker that the OS does not schedule in time (another program
 * holds the core) simply takes no task, and the caller does them all. Results
 * do not depend on which thread runs a task: the operators cut work into tasks
 * that depend on the shape only.
 *
 * A task is claimed by a compare-and-swap on one 64-bit word, generation << 32
 * | next task. The caller opens a run by first closing the word (new generation,
 * next = CLOSED), then writing the run's fields, then setting next = 0; so a
 * worker still holding a word of an older run can never claim a task of the new
 * one. Idle workers spin for a while (a network runs operators back to back),
 * then sleep on a condition variable. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"

#define SPIN_ROUNDS 20000
#define CLOSED 0xffffffffu
#define GEN(word) ((uint32_t)((word) >> 32))
#define NEXT(word) ((uint32_t)(word))

struct xk_threadpool {
	size_t nthreads;
	pthread_t *workers;          /* nthreads - 1 */
	pthread_mutex_t lock;
	pthread_cond_t wake;         /* a run opened, or stop */
	pthread_cond_t done;         /* the last task of a run finished */
	_Atomic uint64_t claim;      /* generation << 32 | next task */
	atomic_size_t completed;     /* tasks of this run finished */
	atomic_uint sleepers;        /* workers blocked on wake */
	atomic_size_t pinned;
	size_t started;              /* workers that have tried their pin (lock) */
	atomic_bool stop;
	/* the run, written only while the claim word is closed */
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

/* Claims and runs tasks of generation gen until none is left; returns whether
 * this thread finished the run's last task. */
static bool work(struct xk_threadpool *tp, uint32_t gen)
{
	bool last = false;
	uint64_t word = atomic_load_explicit(&tp->claim, memory_order_acquire);
	for (;;) {
		if (GEN(word) != gen || NEXT(word) == CLOSED)
			return last;
		size_t n = atomic_load_explicit(&tp->ntasks, memory_order_relaxed);
		if (NEXT(word) >= n)
			return last;
		if (!atomic_compare_exchange_weak_explicit(&tp->claim, &word, word + 1,
							   memory_order_acquire,
							   memory_order_acquire))
			continue; /* word now holds the current value */
		/* The run cannot end before this task does: its fields are ours. */
		xk_task_fn fn = atomic_load_explicit(&tp->fn, memory_order_relaxed);
		void *ctx = atomic_load_explicit(&tp->ctx, memory_order_relaxed);
		fn(ctx, NEXT(word));
		last = atomic_fetch_add_explicit(&tp->completed, 1,
						 memory_order_acq_rel) + 1 == n;
		word = atomic_load_explicit(&tp->claim, memory_order_acquire);
	}
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
	uint32_t seen = GEN(atomic_load(&tp->claim));
	for (;;) {
		/* Wait for a run of a newer generation that is open. */
		uint64_t word;
		int spins = 0;
		for (;;) {
			word = atomic_load_explicit(&tp->claim, memory_order_acquire);
			if ((GEN(word) != seen && NEXT(word) != CLOSED) ||
			    atomic_load(&tp->stop))
				break;
			if (spins++ < SPIN_ROUNDS) {
				cpu_relax();
				continue;
			}
			pthread_mutex_lock(&tp->lock);
			atomic_fetch_add(&tp->sleepers, 1); /* seq_cst: see run() */
			word = atomic_load(&tp->claim);
			while (GEN(word) == seen && !atomic_load(&tp->stop)) {
				pthread_cond_wait(&tp->wake, &tp->lock);
				word = atomic_load(&tp->claim);
			}
			atomic_fetch_sub(&tp->sleepers, 1);
			pthread_mutex_unlock(&tp->lock);
			spins = 0;
		}
		if (atomic_load(&tp->stop))
			return NULL;
		seen = GEN(word);
		if (work(tp, seen)) {
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
	if (tp == NULL || workers == NULL || (ncpus && cpu_copy == NULL)) {
		free(tp);
		free(cpu_copy);
		free(workers);
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
	atomic_init(&tp->claim, (uint64_t)CLOSED); /* generation 0, closed */
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
	if (tp == NULL || tp->nthreads == 1 || ntasks <= 1 || ntasks >= CLOSED) {
		for (size_t t = 0; t < ntasks; t++)
			fn(ctx, t);
		return;
	}
	/* Close, fill in the run, open. Only the caller writes the word's
	 * generation, and runs do not overlap (one caller at a time). */
	uint32_t gen = GEN(atomic_load(&tp->claim)) + 1;
	atomic_store(&tp->claim, (uint64_t)gen << 32 | CLOSED);
	atomic_store_explicit(&tp->ntasks, ntasks, memory_order_relaxed);
	atomic_store_explicit(&tp->fn, fn, memory_order_relaxed);
	atomic_store_explicit(&tp->ctx, ctx, memory_order_relaxed);
	atomic_store_explicit(&tp->completed, 0, memory_order_relaxed);
	atomic_store(&tp->claim, (uint64_t)gen << 32); /* seq_cst, then: */
	if (atomic_load(&tp->sleepers) > 0) {
		pthread_mutex_lock(&tp->lock);
		pthread_cond_broadcast(&tp->wake);
		pthread_mutex_unlock(&tp->lock);
	}
	work(tp, gen);
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
