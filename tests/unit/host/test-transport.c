/* test-transport.c - the transports (harness/transport/): the table of the
 * four and their operations; the local transport lists this host, stages
 * files in place, runs the real build/bin/xnn-agent through xf_agent_run
 * and pulls by copying; the emulated one runs the aarch64 agent under
 * qemu-aarch64 (skipped, saying so, without build/aarch64/bin/xnn-agent or
 * qemu-user); the adb one lists a fake adb server's offline and
 * unauthorized devices, and says when a server has none (the real server
 * and xnn-adbd: tests/e2e/t0007);
 * the usb one, which has no devices yet (there is no USB hardware here; the
 * listing on a fake bus is tests/unit/host/test-usb.c), refuses to stage,
 * run or pull. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "devexpr.h"
#include "devices.h"
#include "util.h"

/* $BUILD/bin, from this program's $BUILD/tests. */
static char bin_dir[2048];

static int setup(void **state)
{
	(void)state;
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return -1;
	exe[len] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(bin_dir, sizeof(bin_dir), "%.2000s/../bin", exe);
	return 0;
}

/* ---- the table ---------------------------------------------------------------------------- */

static void test_table(void **state)
{
	(void)state;
	static const char *const names[] = {"local", "emulated", "adb", "usb"};
	size_t n = 0;
	for (; xf_transports[n]; n++) {
		const struct xf_transport *t = xf_transports[n];
		assert_true(n < 4);
		assert_string_equal(t->name, names[n]);
		assert_non_null(t->list);
		assert_non_null(t->stage);
		assert_non_null(t->run);
		assert_non_null(t->pull);
		assert_non_null(t->describe);
		assert_ptr_equal(xf_transport_find(names[n]), t);
	}
	assert_int_equal(n, 4);
	assert_null(xf_transport_find("serial"));
	assert_null(xf_transport_find(""));
	assert_false(xf_transport_local.copies);
	assert_false(xf_transport_emulated.copies);
	assert_true(xf_transport_adb.copies);
}

/* ---- running the agent ---------------------------------------------------------------------- */

struct probe {
	size_t rows;
	char abi[64], machine[64];
};

static void probe_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)r;
	struct probe *p = ctx;
	p->rows++;
	if (n == 2 && strcmp(f[0], "abi") == 0)
		snprintf(p->abi, sizeof(p->abi), "%s", f[1]);
	if (n == 2 && strcmp(f[0], "machine") == 0)
		snprintf(p->machine, sizeof(p->machine), "%s", f[1]);
}

/* Runs `probe` on d: a complete stream, exit 0, the ABI and machine given. */
static void check_probe(const struct xf_device *d, const char *abi, const char *machine)
{
	static const char *const args[] = {"probe", NULL};
	struct probe p = {0};
	struct xf_agent_reader *r;
	struct xs_error err = {""};
	int status;
	enum xs_status st = xf_agent_run(d, args, probe_row, NULL, &p, &r, &status, &err);
	if (st != XS_OK)
		print_error("%s\n", err.msg);
	assert_int_equal(st, XS_OK);
	assert_int_equal(status, 0);
	assert_string_equal(xf_agent_reader_meta(r, "table"), "probe");
	xf_agent_reader_destroy(r);
	assert_true(p.rows > 10);
	assert_string_equal(p.abi, abi);
	assert_string_equal(p.machine, machine);
}

/* The device called serial in out[0..n), or NULL. */
static const struct xf_device *find(const struct xf_device *out, size_t n, const char *serial)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(out[i].serial, serial) == 0)
			return &out[i];
	return NULL;
}

static struct xf_device devs[XF_MAX_DEVICES];

static void test_local(void **state)
{
	(void)state;
#if !defined(__x86_64__)
	printf("skipped: the local checks expect an x86_64 host\n");
	skip();
#endif
	struct xf_list_opts o = {.agent_dir = bin_dir};
	char notes[1024] = "", agent[PATH_MAX];
	size_t n = 0;
	snprintf(agent, sizeof(agent), "%s/xnn-agent", bin_dir);
	if (access(agent, X_OK) != 0) {
		printf("skipped: no %s (make build/bin/xnn-agent)\n", agent);
		skip();
	}
	xf_transport_local.list(&o, devs, XF_MAX_DEVICES, &n, notes, sizeof(notes));
	assert_int_equal(n, 1);
	assert_string_equal(notes, "");
	const struct xf_device *d = &devs[0];
	assert_string_equal(d->serial, "host");
	assert_string_equal(d->transport, "local");
	assert_ptr_equal(d->ops, &xf_transport_local);
	assert_string_equal(d->abi, "x86_64");
	assert_string_equal(d->agent, agent);
	assert_string_equal(d->problem, "");
	assert_string_equal(d->alias, "");
	assert_false(d->emulated);
	char where[64];
	xf_device_describe(d, where, sizeof(where));
	assert_string_equal(where, "(here)");
	struct utsname u;
	assert_int_equal(uname(&u), 0);
	struct xf_device copy = *d;  /* devices are plain values */
	check_probe(&copy, "x86_64", u.machine);
}

static void test_local_stage_pull(void **state)
{
	(void)state;
	char dir[PATH_MAX], file[PATH_MAX + 16], got[PATH_MAX + 32], back[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/xf-test-transport-XXXXXX", xf_tmpdir());
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/data.bin", dir);
	snprintf(back, sizeof(back), "%s/back", dir);
	assert_int_equal(mkdir(back, 0755), 0);
	static const char bytes[] = "labels\0and\nmore";
	assert_int_equal(xf_file_write(file, bytes, sizeof(bytes), NULL), XS_OK);

	struct xf_device d;
	xf_device_init(&d, &xf_transport_local, "host");
	snprintf(d.agent, sizeof(d.agent), "%s/xnn-agent", bin_dir);
	struct xf_stage_file f[2] = {{.host = d.agent, .name = "xnn-agent", .mode = 0755},
				     {.host = file, .name = "data.bin", .mode = 0644}};
	size_t pushed = 99;
	assert_int_equal(xf_device_stage(&d, f, 2, &pushed, NULL, NULL, NULL), XS_OK);
	assert_int_equal(pushed, 0);
	assert_string_equal(f[0].dev, d.agent);
	assert_string_equal(f[1].dev, file);

	struct xs_error err;
	assert_int_equal(xf_device_pull(&d, file, back, got, sizeof(got), &err), XS_OK);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof(want), "%s/data.bin", back);
	assert_string_equal(got, want);
	char *data;
	size_t len;
	assert_int_equal(xf_file_read(got, 1024, &data, &len, NULL), XS_OK);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(data, bytes, sizeof(bytes));
	free(data);
	assert_int_equal(xf_device_pull(&d, "/tmp/..", back, got, sizeof(got), &err), XS_EINVAL);
	assert_non_null(strstr(err.msg, "not a file name"));
	unlink(got);
	rmdir(back);
	unlink(file);
	rmdir(dir);
}

/* The agent's stderr lines as a note callback gets them. */
struct notes {
	size_t n;
	char first[256];
};

static void note_line(void *ctx, const char *line)
{
	struct notes *nt = ctx;
	if (nt->n++ == 0)
		snprintf(nt->first, sizeof(nt->first), "%s", line);
}

static void test_local_failures(void **state)
{
	(void)state;
	struct xf_device d;
	xf_device_init(&d, &xf_transport_local, "host");
	snprintf(d.agent, sizeof(d.agent), "%s/xnn-agent", bin_dir);
	static const char *const bogus[] = {"bogus", NULL};
	struct xf_agent_reader *r;
	struct xs_error err;
	int status;
	size_t rows = 0;
	struct notes nt = {0};
	/* exit 2, nothing on stdout: a cut stream, the agent's own words in err
	 * and, line by line, to the note callback */
	assert_int_equal(xf_agent_run(&d, bogus, NULL, note_line, &nt, &r, &status, &err),
			 XS_EFORMAT);
	xf_agent_reader_destroy(r);
	assert_int_equal(status, 2);
	assert_non_null(strstr(err.msg, "bogus on host: "));
	assert_non_null(strstr(err.msg, "(agent: xnn-agent: 'bogus' is not a command"));
	assert_true(nt.n >= 1);
	assert_true(strncmp(nt.first, "xnn-agent: 'bogus' is not a command", 35) == 0);
	assert_null(strchr(nt.first, '\n'));
	/* no program: exit 127 from the child, XS_EIO */
	snprintf(d.agent, sizeof(d.agent), "/nonexistent/xnn-agent");
	assert_int_equal(xf_agent_run(&d, bogus, NULL, NULL, &rows, &r, &status, NULL), XS_EIO);
	xf_agent_reader_destroy(r);
	assert_int_equal(status, 127);
	/* no agent build: not listed, and the notes say what to do */
	struct xf_list_opts o = {.agent_dir = "/nonexistent"};
	char notes[512] = "";
	size_t n = 0;
	xf_transport_local.list(&o, devs, XF_MAX_DEVICES, &n, notes, sizeof(notes));
	assert_int_equal(n, 0);
#if defined(__x86_64__)
	assert_string_equal(notes, "host: no agent at /nonexistent/xnn-agent (make agents)\n");
#endif
}

/* A stand-in agent: a script that says NAME on stderr, then runs body. */
static void script_write(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho started >&2\n%s\n", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/* An agent that goes silent is ended after hang_s (XF_RUN_HUNG), not
 * waited for; one that keeps saying something is not, however long. */
static void test_local_hang(void **state)
{
	(void)state;
	char dir[] = "/tmp/xnn-test-hang-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct xf_device d;
	xf_device_init(&d, &xf_transport_local, "host");
	snprintf(d.agent, sizeof(d.agent), "%s/agent", dir);
	static const char *const args[] = {"kernels", NULL};
	struct xf_agent_reader *r;
	struct xs_error err;
	int status;
	struct notes nt = {0};
	script_write(d.agent, "sleep 30");
	d.hang_s = 0.5;
	double t0 = xf_now();
	assert_int_equal(xf_agent_run(&d, args, NULL, note_line, &nt, &r, &status, &err), XS_EIO);
	xf_agent_reader_destroy(r);
	assert_true(xf_now() - t0 < 10);  /* not the script's 30 s */
	assert_int_equal(status, XF_RUN_HUNG);
	assert_non_null(strstr(err.msg, "no output for 0.5 s"));
	assert_string_equal(nt.first, "started");
	/* a line every 0.2 s for 1.2 s: longer than hang_s, never silent that long */
	script_write(d.agent, "for i in 1 2 3 4 5 6; do sleep 0.2; echo tick >&2; done; exit 3");
	assert_int_equal(xf_agent_run(&d, args, NULL, NULL, NULL, &r, &status, &err), XS_EFORMAT);
	xf_agent_reader_destroy(r);
	assert_int_equal(status, 3);
	unlink(d.agent);
	rmdir(dir);
}

/* Two devices present at once are two devices: a shared serial gets where
 * each is attached, and the notes say so; a serial many phones report is
 * never an identity alone; expressions still find them by what they
 * report. */
static void test_identify(void **state)
{
	(void)state;
	struct xf_device d[5];
	const char *serials[] = {"host", "SAME", "SAME", "0123456789ABCDEF", "R58"};
	const char *aliases[] = {"", "127.0.0.1:5001", "127.0.0.1:5002", "0123456789ABCDEF",
				 "R58"};
	for (size_t i = 0; i < 5; i++) {
		xf_device_init(&d[i], i ? &xf_transport_adb : &xf_transport_local, serials[i]);
		snprintf(d[i].alias, sizeof(d[i].alias), "%s", aliases[i]);
	}
	snprintf(d[3].port, sizeof(d[3].port), "usb:1-2");
	snprintf(d[4].port, sizeof(d[4].port), "usb:1-3");
	char notes[1024] = "";
	xf_devices_identify(d, 5, notes, sizeof(notes));
	assert_string_equal(d[0].serial, "host");
	assert_string_equal(d[1].serial, "SAME@127.0.0.1:5001");
	assert_string_equal(d[2].serial, "SAME@127.0.0.1:5002");
	assert_string_equal(d[1].own_serial, "SAME");
	assert_string_equal(d[3].serial, "0123456789ABCDEF@usb:1-2");
	assert_string_equal(d[4].serial, "R58");
	assert_string_equal(d[4].own_serial, "");
	assert_non_null(strstr(notes, "SAME: 2 devices report this serial; told apart as "
				      "SERIAL@WHERE (127.0.0.1:5001, 127.0.0.1:5002)"));
	assert_null(strstr(notes, "R58"));
	/* again: nothing changes (the sweep and the listing may both call it) */
	xf_devices_identify(d, 5, NULL, 0);
	assert_string_equal(d[1].serial, "SAME@127.0.0.1:5001");
	struct xf_devexpr *e;
	assert_int_equal(xf_devexpr_parse("SAME", &e, NULL), XS_OK);
	assert_true(xf_devexpr_match_device(e, &d[1]) && xf_devexpr_match_device(e, &d[2]));
	assert_false(xf_devexpr_match_device(e, &d[4]));
	xf_devexpr_destroy(e);
}

/* What a device names itself reaches the terminal as text. */
static void test_printable(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(xf_text_printable("Pixel\033[2J\033]0;x\a7", false, out, sizeof(out)),
			    "Pixel\\x1b[2J\\x1b]0;x\\x077");
	assert_string_equal(xf_text_printable("a\nb\x7f", false, out, sizeof(out)), "a\\x0ab\\x7f");
	assert_string_equal(xf_text_printable("a\nb", true, out, sizeof(out)), "a\nb");
	/* UTF-8 stays; a C1 control (U+009B, CSI) and bytes that are no UTF-8 do not */
	assert_string_equal(xf_text_printable("Caf\xc3\xa9 \xc2\x9b" "2J \x9b\xff", false, out,
					      sizeof(out)), "Caf\xc3\xa9 \\xc2\\x9b2J \\x9b\\xff");
	/* cut to fit, terminated, no escape cut in half */
	assert_string_equal(xf_text_printable("abc\033", false, out, 6), "abc");
	assert_string_equal(xf_text_printable("", false, out, 1), "");
}

/* ---- emulated ---------------------------------------------------------------------------- */

static void test_emulated(void **state)
{
	(void)state;
	char agent[PATH_MAX + 32];
	snprintf(agent, sizeof(agent), "%s/../aarch64/bin/xnn-agent", bin_dir);
	if (access(agent, X_OK) != 0 || !xf_in_path("qemu-aarch64")) {
		printf("skipped: no %s or no qemu-aarch64 (make agents; scripts/install-deps.sh)\n",
		       agent);
		skip();
	}
	struct xf_list_opts o = {.agent_dir = bin_dir};
	char notes[1024] = "";
	size_t n = 0;
	xf_transport_emulated.list(&o, devs, XF_MAX_DEVICES, &n, notes, sizeof(notes));
	const struct xf_device *d = find(devs, n, "qemu-aarch64");
	assert_non_null(d);
	assert_string_equal(d->transport, "emulated");
	assert_ptr_equal(d->ops, &xf_transport_emulated);
	assert_string_equal(d->abi, "arm64-v8a");
	assert_string_equal(d->agent, agent);
	assert_true(d->emulated);
	assert_string_equal(d->problem, "");
	struct xf_device copy = *d;  /* the runner travels with the copy */
	memset(devs, 0, sizeof(devs));
	check_probe(&copy, "arm64-v8a", "aarch64");
}

/* ---- adb: a fake server that lists two devices nobody can use, or none ------------------ */

static const char fake_list[] =
	"emulator-5554\toffline\n"
	"R58M123ABC     unauthorized usb:1-1 transport_id:3\n";

/* Serves connections on fd, answering list, until one asked for
 * host:devices-l. */
static void fake_server(int fd, const char *list)
{
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			_exit(1);
		char head[5] = "", req[256] = "";
		if (read(c, head, 4) != 4) {  /* a connection that only checked */
			close(c);
			continue;
		}
		size_t len = strtoul(head, NULL, 16);
		if (len >= sizeof(req) || read(c, req, len) != (ssize_t)len)
			_exit(1);
		char reply[512];
		int k = snprintf(reply, sizeof(reply), "OKAY%04zx%s", strlen(list), list);
		if (write(c, reply, (size_t)k) != k)
			_exit(1);
		close(c);
		if (strcmp(req, "host:devices-l") == 0)
			_exit(0);
	}
}

/* A fake server answering list on a loopback port (into *sv); its pid. */
static pid_t fake_start(const char *list, struct xf_adb_server *sv)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		fake_server(fd, list);
	close(fd);
	*sv = (struct xf_adb_server){"127.0.0.1", ntohs(a.sin_port)};
	return pid;
}

/* The fake server pid ended, having been asked for its devices. */
static void fake_done(pid_t pid)
{
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

static void test_adb_unusable(void **state)
{
	(void)state;
	struct xf_adb_server sv;
	pid_t pid = fake_start(fake_list, &sv);
	char notes[1024] = "";
	size_t n = 1;  /* appended after what is there */
	xf_devices_adb(&sv, 1, devs, XF_MAX_DEVICES, &n, notes, sizeof(notes));
	fake_done(pid);
	assert_string_equal(notes, "");
	assert_int_equal(n, 3);
	static const char *const serial[] = {"emulator-5554", "R58M123ABC"};
	static const char *const problem[] = {"offline: reconnect", "unauthorized: unlock"};
	for (size_t i = 0; i < 2; i++) {
		const struct xf_device *d = &devs[1 + i];
		assert_string_equal(d->transport, "adb");
		assert_ptr_equal(d->ops, &xf_transport_adb);
		assert_string_equal(d->serial, serial[i]);
		assert_string_equal(d->alias, serial[i]);
		assert_int_equal(strncmp(d->problem, problem[i], strlen(problem[i])), 0);
	}
}

/* A server with no device: xnn-fleet devices (adb_verbose) says so and how
 * to get one, with the adb command for that server; a sweep's listing does
 * not. */
static void test_adb_none(void **state)
{
	(void)state;
	for (int verbose = 0; verbose < 2; verbose++) {
		struct xf_adb_server sv;
		pid_t pid = fake_start("", &sv);
		struct xf_list_opts o = {.servers = &sv, .nservers = 1, .adb_verbose = verbose};
		char notes[1024] = "", want[1024];
		size_t n = 0;
		xf_transport_adb.list(&o, devs, XF_MAX_DEVICES, &n, notes, sizeof(notes));
		fake_done(pid);
		assert_int_equal(n, 0);
		snprintf(want, sizeof(want), "adb server 127.0.0.1:%d: no adb devices (a phone: turn on "
			 "USB debugging in Settings > Developer options, plug it in and accept 'Allow "
			 "USB debugging'; a board on the network: 'adb -P %d connect HOST:PORT'; "
			 "'adb -P %d devices' lists what the server sees)\n", sv.port, sv.port, sv.port);
		assert_string_equal(notes, verbose ? want : "");
	}
}

/* ---- usb: no devices yet ------------------------------------------------------------------ */

static void test_usb_unsupported(void **state)
{
	(void)state;
	struct xf_device d;
	xf_device_init(&d, &xf_transport_usb, "R58M123ABC");
	struct xf_stage_file f = {.host = "/bin/true", .name = "true", .mode = 0755};
	struct xs_error err;
	size_t pushed = 7;
	assert_int_equal(xf_device_stage(&d, &f, 1, &pushed, NULL, NULL, &err), XS_EINVAL);
	assert_int_equal(pushed, 0);
	assert_non_null(strstr(err.msg, "R58M123ABC: ADB over USB without an adb server"));
	static const char *const args[] = {"probe", NULL};
	struct xf_agent_reader *r;
	int status;
	assert_int_equal(xf_agent_run(&d, args, NULL, NULL, NULL, &r, &status, NULL), XS_EINVAL);
	xf_agent_reader_destroy(r);
	assert_int_equal(status, -1);
	char path[64];
	assert_int_equal(xf_device_pull(&d, "/x", "/tmp", path, sizeof(path), NULL), XS_EINVAL);
	/* a device whose transport is unknown */
	struct xf_device u = {.transport = "serial"};
	assert_int_equal(xf_device_stage(&u, &f, 1, &pushed, NULL, NULL, &err), XS_EINVAL);
	assert_string_equal(err.msg, "'serial': no such transport");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_local_stage_pull),
		cmocka_unit_test(test_local_failures),
		cmocka_unit_test(test_local_hang),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_emulated),
		cmocka_unit_test(test_adb_unusable),
		cmocka_unit_test(test_adb_none),
		cmocka_unit_test(test_usb_unsupported),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
