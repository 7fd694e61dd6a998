/* gemm-avx512vnni.h - the AVX-512 VNNI int8 GEMM micro-kernels, written
 * once: qs8-gemm-6x64c4-avx512vnni.c and qs8-gemm-6x16c4-avx512vnni.c
 * include this file and instantiate GEMM_6XNC4(NR) for their packing.
 * 6 rows, KR 4, a read as unsigned bytes (a_offset 128).
 *
 * A pass computes up to 64 columns, 4 vectors of 16: with NR 64 the vectors
 * of one strip, with NR 16 one vector from each of 4 consecutive strips. So
 * both kernels run the same instructions for any nc; NR 16 only packs less
 * padding (nc 24: 32 columns packed instead of 64).
 *
 * Per group of 4 k: 4 weight vectors (16 columns x 4 bytes each), and per row
 * one broadcast of 4 bytes of a, flipped to unsigned (xor 0x80), into 4
 * vpdpbusd: 24 accumulators. The rows are flipped once, before the passes,
 * into a copy on the stack (kc up to KBUF): the broadcast is then a load
 * with no xor, which competed with the vpdpbusd for the two vector ports (6
 * of 30 operations a group); bytes past kc in the copy are 128, times the
 * zero weights packed there. A longer kc is read from a and flipped in the
 * loop, its last group with a masked load of the kc % 4 bytes left. The code is
 * compiled for each row count (1 to 6: m = 49 or 16, layers of 7x7 and 4x4
 * pixels, and m = 1 end in short tiles) and for 1 to 4 vectors (a last pass
 * of 16, 32 or 48 columns).
 *
 * A row's 64 columns are requantized and narrowed at once
 * (xk_qs8_avx512_requant4). */
#include <assert.h>
#include <stdbool.h>

#include <immintrin.h>

#include "xk-qs8-avx512.h"

#define MR 6
#define KR 4
#define INLINE static inline __attribute__((always_inline))

/* acc += a (unsigned bytes) . w (signed bytes), per int32 lane. In asm: gcc
 * 12 copies and spills the accumulators of the intrinsic's builtin. */
#define DPBUSD(acc, a, w) __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w))

#define ALL_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
/* statements for the rows below mr (a compile-time constant in gemm_pass) */
#define ROWS(X)                                                                \
	{ X(0) } if (mr > 1) { X(1) } if (mr > 2) { X(2) }                     \
	if (mr > 3) { X(3) } if (mr > 4) { X(4) } if (mr > 5) { X(5) }
#define COLS(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3)

/* Requantizes the 4 vectors of one row (those past nv are unused; m[v]:
 * the multipliers of vector v) and stores the first ncol bytes. */
INLINE void requant_row(size_t nv, __m512i v0, __m512i v1, __m512i v2,
			__m512i v3, const float *const *m, int8_t *c, size_t ncol,
			const struct xk_qs8_params *p)
{
	const __m512i b = xk_qs8_avx512_requant4(nv, v0, v1, v2, v3, m, p);
	if (ncol >= 64)
		_mm512_storeu_si512(c, b);
	else
		_mm512_mask_storeu_epi8(c, ((__mmask64)1 << ncol) - 1, b);
}

/* The longest rows flipped into a copy (the copy takes MR * KBUF bytes of
 * stack). */
#define KBUF 1024

/* The first kc (<= KBUF) bytes of rows [0, mr) of a, flipped to unsigned
 * (xor 0x80) into buf, KBUF bytes a row; the rest of the row's last 64
 * bytes becomes 128 (0 ^ 0x80). */
INLINE void flip_rows(size_t mr, const int8_t *const *ar, size_t kc,
		      uint8_t *buf)
{
	const __m512i flip = _mm512_set1_epi8((char)0x80);
	for (size_t i = 0; i < mr; i++)
		for (size_t j = 0; j < kc; j += 64) {
			const __mmask64 mk = kc - j >= 64 ? ~(__mmask64)0
							  : ((__mmask64)1 << (kc - j)) - 1;
			const __m512i x = _mm512_maskz_loadu_epi8(mk, ar[i] + j);
			_mm512_storeu_si512(buf + i * KBUF + j, _mm512_xor_si512(x, flip));
		}
}

/* One pass: nv vectors of 16 columns, of which ncol (<= 64) are stored.
 * Vector v's packed data (bias, m, then the groups of k, each nr * KR bytes
 * apart) starts vo(v) bytes after w. When whole, buf holds the rows
 * flipped (flip_rows); else the rows are read from ar. */
INLINE void gemm_pass(size_t mr, size_t nv, size_t nr, size_t vo1, size_t vo2,
		      size_t vo3, size_t kc, const int8_t *const *ar, bool whole,
		      uint8_t *buf, const uint8_t *w, int8_t *const *c,
		      size_t ncol, const struct xk_qs8_params *p)
{
	/* vectors past nv may lie past the packed weights: not formed */
	const uint8_t *w0 = w, *w1 = nv > 1 ? w + vo1 : w, *w2 = nv > 2 ? w + vo2 : w,
		      *w3 = nv > 3 ? w + vo3 : w;
	const __m512i b0 = _mm512_loadu_si512(w0);
	const __m512i b1 = nv > 1 ? _mm512_loadu_si512(w1) : b0;
	const __m512i b2 = nv > 2 ? _mm512_loadu_si512(w2) : b0;
	const __m512i b3 = nv > 3 ? _mm512_loadu_si512(w3) : b0;
#define INIT(i, v) __m512i acc##i##v = b##v;
#define INITR(i) COLS(INIT, i)
	ALL_ROWS(INITR)
#undef INIT
#undef INITR
	const float *m[4] = {(const float *)(w0 + 4 * nr), (const float *)(w1 + 4 * nr),
			     (const float *)(w2 + 4 * nr), (const float *)(w3 + 4 * nr)};
	const uint8_t *wk = w + 8 * nr;
#define DOT(i, v)                                                              \
	if (nv > v)                                                            \
		DPBUSD(acc##i##v, va##i, wv##v);
#define LOADW                                                                  \
	const __m512i wv0 = _mm512_loadu_si512(wk);                            \
	const __m512i wv1 = nv > 1 ? _mm512_loadu_si512(wk + vo1) : wv0;       \
	const __m512i wv2 = nv > 2 ? _mm512_loadu_si512(wk + vo2) : wv0;       \
	const __m512i wv3 = nv > 3 ? _mm512_loadu_si512(wk + vo3) : wv0;       \
	wk += nr * KR;
	if (whole) {
		/* a broadcast from memory: a load, no arithmetic */
		for (const uint8_t *bk = buf; bk < buf + kc; bk += KR) {
			LOADW
#define ROW(i)                                                                 \
	{                                                                      \
		int32_t x;                                                     \
		memcpy(&x, bk + i * KBUF, 4);                                  \
		const __m512i va##i = _mm512_set1_epi32(x);                    \
		COLS(DOT, i)                                                   \
	}
			ROWS(ROW)
#undef ROW
		}
	} else {
		const __m512i flip = _mm512_set1_epi8((char)0x80);
		size_t k = 0;
		for (; k + KR <= kc; k += KR) {
			LOADW
#define ROW(i)                                                                 \
	{                                                                      \
		int32_t x;                                                     \
		memcpy(&x, ar[i] + k, 4);                                      \
		const __m512i va##i = _mm512_xor_si512(_mm512_set1_epi32(x), flip); \
		COLS(DOT, i)                                                   \
	}
			ROWS(ROW)
#undef ROW
		}
		if (k < kc) {
			const __mmask16 mk = (__mmask16)((1u << (kc - k)) - 1);
			LOADW
			/* the bytes past kc become 128, times a zero weight */
#define ROW(i)                                                                 \
	{                                                                      \
		const __m128i x = _mm_maskz_loadu_epi8(mk, ar[i] + k);         \
		const __m512i va##i =                                          \
			_mm512_xor_si512(_mm512_broadcastd_epi32(x), flip);    \
		COLS(DOT, i)                                                   \
	}
			ROWS(ROW)
#undef ROW
		}
	}
#undef LOADW
#undef DOT
#define STORE(i)                                                               \
	requant_row(nv, acc##i##0, acc##i##1, acc##i##2, acc##i##3, m, c[i],   \
		    ncol, p);
	ROWS(STORE)
#undef STORE
}

/* The passes over nc for mr rows (a compile-time constant). */
INLINE void gemm_rows(size_t mr, size_t nr, size_t nc, size_t kc,
		      const int8_t *const *ar, const uint8_t *pw, int8_t **cr,
		      const struct xk_qs8_params *p)
{
	const size_t strip_bytes = xk_qs8_gemm_strip_bytes(kc, nr, KR);
	/* where vector v of a pass starts: in the strip, or in strip v */
	const size_t vo = nr == 64 ? 64 : strip_bytes;
	const size_t pass_bytes = nr == 64 ? strip_bytes : 4 * strip_bytes;
	/* the rows flipped once for every pass when they fit */
	_Alignas(64) uint8_t buf[MR * KBUF];
	const bool whole = kc <= KBUF;
	if (whole)
		flip_rows(mr, ar, kc, buf);
	for (;;) {
#define A vo, 2 * vo, 3 * vo, kc, ar, whole, buf
		if (nc > 48)
			gemm_pass(mr, 4, nr, A, pw, cr, nc, p);
		else if (nc > 32)
			gemm_pass(mr, 3, nr, A, pw, cr, nc, p);
		else if (nc > 16)
			gemm_pass(mr, 2, nr, A, pw, cr, nc, p);
		else
			gemm_pass(mr, 1, nr, A, pw, cr, nc, p);
#undef A
		if (nc <= 64)
			return;
		nc -= 64;
		pw += pass_bytes;
		for (size_t i = 0; i < mr; i++)
			cr[i] += 64;
	}
}

/* The kernel for strips of nr columns (16 or 64), 64 columns a pass. */
INLINE void gemm_6xnc4(size_t nr, size_t mr, size_t nc, size_t kc,
		       const int8_t *a, size_t a_stride, const void *w,
		       int8_t *c, size_t c_stride,
		       const struct xk_qs8_params *params)
{
	assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1);
	/* a local copy: c may alias params as far as the compiler knows */
	const struct xk_qs8_params prm = *params, *p = &prm;
	const int8_t *ar[MR];
	int8_t *cr[MR];
	for (size_t i = 0; i < MR; i++) {
		/* rows past mr are not read: any valid pointer */
		ar[i] = a + (mr > i ? i : 0) * a_stride;
		cr[i] = c + (mr > i ? i : 0) * c_stride;
	}
	switch (mr) {
	case 1: gemm_rows(1, nr, nc, kc, ar, w, cr, p); break;
	case 2: gemm_rows(2, nr, nc, kc, ar, w, cr, p); break;
	case 3: gemm_rows(3, nr, nc, kc, ar, w, cr, p); break;
	case 4: gemm_rows(4, nr, nc, kc, ar, w, cr, p); break;
	case 5: gemm_rows(5, nr, nc, kc, ar, w, cr, p); break;
	default: gemm_rows(6, nr, nc, kc, ar, w, cr, p); break;
	}
}

#define GEMM_6XNC4(NR)                                                         \
	void xk_qs8_gemm_ukernel_6x##NR##c4__avx512vnni(                      \
		size_t mr, size_t nc, size_t kc, const int8_t *a,              \
		size_t a_stride, const void *w, int8_t *c, size_t c_stride,    \
		const struct xk_qs8_params *p)                                 \
	{                                                                      \
		_Static_assert(NR == 16 || NR == 64, "NR 16 or 64");           \
		gemm_6xnc4(NR, mr, nc, kc, a, a_stride, w, c, c_stride, p);    \
	}
