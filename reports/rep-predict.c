/* rep-predict.c - the predicted against measured latency section of a
 * supernet page (rep-page.h): the predictions it is handed, by device in the
 * page's order, against the results they predict, with the +-10% band
 * (predict.dat, .csv, .svg). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "rep-page.h"

struct tally {
	size_t n, within10;            /* predictions (all), drawn ones within 10% */
	double lo, hi;                 /* the range of the drawn points */
};

static const struct rep_supernet *sort_sn;

/* by device id, then as given */
static int by_device(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int64_t da = sort_sn->results[sort_sn->predictions[a].result].device_id;
	int64_t db = sort_sn->results[sort_sn->predictions[b].result].device_id;
	if (da != db)
		return da < db ? -1 : 1;
	return (a > b) - (a < b);
}

/* The rows of the predictions perm[lo, hi) (one device's). */
static void device_rows(const struct rep_supernet *sn, const size_t *perm, size_t lo, size_t hi,
			FILE *pd, FILE *pc, struct tally *t)
{
	for (size_t k = lo; k < hi; k++) {
		const struct rep_prediction *p = &sn->predictions[perm[k]];
		const struct rep_result *x = &sn->results[p->result];
		double pred = p->predicted_ms, meas = x->median_ms;
		t->n++;
		if (!(pred > 0))  /* a log axis */
			continue;
		if (pd)
			fprintf(pd, "%.6g %.6g\n", pred, meas);
		if (pc) {
			fprintf(pc, "%" PRId64 ",", x->device_id);
			xs_csv_put(pc, x->arch);
			fprintf(pc, ",%.6g,%.6g\n", pred, meas);
		}
		t->within10 += fabs(pred - meas) <= 0.1 * meas;
		t->lo = fmin(t->lo, fmin(pred, meas));
		t->hi = fmax(t->hi, fmax(pred, meas));
	}
}

/* predict.dat and predict.csv, device by device in the page's order. */
static bool predict_files(struct rep_page *pg, struct tally *t, bool *dat_ok)
{
	const struct rep_supernet *sn = pg->sn;
	size_t *perm = malloc((sn->npredictions + 1) * sizeof(size_t));
	if (perm == NULL)
		return false;
	for (size_t i = 0; i < sn->npredictions; i++)
		perm[i] = i;
	sort_sn = sn;
	qsort(perm, sn->npredictions, sizeof(size_t), by_device);
	FILE *pd = rep_file_open(pg, pg->dir, "predict.dat");
	FILE *pc = rep_file_open(pg, pg->dir, "predict.csv");
	if (pc)
		fputs("device,arch,predicted_ms,measured_ms\n", pc);
	for (size_t oi = 0; oi < pg->norder; oi++) {
		int64_t id = pg->order[oi]->id;
		size_t lo = 0, hi = sn->npredictions;
		while (lo < hi) {  /* the first of the device */
			size_t mid = lo + (hi - lo) / 2;
			if (sn->results[sn->predictions[perm[mid]].result].device_id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (hi = lo; hi < sn->npredictions &&
			      sn->results[sn->predictions[perm[hi]].result].device_id == id;)
			hi++;
		device_rows(sn, perm, lo, hi, pd, pc, t);
	}
	*dat_ok = pd != NULL;
	rep_file_close(pg, pd, pg->dir, "predict.dat");
	rep_file_close(pg, pc, pg->dir, "predict.csv");
	free(perm);
	return true;
}

void rep_section_predict(struct rep_page *pg)
{
	FILE *f = pg->html;
	fputs("<h2>Predicted and measured latency</h2>\n", f);
	struct tally t = {0, 0, INFINITY, 0};
	bool pd_ok = false;
	if (!predict_files(pg, &t, &pd_ok)) {
		rep_page_nomem(pg);
		return;
	}
	if (!(t.n && pd_ok && t.hi > 0)) {
		fputs("<p class=note>No device has a kernel table and three measured sub-nets.</p>\n", f);
		return;
	}
	double lo = t.lo, hi = t.hi;
	if (!(hi > lo * 1.01)) {  /* one value: a range around it */
		lo /= 2;
		hi *= 2;
	}
	fprintf(f, "<p>Each device's measured sub-nets, each predicted from its kernel table "
		   "calibrated on the others (leave-one-out): %zu of %zu within &plusmn;10%% "
		   "(<a href=\"%s/predict.csv\">CSV</a>).</p>\n", t.within10, t.n, pg->subdir);
	rep_chart_begin(pg, "predict.svg", "predicted against measured median latency "
			"(leave-one-out), with the +-10% band", "predicted (ms, log)",
			"measured (ms, log)", true);
	fprintf(pg->gp, "set logscale y\nset xrange [%g:%g]\nset yrange [%g:%g]\nset key top left\n"
			"plot x with lines lc rgb '#000000' title 'measured = predicted', "
			"1.1*x with lines dt 2 lc rgb '#888888' title '+10%%', 0.9*x with lines dt 2 "
			"lc rgb '#888888' title '-10%%', 'predict.dat' every %zu using 1:2 with "
			"points pt 7 ps 0.6 lc rgb '#0050a0' title '%s'\n", lo / 1.3, hi * 1.3,
		lo / 1.3, hi * 1.3, t.n > 5000 ? (t.n + 4999) / 5000 : 1,
		t.n > 5000 ? "sub-nets (a sample of 5000)" : "sub-nets");
	rep_chart_img(pg, "predict.svg", "predicted against measured latency");
}
