/* qs8-gemm-4x8-scalar.c - reference int8 GEMM micro-kernel: 4 rows x 8
 * columns, KR 1, a read as signed (a_offset 0). */
#include <assert.h>

#include "xk-ukernel.h"

void xk_qs8_gemm_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc,
				     const int8_t *a, size_t a_stride,
				     const void *w, int8_t *c, size_t c_stride,
				     const struct xk_qs8_params *p)
{
	enum { MR = 4, NR = 8 };
	assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1);
	const uint8_t *strip = w;
	for (size_t j0 = 0; j0 < nc; j0 += NR) {
		const size_t n = nc - j0 < NR ? nc - j0 : NR;
		int32_t bias[NR];
		float m[NR];
		memcpy(bias, strip, sizeof(bias));
		memcpy(m, strip + 4 * NR, sizeof(m));
		const int8_t *wk = (const int8_t *)(strip + 8 * NR);
		int32_t acc[MR][NR];
		for (size_t i = 0; i < mr; i++)
			for (size_t j = 0; j < NR; j++)
				acc[i][j] = bias[j];
		for (size_t k = 0; k < kc; k++)
			for (size_t i = 0; i < mr; i++) {
				const int32_t x = a[i * a_stride + k];
				for (size_t j = 0; j < NR; j++)
					acc[i][j] += x * (int32_t)wk[k * NR + j];
			}
		for (size_t i = 0; i < mr; i++)
			for (size_t j = 0; j < n; j++)
				c[i * c_stride + j0 + j] = xk_qs8_requant(acc[i][j], m[j], p);
		strip += xk_qs8_gemm_strip_bytes(kc, NR, 1);
	}
}
