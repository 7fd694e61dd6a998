/* adb.c - the adb transport (transport.h): the devices of adb servers,
 * reached through the smart-socket client (adb-client.h). The agent and its
 * files are pushed to the device's work folder; the agent runs in the
 * device's shell from quoted argv words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "util.h"
#include "xr.h"

#define XF_ADB_WORKDIR "/data/local/tmp/xnn-fleet"  /* when xnn.fleet.workdir is not set */
#define XF_ADB_SHORT_S 60.0  /* silence that ends a getprop or a mkdir: a frozen device */
_Static_assert(XF_ADB_HUNG == XF_RUN_HUNG, "one status for a hung run");

/* What an adb device keeps in struct xf_device.priv; its server serial is
 * the device's alias. */
struct adb_state {
	struct xf_adb_server server;  /* the server that lists it */
	char route[128];              /* how the server is asked for it: its serial (the
					 alias), or transport-id:N when the server lists
					 another device of that serial */
	bool shell_v2;                /* the server and device speak shell_v2 */
	char dev_agent[PATH_MAX];     /* the agent on the device, once staged */
};
_Static_assert(sizeof(struct adb_state) <= XF_DEVICE_PRIV, "adb state too large");

static void state_get(const struct xf_device *d, struct adb_state *s)
{
	memcpy(s, d->priv, sizeof(*s));
}

static void state_put(struct xf_device *d, const struct adb_state *s)
{
	memcpy(d->priv, s, sizeof(*s));
}

/* A shell command's stdout, collected. */
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

/* ---- listing ------------------------------------------------------------------------------- */

/* The agent build for an ABI, relative to this program's folder, or NULL. */
static const char *agent_for_abi(const char *abi)
{
	static const struct {
		const char *abi, *rel;
	} builds[] = {
#if defined(__x86_64__)
		{"x86_64", "xnn-agent"},
#endif
		{"arm64-v8a", "../aarch64/bin/xnn-agent"},
		{"armeabi-v7a", "../armv7/bin/xnn-agent"},
		{"armeabi", "../armv7/bin/xnn-agent"},
	};
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++)
		if (strcmp(abi, builds[i].abi) == 0)
			return builds[i].rel;
	return NULL;
}

/* Whether the device's feature list (comma-separated) has shell_v2 (route:
 * its serial or transport-id:N). */
static bool has_shell_v2(const struct xf_adb_server *sv, const char *route)
{
	char *features = NULL, req[200];
	struct xs_error err;
	bool v2 = false;
	const size_t tid = sizeof(XF_ADB_ROUTE_TID) - 1;
	if (strncmp(route, XF_ADB_ROUTE_TID, tid) == 0)
		snprintf(req, sizeof(req), "host-transport-id:%.20s:features", route + tid);
	else
		snprintf(req, sizeof(req), "host-serial:%.127s:features", route);
	if (xf_adb_query(sv, req, &features, &err) != XS_OK)
		return false;
	for (const char *f = features; *f;) {
		size_t len = strcspn(f, ",");
		if (len == 8 && strncmp(f, "shell_v2", 8) == 0)
			v2 = true;
		f += len + (f[len] == ',');
	}
	free(features);
	return v2;
}

/* Fills d from its properties: a stable serial, the model, the work folder,
 * the ABI and the agent build for it (in agent_dir: xf_agent_build_path);
 * problem says what is missing. */
static void from_props(struct xf_device *d, const char *props, const char *agent_dir)
{
	char v[512];
	if (xr_prop_value(props, "ro.serialno", v, sizeof(v)) && v[0])
		snprintf(d->serial, sizeof(d->serial), "%.127s", v);
	if (xr_prop_value(props, "ro.product.model", v, sizeof(v)) && v[0])
		snprintf(d->model, sizeof(d->model), "%.127s", v);
	if (!xr_prop_value(props, "xnn.fleet.workdir", d->workdir, sizeof(d->workdir)) ||
	    d->workdir[0] != '/')
		snprintf(d->workdir, sizeof(d->workdir), XF_ADB_WORKDIR);
	xr_prop_value(props, "ro.product.cpu.abi", d->abi, sizeof(d->abi));
	const char *rel = agent_for_abi(d->abi);
	if (rel == NULL) {
		snprintf(d->problem, sizeof(d->problem), "no agent build for ABI '%.30s' "
			 "(xnn-fleet builds x86_64, arm64-v8a, armeabi-v7a)", d->abi);
		return;
	}
	if (!xf_agent_build_path(agent_dir, rel, d->agent, sizeof(d->agent)))
		snprintf(d->problem, sizeof(d->problem), "the agent's path is too long");
	else if (access(d->agent, R_OK) != 0)
		snprintf(d->problem, sizeof(d->problem), "no agent for %s at %.200s "
			 "(make agents)", d->abi, d->agent);
}

/* One line of a server's device list as a device (problem set when it
 * cannot be used). */
static void adb_device(const struct xf_adb_server *sv, const struct xf_adb_dev *a,
		       bool shared, const char *agent_dir, struct xf_device *d)
{
	struct adb_state s = {.server = *sv};
	if (shared && a->transport_id[0])  /* the serial alone names two of them */
		snprintf(s.route, sizeof(s.route), XF_ADB_ROUTE_TID "%.20s", a->transport_id);
	else
		snprintf(s.route, sizeof(s.route), "%.127s", a->serial);
	xf_device_init(d, &xf_transport_adb, a->serial);
	snprintf(d->alias, sizeof(d->alias), "%.127s", a->serial);
	d->on_host = xf_adb_serial_on_host(a->serial);
	snprintf(d->model, sizeof(d->model), "%.127s", a->model);
	if (a->usb[0])
		snprintf(d->port, sizeof(d->port), "usb:%.59s", a->usb);
	else if (a->transport_id[0])  /* good while it stays connected */
		snprintf(d->port, sizeof(d->port), "transport:%.15s", a->transport_id);
	const char *advice = xf_adb_state_advice(a->state);
	if (advice) {
		snprintf(d->problem, sizeof(d->problem), "%s: %s", a->state, advice);
		state_put(d, &s);
		return;
	}
	s.shell_v2 = has_shell_v2(sv, s.route);
	state_put(d, &s);
	/* its properties: the ABI, a stable serial, the work folder */
	struct text props = {0};
	const char *gp[] = {"getprop", NULL};
	int code;
	struct xs_error err;
	if (xf_adb_shell(sv, s.route, s.shell_v2, gp, NULL, XF_ADB_SHORT_S, text_out, &props,
			 &code, &err) !=
	    XS_OK || props.buf == NULL) {
		snprintf(d->problem, sizeof(d->problem), "getprop failed: %.200s (check it "
			 "with 'adb shell getprop')", props.buf ? err.msg : "no output");
		free(props.buf);
		return;
	}
	from_props(d, props.buf, agent_dir);
	free(props.buf);
}

/* How to run adb against server sv: "adb", "adb -P 5039" (loopback, another
 * port), "adb -H farm -P 5037". */
static void adb_command(const struct xf_adb_server *sv, char *out, size_t n)
{
	bool loopback = strcmp(sv->host, "127.0.0.1") == 0 || strcmp(sv->host, "localhost") == 0;
	if (loopback && sv->port == 5037)
		snprintf(out, n, "adb");
	else if (loopback)
		snprintf(out, n, "adb -P %d", sv->port);
	else
		snprintf(out, n, "adb -H %.90s -P %d", sv->host, sv->port);
}

/* The note on a server that answers with no device: there are none, and
 * how to get one. */
static void note_no_devices(const struct xf_adb_server *sv, const char *name, char *notes,
			    size_t notes_n)
{
	char adb[128], fix[512];
	adb_command(sv, adb, sizeof(adb));
	snprintf(fix, sizeof(fix), "a phone: turn on USB debugging in Settings > Developer "
		 "options, plug it in and accept 'Allow USB debugging'; a board on the network: '%s "
		 "connect HOST:PORT'; '%s devices' lists what the server sees", adb, adb);
	xf_note(notes, notes_n, name, "no adb devices", fix);
}

static void adb_list(const struct xf_list_opts *o, struct xf_device *out, size_t max,
		     size_t *n, char *notes, size_t notes_n)
{
	for (size_t si = 0; si < o->nservers; si++) {
		const struct xf_adb_server *sv = &o->servers[si];
		struct xs_error err;
		char name[96], *list = NULL;
		snprintf(name, sizeof(name), "adb server %s:%d", sv->host, sv->port);
		if (xf_adb_ensure_server(sv, &err) != XS_OK ||
		    xf_adb_query(sv, "host:devices-l", &list, &err) != XS_OK) {
			xf_note(notes, notes_n, name, err.msg, "check the address, or leave it out "
				"with --adb-server none");
			continue;
		}
		struct xf_adb_dev devs[XF_MAX_DEVICES];
		size_t nd = xf_adb_devices_parse(list, devs, XF_MAX_DEVICES);
		free(list);
		if (nd == 0 && o->adb_verbose)
			note_no_devices(sv, name, notes, notes_n);
		for (size_t i = 0; i < nd && *n < max; i++) {
			bool shared = false;
			for (size_t k = 0; k < nd && !shared; k++)
				shared = k != i && strcmp(devs[k].serial, devs[i].serial) == 0;
			adb_device(sv, &devs[i], shared, o->agent_dir, &out[(*n)++]);
		}
	}
}

/* ---- staging ------------------------------------------------------------------------------- */

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
	enum xs_status st = xf_agent_run(d, args, sum_row, NULL, &rs, &r, &status, err);
	xf_agent_reader_destroy(r);
	return st == XS_OK && status == 0;
}

/* Each file's path in the work folder, its size and sha256 here when not
 * given; the work folder made. */
static enum xs_status stage_prepare(struct xf_device *d, const struct adb_state *s,
				    struct xf_stage_file *files, size_t n, struct xs_error *err)
{
	if (n == 0 || n > XF_MAX_STAGE)
		return xf_error_set(err, XS_EINVAL, "stage: %zu files (1 to %d)", n, XF_MAX_STAGE);
	for (size_t i = 0; i < n; i++) {
		if ((size_t)snprintf(files[i].dev, sizeof(files[i].dev), "%s/%s", d->workdir,
				     files[i].name) >= sizeof(files[i].dev))
			return xf_error_set(err, XS_EINVAL, "the work folder '%.200s' is too long",
					    d->workdir);
		if (files[i].sha256[0] == '\0' &&
		    !xf_file_sha256(files[i].host, &files[i].size, files[i].sha256))
			return xf_error_set(err, XS_EIO, "cannot read '%.300s'", files[i].host);
	}
	const char *mk[] = {"mkdir", "-p", d->workdir, NULL};
	int code;
	struct text ignore = {0};
	enum xs_status st = xf_adb_shell(&s->server, s->route, s->shell_v2, mk, NULL,
					 XF_ADB_SHORT_S, text_out, &ignore, &code, err);
	free(ignore.buf);
	if (st == XS_OK && code != 0)
		return xf_error_set(err, XS_EIO, "cannot make the work folder '%.200s' on %s "
				    "(exit %d): set xnn.fleet.workdir to a writable folder",
				    d->workdir, d->serial, code);
	return st;
}

/* After the pushes: every file there with its size and sha256, or err says
 * what is wrong (a full device, an agent that does not run there). */
static enum xs_status stage_verify(struct xf_device *d, const struct adb_state *s,
				   struct xf_stage_file *files, size_t n, struct xs_error *err)
{
	long long size[XF_MAX_STAGE];
	char sha[XF_MAX_STAGE][65];
	struct xs_error e1;
	bool ran = remote_sums(d, files, n, size, sha, &e1);
	for (size_t i = 0; i < n; i++) {
		if (size[i] == files[i].size && strcmp(sha[i], files[i].sha256) == 0)
			continue;
		uint32_t mode = 0, dsize = 0;
		struct xs_error e2;
		if (size[i] < 0 &&
		    xf_adb_stat(&s->server, s->route, files[i].dev, &mode, &dsize, &e2) == XS_OK)
			size[i] = mode ? (long long)dsize : -1;
		if (!ran && i == 0 && size[i] == files[i].size)
			return xf_error_set(err, XS_EIO, "the agent pushed to %.60s does not run "
					    "there: %.300s", d->serial, e1.msg);
		return xf_error_set(err, XS_EIO, "pushed '%.80s' to %.60s:%.100s but %lld of %lld "
				    "bytes are there%s: is the device full? (free space in %.80s, "
				    "then run again with --resume)", files[i].host, d->serial,
				    files[i].dev, size[i] < 0 ? 0 : size[i], files[i].size,
				    size[i] == files[i].size ? " with another sha256" : "",
				    d->workdir);
	}
	return XS_OK;
}

static enum xs_status adb_stage(struct xf_device *d, struct xf_stage_file *files, size_t n,
				size_t *pushed, xf_stage_progress_fn progress, void *ctx,
				struct xs_error *err)
{
	struct adb_state s;
	state_get(d, &s);
	*pushed = 0;
	enum xs_status st = stage_prepare(d, &s, files, n, err);
	if (st != XS_OK)
		return st;
	snprintf(s.dev_agent, sizeof(s.dev_agent), "%s", files[0].dev);
	state_put(d, &s);
	long long size[XF_MAX_STAGE];
	char sha[XF_MAX_STAGE][65];
	struct xs_error e1;
	remote_sums(d, files, n, size, sha, &e1);  /* no agent there yet: all go */
	for (size_t i = 0; i < n; i++) {
		files[i].copied = false;
		if (size[i] == files[i].size && strcmp(sha[i], files[i].sha256) == 0)
			continue;
		if (progress)
			progress(ctx, &files[i]);
		st = xf_adb_push(&s.server, s.route, files[i].host, files[i].dev, files[i].mode,
				 err);
		if (st != XS_OK)
			return st;
		files[i].copied = true;
		(*pushed)++;
	}
	return *pushed ? stage_verify(d, &s, files, n, err) : XS_OK;
}

/* ---- running, pulling ---------------------------------------------------------------------- */

static enum xs_status adb_pull(const struct xf_device *d, const char *remote, const char *dir,
			       char *path, size_t path_n, struct xs_error *err)
{
	struct adb_state s;
	state_get(d, &s);
	return xf_adb_pull(&s.server, s.route, remote, dir, path, path_n, err);
}

/* The legacy shell's stderr file, pulled into a folder of our own and fed
 * to out as stream 2. */
static void legacy_stderr(const struct xf_device *d, const char *errfile, xf_out_fn out,
			  void *ctx)
{
	char dir[PATH_MAX], local[PATH_MAX + 64];
	struct xs_error e2;
	snprintf(dir, sizeof(dir), "%s/xnn-fleet-pull-XXXXXX", xf_tmpdir());
	if (mkdtemp(dir) == NULL)
		return;
	if (adb_pull(d, errfile, dir, local, sizeof(local), &e2) == XS_OK) {
		FILE *f = fopen(local, "rb");
		if (f) {
			char buf[4096];
			size_t r;
			while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
				out(ctx, 2, buf, r);
			fclose(f);
		}
		unlink(local);
	}
	rmdir(dir);
}

/* The agent in the device's shell. The legacy shell mixes stderr into
 * stdout, so there it goes to a file in the work folder, pulled back when
 * something failed. */
static enum xs_status adb_run(const struct xf_device *d, const char *const *args,
			      xf_out_fn out, void *ctx, int *status, struct xs_error *err)
{
	struct adb_state s;
	state_get(d, &s);
	const char *argv[XF_MAX_ARGV];
	xf_agent_argv(argv, NULL, s.dev_agent[0] ? s.dev_agent : d->agent, args);
	char errfile[700];
	snprintf(errfile, sizeof(errfile), "%s/agent-stderr.txt", d->workdir);
	enum xs_status st = xf_adb_shell(&s.server, s.route, s.shell_v2, argv,
					 s.shell_v2 ? NULL : errfile, d->hang_s, out, ctx, status,
					 err);
	if (!s.shell_v2 && (st != XS_OK || *status != 0))
		legacy_stderr(d, errfile, out, ctx);
	return st;
}

static void adb_describe(const struct xf_device *d, char *out, size_t n)
{
	snprintf(out, n, "%s", d->workdir);
}

const struct xf_transport xf_transport_adb = {
	.name = "adb",
	.copies = true,
	.list = adb_list,
	.stage = adb_stage,
	.run = adb_run,
	.pull = adb_pull,
	.describe = adb_describe,
};
