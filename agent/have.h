/* have.h - the rows a kernel table has already (`xnn-agent kernels --have
 * FILE`): one key per line, "threads,piece,stage,first,res,expand,kernel",
 * as the harness writes them from the DB; the pieces they name are not
 * timed again. */
#ifndef XA_HAVE_H
#define XA_HAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xa_have {
	char *text;                /* owned: the file, its lines cut in place */
	char **keys;               /* owned: into text, sorted */
	size_t n;
};

/* The keys of text (len bytes; text is taken over, NUL at text[len]):
 * blank lines and a "\r" before "\n" are skipped; a stray line matches no
 * piece. false (h empty, text freed) only when out of memory. */
bool xa_have_parse(char *text, size_t len, struct xa_have *h);
/* Whether the row of this piece at threads is in h (NULL: none is). */
bool xa_have_has(const struct xa_have *h, int threads, const char *kind, int stage, int first,
		 uint32_t res, uint32_t e, uint32_t k);
/* Whether h holds key, a line as the file has it. */
bool xa_have_key(const struct xa_have *h, const char *key);
void xa_have_release(struct xa_have *h);

#endif /* XA_HAVE_H */
