/* f32-conv-4x8-scalar.c - reference f32 full-convolution micro-kernel */
#include <assert.h>

#include "xk-ukernel.h"

void xk_f32_conv_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kh,
				     size_t kwc, size_t xstride,
				     const float *const *rows, const float *w,
				     float *c, size_t c_stride,
				     const struct xk_act_params *p)
{
	assert(mr >= 1 && mr <= 4 && nc >= 1 && kh >= 1 && kwc >= 1);
	const size_t strip = 8 + kh * kwc * 8;
	for (size_t n0 = 0; n0 < nc; n0 += 8) {
		size_t nb = xk_min(8, nc - n0);
		for (size_t i = 0; i < mr; i++) {
			float acc[8];
			for (size_t j = 0; j < 8; j++)
				acc[j] = w[j];
			for (size_t ky = 0; ky < kh; ky++) {
				if (rows[ky] == NULL)
					continue;
				const float *x = rows[ky] + i * xstride;
				const float *wk = w + 8 + ky * kwc * 8;
				for (size_t t = 0; t < kwc; t++)
					for (size_t j = 0; j < 8; j++)
						acc[j] += x[t] * wk[t * 8 + j];
			}
			for (size_t j = 0; j < nb; j++)
				c[i * c_stride + n0 + j] = xk_epilogue(acc[j], p);
		}
		w += strip;
	}
}
