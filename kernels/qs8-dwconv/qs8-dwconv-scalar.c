/* qs8-dwconv-scalar.c - reference int8 depthwise micro-kernels (3x3, 5x5,
 * 7x7; stride 1 and 2), one output row each, channel tile 1, int16 weights. */
#include <assert.h>

#include "xk-ukernel.h"

static inline void dwconv_row(size_t k, size_t s, size_t channels,
			      size_t cstride, size_t in_w, size_t out_w,
			      const int8_t *const *rows, const int8_t *zero,
			      const void *w, int8_t *out,
			      const struct xk_qs8_params *p)
{
	const size_t pad = (k - 1) / 2, tile = xk_qs8_dwconv_tile_bytes(k, 1, 2);
	assert(channels >= 1 && cstride >= channels && in_w >= 1 && out_w >= 1);
	for (size_t c = 0; c < channels; c++) {
		const uint8_t *wc = (const uint8_t *)w + c * tile;
		int32_t bias;
		float m;
		memcpy(&bias, wc, 4);
		memcpy(&m, wc + 4, 4);
		for (size_t ox = 0; ox < out_w; ox++) {
			int32_t acc = bias;
			for (size_t ky = 0; ky < k; ky++)
				for (size_t kx = 0; kx < k; kx++) {
					size_t ix = ox * s + kx; /* + pad */
					int32_t x = rows[ky] == NULL || ix < pad || ix - pad >= in_w
							    ? zero[c]
							    : rows[ky][(ix - pad) * cstride + c];
					acc += x * xk_qs8_dw_weight(wc + 8, ky * k + kx, 2);
				}
			out[ox * cstride + c] = xk_qs8_requant(acc, m, p);
		}
	}
}

#define DWCONV_SCALAR(K, S)                                                    \
	void xk_qs8_dwconv_ukernel_##K##x##K##s##S##__scalar(                 \
		size_t channels, size_t cstride, size_t in_w, size_t out_w,   \
		const int8_t *const *rows, const int8_t *zero, const void *w, \
		int8_t *out, const struct xk_qs8_params *p)                    \
	{                                                                      \
		dwconv_row(K, S, channels, cstride, in_w, out_w, rows, zero,   \
			   w, out, p);                                         \
	}

DWCONV_SCALAR(3, 1)
DWCONV_SCALAR(3, 2)
DWCONV_SCALAR(5, 1)
DWCONV_SCALAR(5, 2)
DWCONV_SCALAR(7, 1)
DWCONV_SCALAR(7, 2)
