/* file.c - opening a file to read it whole: a regular file only. A FIFO
 * with no writer, a directory or a device given where a supernet, a model
 * or an IDX file belongs is refused at once, not waited on. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xs.h"

static const char *kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a file";
}

FILE *xs_open_regular(const char *path, char *why, size_t why_n)
{
	/* O_NONBLOCK: opening a FIFO with no writer returns at once */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_n, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(why, why_n, "cannot open '%s': %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_n, "'%s' is %s, not a regular file: give the file itself", path,
			 kind(st.st_mode));
		close(fd);
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	FILE *f = fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0 ? NULL : fdopen(fd, "rb");
	if (f == NULL) {
		snprintf(why, why_n, "cannot open '%s': %s", path, strerror(errno));
		close(fd);
	}
	return f;
}
