/* rep-gnuplot.c - running gnuplot on a page's script (rep.h): argv, no
 * shell, in the page's folder, its output to gnuplot.log there. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rep.h"

enum xs_status rep_gnuplot_check(const char *prog, struct xs_error *err)
{
	struct stat st;
	if (prog == NULL || prog[0] == '\0' ||
	    (strchr(prog, '/') && (stat(prog, &st) != 0 || !S_ISREG(st.st_mode) ||
				   access(prog, X_OK) != 0))) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "gnuplot: '%.300s' is not a program "
				 "(" REP_GNUPLOT_INSTALL ")", prog ? prog : "");
		return XS_EINVAL;
	}
	return XS_OK;
}

/* The child: in dir, its output to gnuplot.log, prog script; 127 when prog
 * cannot be started (said in the log). */
static void child_run(const char *prog, const char *dir, const char *script)
{
	if (chdir(dir) != 0)
		_exit(126);
	int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	execlp(prog, prog, script, (char *)NULL);
	dprintf(2, "cannot run '%s': %s\n", prog, strerror(errno));
	_exit(127);
}

enum xs_status rep_gnuplot_run(const char *prog, const char *dir, const char *script,
			       struct xs_error *err)
{
	struct xs_error local;
	if (err == NULL)
		err = &local;
	if (rep_gnuplot_check(prog, err) != XS_OK)
		return XS_EIO;
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err->msg, sizeof(err->msg), "cannot start gnuplot: %s", strerror(errno));
		return XS_EIO;
	}
	if (pid == 0)
		child_run(prog, dir, script);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err->msg, sizeof(err->msg), "gnuplot: %s", strerror(errno));
			return XS_EIO;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(err->msg, sizeof(err->msg), "cannot run gnuplot '%.200s' (" REP_GNUPLOT_INSTALL
			 "): see %.200s/gnuplot.log", prog, dir);
		return XS_EIO;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err->msg, sizeof(err->msg), "gnuplot failed (exit %d): see %.300s/gnuplot.log",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir);
		return XS_EIO;
	}
	return XS_OK;
}
