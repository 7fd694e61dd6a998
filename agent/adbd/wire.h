/* wire.h - the parts of xnn-adbd that read outside bytes: the ADB wire
 * packet header, sync requests and the single-quoted argv words that the harness sends. All are fuzzed
 * (tests/fuzz/fuzz-adbd.c). Facts: docs/adb.md. */
#ifndef XA_ADBD_WIRE_H
#define XA_ADBD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XA_ADB_CNXN 0x4e584e43u
#define XA_ADB_AUTH 0x48545541u
#define XA_ADB_OPEN 0x4e45504fu
#define XA_ADB_OKAY 0x59414b4fu
#define XA_ADB_WRTE 0x45545257u
#define XA_ADB_CLSE 0x45534c43u

#define XA_ADB_VERSION 0x01000001u       /* skips the data checksum */
#define XA_ADB_VERSION_MIN 0x01000000u   /* data_check = byte sum */
#define XA_ADB_HEADER 24
#define XA_ADB_MAX_PAYLOAD (256u * 1024u) /* what xnn-adbd advertises */
#define XA_SYNC_DATA_MAX (64u * 1024u)

struct xa_adb_header {
	uint32_t cmd, arg0, arg1, len, check, magic;
};

/* Decodes and checks 24 bytes: a known command, magic = ~command, a length
 * of at most max_payload. false with why filled otherwise. */
bool xa_adb_header_parse(const uint8_t b[XA_ADB_HEADER], uint32_t max_payload,
			 struct xa_adb_header *h, char *why, size_t why_n);
/* Whether data matches the header's check (only versions below
 * XA_ADB_VERSION carry one). */
bool xa_adb_data_ok(const struct xa_adb_header *h, uint32_t version, const uint8_t *data);
/* Encodes a header for data of len bytes (check filled when version needs it). */
void xa_adb_header_write(uint8_t b[XA_ADB_HEADER], uint32_t cmd, uint32_t arg0, uint32_t arg1,
			 const uint8_t *data, uint32_t len, uint32_t version);

/* Splits a command made only of single-quoted words ('a' 'b'\''c', words
 * separated by single spaces, the quoting of DESIGN.md) into argv: at most
 * max - 1 words, each pointing into buf (n bytes, the words' text). false
 * when the command is anything else: then it is for /bin/sh. */
bool xa_shell_words(const char *cmd, char *buf, size_t n, char **argv, size_t max);

/* A sync request: 4-byte id and 32-bit length (little-endian). */
static inline uint32_t xa_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void xa_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Parses "path,mode" of a sync SEND (the last comma splits; mode decimal,
 * only permission bits kept). false when malformed. */
bool xa_sync_send_spec(const char *spec, size_t len, char *path, size_t path_n,
		       unsigned *mode);

/* Where a sync request's path lies in the work folder root (an absolute
 * path; alt, when not NULL, another spelling of it, e.g. its realpath):
 * path must be root itself or under it. Its components after root go to
 * rel (n bytes) joined by single '/', empty and "." ones left out, and a
 * final "/." when path ends with '/' (its last component must be a folder,
 * not a link to one); an empty rel is root itself. false with why filled when path is outside root,
 * holds a ".." component or does not fit. Only the text is read: the
 * caller opens each component under a folder fd without following links. */
bool xa_sync_path_rel(const char *path, const char *root, const char *alt, char *rel,
		      size_t n, char *why, size_t why_n);

#endif /* XA_ADBD_WIRE_H */
