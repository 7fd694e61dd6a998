/* devexpr.h - which devices a sweep runs on: "all", a list of serials
 * ("a,b", or given as an array: a serial may then hold any character), or
 * FIELD=~REGEX (PCRE2) with FIELD one of serial, abi, transport, model. */
#ifndef XF_DEVEXPR_H
#define XF_DEVEXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "devices.h"
#include "xs.h"

struct xf_devexpr;

/* Parses text (NULL is "all"). XS_EINVAL when the field is not one of the
 * four or the pattern does not compile: err says which ("--devices:
 * 'colour' is not a field (serial, abi, transport, model)"). *out (destroy
 * it) is written only on success. */
enum xs_status xf_devexpr_parse(const char *text, struct xf_devexpr **out, struct xs_error *err);

/* The devices named by serials[0..n) (copied). XS_ENOMEM, XS_EINVAL when
 * n is 0. */
enum xs_status xf_devexpr_serials(const char *const *serials, size_t n, struct xf_devexpr **out,
				  struct xs_error *err);

/* Does nothing on NULL. */
void xf_devexpr_destroy(struct xf_devexpr *e);

/* The expression as text ("all", "a,b", "abi=~^arm"), for the sweep's
 * config and messages. */
const char *xf_devexpr_text(const struct xf_devexpr *e);

/* Whether value (of field: "serial", "abi", "transport", "model") matches;
 * fields the expression is not about match. */
bool xf_devexpr_match(const struct xf_devexpr *e, const char *field, const char *value);

/* Whether a device as found matches: its serial (or its adb server's name
 * for it, or the serial it reports when it shares it), abi, transport, and
 * model when known. A device whose model is
 * not known matches a model pattern only when it can be used (its probe
 * then decides): an offline or unauthorized one does not. */
bool xf_devexpr_match_device(const struct xf_devexpr *e, const struct xf_device *d);

/* Whether the expression is about field ("serial" for a list of serials). */
bool xf_devexpr_about(const struct xf_devexpr *e, const char *field);

/* A list of serials: how many, and serial i (NULL past the end); 0 for
 * "all" and patterns. */
size_t xf_devexpr_serial_count(const struct xf_devexpr *e);
const char *xf_devexpr_serial(const struct xf_devexpr *e, size_t i);

#endif /* XF_DEVEXPR_H */
