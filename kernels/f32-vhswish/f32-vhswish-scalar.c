/* f32-vhswish-scalar.c - h-swish and h-sigmoid, element-wise */
#include "xk-ukernel.h"

static inline float relu6_plus3(float x)
{
	float t = x + 3.0f;
	t = t < 0.0f ? 0.0f : t;
	return t > 6.0f ? 6.0f : t;
}

void xk_hswish(size_t n, const float *in, float *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (in[i] * relu6_plus3(in[i])) * (1.0f / 6.0f);
}

void xk_hsigmoid(size_t n, const float *in, float *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = relu6_plus3(in[i]) * (1.0f / 6.0f);
}
