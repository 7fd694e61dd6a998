/* rep-kernels.c - the kernel-table section of a supernet page (rep-page.h):
 * a heat map of log10(median ms), pieces x devices (kernels.dat, .csv,
 * .svg). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rep-page.h"

/* The matrix: nkeys pieces (rows, in first-seen order) x ndev devices
 * (columns, in row order); mat[r * ndev + c] NAN where a device lacks one. */
struct kmat {
	char (*keys)[REP_KERNEL_KEY_MAX];
	size_t nkeys;
	int64_t *dev;
	size_t ndev;
	double *mat;
};

static void kmat_release(struct kmat *m)
{
	free(m->keys);
	free(m->dev);
	free(m->mat);
}

/* false when out of memory. */
static bool kmat_build(const struct rep_supernet *sn, struct kmat *m)
{
	size_t nk = sn->nkernels;
	m->keys = malloc((nk + 1) * sizeof(*m->keys));
	m->dev = malloc((nk + 1) * sizeof(int64_t));
	size_t *row_key = malloc((nk + 1) * sizeof(size_t)), *row_col = malloc((nk + 1) * sizeof(size_t));
	bool ok = m->keys && m->dev && row_key && row_col;
	for (size_t i = 0; ok && i < nk; i++) {
		const struct rep_kernel *k = &sn->kernels[i];
		if (m->ndev == 0 || m->dev[m->ndev - 1] != k->device_id)
			m->dev[m->ndev++] = k->device_id;
		row_col[i] = m->ndev - 1;
		/* the keys of one device repeat the first device's, in the same
		 * order mostly: look from where the last one was found */
		size_t start = i && row_key[i - 1] + 1 < m->nkeys ? row_key[i - 1] + 1 : 0, j;
		for (j = 0; j < m->nkeys; j++) {
			size_t c = (start + j) % m->nkeys;
			if (strcmp(m->keys[c], k->key) == 0) {
				j = c;
				break;
			}
		}
		if (j == m->nkeys)
			snprintf(m->keys[m->nkeys++], sizeof(m->keys[0]), "%s", k->key);
		row_key[i] = j;
	}
	if (ok && m->nkeys && m->ndev) {
		m->mat = malloc(m->nkeys * m->ndev * sizeof(double));
		ok = m->mat != NULL;
		for (size_t i = 0; ok && i < m->nkeys * m->ndev; i++)
			m->mat[i] = NAN;
		for (size_t i = 0; ok && i < nk; i++)
			m->mat[row_key[i] * m->ndev + row_col[i]] = sn->kernels[i].median_ms;
	}
	free(row_key);
	free(row_col);
	return ok;
}

/* kernels.csv (ms) and kernels.dat (log10 ms, for gnuplot's image, which
 * needs two rows and two columns: one piece or one device is written
 * twice). false when kernels.dat could not be opened. */
static bool kmat_files(struct rep_page *pg, const struct kmat *m)
{
	FILE *km = rep_file_open(pg, pg->dir, "kernels.dat");
	FILE *kc = rep_file_open(pg, pg->dir, "kernels.csv");
	if (kc) {
		fputs("piece", kc);
		for (size_t c = 0; c < m->ndev; c++)
			fprintf(kc, ",D%" PRId64, m->dev[c]);
		putc('\n', kc);
	}
	for (size_t r = 0; r < m->nkeys; r++) {
		const double *row = &m->mat[r * m->ndev];
		if (kc) {
			xs_csv_put(kc, m->keys[r]);
			for (size_t c = 0; c < m->ndev; c++)
				fprintf(kc, isnan(row[c]) ? "," : ",%.6g", row[c]);
			putc('\n', kc);
		}
		for (int rr = 0; km && rr < (m->nkeys == 1 ? 2 : 1); rr++) {
			for (size_t c = 0; c < m->ndev; c++)
				for (int cc = 0; cc < (m->ndev == 1 ? 2 : 1); cc++)
					fprintf(km, "%s%.4f", c || cc ? " " : "",
						isnan(row[c]) ? NAN : log10(row[c]));
			putc('\n', km);
		}
	}
	bool km_ok = km != NULL;
	rep_file_close(pg, km, pg->dir, "kernels.dat");
	rep_file_close(pg, kc, pg->dir, "kernels.csv");
	return km_ok;
}

static void kmat_chart(struct rep_page *pg, const struct kmat *m)
{
	char t[128];
	snprintf(t, sizeof(t), "kernel tables: log10(median ms), %zu pieces x %zu devices", m->nkeys,
		 m->ndev);
	rep_chart_begin(pg, "kernels.svg", t, "device (column of kernels.csv)",
			"piece (row of kernels.csv)", false);
	fprintf(pg->gp, "set palette rgbformulae 33,13,10\nset datafile missing 'nan'\n"
			"set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\nunset grid\n",
		m->ndev == 1 ? (size_t)1 : m->ndev - 1, m->nkeys == 1 ? (size_t)1 : m->nkeys - 1);
	if (m->ndev <= 30) {  /* D ids under the columns: numbers only */
		fputs("set xtics (", pg->gp);
		for (size_t c = 0; c < m->ndev; c++)
			fprintf(pg->gp, "%s\"D%" PRId64 "\" %g", c ? ", " : "", m->dev[c],
				m->ndev == 1 ? 0.5 : (double)c);
		fputs(")\n", pg->gp);
	}
	/* a rectangle per cell for a few devices; an embedded image for many */
	fprintf(pg->gp, "plot 'kernels.dat' matrix with image%s notitle\n",
		m->ndev <= 60 ? " pixels" : "");
	rep_chart_img(pg, "kernels.svg", t);
}

void rep_section_kernels(struct rep_page *pg)
{
	struct kmat m = {0};
	bool ok = kmat_build(pg->sn, &m);
	fputs("<h2>Kernel tables</h2>\n", pg->html);
	if (!ok)
		rep_page_nomem(pg);
	if (m.mat) {
		bool km_ok = kmat_files(pg, &m);
		fprintf(pg->html, "<p>%zu pieces (stem, blocks, head, as the agent's kernel table times "
				  "them) on %zu device%s; colour: log10 of the median ms (<a href=\"%s/"
				  "kernels.csv\">CSV</a>, rows in its order, columns D ids).</p>\n",
			m.nkeys, m.ndev, m.ndev == 1 ? "" : "s", pg->subdir);
		if (km_ok)
			kmat_chart(pg, &m);
	} else {
		fputs("<p class=note>No kernel tables in the DB.</p>\n", pg->html);
	}
	kmat_release(&m);
}
