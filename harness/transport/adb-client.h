/* adb-client.h - a client of the adb server's smart-socket protocol: the server's
 * device list, shell (shell_v2 with exit codes, or the legacy shell with an
 * exit marker), and sync push, pull and stat. Facts:
 * ../shared/notes/adb-protocol.md.
 *
 * Every command sent to a device shell is built from argv words, each
 * single-quoted (xf_shell_quote). Programs on this host run from argv. */
#ifndef XF_ADB_CLIENT_H
#define XF_ADB_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs.h"

struct xf_adb_server {
	char host[64];
	int port;
};

/* "HOST:PORT", "PORT" or "tcp:HOST:PORT". false when malformed. */
bool xf_adb_server_parse(const char *s, struct xf_adb_server *out);
/* The server adb itself would use: ADB_SERVER_SOCKET (tcp:HOST:PORT),
 * ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037. */
void xf_adb_server_default(struct xf_adb_server *out);

/* Connects to the server; when nothing listens on a loopback address, starts
 * one with `adb -P PORT start-server` (argv, its output to /dev/null). */
enum xs_status xf_adb_ensure_server(const struct xf_adb_server *s, struct xs_error *err);

/* A host request answered with OKAY + hex4 length + text (host:version,
 * host:devices-l, host-serial:S:features, host:connect:H:P). *reply is
 * malloc'd, NUL-terminated; the caller frees it. */
enum xs_status xf_adb_query(const struct xf_adb_server *s, const char *req, char **reply,
			    struct xs_error *err);

/* One line of host:devices-l. */
struct xf_adb_dev {
	char serial[128];
	char state[32];          /* device, offline, unauthorized, no permissions, ... */
	char product[64], model[128], device[64];
	char transport_id[16];
	char usb[64];            /* the USB port path (usb:1-1.2 without "usb:"), "" when not USB */
};

/* Parses host:devices-l text into at most max entries; returns how many.
 * Lines that do not parse are skipped. */
size_t xf_adb_devices_parse(const char *text, struct xf_adb_dev *out, size_t max);

/* What to do about a device in state (NULL for "device"). */
const char *xf_adb_state_advice(const char *state);

/* Whether a device serial names a device on this host: a loopback address
 * (127.0.0.0/8, localhost, [::1], with or without a port) or an Android
 * emulator's console name (emulator-5554). */
bool xf_adb_serial_on_host(const char *serial);

/* Quotes argv as single-quoted words separated by spaces ("'" becomes
 * "'\''") into out; returns the length it needs (out is cut when n is too
 * small, and always terminated). */
size_t xf_shell_quote(const char *const *argv, char *out, size_t n);

/* Output of a shell command: stream 1 stdout, 2 stderr. */
typedef void (*xf_adb_out_fn)(void *ctx, int stream, const char *data, size_t n);

#define XF_ADB_HUNG (-2)  /* *exit_code of a shell that stayed silent for hang_s */

/* The serial parameter of the device functions below names the device to
 * the server: its serial, or "transport-id:N" (host:devices-l's
 * transport_id) for one whose serial another device of the server shares
 * (two phones that report 0123456789ABCDEF): good while it stays connected. */
#define XF_ADB_ROUTE_TID "transport-id:"

/* Runs argv on the device. v2: the shell_v2 protocol (stdout, stderr, exit
 * code). Otherwise the legacy shell: stderr goes to stderr_path on the device
 * (or is mixed into stdout when NULL) and the exit code comes from a marker
 * line appended by the command. *exit_code is -1 when the stream ended
 * without one (the device or the server went away): then XS_EIO. When no
 * byte comes for hang_s seconds (> 0; 0 waits for ever) the stream is
 * closed: XS_EIO, *exit_code XF_ADB_HUNG. */
enum xs_status xf_adb_shell(const struct xf_adb_server *s, const char *serial, bool v2,
			    const char *const *argv, const char *stderr_path, double hang_s,
			    xf_adb_out_fn fn, void *ctx, int *exit_code, struct xs_error *err);

/* sync STAT: *mode 0 means missing. */
enum xs_status xf_adb_stat(const struct xf_adb_server *s, const char *serial, const char *path,
			   uint32_t *mode, uint32_t *size, struct xs_error *err);
/* sync SEND of the local file to remote with mode (e.g. 0755). The device may
 * accept a push it could not store (full): check size and hash afterwards. */
enum xs_status xf_adb_push(const struct xf_adb_server *s, const char *serial, const char *local,
			   const char *remote, unsigned mode, struct xs_error *err);
/* sync RECV of remote into dir/BASENAME (BASENAME: remote's last part; "",
 * "." and ".." are refused, so nothing is written outside dir). out gets the
 * local path. */
enum xs_status xf_adb_pull(const struct xf_adb_server *s, const char *serial, const char *remote,
			   const char *dir, char *out, size_t out_n, struct xs_error *err);

/* The shell_v2 stream: [id u8][len u32 LE][data] packets, split or joined
 * anyhow. Feed bytes as they come; fn gets stdout (1) and stderr (2) data;
 * exit_code is set by packet 3. false on a malformed packet (why filled). */
struct xf_shellv2 {
	uint8_t head[5];
	size_t head_len;
	uint32_t left;           /* data bytes left in the current packet */
	int exit_code;           /* -1 until packet 3 */
};
void xf_shellv2_init(struct xf_shellv2 *p);
bool xf_shellv2_feed(struct xf_shellv2 *p, const uint8_t *data, size_t n, xf_adb_out_fn fn,
		     void *ctx, char *why, size_t why_n);

#endif /* XF_ADB_CLIENT_H */
