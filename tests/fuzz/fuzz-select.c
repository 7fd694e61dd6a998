/* fuzz-select.c - libFuzzer target: the selector's readers of outside text,
 * the --budget spec and the --population CSV (harness/select/budget.c). An accepted
 * budget prints and reads back the same; an accepted population has
 * non-negative shares summing to 1; a refusal always says why. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	/* the budget: a C string (the command line has no NUL) */
	char text[512];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	struct xf_budget b, again;
	why[0] = '\0';
	if (xf_budget_parse(text, &b, why, sizeof(why))) {
		char printed[128];
		xf_budget_print(&b, printed, sizeof(printed));
		if (!xf_budget_parse(printed, &again, why, sizeof(why)) || again.memory != b.memory ||
		    again.size != b.size || again.percentile != b.percentile)
			__builtin_trap();
	} else if (why[0] == '\0') {
		__builtin_trap();
	}
	/* the population: any bytes */
	struct xf_share *rows;
	size_t nrows;
	why[0] = '\0';
	if (xf_population_parse((const char *)data, size, &rows, &nrows, why, sizeof(why))) {
		double total = 0;
		for (size_t i = 0; i < nrows; i++) {
			if (!(rows[i].share >= 0) || memchr(rows[i].model, '\0', sizeof(rows[i].model)) == NULL)
				__builtin_trap();
			total += rows[i].share;
		}
		if (nrows == 0 || fabs(total - 1) > 1e-9)
			__builtin_trap();
		free(rows);
	} else if (why[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
