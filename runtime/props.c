/* props.c - Android system properties as getprop prints them: running
 * getprop, and reading "[key]: [value]" lines. The one reader of that format
 * (the runtime, the agent's probe, the harness and xnn-adbd use it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xr.h"

char *xr_props_read(const char *root)
{
	if (root == NULL || strcmp(root, "/") == 0)
		root = "";
	char path[1024];
	snprintf(path, sizeof(path), "%s/system/bin/getprop", root);
	bool in_path = access(path, X_OK) != 0;
	if (in_path && root[0] != '\0')
		return NULL;
	int fd[2];
	if (pipe(fd) != 0)
		return NULL;
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		int nul = open("/dev/null", O_WRONLY);
		if (nul >= 0)
			dup2(nul, 2);
		if (in_path)
			execlp("getprop", "getprop", (char *)NULL);
		else
			execl(path, "getprop", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd[0], buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (buf)
		buf[len] = '\0';
	return buf;
}

bool xr_prop_value(const char *text, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	if (n)
		out[0] = '\0';
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
			len--;
		/* "[" key "]: [" value "]", the value running to the line's last ']' */
		if (len >= kl + 6 && p[0] == '[' && strncmp(p + 1, key, kl) == 0 &&
		    strncmp(p + 1 + kl, "]: [", 4) == 0 && p[len - 1] == ']') {
			if (n) {
				size_t vl = len - kl - 6, k = vl < n - 1 ? vl : n - 1;
				memcpy(out, p + kl + 5, k);
				out[k] = '\0';
			}
			return true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}
