/* f32-dwconv-scalar.c - reference f32 depthwise micro-kernels (3x3, 5x5, 7x7;
 * stride 1 and 2), one output row each, channel tile 1 */
#include <assert.h>

#include "xk-ukernel.h"

static inline void dwconv_row(size_t k, size_t s, size_t channels,
			      size_t cstride, size_t in_w, size_t out_w,
			      const float *const *rows, const float *w,
			      float *out, const struct xk_act_params *p)
{
	const size_t pad = (k - 1) / 2;
	assert(channels >= 1 && cstride >= channels && in_w >= 1 && out_w >= 1);
	for (size_t c = 0; c < channels; c++) {
		const float *wc = w + c * (1 + k * k);
		for (size_t ox = 0; ox < out_w; ox++) {
			float acc = wc[0];
			for (size_t ky = 0; ky < k; ky++) {
				if (rows[ky] == NULL)
					continue;
				for (size_t kx = 0; kx < k; kx++) {
					size_t ix = ox * s + kx; /* + pad */
					if (ix < pad || ix - pad >= in_w)
						continue;
					acc += rows[ky][(ix - pad) * cstride + c] *
					       wc[1 + ky * k + kx];
				}
			}
			out[ox * cstride + c] = xk_epilogue(acc, p);
		}
	}
}

#define DWCONV_SCALAR(K, S)                                                    \
	void xk_f32_dwconv_ukernel_##K##x##K##s##S##__scalar(                 \
		size_t channels, size_t cstride, size_t in_w, size_t out_w,   \
		const float *const *rows, const float *w, float *out,         \
		const struct xk_act_params *p)                                 \
	{                                                                      \
		dwconv_row(K, S, channels, cstride, in_w, out_w, rows, w, out, \
			   p);                                                 \
	}

DWCONV_SCALAR(3, 1)
DWCONV_SCALAR(3, 2)
DWCONV_SCALAR(5, 1)
DWCONV_SCALAR(5, 2)
DWCONV_SCALAR(7, 1)
DWCONV_SCALAR(7, 2)
