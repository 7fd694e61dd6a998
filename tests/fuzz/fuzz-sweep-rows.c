/* fuzz-sweep-rows.c - libFuzzer target: any bytes through the harness's
 * reader of agent output (harness/agent-csv.c) into the row mapper
 * (harness/sweep-rows.c), the table named by the stream's '#table=' line
 * (else by the first byte). A row that maps has its numbers in range (a
 * positive median, threads the agent can run), its times in order (min <=
 * median <= p90 <= p99 <= max, intervals low <= high) and every string set;
 * nothing crashes on a header that lacks columns. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sweep-rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	enum xf_rows_table table;
	struct xf_rows_header h;
	bool header_read, header_ok;
	struct xf_probe probe;
};

/* Whether the known values of v (NAN: blank) do not fall. */
static bool rising(const double *v, size_t n)
{
	double last = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (isnan(v[i]))
			continue;
		if (v[i] < last)
			return false;
		last = v[i];
	}
	return true;
}

static void check_kernel(const struct fdb_kernel_result *k, const struct fdb_key *key)
{
	if (k->piece == NULL || k->flags == NULL || key->precision == NULL || key->cores == NULL)
		__builtin_trap();
	if (k->n < 1 || !(k->median_ms > 0) || k->res < 1 || key->threads < 1 ||
	    key->threads > XF_ROWS_MAX_THREADS ||
	    (strcmp(key->precision, "f32") != 0 && strcmp(key->precision, "int8") != 0))
		__builtin_trap();
	const double times[] = {k->min_ms, k->median_ms, k->p90_ms};
	if (!rising(times, 3) || k->mean_ms < 0 || k->cv < 0)
		__builtin_trap();
}

static void check_bench(const char *arch, const struct fdb_subnet_result *s,
			const struct fdb_key *key)
{
	if (arch == NULL || s->flags == NULL || s->xnm_sha256 == NULL || s->pinned == NULL ||
	    s->rss_method == NULL || key->precision == NULL || key->cores == NULL)
		__builtin_trap();
	if (s->n < 1 || !(s->median_ms > 0) || !(s->p90_ms > 0) || s->arena_bytes < 0 ||
	    key->threads < 1 || key->threads > XF_ROWS_MAX_THREADS ||
	    (!isnan(s->top1) && !(s->top1 >= 0 && s->top1 <= 100)))
		__builtin_trap();
	const double times[] = {s->min_ms, s->median_ms, s->p90_ms, s->p99_ms, s->max_ms};
	const double med[] = {s->median_lo_ms, s->median_hi_ms};
	const double p90[] = {s->p90_lo_ms, s->p90_hi_ms};
	if (!rising(times, 5) || !rising(med, 2) || !rising(p90, 2))
		__builtin_trap();
	/* NAN compares false: only a known negative value traps */
	const double nonneg[] = {s->mean_ms, s->stdev_ms, s->cv, s->cold_ms, s->min_ms,
				 s->max_ms, s->p99_ms};
	for (size_t i = 0; i < sizeof(nonneg) / sizeof(nonneg[0]); i++)
		if (nonneg[i] < 0)
			__builtin_trap();
}

static void on_row(void *ctx, const struct xf_agent_reader *r, char *const *f, size_t n)
{
	(void)n;
	struct state *s = ctx;
	if (!s->header_read) {
		const char *t = xf_agent_reader_meta(r, "table");
		if (t && strcmp(t, "probe") == 0)
			s->table = XF_ROWS_PROBE;
		else if (t && strcmp(t, "kernels") == 0)
			s->table = XF_ROWS_KERNELS;
		else if (t && strcmp(t, "bench") == 0)
			s->table = XF_ROWS_BENCH;
		s->header_read = true;
		s->header_ok = xf_rows_header_init(&s->h, s->table, r, NULL) == XS_OK;
	}
	if (!s->header_ok)
		return;
	struct fdb_key key = {0};
	if (s->table == XF_ROWS_PROBE) {
		xf_rows_probe_add(&s->probe, &s->h, f);
	} else if (s->table == XF_ROWS_KERNELS) {
		struct fdb_kernel_result k;
		if (xf_rows_kernel(&s->h, r, f, &k, &key, NULL) == XS_OK)
			check_kernel(&k, &key);
	} else {
		struct fdb_subnet_result b;
		const char *arch = NULL;
		if (xf_rows_bench(&s->h, r, f, &arch, &b, &key, NULL) == XS_OK)
			check_bench(arch, &b, &key);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = {.table = (enum xf_rows_table)(size ? data[0] % 3 : 0)};
	struct xf_agent_reader *r;
	if (xf_agent_reader_create(on_row, &s, &r, NULL) != XS_OK)
		return 0;
	if (xf_agent_reader_feed(r, data, size, NULL) == XS_OK)
		xf_agent_reader_finish(r, NULL);
	xf_agent_reader_destroy(r);
	if (s.table == XF_ROWS_PROBE && s.header_ok) {
		struct xf_probe_info info;
		struct fdb_device d;
		if (xf_rows_probe_info(&s.probe, &info, NULL) == XS_OK) {
			xf_rows_probe_device(&s.probe, &info, "local", "host", "x86_64", false, &d);
			/* the fingerprint is the probe's, or unknown (NULL) */
			if ((d.fingerprint != NULL) != info.has_fingerprint ||
			    (d.fingerprint && d.fingerprint != info.fingerprint) ||
			    info.cpus < 0 || info.cpus > 4096 ||
			    strlen(info.cores) >= sizeof(info.cores))
				__builtin_trap();
		}
	}
	return 0;
}
