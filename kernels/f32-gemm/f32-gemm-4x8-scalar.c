/* f32-gemm-4x8-scalar.c - reference f32 GEMM micro-kernel (the test oracle) */
#include <assert.h>

#include "xk-ukernel.h"

void xk_f32_gemm_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc,
				     const float *a, size_t a_stride,
				     const float *w, float *c, size_t c_stride,
				     const struct xk_act_params *p)
{
	assert(mr >= 1 && mr <= 4 && nc >= 1 && kc >= 1);
	for (size_t n0 = 0; n0 < nc; n0 += 8) {
		size_t nb = xk_min(8, nc - n0);
		for (size_t i = 0; i < mr; i++) {
			float acc[8];
			for (size_t j = 0; j < 8; j++)
				acc[j] = w[j];
			for (size_t k = 0; k < kc; k++) {
				float ak = a[i * a_stride + k];
				for (size_t j = 0; j < 8; j++)
					acc[j] += ak * w[8 + k * 8 + j];
			}
			for (size_t j = 0; j < nb; j++)
				c[i * c_stride + n0 + j] = xk_epilogue(acc[j], p);
		}
		w += 8 + kc * 8;
	}
}
