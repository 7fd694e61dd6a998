/* wire.c - xnn-adbd's parsers of outside bytes (wire.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

bool xa_adb_header_parse(const uint8_t b[XA_ADB_HEADER], uint32_t max_payload,
			 struct xa_adb_header *h, char *why, size_t why_n)
{
	h->cmd = xa_le32(b);
	h->arg0 = xa_le32(b + 4);
	h->arg1 = xa_le32(b + 8);
	h->len = xa_le32(b + 12);
	h->check = xa_le32(b + 16);
	h->magic = xa_le32(b + 20);
	switch (h->cmd) {
	case XA_ADB_CNXN: case XA_ADB_AUTH: case XA_ADB_OPEN:
	case XA_ADB_OKAY: case XA_ADB_WRTE: case XA_ADB_CLSE:
		break;
	default:
		snprintf(why, why_n, "unknown command 0x%08x", (unsigned)h->cmd);
		return false;
	}
	if (h->magic != (h->cmd ^ 0xffffffffu)) {
		snprintf(why, why_n, "bad magic 0x%08x for command 0x%08x", (unsigned)h->magic,
			 (unsigned)h->cmd);
		return false;
	}
	if (h->len > max_payload) {
		snprintf(why, why_n, "payload of %u bytes is over the maximum %u", (unsigned)h->len,
			 (unsigned)max_payload);
		return false;
	}
	return true;
}

static uint32_t byte_sum(const uint8_t *data, uint32_t len)
{
	uint32_t s = 0;
	for (uint32_t i = 0; i < len; i++)
		s += data[i];
	return s;
}

bool xa_adb_data_ok(const struct xa_adb_header *h, uint32_t version, const uint8_t *data)
{
	return version >= XA_ADB_VERSION || byte_sum(data, h->len) == h->check;
}

void xa_adb_header_write(uint8_t b[XA_ADB_HEADER], uint32_t cmd, uint32_t arg0, uint32_t arg1,
			 const uint8_t *data, uint32_t len, uint32_t version)
{
	xa_put32(b, cmd);
	xa_put32(b + 4, arg0);
	xa_put32(b + 8, arg1);
	xa_put32(b + 12, len);
	xa_put32(b + 16, version >= XA_ADB_VERSION || data == NULL ? 0 : byte_sum(data, len));
	xa_put32(b + 20, cmd ^ 0xffffffffu);
}

bool xa_shell_words(const char *cmd, char *buf, size_t n, char **argv, size_t max)
{
	size_t k = 0, used = 0;
	const char *p = cmd;
	if (max == 0 || n == 0)
		return false;
	while (*p) {
		if (k + 1 >= max || *p != '\'')
			return false;
		argv[k++] = buf + used;
		/* one word: quoted runs joined by \' */
		for (;;) {
			if (*p != '\'')
				return false;
			p++;
			const char *q = strchr(p, '\'');
			if (q == NULL)
				return false;
			size_t len = (size_t)(q - p);
			if (used + len + 2 > n)
				return false;
			memcpy(buf + used, p, len);
			used += len;
			p = q + 1;
			if (p[0] == '\\' && p[1] == '\'') {
				buf[used++] = '\'';
				p += 2;
				continue;
			}
			break;
		}
		buf[used++] = '\0';
		if (*p == ' ' && p[1] != '\0')
			p++;
		else if (*p != '\0')
			return false;
	}
	argv[k] = NULL;
	return k > 0;
}

bool xa_sync_send_spec(const char *spec, size_t len, char *path, size_t path_n,
		       unsigned *mode)
{
	const char *comma = NULL;
	for (size_t i = 0; i < len; i++) {
		if (spec[i] == '\0')
			return false;
		if (spec[i] == ',')
			comma = spec + i;
	}
	if (comma == NULL || comma == spec || (size_t)(comma - spec) >= path_n)
		return false;
	const char *m = comma + 1, *end = spec + len;
	if (m == end || end - m > 10)
		return false;
	unsigned long v = 0;
	for (; m < end; m++) {
		if (*m < '0' || *m > '9')
			return false;
		v = v * 10 + (unsigned long)(*m - '0');
	}
	memcpy(path, spec, (size_t)(comma - spec));
	path[comma - spec] = '\0';
	*mode = (unsigned)(v & 07777);
	return true;
}

/* The rest of path after root ("/..." or ""), or NULL when path is not
 * root or under it. */
static const char *under(const char *path, const char *root)
{
	size_t rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (strncmp(path, root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
		return NULL;
	return path + rl;
}

bool xa_sync_path_rel(const char *path, const char *root, const char *alt, char *rel,
		      size_t n, char *why, size_t why_n)
{
	const char *rest = under(path, root);
	if (rest == NULL && alt)
		rest = under(path, alt);
	if (rest == NULL || n == 0) {
		snprintf(why, why_n, "'%.300s' is outside the work folder '%.300s' (sync reaches "
			 "only the files under it)", path, root);
		return false;
	}
	size_t used = 0;
	for (const char *p = rest; *p;) {
		if (*p == '/') {
			p++;
			continue;
		}
		size_t len = strcspn(p, "/");
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			snprintf(why, why_n, "'%.300s' holds '..': give a path under the work folder "
				 "'%.300s' without '..'", path, root);
			return false;
		}
		if (used + (used > 0) + len + 1 > n) {
			snprintf(why, why_n, "'%.300s' is too long", path);
			return false;
		}
		if (used > 0)
			rel[used++] = '/';
		memcpy(rel + used, p, len);
		used += len;
		p += len;
	}
	if (used > 0 && rest[strlen(rest) - 1] == '/') {  /* "dir/": dir must be a folder */
		if (used + 3 > n) {
			snprintf(why, why_n, "'%.300s' is too long", path);
			return false;
		}
		memcpy(rel + used, "/.", 2);
		used += 2;
	}
	rel[used] = '\0';
	return true;
}
