/* runtime.c - libxnnrt: open, choose the tier, load and check its model,
 * run (xr.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "file-read.h"
#include "manifest.h"
#include "xk.h"
#include "xr.h"
#include "xs.h"

static _Thread_local char last_error[512];

__attribute__((format(printf, 2, 3)))
static enum xr_status fail(enum xr_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return st;
}

const char *xr_last_error(void)
{
	return last_error;
}

const char *xr_strerror(enum xr_status s)
{
	switch (s) {
#define XR_X(name, text) case name: return text;
		XR_STATUS_LIST(XR_X)
#undef XR_X
	}
	return "unknown status";
}

struct xr_runtime {
	struct xs_model *model;
	struct xs_exec *exec;
	size_t pixels, classes;
	char tier[64];
	char reason[512];
};

/* ---- probe score ----------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double xr_probe_score(void)
{
	/* an expand layer of a mid-network block: 14x14 pixels, 64 -> 192 */
	enum { M = 196, K = 64, N = 192, RUNS = 15 };
	float *w = malloc(sizeof(float) * N * K), *a = malloc(sizeof(float) * M * K),
	      *c = malloc(sizeof(float) * M * N);
	struct xk_gemm *op = NULL;
	struct xk_error err;
	double score = 0;
	if (w && a && c) {
		for (size_t i = 0; i < (size_t)N * K; i++)
			w[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
		for (size_t i = 0; i < (size_t)M * K; i++)
			a[i] = (float)((i * 53) % 97) / 97.0f - 0.5f;
		if (xk_gemm_create(XK_ISA_DEFAULT, K, N, w, NULL, XK_ACT_NONE, &op, &err) == XK_OK) {
			double t[RUNS];
			for (int i = 0; i < 3; i++)
				xk_gemm_run(op, M, a, K, c, N, NULL);
			for (int i = 0; i < RUNS; i++) {
				double t0 = now_ms();
				xk_gemm_run(op, M, a, K, c, N, NULL);
				t[i] = now_ms() - t0;
			}
			qsort(t, RUNS, sizeof(double), by_value);
			score = t[RUNS / 2] > 0 ? 2.0 * M * K * N / (t[RUNS / 2] * 1e6) : 0;
			xk_gemm_destroy(op);
		}
	}
	free(w);
	free(a);
	free(c);
	return score;
}

/* ---- open / run / close -------------------------------------------------------------- */

/* Loads tier t's model, checked against the manifest's size and sha256. */
static enum xr_status load(const struct xr_tier *t, const char *dir, struct xs_model **out)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, t->file);
	size_t len;
	char *buf, why[400];
	/* larger than the manifest says: refused without reading it (a size
	 * past this process's address space: 32-bit ABIs) */
	if (t->size >= SIZE_MAX)
		return fail(XR_EINVAL, "tier '%s': the manifest says %llu bytes, more than this "
			    "device can hold", t->name, (unsigned long long)t->size);
	enum xr_status st = xr_file_read(path, (size_t)t->size, &buf, &len, why, sizeof(why));
	if (st != XR_OK)
		return fail(st == XR_ENOMEM ? st : XR_EIO, "tier '%s': %s", t->name, why);
	uint8_t sum[32];
	char hex[65];
	xs_sha256(buf, len, sum);
	xs_sha256_hex(sum, hex);
	if (len != t->size || strcmp(hex, t->sha256) != 0) {
		free(buf);
		return fail(XR_ECHECKSUM, "tier '%s': '%s' has %zu bytes and sha256 %.12s..., the "
			    "manifest says %llu and %.12s...: refused", t->name, path, len, hex,
			    (unsigned long long)t->size, t->sha256);
	}
	struct xs_error err;
	enum xs_status xst = xs_model_load_buffer(buf, len, out, NULL, &err);
	free(buf);
	if (xst != XS_OK)
		return fail(XR_EMODEL, "tier '%s': '%s': %s", t->name, path, err.msg);
	return XR_OK;
}

enum xr_status xr_open_as(const char *manifest_path, const char *models_dir,
			  const struct xr_identity *id, double probe_score,
			  struct xr_runtime **rt)
{
	*rt = NULL;
	last_error[0] = '\0';
	size_t len;
	char *json = NULL, why[300];
	enum xr_status st = xr_file_read(manifest_path, 4u << 20, &json, &len, why, sizeof(why));
	if (st != XR_OK)
		return fail(st == XR_ENOMEM ? st : XR_EIO, "the manifest: %s", why);
	struct xr_manifest *m = malloc(sizeof(*m));
	struct xr_runtime *r = calloc(1, sizeof(*r));
	if (m == NULL || r == NULL) {
		st = fail(XR_ENOMEM, "out of memory");
		goto out;
	}
	if (!xr_manifest_parse(json, len, m, why, sizeof(why))) {
		st = fail(XR_EFORMAT, "manifest '%s': %s", manifest_path, why);
		goto out;
	}
	size_t t = xr_manifest_choose(m, xr_probe_score, id, &probe_score, r->reason, sizeof(r->reason));
	/* that tier's model, else the next lower ones' */
	char first_error[512] = "";
	for (size_t k = t; k < m->ntiers; k++) {
		st = load(&m->tiers[k], models_dir, &r->model);
		if (st == XR_OK) {
			snprintf(r->tier, sizeof(r->tier), "%s", m->tiers[k].name);
			if (k != t) {
				size_t rl = strlen(r->reason);
				snprintf(r->reason + rl, sizeof(r->reason) - rl, "; tier '%s' refused (%.200s), "
					 "so the next one", m->tiers[t].name, first_error);
			}
			break;
		}
		if (k == t)
			snprintf(first_error, sizeof(first_error), "%s", last_error);
	}
	if (st != XR_OK) {
		st = fail(st, "%s", first_error[0] ? first_error : last_error);
		goto out;
	}
	struct xs_error err;
	if (xs_exec_create(r->model, XK_ISA_DEFAULT, 1, &r->exec, &err) != XS_OK) {
		st = fail(XR_EMODEL, "tier '%s': %s", r->tier, err.msg);
		goto out;
	}
	const struct xs_value *in = &r->model->values[0];  /* value 0: the image */
	r->pixels = (size_t)in->c * in->h * in->w;
	r->classes = r->model->classes;
	*rt = r;
	r = NULL;
out:
	xr_close(r);
	free(m);
	free(json);
	return st;
}

enum xr_status xr_open(const char *manifest_path, const char *models_dir, struct xr_runtime **rt)
{
	struct xr_identity id;
	xr_identity_read(NULL, &id);
	return xr_open_as(manifest_path, models_dir, &id, -1, rt);
}

void xr_run(struct xr_runtime *rt, const uint8_t *pixels, float *logits)
{
	xs_model_input(rt->model, pixels, 1, xs_exec_input(rt->exec));
	xs_exec_run(rt->exec, 1, NULL);
	memcpy(logits, xs_exec_output(rt->exec), rt->classes * sizeof(float));
}

size_t xr_input_pixels(const struct xr_runtime *rt)
{
	return rt->pixels;
}

size_t xr_classes(const struct xr_runtime *rt)
{
	return rt->classes;
}

const char *xr_tier(const struct xr_runtime *rt, const char **reason)
{
	if (reason)
		*reason = rt->reason;
	return rt->tier;
}

void xr_close(struct xr_runtime *rt)
{
	if (rt == NULL)
		return;
	xs_exec_destroy(rt->exec);
	xs_model_destroy(rt->model);
	free(rt);
}
