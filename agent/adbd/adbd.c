/* adbd.c - xnn-adbd: the device side of ADB over TCP, so that a Linux board
 * (or a test) joins a fleet through a real adb server (`adb connect`).
 *
 * It answers the host's CNXN with a banner made from a persona (a getprop
 * table), serves `shell` (shell_v2 with exit codes, or the legacy raw shell)
 * and `sync` (SEND, RECV, STAT: only under its work folder, through no
 * symlink), and runs agents built for another architecture under
 * qemu-user. ADB RSA auth is not implemented yet: a host is let in only
 * with --no-auth, and only on loopback; a host that is not let in is asked
 * for auth and opens no stream. It refuses to run as root without
 * --allow-root. Shells get a `getprop` in PATH that prints the persona (this
 * program under another name), which is where the agent's probe reads it.
 *
 * Threads: one per connection reads packets; each stream has a service
 * thread (shell or sync, speaking over a socketpair) and a pump thread that
 * sends what the service writes as WRTE packets, one unacknowledged at a
 * time. Facts: docs/adb.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"
#include "xr.h"

static const char usage_text[] =
	"usage: xnn-adbd --persona FILE [--no-auth] [--listen ADDR:PORT] [--work DIR]\n"
	"                [--port-file F] [--allow-root] [--no-shell-v2] [--disk-bytes N]\n"
	"                [--refuse-auth]\n"
	"\n"
	"The device side of ADB over TCP: run it on a Linux board (or for tests on\n"
	"this host), then 'adb connect ADDR:PORT' and the board is an adb device that\n"
	"xnn-fleet sweeps like a phone.\n"
	"\n"
	"--persona   a getprop table ('[key]: [value]' lines, what Android's getprop\n"
	"            prints): ro.product.model, ro.product.cpu.abi, ro.serialno, ...\n"
	"            Shells see it through 'getprop'. xnn.fleet.workdir names the\n"
	"            folder xnn-fleet uses (default: WORK/data).\n"
	"--no-auth   let in every host that reaches the port, with no ADB auth: on\n"
	"            loopback that is every user of this host, who can then run any\n"
	"            command as this program's user. ADB RSA auth is not implemented\n"
	"            yet; without --no-auth every host is asked for it and none is\n"
	"            accepted (the device stays 'unauthorized', as with --refuse-auth)\n"
	"--listen    default 127.0.0.1:5555; port 0 picks a free one (see --port-file).\n"
	"            Loopback only: without ADB RSA auth any other address is refused,\n"
	"            --no-auth or not (reach a board with 'ssh -L').\n"
	"--work      its own files (getprop, the default work folder); sync reaches\n"
	"            only the files under it. Made with mode 0700 when missing; refused\n"
	"            when it is not this user's with mode 0700, or when another user\n"
	"            can change a folder above it. Default: a new folder\n"
	"            $TMPDIR/xnn-adbd-PORT-XXXXXX each start\n"
	"--port-file the port it listens on is written there once it is listening\n"
	"--allow-root    run as root all the same: every shell and sync request then\n"
	"            runs as root (without it, root is refused)\n"
	"--no-shell-v2   leave shell_v2 out of the features (the legacy shell, as on\n"
	"            old devices)\n"
	"--disk-bytes N  a device with N bytes of space whose pushes do not fail when\n"
	"            it is full (some adb versions behave so): for tests\n"
	"--refuse-auth   ask the host for ADB auth and accept no key: the device\n"
	"            stays 'unauthorized' (what it does without --no-auth; for tests)\n";

/* Which hosts may open streams. ADB RSA auth will be one more mode (an
 * authorized-keys file), checked where conn_main gets AUTH(SIGNATURE) and
 * AUTH(RSAPUBLICKEY); it sets conn->authorized as AUTH_NONE does on CNXN. */
enum auth {
	AUTH_REFUSE,            /* the default: ask for auth, accept no key */
	AUTH_NONE,              /* --no-auth: every host that reaches the port */
};

static struct {
	const char *persona_path;
	char *persona;          /* the file's text */
	char work[PATH_MAX];     /* the work folder, absolute, as given */
	char work_real[PATH_MAX]; /* its realpath (requests may use either) */
	int work_fd;            /* the work folder: sync opens everything under it */
	char bin[PATH_MAX + 8];  /* work/bin: getprop */
	bool shell_v2;
	enum auth auth;
	long long disk_left;    /* -1: no limit */
	pthread_mutex_t disk_lock;
} g = {.shell_v2 = true, .disk_left = -1, .disk_lock = PTHREAD_MUTEX_INITIALIZER};

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* ---- getprop: this program under that name ------------------------------------------ */

static int getprop_main(int argc, char **argv)
{
	const char *path = getenv("XNN_ADBD_PERSONA");
	char *text = path ? read_file(path, 1 << 20) : NULL;
	if (text == NULL) {
		fprintf(stderr, "getprop: no persona (XNN_ADBD_PERSONA)\n");
		return 1;
	}
	if (argc > 1) {
		char v[4096];
		if (xr_prop_value(text, argv[1], v, sizeof(v)))
			printf("%s\n", v);
		else
			printf("%s\n", argc > 2 ? argv[2] : "");
	} else {
		fputs(text, stdout);
		if (*text && text[strlen(text) - 1] != '\n')
			putchar('\n');
	}
	free(text);
	return 0;
}

/* ---- I/O helpers ------------------------------------------------------------------------ */

static bool write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
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

/* ---- connections and streams ------------------------------------------------------------ */

struct conn;

struct stream {
	struct conn *c;
	uint32_t id, host_id;
	int fd;                 /* our end of the service's socketpair */
	int svc_fd;             /* the service's end */
	char service[2048];
	bool acked, host_closed, finished;
	bool svc_started;       /* svc was created (the pump joins it) */
	pthread_cond_t cond;
	pthread_t pump, svc;
	struct stream *next;
};

struct conn {
	int fd;
	uint32_t version, max_payload;
	bool authorized;        /* may open streams (auth passed, or --no-auth) */
	pthread_mutex_t lock;   /* writes to fd, the stream list and its flags */
	struct stream *streams;
	uint32_t next_id;
};

/* send_packet with c->lock held. */
static bool send_locked(struct conn *c, uint32_t cmd, uint32_t a0, uint32_t a1,
			const void *data, uint32_t len)
{
	uint8_t h[XA_ADB_HEADER];
	xa_adb_header_write(h, cmd, a0, a1, data, len, c->version);
	return write_all(c->fd, h, sizeof(h)) && (len == 0 || write_all(c->fd, data, len));
}

static bool send_packet(struct conn *c, uint32_t cmd, uint32_t a0, uint32_t a1,
			const void *data, uint32_t len)
{
	pthread_mutex_lock(&c->lock);
	bool ok = send_locked(c, cmd, a0, a1, data, len);
	pthread_mutex_unlock(&c->lock);
	return ok;
}

static void *shell_main(void *p);
static void *sync_main(void *p);

/* Sends what the service writes, one WRTE at a time, each acknowledged. */
static void *pump_main(void *p)
{
	struct stream *s = p;
	struct conn *c = s->c;
	size_t cap = c->max_payload;
	uint8_t *buf = malloc(cap);
	while (buf) {
		ssize_t r = read(s->fd, buf, cap);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		pthread_mutex_lock(&c->lock);
		bool closed = s->host_closed;
		s->acked = false;
		pthread_mutex_unlock(&c->lock);
		if (closed || !send_packet(c, XA_ADB_WRTE, s->id, s->host_id, buf, (uint32_t)r))
			break;
		pthread_mutex_lock(&c->lock);
		while (!s->acked && !s->host_closed)
			pthread_cond_wait(&s->cond, &c->lock);
		closed = s->host_closed;
		pthread_mutex_unlock(&c->lock);
		if (closed)
			break;
	}
	free(buf);
	shutdown(s->fd, SHUT_RDWR);
	pthread_mutex_lock(&c->lock);
	bool svc = s->svc_started;
	pthread_mutex_unlock(&c->lock);
	if (svc)
		pthread_join(s->svc, NULL);
	pthread_mutex_lock(&c->lock);
	bool tell = !s->host_closed;
	s->host_closed = true;
	pthread_mutex_unlock(&c->lock);
	if (tell)
		send_packet(c, XA_ADB_CLSE, s->id, s->host_id, NULL, 0);
	pthread_mutex_lock(&c->lock);
	s->finished = true;
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Joins and frees finished streams (all of them when all is set, after
 * telling them the host is gone). */
static void reap(struct conn *c, bool all)
{
	for (;;) {
		struct stream *victim = NULL;
		pthread_mutex_lock(&c->lock);
		for (struct stream **pp = &c->streams; *pp; pp = &(*pp)->next) {
			if (all && !(*pp)->host_closed) {
				(*pp)->host_closed = true;
				pthread_cond_signal(&(*pp)->cond);
				shutdown((*pp)->fd, SHUT_RDWR);
			}
			if ((*pp)->finished || all) {
				victim = *pp;
				*pp = victim->next;
				break;
			}
		}
		pthread_mutex_unlock(&c->lock);
		if (victim == NULL)
			return;
		pthread_join(victim->pump, NULL);
		close(victim->fd);
		pthread_cond_destroy(&victim->cond);
		free(victim);
	}
}

static struct stream *find_stream(struct conn *c, uint32_t id)
{
	for (struct stream *s = c->streams; s; s = s->next)
		if (s->id == id && !s->finished)
			return s;
	return NULL;
}

static void open_stream(struct conn *c, uint32_t host_id, const uint8_t *data, uint32_t len)
{
	struct stream *s = calloc(1, sizeof(*s));
	if (s == NULL || len == 0 || len >= sizeof(s->service)) {
		free(s);
		send_packet(c, XA_ADB_CLSE, 0, host_id, NULL, 0);
		return;
	}
	memcpy(s->service, data, len);
	s->service[len] = '\0';
	if (!c->authorized) {
		fprintf(stderr, "xnn-adbd: refusing '%.100s': the host is not authorized (ADB RSA "
				"auth is not implemented yet; --no-auth lets in every host that "
				"reaches the port)\n", s->service);
		free(s);
		send_packet(c, XA_ADB_CLSE, 0, host_id, NULL, 0);
		return;
	}
	void *(*fn)(void *) = NULL;
	if (strncmp(s->service, "shell", 5) == 0)
		fn = shell_main;
	else if (strcmp(s->service, "sync:") == 0)
		fn = sync_main;
	int sp[2];
	if (fn == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		fprintf(stderr, "xnn-adbd: refusing service '%.100s'\n", s->service);
		free(s);
		send_packet(c, XA_ADB_CLSE, 0, host_id, NULL, 0);
		return;
	}
	s->c = c;
	s->host_id = host_id;
	s->fd = sp[0];
	s->svc_fd = sp[1];
	s->acked = true;
	pthread_cond_init(&s->cond, NULL);
	/* OKAY only once both threads run; the lock keeps the pump's first
	 * WRTE behind it */
	pthread_mutex_lock(&c->lock);
	int e = pthread_create(&s->pump, NULL, pump_main, s);
	bool pump = e == 0;
	if (pump) {
		e = pthread_create(&s->svc, NULL, fn, s);
		s->svc_started = e == 0;
		if (e != 0) {  /* the pump reads EOF, sends nothing and finishes */
			s->host_closed = true;
			close(s->svc_fd);
			shutdown(s->fd, SHUT_RDWR);
		}
		s->id = ++c->next_id;
		s->next = c->streams;
		c->streams = s;
		if (e == 0)
			send_locked(c, XA_ADB_OKAY, s->id, host_id, NULL, 0);
	}
	pthread_mutex_unlock(&c->lock);
	if (e == 0)
		return;
	fprintf(stderr, "xnn-adbd: refusing '%.100s': cannot start its %s thread: %s\n",
		s->service, pump ? "service" : "output", strerror(e));
	if (!pump) {
		close(s->fd);
		close(s->svc_fd);
		pthread_cond_destroy(&s->cond);
		free(s);
	}
	send_packet(c, XA_ADB_CLSE, 0, host_id, NULL, 0);
}

static void banner(char *out, size_t n)
{
	static const char *const keys[] = {"ro.product.name", "ro.product.model",
					   "ro.product.device"};
	size_t len = (size_t)snprintf(out, n, "device::");
	for (size_t i = 0; i < 3 && len < n; i++) {
		char v[256];
		xr_prop_value(g.persona, keys[i], v, sizeof(v));
		for (char *q = v; *q; q++)  /* the banner cannot carry these */
			if (*q == ':' || *q == ';' || *q == '=' || (unsigned char)*q < ' ')
				*q = '_';
		len += (size_t)snprintf(out + len, n - len, "%s=%s;", keys[i], v);
	}
	if (len < n)
		snprintf(out + len, n - len, "features=%sfixed_push_mkdir",
			 g.shell_v2 ? "shell_v2," : "");
}

/* AUTH(TOKEN) with 20 random bytes. */
static void send_token(struct conn *c)
{
	uint8_t token[20];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !read_all(fd, token, sizeof(token)))
		memset(token, 0x5a, sizeof(token));
	if (fd >= 0)
		close(fd);
	send_packet(c, XA_ADB_AUTH, 1, 0, token, sizeof(token));
}

static void *conn_main(void *p)
{
	struct conn *c = p;
	uint8_t hb[XA_ADB_HEADER];
	uint8_t *data = malloc(XA_ADB_MAX_PAYLOAD);
	char why[160];
	bool connected = false;
	while (data && read_all(c->fd, hb, sizeof(hb))) {
		struct xa_adb_header h;
		if (!xa_adb_header_parse(hb, XA_ADB_MAX_PAYLOAD, &h, why, sizeof(why))) {
			fprintf(stderr, "xnn-adbd: dropping the connection: %s\n", why);
			break;
		}
		if (h.len && !read_all(c->fd, data, h.len))
			break;
		if (!xa_adb_data_ok(&h, connected ? c->version : h.arg0, data)) {
			fprintf(stderr, "xnn-adbd: dropping the connection: bad data checksum\n");
			break;
		}
		reap(c, false);
		switch (h.cmd) {
		case XA_ADB_CNXN: {
			c->version = h.arg0 < XA_ADB_VERSION ? h.arg0 : XA_ADB_VERSION;
			if (c->version < XA_ADB_VERSION_MIN) {
				fprintf(stderr, "xnn-adbd: host protocol 0x%08x is too old\n",
					(unsigned)h.arg0);
				goto out;
			}
			c->max_payload = h.arg1 < XA_ADB_MAX_PAYLOAD ? h.arg1 : XA_ADB_MAX_PAYLOAD;
			if (c->max_payload < 4096)
				c->max_payload = 4096;
			if (g.auth != AUTH_NONE) {
				send_token(c);
				break;
			}
			c->authorized = true;
			char b[1024];
			banner(b, sizeof(b));
			send_packet(c, XA_ADB_CNXN, c->version, XA_ADB_MAX_PAYLOAD, b,
				    (uint32_t)strlen(b));
			connected = true;
			break;
		}
		case XA_ADB_OPEN:
			open_stream(c, h.arg0, data, h.len && data[h.len - 1] == '\0' ? h.len - 1 : h.len);
			break;
		case XA_ADB_WRTE: {
			pthread_mutex_lock(&c->lock);
			struct stream *s = find_stream(c, h.arg1);
			int fd = s && !s->host_closed ? s->fd : -1;
			pthread_mutex_unlock(&c->lock);
			/* the pump owns the stream until it finishes; only this thread
			 * reaps, so s stays valid here. A service that has ended (a
			 * quick command, before the host's close-stdin arrives) drops
			 * its input: acknowledged all the same, and its pump still
			 * sends what it wrote, then CLSE. Closing here instead would
			 * race that output (the exit code) and lose it. */
			if (fd >= 0) {
				write_all(fd, data, h.len);
				send_packet(c, XA_ADB_OKAY, h.arg1, h.arg0, NULL, 0);
			} else {
				send_packet(c, XA_ADB_CLSE, h.arg1, h.arg0, NULL, 0);
			}
			break;
		}
		case XA_ADB_OKAY: {
			pthread_mutex_lock(&c->lock);
			struct stream *s = find_stream(c, h.arg1);
			if (s) {
				s->acked = true;
				pthread_cond_signal(&s->cond);
			}
			pthread_mutex_unlock(&c->lock);
			break;
		}
		case XA_ADB_CLSE: {
			pthread_mutex_lock(&c->lock);
			struct stream *s = find_stream(c, h.arg1);
			if (s) {
				s->host_closed = true;
				pthread_cond_signal(&s->cond);
				shutdown(s->fd, SHUT_RDWR);
			}
			pthread_mutex_unlock(&c->lock);
			break;
		}
		case XA_ADB_AUTH:
			/* a signature: refused, another token (the host then sends its
			 * public key and shows the device as unauthorized). RSA auth
			 * checks it here against the authorized keys. */
			if (!c->authorized && h.arg0 == 2)
				send_token(c);
			break;
		default:
			break;
		}
	}
out:
	reap(c, true);
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
	free(data);
	free(c);
	return NULL;
}

/* ---- shell ------------------------------------------------------------------------------ */

/* The qemu-user program for an ELF of another architecture, or NULL. */
static const char *foreign_runner(const char *path)
{
	if (strchr(path, '/') == NULL)
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t h[20];
	bool ok = fd >= 0 && read_all(fd, h, sizeof(h));
	if (fd >= 0)
		close(fd);
	if (!ok || memcmp(h, "\177ELF", 4) != 0)
		return NULL;
	unsigned machine = (unsigned)h[18] | (unsigned)h[19] << 8;
#if defined(__x86_64__)
	const unsigned self = 62;
#elif defined(__aarch64__)
	const unsigned self = 183;
#elif defined(__arm__)
	const unsigned self = 40;
#else
	const unsigned self = 0;
#endif
	if (machine == self)
		return NULL;
	switch (machine) {
	case 183: return "qemu-aarch64";
	case 40: return "qemu-arm";
	case 62: return "qemu-x86_64";
	default: return NULL;
	}
}

/* Runs cmd the way a device shell does: /bin/sh -c, except that a command of
 * quoted words naming a foreign-architecture program runs under qemu-user. */
static pid_t spawn(const char *cmd, int in, int out, int err)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	const char *path = getenv("PATH");
	char newpath[PATH_MAX * 2];
	snprintf(newpath, sizeof(newpath), "%s:%s", g.bin, path ? path : "/usr/bin:/bin");
	setenv("PATH", newpath, 1);
	setenv("XNN_ADBD_PERSONA", g.persona_path, 1);
	signal(SIGPIPE, SIG_DFL);
	static char words[65536];
	static char *argv[256];
	if (xa_shell_words(cmd, words + 1, sizeof(words) - 1, argv + 1, 255)) {
		const char *runner = foreign_runner(argv[1]);
		if (runner) {
			argv[0] = (char *)runner;
			execvp(runner, argv);
			fprintf(stderr, "xnn-adbd: cannot run %s: %s (install qemu-user)\n", runner,
				strerror(errno));
			_exit(127);
		}
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static int exit_code(pid_t pid)
{
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return 255;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
}

static bool v2_packet(int fd, uint8_t id, const void *data, uint32_t len)
{
	uint8_t h[5] = {id};
	xa_put32(h + 1, len);
	return write_all(fd, h, 5) && (len == 0 || write_all(fd, data, len));
}

static void *shell_main(void *p)
{
	struct stream *s = p;
	int fd = s->svc_fd;
	const char *svc = s->service;
	bool v2 = false;
	/* shell[,v2][,raw|,pty]:command */
	const char *colon = strchr(svc, ':');
	if (colon == NULL)
		goto out;
	for (const char *q = svc + 5; q < colon;) {
		size_t n = strcspn(q, ",:");
		if (n == 2 && strncmp(q, "v2", 2) == 0)
			v2 = true;
		q += n + (q[n] == ',');
	}
	const char *cmd = colon + 1;
	if (*cmd == '\0') {
		const char msg[] = "xnn-adbd: no interactive shell; give a command\n";
		if (v2) {
			v2_packet(fd, 2, msg, sizeof(msg) - 1);
			uint8_t code = 1;
			v2_packet(fd, 3, &code, 1);
		} else {
			write_all(fd, msg, sizeof(msg) - 1);
		}
		goto out;
	}
	if (v2 && !g.shell_v2)
		goto out;
	int in[2], o[2], e[2];
	if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
		goto out;
	pid_t pid = spawn(cmd, in[0], o[1], v2 ? e[1] : o[1]);
	int spawn_errno = errno;
	close(in[0]);
	close(o[1]);
	close(e[1]);
	if (pid < 0) {  /* the host hears why, with exit code 127 */
		char msg[160];
		int mn = snprintf(msg, sizeof(msg), "xnn-adbd: cannot start the command: %s\n",
				  strerror(spawn_errno));
		fputs(msg, stderr);
		close(in[1]);
		close(o[0]);
		close(e[0]);
		uint8_t code = 127;
		if (!v2)
			write_all(fd, msg, (size_t)mn);
		else if (v2_packet(fd, 2, msg, (uint32_t)mn))
			v2_packet(fd, 3, &code, 1);
		goto out;
	}
	if (!v2) {
		close(e[0]);
		e[0] = -1;
	}
	int child_in = in[1];
	struct pollfd pf[3] = {{fd, POLLIN, 0}, {o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
	uint8_t buf[32768], pkt[65536 + 5];
	size_t plen = 0;
	bool host_gone = false;
	while (pf[1].fd >= 0 || pf[2].fd >= 0) {
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].fd >= 0 && pf[0].revents) {
			ssize_t r = read(fd, v2 ? pkt + plen : buf,
					 v2 ? sizeof(pkt) - plen : sizeof(buf));
			if (r <= 0) {
				host_gone = true;
				break;
			}
			if (!v2) {
				if (child_in >= 0 && !write_all(child_in, buf, (size_t)r)) {
					close(child_in);
					child_in = -1;
				}
			} else {
				plen += (size_t)r;
				/* [id][len][data] packets, split or joined anyhow */
				while (plen >= 5) {
					uint32_t len = xa_le32(pkt + 1);
					if (len > sizeof(pkt) - 5) {
						host_gone = true;
						break;
					}
					if (plen < 5 + len)
						break;
					if (pkt[0] == 0 && child_in >= 0 && len &&
					    !write_all(child_in, pkt + 5, len)) {
						close(child_in);
						child_in = -1;
					} else if (pkt[0] == 4 && child_in >= 0) {
						close(child_in);
						child_in = -1;
					}
					memmove(pkt, pkt + 5 + len, plen - 5 - len);
					plen -= 5 + len;
				}
				if (host_gone)
					break;
			}
		}
		for (int i = 1; i < 3; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			ssize_t r = read(pf[i].fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				continue;
			}
			bool ok = v2 ? v2_packet(fd, (uint8_t)i, buf, (uint32_t)r)
				     : write_all(fd, buf, (size_t)r);
			if (!ok)
				host_gone = true;
		}
		if (host_gone)
			break;
	}
	if (host_gone)
		kill(-pid, SIGKILL);
	for (int i = 1; i < 3; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	if (child_in >= 0)
		close(child_in);
	uint8_t code = (uint8_t)exit_code(pid);
	if (v2 && !host_gone)
		v2_packet(fd, 3, &code, 1);
out:
	close(fd);
	return NULL;
}

/* ---- sync ------------------------------------------------------------------------------- */

static bool sync_reply(int fd, const char *id, const void *data, uint32_t len)
{
	uint8_t h[8];
	memcpy(h, id, 4);
	xa_put32(h + 4, len);
	return write_all(fd, h, 8) && (len == 0 || write_all(fd, data, len));
}

__attribute__((format(printf, 2, 3)))
static bool sync_fail(int fd, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sync_reply(fd, "FAIL", msg, (uint32_t)strlen(msg));
}

#define SYNC_PATH 1100

/* The folder of path under the work folder (*dir, the caller's to close)
 * and its last component (*name, in rel; "." for the work folder itself):
 * each folder on the way is opened under the one before it without
 * following a symlink, so that no "..", symlink or path outside the work
 * folder leads elsewhere, even one swapped in meanwhile. Missing folders are
 * made when make is set (fixed_push_mkdir). false with why filled (and
 * logged: a refused path is worth knowing). */
static bool sync_resolve(const char *path, bool make, char rel[SYNC_PATH], int *dir,
			 const char **name, char *why, size_t why_n)
{
	if (!xa_sync_path_rel(path, g.work, g.work_real, rel, SYNC_PATH, why, why_n)) {
		fprintf(stderr, "xnn-adbd: sync: refused: %s\n", why);
		return false;
	}
	int d = fcntl(g.work_fd, F_DUPFD_CLOEXEC, 0);
	char *p = rel;
	for (char *slash; d >= 0 && (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		*slash = '\0';
		int next = openat(d, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && make &&
		    (mkdirat(d, p, 0755) == 0 || errno == EEXIST))
			next = openat(d, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(d);
		d = next;
		if (d < 0) {
			if (e == ELOOP || e == ENOTDIR)
				fprintf(stderr, "xnn-adbd: sync: refused '%.300s': '%.300s' is a "
						"symlink or not a folder\n", path, rel);
			snprintf(why, why_n, "'%.300s': '%.300s' %s", path, rel,
				 e == ELOOP || e == ENOTDIR ? "is a symlink or not a folder (sync "
				 "follows no symlinks)" : strerror(e));
			return false;
		}
		*slash = '/';
	}
	if (d < 0) {
		snprintf(why, why_n, "'%.300s': %s", path, strerror(errno));
		return false;
	}
	*dir = d;
	*name = *p ? p : ".";
	return true;
}

/* "DONE" after a push: the file renamed into place, or why not. */
static bool send_done(int dir, int out, const char *tmp, const char *name, unsigned mode,
		      const char *path, char *why, size_t why_n)
{
	const char *e = NULL;
	if (fchmod(out, mode & 0777) != 0)  /* no setuid file from a push */
		e = strerror(errno);
	if (close(out) != 0 && e == NULL)
		e = strerror(errno);
	if (e == NULL && renameat(dir, tmp, dir, name) != 0)
		e = strerror(errno);
	if (e)
		snprintf(why, why_n, "cannot write '%.300s': %s", path, e);
	return e == NULL;
}

static bool sync_send(int fd, const char *spec, uint32_t len)
{
	char path[SYNC_PATH], rel[SYNC_PATH], why[800] = "", tmp[64];
	unsigned mode;
	if (!xa_sync_send_spec(spec, len, path, sizeof(path), &mode))
		return sync_fail(fd, "bad SEND request '%.100s'", spec) && false;
	int dir = -1, out = -1;
	const char *name = NULL;
	if (sync_resolve(path, true, rel, &dir, &name, why, sizeof(why))) {
		/* a name of our own, made here (never a file or link already there) */
		static unsigned seq;
		snprintf(tmp, sizeof(tmp), ".xnn-adbd-push-%ld-%u", (long)getpid(),
			 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
		out = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			snprintf(why, sizeof(why), "cannot write '%.300s': %s", path, strerror(errno));
	}
	bool made = out >= 0;
	static __thread uint8_t buf[XA_SYNC_DATA_MAX];
	for (;;) {
		uint8_t h[8];
		if (!read_all(fd, h, 8))
			break;
		uint32_t n = xa_le32(h + 4);
		if (memcmp(h, "DONE", 4) == 0) {
			bool ok = false;
			if (out >= 0 && !why[0]) {
				ok = send_done(dir, out, tmp, name, mode, path, why, sizeof(why));
				out = -1;
			}
			if (out >= 0)
				close(out);
			if (!ok && made)
				unlinkat(dir, tmp, 0);
			if (dir >= 0)
				close(dir);
			return ok ? sync_reply(fd, "OKAY", NULL, 0) : sync_fail(fd, "%s", why);
		}
		if (memcmp(h, "DATA", 4) != 0 || n > XA_SYNC_DATA_MAX || !read_all(fd, buf, n))
			break;
		size_t keep = n;
		pthread_mutex_lock(&g.disk_lock);
		if (g.disk_left >= 0) {  /* a full device that does not say so */
			keep = (long long)n < g.disk_left ? n : (size_t)g.disk_left;
			g.disk_left -= (long long)keep;
		}
		pthread_mutex_unlock(&g.disk_lock);
		if (out >= 0 && !why[0] && keep && !write_all(out, buf, keep))
			snprintf(why, sizeof(why), "cannot write '%.300s': %s", path, strerror(errno));
	}
	if (out >= 0)
		close(out);
	if (made)
		unlinkat(dir, tmp, 0);
	if (dir >= 0)
		close(dir);
	return false;
}

static bool sync_recv(int fd, const char *path)
{
	char rel[SYNC_PATH], why[800];
	int dir;
	const char *name;
	if (!sync_resolve(path, false, rel, &dir, &name, why, sizeof(why)))
		return sync_fail(fd, "%s", why);
	int in = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int e = errno;
	close(dir);
	if (in < 0 && e == ELOOP)
		fprintf(stderr, "xnn-adbd: sync: refused '%.300s': a symlink\n", path);
	if (in < 0)
		return sync_fail(fd, "cannot read '%s': %s", path,
				 e == ELOOP ? "a symlink (sync follows no symlinks)" : strerror(e));
	struct stat st;
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode) || fcntl(in, F_SETFL, 0) != 0) {
		close(in);
		return sync_fail(fd, "cannot read '%s': not a file", path);
	}
	static __thread uint8_t buf[XA_SYNC_DATA_MAX];
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(in);
			return sync_fail(fd, "cannot read '%s': %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		if (!sync_reply(fd, "DATA", buf, (uint32_t)r)) {
			close(in);
			return false;
		}
	}
	close(in);
	return sync_reply(fd, "DONE", NULL, 0);
}

/* lstat under the work folder; all zeros (missing) for anything else. */
static bool sync_stat(int fd, const char *path)
{
	char rel[SYNC_PATH], why[800];
	int dir;
	const char *name;
	uint8_t out[16] = {'S', 'T', 'A', 'T'};
	struct stat st;
	if (sync_resolve(path, false, rel, &dir, &name, why, sizeof(why))) {
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			xa_put32(out + 4, (uint32_t)st.st_mode);
			xa_put32(out + 8, (uint32_t)st.st_size);
			xa_put32(out + 12, (uint32_t)st.st_mtime);
		}
		close(dir);
	}
	return write_all(fd, out, 16);
}

static void *sync_main(void *p)
{
	struct stream *s = p;
	int fd = s->svc_fd;
	for (;;) {
		uint8_t h[8];
		char path[1100];
		if (!read_all(fd, h, 8))
			break;
		uint32_t len = xa_le32(h + 4);
		if (memcmp(h, "QUIT", 4) == 0)
			break;
		if (len > 1024 || !read_all(fd, path, len)) {
			sync_fail(fd, "request of %u bytes is over 1024", (unsigned)len);
			break;
		}
		path[len] = '\0';
		bool ok;
		if (memcmp(h, "STAT", 4) == 0) {
			ok = sync_stat(fd, path);
		} else if (memcmp(h, "SEND", 4) == 0) {
			ok = sync_send(fd, path, len);
		} else if (memcmp(h, "RECV", 4) == 0) {
			ok = sync_recv(fd, path);
		} else {
			sync_fail(fd, "unknown sync request '%.4s'", (const char *)h);
			ok = false;
		}
		if (!ok)
			break;
	}
	close(fd);
	return NULL;
}

/* ---- main ------------------------------------------------------------------------------- */

static bool loopback(const struct sockaddr_in *a)
{
	return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
}

/* Whether no other user can change a folder above path (an absolute real
 * path): each is root's or ours, and one that others may write has the
 * sticky bit (as /tmp), so that nobody else can rename or swap what is in
 * it. Says which one when not. */
static bool parents_safe(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
		*slash = '\0';
		const char *dir = slash == p ? "/" : p;
		struct stat st;
		if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    (st.st_uid != 0 && st.st_uid != geteuid()) ||
		    ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))) {
			fprintf(stderr, "xnn-adbd: refusing the work folder '%s': another user may "
					"change '%s' above it (owner uid %u, mode %04o) and swap the "
					"folder for one of theirs; use a work folder whose parents only "
					"root or uid %u may change\n", path, dir, (unsigned)st.st_uid,
				(unsigned)(st.st_mode & 07777), (unsigned)geteuid());
			return false;
		}
		if (slash == p)
			break;
	}
	return true;
}

/* The work folder: WORK, made with mode 0700 when missing, or a new one
 * under $TMPDIR; refused unless it is a folder of ours with mode 0700
 * (never one another user made and can plant files in) under parents no
 * other user can change. g.work, g.work_real, g.work_fd and g.bin set;
 * false after saying why. */
static bool work_open(const char *work, long port)
{
	const char *t = getenv("TMPDIR");
	if (work == NULL) {
		snprintf(g.work, sizeof(g.work), "%s/xnn-adbd-%ld-XXXXXX", t && *t ? t : "/tmp",
			 port);
		if (mkdtemp(g.work) == NULL) {
			fprintf(stderr, "xnn-adbd: cannot make a work folder '%s': %s (set TMPDIR to "
					"a folder of yours, or give --work)\n", g.work, strerror(errno));
			return false;
		}
	} else {
		char cwd[PATH_MAX];
		if (work[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
			snprintf(cwd, sizeof(cwd), ".");
		if ((size_t)snprintf(g.work, sizeof(g.work), "%s%s%s", work[0] == '/' ? "" : cwd,
				     work[0] == '/' ? "" : "/", work) >= sizeof(g.work)) {
			fprintf(stderr, "xnn-adbd: --work '%.200s': the path is too long\n", work);
			return false;
		}
		if (mkdir(g.work, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "xnn-adbd: cannot make the work folder '%s': %s\n", g.work,
				strerror(errno));
			return false;
		}
	}
	for (size_t n = strlen(g.work); n > 1 && g.work[n - 1] == '/'; n--)
		g.work[n - 1] = '\0';
	struct stat st, real;
	g.work_fd = open(g.work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (g.work_fd < 0 || fstat(g.work_fd, &st) != 0) {
		fprintf(stderr, "xnn-adbd: cannot open the work folder '%s': %s%s\n", g.work,
			strerror(errno), errno == ELOOP || errno == ENOTDIR ?
			" (a symlink or a file: give a folder)" : "");
		return false;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		fprintf(stderr, "xnn-adbd: refusing the work folder '%s': it is uid %u's with mode "
				"%04o, and it must be this program's (uid %u) with mode 0700, or "
				"another user could plant programs and files in it; remove it or "
				"give another --work\n", g.work, (unsigned)st.st_uid,
			(unsigned)(st.st_mode & 07777), (unsigned)geteuid());
		return false;
	}
	if (realpath(g.work, g.work_real) == NULL || stat(g.work_real, &real) != 0 ||
	    real.st_dev != st.st_dev || real.st_ino != st.st_ino) {
		fprintf(stderr, "xnn-adbd: the work folder '%s' changed while it was opened: "
				"start again\n", g.work);
		return false;
	}
	if (!parents_safe(g.work_real))
		return false;
	snprintf(g.bin, sizeof(g.bin), "%s/bin", g.work_real);
	return true;
}

/* In the work folder (under its fd, so that no link there is followed):
 * bin/getprop -> this program, and the persona with the work folder
 * xnn-fleet uses (WORK/data) unless the persona names one, which must be
 * under the work folder (sync reaches nothing else). abs_persona is the
 * persona's path (PATH_MAX bytes; g.persona_path points to it); it becomes
 * the new one's. */
static bool work_files(char *abs_persona)
{
	char self[PATH_MAX];
	ssize_t sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int bin = -1;
	if (mkdirat(g.work_fd, "bin", 0700) == 0 || errno == EEXIST)
		bin = openat(g.work_fd, "bin", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bin >= 0 && unlinkat(bin, "getprop", 0) != 0 && errno != ENOENT)
		sn = -1;
	if (bin < 0 || sn <= 0 || (self[sn] = '\0', symlinkat(self, bin, "getprop") != 0)) {
		fprintf(stderr, "xnn-adbd: cannot make '%s/getprop': %s\n", g.bin, strerror(errno));
		if (bin >= 0)
			close(bin);
		return false;
	}
	close(bin);
	char wd[PATH_MAX], rel[SYNC_PATH], why[800];
	if (xr_prop_value(g.persona, "xnn.fleet.workdir", wd, sizeof(wd))) {
		if (xa_sync_path_rel(wd, g.work, g.work_real, rel, sizeof(rel), why, sizeof(why)))
			return true;
		fprintf(stderr, "xnn-adbd: the persona's xnn.fleet.workdir: %s; drop the line "
				"(xnn-fleet then uses WORK/data) or give --work a folder above it\n",
			why);
		return false;
	}
	if (unlinkat(g.work_fd, "persona", 0) != 0 && errno != ENOENT) {
		fprintf(stderr, "xnn-adbd: cannot replace '%s/persona': %s\n", g.work_real,
			strerror(errno));
		return false;
	}
	int fd = openat(g.work_fd, "persona", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	bool ok = f && fprintf(f, "%s%s[xnn.fleet.workdir]: [%s/data]\n", g.persona,
			       *g.persona && g.persona[strlen(g.persona) - 1] != '\n' ? "\n" : "",
			       g.work_real) >= 0;
	if (f ? fclose(f) != 0 : (fd >= 0 && close(fd) != 0))
		ok = false;
	snprintf(abs_persona, PATH_MAX, "%.4000s/persona", g.work_real);
	free(g.persona);
	g.persona = ok ? read_file(abs_persona, 1 << 20) : NULL;
	if (g.persona == NULL) {
		fprintf(stderr, "xnn-adbd: cannot write '%s'\n", abs_persona);
		return false;
	}
	return true;
}

/* The port, written to a new file beside path (mkstemp: no link or file
 * planted there is followed) and renamed to path. */
static bool port_file_write(const char *path, long port)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 && fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
	bool ok = f && fprintf(f, "%ld\n", port) >= 0;
	if (f ? fclose(f) != 0 : (fd >= 0 && close(fd) != 0))
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "xnn-adbd: cannot write '%s': %s\n", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	}
	return ok;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	if (strcmp(base ? base + 1 : argv[0], "getprop") == 0)
		return getprop_main(argc, argv);
	static const struct option opts[] = {
		{"persona", required_argument, NULL, 'p'}, {"listen", required_argument, NULL, 'l'},
		{"work", required_argument, NULL, 'w'},    {"port-file", required_argument, NULL, 'f'},
		{"no-shell-v2", no_argument, NULL, 'n'},   {"disk-bytes", required_argument, NULL, 'd'},
		{"refuse-auth", no_argument, NULL, 'A'},   {"no-auth", no_argument, NULL, 'N'},
		{"allow-root", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
	const char *listen_at = "127.0.0.1:5555", *work = NULL, *port_file = NULL;
	bool allow_root = false, refuse_auth = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': g.persona_path = optarg; break;
		case 'l': listen_at = optarg; break;
		case 'w': work = optarg; break;
		case 'f': port_file = optarg; break;
		case 'n': g.shell_v2 = false; break;
		case 'A': refuse_auth = true; break;
		case 'N': g.auth = AUTH_NONE; break;
		case 'R': allow_root = true; break;
		case 'd': {
			char *end;
			g.disk_left = strtoll(optarg, &end, 10);
			if (*end || g.disk_left < 0) {
				fprintf(stderr, "xnn-adbd: --disk-bytes '%s': give a byte count\n", optarg);
				return 2;
			}
			break;
		}
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (g.persona_path == NULL || optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (refuse_auth && g.auth == AUTH_NONE) {
		fprintf(stderr, "xnn-adbd: --no-auth and --refuse-auth contradict each other: give "
				"one\n");
		return 2;
	}
	if (geteuid() == 0 && !allow_root) {
		fprintf(stderr, "xnn-adbd: refusing to run as root: every shell command and file "
				"a host sends would run as root; run it as an ordinary user (the agent "
				"needs no root), or pass --allow-root if this board must measure as "
				"root\n");
		return 1;
	}
	char abs_persona[PATH_MAX];
	if (realpath(g.persona_path, abs_persona) == NULL ||
	    (g.persona = read_file(abs_persona, 1 << 20)) == NULL) {
		fprintf(stderr, "xnn-adbd: cannot read the persona '%s': %s\n", g.persona_path,
			strerror(errno));
		return 1;
	}
	g.persona_path = abs_persona;
	char abi[64];
	if (!xr_prop_value(g.persona, "ro.product.cpu.abi", abi, sizeof(abi)) || !abi[0]) {
		fprintf(stderr, "xnn-adbd: the persona '%s' has no [ro.product.cpu.abi]: [...] line "
				"(x86_64, arm64-v8a or armeabi-v7a)\n", g.persona_path);
		return 1;
	}
	/* the address: loopback only until auth exists */
	char host[64];
	const char *colon = strrchr(listen_at, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	if (colon == NULL || *end || port < 0 || port > 65535 ||
	    (size_t)(colon - listen_at) >= sizeof(host)) {
		fprintf(stderr, "xnn-adbd: --listen '%s': give ADDR:PORT, e.g. 127.0.0.1:5555\n",
			listen_at);
		return 2;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_at), listen_at);
	if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
		      &sa.sin_addr) != 1) {
		fprintf(stderr, "xnn-adbd: --listen '%s': '%s' is not an IPv4 address\n", listen_at,
			host);
		return 2;
	}
	if (!loopback(&sa)) {
		fprintf(stderr, "xnn-adbd: refusing to listen on %s: without ADB RSA auth (not "
				"implemented yet) anyone could run commands here, and --no-auth is "
				"for loopback only; listen on 127.0.0.1 and reach it with 'ssh -L'\n",
			host);
		return 1;
	}
	sa.sin_port = htons((uint16_t)port);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	socklen_t sl = sizeof(sa);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 16) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
		fprintf(stderr, "xnn-adbd: cannot listen on %s: %s\n", listen_at, strerror(errno));
		return 1;
	}
	port = ntohs(sa.sin_port);
	if (!work_open(work, port) || !work_files(abs_persona) ||
	    (port_file && !port_file_write(port_file, port)))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "xnn-adbd: %s on %s:%ld (abi %s%s), work folder %s\n", g.persona_path,
		host, port, abi, g.shell_v2 ? "" : ", legacy shell", g.work_real);
	if (g.auth == AUTH_NONE)
		fprintf(stderr, "xnn-adbd: --no-auth: every host that reaches %s:%ld (every user "
				"of this host) may run commands as uid %u\n", host, port,
			(unsigned)geteuid());
	else
		fprintf(stderr, "xnn-adbd: hosts are asked for ADB auth and none is accepted (RSA "
				"auth is not implemented yet): adb shows this device 'unauthorized'; "
				"--no-auth lets every local user in\n");
	for (;;) {
		int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "xnn-adbd: accept: %s\n", strerror(errno));
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->version = XA_ADB_VERSION;
		c->max_payload = 4096;
		pthread_mutex_init(&c->lock, NULL);
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, conn_main, c) != 0) {
			close(fd);
			free(c);
		}
		pthread_attr_destroy(&at);
	}
}
