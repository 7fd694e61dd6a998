/* qs8-vadd-scalar.c - reference int8 element-wise add. */
#include "xk-ukernel.h"

void xk_qs8_vadd_ukernel__scalar(size_t n, const int8_t *a, const int8_t *b,
				 int8_t *out, const struct xk_qs8_add *p)
{
	for (size_t i = 0; i < n; i++)
		out[i] = xk_qs8_add1(a[i], b[i], p);
}
