/* classify.c - an app's use of libxnnrt: open the manifest, say which tier
 * this device got and why, classify one image of the Fashion-MNIST test set.
 *
 *   classify MANIFEST MODELS_DIR [IMAGE_INDEX [IMAGES]]
 *
 * IMAGES is a plain IDX file (default: t10k-images-idx3-ubyte in
 * MODELS_DIR). Exit status: 0, 1 when the runtime refuses, 2 on usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xr.h"
#include "xs.h"

static const char *const names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
				      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: classify MANIFEST MODELS_DIR [IMAGE_INDEX [IMAGES]]\n");
		return 2;
	}
	char *end;
	long index = argc > 3 ? strtol(argv[3], &end, 10) : 0;
	if (argc > 3 && (*end || index < 0)) {
		fprintf(stderr, "classify: '%s' is not an image index\n", argv[3]);
		return 2;
	}
	char images[4096];
	if (argc > 4)
		snprintf(images, sizeof(images), "%s", argv[4]);
	else
		snprintf(images, sizeof(images), "%s/t10k-images-idx3-ubyte", argv[2]);
	struct xr_runtime *rt;
	enum xr_status st = xr_open(argv[1], argv[2], &rt);
	if (st != XR_OK) {
		fprintf(stderr, "classify: %s: %s\n", xr_strerror(st), xr_last_error());
		return 1;
	}
	const char *why;
	const char *tier = xr_tier(rt, &why);
	printf("tier   %s\nwhy    %s\n", tier, why);
	struct xs_idx *idx;
	struct xs_error err;
	if (xs_idx_load(images, 3, &idx, &err) != XS_OK) {
		fprintf(stderr, "classify: %s\n", err.msg);
		xr_close(rt);
		return 1;
	}
	size_t px = xr_input_pixels(rt);
	if ((size_t)idx->rows * idx->cols != px || (uint32_t)index >= idx->count) {
		fprintf(stderr, "classify: '%s' has %u images of %ux%u; the model takes %zu pixels\n",
			images, idx->count, idx->rows, idx->cols, px);
		xs_idx_destroy(idx);
		xr_close(rt);
		return 1;
	}
	size_t nc = xr_classes(rt);
	float *logits = malloc(nc * sizeof(float));
	if (logits == NULL) {
		xs_idx_destroy(idx);
		xr_close(rt);
		return 1;
	}
	xr_run(rt, idx->data + (size_t)index * px, logits);
	size_t best = 0;
	for (size_t k = 1; k < nc; k++)
		if (logits[k] > logits[best])
			best = k;
	printf("image  %ld\nclass  %zu %s (logit %.3f)\n", index, best,
	       nc == 10 ? names[best] : "", (double)logits[best]);
	free(logits);
	xs_idx_destroy(idx);
	xr_close(rt);
	return 0;
}
