/* test-adb.c - the adb pieces that read or write bytes: the harness's
 * quoting of device commands (checked against the real /bin/sh, and against
 * xnn-adbd's reading of them), the server's device list, the shell_v2 stream
 * cut at every byte, getprop tables (runtime/props.c, the one reader the
 * runtime, the agent, the harness and xnn-adbd share), server addresses; and xnn-adbd's wire
 * header and sync SEND spec. The whole path with the real adb server is
 * tests/e2e/t0007-adb.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "adb-client.h"
#include "xr.h"
#include "adbd/wire.h"

static const char *const tricky[][6] = {
	{"/data/local/tmp/xnn-fleet/xnn-agent", "bench", NULL},
	{"a b", "", "it's", NULL},
	{"$(touch /tmp/xnn-pwned)", "`id`", "; rm -rf x", "a\\b", NULL},
	{"'", "''", "'\\''", "\"q\" <script>alert(1)</script>", NULL},
	{"line1\nline2", "*", "$HOME", "&|>", NULL},
};

/* sh -c "printf '%s\0' QUOTED" prints the words themselves. */
static void test_quote_through_sh(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(tricky) / sizeof(tricky[0]); t++) {
		const char *argv[8] = {"printf", "%s\\0"};
		size_t n = 0;
		while (tricky[t][n]) {
			argv[2 + n] = tricky[t][n];
			n++;
		}
		argv[2 + n] = NULL;
		char cmd[2048];
		size_t need = xf_shell_quote(argv, cmd, sizeof(cmd));
		assert_true(need < sizeof(cmd));
		assert_int_equal(need, strlen(cmd));
		assert_int_equal(xf_shell_quote(argv, NULL, 0), need);
		int fd[2];
		assert_int_equal(pipe(fd), 0);
		pid_t pid = fork();
		if (pid == 0) {
			dup2(fd[1], 1);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		close(fd[1]);
		char out[4096];
		size_t len = 0;
		ssize_t r;
		while ((r = read(fd[0], out + len, sizeof(out) - len)) > 0)
			len += (size_t)r;
		close(fd[0]);
		int ws;
		waitpid(pid, &ws, 0);
		assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
		size_t at = 0;
		for (size_t i = 0; i < n; i++) {
			assert_true(at + strlen(tricky[t][i]) < len);
			assert_string_equal(out + at, tricky[t][i]);
			at += strlen(tricky[t][i]) + 1;
		}
		assert_int_equal(at, len);
		assert_int_equal(access("/tmp/xnn-pwned", F_OK), -1);
		/* xnn-adbd reads the same words back */
		char buf[2048], *words[16];
		assert_true(xa_shell_words(cmd, buf, sizeof(buf), words, 16));
		for (size_t i = 0; i < n; i++)
			assert_string_equal(words[2 + i], tricky[t][i]);
		assert_null(words[2 + n]);
	}
	/* a cut buffer stays terminated */
	char small[8];
	const char *argv[] = {"abcdefghij", NULL};
	assert_int_equal(xf_shell_quote(argv, small, sizeof(small)), 12);
	assert_int_equal(strlen(small), 7);
}

static void test_words_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "a", "'a' b", "'a'b", "'a'  'b'", "'a", "'a' ", " 'a'", "'a';'b'",
		"'a' && 'b'", "'a'\\", "'a'\\'", "'a' 'b'; rm x",
	};
	char buf[256], *words[8];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (xa_shell_words(bad[i], buf, sizeof(buf), words, 8))
			fail_msg("'%s' taken as words", bad[i]);
	/* too many words, too small a buffer */
	assert_false(xa_shell_words("'a' 'b' 'c'", buf, sizeof(buf), words, 3));
	assert_false(xa_shell_words("'abcdef'", buf, 4, words, 8));
	assert_true(xa_shell_words("'a' '' 'b'\\''c'", buf, sizeof(buf), words, 8));
	assert_string_equal(words[1], "");
	assert_string_equal(words[2], "b'c");
}

static void test_devices_list(void **state)
{
	(void)state;
	const char text[] =
		"127.0.0.1:6520         device product:boardx model:Test_Board device:tb "
		"transport_id:1\n"
		"R58M123ABC             unauthorized usb:1-1 transport_id:2\n"
		"emulator-5554          offline transport_id:3\n"
		"0123456789ABCDEF       no permissions (user in plugdev group; are your udev "
		"rules wrong?); see [http://developer.android.com/tools/device.html] usb:1-2 "
		"transport_id:4\n"
		"\n"
		"lonely\n"
		"farm-7:5555\tdevice\tproduct:p model:Pixel_8 device:shiba transport_id:12\n";
	struct xf_adb_dev d[8];
	size_t n = xf_adb_devices_parse(text, d, 8);
	assert_int_equal(n, 5);
	assert_string_equal(d[0].serial, "127.0.0.1:6520");
	assert_string_equal(d[0].state, "device");
	assert_string_equal(d[0].model, "Test_Board");
	assert_string_equal(d[0].product, "boardx");
	assert_string_equal(d[0].device, "tb");
	assert_string_equal(d[0].transport_id, "1");
	assert_string_equal(d[1].state, "unauthorized");
	assert_string_equal(d[1].usb, "1-1");  /* where it is plugged: tells twins apart */
	assert_string_equal(d[0].usb, "");
	assert_string_equal(d[2].state, "offline");
	assert_string_equal(d[3].serial, "0123456789ABCDEF");
	assert_true(strncmp(d[3].state, "no permissions", 14) == 0);
	assert_string_equal(d[4].serial, "farm-7:5555");
	assert_string_equal(d[4].model, "Pixel_8");
	assert_string_equal(d[4].transport_id, "12");
	assert_null(xf_adb_state_advice("device"));
	assert_non_null(strstr(xf_adb_state_advice("unauthorized"), "Allow USB debugging"));
	assert_non_null(strstr(xf_adb_state_advice("offline"), "reconnect"));
	assert_non_null(strstr(xf_adb_state_advice(d[3].state), "udev"));
	assert_non_null(xf_adb_state_advice("something new"));
	/* at most max */
	assert_int_equal(xf_adb_devices_parse(text, d, 2), 2);
}

struct v2got {
	char out[256], err[256];
	size_t nout, nerr;
};

static void v2_collect(void *ctx, int stream, const char *data, size_t n)
{
	struct v2got *g = ctx;
	char *dst = stream == 1 ? g->out : g->err;
	size_t *len = stream == 1 ? &g->nout : &g->nerr;
	assert_true(*len + n < 256);
	memcpy(dst + *len, data, n);
	*len += n;
	dst[*len] = '\0';
}

static void test_shellv2_any_split(void **state)
{
	(void)state;
	/* stdout "row1\n", stderr "warn", an empty stdout packet, window size
	 * (ignored), stdout "row2\n", exit 3 */
	static const uint8_t s[] = {
		1, 5, 0, 0, 0, 'r', 'o', 'w', '1', '\n',
		2, 4, 0, 0, 0, 'w', 'a', 'r', 'n',
		1, 0, 0, 0, 0,
		5, 2, 0, 0, 0, 9, 9,
		1, 5, 0, 0, 0, 'r', 'o', 'w', '2', '\n',
		3, 1, 0, 0, 0, 3,
	};
	for (size_t a = 0; a <= sizeof(s); a++)
		for (size_t b = a; b <= sizeof(s); b++) {
			struct xf_shellv2 p;
			struct v2got g = {0};
			char why[64];
			xf_shellv2_init(&p);
			assert_true(xf_shellv2_feed(&p, s, a, v2_collect, &g, why, sizeof(why)));
			assert_true(xf_shellv2_feed(&p, s + a, b - a, v2_collect, &g, why, sizeof(why)));
			assert_true(xf_shellv2_feed(&p, s + b, sizeof(s) - b, v2_collect, &g, why,
						    sizeof(why)));
			assert_string_equal(g.out, "row1\nrow2\n");
			assert_string_equal(g.err, "warn");
			assert_int_equal(p.exit_code, 3);
		}
	/* cut before the exit packet: no exit code */
	struct xf_shellv2 p;
	struct v2got g = {0};
	char why[64];
	xf_shellv2_init(&p);
	assert_true(xf_shellv2_feed(&p, s, sizeof(s) - 3, v2_collect, &g, why, sizeof(why)));
	assert_int_equal(p.exit_code, -1);
	/* an unknown id, an exit packet of 2 bytes */
	static const uint8_t bad1[] = {9, 1, 0, 0, 0, 'x'}, bad2[] = {3, 2, 0, 0, 0, 1, 2};
	xf_shellv2_init(&p);
	assert_false(xf_shellv2_feed(&p, bad1, sizeof(bad1), v2_collect, &g, why, sizeof(why)));
	assert_non_null(strstr(why, "unknown packet id 9"));
	xf_shellv2_init(&p);
	assert_false(xf_shellv2_feed(&p, bad2, sizeof(bad2), v2_collect, &g, why, sizeof(why)));
}

static void test_getprop(void **state)
{
	(void)state;
	const char text[] =
		"[ro.product.model]: [Pixel 8]\n"
		"[ro.serialno]: [a]b]]\r\n"
		"[ro.empty]: []\n"
		"[ro.product.cpu.abi]: [arm64-v8a]\n"
		"[broken: [x]\n"
		"[ro.product.model.extra]: [no]";
	char v[64];
	assert_true(xr_prop_value(text, "ro.product.model", v, sizeof(v)));
	assert_string_equal(v, "Pixel 8");
	assert_true(xr_prop_value(text, "ro.serialno", v, sizeof(v)));
	assert_string_equal(v, "a]b]");
	assert_true(xr_prop_value(text, "ro.empty", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_false(xr_prop_value(text, "ro.product", v, sizeof(v)));
	assert_false(xr_prop_value(text, "broken", v, sizeof(v)));
	assert_true(xr_prop_value(text, "ro.product.cpu.abi", v, 4));
	assert_string_equal(v, "arm");
	/* no text at all (getprop did not run) */
	assert_false(xr_prop_value(NULL, "ro.serialno", v, sizeof(v)));
	assert_string_equal(v, "");
}

static void test_server_address(void **state)
{
	(void)state;
	struct xf_adb_server s;
	assert_true(xf_adb_server_parse("5038", &s));
	assert_string_equal(s.host, "127.0.0.1");
	assert_int_equal(s.port, 5038);
	assert_true(xf_adb_server_parse("farm-3.lab:15037", &s));
	assert_string_equal(s.host, "farm-3.lab");
	assert_int_equal(s.port, 15037);
	assert_true(xf_adb_server_parse("tcp:10.0.0.2:5037", &s));
	assert_string_equal(s.host, "10.0.0.2");
	static const char *const bad[] = {"", "host:", "host:0", "host:65536", "host:x", ":",
					  "tcp:", "a:5037b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (xf_adb_server_parse(bad[i], &s))
			fail_msg("'%s' taken as a server", bad[i]);
	setenv("ADB_SERVER_SOCKET", "tcp:127.0.0.2:6000", 1);
	xf_adb_server_default(&s);
	assert_string_equal(s.host, "127.0.0.2");
	assert_int_equal(s.port, 6000);
	setenv("ADB_SERVER_SOCKET", "", 1);
	setenv("ANDROID_ADB_SERVER_PORT", "6001", 1);
	xf_adb_server_default(&s);
	assert_int_equal(s.port, 6001);
	unsetenv("ANDROID_ADB_SERVER_PORT");
	xf_adb_server_default(&s);
	assert_int_equal(s.port, 5037);
}

static void test_wire(void **state)
{
	(void)state;
	uint8_t b[XA_ADB_HEADER];
	const uint8_t data[] = "shell,v2,raw:'id'";
	struct xa_adb_header h;
	char why[128];
	xa_adb_header_write(b, XA_ADB_OPEN, 7, 0, data, sizeof(data), XA_ADB_VERSION_MIN);
	assert_true(xa_adb_header_parse(b, 4096, &h, why, sizeof(why)));
	assert_int_equal(h.cmd, XA_ADB_OPEN);
	assert_int_equal(h.arg0, 7);
	assert_int_equal(h.len, sizeof(data));
	assert_true(xa_adb_data_ok(&h, XA_ADB_VERSION_MIN, data));
	uint8_t flipped[sizeof(data)];
	memcpy(flipped, data, sizeof(data));
	flipped[0] ^= 1;
	assert_false(xa_adb_data_ok(&h, XA_ADB_VERSION_MIN, flipped));
	assert_true(xa_adb_data_ok(&h, XA_ADB_VERSION, flipped));  /* no check in v2 */
	/* too long, bad magic, unknown command */
	assert_false(xa_adb_header_parse(b, sizeof(data) - 1, &h, why, sizeof(why)));
	assert_non_null(strstr(why, "over the maximum"));
	b[20] ^= 1;
	assert_false(xa_adb_header_parse(b, 4096, &h, why, sizeof(why)));
	assert_non_null(strstr(why, "bad magic"));
	xa_adb_header_write(b, 0x12345678, 0, 0, NULL, 0, XA_ADB_VERSION);
	assert_false(xa_adb_header_parse(b, 4096, &h, why, sizeof(why)));
	/* sync SEND "path,mode" */
	char path[64];
	unsigned mode;
	const char spec[] = "/data/local/tmp/a,b,33261";
	assert_true(xa_sync_send_spec(spec, strlen(spec), path, sizeof(path), &mode));
	assert_string_equal(path, "/data/local/tmp/a,b");
	assert_int_equal(mode, 0755);
	static const char *const bad[] = {"/x", "/x,", ",420", "/x,4a", "/x,12345678901"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(xa_sync_send_spec(bad[i], strlen(bad[i]), path, sizeof(path), &mode));
	assert_false(xa_sync_send_spec("/x\0y,420", 8, path, sizeof(path), &mode));
	assert_false(xa_sync_send_spec(spec, strlen(spec), path, 4, &mode));
	/* a sync path: under the work folder (either spelling), no "..", a
	 * final "/." for "dir/" (a folder, not a link to one) */
	static const char *const in[][2] = {
		{"/w/data/x.bin", "data/x.bin"}, {"/w", ""}, {"/w/", ""}, {"/w//a/./b", "a/b"},
		{"/real/w/a", "a"}, {"/w/a/", "a/."}, {"/w/...", "..."}, {"/w/a..b", "a..b"}};
	char rel[16];
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_true(xa_sync_path_rel(in[i][0], "/w", "/real/w", rel, sizeof(rel), why,
					     sizeof(why)));
		assert_string_equal(rel, in[i][1]);
	}
	static const char *const out[] = {"/etc/shadow", "/w/../etc/shadow", "/w/a/../../x",
					  "/wx/a", "w/a", "../x", "", "/w/..", "/real/w/a/.."};
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		assert_false(xa_sync_path_rel(out[i], "/w", "/real/w", rel, sizeof(rel), why,
					      sizeof(why)));
	assert_false(xa_sync_path_rel("/etc/shadow", "/w", NULL, rel, sizeof(rel), why, sizeof(why)));
	assert_non_null(strstr(why, "'/etc/shadow' is outside the work folder '/w'"));
	assert_false(xa_sync_path_rel("/w/a/../b", "/w", NULL, rel, sizeof(rel), why, sizeof(why)));
	assert_non_null(strstr(why, "holds '..'"));
	assert_false(xa_sync_path_rel("/w/0123456789abcdef", "/w", NULL, rel, sizeof(rel), why,
				      sizeof(why)));
	assert_non_null(strstr(why, "too long"));
}

/* ---- live: a real adb server and xnn-adbd (tests/e2e/t0007-adb.sh sets
 * XF_TEST_ADB_SERVER, XF_TEST_ADB_SERIAL (shell_v2), XF_TEST_ADB_LEGACY (the
 * legacy shell) and XF_TEST_DIR; skipped without them) ---- */

struct text {
	char buf[4096];
	size_t len;
};

static void collect(void *ctx, int stream, const char *data, size_t n)
{
	struct text *t = &((struct text *)ctx)[stream == 2];
	size_t k = n < sizeof(t->buf) - 1 - t->len ? n : sizeof(t->buf) - 1 - t->len;
	memcpy(t->buf + t->len, data, k);
	t->len += k;
	t->buf[t->len] = '\0';
}

static void test_live(void **state)
{
	(void)state;
	const char *server = getenv("XF_TEST_ADB_SERVER"), *serial = getenv("XF_TEST_ADB_SERIAL"),
		   *legacy = getenv("XF_TEST_ADB_LEGACY"), *dir = getenv("XF_TEST_DIR");
	if (!server || !serial || !legacy || !dir) {
		printf("skipped: no adb server given (tests/e2e/t0007-adb.sh runs this)\n");
		skip();
	}
	struct xf_adb_server sv;
	struct xs_error err;
	assert_true(xf_adb_server_parse(server, &sv));
	char *reply = NULL;
	assert_int_equal(xf_adb_query(&sv, "host:version", &reply, &err), XS_OK);
	assert_string_equal(reply, "0029");
	free(reply);
	/* exit codes and both streams: shell_v2, then the legacy shell's marker */
	const char *const serials[] = {serial, legacy};
	for (int k = 0; k < 2; k++) {
		struct text t[2] = {{"", 0}, {"", 0}};
		int code;
		const char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 7", NULL};
		assert_int_equal(xf_adb_shell(&sv, serials[k], k == 0, argv, NULL, 0, collect, t, &code,
					      &err), XS_OK);
		assert_int_equal(code, 7);
		if (k == 0) {
			assert_string_equal(t[0].buf, "out\n");
			assert_string_equal(t[1].buf, "err\n");
		} else {  /* legacy: one stream */
			assert_non_null(strstr(t[0].buf, "out\n"));
			assert_null(strstr(t[0].buf, "__XNN_RC"));
		}
		/* output without a final newline keeps its last bytes */
		memset(t, 0, sizeof(t));
		const char *argv2[] = {"printf", "no newline", NULL};
		assert_int_equal(xf_adb_shell(&sv, serials[k], k == 0, argv2, NULL, 0, collect, t, &code,
					      &err), XS_OK);
		assert_int_equal(code, 0);
		assert_string_equal(t[0].buf, "no newline");
	}
	/* by its transport id, as two devices of one serial are named */
	char *list = NULL, route[64] = "";
	assert_int_equal(xf_adb_query(&sv, "host:devices-l", &list, &err), XS_OK);
	struct xf_adb_dev devs[16];
	size_t nd = xf_adb_devices_parse(list, devs, 16);
	free(list);
	for (size_t i = 0; i < nd; i++)
		if (strcmp(devs[i].serial, serial) == 0 && devs[i].transport_id[0])
			snprintf(route, sizeof(route), XF_ADB_ROUTE_TID "%s", devs[i].transport_id);
	assert_true(route[0] != '\0');
	{
		struct text t[2] = {{"", 0}, {"", 0}};
		int code;
		const char *argv[] = {"sh", "-c", "echo routed; exit 5", NULL};
		assert_int_equal(xf_adb_shell(&sv, route, true, argv, NULL, 0, collect, t, &code, &err),
				 XS_OK);
		assert_int_equal(code, 5);
		assert_string_equal(t[0].buf, "routed\n");
	}
	/* quick commands, many times: the exit code must never be lost (the
	 * device ends before the host's close-stdin arrives) */
	for (int i = 0; i < 200; i++) {
		int code = -1;
		const char *argv[] = {"true", NULL};
		if (xf_adb_shell(&sv, serial, true, argv, NULL, 0, collect, NULL, &code, &err) != XS_OK ||
		    code != 0)
			fail_msg("quick command %d: exit %d: %s", i, code, err.msg);
	}
	/* push, stat, pull; pull stays inside its folder */
	char local[4096], remote[4096], back[4200], got[4200];
	snprintf(local, sizeof(local), "%s/live-push.bin", dir);
	snprintf(remote, sizeof(remote), "%s/live-remote/x.bin", dir);
	snprintf(back, sizeof(back), "%s/live-back", dir);
	FILE *f = fopen(local, "wb");
	assert_non_null(f);
	for (int i = 0; i < 300000; i++)
		fputc((i * 7 + i / 251) & 0xff, f);
	fclose(f);
	assert_int_equal(xf_adb_push(&sv, serial, local, remote, 0640, &err), XS_OK);
	uint32_t mode, size;
	assert_int_equal(xf_adb_stat(&sv, serial, remote, &mode, &size, &err), XS_OK);
	assert_int_equal(size, 300000);
	assert_int_equal(mode & 0777, 0640);
	char missing[4200];
	snprintf(missing, sizeof(missing), "%s/none", dir);
	assert_int_equal(xf_adb_stat(&sv, serial, missing, &mode, &size, &err), XS_OK);
	assert_int_equal(mode, 0);
	assert_int_equal(mkdir(back, 0755), 0);
	assert_int_equal(xf_adb_pull(&sv, serial, remote, back, got, sizeof(got), &err), XS_OK);
	char cmp[8500];
	snprintf(cmp, sizeof(cmp), "cmp '%s' '%s'", local, got);
	assert_int_equal(system(cmp), 0);
	assert_int_equal(xf_adb_pull(&sv, serial, "/etc/..", back, got, sizeof(got), &err),
			 XS_EINVAL);
	assert_int_equal(xf_adb_pull(&sv, serial, "/tmp/", back, got, sizeof(got), &err),
			 XS_EINVAL);
	assert_int_equal(xf_adb_pull(&sv, serial, missing, back, got, sizeof(got), &err), XS_EIO);
	assert_non_null(strstr(err.msg, "No such file"));
	/* an unknown device: the server's own words */
	int code;
	const char *argv[] = {"true", NULL};
	assert_int_equal(xf_adb_shell(&sv, "no-such-device", true, argv, NULL, 0, collect, NULL,
				      &code, &err), XS_EIO);
	assert_non_null(strstr(err.msg, "not found"));
}

/* Serials of devices on this host's CPUs (timed one at a time with the host). */
static void test_serial_on_host(void **state)
{
	(void)state;
	static const char *const here[] = {"127.0.0.1:5555", "127.1.2.3:40001", "localhost:5555",
					   "localhost", "[::1]:5555", "emulator-5554"};
	static const char *const away[] = {"192.168.1.20:5555", "R58M12ABCDE", "0123456789ABCDEF",
					   "10.0.0.127:5555", "emulatorX", ""};
	for (size_t i = 0; i < sizeof(here) / sizeof(here[0]); i++)
		assert_true(xf_adb_serial_on_host(here[i]));
	for (size_t i = 0; i < sizeof(away) / sizeof(away[0]); i++)
		assert_false(xf_adb_serial_on_host(away[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_through_sh),
		cmocka_unit_test(test_serial_on_host),
		cmocka_unit_test(test_words_refused),
		cmocka_unit_test(test_devices_list),
		cmocka_unit_test(test_shellv2_any_split),
		cmocka_unit_test(test_getprop),
		cmocka_unit_test(test_server_address),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
