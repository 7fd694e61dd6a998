/* devices.c - the registry of transports (transport.h) and what every
 * device does through its transport's table (devices.h): listing, staging,
 * running the agent into the agent-csv reader, pulling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "usb.h"
#include "util.h"

const struct xf_transport *const xf_transports[] = {
	&xf_transport_local, &xf_transport_emulated, &xf_transport_adb, &xf_transport_usb, NULL,
};

const struct xf_transport *xf_transport_find(const char *name)
{
	for (size_t i = 0; xf_transports[i]; i++)
		if (strcmp(xf_transports[i]->name, name) == 0)
			return xf_transports[i];
	return NULL;
}

void xf_device_init(struct xf_device *d, const struct xf_transport *t, const char *serial)
{
	memset(d, 0, sizeof(*d));
	d->ops = t;
	snprintf(d->transport, sizeof(d->transport), "%s", t->name);
	snprintf(d->serial, sizeof(d->serial), "%s", serial);
}

void xf_note(char *notes, size_t n, const char *who, const char *what, const char *fix)
{
	if (notes == NULL)
		return;
	size_t len = strlen(notes);
	if (len < n)
		snprintf(notes + len, n - len, "%s: %s (%s)\n", who, what, fix);
}

bool xf_agent_build_path(const char *dir, const char *rel, char *out, size_t n)
{
	char exe[PATH_MAX];
	if (dir == NULL) {
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		char *slash = NULL;
		if (len > 0) {
			exe[len] = '\0';
			slash = strrchr(exe, '/');
		}
		if (slash)
			*slash = '\0';
		else
			snprintf(exe, sizeof(exe), ".");
		dir = exe;
	}
	int w = snprintf(out, n, "%s/%s", dir, rel);
	return w >= 0 && (size_t)w < n;
}

/* The table of d (NULL when its transport is unknown). */
static const struct xf_transport *ops_of(const struct xf_device *d)
{
	return d->ops ? d->ops : xf_transport_find(d->transport);
}

/* ---- listing ----------------------------------------------------------------------------- */

size_t xf_devices_list(const struct xf_list_opts *o, struct xf_device *out, size_t max,
		       char *notes, size_t notes_n)
{
	size_t n = 0;
	if (notes && notes_n)
		notes[0] = '\0';
	for (size_t i = 0; xf_transports[i]; i++)
		xf_transports[i]->list(o, out, max, &n, notes, notes_n);
	xf_devices_identify(out, n, notes, notes_n);
	return n;
}

/* Serials that many devices report: never an identity alone. */
static bool serial_common(const char *serial)
{
	static const char *const common[] = {"", "0123456789ABCDEF", "0123456789", "unknown",
					     "1234567890ABCDEF", "0000000000000000"};
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strcmp(serial, common[i]) == 0)
			return true;
	return false;
}

/* What tells d apart from another device of its serial. */
static void where_of(const struct xf_device *d, size_t index, char *out, size_t n)
{
	if (strncmp(d->port, "usb:", 4) == 0)
		snprintf(out, n, "%s", d->port);
	else if (d->alias[0] && strcmp(d->alias, d->serial) != 0)
		snprintf(out, n, "%s", d->alias);
	else if (d->port[0])
		snprintf(out, n, "%s", d->port);
	else
		snprintf(out, n, "#%zu", index + 1);
}

void xf_devices_identify(struct xf_device *out, size_t n, char *notes, size_t notes_n)
{
	bool *twin = calloc(n + 1, sizeof(*twin));
	if (twin == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(out[i].transport, out[k].transport) == 0 &&
			    strcmp(out[i].serial, out[k].serial) == 0)
				twin[i] = twin[k] = true;
	for (size_t i = 0; i < n; i++) {
		struct xf_device *d = &out[i];
		if (d->own_serial[0] || (!twin[i] && !(d->ops == &xf_transport_adb &&
						       serial_common(d->serial))))
			continue;
		/* the first of a serial says so, with every device of it */
		bool first = true;
		for (size_t k = 0; k < i && first; k++)
			first = !(strcmp(out[k].own_serial, d->serial) == 0 &&
				  strcmp(out[k].transport, d->transport) == 0);
		char where[128], what[600] = "";
		if (first && twin[i]) {
			size_t count = 0;
			for (size_t k = i; k < n; k++)
				if (strcmp(out[k].transport, d->transport) == 0 &&
				    strcmp(out[k].serial, d->serial) == 0) {
					where_of(&out[k], k, where, sizeof(where));
					size_t len = strlen(what);
					snprintf(what + len, sizeof(what) - len, "%s%s", count++ ? ", " : "",
						 where);
				}
			char msg[700];
			snprintf(msg, sizeof(msg), "%zu devices report this serial; told apart as "
				 "SERIAL@WHERE (%.500s)", count, what);
			xf_note(notes, notes_n, d->serial[0] ? d->serial : "(no serial)", msg,
				"each keeps its results while it stays on its USB port or address");
		}
		where_of(d, i, where, sizeof(where));
		snprintf(d->own_serial, sizeof(d->own_serial), "%s", d->serial);
		snprintf(d->serial, sizeof(d->serial), "%.60s@%.60s", d->own_serial, where);
	}
	free(twin);
}

size_t xf_devices_here(struct xf_device *out, size_t max, char *notes, size_t notes_n)
{
	struct xf_list_opts o = {0};
	size_t n = 0;
	if (notes && notes_n)
		notes[0] = '\0';
	xf_transport_local.list(&o, out, max, &n, notes, notes_n);
	xf_transport_emulated.list(&o, out, max, &n, notes, notes_n);
	return n;
}

void xf_devices_adb(const struct xf_adb_server *servers, size_t nservers,
		    struct xf_device *out, size_t max, size_t *n, char *notes, size_t notes_n)
{
	struct xf_list_opts o = {.servers = servers, .nservers = nservers};
	xf_transport_adb.list(&o, out, max, n, notes, notes_n);
}

void xf_devices_usb_notes(const struct xf_device *found, size_t n, bool verbose, char *notes,
			  size_t notes_n)
{
	xf_usb_notes(found, n, verbose, notes, notes_n);
}

/* ---- files on devices ------------------------------------------------------------------ */

bool xf_file_sha256(const char *path, long long *size, char hex[65])
{
	char why[600];
	FILE *f = xs_open_regular(path, why, sizeof(why));  /* a FIFO: false, not a wait */
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

enum xs_status xf_device_stage(struct xf_device *d, struct xf_stage_file *files, size_t n,
			       size_t *pushed, xf_stage_progress_fn progress, void *ctx,
			       struct xs_error *err)
{
	size_t np = 0;
	struct xs_error e = {""};
	const struct xf_transport *t = ops_of(d);
	if (pushed)
		*pushed = 0;
	if (t == NULL)
		return xf_error_set(err, XS_EINVAL, "'%s': no such transport", d->transport);
	enum xs_status st = t->stage(d, files, n, &np, progress, ctx, &e);
	if (pushed)
		*pushed = np;
	if (st != XS_OK)
		xf_error_set(err, st, "%s", e.msg);
	return st;
}

enum xs_status xf_device_pull(const struct xf_device *d, const char *remote, const char *dir,
			      char *path, size_t path_n, struct xs_error *err)
{
	struct xs_error e = {""};
	const struct xf_transport *t = ops_of(d);
	if (t == NULL)
		return xf_error_set(err, XS_EINVAL, "'%s': no such transport", d->transport);
	enum xs_status st = t->pull(d, remote, dir, path, path_n, &e);
	if (st != XS_OK)
		xf_error_set(err, st, "%s", e.msg);
	return st;
}

void xf_device_describe(const struct xf_device *d, char *out, size_t n)
{
	const struct xf_transport *t = ops_of(d);
	if (t)
		t->describe(d, out, n);
	else
		snprintf(out, n, "?");
}

/* The length of the UTF-8 sequence at s (2 to 4 bytes) when it is one and
 * not a C1 control (U+0080..U+009F), else 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (s[0] >= 0xf5)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return len;
}

char *xf_text_printable(const char *in, bool lines, char *out, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t k = 0;
	while (*s) {
		size_t len = *s >= 0x80 ? utf8_len(s) : 1;
		bool plain = (*s >= 0x20 && *s != 0x7f) || (lines && *s == '\n');
		if (len > 0 && plain) {
			if (k + len >= n)
				break;
			memcpy(out + k, s, len);
			k += len;
			s += len;
			continue;
		}
		if (k + 4 >= n)
			break;
		snprintf(out + k, 5, "\\x%02x", *s++);
		k += 4;
	}
	out[k] = '\0';
	return out;
}

/* ---- running the agent ------------------------------------------------------------------ */

/* Where the agent's output goes: stdout into the reader, stderr's lines to
 * the note callback, the last 1 KB of stderr kept for errors. */
struct sink {
	struct xf_agent_reader *r;
	enum xs_status parse;
	struct xs_error perr;
	char tail[1024];
	size_t tail_len;
	xf_agent_note_fn note;
	void *ctx;
	char line[512];         /* the stderr line being read (a longer one is cut) */
	size_t line_len;
};

/* stderr's bytes to the note callback, a whole line at a time. */
static void sink_lines(struct sink *k, const char *buf, size_t r)
{
	for (size_t i = 0; k->note && i < r; i++) {
		if (buf[i] != '\n') {
			if (k->line_len < sizeof(k->line) - 1)
				k->line[k->line_len++] = buf[i];
			continue;
		}
		k->line[k->line_len] = '\0';
		k->note(k->ctx, k->line);
		k->line_len = 0;
	}
}

static void sink_out(void *ctx, int stream, const char *buf, size_t r)
{
	struct sink *k = ctx;
	if (stream == 1) {
		if (k->parse == XS_OK)
			k->parse = xf_agent_reader_feed(k->r, buf, r, &k->perr);
		return;
	}
	sink_lines(k, buf, r);
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

/* The last line of the agent's stderr, or NULL. */
static const char *sink_last_line(struct sink *k)
{
	while (k->tail_len && k->tail[k->tail_len - 1] == '\n')
		k->tail[--k->tail_len] = '\0';
	if (k->tail_len == 0)
		return NULL;
	char *nl = strrchr(k->tail, '\n');
	return nl ? nl + 1 : k->tail;
}

enum xs_status xf_agent_run(const struct xf_device *d, const char *const *args,
			    xf_agent_row_fn fn, xf_agent_note_fn note, void *ctx,
			    struct xf_agent_reader **reader, int *status,
			    struct xs_error *err)
{
	*reader = NULL;
	*status = -1;
	const struct xf_transport *t = ops_of(d);
	if (t == NULL)
		return xf_error_set(err, XS_EINVAL, "'%s': no such transport", d->transport);
	struct sink k = {.note = note, .ctx = ctx};
	struct xs_error e = {""};
	enum xs_status st = xf_agent_reader_create(fn, ctx, &k.r, &e);
	if (st != XS_OK)
		return xf_error_set(err, st, "%s", e.msg);
	*reader = k.r;
	st = t->run(d, args, sink_out, &k, status, &e);
	if (k.line_len)  /* a last line without its newline */
		sink_lines(&k, "\n", 1);
	if (st != XS_OK && st != XS_EIO)
		return xf_error_set(err, st, "%s", e.msg);
	if (k.parse == XS_OK)
		k.parse = xf_agent_reader_finish(k.r, &k.perr);
	if (st == XS_OK && k.parse == XS_OK)
		return XS_OK;
	/* the agent's own last words say more than "cut" */
	const char *last = sink_last_line(&k);
	char why[200];
	snprintf(why, sizeof(why), "%.199s", st != XS_OK ? e.msg : k.perr.msg);
	st = st != XS_OK || *status == 127 ? XS_EIO : XS_EFORMAT;
	return xf_error_set(err, st, "%s on %s: %.180s%s%.80s%s", args[0], d->serial, why,
			    last ? " (agent: " : "", last ? last : "", last ? ")" : "");
}
