/* local.c - the local transport: this host, the agent a child process
 * (transport.h); and what the transports that run here share: a child
 * process's output as it comes (xf_run_here), files used where they are
 * (xf_stage_here), pull as a copy (xf_pull_here). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices.h"
#include "util.h"

#define XF_PULL_MAX (256u << 20)  /* the largest file xf_pull_here copies */

/* ---- a child process here ---------------------------------------------------------------- */

void xf_agent_argv(const char *argv[XF_MAX_ARGV], const char *runner, const char *agent,
		   const char *const *args)
{
	size_t n = 0;
	if (runner)
		argv[n++] = runner;
	argv[n++] = agent;
	for (size_t i = 0; args[i] && n < XF_MAX_ARGV - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
}

/* Reads the child's stdout (fds[0]) and stderr (fds[1]) to their ends;
 * false when neither gave a byte for hang_s seconds (> 0; 0 waits). */
static bool pump(int fds[2], xf_out_fn out, void *ctx, double hang_s)
{
	struct pollfd pf[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
	int open_fds = 2;
	bool alive = true;
	double last = xf_now();
	while (open_fds > 0) {
		int wait_ms = -1;
		if (hang_s > 0) {
			double left = last + hang_s - xf_now();
			if (left <= 0) {
				alive = false;
				break;
			}
			wait_ms = (int)(left * 1000) + 1;
		}
		int rc = poll(pf, 2, wait_ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[16384];
			ssize_t r = read(pf[i].fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			last = xf_now();
			out(ctx, i + 1, buf, (size_t)r);
		}
	}
	for (int i = 0; i < 2; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	return alive;
}

enum xs_status xf_run_here(const char *const *argv, double hang_s, xf_out_fn out, void *ctx,
			   int *status, struct xs_error *err)
{
	int po[2], pe[2];
	*status = -1;
	if (pipe2(po, O_CLOEXEC) != 0)
		return xf_error_set(err, XS_EIO, "pipe: %s", strerror(errno));
	if (pipe2(pe, O_CLOEXEC) != 0) {
		xf_error_set(err, XS_EIO, "pipe: %s", strerror(errno));
		goto out_close_out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		xf_error_set(err, XS_EIO, "fork: %s", strerror(errno));
		close(pe[0]);
		close(pe[1]);
		goto out_close_out;
	}
	if (pid == 0) {  /* the child: its messages go to the stderr pipe */
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	int fds[2] = {po[0], pe[0]};
	bool alive = pump(fds, out, ctx, hang_s);
	if (!alive)  /* stopped or stuck: it goes (SIGKILL ends a stopped one too) */
		kill(pid, SIGKILL);
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (!alive) {
		*status = XF_RUN_HUNG;
		return xf_error_set(err, XS_EIO, "%.200s: no output for %g s: it hangs (ended)",
				    argv[0], hang_s);
	}
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	return XS_OK;
out_close_out:
	close(po[0]);
	close(po[1]);
	return XS_EIO;
}

/* ---- files here --------------------------------------------------------------------------- */

enum xs_status xf_stage_here(struct xf_device *d, struct xf_stage_file *files, size_t n,
			     size_t *pushed, xf_stage_progress_fn progress, void *ctx,
			     struct xs_error *err)
{
	(void)d;
	(void)progress;
	(void)ctx;
	(void)err;
	for (size_t i = 0; i < n; i++) {
		snprintf(files[i].dev, sizeof(files[i].dev), "%s", files[i].host);
		files[i].copied = false;
	}
	*pushed = 0;
	return XS_OK;
}

enum xs_status xf_pull_here(const struct xf_device *d, const char *remote, const char *dir,
			    char *path, size_t path_n, struct xs_error *err)
{
	(void)d;
	const char *base = strrchr(remote, '/');
	base = base ? base + 1 : remote;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return xf_error_set(err, XS_EINVAL, "pull of '%.200s': not a file name", remote);
	if ((size_t)snprintf(path, path_n, "%s/%s", dir, base) >= path_n)
		return xf_error_set(err, XS_EINVAL, "pull of '%.200s': the path is too long",
				    remote);
	char *data;
	size_t len;
	enum xs_status st = xf_file_read(remote, XF_PULL_MAX, &data, &len, err);
	if (st != XS_OK)
		return st;
	st = xf_file_write(path, data, len, err);
	free(data);
	return st;
}

void xf_describe_here(const struct xf_device *d, char *out, size_t n)
{
	(void)d;
	snprintf(out, n, "(here)");
}

/* ---- the local transport ------------------------------------------------------------------ */

static void local_list(const struct xf_list_opts *o, struct xf_device *out, size_t max,
		       size_t *n, char *notes, size_t notes_n)
{
#if defined(__x86_64__)
	const char *abi = "x86_64";
#elif defined(__aarch64__)
	const char *abi = "arm64-v8a";
#else
	const char *abi = NULL;  /* no agent build for this host */
#endif
	if (abi == NULL || *n >= max)
		return;
	struct xf_device *d = &out[*n];
	xf_device_init(d, &xf_transport_local, "host");
	d->on_host = true;
	snprintf(d->abi, sizeof(d->abi), "%s", abi);
	if (!xf_agent_build_path(o->agent_dir, "xnn-agent", d->agent, sizeof(d->agent)))
		return;
	if (access(d->agent, X_OK) != 0) {
		char what[PATH_MAX + 16];
		snprintf(what, sizeof(what), "no agent at %s", d->agent);
		xf_note(notes, notes_n, d->serial, what, "make agents");
		return;
	}
	(*n)++;
}

static enum xs_status local_run(const struct xf_device *d, const char *const *args,
				xf_out_fn out, void *ctx, int *status, struct xs_error *err)
{
	const char *argv[XF_MAX_ARGV];
	xf_agent_argv(argv, NULL, d->agent, args);
	return xf_run_here(argv, d->hang_s, out, ctx, status, err);
}

const struct xf_transport xf_transport_local = {
	.name = "local",
	.copies = false,
	.list = local_list,
	.stage = xf_stage_here,
	.run = local_run,
	.pull = xf_pull_here,
	.describe = xf_describe_here,
};
