/* f32-softmax-scalar.c - softmax over rows (max-subtracted) and argmax */
#include <math.h>

#include "xk-ukernel.h"

void xk_softmax(size_t rows, size_t n, const float *in, float *out)
{
	for (size_t r = 0; r < rows; r++) {
		const float *x = in + r * n;
		float *y = out + r * n;
		float m = x[0];
		for (size_t i = 1; i < n; i++)
			m = x[i] > m ? x[i] : m;
		float sum = 0.0f;
		for (size_t i = 0; i < n; i++) {
			y[i] = expf(x[i] - m);
			sum += y[i];
		}
		float inv = 1.0f / sum;
		for (size_t i = 0; i < n; i++)
			y[i] *= inv;
	}
}

size_t xk_argmax(size_t n, const float *x)
{
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (x[i] > x[best] || (x[best] != x[best] && x[i] == x[i]))
			best = i;
	return best;
}
