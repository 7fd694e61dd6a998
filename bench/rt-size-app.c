/* rt-size-app.c - the smallest app on libxnnrt: open a manifest, run one
 * image, close. `make runtime-size` links it statically, strips it and
 * subtracts rt-size-empty (the same program without the runtime): what the
 * runtime adds to an app. */
#include <stdint.h>
#include <stdio.h>

#include "xr.h"

int main(int argc, char **argv)
{
	struct xr_runtime *rt;
	if (argc < 3 || xr_open(argv[1], argv[2], &rt) != XR_OK) {
		fputs("rt-size-app MANIFEST MODELS_DIR\n", stderr);
		return 1;
	}
	static uint8_t pixels[28 * 28];
	static float logits[1000];
	xr_run(rt, pixels, logits);
	xr_close(rt);
	return logits[0] != logits[0];  /* NaN: something is wrong */
}
