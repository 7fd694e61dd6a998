/* models.h - the models list of `xnn-agent bench --models FILE`: sub-models
 * made elsewhere (the harness extracts them on the host and pushes them), and
 * opening one of them with its sha256 checked first.
 *
 * The list is text, one model per line, four fields separated by tabs:
 *
 *     ARCH <TAB> PRECISION <TAB> FILE <TAB> SHA256
 *
 * ARCH is the arch string (it holds commas, hence tabs), PRECISION f32 or
 * int8, FILE the .xnm file (relative to the list's folder unless it starts
 * with '/'), SHA256 the 64 hex digits of the file's bytes (what sha256sum
 * prints). Blanks around a field and blank lines are ignored; '#' starts a
 * comment to the end of the line (so FILE holds no '#').
 *
 * Library code: returns a status with the message in a struct xs_error
 * (which may be NULL); never prints. */
#ifndef XA_MODELS_H
#define XA_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "xs.h"

#define XA_MODEL_FILE_MAX 512          /* a FILE field, with its NUL */
#define XA_MODELS_LIST_MAX (4u << 20)  /* the largest list xa_models_load reads */

/* One line of a models list. */
struct xa_model_entry {
	char arch[XS_ARCH_MAX];        /* as written */
	enum xs_precision precision;
	char file[XA_MODEL_FILE_MAX];  /* as written */
	uint8_t sha256[32];            /* the file's, as the list says */
	size_t line;                   /* its line in the list (1-based) */
};

/* Parses the len bytes of a models list (no NUL needed). *out gets the
 * entries in list order (malloc'd, the caller frees; NULL when there are
 * none) and *n their count, both only on success. XS_EFORMAT when a line is
 * malformed (not four fields, an empty field, a field too long, a precision
 * other than f32 or int8, a sha256 that is not 64 hex digits, a NUL byte):
 * err says which line and what is wrong. XS_ENOMEM. */
enum xs_status xa_models_parse(const char *text, size_t len, struct xa_model_entry **out,
			       size_t *n, struct xs_error *err);

/* Reads the list at path (at most XA_MODELS_LIST_MAX bytes) and parses it as
 * xa_models_parse does; err names the file. XS_EIO when it cannot be read. */
enum xs_status xa_models_load(const char *path, struct xa_model_entry **out, size_t *n,
			      struct xs_error *err);

/* The model of e: reads its file (dir/FILE for a relative FILE; dir may be
 * NULL for the current folder), checks the bytes' sha256 against the list's
 * before anything else reads them, loads them (xs_model_load_buffer and its
 * own checks) and checks that the model is e's arch and precision. *out
 * (xs_model_destroy it) only on success. Errors name the file and say what
 * to do: XS_EIO when it cannot be read, XS_ECHECKSUM when its sha256 is not
 * the list's ("the file was damaged in transfer"), XS_EFORMAT when it does
 * not load or holds another model, XS_ENOMEM. */
enum xs_status xa_model_open(const struct xa_model_entry *e, const char *dir,
			     struct xs_model **out, struct xs_error *err);

#endif /* XA_MODELS_H */
