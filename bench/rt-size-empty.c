/* rt-size-empty.c - rt-size-app without the runtime: the libc a static
 * program carries anyway (see rt-size-app.c). */
#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc < 3) {
		fputs("rt-size-app MANIFEST MODELS_DIR\n", stderr);
		return 1;
	}
	return 0;
}
