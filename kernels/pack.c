/* pack.c - weight packing for the micro-kernels, and aligned allocation */
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"

void *xk_alloc(size_t bytes)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0)
		return NULL;
	return p;
}

void xk_free(void *p) { free(p); }

size_t xk_pack_gemm_size(size_t k, size_t n, size_t nr)
{
	return xk_div_up(n, nr) * nr * (1 + k);
}

void xk_pack_gemm(size_t k, size_t n, size_t nr, const float *w,
		  const float *bias, float *packed)
{
	for (size_t n0 = 0; n0 < n; n0 += nr) {
		size_t nb = xk_min(nr, n - n0);
		memset(packed, 0, nr * (1 + k) * sizeof(float));
		for (size_t j = 0; j < nb; j++) {
			packed[j] = bias ? bias[n0 + j] : 0.0f;
			for (size_t kk = 0; kk < k; kk++)
				packed[nr + kk * nr + j] = w[(n0 + j) * k + kk];
		}
		packed += nr * (1 + k);
	}
}

size_t xk_pack_dwconv_size(size_t channels, size_t k, size_t ct)
{
	return xk_div_up(channels, ct) * ct * (1 + k * k);
}

void xk_pack_dwconv(size_t channels, size_t k, size_t ct, const float *w,
		    const float *bias, float *packed)
{
	for (size_t c0 = 0; c0 < channels; c0 += ct) {
		size_t cb = xk_min(ct, channels - c0);
		memset(packed, 0, ct * (1 + k * k) * sizeof(float));
		for (size_t c = 0; c < cb; c++) {
			packed[c] = bias ? bias[c0 + c] : 0.0f;
			for (size_t t = 0; t < k * k; t++)
				packed[ct + t * ct + c] = w[(c0 + c) * k * k + t];
		}
		packed += ct * (1 + k * k);
	}
}

size_t xk_pack_conv_size(size_t cin, size_t cout, size_t k, size_t nr)
{
	return xk_div_up(cout, nr) * nr * (1 + k * k * cin);
}

void xk_pack_conv(size_t cin, size_t cout, size_t k, size_t nr, const float *w,
		  const float *bias, float *packed)
{
	const size_t taps = k * k * cin;
	for (size_t o0 = 0; o0 < cout; o0 += nr) {
		size_t ob = xk_min(nr, cout - o0);
		memset(packed, 0, nr * (1 + taps) * sizeof(float));
		for (size_t j = 0; j < ob; j++) {
			packed[j] = bias ? bias[o0 + j] : 0.0f;
			for (size_t ky = 0; ky < k; ky++)
				for (size_t kx = 0; kx < k; kx++)
					for (size_t ci = 0; ci < cin; ci++) {
						size_t t = (ky * k + kx) * cin + ci;
						packed[nr + t * nr + j] =
							w[(((o0 + j) * cin + ci) * k + ky) * k + kx];
					}
		}
		packed += nr * (1 + taps);
	}
}
