/* adb-client.c - the adb server's smart-socket protocol (adb-client.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "adb-client.h"
#include "util.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- servers ---------------------------------------------------------------------------- */

bool xf_adb_server_parse(const char *s, struct xf_adb_server *out)
{
	if (strncmp(s, "tcp:", 4) == 0)
		s += 4;
	const char *colon = strrchr(s, ':');
	const char *port = colon ? colon + 1 : s;
	char *end;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end || p <= 0 || p > 65535)
		return false;
	size_t hl = colon ? (size_t)(colon - s) : 0;
	if (hl >= sizeof(out->host))
		return false;
	if (hl == 0)
		snprintf(out->host, sizeof(out->host), "127.0.0.1");
	else
		snprintf(out->host, sizeof(out->host), "%.*s", (int)hl, s);
	out->port = (int)p;
	return true;
}

void xf_adb_server_default(struct xf_adb_server *out)
{
	const char *sock = getenv("ADB_SERVER_SOCKET");
	const char *port = getenv("ANDROID_ADB_SERVER_PORT");
	if (sock && *sock && xf_adb_server_parse(sock, out))
		return;
	if (!(port && *port && xf_adb_server_parse(port, out))) {
		snprintf(out->host, sizeof(out->host), "127.0.0.1");
		out->port = 5037;
	}
}

static bool loopback_host(const char *h)
{
	return strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0;
}

#define XF_STR2(x) #x
#define XF_STR(x) XF_STR2(x)
#define XF_ADB_CONNECT_S 5
#define XF_ADB_REPLY_S 30   /* for replies; shell streams wait as long as the agent runs */

/* A connection to the server, or -1 with errno set. */
static int dial(const struct xf_adb_server *s)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
	char port[16];
	snprintf(port, sizeof(port), "%d", s->port);
	int rc = getaddrinfo(s->host, port, &hints, &ai);
	if (rc != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	int fd = -1, saved = ECONNREFUSED;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		/* at most XF_ADB_CONNECT_S for a host that does not answer */
		int c = connect(fd, a->ai_addr, a->ai_addrlen);
		if (c != 0 && errno == EINPROGRESS) {
			struct pollfd pf = {fd, POLLOUT, 0};
			int soerr = ETIMEDOUT;
			socklen_t sl = sizeof(soerr);
			if (poll(&pf, 1, XF_ADB_CONNECT_S * 1000) == 1)
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			c = soerr ? -1 : 0;
			errno = soerr;
		}
		if (c != 0) {
			saved = errno;
			close(fd);
			fd = -1;
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		/* a server that takes the connection but never answers */
		struct timeval tv = {XF_ADB_REPLY_S, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	freeaddrinfo(ai);
	if (fd < 0)
		errno = saved;
	return fd;
}

/* Writes all n bytes; to a socket without SIGPIPE (a server that went
 * away is an error, not the end of the program). */
static bool put_all(int fd, const void *p, size_t n, bool socket)
{
	const char *c = p;
	while (n) {
		ssize_t w = socket ? send(fd, c, n, MSG_NOSIGNAL) : write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

static bool write_all(int fd, const void *p, size_t n)
{
	return put_all(fd, p, n, true);
}

static bool read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		c += r;
		n -= (size_t)r;
	}
	return true;
}

enum xs_status xf_adb_ensure_server(const struct xf_adb_server *s, struct xs_error *err)
{
	int fd = dial(s);
	if (fd >= 0) {
		close(fd);
		return XS_OK;
	}
	if (errno != ECONNREFUSED || !loopback_host(s->host)) {
		snprintf(err->msg, sizeof(err->msg), "cannot reach the adb server at %s:%d: %s",
			 s->host, s->port, strerror(errno));
		return XS_EIO;
	}
	if (!xf_in_path("adb")) {
		snprintf(err->msg, sizeof(err->msg), "no adb server at %s:%d and no 'adb' program to "
			 "start one (scripts/install-deps.sh installs Debian's adb)", s->host, s->port);
		return XS_EIO;
	}
	char port[16];
	snprintf(port, sizeof(port), "%d", s->port);
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execlp("adb", "adb", "-P", port, "start-server", (char *)NULL);
		_exit(127);
	}
	int ws = 0;
	while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	fd = dial(s);
	if (fd < 0) {
		snprintf(err->msg, sizeof(err->msg), "'adb -P %d start-server' did not start a server "
			 "at %s:%d (exit %d): run it by hand to see why", s->port, s->host, s->port,
			 WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
		return XS_EIO;
	}
	close(fd);
	return XS_OK;
}

/* Sends a request and reads OKAY, or FAIL's message into err. */
static enum xs_status request(int fd, const char *req, struct xs_error *err)
{
	size_t n = strlen(req);
	char head[5];
	if (n > 0xffff) {
		snprintf(err->msg, sizeof(err->msg), "adb request of %zu bytes is too long", n);
		return XS_EINVAL;
	}
	snprintf(head, sizeof(head), "%04zx", n);
	char st[4];
	if (!write_all(fd, head, 4) || !write_all(fd, req, n) || !read_all(fd, st, 4)) {
		bool slow = errno == EAGAIN || errno == EWOULDBLOCK;
		snprintf(err->msg, sizeof(err->msg), "adb server %s on '%.60s'",
			 slow ? "did not answer in " XF_STR(XF_ADB_REPLY_S) " s (is it an adb server?)"
			      : "closed the connection", req);
		return XS_EIO;
	}
	if (memcmp(st, "OKAY", 4) == 0)
		return XS_OK;
	char hex[5] = "", msg[256] = "";
	if (memcmp(st, "FAIL", 4) == 0 && read_all(fd, hex, 4)) {
		unsigned len = (unsigned)strtoul(hex, NULL, 16);
		size_t k = len < sizeof(msg) - 1 ? len : sizeof(msg) - 1;
		if (!read_all(fd, msg, k))
			k = 0;
		msg[k] = '\0';
	}
	snprintf(err->msg, sizeof(err->msg), "adb server: '%.60s': %s", req,
		 msg[0] ? msg : "unexpected reply");
	return XS_EIO;
}

enum xs_status xf_adb_query(const struct xf_adb_server *s, const char *req, char **reply,
			    struct xs_error *err)
{
	int fd = dial(s);
	if (fd < 0) {
		snprintf(err->msg, sizeof(err->msg), "cannot reach the adb server at %s:%d: %s",
			 s->host, s->port, strerror(errno));
		return XS_EIO;
	}
	enum xs_status st = request(fd, req, err);
	char hex[5] = "";
	if (st == XS_OK && !read_all(fd, hex, 4)) {
		snprintf(err->msg, sizeof(err->msg), "adb server: '%.60s': cut reply", req);
		st = XS_EFORMAT;
	}
	char *end;
	unsigned long len = st == XS_OK ? strtoul(hex, &end, 16) : 0;
	if (st == XS_OK && *end) {
		snprintf(err->msg, sizeof(err->msg), "adb server: '%.60s': bad length '%s'", req, hex);
		st = XS_EFORMAT;
	}
	char *buf = st == XS_OK ? malloc(len + 1) : NULL;
	if (st == XS_OK && (buf == NULL || !read_all(fd, buf, len))) {
		snprintf(err->msg, sizeof(err->msg), "adb server: '%.60s': cut reply", req);
		st = XS_EFORMAT;
	}
	close(fd);
	if (st != XS_OK) {
		free(buf);
		return st;
	}
	buf[len] = '\0';
	*reply = buf;
	return XS_OK;
}

/* ---- device lists ------------------------------------------------------------------------ */

static void copy_field(char *dst, size_t n, const char *src, size_t len)
{
	size_t k = len < n - 1 ? len : n - 1;
	memcpy(dst, src, k);
	dst[k] = '\0';
}

size_t xf_adb_devices_parse(const char *text, struct xf_adb_dev *out, size_t max)
{
	size_t k = 0;
	for (const char *line = text; line && *line && k < max;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		/* SERIAL <spaces> STATE [key:value ...]; the state may be two words
		 * ("no permissions ..."): everything up to the first key:value */
		struct xf_adb_dev d;
		memset(&d, 0, sizeof(d));
		const char *p = line;
		size_t sl = strcspn(p, " \t\n");
		if (p + sl <= end && sl > 0) {
			copy_field(d.serial, sizeof(d.serial), p, sl);
			p += sl;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			const char *st = p, *st_end = p;
			while (p < end) {
				size_t wl = strcspn(p, " \t\n");
				if (p + wl > end)
					wl = (size_t)(end - p);
				const char *colon = memchr(p, ':', wl);
				if (colon && colon != p && st_end > st) {
					const char *v = colon + 1;
					size_t kl = (size_t)(colon - p), vl = wl - kl - 1;
					if (kl == 7 && memcmp(p, "product", 7) == 0)
						copy_field(d.product, sizeof(d.product), v, vl);
					else if (kl == 5 && memcmp(p, "model", 5) == 0)
						copy_field(d.model, sizeof(d.model), v, vl);
					else if (kl == 6 && memcmp(p, "device", 6) == 0)
						copy_field(d.device, sizeof(d.device), v, vl);
					else if (kl == 12 && memcmp(p, "transport_id", 12) == 0)
						copy_field(d.transport_id, sizeof(d.transport_id), v, vl);
					else if (kl == 3 && memcmp(p, "usb", 3) == 0)
						copy_field(d.usb, sizeof(d.usb), v, vl);
				} else if (d.model[0] == '\0' && d.product[0] == '\0' &&
					   d.transport_id[0] == '\0') {
					st_end = p + wl;
				}
				p += wl;
				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
			}
			copy_field(d.state, sizeof(d.state), st, (size_t)(st_end - st));
			if (d.state[0])
				out[k++] = d;
		}
		line = nl ? nl + 1 : NULL;
	}
	return k;
}

bool xf_adb_serial_on_host(const char *serial)
{
	static const char *const prefixes[] = {"127.", "localhost:", "[::1]", "emulator-"};
	if (strcmp(serial, "localhost") == 0 || strcmp(serial, "::1") == 0)
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(serial, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

const char *xf_adb_state_advice(const char *state)
{
	if (strcmp(state, "device") == 0)
		return NULL;
	if (strcmp(state, "unauthorized") == 0)
		return "unlock the device and accept 'Allow USB debugging', then run again";
	if (strcmp(state, "offline") == 0)
		return "reconnect the cable or run 'adb reconnect offline' (a restarted device "
		       "stays offline for about 10 s)";
	if (strncmp(state, "no permissions", 14) == 0)
		return "this user may not open the USB device: add a udev rule (Debian's "
		       "android-sdk-platform-tools-common) or join the plugdev group";
	if (strcmp(state, "authorizing") == 0 || strcmp(state, "connecting") == 0)
		return "it is still connecting: run again in a few seconds";
	if (strcmp(state, "bootloader") == 0 || strcmp(state, "recovery") == 0 ||
	    strcmp(state, "sideload") == 0 || strcmp(state, "rescue") == 0)
		return "boot it into Android";
	return "check it with 'adb devices -l'";
}

/* ---- shell -------------------------------------------------------------------------------- */

size_t xf_shell_quote(const char *const *argv, char *out, size_t n)
{
	size_t len = 0;
#define PUT(c) do { if (len + 1 < n) out[len] = (c); len++; } while (0)
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			PUT(' ');
		PUT('\'');
		for (const char *c = argv[i]; *c; c++) {
			if (*c == '\'') {
				PUT('\'');
				PUT('\\');
				PUT('\'');
				PUT('\'');
			} else {
				PUT(*c);
			}
		}
		PUT('\'');
	}
#undef PUT
	if (n)
		out[len < n ? len : n - 1] = '\0';
	return len;
}

void xf_shellv2_init(struct xf_shellv2 *p)
{
	memset(p, 0, sizeof(*p));
	p->exit_code = -1;
}

bool xf_shellv2_feed(struct xf_shellv2 *p, const uint8_t *data, size_t n, xf_adb_out_fn fn,
		     void *ctx, char *why, size_t why_n)
{
	while (n) {
		if (p->head_len < 5) {
			size_t k = 5 - p->head_len < n ? 5 - p->head_len : n;
			memcpy(p->head + p->head_len, data, k);
			p->head_len += k;
			data += k;
			n -= k;
			if (p->head_len < 5)
				return true;
			p->left = le32(p->head + 1);
			if (p->head[0] > 5) {
				snprintf(why, why_n, "shell_v2: unknown packet id %u", p->head[0]);
				return false;
			}
			if (p->head[0] == 3 && p->left != 1) {
				snprintf(why, why_n, "shell_v2: exit packet of %u bytes", (unsigned)p->left);
				return false;
			}
			if (p->left == 0)
				p->head_len = 0;
			continue;
		}
		size_t k = p->left < n ? p->left : n;
		uint8_t id = p->head[0];
		if (id == 1 || id == 2)
			fn(ctx, id, (const char *)data, k);
		else if (id == 3)
			p->exit_code = data[0];
		data += k;
		n -= k;
		p->left -= (uint32_t)k;
		if (p->left == 0)
			p->head_len = 0;
	}
	return true;
}

/* Transport to serial, then service: the socket, or -1 with err filled. */
static int open_service(const struct xf_adb_server *s, const char *serial, const char *service,
			struct xs_error *err)
{
	int fd = dial(s);
	if (fd < 0) {
		snprintf(err->msg, sizeof(err->msg), "cannot reach the adb server at %s:%d: %s",
			 s->host, s->port, strerror(errno));
		return -1;
	}
	char req[300];
	if (strncmp(serial, XF_ADB_ROUTE_TID, sizeof(XF_ADB_ROUTE_TID) - 1) == 0)
		snprintf(req, sizeof(req), "host:%s", serial);  /* host:transport-id:N */
	else
		snprintf(req, sizeof(req), "host:transport:%s", serial);
	if (request(fd, req, err) != XS_OK || request(fd, service, err) != XS_OK) {
		close(fd);
		return -1;
	}
	if (strncmp(service, "shell", 5) == 0) {
		struct timeval tv = {0, 0};
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	return fd;
}

#define RC_MARK "__XNN_RC="

/* The legacy shell: whole lines go on, the marker line ends it. */
struct legacy {
	char line[8192];
	size_t len;
	int exit_code;
	xf_adb_out_fn fn;
	void *ctx;
};

static void legacy_line(struct legacy *l, bool final)
{
	char *m = NULL;
	for (char *q = l->line; (q = memchr(q, '_', (size_t)(l->line + l->len - q))) != NULL; q++)
		if ((size_t)(l->line + l->len - q) >= sizeof(RC_MARK) - 1 &&
		    memcmp(q, RC_MARK, sizeof(RC_MARK) - 1) == 0)
			m = q;
	if (m && (final || l->line[l->len - 1] == '\n')) {
		l->exit_code = atoi(m + sizeof(RC_MARK) - 1);
		if (m > l->line)
			l->fn(l->ctx, 1, l->line, (size_t)(m - l->line));
	} else if (l->len) {
		l->fn(l->ctx, 1, l->line, l->len);
	}
	l->len = 0;
}

static void legacy_feed(struct legacy *l, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		l->line[l->len++] = data[i];
		if (data[i] == '\n' || l->len == sizeof(l->line))
			legacy_line(l, false);
	}
}

/* Waits until fd has bytes, at most hang_s seconds (> 0; 0 waits for ever).
 * false when it stayed silent that long. */
static bool readable_within(int fd, double hang_s)
{
	if (hang_s <= 0)
		return true;
	const double until = xf_now() + hang_s;
	for (;;) {
		double left = until - xf_now();
		struct pollfd pf = {fd, POLLIN, 0};
		int rc = left > 0 ? poll(&pf, 1, (int)(left * 1000) + 1) : 0;
		if (rc < 0 && errno == EINTR)
			continue;
		return rc != 0;
	}
}

enum xs_status xf_adb_shell(const struct xf_adb_server *s, const char *serial, bool v2,
			    const char *const *argv, const char *stderr_path, double hang_s,
			    xf_adb_out_fn fn, void *ctx, int *exit_code, struct xs_error *err)
{
	*exit_code = -1;
	size_t need = xf_shell_quote(argv, NULL, 0);
	size_t cap = need + 2 * (stderr_path ? strlen(stderr_path) * 4 + 8 : 0) + 64;
	char *svc = malloc(cap + 32);
	if (svc == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return XS_ENOMEM;
	}
	size_t len = (size_t)snprintf(svc, 32, "%s", v2 ? "shell,v2,raw:" : "shell:");
	len += xf_shell_quote(argv, svc + len, cap + 32 - len);
	if (!v2) {
		if (stderr_path) {
			const char *w[] = {stderr_path, NULL};
			len += (size_t)snprintf(svc + len, cap + 32 - len, " 2>");
			len += xf_shell_quote(w, svc + len, cap + 32 - len);
		}
		snprintf(svc + len, cap + 32 - len, "; echo " RC_MARK "$?");
	}
	int fd = open_service(s, serial, svc, err);
	free(svc);
	if (fd < 0)
		return XS_EIO;
	if (v2) {  /* no stdin: close it at once, as adb's own client does */
		uint8_t close_stdin[5] = {4, 0, 0, 0, 0};
		write_all(fd, close_stdin, 5);
	}
	struct xf_shellv2 p;
	xf_shellv2_init(&p);
	static __thread struct legacy l;
	l.len = 0;
	l.exit_code = -1;
	l.fn = fn;
	l.ctx = ctx;
	uint8_t buf[65536];
	char why[128] = "";
	bool ok = true, hung = false;
	for (;;) {
		if (!readable_within(fd, hang_s)) {
			hung = true;  /* closing the stream ends the command there */
			break;
		}
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (v2)
			ok = xf_shellv2_feed(&p, buf, (size_t)r, fn, ctx, why, sizeof(why));
		else
			legacy_feed(&l, (const char *)buf, (size_t)r);
		if (!ok)
			break;
	}
	close(fd);
	if (!v2) {
		legacy_line(&l, true);
		*exit_code = l.exit_code;
	} else {
		*exit_code = p.exit_code;
	}
	if (hung) {
		*exit_code = XF_ADB_HUNG;
		snprintf(err->msg, sizeof(err->msg), "%s: no output for %g s: the device hangs "
			 "(its shell stream was closed)", serial, hang_s);
		return XS_EIO;
	}
	if (!ok) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", serial, why);
		return XS_EFORMAT;
	}
	if (*exit_code < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s: the shell ended without an exit code "
			 "(the device or the adb server went away)", serial);
		return XS_EIO;
	}
	return XS_OK;
}

/* ---- sync ----------------------------------------------------------------------------------- */

static bool sync_req(int fd, const char *id, const char *path)
{
	uint8_t h[8];
	size_t n = strlen(path);
	memcpy(h, id, 4);
	put32(h + 4, (uint32_t)n);
	return n <= 1024 && write_all(fd, h, 8) && write_all(fd, path, n);
}

static void sync_quit(int fd)
{
	uint8_t h[8] = {'Q', 'U', 'I', 'T', 0, 0, 0, 0};
	write_all(fd, h, 8);
	close(fd);
}

/* After a FAIL id: its message into err. */
static void sync_failure(int fd, const uint8_t h[8], const char *what, const char *serial,
			 struct xs_error *err)
{
	char msg[300] = "";
	uint32_t n = le32(h + 4);
	if (memcmp(h, "FAIL", 4) == 0) {
		size_t k = n < sizeof(msg) - 1 ? n : sizeof(msg) - 1;
		if (!read_all(fd, msg, k))
			k = 0;
		msg[k] = '\0';
	} else {
		snprintf(msg, sizeof(msg), "unexpected reply '%.4s'", (const char *)h);
	}
	snprintf(err->msg, sizeof(err->msg), "%s on %s: %s", what, serial, msg);
}

enum xs_status xf_adb_stat(const struct xf_adb_server *s, const char *serial, const char *path,
			   uint32_t *mode, uint32_t *size, struct xs_error *err)
{
	int fd = open_service(s, serial, "sync:", err);
	if (fd < 0)
		return XS_EIO;
	uint8_t r[16];
	if (!sync_req(fd, "STAT", path) || !read_all(fd, r, 16) || memcmp(r, "STAT", 4) != 0) {
		snprintf(err->msg, sizeof(err->msg), "stat of '%.200s' on %s: no answer", path, serial);
		close(fd);
		return XS_EIO;
	}
	*mode = le32(r + 4);
	*size = le32(r + 8);
	sync_quit(fd);
	return XS_OK;
}

enum xs_status xf_adb_push(const struct xf_adb_server *s, const char *serial, const char *local,
			   const char *remote, unsigned mode, struct xs_error *err)
{
	FILE *f = fopen(local, "rb");
	if (f == NULL) {
		snprintf(err->msg, sizeof(err->msg), "cannot read '%s': %s", local, strerror(errno));
		return XS_EIO;
	}
	int fd = open_service(s, serial, "sync:", err);
	if (fd < 0) {
		fclose(f);
		return XS_EIO;
	}
	char spec[1100];
	int w = snprintf(spec, sizeof(spec), "%s,%u", remote, mode);
	bool ok = w > 0 && (size_t)w <= 1024 && sync_req(fd, "SEND", spec);
	static __thread uint8_t buf[8 + 65536];
	while (ok) {
		size_t r = fread(buf + 8, 1, 65536, f);
		if (r == 0)
			break;
		memcpy(buf, "DATA", 4);
		put32(buf + 4, (uint32_t)r);
		ok = write_all(fd, buf, 8 + r);
	}
	bool read_error = ferror(f);
	fclose(f);
	uint8_t h[8];
	memcpy(h, "DONE", 4);
	put32(h + 4, (uint32_t)time(NULL));
	if (!ok || read_error || !write_all(fd, h, 8) || !read_all(fd, h, 8)) {
		snprintf(err->msg, sizeof(err->msg), "push of '%s' to %s:%.200s: %s", local, serial,
			 remote, read_error ? "read error here" : "the connection was lost");
		close(fd);
		return XS_EIO;
	}
	if (memcmp(h, "OKAY", 4) != 0) {
		char what[400];
		snprintf(what, sizeof(what), "push of '%.150s' to '%.200s'", local, remote);
		sync_failure(fd, h, what, serial, err);
		close(fd);
		return XS_EIO;
	}
	sync_quit(fd);
	return XS_OK;
}

enum xs_status xf_adb_pull(const struct xf_adb_server *s, const char *serial, const char *remote,
			   const char *dir, char *out, size_t out_n, struct xs_error *err)
{
	const char *base = strrchr(remote, '/');
	base = base ? base + 1 : remote;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		snprintf(err->msg, sizeof(err->msg), "pull of '%.200s': not a file name", remote);
		return XS_EINVAL;
	}
	char tmp[4200];
	if ((size_t)snprintf(out, out_n, "%s/%s", dir, base) >= out_n ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.part", out) >= sizeof(tmp)) {
		snprintf(err->msg, sizeof(err->msg), "pull of '%.200s': the path is too long", remote);
		return XS_EINVAL;
	}
	int fd = open_service(s, serial, "sync:", err);
	if (fd < 0)
		return XS_EIO;
	int lf = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (lf < 0 || !sync_req(fd, "RECV", remote)) {
		snprintf(err->msg, sizeof(err->msg), "pull of '%.200s' into '%.200s': %s", remote, tmp,
			 lf < 0 ? strerror(errno) : "the connection was lost");
		if (lf >= 0)
			close(lf);
		close(fd);
		return XS_EIO;
	}
	static __thread uint8_t buf[65536];
	enum xs_status st = XS_EIO;
	for (;;) {
		uint8_t h[8];
		if (!read_all(fd, h, 8)) {
			snprintf(err->msg, sizeof(err->msg), "pull of '%.200s' from %s: cut", remote,
				 serial);
			break;
		}
		uint32_t n = le32(h + 4);
		if (memcmp(h, "DONE", 4) == 0) {
			st = XS_OK;
			break;
		}
		if (memcmp(h, "DATA", 4) != 0 || n > sizeof(buf)) {
			sync_failure(fd, h, "pull", serial, err);
			break;
		}
		if (!read_all(fd, buf, n) || !put_all(lf, buf, n, false)) {
			snprintf(err->msg, sizeof(err->msg), "pull of '%.200s' from %s: cut or "
				 "cannot write '%.200s'", remote, serial, tmp);
			break;
		}
	}
	if (close(lf) != 0 && st == XS_OK) {
		snprintf(err->msg, sizeof(err->msg), "cannot write '%.200s'", tmp);
		st = XS_EIO;
	}
	if (st == XS_OK && rename(tmp, out) != 0) {
		snprintf(err->msg, sizeof(err->msg), "cannot rename '%.200s': %s", tmp, strerror(errno));
		st = XS_EIO;
	}
	if (st != XS_OK)
		unlink(tmp);
	if (st == XS_OK)
		sync_quit(fd);
	else
		close(fd);
	return st;
}
