/* f32-resize-bilinear-scalar.c - bilinear resize, NHWC, half-pixel centres
 * (PyTorch's interpolate(mode="bilinear", align_corners=False)): the source
 * coordinate of output x is max((x + 0.5) * in / out - 0.5, 0). */
#include "xk-ukernel.h"

static void source(size_t o, size_t in, size_t out, size_t *i0, size_t *i1,
		   float *frac)
{
	float x = ((float)o + 0.5f) * ((float)in / (float)out) - 0.5f;
	if (x < 0.0f)
		x = 0.0f;
	size_t i = (size_t)x;
	if (i > in - 1)
		i = in - 1;
	*i0 = i;
	*i1 = i + 1 < in ? i + 1 : in - 1;
	*frac = x - (float)i;
}

void xk_resize_bilinear(size_t batch, size_t ih, size_t iw, size_t oh,
			size_t ow, size_t channels, const float *in,
			float *out)
{
	for (size_t b = 0; b < batch; b++) {
		const float *x = in + b * ih * iw * channels;
		float *y = out + b * oh * ow * channels;
		for (size_t oy = 0; oy < oh; oy++) {
			size_t y0, y1;
			float fy;
			source(oy, ih, oh, &y0, &y1, &fy);
			for (size_t ox = 0; ox < ow; ox++) {
				size_t x0, x1;
				float fx;
				source(ox, iw, ow, &x0, &x1, &fx);
				const float *p00 = x + (y0 * iw + x0) * channels;
				const float *p01 = x + (y0 * iw + x1) * channels;
				const float *p10 = x + (y1 * iw + x0) * channels;
				const float *p11 = x + (y1 * iw + x1) * channels;
				float *q = y + (oy * ow + ox) * channels;
				for (size_t c = 0; c < channels; c++) {
					float top = p00[c] + (p01[c] - p00[c]) * fx;
					float bot = p10[c] + (p11[c] - p10[c]) * fx;
					q[c] = top + (bot - top) * fy;
				}
			}
		}
	}
}
