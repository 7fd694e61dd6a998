/* util.h - the small things every part of the harness library needs once:
 * a monotonic clock, the temporary folder, reading and writing a whole file,
 * filling an error, growing an array, the CPU count, precision lists.
 *
 * The harness's error convention (every library function keeps it): a
 * function that can fail returns an enum xs_status and fills the struct
 * xs_error passed last, which may be NULL (xf_error_set then does nothing).
 * Messages are lowercase, name the thing in quotes and end without a full
 * stop. Library code never prints; progress goes through callbacks. */
#ifndef XF_UTIL_H
#define XF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "xs.h"

/* Seconds of CLOCK_MONOTONIC. Cannot fail. */
double xf_now(void);

/* $TMPDIR when set and not empty, else "/tmp". Cannot fail. */
const char *xf_tmpdir(void);

/* Sets err->msg (printf format) when err is not NULL; returns st, so that
 * `return xf_error_set(err, XS_EIO, "cannot open '%s'", p);` reads well. */
enum xs_status xf_error_set(struct xs_error *err, enum xs_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads all of path (at most max bytes) into *data (malloc'd, NUL-terminated
 * one past *len; the caller frees it). XS_EIO when it cannot be read,
 * XS_EFORMAT when it is larger than max, XS_ENOMEM; err names the file. */
enum xs_status xf_file_read(const char *path, size_t max, char **data, size_t *len,
			    struct xs_error *err);

/* Writes data to path through path.tmp and a rename: a reader never sees
 * half a file. XS_EIO with err naming the file. */
enum xs_status xf_file_write(const char *path, const void *data, size_t n,
			     struct xs_error *err);

/* Room for one more element in the array at *items (n in use, *cap
 * allocated, size bytes each): the capacity doubles from first. false when
 * out of memory (the array stays as it was). */
bool xf_grow(void *items, size_t n, size_t *cap, size_t size, size_t first);

/* Whether prog (a name, not a path) is an executable file in a folder of
 * $PATH (/usr/bin:/bin when unset). Cannot fail. */
bool xf_in_path(const char *prog);

/* The number of online CPUs (1 to 1024). Cannot fail. */
int xf_cpus(void);

/* "f32", "int8", "f32,int8" or "int8,f32": out gets them in that order (f32
 * first), *n how many. false on anything else (an empty word, a repeat). */
bool xf_precision_list_parse(const char *text, enum xs_precision out[2], size_t *n);

#endif /* XF_UTIL_H */
