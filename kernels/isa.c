/* isa.c - CPU feature detection, the XK_ISA switch, and the kernels per ISA.
 *
 * Features are read once: cpuid and xgetbv on x86-64 (the OS must save the
 * AVX/AVX-512 registers, not only the CPU have them), getauxval(AT_HWCAP) on
 * aarch64. The kernel tables are built from the family lists. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"

#if XK_ARCH_X86_64
#include <cpuid.h>
#endif
#if XK_ARCH_AARCH64
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

static const char *const status_text[] = {
#define XK_X(name, text) text,
	XK_STATUS_LIST(XK_X)
#undef XK_X
};

const char *xk_strerror(enum xk_status s)
{
	if ((size_t)s >= sizeof(status_text) / sizeof(status_text[0]))
		return "unknown status";
	return status_text[s];
}

static const char *const isa_names[XK_ISA_COUNT] = {"scalar", "avx2", "avx512",
						    "neon"};

const char *xk_isa_name(enum xk_isa isa)
{
	return (unsigned)isa < XK_ISA_COUNT ? isa_names[isa] : "unknown";
}

bool xk_isa_parse(const char *name, enum xk_isa *out)
{
	for (int i = 0; i < XK_ISA_COUNT; i++) {
		if (strcmp(name, isa_names[i]) == 0) {
			*out = (enum xk_isa)i;
			return true;
		}
	}
	return false;
}

static const char *const act_names[XK_ACT_COUNT] = {"none", "relu", "relu6",
						    "hswish"};

const char *xk_act_name(enum xk_act act)
{
	return (unsigned)act < XK_ACT_COUNT ? act_names[act] : "unknown";
}

bool xk_act_parse(const char *name, enum xk_act *out)
{
	for (int i = 0; i < XK_ACT_COUNT; i++) {
		if (strcmp(name, act_names[i]) == 0) {
			*out = (enum xk_act)i;
			return true;
		}
	}
	return false;
}

/* ---- features -------------------------------------------------------------- */

static pthread_once_t detect_once = PTHREAD_ONCE_INIT;
static bool isa_ok[XK_ISA_COUNT];
static bool feat_ok[XK_FEAT_COUNT];
static char features[128];

static void feature_add(const char *name)
{
	size_t n = strlen(features);
	snprintf(features + n, sizeof(features) - n, "%s%s", n ? " " : "", name);
}

#if XK_ARCH_X86_64
static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}
#endif

static void detect(void)
{
	isa_ok[XK_ISA_SCALAR] = true;
#if XK_ARCH_X86_64
	unsigned a, b, c, d;
	bool osxsave = false, fma = false, avx = false;
	if (__get_cpuid(1, &a, &b, &c, &d)) {
		fma = c & bit_FMA;
		avx = c & bit_AVX;
		osxsave = c & bit_OSXSAVE;
	}
	uint64_t xcr0 = osxsave ? xgetbv0() : 0;
	bool os_ymm = (xcr0 & 0x6) == 0x6;    /* XMM and YMM state */
	bool os_zmm = (xcr0 & 0xe6) == 0xe6;  /* plus opmask, ZMM_Hi256, Hi16_ZMM */
	bool avx2 = false, avx512f = false, avx512bw = false, avx512vl = false;
	bool avx512dq = false, vnni = false;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		avx2 = b & bit_AVX2;
		avx512f = b & bit_AVX512F;
		avx512bw = b & bit_AVX512BW;
		avx512vl = b & bit_AVX512VL;
		avx512dq = b & bit_AVX512DQ;
		vnni = c & bit_AVX512VNNI;
	}
	if (avx && os_ymm)
		feature_add("avx");
	if (avx2 && os_ymm)
		feature_add("avx2");
	if (fma && os_ymm)
		feature_add("fma");
	if (avx512f && os_zmm)
		feature_add("avx512f");
	isa_ok[XK_ISA_AVX2] = avx && avx2 && fma && os_ymm;
	isa_ok[XK_ISA_AVX512] = isa_ok[XK_ISA_AVX2] && avx512f && os_zmm;
	feat_ok[XK_FEAT_AVX512VNNI] = isa_ok[XK_ISA_AVX512] && avx512bw && avx512vl &&
				      avx512dq && vnni;
	if (feat_ok[XK_FEAT_AVX512VNNI])
		feature_add("avx512vnni");
#elif XK_ARCH_AARCH64
	unsigned long hw = getauxval(AT_HWCAP);
	if (hw & HWCAP_ASIMD)
		feature_add("asimd");
	isa_ok[XK_ISA_NEON] = (hw & HWCAP_ASIMD) != 0;
	feat_ok[XK_FEAT_DOTPROD] = isa_ok[XK_ISA_NEON] && (hw & HWCAP_ASIMDDP) != 0;
	if (feat_ok[XK_FEAT_DOTPROD])
		feature_add("asimddp");
#endif
	if (features[0] == '\0')
		feature_add("none");
	feat_ok[XK_FEAT_NONE] = true;
	const char *off = getenv("XK_NO_FEATURES");
	if (off != NULL && strcmp(off, "1") == 0)
		for (int f = 1; f < XK_FEAT_COUNT; f++)
			feat_ok[f] = false;
}

bool xk_cpu_has(enum xk_feature f)
{
	pthread_once(&detect_once, detect);
	return (unsigned)f < XK_FEAT_COUNT && feat_ok[f];
}

const char *xk_feature_name(enum xk_feature f)
{
	static const char *const names[XK_FEAT_COUNT] = {"none", "avx512vnni",
							 "dotprod"};
	return (unsigned)f < XK_FEAT_COUNT ? names[f] : "unknown";
}

const char *xk_cpu_features(void)
{
	pthread_once(&detect_once, detect);
	return features;
}

/* ---- kernel tables --------------------------------------------------------- */

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static struct xk_isa_kernels tables[XK_ISA_COUNT];
static bool table_has[XK_ISA_COUNT];

static int dw_k_index(int k) { return k == 3 ? 0 : k == 5 ? 1 : 2; }

static void build_tables(void)
{
	struct xk_isa_kernels *t;
#define XK_F32_GEMM(fn, isa, mr, nr)                                           \
	t = &tables[isa];                                                      \
	if ((mr) > t->gemm_mr) {                                               \
		t->gemm = fn;                                                  \
		t->gemm_mr = (mr);                                             \
		t->gemm_nr = (nr);                                             \
	}                                                                      \
	if ((mr) == 1)                                                         \
		t->gemm_row = fn;
#include "f32-gemm/f32-gemm.inc"
#undef XK_F32_GEMM
#define XK_F32_DWCONV(fn, isa, k, s, ct)                                       \
	tables[isa].dwconv[dw_k_index(k)][(s) - 1] = fn;                       \
	tables[isa].dwconv_ct = (ct);
#include "f32-dwconv/f32-dwconv.inc"
#undef XK_F32_DWCONV
#define XK_F32_CONV(fn, isa, mr, nr)                                           \
	tables[isa].conv = fn;                                                 \
	tables[isa].conv_mr = (mr);                                            \
	tables[isa].conv_nr = (nr);
#include "f32-conv/f32-conv.inc"
#undef XK_F32_CONV
	for (int i = 0; i < XK_ISA_COUNT; i++) {
		t = &tables[i];
		if (t->gemm_row == NULL)
			t->gemm_row = t->gemm;
		bool dw = true;
		for (int k = 0; k < 3; k++)
			for (int s = 0; s < 2; s++)
				dw = dw && t->dwconv[k][s] != NULL;
		table_has[i] = t->gemm && dw && t->conv;
	}
}

/* int8: per ISA, the first listed kernel whose feature the CPU has; the
 * depthwise kernels of one ISA all come from the first variant chosen. */
static pthread_once_t qs8_once = PTHREAD_ONCE_INIT;
static struct xk_qs8_kernels qs8_tables[XK_ISA_COUNT];
static bool qs8_has[XK_ISA_COUNT];

static void build_qs8_tables(void)
{
	struct xk_qs8_kernels *t;
	enum xk_feature dw_feat[XK_ISA_COUNT] = {0};
	pthread_once(&detect_once, detect);
#define XK_QS8_GEMM(fn, isa, mr, nr, kr, a_offset, feature)                    \
	t = &qs8_tables[isa];                                                  \
	if (feat_ok[feature]) {                                                \
		assert(t->ngemms < XK_QS8_MAX_GEMMS);                          \
		t->gemms[t->ngemms++] = (struct xk_qs8_gemm_kernel){           \
			fn, mr, nr, kr, a_offset, #fn};                        \
	}
#include "qs8-gemm/qs8-gemm.inc"
#undef XK_QS8_GEMM
#define XK_QS8_DWCONV(fn, isa, k, s, ct, wb, feature)                          \
	t = &qs8_tables[isa];                                                  \
	if (feat_ok[feature] &&                                                \
	    (t->dwconv_ct == 0 || (t->dwconv_ct == (ct) && t->dwconv_wb == (wb) && \
				   dw_feat[isa] == (feature))) &&              \
	    t->dwconv[dw_k_index(k)][(s) - 1] == NULL) {                       \
		t->dwconv[dw_k_index(k)][(s) - 1] = fn;                        \
		t->dwconv_ct = (ct);                                           \
		t->dwconv_wb = (wb);                                           \
		dw_feat[isa] = (feature);                                      \
		if ((k) == 3 && (s) == 1)                                      \
			t->dwconv_name = #fn;                                  \
	}
#include "qs8-dwconv/qs8-dwconv.inc"
#undef XK_QS8_DWCONV
#define XK_QS8_VADD(fn, isa, feature)                                          \
	if (qs8_tables[isa].vadd == NULL && feat_ok[feature])                  \
		qs8_tables[isa].vadd = fn;
#include "qs8-vadd/qs8-vadd.inc"
#undef XK_QS8_VADD
#define XK_QS8_GAVGPOOL(fn, isa, feature)                                      \
	if (qs8_tables[isa].gavgpool == NULL && feat_ok[feature])              \
		qs8_tables[isa].gavgpool = fn;
#include "qs8-gavgpool/qs8-gavgpool.inc"
#undef XK_QS8_GAVGPOOL
#define XK_QS8_QUANTIZE(fn, isa, feature)                                      \
	if (qs8_tables[isa].quantize == NULL && feat_ok[feature])              \
		qs8_tables[isa].quantize = fn;
#include "qs8-quantize/qs8-quantize.inc"
#undef XK_QS8_QUANTIZE
	/* the fallbacks, lowest first so that they chain */
	static const enum xk_isa order[] = {XK_ISA_SCALAR, XK_ISA_AVX2, XK_ISA_AVX512,
					    XK_ISA_NEON};
	static const enum xk_isa down[] = {XK_ISA_SCALAR, XK_ISA_SCALAR, XK_ISA_AVX2,
					   XK_ISA_SCALAR};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		t = &qs8_tables[order[i]];
		const struct xk_qs8_kernels *d = &qs8_tables[down[i]];
		bool dw = true;
		for (int k = 0; k < 3; k++)
			for (int s = 0; s < 2; s++)
				dw = dw && t->dwconv[k][s] != NULL;
		if (t->ngemms == 0) {
			memcpy(t->gemms, d->gemms, sizeof(t->gemms));
			t->ngemms = d->ngemms;
		}
		if (t->ngemms > 0) {
			t->gemm = t->gemms[0].fn;
			t->gemm_mr = t->gemms[0].mr;
			t->gemm_nr = t->gemms[0].nr;
			t->gemm_kr = t->gemms[0].kr;
			t->gemm_a_offset = t->gemms[0].a_offset;
			t->gemm_name = t->gemms[0].name;
		}
		if (!dw) {
			memcpy(t->dwconv, d->dwconv, sizeof(t->dwconv));
			t->dwconv_ct = d->dwconv_ct;
			t->dwconv_wb = d->dwconv_wb;
			t->dwconv_name = d->dwconv_name;
		}
		if (t->vadd == NULL)
			t->vadd = d->vadd;
		if (t->gavgpool == NULL)
			t->gavgpool = d->gavgpool;
		if (t->quantize == NULL)
			t->quantize = d->quantize;
		qs8_has[order[i]] = t->gemm && t->dwconv[0][0] && t->vadd && t->gavgpool &&
				    t->quantize;
	}
}

const struct xk_qs8_gemm_kernel *xk_qs8_gemm_pick(const struct xk_qs8_kernels *k,
						  size_t n)
{
	const struct xk_qs8_gemm_kernel *best = &k->gemms[0];
	for (uint32_t i = 1; i < k->ngemms; i++) {
		const struct xk_qs8_gemm_kernel *g = &k->gemms[i];
		if (xk_round_up(n, g->nr) - n < xk_round_up(n, best->nr) - n)
			best = g;
	}
	return best;
}

const struct xk_qs8_kernels *xk_qs8_kernels(enum xk_isa isa)
{
	if ((unsigned)isa >= XK_ISA_COUNT || !xk_isa_supported(isa))
		return NULL;
	pthread_once(&qs8_once, build_qs8_tables);
	return qs8_has[isa] ? &qs8_tables[isa] : NULL;
}

const struct xk_isa_kernels *xk_isa_kernels(enum xk_isa isa)
{
	if ((unsigned)isa >= XK_ISA_COUNT)
		return NULL;
	pthread_once(&tables_once, build_tables);
	return table_has[isa] ? &tables[isa] : NULL;
}

bool xk_isa_supported(enum xk_isa isa)
{
	if ((unsigned)isa >= XK_ISA_COUNT)
		return false;
	pthread_once(&detect_once, detect);
	return isa_ok[isa] && xk_isa_kernels(isa) != NULL;
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static enum xk_isa default_isa;
static enum xk_status default_status;
static char default_msg[sizeof(((struct xk_error *)0)->msg)];

static void pick_default(void)
{
	const char *env = getenv("XK_ISA");
	if (env != NULL && env[0] != '\0') {
		enum xk_isa isa;
		if (!xk_isa_parse(env, &isa)) {
			default_status = XK_ENOISA;
			snprintf(default_msg, sizeof(default_msg),
				 "XK_ISA='%.40s' is not an instruction set: use "
				 "scalar, avx2, avx512 or neon",
				 env);
			return;
		}
		if (!xk_isa_supported(isa)) {
			default_status = XK_ENOISA;
			snprintf(default_msg, sizeof(default_msg),
				 "XK_ISA='%s' is not supported here (cpu "
				 "features: %s): unset it or pick another",
				 env, xk_cpu_features());
			return;
		}
		default_isa = isa;
		return;
	}
	default_isa = XK_ISA_SCALAR;
	static const enum xk_isa order[] = {XK_ISA_AVX512, XK_ISA_AVX2,
					    XK_ISA_NEON};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (xk_isa_supported(order[i])) {
			default_isa = order[i];
			break;
		}
	}
}

enum xk_status xk_isa_default(enum xk_isa *out, struct xk_error *err)
{
	pthread_once(&default_once, pick_default);
	if (default_status != XK_OK) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s", default_msg);
		return default_status;
	}
	*out = default_isa;
	return XK_OK;
}
