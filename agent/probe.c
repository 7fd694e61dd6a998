/* probe.c - xnn-agent probe: what the device is and what state it is in.
 *
 * Sources, in order of trust: Android system properties (getprop, where it
 * exists), then Linux: /proc/cpuinfo, /proc/meminfo, /sys/devices/system/cpu
 * (cpu_capacity, cpufreq), /sys/class/thermal, /sys/class/power_supply,
 * /etc/os-release, the device tree, DMI, uname. Every path is read under a
 * root folder so tests can give fake ones. Unreadable means "unknown".
 * The identity rows (abi, cpu_features, ram_bytes, device.*, soc.*,
 * board.platform, hardware) are the runtime's struct xr_identity, read by
 * its code (runtime/identity.c): a device a manifest lists is matched by
 * the code that recorded it.
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
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "device-files.h"
#include "xa.h"
#include "xr.h"

#define UNKNOWN "unknown"
#define MAX_CPUS 256

struct probe {
	const char *root;
	xa_emit_fn emit;
	void *ctx;
	char *props;       /* getprop output, or NULL */
	struct xr_identity id;
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

/* root/path, trimmed (the runtime's reader of device files). */
static bool read_text(const struct probe *p, const char *path, char *buf, size_t n)
{
	return xr_file_text(p->root, path, buf, n);
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

/* The value of property key ("[key]: [value]" lines), or false. */
static bool prop(const struct probe *p, const char *key, char *out, size_t n)
{
	return xr_prop_value(p->props, key, out, n) && out[0] != '\0';
}

/* ---- pieces ------------------------------------------------------------------------ */

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
	long long avail = -1;
	if (read_text(p, "/proc/meminfo", text, sizeof(text))) {
		char *a = strstr(text, "MemAvailable:");
		if (a)
			avail = strtoll(a + 13, NULL, 10) * 1024;
	}
	if (p->id.ram_bytes > 0)
		emitf(p, "ram_bytes", "%llu", (unsigned long long)p->id.ram_bytes);
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

/* The identity rows: the runtime's xr_identity, "unknown" for "". */
static void probe_identity(struct probe *p)
{
	const struct xr_identity *id = &p->id;
	emitf(p, "device.manufacturer", "%s", id->manufacturer);
	emitf(p, "device.model", "%s", id->model);
	emitf(p, "device.fingerprint", "%s", id->fingerprint);
	emitf(p, "device.serial", "%s", id->serial);
	emitf(p, "soc.model", "%s", id->soc);
	emitf(p, "soc.manufacturer", "%s", id->soc_manufacturer);
	emitf(p, "board.platform", "%s", id->platform);
	emitf(p, "hardware", "%s", id->hardware);
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
	else if (xr_cpuinfo_foreign(p->root))
		why = "/proc/cpuinfo describes another architecture (qemu-user)";
	else if (strcmp(machine_abi, p->id.abi) != 0 && strcmp(p->id.abi, "armeabi-v7a") != 0)
		why = "uname's machine is not this build's";
	emitf(p, "emulator", "%s", why ? "yes" : "no");
	emitf(p, "emulator.why", "%s", why ? why : "none found");
}

void xa_probe(const char *root, xa_emit_fn emit, void *ctx)
{
	struct probe p = {.root = root ? root : "", .emit = emit, .ctx = ctx};
	if (strcmp(p.root, "/") == 0)
		p.root = "";
	p.props = xr_props_read(p.root);
	xr_identity_from(p.root, p.props, &p.id);
	struct utsname u;
	bool have_uname = uname(&u) == 0;
	const char *machine_abi = have_uname ? abi_of(u.machine) : UNKNOWN;
	emitf(&p, "abi", "%s", p.id.abi);
	emitf(&p, "machine", "%s", have_uname ? u.machine : UNKNOWN);
	emitf(&p, "cpu_features", "%s", p.id.features);
	probe_cpus(&p);
	probe_memory(&p);
	probe_os(&p, &u, have_uname);
	probe_identity(&p);
	probe_thermal(&p);
	probe_battery(&p);
	probe_emulator(&p, machine_abi);
	free(p.props);
}
