/* reference.c - the host's top-1 and reference logits per sub-net
 * (reference.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reference.h"
#include "data.h"
#include "util.h"

/* Evaluates model m of a sub-net of sn; *logits_text gets its first
 * images' logits as "image,v0,...\n" rows (malloc'd). */
static enum xs_status measure(const struct xs_supernet *sn, const struct xs_model *m,
			      const struct xs_idx *calib, const struct xs_idx *train_labels,
			      const struct xs_idx *eval, const struct xs_idx *labels,
			      struct xk_threadpool *tp, double *top1, double *val_top1,
			      char **logits_text, struct xs_error *err)
{
	struct xs_exec *e = NULL;
	float *logits = NULL;
	enum xs_status st = xs_exec_create(m, XK_ISA_DEFAULT, 32, &e, err);
	size_t count = eval->count, correct = 0;
	if (st == XS_OK && (logits = malloc(count * m->classes * sizeof(float))) == NULL) {
		st = xf_error_set(err, XS_ENOMEM, "out of memory");
	}
	if (st == XS_OK)
		st = xs_exec_eval(e, m, eval, labels, count, tp, &correct, logits, err);
	/* the validation split: the last val_images training images, never
	 * trained on (views into the loaded files) */
	uint32_t nv = sn->space.val_images;
	*val_top1 = NAN;
	if (st == XS_OK && nv && nv <= calib->count && train_labels->count == calib->count) {
		const size_t px = (size_t)calib->rows * calib->cols;
		struct xs_idx vi = {nv, calib->rows, calib->cols,
				    calib->data + (size_t)(calib->count - nv) * px, NULL, 0};
		struct xs_idx vl = {nv, 1, 1, train_labels->data + (calib->count - nv), NULL, 0};
		size_t vc = 0;
		st = xs_exec_eval(e, m, &vi, &vl, nv, tp, &vc, NULL, err);
		if (st == XS_OK)
			*val_top1 = 100.0 * (double)vc / (double)nv;
	}
	if (st == XS_OK) {
		*top1 = 100.0 * (double)correct / (double)count;
		size_t cap = XF_REF_IMAGES * (m->classes * 18 + 16) + 1, len = 0;
		char *t = malloc(cap);
		for (size_t i = 0; t && i < XF_REF_IMAGES && i < count; i++) {
			len += (size_t)snprintf(t + len, cap - len, "%zu", i);
			for (uint32_t k = 0; k < m->classes; k++)
				len += (size_t)snprintf(t + len, cap - len, ",%.9g",
							(double)logits[i * m->classes + k]);
			len += (size_t)snprintf(t + len, cap - len, "\n");
		}
		if (t == NULL) {
			st = xf_error_set(err, XS_ENOMEM, "out of memory");
		}
		*logits_text = t;
	}
	free(logits);
	xs_exec_destroy(e);
	return st;
}

/* Sub-net i (arch) in prec: from model, else built here. */
static enum xs_status model_get(const struct xs_supernet *sn, const char *arch, size_t i,
				enum xs_precision prec, const struct xs_idx *calib,
				struct xk_threadpool *tp, xf_reference_model_fn model, void *ctx,
				struct xs_model **out, struct xs_error *err)
{
	struct xs_arch a;
	*out = NULL;
	if (model)
		return model(ctx, i, prec, out, err);
	enum xs_status st = xs_arch_parse(&sn->space, arch, &a, err);
	return st == XS_OK ? xs_model_build(sn, &a, prec, calib, tp, out, err) : st;
}

/* Whether a stored reference (as fdb_subnet_reference gives it) lacks a
 * part: then it is measured again. */
static bool lacks(const struct xs_space *sp, double top1, double val, const char *text)
{
	return text == NULL || isnan(top1) || (sp->val_images && isnan(val));
}

/* Whether eval's images are the space's input (else no reference). */
static bool space_images(const struct xs_space *sp, const struct xs_idx *eval)
{
	return sp->in_c == 1 && eval->rows == sp->in_h && eval->cols == sp->in_w;
}

enum xs_status xf_reference_lacking(struct fdb *db, const struct xs_supernet *sn,
				    const int64_t *ids, size_t n, const char *eval,
				    const char *precisions, bool *lack, struct xs_error *err)
{
	enum xs_precision precs[2];
	size_t np = 0;
	struct xs_idx *ei = NULL;
	if (!xf_precision_list_parse(precisions, precs, &np))
		return xf_error_set(err, XS_EINVAL, "precision '%.40s': use f32, int8 or f32,int8",
				    precisions);
	memset(lack, 0, n * np * sizeof(*lack));
	enum xs_status st = xs_idx_load(eval, 3, &ei, err);
	for (size_t i = 0; st == XS_OK && space_images(&sn->space, ei) && i < n; i++)
		for (size_t k = 0; st == XS_OK && k < np; k++) {
			double top1, val;
			char *text = NULL;
			st = fdb_subnet_reference(db, ids[i], xs_precision_name(precs[k]), &top1, &val,
						  &text);
			if (st != XS_OK)
				xf_error_set(err, st, "%s", fdb_errmsg(db));
			else
				lack[i * np + k] = lacks(&sn->space, top1, val, text);
			free(text);
		}
	xs_idx_destroy(ei);
	return st;
}

__attribute__((format(printf, 3, 4)))
static void say(xf_reference_progress_fn progress, void *ctx, const char *fmt, ...)
{
	if (progress == NULL)
		return;
	char line[XS_ARCH_MAX + 128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	progress(ctx, line);
}

enum xs_status xf_reference_update(struct fdb *db, const struct xs_supernet *sn,
				   const char (*archs)[XS_ARCH_MAX], const int64_t *ids, size_t n,
				   const char *calib, const char *train_labels, const char *eval,
				   const char *labels, const char *precisions, int threads,
				   const char *ref_path, bool *ref_written,
				   xf_reference_model_fn model, xf_reference_progress_fn progress,
				   void *ctx, struct xs_error *err)
{
	const struct xs_space *sp = &sn->space;
	struct xs_idx *ci = NULL, *ei = NULL, *li = NULL, *tl = NULL;
	struct xk_threadpool *tp = NULL;
	FILE *out = NULL;
	char *text = NULL;
	*ref_written = false;
	enum xs_status st = xs_idx_load(calib, 3, &ci, err);
	if (st == XS_OK)
		st = xs_idx_load(eval, 3, &ei, err);
	if (st == XS_OK)
		st = xs_idx_load(labels, 1, &li, err);
	if (st == XS_OK)
		st = xs_idx_load(train_labels, 1, &tl, err);
	if (st != XS_OK)
		goto out_free;
	if (!space_images(sp, ei)) {
		st = XS_OK;  /* not this data set's space: no accuracy to speak of */
		goto out_free;
	}
	struct xk_error xe;
	if (threads > 1 && xk_threadpool_create((size_t)threads, NULL, 0, false, &tp, &xe) != XK_OK)
		tp = NULL;
	/* a new file beside ref_path (mkstemp: never a file or link someone
	 * put there), renamed into place */
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", ref_path);
	int fd = mkstemp(tmp);
	if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
		st = xf_error_set(err, XS_EIO, "cannot write a file beside '%.400s': %s", ref_path,
				  strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out_free;
	}
	enum xs_precision precs[2];
	size_t np = 0;
	if (!xf_precision_list_parse(precisions, precs, &np)) {
		st = xf_error_set(err, XS_EINVAL, "precision '%.40s': use f32, int8 or f32,int8",
			 precisions);
	}
	for (size_t k = 0; k < np && st == XS_OK; k++) {
		const char *pname = xs_precision_name(precs[k]);
		for (size_t i = 0; i < n && st == XS_OK; i++) {
			double top1, val;
			st = fdb_subnet_reference(db, ids[i], pname, &top1, &val, &text);
			if (st != XS_OK) {
				xf_error_set(err, st, "%s", fdb_errmsg(db));
				break;
			}
			if (lacks(sp, top1, val, text)) {
				double t0 = xf_now();
				struct xs_model *m = NULL;
				free(text);
				text = NULL;
				say(progress, ctx, "host reference %zu/%zu %s: %s ...", i + 1, n, pname,
				    archs[i]);
				st = model_get(sn, archs[i], i, precs[k], ci, tp, model, ctx, &m, err);
				if (st == XS_OK)
					st = measure(sn, m, ci, tl, ei, li, tp, &top1, &val, &text, err);
				xs_model_destroy(m);
				if (st != XS_OK)
					break;
				if (fdb_subnet_reference_set(db, ids[i], pname, top1, val, text) != XS_OK) {
					st = xf_error_set(err, XS_EIO, "%s", fdb_errmsg(db));
					break;
				}
				say(progress, ctx, "host reference %zu/%zu %s: top1 %.2f on %u test "
				    "images, %.2f on %u validation images (%.1f s)", i + 1, n, pname,
				    top1, ei->count, val, sp->val_images, xf_now() - t0);
			}
			/* the agent's key: "ARCH" for f32, "ARCH int8" for int8 */
			for (const char *line = text; *line;) {
				const char *nl = strchr(line, '\n');
				size_t len = nl ? (size_t)(nl - line) : strlen(line);
				fprintf(out, "%s%s%s,%.*s\n", archs[i],
					precs[k] == XS_PRECISION_F32 ? "" : " ",
					precs[k] == XS_PRECISION_F32 ? "" : pname, (int)len, line);
				line += len + (nl != NULL);
			}
			free(text);
			text = NULL;
		}
	}
	if (fclose(out) != 0 && st == XS_OK) {
		st = xf_error_set(err, XS_EIO, "cannot write '%.400s'", tmp);
	}
	out = NULL;
	if (st == XS_OK && rename(tmp, ref_path) != 0) {
		st = xf_error_set(err, XS_EIO, "cannot write '%.400s': %s", ref_path,
			 strerror(errno));
	}
	if (st == XS_OK)
		*ref_written = true;
	else
		remove(tmp);
out_free:
	free(text);
	xk_threadpool_destroy(tp);
	xs_idx_destroy(ci);
	xs_idx_destroy(ei);
	xs_idx_destroy(li);
	xs_idx_destroy(tl);
	return st;
}
