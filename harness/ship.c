/* ship.c - what a sweep ships (ship.h): the staging folder, the sub-models
 * extracted here by a few worker threads, the compact test images, the
 * models list. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ship.h"
#include "util.h"

enum xs_status xf_ship_init(struct xf_ship *s, struct xs_error *err)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%.3000s/xnn-fleet-stage-XXXXXX", xf_tmpdir());
	if (mkdtemp(s->dir) == NULL) {
		int e = errno;
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", s->dir);
		s->dir[0] = '\0';
		return xf_error_set(err, XS_EIO, "cannot make the staging folder '%.300s': %s", dir,
				    strerror(e));
	}
	return XS_OK;
}

void xf_ship_release(struct xf_ship *s)
{
	if (s == NULL)
		return;
	if (s->dir[0]) {  /* the folder is ours (mkdtemp): everything in it goes */
		DIR *d = opendir(s->dir);
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char p[PATH_MAX + 256];
			snprintf(p, sizeof(p), "%s/%s", s->dir, de->d_name);
			unlink(p);
		}
		if (d)
			closedir(d);
		rmdir(s->dir);
	}
	free(s->models);
	memset(s, 0, sizeof(*s));
}

/* ---- the sub-models ----------------------------------------------------------------- */

/* What the workers share. */
struct extract_job {
	struct xf_ship *s;
	const struct xs_supernet *sn;
	const struct xs_idx *calib;
	const bool *todo;          /* models to build: s->nmodels of them */
	size_t n, next;            /* archs, and the next to look at */
	size_t built, total;       /* models written so far, of total */
	pthread_mutex_t lock;      /* around next, built, st, err and progress */
	enum xs_status st;         /* the first error */
	struct xs_error *err;
	xf_ship_progress_fn progress;
	void *ctx;
};

/* Serializes m into the staging folder as model k's file. */
static enum xs_status model_write(struct xf_ship *s, size_t k, const struct xs_model *m,
				  struct xs_error *err)
{
	struct xf_ship_model *o = &s->models[k];
	uint8_t *buf = NULL, sum[32];
	size_t size = 0;
	enum xs_status st = xs_model_serialize(m, &buf, &size, err);
	if (st != XS_OK)
		return st;
	xs_sha256(buf, size, sum);
	xs_sha256_hex(sum, o->sha256);
	o->size = (long long)size;
	st = xf_file_write(o->path, buf, size, err);
	free(buf);
	o->built = st == XS_OK;
	return st;
}

/* Arch i's models to build (models i * nprecs + p): its f32 model is
 * extracted even when only int8 is wanted, int8 being quantized from it. */
static enum xs_status extract_arch(struct extract_job *x, size_t i, struct xs_error *err)
{
	struct xf_ship *s = x->s;
	struct xf_ship_model *first = &s->models[i * s->nprecs];
	struct xs_arch a;
	struct xs_model *f32 = NULL;
	double t0 = xf_now();
	enum xs_status st = xs_arch_parse(&x->sn->space, first->arch, &a, err);
	if (st == XS_OK)
		st = xs_model_extract(x->sn, &a, x->calib, NULL, &f32, err);
	for (size_t p = 0; st == XS_OK && p < s->nprecs; p++) {
		size_t k = i * s->nprecs + p;
		struct xs_model *q = NULL;
		if (!x->todo[k])
			continue;
		if (s->models[k].precision == XS_PRECISION_INT8) {
			struct xs_quant_options qo;
			xs_quant_options_default(&qo);
			if (x->calib == NULL)
				st = xf_error_set(err, XS_EINVAL, "int8 needs calibration images");
			else
				st = xs_model_quantize(f32, x->calib, &qo, x->sn->space.recal_images,
						       NULL, &q, err);
		}
		if (st == XS_OK)
			st = model_write(s, k, q ? q : f32, err);
		xs_model_destroy(q);
		if (st == XS_OK && x->progress) {
			char line[XS_ARCH_MAX + 128];
			pthread_mutex_lock(&x->lock);
			x->built++;
			snprintf(line, sizeof(line), "host extract %zu/%zu: %s %s, %lld bytes (%.1f s)",
				 x->built, x->total, s->models[k].arch,
				 xs_precision_name(s->models[k].precision), s->models[k].size,
				 xf_now() - t0);
			x->progress(x->ctx, line);
			pthread_mutex_unlock(&x->lock);
		}
	}
	xs_model_destroy(f32);
	return st;
}

/* Whether arch i has a model to build. */
static bool arch_todo(const struct extract_job *x, size_t i)
{
	for (size_t p = 0; p < x->s->nprecs; p++)
		if (x->todo[i * x->s->nprecs + p])
			return true;
	return false;
}

static void *extract_worker(void *p)
{
	struct extract_job *x = p;
	for (;;) {
		pthread_mutex_lock(&x->lock);
		while (x->st == XS_OK && x->next < x->n && !arch_todo(x, x->next))
			x->next++;
		size_t i = x->st == XS_OK && x->next < x->n ? x->next++ : x->n;
		pthread_mutex_unlock(&x->lock);
		if (i == x->n)
			return NULL;
		struct xs_error e;
		enum xs_status st = extract_arch(x, i, &e);
		if (st != XS_OK) {
			pthread_mutex_lock(&x->lock);
			if (x->st == XS_OK) {
				x->st = st;
				xf_error_set(x->err, st, "host extraction of %.200s: %.280s",
					     x->s->models[i * x->s->nprecs].arch, e.msg);
			}
			pthread_mutex_unlock(&x->lock);
		}
	}
}

enum xs_status xf_ship_models_init(struct xf_ship *s, const char (*archs)[XS_ARCH_MAX],
				   size_t n, const enum xs_precision *precs, size_t np,
				   struct xs_error *err)
{
	free(s->models);
	s->nmodels = 0;
	s->nprecs = np;
	if ((s->models = calloc(n * np + 1, sizeof(*s->models))) == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		for (size_t p = 0; p < np; p++) {
			struct xf_ship_model *m = &s->models[i * np + p];
			snprintf(m->arch, sizeof(m->arch), "%s", archs[i]);
			m->arch_index = i;
			m->precision = precs[p];
			snprintf(m->name, sizeof(m->name), "xnm-%03zu-%s.xnm", i,
				 xs_precision_name(precs[p]));
			snprintf(m->path, sizeof(m->path), "%.3000s/%s", s->dir, m->name);
		}
	s->nmodels = n * np;
	return XS_OK;
}

enum xs_status xf_ship_build(struct xf_ship *s, const struct xs_supernet *sn, const bool *want,
			     const struct xs_idx *calib, int threads, xf_ship_progress_fn progress,
			     void *ctx, size_t *built, struct xs_error *err)
{
	bool *todo = calloc(s->nmodels + 1, sizeof(*todo));
	if (built)
		*built = 0;
	if (todo == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	struct extract_job x = {.s = s, .sn = sn, .calib = calib, .todo = todo,
				.n = s->nprecs ? s->nmodels / s->nprecs : 0, .st = XS_OK,
				.err = err, .progress = progress, .ctx = ctx};
	for (size_t k = 0; k < s->nmodels; k++)
		x.total += todo[k] = (want == NULL || want[k]) && !s->models[k].built;
	size_t narchs = 0;
	for (size_t i = 0; i < x.n; i++)
		narchs += arch_todo(&x, i);
	pthread_mutex_init(&x.lock, NULL);
	size_t nw = threads < 1 ? 1 : (size_t)threads;
	nw = nw < narchs ? nw : narchs;
	pthread_t *t = calloc(nw ? nw : 1, sizeof(*t));
	size_t started = 0;
	while (t && started + 1 < nw && pthread_create(&t[started], NULL, extract_worker, &x) == 0)
		started++;
	extract_worker(&x);  /* this thread is a worker too */
	for (size_t k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	free(t);
	pthread_mutex_destroy(&x.lock);
	size_t n = 0;
	for (size_t k = 0; k < s->nmodels; k++) {
		if (!todo[k] || !s->models[k].built)
			continue;
		if (x.st == XS_OK) {
			n++;
		} else {  /* nothing of a failed call is kept */
			unlink(s->models[k].path);
			s->models[k].built = false;
		}
	}
	free(todo);
	if (built)
		*built = n;
	return x.st;
}

/* ---- the test images ------------------------------------------------------------------ */

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The first count items of idx (dims 3 or 1) written as IDX to path. */
static enum xs_status idx_write_first(const struct xs_idx *idx, uint32_t dims, uint32_t count,
				      const char *path, struct xs_error *err)
{
	const size_t head = dims == 3 ? 16 : 8, item = (size_t)idx->rows * idx->cols;
	uint8_t *b = malloc(head + (size_t)count * item);
	if (b == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	be32(b, dims == 3 ? 0x803 : 0x801);
	be32(b + 4, count);
	if (dims == 3) {
		be32(b + 8, idx->rows);
		be32(b + 12, idx->cols);
	}
	memcpy(b + head, idx->data, (size_t)count * item);
	enum xs_status st = xf_file_write(path, b, head + (size_t)count * item, err);
	free(b);
	return st;
}

enum xs_status xf_ship_eval(const struct xf_ship *s, const char *images, const char *labels,
			    uint32_t count, char *images_out, char *labels_out, size_t n,
			    struct xs_error *err)
{
	struct xs_idx *im = NULL, *lb = NULL;
	enum xs_status st = xs_idx_load(images, 3, &im, err);
	if (st == XS_OK)
		st = xs_idx_load(labels, 1, &lb, err);
	if (st == XS_OK && lb->count < im->count)
		st = xf_error_set(err, XS_EFORMAT, "'%.300s': %u labels for %u images", labels,
				  lb->count, im->count);
	if (st == XS_OK) {
		count = count < im->count ? count : im->count;
		if ((size_t)snprintf(images_out, n, "%.3000s/t10k-%u-images-idx3-ubyte", s->dir,
				     count) >= n ||
		    (size_t)snprintf(labels_out, n, "%.3000s/t10k-%u-labels-idx1-ubyte", s->dir,
				     count) >= n)
			st = xf_error_set(err, XS_EINVAL, "'%.300s': the path is too long", s->dir);
	}
	if (st == XS_OK)
		st = idx_write_first(im, 3, count, images_out, err);
	if (st == XS_OK)
		st = idx_write_first(lb, 1, count, labels_out, err);
	xs_idx_destroy(im);
	xs_idx_destroy(lb);
	return st;
}

/* ---- the models list ---------------------------------------------------------------------- */

enum xs_status xf_ship_list_write(const struct xf_ship *s, const bool *want, const char *path,
				  struct xs_error *err)
{
	for (size_t k = 0; k < s->nmodels; k++)
		if ((want == NULL || want[k]) && !s->models[k].built)
			return xf_error_set(err, XS_EINVAL, "%.200s %s: not extracted (no file to "
					    "list)", s->models[k].arch,
					    xs_precision_name(s->models[k].precision));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	fputs("# xnn-agent bench --models: arch, precision, file, sha256 (tab-separated)\n", f);
	for (size_t k = 0; k < s->nmodels; k++)
		if (want == NULL || want[k])
			fprintf(f, "%s\t%s\t%s\t%s\n", s->models[k].arch,
				xs_precision_name(s->models[k].precision), s->models[k].name,
				s->models[k].sha256);
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		return xf_error_set(err, XS_ENOMEM, "out of memory");
	}
	enum xs_status st = xf_file_write(path, text, len, err);
	free(text);
	return st;
}
