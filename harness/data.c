/* data.c - the data set files the host reads: Debian's dataset-fashion-mnist
 * ships gzip'd IDX files; the host decompresses them (by running gzip from
 * argv, never a shell) and the device side reads plain IDX. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data.h"
#include "util.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Runs gzip -dc path and reads its output into *buf. */
static enum xs_status gunzip(const char *path, uint8_t **buf, size_t *size,
			     struct xs_error *err)
{
	if (access(path, R_OK) != 0) {
		bool data = errno == ENOENT && strncmp(path, XF_DATA_DIR, strlen(XF_DATA_DIR)) == 0;
		return xf_error_set(err, XS_EIO, "cannot open '%.120s': %.40s%s", path,
			 strerror(errno), data ? " (install dataset-fashion-mnist: "
			 "scripts/install-deps.sh)" : "");
	}
	int fd[2];
	if (pipe(fd) != 0) {
		xf_error_set(err, XS_EIO, "pipe: %s", strerror(errno));
		return XS_EIO;
	}
	pid_t pid = fork();
	if (pid < 0) {
		xf_error_set(err, XS_EIO, "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return XS_EIO;
	}
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execlp("gzip", "gzip", "-dc", "--", path, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	size_t cap = 1 << 20, n = 0;
	uint8_t *b = malloc(cap);
	enum xs_status st = XS_OK;
	for (;;) {
		if (b == NULL) {
			xf_error_set(err, XS_EIO, "'%.200s': out of memory", path);
			st = XS_ENOMEM;
			break;
		}
		if (n == cap) {
			uint8_t *nb = realloc(b, cap *= 2);
			if (nb == NULL)
				free(b);
			b = nb;
			continue;
		}
		ssize_t r = read(fd[0], b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (st == XS_OK && (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)) {
		xf_error_set(err, XS_EIO, "cannot decompress '%.200s': gzip %s",
			 path, WIFEXITED(ws) && WEXITSTATUS(ws) == 127 ? "is not installed"
			 : "failed (is the file cut?)");
		st = XS_EIO;
	}
	if (st != XS_OK) {
		free(b);
		return st;
	}
	*buf = b;
	*size = n;
	return XS_OK;
}

enum xs_status xf_idx_load(const char *path, uint32_t dims, struct xs_idx **out,
			   struct xs_error *err)
{
	if (!ends_with(path, ".gz"))
		return xs_idx_load(path, dims, out, err);
	uint8_t *buf = NULL;
	size_t size = 0;
	enum xs_status st = gunzip(path, &buf, &size, err);
	if (st != XS_OK)
		return st;
	struct xs_error e;
	st = xs_idx_load_buffer(buf, size, dims, out, &e);
	free(buf);
	if (st != XS_OK)
		xf_error_set(err, st, "'%.100s': %.400s", path, e.msg);
	return st;
}

/* ---- the plain IDX cache ------------------------------------------------------------ */

enum xs_status xf_data_cached(const char *gz, const char *name, char *out, size_t n,
			      struct xs_error *err)
{
	const char *home = getenv("HOME");
	const char *cache = getenv("XDG_CACHE_HOME");
	char dir[PATH_MAX];
	if (cache && *cache)
		snprintf(dir, sizeof(dir), "%s/xnn-fleet", cache);
	else
		snprintf(dir, sizeof(dir), "%s/.cache/xnn-fleet", home ? home : "/tmp");
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		mkdir(parent, 0755);
	}
	mkdir(dir, 0755);
	if ((size_t)snprintf(out, n, "%.3000s/%.64s", dir, name) >= n)
		return xf_error_set(err, XS_EINVAL, "'%.300s': the cache path is too long", dir);
	if (access(out, R_OK) == 0)
		return XS_OK;
	struct xs_idx *idx;
	struct xs_error e;
	enum xs_status st = xf_idx_load(gz, strstr(name, "labels") ? 1 : 3, &idx, &e);
	if (st != XS_OK)
		return xf_error_set(err, st, "%s", e.msg);
	st = xf_file_write(out, idx->buf, idx->size, err);
	xs_idx_destroy(idx);
	return st;
}

enum xs_status xf_data_stage(struct xf_data *d, struct xs_error *err)
{
	enum xs_status st = xf_data_cached(XF_TRAIN_IMAGES, "train-images-idx3-ubyte", d->calib,
					   sizeof(d->calib), err);
	if (st == XS_OK)
		st = xf_data_cached(XF_TRAIN_LABELS, "train-labels-idx1-ubyte", d->train_labels,
				    sizeof(d->train_labels), err);
	if (st == XS_OK)
		st = xf_data_cached(XF_TEST_IMAGES, "t10k-images-idx3-ubyte", d->eval,
				    sizeof(d->eval), err);
	if (st == XS_OK)
		st = xf_data_cached(XF_TEST_LABELS, "t10k-labels-idx1-ubyte", d->labels,
				    sizeof(d->labels), err);
	return st;
}
