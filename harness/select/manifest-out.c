/* manifest-out.c - the models, manifest.json (cJSON) and the DB's manifest
 * row of a selection (manifest-out.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

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

/* The devices listed, the rules (model globs) and the probe threshold of t. */
static void tier_devices(const struct xf_fleet *f, const struct xf_select_tier *t, cJSON *o)
{
	cJSON *devs = cJSON_AddArrayToObject(o, "devices");
	cJSON *rules = cJSON_AddObjectToObject(o, "rules");
	cJSON *models = cJSON_AddArrayToObject(rules, "models");
	double pmin = INFINITY;
	size_t nmodels = 0, nlisted = 0;
	for (size_t j = 0; j < t->ndevs; j++) {
		const struct xf_fleet_device *d = &f->dev[t->devs[j]];
		if (nlisted < XR_MAX_LISTED) {
			cJSON *dv = cJSON_CreateObject();
			cJSON_AddStringToObject(dv, "model", d->model);
			cJSON_AddStringToObject(dv, "fingerprint", d->fingerprint);
			cJSON_AddStringToObject(dv, "serial", d->serial);
			cJSON_AddItemToArray(devs, dv);
			nlisted++;
		}
		bool dup = false;
		for (size_t q = 0; q < j; q++)
			dup = dup || strcmp(f->dev[t->devs[q]].model, d->model) == 0;
		if (d->model[0] && !dup && nmodels < XR_MAX_PATTERNS) {
			char g[128];
			glob_exact(d->model, g, sizeof(g));
			cJSON_AddItemToArray(models, cJSON_CreateString(g));
			nmodels++;
		}
		if (!isnan(d->probe) && d->probe < pmin)
			pmin = d->probe;
	}
	cJSON_AddNumberToObject(rules, "ram_min", 0);
	cJSON_AddNumberToObject(rules, "ram_max", 0);
	cJSON_AddNumberToObject(o, "probe_min", isfinite(pmin) ? floor(pmin * 100) / 100 : 0);
}

static cJSON *manifest_json(const struct xf_select_manifest_opts *mo,
			    const struct xf_select_result *r)
{
	char sha[65];
	xs_sha256_hex(mo->sn->sha256, sha);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", XR_MANIFEST_FORMAT);
	cJSON_AddNumberToObject(root, "version", XR_MANIFEST_VERSION);
	cJSON *sn = cJSON_AddObjectToObject(root, "supernet");
	cJSON_AddStringToObject(sn, "name", mo->sn->space.name);
	cJSON_AddStringToObject(sn, "sha256", sha);
	cJSON *b = cJSON_AddObjectToObject(root, "budget");
	cJSON_AddNumberToObject(b, "latency_ms", mo->budget->latency_ms);
	cJSON_AddNumberToObject(b, "percentile", mo->budget->percentile);
	cJSON_AddNumberToObject(b, "memory_bytes", (double)mo->budget->memory);
	cJSON_AddNumberToObject(b, "size_bytes", (double)mo->budget->size);
	char fb[24];
	snprintf(fb, sizeof(fb), "t%zu", r->ntiers);
	cJSON_AddStringToObject(root, "fallback", fb);
	cJSON *tiers = cJSON_AddArrayToObject(root, "tiers");
	for (size_t i = 0; i < r->ntiers; i++) {
		const struct xf_select_tier *t = &r->tiers[i];
		cJSON *o = cJSON_CreateObject();
		char name[24];
		snprintf(name, sizeof(name), "t%zu", i + 1);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "arch", t->text);
		cJSON_AddStringToObject(o, "precision", xs_precision_name(t->prec));
		cJSON_AddStringToObject(o, "file", t->file);
		cJSON_AddNumberToObject(o, "size", (double)t->size);
		cJSON_AddStringToObject(o, "sha256", t->sha256);
		cJSON *e = cJSON_AddObjectToObject(o, "expected");
		cJSON_AddNumberToObject(e, "latency_ms", round(t->lat_ms * 1e4) / 1e4);
		cJSON_AddNumberToObject(e, "memory_bytes", (double)t->memory);
		cJSON_AddNumberToObject(e, "top1", isnan(t->test_top1) ? t->val_top1 : t->test_top1);
		cJSON_AddNumberToObject(e, "val_top1", t->val_top1);
		cJSON_AddStringToObject(e, "source", t->all_measured ? "measured" : "predicted");
		tier_devices(r->fleet, t, o);
		cJSON_AddItemToArray(tiers, o);
	}
	return root;
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
	cJSON *json = manifest_json(o, r);
	char *text = json ? cJSON_Print(json) : NULL;
	cJSON_Delete(json);
	if (text == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	/* the writer checks itself with the runtime's reader */
	static struct xr_manifest check;
	char why[256];
	size_t len = strlen(text);
	if (!xr_manifest_parse(text, len, &check, why, sizeof(why)))
		st = xf_error_set(err, XS_EFORMAT, "internal error: the manifest written does not "
				  "read back: %s", why);
	snprintf(path, path_n, "%s/manifest.json", o->dir);
	if (st == XS_OK) {
		text[len] = '\n';
		st = xf_file_write(path, text, len + 1, err);
		text[len] = '\0';
	}
	char budget[128];
	xf_budget_print(o->budget, budget, sizeof(budget));
	if (st == XS_OK && fdb_manifest_insert(o->db, o->supernet_id, budget, text,
					       manifest_id) != XS_OK)
		st = xf_error_set(err, XS_EIO, "%s", fdb_errmsg(o->db));
	free(text);
	return st;
}
