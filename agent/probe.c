/* probe.c - xnn-agent probe: what the device is and what state it is in.
 *
 * Sources, in order of trust: Android system properties (getprop, where it
 * exists), then Linux: /proc/cpuinfo, /proc/meminfo, /sys/devices/system/cpu
 * (cpu_capacity, cpufreq), /sys/class/thermal, /sys/class/power_supply,
 * /etc/os-release, the device tree, DMI, uname. Every path is read under a
 * root folder so tests can give fake ones. Unreadable means "unknown".
 *
 * Keys (one row each):
 *   abi machine cpu_features cpus
 *   cluster.N.cpus cluster.N.capacity cluster.N.max_khz   (cores grouped by
 *     cpufreq related_cpus, else by capacity and max frequency)
 *   cpu.N.governor cpu.N.cur_khz cpu.N.max_khz
 *   ram_bytes ram_available_bytes
 *   os os.kernel android.sdk
 *   device.manufacturer device.model device.fingerprint device.serial
 *   soc.model soc.manufacturer board.platform hardware
 *   thermal.N.type thermal.N.temp_c
 *   battery.level battery.status
 *   emulator emulator.why */
#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xa.h"
#include "xr.h"
#include "xk.h"

#define UNKNOWN "unknown"
#define MAX_CPUS 256

struct probe {
	const char *root;
	xa_emit_fn emit;
	void *ctx;
	char *props;       /* getprop output, or NULL */
};

static void emitf(struct probe *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void emitf(struct probe *p, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p->emit(p->ctx, key, buf[0] ? buf : UNKNOWN);
}

/* Reads root/path into buf (at most n - 1 bytes), trailing space trimmed;
 * false when it cannot be read or is empty. */
static bool read_text(const struct probe *p, const char *path, char *buf, size_t n)
{
	char full[1024];
	snprintf(full, sizeof(full), "%s%s", p->root, path);
	FILE *f = fopen(full, "r");
	if (f == NULL)
		return false;
	size_t len = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* the device tree ends strings with NUL */
	len = strlen(buf);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	return len > 0;
}

static bool read_long(const struct probe *p, const char *path, long long *out)
{
	char buf[64], *end;
	if (!read_text(p, path, buf, sizeof(buf)))
		return false;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || end == buf || *end)
		return false;
	*out = v;
	return true;
}

/* ---- Android properties ---------------------------------------------------------- */

/* Android properties: the runtime's reader (the app and the fleet read the
 * device the same way). */
static void load_props(struct probe *p)
{
	p->props = xr_props_read(p->root);
}

/* The value of property key ("[key]: [value]" lines), or false. */
static bool prop(const struct probe *p, const char *key, char *out, size_t n)
{
	return xr_prop_value(p->props, key, out, n) && out[0] != '\0';
}

/* ---- pieces ------------------------------------------------------------------------ */

/* The value of the first "key : value" line of /proc/cpuinfo. */
static bool cpuinfo(const struct probe *p, const char *key, char *out, size_t n)
{
	static char text[1 << 16];
	if (!read_text(p, "/proc/cpuinfo", text, sizeof(text)))
		return false;
	size_t klen = strlen(key);
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next = '\0';
		if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == '\t' ||
						      line[klen] == ':')) {
			char *v = strchr(line, ':');
			if (v) {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				snprintf(out, n, "%s", v);
				return *out != '\0';
			}
		}
		line = next ? next + 1 : NULL;
	}
	return false;
}

static const char *abi_of(const char *machine)
{
	if (strcmp(machine, "aarch64") == 0 || strcmp(machine, "arm64") == 0)
		return "arm64-v8a";
	if (strncmp(machine, "armv7", 5) == 0 || strncmp(machine, "armv8l", 6) == 0)
		return "armeabi-v7a";
	if (strcmp(machine, "x86_64") == 0)
		return "x86_64";
	if (machine[0] == 'i' && strcmp(machine + 2, "86") == 0)
		return "x86";
	return machine;
}

/* The ABI this program was built for (what it runs as, under qemu too). */
static const char *build_abi(void)
{
#if defined(__aarch64__)
	return "arm64-v8a";
#elif defined(__arm__)
	return "armeabi-v7a";
#elif defined(__x86_64__)
	return "x86_64";
#elif defined(__i386__)
	return "x86";
#else
	return UNKNOWN;
#endif
}

static void probe_cpus(struct probe *p)
{
	char buf[256], key[64], path[256];
	long ncpu = 0;
	/* present CPUs: cpu0..cpuN folders */
	for (long i = 0; i < MAX_CPUS; i++) {
		snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu%ld", p->root, i);
		if (access(path, F_OK) != 0)
			break;
		ncpu = i + 1;
	}
	if (ncpu == 0) {
		long n = sysconf(_SC_NPROCESSORS_CONF);
		ncpu = strcmp(p->root, "") == 0 && n > 0 ? n : 0;
	}
	if (ncpu > 0)
		emitf(p, "cpus", "%ld", ncpu);
	else
		emitf(p, "cpus", UNKNOWN);
	/* per core, and clusters: related_cpus, else (capacity, max freq) */
	int cluster_of[MAX_CPUS];
	char related[MAX_CPUS][64];
	long long capacity[MAX_CPUS], maxf[MAX_CPUS];
	int nclusters = 0;
	for (long i = 0; i < ncpu; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cpufreq/scaling_governor", i);
		snprintf(key, sizeof(key), "cpu.%ld.governor", i);
		emitf(p, key, "%s", read_text(p, path, buf, sizeof(buf)) ? buf : UNKNOWN);
		long long v;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cpufreq/scaling_cur_freq", i);
		snprintf(key, sizeof(key), "cpu.%ld.cur_khz", i);
		if (read_long(p, path, &v) && v > 0)
			emitf(p, key, "%lld", v);
		else
			emitf(p, key, UNKNOWN);
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cpufreq/cpuinfo_max_freq", i);
		snprintf(key, sizeof(key), "cpu.%ld.max_khz", i);
		maxf[i] = read_long(p, path, &v) && v > 0 ? v : -1;
		if (maxf[i] > 0)
			emitf(p, key, "%lld", maxf[i]);
		else
			emitf(p, key, UNKNOWN);
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cpu_capacity", i);
		capacity[i] = read_long(p, path, &v) && v > 0 ? v : -1;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cpufreq/related_cpus", i);
		if (!read_text(p, path, related[i], sizeof(related[i])))
			related[i][0] = '\0';
		cluster_of[i] = -1;
		for (long j = 0; j < i && cluster_of[i] < 0; j++) {
			bool same = related[i][0] ? strcmp(related[i], related[j]) == 0
				  : capacity[i] == capacity[j] && maxf[i] == maxf[j];
			if (same)
				cluster_of[i] = cluster_of[j];
		}
		if (cluster_of[i] < 0)
			cluster_of[i] = nclusters++;
	}
	for (int c = 0; c < nclusters; c++) {
		char list[1024] = "";
		size_t len = 0;
		long first = -1;
		for (long i = 0; i < ncpu; i++) {
			if (cluster_of[i] != c)
				continue;
			if (first < 0)
				first = i;
			len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
						"%s%ld", len ? " " : "", i);
		}
		snprintf(key, sizeof(key), "cluster.%d.cpus", c);
		emitf(p, key, "%s", list);
		snprintf(key, sizeof(key), "cluster.%d.capacity", c);
		if (capacity[first] > 0)
			emitf(p, key, "%lld", capacity[first]);
		else
			emitf(p, key, UNKNOWN);
		snprintf(key, sizeof(key), "cluster.%d.max_khz", c);
		if (maxf[first] > 0)
			emitf(p, key, "%lld", maxf[first]);
		else
			emitf(p, key, UNKNOWN);
	}
}

static void probe_memory(struct probe *p)
{
	static char text[8192];
	long long total = -1, avail = -1;
	if (read_text(p, "/proc/meminfo", text, sizeof(text))) {
		char *t = strstr(text, "MemTotal:"), *a = strstr(text, "MemAvailable:");
		if (t)
			total = strtoll(t + 9, NULL, 10) * 1024;
		if (a)
			avail = strtoll(a + 13, NULL, 10) * 1024;
	}
	if (total > 0)
		emitf(p, "ram_bytes", "%lld", total);
	else
		emitf(p, "ram_bytes", UNKNOWN);
	if (avail > 0)
		emitf(p, "ram_available_bytes", "%lld", avail);
	else
		emitf(p, "ram_available_bytes", UNKNOWN);
}

static void probe_os(struct probe *p, const struct utsname *u, bool have_uname)
{
	char buf[256], v[256];
	if (prop(p, "ro.build.version.release", v, sizeof(v))) {
		emitf(p, "os", "Android %s", v);
		emitf(p, "android.sdk", "%s", prop(p, "ro.build.version.sdk", v, sizeof(v)) ? v : UNKNOWN);
	} else {
		static char text[4096];
		const char *name = NULL;
		if (read_text(p, "/etc/os-release", text, sizeof(text)) ||
		    read_text(p, "/usr/lib/os-release", text, sizeof(text))) {
			char *q = strstr(text, "PRETTY_NAME=");
			if (q) {
				q += 12;
				if (*q == '"')
					q++;
				size_t n = strcspn(q, "\"\n");
				snprintf(buf, sizeof(buf), "%.*s", (int)n, q);
				name = buf;
			}
		}
		emitf(p, "os", "%s", name ? name : have_uname ? u->sysname : UNKNOWN);
		emitf(p, "android.sdk", UNKNOWN);
	}
	emitf(p, "os.kernel", "%s", have_uname ? u->release : UNKNOWN);
}

/* Whether /proc/cpuinfo describes another architecture than this build's
 * (qemu-user shows the host's). */
static bool cpuinfo_foreign(const struct probe *p)
{
	char v[64];
#if defined(__aarch64__) || defined(__arm__)
	return cpuinfo(p, "vendor_id", v, sizeof(v));
#else
	return cpuinfo(p, "CPU implementer", v, sizeof(v));
#endif
}

static void probe_identity(struct probe *p)
{
	char v[256];
	static const struct {
		const char *key, *props[3], *files[3];
	} ids[] = {
		{"device.manufacturer", {"ro.product.manufacturer", NULL, NULL},
		 {"/sys/devices/virtual/dmi/id/sys_vendor", NULL, NULL}},
		{"device.model", {"ro.product.model", NULL, NULL},
		 {"/proc/device-tree/model", "/sys/firmware/devicetree/base/model",
		  "/sys/devices/virtual/dmi/id/product_name"}},
		{"device.fingerprint", {"ro.build.fingerprint", NULL, NULL}, {NULL, NULL, NULL}},
		{"device.serial", {"ro.serialno", "ro.boot.serialno", NULL}, {NULL, NULL, NULL}},
		{"soc.model", {"ro.soc.model", NULL, NULL}, {NULL, NULL, NULL}},
		{"soc.manufacturer", {"ro.soc.manufacturer", NULL, NULL}, {NULL, NULL, NULL}},
		{"board.platform", {"ro.board.platform", NULL, NULL},
		 {"/proc/device-tree/compatible", "/sys/firmware/devicetree/base/compatible", NULL}},
		{"hardware", {"ro.hardware", "ro.boot.hardware", NULL}, {NULL, NULL, NULL}},
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		bool ok = false;
		for (int k = 0; k < 3 && !ok && ids[i].props[k]; k++)
			ok = prop(p, ids[i].props[k], v, sizeof(v));
		for (int k = 0; k < 3 && !ok && ids[i].files[k]; k++)
			ok = read_text(p, ids[i].files[k], v, sizeof(v));
		/* /proc/cpuinfo: ARM's "Hardware", x86's "model name" (not
		 * under qemu-user: that is the host's) */
		if (!ok && strcmp(ids[i].key, "soc.model") == 0 && !cpuinfo_foreign(p))
			ok = cpuinfo(p, "Hardware", v, sizeof(v)) ||
			     cpuinfo(p, "model name", v, sizeof(v));
		emitf(p, ids[i].key, "%s", ok ? v : UNKNOWN);
	}
}

static void probe_thermal(struct probe *p)
{
	char path[256], key[64], type[128];
	int n = 0;
	for (int i = 0; i < 64; i++) {
		long long milli;
		snprintf(path, sizeof(path), "/sys/class/thermal/thermal_zone%d/type", i);
		bool have_type = read_text(p, path, type, sizeof(type));
		snprintf(path, sizeof(path), "/sys/class/thermal/thermal_zone%d/temp", i);
		bool have_temp = read_long(p, path, &milli);
		if (!have_type && !have_temp)
			continue;
		snprintf(key, sizeof(key), "thermal.%d.type", n);
		emitf(p, key, "%s", have_type ? type : UNKNOWN);
		snprintf(key, sizeof(key), "thermal.%d.temp_c", n);
		if (have_temp)
			emitf(p, key, "%.1f", (double)milli / 1000.0);
		else
			emitf(p, key, UNKNOWN);
		n++;
	}
	emitf(p, "thermal.zones", "%d", n);
}

static void probe_battery(struct probe *p)
{
	char dirpath[1024], path[1200], buf[64];
	snprintf(dirpath, sizeof(dirpath), "%s/sys/class/power_supply", p->root);
	DIR *d = opendir(dirpath);
	bool found = false;
	for (struct dirent *e; d && !found && (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/power_supply/%.200s/type", e->d_name);
		if (!read_text(p, path, buf, sizeof(buf)) || strcmp(buf, "Battery") != 0)
			continue;
		found = true;
		long long level;
		snprintf(path, sizeof(path), "/sys/class/power_supply/%.200s/capacity", e->d_name);
		if (read_long(p, path, &level))
			emitf(p, "battery.level", "%lld", level);
		else
			emitf(p, "battery.level", UNKNOWN);
		snprintf(path, sizeof(path), "/sys/class/power_supply/%.200s/status", e->d_name);
		emitf(p, "battery.status", "%s", read_text(p, path, buf, sizeof(buf)) ? buf : UNKNOWN);
	}
	if (d)
		closedir(d);
	if (!found) {
		emitf(p, "battery.level", UNKNOWN);
		emitf(p, "battery.status", d ? "none" : UNKNOWN);
	}
}

/* An emulator: Android's qemu properties, or a CPU that is not the one this
 * program was built for (qemu-user shows the host's /proc/cpuinfo). */
static void probe_emulator(struct probe *p, const char *machine_abi)
{
	char v[256];
	const char *why = NULL;
	if (prop(p, "ro.kernel.qemu", v, sizeof(v)) && strcmp(v, "1") == 0)
		why = "ro.kernel.qemu=1";
	else if (prop(p, "ro.hardware", v, sizeof(v)) &&
		 (strstr(v, "goldfish") || strstr(v, "ranchu")))
		why = "ro.hardware is an emulator's";
	else if (cpuinfo_foreign(p))
		why = "/proc/cpuinfo describes another architecture (qemu-user)";
	else if (strcmp(machine_abi, build_abi()) != 0 && strcmp(build_abi(), "armeabi-v7a") != 0)
		why = "uname's machine is not this build's";
	emitf(p, "emulator", "%s", why ? "yes" : "no");
	emitf(p, "emulator.why", "%s", why ? why : "none found");
}

void xa_probe(const char *root, xa_emit_fn emit, void *ctx)
{
	struct probe p = {root ? root : "", emit, ctx, NULL};
	if (strcmp(p.root, "/") == 0)
		p.root = "";
	load_props(&p);
	struct utsname u;
	bool have_uname = uname(&u) == 0;
	const char *machine_abi = have_uname ? abi_of(u.machine) : UNKNOWN;
	emitf(&p, "abi", "%s", build_abi());
	emitf(&p, "machine", "%s", have_uname ? u.machine : UNKNOWN);
	emitf(&p, "cpu_features", "%s", xk_cpu_features());
	probe_cpus(&p);
	probe_memory(&p);
	probe_os(&p, &u, have_uname);
	probe_identity(&p);
	probe_thermal(&p);
	probe_battery(&p);
	probe_emulator(&p, machine_abi);
	free(p.props);
}
