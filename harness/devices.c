/* devices.c - local and emulated devices, and running the agent on them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices.h"

/* The folder holding this program (…/build/bin). */
static bool own_dir(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return false;
	exe[len] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	snprintf(out, n, "%s", exe);
	return true;
}

/* Whether prog is an executable in PATH. */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* Appends "serial: what (how to fix)\n" to notes. */
static void note(char *notes, size_t n, const char *serial, const char *what,
		 const char *fix)
{
	if (notes == NULL)
		return;
	size_t len = strlen(notes);
	if (len < n)
		snprintf(notes + len, n - len, "%s: %s (%s)\n", serial, what, fix);
}

size_t xf_devices_here(struct xf_device *out, size_t max, char *notes, size_t notes_n)
{
	char dir[PATH_MAX];
	size_t n = 0;
	if (notes && notes_n)
		notes[0] = '\0';
	if (!own_dir(dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), ".");
	static const struct {
		const char *transport, *serial, *abi, *rel, *runner;
	} kinds[] = {
#if defined(__x86_64__)
		{"local", "host", "x86_64", "xnn-agent", ""},
#elif defined(__aarch64__)
		{"local", "host", "arm64-v8a", "xnn-agent", ""},
#endif
		{"emulated", "qemu-aarch64", "arm64-v8a", "../aarch64/bin/xnn-agent", "qemu-aarch64"},
		{"emulated", "qemu-arm", "armeabi-v7a", "../armv7/bin/xnn-agent", "qemu-arm"},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && n < max; i++) {
		struct xf_device d = {0};
		snprintf(d.transport, sizeof(d.transport), "%s", kinds[i].transport);
		snprintf(d.serial, sizeof(d.serial), "%s", kinds[i].serial);
		snprintf(d.abi, sizeof(d.abi), "%s", kinds[i].abi);
		snprintf(d.runner, sizeof(d.runner), "%s", kinds[i].runner);
		d.emulated = kinds[i].runner[0] != '\0';
		int w = snprintf(d.agent, sizeof(d.agent), "%s/%s", dir, kinds[i].rel);
		if (w < 0 || (size_t)w >= sizeof(d.agent))
			continue;
		if (access(d.agent, X_OK) != 0) {
			char what[PATH_MAX + 16];
			snprintf(what, sizeof(what), "no agent at %s", d.agent);
			note(notes, notes_n, d.serial, what, "make agents");
			continue;
		}
		if (d.emulated && !in_path(d.runner)) {
			note(notes, notes_n, d.serial, "qemu-user is not installed",
			     "scripts/install-deps.sh");
			continue;
		}
		out[n++] = d;
	}
	return n;
}

enum xs_status xf_agent_run(const struct xf_device *d, const char *const *args,
			    xf_agent_row_fn fn, void *ctx,
			    struct xf_agent_reader **reader, int *status,
			    struct xs_error *err)
{
	const char *argv[64];
	size_t k = 0;
	if (d->runner[0])
		argv[k++] = d->runner;
	argv[k++] = d->agent;
	for (size_t i = 0; args[i] && k < 63; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	*reader = NULL;
	*status = -1;
	enum xs_status st = xf_agent_reader_create(fn, ctx, reader, err);
	if (st != XS_OK)
		return st;
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		snprintf(err->msg, sizeof(err->msg), "pipe: %s", strerror(errno));
		return XS_EIO;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err->msg, sizeof(err->msg), "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		close(errp[0]);
		close(errp[1]);
		return XS_EIO;
	}
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(errp[1], 2);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	/* stdout into the reader; the last 1 KB of stderr kept for errors,
	 * the rest passed on as progress */
	char tail[1024] = "";
	size_t tail_len = 0;
	struct pollfd pf[2] = {{out[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
	int open_fds = 2;
	enum xs_status parse = XS_OK;
	struct xs_error perr = {{0}};
	while (open_fds > 0) {
		if (poll(pf, 2, -1) < 0) {
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
			if (i == 0) {
				if (parse == XS_OK)
					parse = xf_agent_reader_feed(*reader, buf, (size_t)r, &perr);
			} else {
				size_t keep = (size_t)r < sizeof(tail) - 1 ? (size_t)r : sizeof(tail) - 1;
				if (tail_len + keep >= sizeof(tail)) {
					size_t drop = tail_len + keep - (sizeof(tail) - 1);
					memmove(tail, tail + drop, tail_len - drop);
					tail_len -= drop;
				}
				memcpy(tail + tail_len, buf + r - keep, keep);
				tail_len += keep;
				tail[tail_len] = '\0';
			}
		}
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	if (parse == XS_OK)
		parse = xf_agent_reader_finish(*reader, &perr);
	if (parse != XS_OK) {
		/* the agent's own last words say more than "cut" */
		char *last = tail_len ? tail : NULL;
		while (last && tail_len && (tail[tail_len - 1] == '\n'))
			tail[--tail_len] = '\0';
		if (last) {
			char *nl = strrchr(tail, '\n');
			last = nl ? nl + 1 : tail;
		}
		snprintf(err->msg, sizeof(err->msg), "%s on %s: %.150s%s%.80s%s", args[0],
			 d->serial, perr.msg, last ? " (agent: " : "", last ? last : "",
			 last ? ")" : "");
		return *status == 127 ? XS_EIO : XS_EFORMAT;
	}
	return XS_OK;
}
