/* file-read.h - reading a whole file that comes from outside (a manifest, a
 * model) with a bound on its size and without blocking: a FIFO, a directory
 * or a device in its place is refused at once, never waited on or read for
 * ever. The runtime's loader and `xnn-fleet manifest check` read through it. */
#ifndef XR_FILE_READ_H
#define XR_FILE_READ_H

#include <stddef.h>

#include "xr.h"

/* Reads path whole into *data (malloc'd, the caller frees; NUL-terminated,
 * *len bytes before the NUL) when it is a regular file of at most max
 * bytes. Errors, with why saying it and naming path: XR_EIO when it cannot
 * be opened or read ("cannot read 'x': No such file or directory");
 * XR_EINVAL when it is there but not a file to read: not a regular file
 * ("'x' is a FIFO, not a regular file"), or larger than max, or it grew
 * while being read; XR_ENOMEM. *data and *len are set only on XR_OK. */
enum xr_status xr_file_read(const char *path, size_t max, char **data, size_t *len, char *why,
			    size_t why_n);

#endif /* XR_FILE_READ_H */
