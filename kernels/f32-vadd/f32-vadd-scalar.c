/* f32-vadd-scalar.c - element-wise add (the residual) with a fused activation */
#include "xk-ukernel.h"

void xk_add(size_t n, const float *a, const float *b, enum xk_act act,
	    float *out)
{
	struct xk_act_params p;
	xk_act_params_init(&p, act);
	for (size_t i = 0; i < n; i++)
		out[i] = xk_epilogue(a[i] + b[i], &p);
}
