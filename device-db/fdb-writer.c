/* fdb-writer.c - who writes a sweep (fdb-internal.h): this process's host
 * name, pid and start time, recorded on each sweep and run it begins, and
 * whether a recorded writer is gone, so that the next open for writing
 * marks the runs of a killed sweep 'interrupted' instead of leaving them
 * 'running' for ever.
 *
 * A pid alone is not an identity: pids are reused. The start time is the
 * boot id (/proc/sys/kernel/random/boot_id) and the process's start in clock
 * ticks since boot (/proc/PID/stat, field 22): a pid whose start differs is
 * another process, a boot id that differs is a reboot. Without /proc the
 * start is empty and only kill(pid, 0) is asked. A writer on another host
 * is never judged: nothing here can see its processes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "fdb-internal.h"

/* The first line of path, without its newline; false when unreadable. */
static bool read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool ok = fgets(buf, (int)n, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* pid's state letter and start time (ticks since boot) from /proc/PID/stat;
 * false when there is no such process (or no /proc). The command name
 * (field 2) may hold spaces and parentheses: the fields after it are read
 * from its last ')'. */
static bool proc_stat(long pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!read_line(path, buf, sizeof(buf)))
		return false;
	const char *p = strrchr(buf, ')');
	if (p == NULL)
		return false;
	/* fields 3 (state) .. 22 (starttime) */
	char st;
	unsigned long long v = 0;
	int used = 0;
	if (sscanf(p + 1, " %c%n", &st, &used) != 1)
		return false;
	p += 1 + used;
	for (int field = 4; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (field == 22) {
			if (sscanf(p, "%llu", &v) != 1)
				return false;
			break;
		}
		p += strcspn(p, " ");
		if (*p == '\0')
			return false;
	}
	*state = st;
	*start = v;
	return true;
}

/* "BOOT_ID TICKS" of pid; "" when /proc does not say. */
static void start_of(long pid, char *out, size_t n)
{
	char boot[64], state;
	unsigned long long ticks;
	out[0] = '\0';
	if (read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot)) &&
	    proc_stat(pid, &state, &ticks))
		snprintf(out, n, "%s %llu", boot, ticks);
}

void fdb_writer_self(struct fdb_writer *w)
{
	if (gethostname(w->host, sizeof(w->host)) != 0)
		snprintf(w->host, sizeof(w->host), "unknown");
	w->host[sizeof(w->host) - 1] = '\0';
	w->pid = (long)getpid();
	start_of(w->pid, w->start, sizeof(w->start));
}

bool fdb_writer_gone(const struct fdb_writer *self, const char *host, int64_t pid,
		     const char *start)
{
	if (host == NULL || strcmp(host, self->host) != 0 || pid <= 0)
		return false;
	/* no such process: gone; EPERM: some user's process has the pid */
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return true;
	char state;
	unsigned long long ticks;
	/* its /proc entry hidden (hidepid, another pid namespace): taken as
	 * the writer, alive; else a zombie, or a pid reused since it started */
	if (self->start[0] == '\0' || !proc_stat((long)pid, &state, &ticks))
		return false;
	if (state == 'Z' || state == 'X')
		return true;
	char now[sizeof(self->start)];
	start_of((long)pid, now, sizeof(now));
	return start && start[0] && now[0] && strcmp(start, now) != 0;
}
