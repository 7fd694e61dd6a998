/* arena.c - the activation arena plan: offsets for tensors with known
 * lifetimes, so that those never alive together share memory.
 *
 * Greedy by size (as TFLite's planner): tensors in order of size, largest
 * first (ties: earlier first use, then index); each goes to the lowest aligned
 * offset that leaves it clear of every placed tensor whose lifetime meets its
 * own. Deterministic: the order is total. */
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs.h"

/* Sorts pointers into the caller's array: ties go by position in it. */
static int by_size(const void *a, const void *b)
{
	const struct xs_arena_tensor *x = *(struct xs_arena_tensor *const *)a;
	const struct xs_arena_tensor *y = *(struct xs_arena_tensor *const *)b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int by_offset(const void *a, const void *b)
{
	const struct xs_arena_tensor *x = *(const struct xs_arena_tensor *const *)a;
	const struct xs_arena_tensor *y = *(const struct xs_arena_tensor *const *)b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

enum xs_status xs_arena_plan(struct xs_arena_tensor *t, size_t n, size_t align,
			     size_t *arena_bytes, struct xs_error *err)
{
	if (align == 0 || (align & (align - 1)))
		XK_FAIL(err, XS_EINVAL, "arena: alignment %zu is not a power of two", align);
	for (size_t i = 0; i < n; i++)
		if (t[i].last < t[i].first || t[i].size > SIZE_MAX / 4)
			XK_FAIL(err, XS_EINVAL, "arena: tensor %zu: steps %u..%u, %zu bytes",
				i, t[i].first, t[i].last, t[i].size);
	struct xs_arena_tensor **order = malloc((n ? n : 1) * sizeof(*order));
	const struct xs_arena_tensor **live = malloc((n ? n : 1) * sizeof(*live));
	if (order == NULL || live == NULL) {
		free(order);
		free(live);
		XK_FAIL(err, XS_ENOMEM, "arena: out of memory planning %zu tensors", n);
	}
	for (size_t i = 0; i < n; i++)
		order[i] = &t[i];
	qsort(order, n, sizeof(*order), by_size);
	size_t total = 0;
	for (size_t k = 0; k < n; k++) {
		struct xs_arena_tensor *x = order[k];
		x->offset = 0;
		if (x->size == 0)
			continue;
		/* placed tensors whose lifetime meets x's, by offset */
		size_t m = 0;
		for (size_t j = 0; j < k; j++) {
			const struct xs_arena_tensor *y = order[j];
			if (y->size && y->first <= x->last && x->first <= y->last)
				live[m++] = y;
		}
		qsort(live, m, sizeof(*live), by_offset);
		size_t at = 0;
		for (size_t j = 0; j < m; j++) {
			if (live[j]->offset >= at + x->size)
				break; /* the gap before it fits */
			size_t end = live[j]->offset + live[j]->size;
			if (end > at)
				at = xk_round_up(end, align);
		}
		x->offset = at;
		if (at + x->size > total)
			total = at + x->size;
	}
	free(order);
	free(live);
	*arena_bytes = xk_round_up(total, align);
	return XS_OK;
}
