/* file-read.c - a whole regular file, bounded, opened without blocking
 * (file-read.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-read.h"

/* What a file that is not a regular one is, for a message. */
static const char *kind(mode_t mode)
{
	return S_ISFIFO(mode) ? "a FIFO" : S_ISDIR(mode) ? "a directory" : S_ISCHR(mode)
	       ? "a character device" : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode)
	       ? "a socket" : "not a plain file";
}

/* Reads exactly want bytes of fd into buf (want + 1 long); false when it
 * cannot be read or holds more (it grew), with errno 0 for the latter. */
static bool read_all(int fd, char *buf, size_t want, size_t *got)
{
	size_t n = 0;
	while (n <= want) {
		ssize_t r = read(fd, buf + n, want + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return false;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	errno = 0;
	return n <= want;
}

enum xr_status xr_file_read(const char *path, size_t max, char **data, size_t *len, char *why,
			    size_t why_n)
{
	/* O_NONBLOCK: opening a FIFO with no writer returns at once */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_n, "cannot read '%s': %s", path, strerror(errno));
		return XR_EIO;
	}
	struct stat st;
	enum xr_status status = XR_EINVAL;
	char *buf = NULL;
	size_t got = 0;
	if (fstat(fd, &st) != 0) {
		snprintf(why, why_n, "cannot read '%s': %s", path, strerror(errno));
		status = XR_EIO;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_n, "'%s' is %s, not a regular file: copy the file itself there", path,
			 kind(st.st_mode));
	} else if ((unsigned long long)st.st_size > max ||
		   (unsigned long long)st.st_size >= (unsigned long long)SIZE_MAX) {
		snprintf(why, why_n, "'%s' has %lld bytes, more than %zu", path,
			 (long long)st.st_size, max);
	} else if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(why, why_n, "'%s': out of memory", path);
		status = XR_ENOMEM;
	} else if (!read_all(fd, buf, (size_t)st.st_size, &got)) {
		int e = errno;
		if (e)
			snprintf(why, why_n, "cannot read '%s': %s", path, strerror(e));
		else
			snprintf(why, why_n, "'%s' grew while it was read: read it again when it is "
				 "written", path);
		status = e ? XR_EIO : XR_EINVAL;
	} else {
		status = XR_OK;
	}
	close(fd);
	if (status != XR_OK) {
		free(buf);
		return status;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return XR_OK;
}
