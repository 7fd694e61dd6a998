/* sweep-rows.c - agent rows -> device DB rows (sweep-rows.h).
 *
 * Each table is a list of the columns its mapping reads, with a type and,
 * for numbers, a range and whether a blank value is allowed (then NAN for
 * reals, -1 for counts). The list is checked against the header once; a row
 * is checked column by column, in the list's order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep-rows.h"
#include "util.h"

struct colspec {
	const char *name;
	char type;          /* 's' text, 'n' number */
	double lo, hi;
	bool blank;         /* a number may be blank: "", "nan", "unknown" */
	bool lo_open;       /* lo itself is out of range: (lo, hi] */
};

#define TEXT(name) {name, 's', 0, 0, true, false}
#define NUM(name, lo, hi) {name, 'n', lo, hi, false, false}
#define OPT(name, lo, hi) {name, 'n', lo, hi, true, false}
/* a time that a run cannot take none of: (0, hi] */
#define POS(name, hi) {name, 'n', 0, hi, false, true}
/* the agent's thread counts (xa_threads_parse) */
#define THREADS NUM("threads", 1, XF_ROWS_MAX_THREADS)

enum { P_KEY, P_VALUE, P_NCOLS };
static const struct colspec probe_cols[] = {TEXT("key"), TEXT("value")};

enum {
	K_PIECE, K_STAGE, K_FIRST, K_RES, K_CIN, K_COUT, K_EXPAND, K_KERNEL, K_STRIDE,
	K_PRECISION, K_THREADS, K_MACS, K_N, K_MEDIAN, K_MEAN, K_CV, K_RCV, K_P90, K_MIN,
	K_FLAGS, K_NCOLS
};
static const struct colspec kernel_cols[] = {
	TEXT("piece"), NUM("stage", -1, 1024), NUM("first", 0, 1), NUM("res", 1, 1e5),
	NUM("cin", 1, 1e6), NUM("cout", 1, 1e6), NUM("expand", 0, 1024), NUM("kernel", 0, 1024),
	NUM("stride", 0, 1024), TEXT("precision"), THREADS, NUM("macs", 0, 1e15),
	NUM("n", 1, 1e9), POS("median_ms", 1e7), OPT("mean_ms", 0, 1e30), OPT("cv", 0, 1e30),
	OPT("rcv", 0, 1e30), OPT("p90_ms", 0, 1e30), OPT("min_ms", 0, 1e30), TEXT("flags")};

enum {
	B_ARCH, B_STATUS, B_ERROR, B_PRECISION, B_THREADS, B_CORES, B_PINNED, B_FLAGS, B_N,
	B_MEDIAN, B_P90, B_ARENA, B_WEIGHT, B_TOP1, B_DIFF, B_EVAL, B_MEAN, B_STDEV, B_CV, B_RCV,
	B_MIN, B_MAX, B_P99, B_COLD, B_BUILD, B_RSS, B_RSS_METHOD, B_SHA256, B_TEMP0, B_TEMP1,
	B_FREQ0, B_FREQ1, B_BATCH, B_MED_LO, B_MED_HI, B_P90_LO, B_P90_HI, B_NCOLS
};
static const struct colspec bench_cols[] = {
	TEXT("arch"), TEXT("status"), TEXT("error"), TEXT("precision"), THREADS,
	TEXT("cores"), TEXT("pinned"), TEXT("flags"), NUM("n", 1, 1e9),
	POS("median_ms", 1e7), POS("p90_ms", 1e7), NUM("arena_bytes", 0, 1e13),
	NUM("weight_bytes", 0, 1e13), OPT("top1", 0, 100), OPT("max_logit_diff", 0, 1e30),
	OPT("eval_images", 0, 1e9), OPT("mean_ms", 0, 1e30), OPT("stdev_ms", 0, 1e30),
	OPT("cv", 0, 1e30), OPT("rcv", 0, 1e30), OPT("min_ms", 0, 1e30), OPT("max_ms", 0, 1e30),
	OPT("p99_ms", 0, 1e30), OPT("cold_ms", 0, 1e30), OPT("build_ms", 0, 1e30),
	OPT("peak_rss_delta_bytes", -1e13, 1e13), TEXT("rss_method"), TEXT("sha256"),
	OPT("temp_before_c", -300, 1e4), OPT("temp_after_c", -300, 1e4),
	OPT("freq_before", 0, 1e13), OPT("freq_after", 0, 1e13), OPT("batch", 1, 1e9),
	OPT("median_lo_ms", 0, 1e30), OPT("median_hi_ms", 0, 1e30), OPT("p90_lo_ms", 0, 1e30),
	OPT("p90_hi_ms", 0, 1e30)};

_Static_assert(sizeof(bench_cols) / sizeof(bench_cols[0]) == B_NCOLS, "bench columns");
_Static_assert(sizeof(kernel_cols) / sizeof(kernel_cols[0]) == K_NCOLS, "kernel columns");
_Static_assert(B_NCOLS <= XF_ROWS_MAX_COLS && K_NCOLS <= XF_ROWS_MAX_COLS, "XF_ROWS_MAX_COLS");

/* Columns whose values must not fall along the list (a blank one is left
 * out): the quantiles of one set of samples, an interval's ends. -1 ends a
 * list; an empty first list: none. */
#define NCHAINS 3
typedef int chain_list[NCHAINS][6];
static const chain_list kernel_chains = {{K_MIN, K_MEDIAN, K_P90, -1}, {-1}, {-1}};
static const chain_list bench_chains = {{B_MIN, B_MEDIAN, B_P90, B_P99, B_MAX, -1},
					{B_MED_LO, B_MED_HI, -1}, {B_P90_LO, B_P90_HI, -1}};
static const chain_list no_chains = {{-1}, {-1}, {-1}};

static const struct {
	const char *what;
	const struct colspec *cols;
	size_t n;
	const chain_list *chains;
} tables[] = {
	[XF_ROWS_PROBE] = {"probe", probe_cols, P_NCOLS, &no_chains},
	[XF_ROWS_KERNELS] = {"kernels", kernel_cols, K_NCOLS, &kernel_chains},
	[XF_ROWS_BENCH] = {"bench", bench_cols, B_NCOLS, &bench_chains},
};

enum xs_status xf_rows_header_init(struct xf_rows_header *h, enum xf_rows_table table,
				   const struct xf_agent_reader *r, struct xs_error *err)
{
	h->table = table;
	for (size_t i = 0; i < tables[table].n; i++) {
		h->col[i] = xf_agent_reader_find(r, tables[table].cols[i].name);
		if (h->col[i] < 0)
			return xf_error_set(err, XS_EFORMAT, "%s output: the header has no '%s' "
					    "column: the agent's output is damaged",
					    tables[table].what, tables[table].cols[i].name);
	}
	if (table == XF_ROWS_KERNELS && xf_agent_reader_meta(r, "cores") == NULL)
		return xf_error_set(err, XS_EFORMAT, "kernels output: no '#cores' line before the "
				    "rows: the agent's output is damaged");
	return XS_OK;
}

static bool is_blank(const char *v)
{
	return *v == '\0' || strcmp(v, "nan") == 0 || strcmp(v, "unknown") == 0;
}

/* Checks that the values of each of the table's chains do not fall (blank
 * ones left out): "bench row 3: min_ms '0.5' > median_ms '0.4' ...". */
static enum xs_status order_check(const struct xf_rows_header *h, const struct xf_agent_reader *r,
				  char *const *f, const double *vals, struct xs_error *err)
{
	const struct colspec *cols = tables[h->table].cols;
	const chain_list *chains = tables[h->table].chains;
	for (int c = 0; c < NCHAINS; c++) {
		int prev = -1;
		for (const int *col = (*chains)[c]; *col >= 0; col++) {
			if (isnan(vals[*col]))
				continue;
			if (prev >= 0 && vals[*col] < vals[prev])
				return xf_error_set(err, XS_EFORMAT, "%s row %zu: %s '%.40s' > %s "
						    "'%.40s' (one set of times: min <= median <= "
						    "p90 <= p99 <= max, an interval's low end <= "
						    "its high end): the agent's output is damaged",
						    tables[h->table].what, xf_agent_reader_rows(r),
						    cols[prev].name, f[h->col[prev]], cols[*col].name,
						    f[h->col[*col]]);
			prev = *col;
		}
	}
	return XS_OK;
}

/* Checks row f of h's table: the precision (when the table has one) and
 * every number, then the order of its times (order_check); vals[i] gets
 * column i's value (NAN: blank). */
static enum xs_status row_check(const struct xf_rows_header *h, const struct xf_agent_reader *r,
				char *const *f, int prec_col, double *vals, struct xs_error *err)
{
	const char *what = tables[h->table].what;
	const struct colspec *cols = tables[h->table].cols;
	const char *prec = f[h->col[prec_col]];
	if (strcmp(prec, "f32") != 0 && strcmp(prec, "int8") != 0)
		return xf_error_set(err, XS_EFORMAT, "%s row %zu: precision '%.20s' is not f32 or "
				    "int8: the agent's output is damaged", what,
				    xf_agent_reader_rows(r), prec);
	for (size_t i = 0; i < tables[h->table].n; i++) {
		vals[i] = NAN;
		if (cols[i].type != 'n')
			continue;
		const char *v = f[h->col[i]];
		char *end;
		double x = strtod(v, &end);
		bool blank = is_blank(v);
		bool in = x >= cols[i].lo && x <= cols[i].hi && !(cols[i].lo_open && x == cols[i].lo);
		if (blank ? cols[i].blank : (*end == '\0' && !isnan(x) && in)) {
			vals[i] = blank ? NAN : x;
			continue;
		}
		return xf_error_set(err, XS_EFORMAT, "%s row %zu: %s '%.40s' is not a number in "
				    "%c%g, %g]: the agent's output is damaged", what,
				    xf_agent_reader_rows(r), cols[i].name, v,
				    cols[i].lo_open ? '(' : '[', cols[i].lo, cols[i].hi);
	}
	return order_check(h, r, f, vals, err);
}

/* A count: -1 when blank. */
static int64_t count(double v)
{
	return isnan(v) ? -1 : (int64_t)v;
}

enum xs_status xf_rows_kernel(const struct xf_rows_header *h, const struct xf_agent_reader *r,
			      char *const *f, struct fdb_kernel_result *out, struct fdb_key *key,
			      struct xs_error *err)
{
	double v[K_NCOLS];
	enum xs_status st = row_check(h, r, f, K_PRECISION, v, err);
	if (st != XS_OK)
		return st;
	*out = (struct fdb_kernel_result){
		.piece = f[h->col[K_PIECE]], .stage = (int)v[K_STAGE], .first = (int)v[K_FIRST],
		.res = (int)v[K_RES], .cin = (int)v[K_CIN], .cout = (int)v[K_COUT],
		.expand = (int)v[K_EXPAND], .kernel = (int)v[K_KERNEL], .stride = (int)v[K_STRIDE],
		.macs = (int64_t)v[K_MACS], .n = (int64_t)v[K_N], .median_ms = v[K_MEDIAN],
		.mean_ms = v[K_MEAN], .cv = v[K_CV], .rcv = v[K_RCV], .p90_ms = v[K_P90],
		.min_ms = v[K_MIN], .flags = f[h->col[K_FLAGS]]};
	key->precision = f[h->col[K_PRECISION]];
	key->threads = (int)v[K_THREADS];
	key->cores = xf_agent_reader_meta(r, "cores");
	return XS_OK;
}

enum xs_status xf_rows_bench(const struct xf_rows_header *h, const struct xf_agent_reader *r,
			     char *const *f, const char **arch, struct fdb_subnet_result *out,
			     struct fdb_key *key, struct xs_error *err)
{
	*arch = f[h->col[B_ARCH]];
	if (strcmp(f[h->col[B_STATUS]], "ok") != 0)
		return xf_error_set(err, XS_EINVAL, "%.100s: %.180s", *arch, f[h->col[B_ERROR]]);
	double v[B_NCOLS];
	enum xs_status st = row_check(h, r, f, B_PRECISION, v, err);
	if (st != XS_OK)
		return st;
	*out = (struct fdb_subnet_result){
		.status = "ok", .flags = f[h->col[B_FLAGS]], .rss_method = f[h->col[B_RSS_METHOD]],
		.xnm_sha256 = f[h->col[B_SHA256]], .pinned = f[h->col[B_PINNED]], .error = NULL,
		.n = (int64_t)v[B_N], .arena_bytes = (int64_t)v[B_ARENA],
		.weight_bytes = (int64_t)v[B_WEIGHT],
		.peak_rss_delta_bytes = isnan(v[B_RSS]) ? INT64_MIN : (int64_t)v[B_RSS],
		.eval_images = count(v[B_EVAL]), .median_ms = v[B_MEDIAN], .mean_ms = v[B_MEAN],
		.stdev_ms = v[B_STDEV], .cv = v[B_CV], .rcv = v[B_RCV], .min_ms = v[B_MIN],
		.max_ms = v[B_MAX], .p90_ms = v[B_P90], .p99_ms = v[B_P99], .cold_ms = v[B_COLD],
		.build_ms = v[B_BUILD], .top1 = v[B_TOP1], .max_logit_diff = v[B_DIFF],
		.temp_before_c = v[B_TEMP0], .temp_after_c = v[B_TEMP1], .freq_before = v[B_FREQ0],
		.freq_after = v[B_FREQ1], .batch = count(v[B_BATCH]), .median_lo_ms = v[B_MED_LO],
		.median_hi_ms = v[B_MED_HI], .p90_lo_ms = v[B_P90_LO], .p90_hi_ms = v[B_P90_HI]};
	key->precision = f[h->col[B_PRECISION]];
	key->threads = (int)v[B_THREADS];
	key->cores = f[h->col[B_CORES]];
	return XS_OK;
}

/* ---- the probe ---------------------------------------------------------------------- */

void xf_rows_probe_add(struct xf_probe *p, const struct xf_rows_header *h, char *const *f)
{
	size_t room = sizeof(p->text) - p->len;
	int w = snprintf(p->text + p->len, room, "%s,%s\n", f[h->col[P_KEY]], f[h->col[P_VALUE]]);
	if (w > 0 && (size_t)w < room)
		p->len += (size_t)w;
	else
		p->text[p->len] = '\0';  /* a row past the buffer is dropped whole */
}

const char *xf_probe_get(const struct xf_probe *p, const char *key, char *buf, size_t n)
{
	size_t k = strlen(key);
	for (const char *s = p->text; s < p->text + p->len && *s;) {
		const char *nl = strchr(s, '\n');
		const char *eol = nl ? nl : s + strlen(s);
		if (strncmp(s, key, k) == 0 && s[k] == ',') {
			snprintf(buf, n, "%.*s", (int)(eol - (s + k + 1)), s + k + 1);
			return strcmp(buf, "unknown") == 0 ? NULL : buf;
		}
		s = nl ? nl + 1 : eol;
	}
	return NULL;
}

/* The cluster.N.{cpus,capacity,max_khz} rows as "cpus:capacity:max_khz;...". */
static void probe_clusters(const struct xf_probe *p, char *out, size_t n)
{
	out[0] = '\0';
	for (int c = 0; c < 16; c++) {
		char k1[48], k2[48], k3[48], v1[128], v2[64], v3[64];
		snprintf(k1, sizeof(k1), "cluster.%d.cpus", c);
		snprintf(k2, sizeof(k2), "cluster.%d.capacity", c);
		snprintf(k3, sizeof(k3), "cluster.%d.max_khz", c);
		if (!xf_probe_get(p, k1, v1, sizeof(v1)))
			break;
		size_t len = strlen(out);
		snprintf(out + len, n - len, "%s%s:%s:%s", len ? ";" : "", v1,
			 xf_probe_get(p, k2, v2, sizeof(v2)) ? v2 : "unknown",
			 xf_probe_get(p, k3, v3, sizeof(v3)) ? v3 : "unknown");
	}
}

/* The number under key in [lo, hi], 0 when absent or unknown. */
static enum xs_status probe_number(const struct xf_probe *p, const char *key, double lo,
				   double hi, double *out, struct xs_error *err)
{
	char b[64], *end;
	*out = 0;
	if (xf_probe_get(p, key, b, sizeof(b)) == NULL)
		return XS_OK;
	double x = strtod(b, &end);
	if (end == b || *end != '\0' || !(x >= lo && x <= hi))
		return xf_error_set(err, XS_EFORMAT, "probe: %s '%.40s' is not a number in [%g, %g]: "
				    "the agent's output is damaged", key, b, lo, hi);
	*out = x;
	return XS_OK;
}

enum xs_status xf_rows_probe_info(const struct xf_probe *p, struct xf_probe_info *info,
				  struct xs_error *err)
{
	memset(info, 0, sizeof(*info));
	double cpus, ram;
	enum xs_status st = probe_number(p, "cpus", 1, 4096, &cpus, err);
	if (st == XS_OK)
		st = probe_number(p, "ram_bytes", 0, 1e15, &ram, err);
	if (st != XS_OK)
		return st;
	info->cpus = (int)cpus;
	info->ram_bytes = (int64_t)ram;
	info->has_fingerprint = xf_probe_get(p, "device.fingerprint", info->fingerprint,
					     sizeof(info->fingerprint)) != NULL;
	info->has_model = xf_probe_get(p, "device.model", info->model, sizeof(info->model)) != NULL;
	info->has_manufacturer = xf_probe_get(p, "device.manufacturer", info->manufacturer,
					      sizeof(info->manufacturer)) != NULL;
	info->has_soc = xf_probe_get(p, "soc.model", info->soc, sizeof(info->soc)) != NULL;
	info->has_os = xf_probe_get(p, "os", info->os, sizeof(info->os)) != NULL;
	char b[16];
	info->emulator = xf_probe_get(p, "emulator", b, sizeof(b)) && strcmp(b, "yes") == 0;
	probe_clusters(p, info->clusters, sizeof(info->clusters));
	/* the cores bench and kernels run on by default (their rows' key) */
	if (xf_probe_get(p, "cores.big", info->cores, sizeof(info->cores)))
		return XS_OK;
	for (int c = 0, len = 0; c < info->cpus && len < 1000; c++)
		len += snprintf(info->cores + len, sizeof(info->cores) - (size_t)len, "%s%d",
				c ? " " : "", c);
	return XS_OK;
}

void xf_rows_probe_device(const struct xf_probe *p, const struct xf_probe_info *info,
			  const char *transport, const char *serial, const char *abi,
			  bool emulated, struct fdb_device *out)
{
	*out = (struct fdb_device){
		.transport = transport, .serial = serial,
		/* the probe's, as xr_identity_read gives it (with its own fallback,
		 * the ABI): the runtime matches a listed device by the same value */
		.fingerprint = info->has_fingerprint ? info->fingerprint : NULL,
		.model = info->has_model ? info->model : NULL,
		.manufacturer = info->has_manufacturer ? info->manufacturer : NULL,
		.soc = info->has_soc ? info->soc : NULL, .abi = abi,
		.os = info->has_os ? info->os : NULL, .cpus = info->cpus,
		.clusters = info->clusters, .ram_bytes = info->ram_bytes, .emulated = emulated,
		.simulated = false, .probe = p->text};
}
