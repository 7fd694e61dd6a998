/* synth.c - the synthetic ImageNet-scale supernet (see xs.h): a space like
 * Once-for-All's MobileNetV3 with seeded weights, for latency-only sweeps. */
#include <math.h>
#include <string.h>

#include "xs.h"

void xs_space_synthetic(struct xs_space *sp)
{
	static const struct xs_stage stages[5] = {
		{24, 2, XK_ACT_RELU},    {40, 2, XK_ACT_RELU},    {80, 2, XK_ACT_HSWISH},
		{112, 1, XK_ACT_HSWISH}, {160, 2, XK_ACT_HSWISH}};
	memset(sp, 0, sizeof(*sp));
	strcpy(sp->name, "ofa-mbv3-synthetic");
	sp->in_c = 3;
	sp->in_h = sp->in_w = 224;
	sp->mean = 0.45f;
	sp->std = 0.225f;
	sp->nres = 5;
	for (uint32_t i = 0; i < 5; i++)
		sp->res[i] = 160 + 16 * i;
	sp->stem_out = 16;
	sp->stem_k = 3;
	sp->stem_s = 2;
	sp->stem_act = XK_ACT_HSWISH;
	sp->nstages = 5;
	memcpy(sp->stage, stages, sizeof(stages));
	sp->ndepths = sp->nexpands = sp->nkernels = 3;
	const uint32_t depths[3] = {2, 3, 4}, expands[3] = {3, 4, 6}, kernels[3] = {3, 5, 7};
	memcpy(sp->depths, depths, sizeof(depths));
	memcpy(sp->expands, expands, sizeof(expands));
	memcpy(sp->kernels, kernels, sizeof(kernels));
	sp->head_out = 960;
	sp->head_act = XK_ACT_HSWISH;
	sp->classes = 1000;
	sp->bn_eps = 1e-5f;
	sp->kernel_transform = false;
	sp->recal_images = 0; /* no data: the stored BN statistics are used */
	sp->val_images = 0;
}

void xs_synthetic_fill(const struct xs_tensor_desc *d, float *out, size_t count,
		       void *seed)
{
	uint64_t *state = seed;
	const char *leaf = strrchr(d->name, '.');
	leaf = leaf ? leaf + 1 : d->name;
	if (d->ndim == 1) { /* BN and biases: the identity, zero bias */
		float v = strcmp(leaf, "weight") == 0 || strcmp(leaf, "running_var") == 0;
		for (size_t i = 0; i < count; i++)
			out[i] = v;
		return;
	}
	/* fan-in: everything but the output dimension; depthwise has 1 input */
	size_t fan_in = count / d->dims[0];
	float a = sqrtf(6.0f / (float)(fan_in ? fan_in : 1)); /* U(-a, a): var 2/fan_in */
	for (size_t i = 0; i < count; i++) {
		uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		*state = x;
		float u = (float)((x * 0x2545f4914f6cdd1dull) >> 40) / (float)(1 << 24);
		out[i] = (2.0f * u - 1.0f) * a;
	}
}
