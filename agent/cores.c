/* cores.c - which cores "big", "little", "all" or a list like "0,2-3" mean on
 * this device: clusters by cpu_capacity, else by maximum frequency. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xa.h"

/* /sys/devices/system/cpu/cpuN/<file>, or -1. */
static long long read_ll(int cpu, const char *file)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/%s", cpu, file);
	FILE *f = fopen(path, "r");
	long long v = -1;
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Parses "0,2-3" into cpus; false when malformed or out of range. */
static bool parse_list(const char *s, int *cpus, size_t *n, size_t max)
{
	*n = 0;
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s || a < 0 || a >= XA_MAX_CPUS)
			return false;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= XA_MAX_CPUS)
				return false;
			s = end;
		}
		for (long c = a; c <= b; c++) {
			if (*n == max)
				return false;
			cpus[(*n)++] = (int)c;
		}
		if (*s == ',')
			s++;
		else if (*s)
			return false;
	}
	return *n > 0;
}

bool xa_cores_parse(const char *spec, int *cpus, size_t *n, char *why, size_t why_n)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (online < 1)
		online = 1;
	if (online > XA_MAX_CPUS)
		online = XA_MAX_CPUS;
	if (strcmp(spec, "all") == 0 || strcmp(spec, "big") == 0 || strcmp(spec, "little") == 0) {
		long long score[XA_MAX_CPUS], best = -1, worst = -1;
		for (int c = 0; c < online; c++) {
			long long cap = read_ll(c, "cpu_capacity");
			long long f = read_ll(c, "cpufreq/cpuinfo_max_freq");
			score[c] = cap > 0 ? cap : f > 0 ? f : 0;
			if (best < 0 || score[c] > best)
				best = score[c];
			if (worst < 0 || score[c] < worst)
				worst = score[c];
		}
		*n = 0;
		for (int c = 0; c < online; c++)
			if (spec[0] == 'a' || (spec[0] == 'b' && score[c] == best) ||
			    (spec[0] == 'l' && score[c] == worst))
				cpus[(*n)++] = c;
		return true;
	}
	if (!parse_list(spec, cpus, n, XA_MAX_CPUS)) {
		snprintf(why, why_n, "--cores '%s': give big, little, all or a list like 0,2-3", spec);
		return false;
	}
	for (size_t i = 0; i < *n; i++)
		if (cpus[i] >= online) {
			snprintf(why, why_n, "--cores '%s': this device has cores 0-%ld", spec,
				 online - 1);
			return false;
		}
	return true;
}

void xa_cores_format(const int *cpus, size_t n, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < n && at + 8 < len; k++)
		at += (size_t)snprintf(buf + at, len - at, "%s%d", k ? " " : "", cpus[k]);
}

bool xa_threads_parse(const char *s, int *threads, size_t max, size_t *n)
{
	*n = 0;
	while (*s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > XA_MAX_CPUS || (*end && *end != ',') || *n == max)
			return false;
		threads[(*n)++] = (int)v;
		s = *end ? end + 1 : end;
	}
	return *n > 0;
}
