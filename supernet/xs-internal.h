/* xs-internal.h - what the supernet's modules share and nothing outside uses:
 * little-endian fields, and the executor's per-node hook (BN recalibration
 * runs the graph through it). */
#ifndef XS_INTERNAL_H
#define XS_INTERNAL_H

#include "xs.h"

/* Little-endian fields of the .xsn and .xnm files. */
static inline uint32_t xs_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t xs_le64(const uint8_t *p)
{
	return (uint64_t)xs_le32(p) | (uint64_t)xs_le32(p + 4) << 32;
}

static inline void xs_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void xs_put64(uint8_t *p, uint64_t v)
{
	xs_put32(p, (uint32_t)v);
	xs_put32(p + 4, (uint32_t)(v >> 32));
}

/* Called after node i has written its output y (count floats, channels per
 * pixel), before the next node runs; it may change y in place. Only for f32
 * outputs: int8 ones are not seen. */
typedef void (*xs_exec_hook_fn)(void *ctx, uint32_t node, float *y,
				size_t count, size_t channels,
				struct xk_threadpool *tp);
void xs_exec_set_hook(struct xs_exec *e, xs_exec_hook_fn fn, void *ctx);

#endif /* XS_INTERNAL_H */
