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
#include "usb.h"
#include "xr.h"

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
		if (d.emulated && !xf_in_path(d.runner)) {
			note(notes, notes_n, d.serial, "qemu-user is not installed",
			     "scripts/install-deps.sh");
			continue;
		}
		out[n++] = d;
	}
	return n;
}

/* ---- adb devices --------------------------------------------------------------------- */

/* The agent build for an ABI, relative to this program's folder, or NULL. */
static const char *agent_for_abi(const char *abi)
{
#if defined(__x86_64__)
	if (strcmp(abi, "x86_64") == 0)
		return "xnn-agent";
#endif
	if (strcmp(abi, "arm64-v8a") == 0)
		return "../aarch64/bin/xnn-agent";
	if (strcmp(abi, "armeabi-v7a") == 0 || strcmp(abi, "armeabi") == 0)
		return "../armv7/bin/xnn-agent";
	return NULL;
}

struct text {
	char *buf;
	size_t len, cap;
};

static void text_out(void *ctx, int stream, const char *data, size_t n)
{
	struct text *t = ctx;
	if (stream != 1)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *nb = realloc(t->buf, cap);
		if (nb == NULL)
			return;
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void xf_devices_adb(const struct xf_adb_server *servers, size_t nservers,
		    struct xf_device *out, size_t max, size_t *n, char *notes, size_t notes_n)
{
	char dir[PATH_MAX];
	if (!own_dir(dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), ".");
	for (size_t si = 0; si < nservers; si++) {
		const struct xf_adb_server *sv = &servers[si];
		struct xs_error err;
		char name[96], *list = NULL;
		snprintf(name, sizeof(name), "adb server %s:%d", sv->host, sv->port);
		if (xf_adb_ensure_server(sv, &err) != XS_OK ||
		    xf_adb_query(sv, "host:devices-l", &list, &err) != XS_OK) {
			note(notes, notes_n, name, err.msg, "check the address, or leave it out with "
			     "--adb-server none");
			continue;
		}
		struct xf_adb_dev devs[XF_MAX_DEVICES];
		size_t nd = xf_adb_devices_parse(list, devs, XF_MAX_DEVICES);
		free(list);
		for (size_t i = 0; i < nd && *n < max; i++) {
			struct xf_device d;
			memset(&d, 0, sizeof(d));
			snprintf(d.transport, sizeof(d.transport), "adb");
			d.server = *sv;
			snprintf(d.adb_serial, sizeof(d.adb_serial), "%s", devs[i].serial);
			snprintf(d.serial, sizeof(d.serial), "%s", devs[i].serial);
			snprintf(d.model, sizeof(d.model), "%s", devs[i].model);
			const char *advice = xf_adb_state_advice(devs[i].state);
			if (advice) {
				snprintf(d.problem, sizeof(d.problem), "%s: %s", devs[i].state, advice);
				out[(*n)++] = d;
				continue;
			}
			char *features = NULL, req[200];
			snprintf(req, sizeof(req), "host-serial:%s:features", devs[i].serial);
			if (xf_adb_query(sv, req, &features, &err) == XS_OK) {
				for (const char *f = features; *f;) {
					size_t len = strcspn(f, ",");
					if (len == 8 && strncmp(f, "shell_v2", 8) == 0)
						d.shell_v2 = true;
					f += len + (f[len] == ',');
				}
				free(features);
			}
			/* its properties: the ABI, a stable serial, the work folder */
			struct text props = {0};
			const char *gp[] = {"getprop", NULL};
			int code;
			if (xf_adb_shell(sv, d.adb_serial, d.shell_v2, gp, NULL, text_out, &props,
					 &code, &err) != XS_OK || props.buf == NULL) {
				snprintf(d.problem, sizeof(d.problem), "getprop failed: %.200s (check it "
					 "with 'adb shell getprop')", props.buf ? err.msg : "no output");
				free(props.buf);
				out[(*n)++] = d;
				continue;
			}
			char v[512];
			if (xr_prop_value(props.buf, "ro.serialno", v, sizeof(v)) && v[0])
				snprintf(d.serial, sizeof(d.serial), "%.127s", v);
			if (xr_prop_value(props.buf, "ro.product.model", v, sizeof(v)) && v[0])
				snprintf(d.model, sizeof(d.model), "%.127s", v);
			if (!xr_prop_value(props.buf, "xnn.fleet.workdir", d.workdir,
					      sizeof(d.workdir)) || d.workdir[0] != '/')
				snprintf(d.workdir, sizeof(d.workdir), "/data/local/tmp/xnn-fleet");
			xr_prop_value(props.buf, "ro.product.cpu.abi", d.abi, sizeof(d.abi));
			free(props.buf);
			const char *rel = agent_for_abi(d.abi);
			if (rel == NULL) {
				snprintf(d.problem, sizeof(d.problem), "no agent build for ABI '%.30s' "
					 "(xnn-fleet builds x86_64, arm64-v8a, armeabi-v7a)", d.abi);
			} else {
				snprintf(d.agent, sizeof(d.agent), "%.4000s/%s", dir, rel);
				if (access(d.agent, R_OK) != 0)
					snprintf(d.problem, sizeof(d.problem), "no agent for %s at %.200s "
						 "(make agents)", d.abi, d.agent);
			}
			out[(*n)++] = d;
		}
	}
}

void xf_devices_usb_notes(const struct xf_device *found, size_t n, bool verbose, char *notes,
			  size_t notes_n)
{
	struct xf_usb_dev usb[XF_MAX_DEVICES];
	char why[200];
	long nu = xf_usb_list(&xf_usb_libusb, usb, XF_MAX_DEVICES, why, sizeof(why));
	if (nu < 0) {
		if (verbose)
			note(notes, notes_n, "usb", why, "no USB phones are listed");
		return;
	}
	const char *serials[XF_MAX_DEVICES];
	size_t ns = 0;
	for (size_t i = 0; i < n; i++)
		if (found[i].adb_serial[0])
			serials[ns++] = found[i].adb_serial;
	for (long i = 0; i < nu; i++) {
		if (xf_usb_in_adb(&usb[i], serials, ns))
			continue;
		char name[200], what[300];
		snprintf(name, sizeof(name), "usb %03u/%03u %04x:%04x %.60s%s%.60s", usb[i].bus,
			 usb[i].address, usb[i].vid, usb[i].pid, usb[i].product,
			 usb[i].serial[0] ? " serial " : "", usb[i].serial);
		xf_usb_advice(&usb[i], what, sizeof(what));
		note(notes, notes_n, name, what, "then run again");
	}
}

/* ---- files on devices ------------------------------------------------------------------ */

bool xf_file_sha256(const char *path, long long *size, char hex[65])
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	struct xs_sha256 h;
	xs_sha256_init(&h);
	static __thread unsigned char buf[1 << 16];
	size_t r;
	*size = 0;
	while ((r = fread(buf, 1, sizeof(buf), f)) > 0) {
		xs_sha256_update(&h, buf, r);
		*size += (long long)r;
	}
	bool ok = !ferror(f);
	fclose(f);
	uint8_t sum[32];
	xs_sha256_final(&h, sum);
	xs_sha256_hex(sum, hex);
	return ok;
}

struct remote_sums {
	struct xf_stage_file *files;
	size_t n;
	long long *size;
	char (*sha)[65];
};

static void sum_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t nf)
{
	struct remote_sums *rs = ctx;
	int ip = xf_agent_reader_find(r, "path"), is = xf_agent_reader_find(r, "size"),
	    ih = xf_agent_reader_find(r, "sha256");
	if (ip < 0 || is < 0 || ih < 0 || (size_t)ip >= nf || (size_t)is >= nf || (size_t)ih >= nf)
		return;
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->files[i].dev, f[ip]) == 0) {
			rs->size[i] = atoll(f[is]);
			snprintf(rs->sha[i], 65, "%s", f[ih]);
		}
}

/* The device's size and sha256 of each file (size -1 when missing). false
 * (err filled) when the agent there does not run. */
static bool remote_sums(struct xf_device *d, struct xf_stage_file *files, size_t n,
			long long *size, char (*sha)[65], struct xs_error *err)
{
	for (size_t i = 0; i < n; i++) {
		size[i] = -1;
		sha[i][0] = '\0';
	}
	const char *args[XF_MAX_STAGE + 2] = {"sha256"};
	for (size_t i = 0; i < n && i < XF_MAX_STAGE; i++)
		args[i + 1] = files[i].dev;
	args[n + 1 <= XF_MAX_STAGE + 1 ? n + 1 : XF_MAX_STAGE + 1] = NULL;
	struct remote_sums rs = {files, n, size, sha};
	struct xf_agent_reader *r;
	int status;
	enum xs_status st = xf_agent_run(d, args, sum_row, &rs, &r, &status, err);
	xf_agent_reader_destroy(r);
	return st == XS_OK && status == 0;
}

enum xs_status xf_device_stage(struct xf_device *d, struct xf_stage_file *files, size_t n,
			       size_t *pushed, xf_stage_progress_fn progress, void *ctx,
			       struct xs_error *err)
{
	if (pushed)
		*pushed = 0;
	if (strcmp(d->transport, "adb") != 0) {
		for (size_t i = 0; i < n; i++)
			snprintf(files[i].dev, sizeof(files[i].dev), "%s", files[i].host);
		snprintf(d->dev_agent, sizeof(d->dev_agent), "%s", d->agent);
		return XS_OK;
	}
	if (n == 0 || n > XF_MAX_STAGE) {
		snprintf(err->msg, sizeof(err->msg), "stage: %zu files (1 to %d)", n, XF_MAX_STAGE);
		return XS_EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((size_t)snprintf(files[i].dev, sizeof(files[i].dev), "%s/%s", d->workdir,
				     files[i].name) >= sizeof(files[i].dev)) {
			snprintf(err->msg, sizeof(err->msg), "the work folder '%.200s' is too long",
				 d->workdir);
			return XS_EINVAL;
		}
	snprintf(d->dev_agent, sizeof(d->dev_agent), "%s", files[0].dev);
	const char *mk[] = {"mkdir", "-p", d->workdir, NULL};
	int code;
	struct text ignore = {0};
	enum xs_status st = xf_adb_shell(&d->server, d->adb_serial, d->shell_v2, mk, NULL,
					 text_out, &ignore, &code, err);
	free(ignore.buf);
	if (st == XS_OK && code != 0) {
		snprintf(err->msg, sizeof(err->msg), "cannot make the work folder '%.200s' on %s "
			 "(exit %d): set xnn.fleet.workdir to a writable folder", d->workdir,
			 d->serial, code);
		return XS_EIO;
	}
	if (st != XS_OK)
		return st;
	long long size[XF_MAX_STAGE];
	char sha[XF_MAX_STAGE][65];
	bool todo[XF_MAX_STAGE];
	struct xs_error e1;
	remote_sums(d, files, n, size, sha, &e1);  /* no agent there yet: all go */
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		todo[i] = size[i] != files[i].size || strcmp(sha[i], files[i].sha256) != 0;
		if (!todo[i])
			continue;
		if (progress)
			progress(ctx, &files[i]);
		st = xf_adb_push(&d->server, d->adb_serial, files[i].host, files[i].dev,
				 files[i].mode, err);
		if (st != XS_OK)
			return st;
		np++;
	}
	if (pushed)
		*pushed = np;
	if (np == 0)
		return XS_OK;
	/* what arrived: the agent there checks (a truncated agent does not run) */
	bool ran = remote_sums(d, files, n, size, sha, &e1);
	for (size_t i = 0; i < n; i++) {
		if (size[i] == files[i].size && strcmp(sha[i], files[i].sha256) == 0)
			continue;
		uint32_t mode = 0, dsize = 0;
		struct xs_error e2;
		if (size[i] < 0 &&
		    xf_adb_stat(&d->server, d->adb_serial, files[i].dev, &mode, &dsize, &e2) == XS_OK)
			size[i] = mode ? (long long)dsize : -1;
		if (!ran && i == 0 && size[i] == files[i].size) {
			snprintf(err->msg, sizeof(err->msg), "the agent pushed to %.60s does not run "
				 "there: %.300s", d->serial, e1.msg);
			return XS_EIO;
		}
		snprintf(err->msg, sizeof(err->msg), "pushed '%.80s' to %.60s:%.100s but %lld of "
			 "%lld bytes are there%s: is the device full? (free space in %.80s, then "
			 "run again with --resume)", files[i].host, d->serial, files[i].dev,
			 size[i] < 0 ? 0 : size[i], files[i].size,
			 size[i] == files[i].size ? " with another sha256" : "", d->workdir);
		return XS_EIO;
	}
	return XS_OK;
}

/* ---- running the agent ------------------------------------------------------------------ */

/* Where the agent's output goes: stdout into the reader, the last 1 KB of
 * stderr kept for errors. */
struct sink {
	struct xf_agent_reader *r;
	enum xs_status parse;
	struct xs_error perr;
	char tail[1024];
	size_t tail_len;
};

static void sink_out(void *ctx, int stream, const char *buf, size_t r)
{
	struct sink *k = ctx;
	if (stream == 1) {
		if (k->parse == XS_OK)
			k->parse = xf_agent_reader_feed(k->r, buf, r, &k->perr);
		return;
	}
	size_t keep = r < sizeof(k->tail) - 1 ? r : sizeof(k->tail) - 1;
	if (k->tail_len + keep >= sizeof(k->tail)) {
		size_t drop = k->tail_len + keep - (sizeof(k->tail) - 1);
		memmove(k->tail, k->tail + drop, k->tail_len - drop);
		k->tail_len -= drop;
	}
	memcpy(k->tail + k->tail_len, buf + r - keep, keep);
	k->tail_len += keep;
	k->tail[k->tail_len] = '\0';
}

/* The agent as a child process here (local, emulated). */
static enum xs_status run_here(const struct xf_device *d, const char *const *args,
			       struct sink *k, int *status, struct xs_error *err)
{
	const char *argv[64];
	size_t n = 0;
	if (d->runner[0])
		argv[n++] = d->runner;
	argv[n++] = d->agent;
	for (size_t i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		goto out_pipe;
	if (pipe2(errp, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		goto out_pipe;
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
	struct pollfd pf[2] = {{out[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
	int open_fds = 2;
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
			sink_out(k, i + 1, buf, (size_t)r);
		}
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	return XS_OK;
out_pipe:
	snprintf(err->msg, sizeof(err->msg), "pipe: %s", strerror(errno));
	return XS_EIO;
}

/* The agent over adb: quoted argv words in the device's shell. The legacy
 * shell mixes stderr into stdout, so there it goes to a file in the work
 * folder, pulled back when something failed. */
static enum xs_status run_adb(const struct xf_device *d, const char *const *args,
			      struct sink *k, int *status, struct xs_error *err)
{
	const char *argv[64];
	size_t n = 0;
	argv[n++] = d->dev_agent[0] ? d->dev_agent : d->agent;
	for (size_t i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	char errfile[700];
	snprintf(errfile, sizeof(errfile), "%s/agent-stderr.txt", d->workdir);
	enum xs_status st = xf_adb_shell(&d->server, d->adb_serial, d->shell_v2, argv,
					 d->shell_v2 ? NULL : errfile, sink_out, k, status, err);
	if (d->shell_v2 || (st == XS_OK && *status == 0))
		return st;
	/* legacy: the agent's last words, pulled into a folder of our own */
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], local[PATH_MAX + 64];
	struct xs_error e2;
	snprintf(dir, sizeof(dir), "%s/xnn-fleet-pull-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return st;
	if (xf_adb_pull(&d->server, d->adb_serial, errfile, dir, local, sizeof(local), &e2) ==
	    XS_OK) {
		FILE *f = fopen(local, "rb");
		if (f) {
			char buf[4096];
			size_t r;
			while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
				sink_out(k, 2, buf, r);
			fclose(f);
		}
		unlink(local);
	}
	rmdir(dir);
	return st;
}

enum xs_status xf_agent_run(const struct xf_device *d, const char *const *args,
			    xf_agent_row_fn fn, void *ctx,
			    struct xf_agent_reader **reader, int *status,
			    struct xs_error *err)
{
	*reader = NULL;
	*status = -1;
	struct sink k = {0};
	enum xs_status st = xf_agent_reader_create(fn, ctx, &k.r, err);
	if (st != XS_OK)
		return st;
	*reader = k.r;
	bool adb = strcmp(d->transport, "adb") == 0;
	st = adb ? run_adb(d, args, &k, status, err) : run_here(d, args, &k, status, err);
	if (st != XS_OK && st != XS_EIO)
		return st;
	if (k.parse == XS_OK)
		k.parse = xf_agent_reader_finish(k.r, &k.perr);
	if (st == XS_OK && k.parse == XS_OK)
		return XS_OK;
	/* the agent's own last words say more than "cut" */
	char *last = NULL;
	while (k.tail_len && k.tail[k.tail_len - 1] == '\n')
		k.tail[--k.tail_len] = '\0';
	if (k.tail_len) {
		char *nl = strrchr(k.tail, '\n');
		last = nl ? nl + 1 : k.tail;
	}
	char why[200];
	snprintf(why, sizeof(why), "%.199s", st != XS_OK ? err->msg : k.perr.msg);
	snprintf(err->msg, sizeof(err->msg), "%s on %s: %.180s%s%.80s%s", args[0], d->serial, why,
		 last ? " (agent: " : "", last ? last : "", last ? ")" : "");
	return st != XS_OK || *status == 127 ? XS_EIO : XS_EFORMAT;
}
