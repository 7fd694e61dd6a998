/* fuzz-arch.c - libFuzzer target: arch strings against the fmnist space;
 * what parses must print back to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char space_text[] =
	"name=fmnist-ofa\ninput=1x28x28\nmean=0.286\nstd=0.353\n"
	"resolutions=20,24,28\nstem=16,3,1,hswish\nstages=4\n"
	"stage1=24,2,relu\nstage2=40,2,relu\nstage3=64,2,hswish\nstage4=96,1,hswish\n"
	"depths=1,2,3\nexpands=2,3,4\nkernels=3,5,7\nhead=192,hswish\nclasses=10\n"
	"bn_eps=1e-05\nkernel_transform=1\nrecal_images=512\nval_images=5000\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xs_space sp;
	static int ready;
	struct xs_error err;
	if (!ready) {
		if (xs_space_parse(space_text, sizeof(space_text) - 1, &sp, &err) != XS_OK)
			__builtin_trap();
		ready = 1;
	}
	char text[1024];
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct xs_arch a;
	if (xs_arch_parse(&sp, text, &a, &err) == XS_OK) {
		char again[XS_ARCH_MAX];
		xs_arch_print(&sp, &a, again, sizeof(again));
		if (strcmp(text, again) != 0)
			__builtin_trap();
	}
	return 0;
}
