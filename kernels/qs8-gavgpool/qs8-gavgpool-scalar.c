/* qs8-gavgpool-scalar.c - reference int8 global average pooling, one image:
 * an int32 sum per channel in pixel order, then the requantization. */
#include "xk-ukernel.h"

void xk_qs8_gavgpool_ukernel__scalar(size_t pixels, size_t channels,
				     const int8_t *in, int8_t *out,
				     const struct xk_qs8_gavgpool *p)
{
	for (size_t c = 0; c < channels; c++) {
		int32_t acc = p->bias;
		for (size_t i = 0; i < pixels; i++)
			acc += in[i * channels + c];
		float y = (float)acc * p->m;
		y = y < p->lo ? p->lo : y;
		y = y > p->hi ? p->hi : y;
		out[c] = (int8_t)(xk_rne(y) + p->zp);
	}
}
