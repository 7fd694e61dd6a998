/* manifest-out.c - the models, manifest.json and the DB's manifest row of a
 * selection (manifest-out.h): the result becomes the runtime's struct
 * xr_manifest, which the runtime's writer turns into JSON. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manifest-out.h"
#include "manifest.h"
#include "util.h"

/* A glob that matches exactly s (fnmatch's special characters escaped). */
static void glob_exact(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; *s && k + 2 < n; s++) {
		if (strchr("*?[]\\", *s))
			out[k++] = '\\';
		out[k++] = *s;
	}
	out[k] = '\0';
}

/* Copies src into dst[n]; false when it does not fit (the manifest would
 * name something else). */
static bool put(char *dst, size_t n, const char *src)
{
	return (size_t)snprintf(dst, n, "%s", src) < n;
}

/* The devices listed, the rules (model globs) and the probe threshold of t. */
static bool tier_devices(const struct xf_fleet *f, const struct xf_select_tier *t,
			 struct xr_tier *o)
{
	double pmin = INFINITY;
	bool ok = true;
	for (size_t j = 0; j < t->ndevs; j++) {
		const struct xf_fleet_device *d = &f->dev[t->devs[j]];
		if (o->nlisted < XR_MAX_LISTED) {
			struct xr_listed *l = &o->listed[o->nlisted++];
			ok = ok && put(l->model, sizeof(l->model), d->model) &&
			     put(l->fingerprint, sizeof(l->fingerprint), d->fingerprint) &&
			     put(l->serial, sizeof(l->serial), d->serial);
		}
		bool dup = false;
		for (size_t q = 0; q < j; q++)
			dup = dup || strcmp(f->dev[t->devs[q]].model, d->model) == 0;
		if (d->model[0] && !dup && o->rules.nmodels < XR_MAX_PATTERNS) {
			char *g = o->rules.models[o->rules.nmodels++];
			glob_exact(d->model, g, sizeof(o->rules.models[0]));
		}
		if (!isnan(d->probe) && d->probe < pmin)
			pmin = d->probe;
	}
	o->probe_min = isfinite(pmin) ? floor(pmin * 100) / 100 : 0;
	return ok;
}

/* r as the runtime's manifest struct (*m: about 530 KB, the caller's). */
static enum xs_status manifest_fill(const struct xf_select_manifest_opts *mo,
				    const struct xf_select_result *r, struct xr_manifest *m,
				    struct xs_error *err)
{
	xr_manifest_init(m);
	xs_sha256_hex(mo->sn->sha256, m->supernet_sha256);
	if (!put(m->supernet, sizeof(m->supernet), mo->sn->space.name))
		return xf_error_set(err, XS_EINVAL, "the supernet's name '%.80s' is longer than "
				    "a manifest holds (%zu bytes)", mo->sn->space.name,
				    sizeof(m->supernet) - 1);
	if (r->ntiers == 0 || r->ntiers > XR_MAX_TIERS)
		return xf_error_set(err, XS_EINVAL, "%zu tiers: a manifest holds 1 to %d",
				    r->ntiers, XR_MAX_TIERS);
	m->budget_latency_ms = mo->budget->latency_ms;
	m->budget_percentile = mo->budget->percentile;
	m->budget_memory = mo->budget->memory;
	m->budget_size = mo->budget->size;
	m->ntiers = r->ntiers;
	m->fallback = r->ntiers - 1;
	for (size_t i = 0; i < r->ntiers; i++) {
		const struct xf_select_tier *t = &r->tiers[i];
		struct xr_tier *o = &m->tiers[i];
		snprintf(o->name, sizeof(o->name), "t%zu", i + 1);
		if (!put(o->arch, sizeof(o->arch), t->text) ||
		    !put(o->precision, sizeof(o->precision), xs_precision_name(t->prec)) ||
		    !put(o->file, sizeof(o->file), t->file) ||
		    !put(o->sha256, sizeof(o->sha256), t->sha256) || !tier_devices(r->fleet, t, o))
			return xf_error_set(err, XS_EINVAL, "tier %s: a name or arch is longer "
					    "than a manifest holds", o->name);
		o->size = t->size;
		o->latency_ms = round(t->lat_ms * 1e4) / 1e4;
		o->memory_bytes = (double)t->memory;
		o->top1 = isnan(t->test_top1) ? t->val_top1 : t->test_top1;
		o->val_top1 = t->val_top1;
		o->predicted = !t->all_measured;
		o->widened = t->widened > 0;
	}
	return XS_OK;
}

/* The JSON text of r's manifest (malloc'd), by the runtime's writer. */
static enum xs_status manifest_text(const struct xf_select_manifest_opts *mo,
				    const struct xf_select_result *r, char **text, size_t *len,
				    struct xs_error *err)
{
	struct xr_manifest *m = malloc(sizeof(*m));
	if (m == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	enum xs_status st = manifest_fill(mo, r, m, err);
	char why[256];
	if (st == XS_OK) {
		enum xr_status ws = xr_manifest_write(m, text, len, why, sizeof(why));
		if (ws == XR_ENOMEM)
			st = xf_error_set(err, XS_ENOMEM, "out of memory");
		else if (ws != XR_OK)
			st = xf_error_set(err, XS_EFORMAT, "internal error: the manifest cannot be "
					  "written: %s", why);
	}
	free(m);
	return st;
}

/* DIR/tN.xnm of tier t: built with BN recalibrated; its sha256. */
static enum xs_status write_model(const struct xf_select_manifest_opts *o,
				  struct xf_select_tier *t, size_t i, struct xs_error *err)
{
	struct xs_model *m = NULL;
	uint8_t *buf = NULL, sha[32];
	size_t size = 0;
	struct xs_error berr;
	snprintf(t->file, sizeof(t->file), "t%zu.xnm", i + 1);
	enum xs_status st = xs_model_build(o->sn, &t->arch, t->prec, o->images, o->tp, &m, &berr);
	if (st == XS_OK)
		st = xs_model_serialize(m, &buf, &size, &berr);
	xs_model_destroy(m);
	if (st != XS_OK) {
		free(buf);
		return xf_error_set(err, st, "%s: %s", t->text, berr.msg);
	}
	xs_sha256(buf, size, sha);
	xs_sha256_hex(sha, t->sha256);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", o->dir, t->file);
	st = xf_file_write(path, buf, size, err);
	free(buf);
	if (st == XS_OK && size != t->size)
		st = xf_error_set(err, XS_EFORMAT, "%s: %zu bytes, %" PRIu64 " expected", path, size,
				  t->size);
	return st;
}

enum xs_status xf_select_write_manifest(const struct xf_select_manifest_opts *o,
					struct xf_select_result *r, char *path, size_t path_n,
					int64_t *manifest_id, struct xs_error *err)
{
	if (mkdir(o->dir, 0755) != 0 && errno != EEXIST)
		return xf_error_set(err, XS_EIO, "--out '%s': %s", o->dir, strerror(errno));
	enum xs_status st = XS_OK;
	for (size_t t = 0; st == XS_OK && t < r->ntiers; t++)
		st = write_model(o, &r->tiers[t], t, err);
	if (st != XS_OK)
		return st;
	char *text;
	size_t len;
	if ((st = manifest_text(o, r, &text, &len, err)) != XS_OK)
		return st;
	snprintf(path, path_n, "%s/manifest.json", o->dir);
	/* the file ends with a line break; the DB keeps the text without it */
	char *line = realloc(text, len + 2);
	if (line == NULL) {
		free(text);
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	}
	text = line;
	text[len] = '\n';
	st = xf_file_write(path, text, len + 1, err);
	text[len] = '\0';
	char budget[128];
	xf_budget_print(o->budget, budget, sizeof(budget));
	if (st == XS_OK && fdb_manifest_insert(o->db, o->supernet_id, budget, text,
					       manifest_id) != XS_OK)
		st = xf_error_set(err, XS_EIO, "%s", fdb_errmsg(o->db));
	free(text);
	return st;
}
