/* report.c - HTML escaping, Pareto frontier, gnuplot (report.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adb-client.h"
#include "report.h"

void xf_html_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: putc(*s, f);
		}
	}
}

static const double *sort_lat, *sort_acc;

static int by_lat(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	if (sort_lat[a] != sort_lat[b])
		return sort_lat[a] < sort_lat[b] ? -1 : 1;
	if (sort_acc[a] != sort_acc[b])  /* the more accurate first */
		return sort_acc[a] > sort_acc[b] ? -1 : 1;
	return (a > b) - (a < b);
}

size_t xf_pareto(const double *lat, const double *acc, size_t n, size_t *idx)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(lat[i]) && !isnan(acc[i]))
			idx[m++] = i;
	sort_lat = lat;
	sort_acc = acc;
	qsort(idx, m, sizeof(*idx), by_lat);
	/* by ascending latency: a point is on the frontier when it is more
	 * accurate than every faster one */
	size_t k = 0;
	double best = -INFINITY;
	for (size_t i = 0; i < m; i++)
		if (acc[idx[i]] > best) {
			best = acc[idx[i]];
			idx[k++] = idx[i];
		}
	return k;
}

bool xf_gnuplot_available(char *why, size_t why_n)
{
	if (xf_in_path("gnuplot"))
		return true;
	snprintf(why, why_n, "gnuplot is not installed (Debian: apt install gnuplot-nox)");
	return false;
}

bool xf_gnuplot_run(const char *dir, const char *script, char *why, size_t why_n)
{
	if (!xf_gnuplot_available(why, why_n))
		return false;
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, why_n, "cannot start gnuplot: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(126);
		int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, why_n, "gnuplot: %s", strerror(errno));
			return false;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, why_n, "gnuplot failed (exit %d): see %s/gnuplot.log",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir);
		return false;
	}
	return true;
}
