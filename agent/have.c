/* have.c - the rows a kernel table has already (have.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "have.h"

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool xa_have_parse(char *text, size_t len, struct xa_have *h)
{
	memset(h, 0, sizeof(*h));
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if ((h->keys = calloc(lines, sizeof(*h->keys))) == NULL) {
		free(text);
		return false;
	}
	h->text = text;
	for (char *l = text; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		l[strcspn(l, "\r")] = '\0';
		if (*l)
			h->keys[h->n++] = l;
		l = nl ? nl + 1 : NULL;
	}
	qsort(h->keys, h->n, sizeof(*h->keys), key_cmp);
	return true;
}

bool xa_have_key(const struct xa_have *h, const char *key)
{
	return h && h->n && bsearch(&key, h->keys, h->n, sizeof(*h->keys), key_cmp) != NULL;
}

bool xa_have_has(const struct xa_have *h, int threads, const char *kind, int stage, int first,
		 uint32_t res, uint32_t e, uint32_t k)
{
	if (h == NULL || h->n == 0)
		return false;
	char key[96];
	snprintf(key, sizeof(key), "%d,%s,%d,%d,%u,%u,%u", threads, kind, stage, first, res, e, k);
	return xa_have_key(h, key);
}

void xa_have_release(struct xa_have *h)
{
	free(h->text);
	free(h->keys);
	memset(h, 0, sizeof(*h));
}
