/* f32-gavgpool-scalar.c - global average pooling, NHWC: the mean of each
 * channel over all pixels (sum in pixel order, then one multiply) */
#include "xk-ukernel.h"

void xk_gavgpool(size_t batch, size_t pixels, size_t channels, const float *in,
		 float *out)
{
	const float scale = 1.0f / (float)pixels;
	for (size_t b = 0; b < batch; b++) {
		float *o = out + b * channels;
		const float *x = in + b * pixels * channels;
		for (size_t c = 0; c < channels; c++)
			o[c] = 0.0f;
		for (size_t p = 0; p < pixels; p++)
			for (size_t c = 0; c < channels; c++)
				o[c] += x[p * channels + c];
		for (size_t c = 0; c < channels; c++)
			o[c] *= scale;
	}
}
