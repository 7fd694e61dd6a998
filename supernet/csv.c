/* csv.c - the one CSV field writer (xs.h): RFC 4180 quoting. */
#include <string.h>

#include "xs.h"

void xs_csv_put(FILE *f, const char *v)
{
	if (v == NULL)
		return;
	size_t n = strlen(v);
	bool edge = n && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t');
	if (strpbrk(v, ",\"\r\n") == NULL && !edge) {
		fputs(v, f);
		return;
	}
	putc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			putc('"', f);
		putc(*v, f);
	}
	putc('"', f);
}
