/* qs8-quantize-scalar.c - reference f32 to int8 conversion. */
#include "xk-ukernel.h"

void xk_qs8_quantize_ukernel__scalar(size_t n, const float *in, int8_t *out,
				     const struct xk_qs8_quantize *p)
{
	for (size_t i = 0; i < n; i++)
		out[i] = xk_qs8_quantize1(in[i], p);
}
