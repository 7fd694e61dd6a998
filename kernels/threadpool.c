/* threadpool.c - a fixed pool of pthreads that runs numbered tasks.
 *
 * The caller of xk_threadpool_run works too. Tasks are handed out by an atomic
 * counter, so which thread runs a task varies, but a task's work does not: the
 * operators make results independent of the thread count by cutting work into
 * tasks that depend on the shape only. Idle workers spin briefly (a network runs
 * operators back to back) and then sleep on a condition variable. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"

#define SPIN_ROUNDS 20000

struct xk_threadpool {
	size_t nthreads;
	pthread_t *workers;        /* nthreads - 1 */
	pthread_mutex_t lock;
	pthread_cond_t wake;       /* a new generation or stop */
	pthread_cond_t done;       /* the last worker finished */
	atomic_uint generation;    /* bumped once per run */
	atomic_size_t next;        /* next task to hand out */
	atomic_size_t running;     /* workers still in this run */
	atomic_size_t pinned;
	atomic_bool stop;
	size_t ntasks;             /* the current run, read after generation */
	xk_task_fn fn;
	void *ctx;
	const int *cpus;           /* copy, ncpus entries */
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

static void work(struct xk_threadpool *tp)
{
	size_t t;
	while ((t = atomic_fetch_add_explicit(&tp->next, 1, memory_order_relaxed)) <
	       tp->ntasks)
		tp->fn(tp->ctx, t);
}

static void *worker_main(void *p)
{
	struct worker_arg arg = *(struct worker_arg *)p;
	struct xk_threadpool *tp = arg.tp;
	free(p);
	if (tp->ncpus > 0 && pin_self(tp->cpus, tp->ncpus, arg.index))
		atomic_fetch_add(&tp->pinned, 1);
	unsigned seen = 0;
	for (;;) {
		unsigned gen;
		int spins = 0;
		while ((gen = atomic_load_explicit(&tp->generation,
						   memory_order_acquire)) == seen &&
		       !atomic_load(&tp->stop) && spins++ < SPIN_ROUNDS)
			cpu_relax();
		if (gen == seen && !atomic_load(&tp->stop)) {
			pthread_mutex_lock(&tp->lock);
			while ((gen = atomic_load(&tp->generation)) == seen &&
			       !atomic_load(&tp->stop))
				pthread_cond_wait(&tp->wake, &tp->lock);
			pthread_mutex_unlock(&tp->lock);
		}
		if (atomic_load(&tp->stop))
			return NULL;
		seen = gen;
		work(tp);
		if (atomic_fetch_sub_explicit(&tp->running, 1,
					      memory_order_acq_rel) == 1) {
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
	free((void *)tp->cpus);
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
	if (tp == NULL || tp->nthreads == 1 || ntasks <= 1) {
		for (size_t t = 0; t < ntasks; t++)
			fn(ctx, t);
		return;
	}
	tp->fn = fn;
	tp->ctx = ctx;
	tp->ntasks = ntasks;
	atomic_store_explicit(&tp->next, 0, memory_order_relaxed);
	atomic_store_explicit(&tp->running, tp->nthreads - 1,
			      memory_order_relaxed);
	pthread_mutex_lock(&tp->lock);
	atomic_fetch_add_explicit(&tp->generation, 1, memory_order_release);
	pthread_cond_broadcast(&tp->wake);
	pthread_mutex_unlock(&tp->lock);
	work(tp);
	int spins = 0;
	while (atomic_load_explicit(&tp->running, memory_order_acquire) != 0 &&
	       spins++ < SPIN_ROUNDS)
		cpu_relax();
	if (atomic_load_explicit(&tp->running, memory_order_acquire) != 0) {
		pthread_mutex_lock(&tp->lock);
		while (atomic_load(&tp->running) != 0)
			pthread_cond_wait(&tp->done, &tp->lock);
		pthread_mutex_unlock(&tp->lock);
	}
}
