/* model.c - the .xnm sub-model file: writes it, and loads it checking that
 * the graph is one the executor can run without a further check.
 *
 * Format: xs.h. A loaded model is a copy: values, nodes and weights are
 * owned by the struct, the file's bytes are not kept. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xk-ukernel.h"
#include "xs-internal.h"

#define HEADER 64
#define VALUE_BYTES 12     /* version 1 */
#define VALUE_BYTES_V2 24
#define NODE_BYTES 48
#define TRAILER 32
#define MAX_VALUES 4096
#define MAX_NODES 4096
#define MAX_DIM 4096
#define MAX_CHANNELS 65536
#define MAX_VALUE_ELEMS ((uint64_t)1 << 28)  /* per image: 1 GiB of f32 */

static const char *const op_names[] = {
#define XS_X(name, text) text,
	XS_OP_LIST(XS_X)
#undef XS_X
};

const char *xs_op_name(enum xs_op op)
{
	return (unsigned)op < XS_OP_COUNT ? op_names[op] : "unknown";
}

static const char *const precision_names[XS_PRECISION_COUNT] = {"f32", "int8"};

const char *xs_precision_name(enum xs_precision p)
{
	return (unsigned)p < XS_PRECISION_COUNT ? precision_names[p] : "unknown";
}

bool xs_precision_parse(const char *name, enum xs_precision *out)
{
	for (int i = 0; i < XS_PRECISION_COUNT; i++)
		if (strcmp(name, precision_names[i]) == 0) {
			*out = (enum xs_precision)i;
			return true;
		}
	return false;
}

/* Whether m has int8 values (then it is written as version 2). */
static bool has_qs8(const struct xs_model *m)
{
	for (uint32_t v = 0; v < m->nvalues; v++)
		if (m->values[v].dtype != XS_DTYPE_F32)
			return true;
	return m->nqbytes != 0;
}

static uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static float bits_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

void xs_model_destroy(struct xs_model *m)
{
	if (m == NULL)
		return;
	free(m->values);
	free(m->nodes);
	xk_free(m->weights);
	xk_free(m->qweights);
	free(m);
}

/* Byte offsets of the sections; false when the counts overflow. */
struct layout {
	uint64_t arch, values, nodes, weights, qweights, trailer, size;
};

static bool layout_of(uint32_t version, uint32_t arch_len, uint64_t nvalues,
		      uint64_t nnodes, uint64_t nweights, uint64_t nqbytes,
		      struct layout *l)
{
	if (nvalues > MAX_VALUES || nnodes > MAX_NODES || arch_len >= XS_ARCH_MAX ||
	    nweights > ((uint64_t)1 << 32) || nqbytes > ((uint64_t)1 << 32) ||
	    (version == 1 && nqbytes))
		return false;
	l->arch = HEADER;
	l->values = l->arch + ((arch_len + 3u) & ~3u);
	l->nodes = l->values + nvalues * (version == 1 ? VALUE_BYTES : VALUE_BYTES_V2);
	l->weights = (l->nodes + nnodes * NODE_BYTES + 63) & ~(uint64_t)63;
	l->qweights = l->weights + nweights * 4;
	if (version > 1)
		l->qweights = (l->qweights + 63) & ~(uint64_t)63;
	l->trailer = l->qweights + nqbytes;
	l->size = l->trailer + TRAILER;
	return true;
}

enum xs_status xs_model_serialize(const struct xs_model *m, uint8_t **out,
				  size_t *size, struct xs_error *err)
{
	struct layout l;
	uint32_t alen = (uint32_t)strnlen(m->arch, XS_ARCH_MAX);
	const uint32_t version = has_qs8(m) ? 2 : 1;
	if (!layout_of(version, alen, m->nvalues, m->nnodes, m->nweights, m->nqbytes, &l) ||
	    l.size > SIZE_MAX) {
		XK_SETERR(err, "model: too large to write");
		return XS_EINVAL;
	}
	uint8_t *buf = calloc(1, (size_t)l.size);
	if (buf == NULL) {
		XK_SETERR(err, "model: out of memory writing %llu bytes",
			  (unsigned long long)l.size);
		return XS_ENOMEM;
	}
	memcpy(buf, "XFSUBMDL", 8);
	xs_put32(buf + 8, version);
	xs_put32(buf + 12, (uint32_t)m->precision);
	xs_put32(buf + 16, m->nvalues);
	xs_put32(buf + 20, m->nnodes);
	xs_put32(buf + 24, alen);
	xs_put32(buf + 28, m->classes);
	xs_put32(buf + 32, f32_bits(m->mean));
	xs_put32(buf + 36, f32_bits(m->std));
	xs_put64(buf + 40, m->nweights);
	xs_put64(buf + 48, l.weights);
	xs_put64(buf + 56, m->nqbytes);
	memcpy(buf + l.arch, m->arch, alen);
	for (uint32_t i = 0; i < m->nvalues; i++) {
		const struct xs_value *v = &m->values[i];
		uint8_t *p = buf + l.values + (size_t)i * (version == 1 ? VALUE_BYTES : VALUE_BYTES_V2);
		xs_put32(p, v->h);
		xs_put32(p + 4, v->w);
		xs_put32(p + 8, v->c);
		if (version > 1) {
			xs_put32(p + 12, v->dtype);
			xs_put32(p + 16, f32_bits(v->scale));
			xs_put32(p + 20, (uint32_t)v->zp);
		}
	}
	for (uint32_t i = 0; i < m->nnodes; i++) {
		const struct xs_node *n = &m->nodes[i];
		uint8_t *p = buf + l.nodes + (size_t)i * NODE_BYTES;
		xs_put32(p, n->op);
		xs_put32(p + 4, n->in[0]);
		xs_put32(p + 8, n->in[1]);
		xs_put32(p + 12, n->out);
		xs_put32(p + 16, n->act);
		xs_put32(p + 20, n->k);
		xs_put32(p + 24, n->s);
		xs_put64(p + 32, n->w);
		xs_put64(p + 40, n->b);
	}
	for (size_t i = 0; i < m->nweights; i++)
		xs_put32(buf + l.weights + 4 * i, f32_bits(m->weights[i]));
	if (m->nqbytes)
		memcpy(buf + l.qweights, m->qweights, m->nqbytes);
	xs_sha256(buf, (size_t)l.trailer, buf + l.trailer);
	*out = buf;
	*size = (size_t)l.size;
	return XS_OK;
}

enum xs_status xs_model_sha256(const struct xs_model *m, uint8_t out[32],
			       struct xs_error *err)
{
	uint8_t *buf;
	size_t size;
	enum xs_status st = xs_model_serialize(m, &buf, &size, err);
	if (st != XS_OK)
		return st;
	xs_sha256(buf, size, out);
	free(buf);
	return XS_OK;
}

enum xs_status xs_model_write(const struct xs_model *m, const char *path,
			      struct xs_error *err)
{
	uint8_t *buf;
	size_t size;
	enum xs_status st = xs_model_serialize(m, &buf, &size, err);
	if (st != XS_OK)
		return st;
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		XK_SETERR(err, "cannot write '%s': %s", path, strerror(errno));
		free(buf);
		return XS_EIO;
	}
	size_t n = fwrite(buf, 1, size, f);
	int e = errno;
	free(buf);
	if (fclose(f) != 0 || n != size) {
		XK_SETERR(err, "cannot write '%s': %s", path, strerror(n != size ? e : errno));
		remove(path);
		return XS_EIO;
	}
	return XS_OK;
}

/* Weight count and bias count of node n (its values are checked). */
static void weight_counts(const struct xs_model *m, const struct xs_node *n,
			  uint64_t *wc, uint64_t *bc)
{
	uint64_t cin = m->values[n->in[0]].c, cout = m->values[n->out].c;
	*wc = *bc = 0;
	switch (n->op) {
	case XS_OP_CONV:
		*wc = cout * cin * n->k * n->k;
		*bc = cout;
		break;
	case XS_OP_PW:
	case XS_OP_FC:
		*wc = cout * cin;
		*bc = cout;
		break;
	case XS_OP_DW:
		*wc = cout * n->k * n->k;
		*bc = cout;
		break;
	default:
		break;
	}
}

uint64_t xs_model_macs(const struct xs_model *m)
{
	uint64_t macs = 0;
	for (uint32_t i = 0; i < m->nnodes; i++) {
		const struct xs_node *n = &m->nodes[i];
		const struct xs_value *o = &m->values[n->out];
		uint64_t wc, bc;
		weight_counts(m, n, &wc, &bc);
		if (n->op == XS_OP_CONV || n->op == XS_OP_PW || n->op == XS_OP_DW ||
		    n->op == XS_OP_FC)
			macs += (uint64_t)o->h * o->w * wc;
	}
	return macs;
}

static uint32_t div_up(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

/* Checks node i against the values defined so far (defined[v]). */
static enum xs_status check_node(const struct xs_model *m, uint32_t i,
				 const bool *defined, struct xs_error *err)
{
	const struct xs_node *n = &m->nodes[i];
	const char *op = xs_op_name(n->op);
	if (n->op >= XS_OP_COUNT) {
		XK_SETERR(err, "model: node %u has unknown operator %u", i, n->op);
		return XS_EFORMAT;
	}
	if (n->act >= XK_ACT_COUNT) {
		XK_SETERR(err, "model: node %u (%s) has unknown activation %u", i, op, n->act);
		return XS_EFORMAT;
	}
	uint32_t nin = n->op == XS_OP_ADD ? 2 : 1;
	for (uint32_t j = 0; j < nin; j++)
		if (n->in[j] >= m->nvalues || !defined[n->in[j]]) {
			XK_SETERR(err, "model: node %u (%s) reads value %u before it is written",
				  i, op, n->in[j]);
			return XS_EFORMAT;
		}
	if (n->out >= m->nvalues || defined[n->out]) {
		XK_SETERR(err, "model: node %u (%s) writes value %u, which is %s", i, op,
			  n->out, n->out >= m->nvalues ? "not in the model" : "already written");
		return XS_EFORMAT;
	}
	const struct xs_value *x = &m->values[n->in[0]], *y = &m->values[n->out];
	bool ok = true, kernel_ok = true;
	switch (n->op) {
	case XS_OP_RESIZE:
		ok = y->c == x->c;
		break;
	case XS_OP_CONV:
		kernel_ok = n->k % 2 == 1 && n->k <= XK_CONV_MAX_KERNEL &&
			    (n->s == 1 || n->s == 2) &&
			    (uint64_t)x->c * n->k * n->k <= XK_CONV_MAX_PATCH;
		ok = kernel_ok && y->h == div_up(x->h, n->s) && y->w == div_up(x->w, n->s);
		break;
	case XS_OP_DW:
		kernel_ok = (n->k == 3 || n->k == 5 || n->k == 7) && (n->s == 1 || n->s == 2);
		ok = kernel_ok && y->c == x->c && y->h == div_up(x->h, n->s) &&
		     y->w == div_up(x->w, n->s);
		break;
	case XS_OP_PW:
		ok = y->h == x->h && y->w == x->w;
		break;
	case XS_OP_ADD: {
		const struct xs_value *x2 = &m->values[n->in[1]];
		ok = x->h == y->h && x->w == y->w && x->c == y->c && x2->h == y->h &&
		     x2->w == y->w && x2->c == y->c;
		break;
	}
	case XS_OP_GAVGPOOL:
		ok = y->h == 1 && y->w == 1 && y->c == x->c;
		break;
	case XS_OP_FC:
		ok = x->h == 1 && x->w == 1 && y->h == 1 && y->w == 1;
		break;
	case XS_OP_QUANTIZE:
	case XS_OP_DEQUANTIZE:
		ok = y->h == x->h && y->w == x->w && y->c == x->c;
		break;
	}
	/* the types: converts change them, every other operator keeps them */
	bool types_ok;
	if (n->op == XS_OP_QUANTIZE)
		types_ok = x->dtype == XS_DTYPE_F32 && y->dtype == XS_DTYPE_QS8;
	else if (n->op == XS_OP_DEQUANTIZE)
		types_ok = x->dtype == XS_DTYPE_QS8 && y->dtype == XS_DTYPE_F32;
	else if (n->op == XS_OP_RESIZE)
		types_ok = x->dtype == XS_DTYPE_F32 && y->dtype == XS_DTYPE_F32;
	else
		types_ok = x->dtype == y->dtype &&
			   (n->op != XS_OP_ADD || m->values[n->in[1]].dtype == y->dtype);
	if (!types_ok) {
		XK_SETERR(err, "model: node %u (%s) reads and writes values of types that "
			  "the operator does not convert", i, op);
		return XS_EFORMAT;
	}
	const bool q = y->dtype == XS_DTYPE_QS8 && n->op != XS_OP_QUANTIZE;
	bool act_ok = true;
	if (n->op == XS_OP_QUANTIZE || n->op == XS_OP_DEQUANTIZE ||
	    (q && n->op == XS_OP_GAVGPOOL))
		act_ok = n->act == XK_ACT_NONE;
	else if (q && n->op == XS_OP_ADD)
		act_ok = n->act == XK_ACT_NONE || n->act == XK_ACT_RELU;
	if (!act_ok) {
		XK_SETERR(err, "model: node %u (%s) has activation %s, which the %s operator "
			  "does not apply", i, op, xk_act_name((enum xk_act)n->act),
			  q ? "int8" : op);
		return XS_EFORMAT;
	}
	if (!kernel_ok) {
		XK_SETERR(err, "model: node %u (%s) has kernel %u stride %u, which the "
			  "kernels do not run", i, op, n->k, n->s);
		return XS_EFORMAT;
	}
	if (!ok) {
		XK_SETERR(err, "model: node %u (%s) maps %ux%ux%u to %ux%ux%u, which does "
			  "not fit the operator", i, op, x->h, x->w, x->c, y->h, y->w, y->c);
		return XS_EFORMAT;
	}
	uint64_t wc, bc;
	weight_counts(m, n, &wc, &bc);
	const bool has_k = n->op == XS_OP_CONV || n->op == XS_OP_DW;
	if ((!wc && n->w) || (!bc && n->b) || (!has_k && (n->k || n->s)) ||
	    (n->op != XS_OP_ADD && n->in[1])) {
		XK_SETERR(err, "model: node %u (%s) has fields its operator does not use "
			  "(they must be 0)", i, op);
		return XS_EFORMAT;
	}
	if (q && wc) {
		/* int8 weights, then int32 biases and f32 scales (4-aligned) */
		if (n->w > m->nqbytes || wc > m->nqbytes - n->w || n->b % 4 ||
		    n->b > m->nqbytes || 8 * bc > m->nqbytes - n->b) {
			XK_SETERR(err, "model: node %u (%s) has int8 weights outside the file",
				  i, op);
			return XS_EFORMAT;
		}
		const int8_t *w = (const int8_t *)(m->qweights + n->w);
		for (uint64_t j = 0; j < wc; j++)
			if (w[j] == -128) {
				XK_SETERR(err, "model: node %u (%s) has weight -128: int8 weights "
					  "are -127..127", i, op);
				return XS_EFORMAT;
			}
		for (uint64_t j = 0; j < bc; j++) {
			int32_t b;
			float sc;
			memcpy(&b, m->qweights + n->b + 4 * j, 4);
			memcpy(&sc, m->qweights + n->b + 4 * (bc + j), 4);
			if (b > XK_QS8_MAX_BIAS || b < -XK_QS8_MAX_BIAS || !(sc > 0.0f) ||
			    !(sc < 1e30f)) {
				XK_SETERR(err, "model: node %u (%s) channel %llu: bias %d or "
					  "weight scale %g out of range", i, op,
					  (unsigned long long)j, (int)b, (double)sc);
				return XS_EFORMAT;
			}
		}
		return XS_OK;
	}
	if ((wc && (n->w > m->nweights || wc > m->nweights - n->w)) ||
	    (bc && (n->b > m->nweights || bc > m->nweights - n->b))) {
		XK_SETERR(err, "model: node %u (%s) has weights outside the file", i, op);
		return XS_EFORMAT;
	}
	return XS_OK;
}

/* Checks the graph of m (values and nodes filled). */
static enum xs_status check_graph(const struct xs_model *m, struct xs_error *err)
{
	if (m->nvalues < 2 || m->nnodes < 1 || m->nnodes != m->nvalues - 1) {
		XK_SETERR(err, "model: %u values and %u nodes: every node writes one new "
			  "value", m->nvalues, m->nnodes);
		return XS_EFORMAT;
	}
	for (uint32_t v = 0; v < m->nvalues; v++) {
		const struct xs_value *x = &m->values[v];
		if (x->h == 0 || x->w == 0 || x->c == 0 || x->h > MAX_DIM ||
		    x->w > MAX_DIM || x->c > MAX_CHANNELS ||
		    (uint64_t)x->h * x->w * x->c > MAX_VALUE_ELEMS) {
			XK_SETERR(err, "model: value %u is %ux%ux%u, out of range", v, x->h,
				  x->w, x->c);
			return XS_EFORMAT;
		}
		bool type_ok = x->dtype == XS_DTYPE_F32
				       ? x->scale == 0.0f && x->zp == 0
				       : x->dtype == XS_DTYPE_QS8 &&
						 xk_qparams_valid((struct xk_qparams){x->scale, x->zp});
		if (!type_ok || ((v == 0 || v == m->nvalues - 1) && x->dtype != XS_DTYPE_F32)) {
			XK_SETERR(err, "model: value %u has type %u, scale %g, zero point %d: "
				  "not valid%s", v, x->dtype, (double)x->scale, (int)x->zp,
				  v == 0 || v == m->nvalues - 1 ? " (the input and the logits "
				  "are f32)" : "");
			return XS_EFORMAT;
		}
	}
	bool *defined = calloc(m->nvalues, sizeof(*defined));
	if (defined == NULL) {
		XK_SETERR(err, "model: out of memory");
		return XS_ENOMEM;
	}
	defined[0] = true;
	enum xs_status st = XS_OK;
	for (uint32_t i = 0; i < m->nnodes && st == XS_OK; i++) {
		st = check_node(m, i, defined, err);
		if (st == XS_OK)
			defined[m->nodes[i].out] = true;
	}
	free(defined);
	if (st != XS_OK)
		return st;
	const struct xs_value *o = &m->values[m->nvalues - 1];
	if (m->nodes[m->nnodes - 1].out != m->nvalues - 1 || o->h != 1 || o->w != 1 ||
	    o->c != m->classes) {
		XK_SETERR(err, "model: the last value is not the %u logits", m->classes);
		return XS_EFORMAT;
	}
	return XS_OK;
}

enum xs_status xs_model_load_buffer(const void *data, size_t size,
				    struct xs_model **out, uint8_t sha256[32],
				    struct xs_error *err)
{
	const uint8_t *buf = data;
	if (size < HEADER + TRAILER) {
		XK_SETERR(err, "model: %zu bytes is too short for a .xnm file", size);
		return XS_EFORMAT;
	}
	if (memcmp(buf, "XFSUBMDL", 8) != 0) {
		XK_SETERR(err, "model: not a .xnm file (bad magic)");
		return XS_EFORMAT;
	}
	uint32_t version = xs_le32(buf + 8);
	if (version != 1 && version != XS_XNM_VERSION) {
		XK_SETERR(err, "model: format version %u, this program reads %d: extract "
			  "the sub-model again with this version", version, XS_XNM_VERSION);
		return XS_EVERSION;
	}
	uint8_t sum[32];
	xs_sha256(buf, size - TRAILER, sum);
	if (memcmp(sum, buf + size - TRAILER, 32) != 0) {
		XK_SETERR(err, "model: checksum mismatch: the file is corrupted or cut; "
			  "copy it again");
		return XS_ECHECKSUM;
	}
	uint32_t precision = xs_le32(buf + 12), nvalues = xs_le32(buf + 16);
	uint32_t nnodes = xs_le32(buf + 20), alen = xs_le32(buf + 24);
	uint64_t nweights = xs_le64(buf + 40), woff = xs_le64(buf + 48);
	uint64_t nqbytes = xs_le64(buf + 56);
	struct layout l;
	if (!layout_of(version, alen, nvalues, nnodes, nweights, nqbytes, &l) ||
	    l.size != size || l.weights != woff) {
		XK_SETERR(err, "model: the header's counts (%u values, %u nodes, %llu "
			  "weights) do not match the file's %zu bytes", nvalues, nnodes,
			  (unsigned long long)nweights, size);
		return XS_EFORMAT;
	}
	if (precision >= XS_PRECISION_COUNT) {
		XK_SETERR(err, "model: precision %u is not known to this program", precision);
		return XS_EFORMAT;
	}
	if (memchr(buf + l.arch, 0, alen) != NULL) {
		XK_SETERR(err, "model: the arch string holds a NUL byte");
		return XS_EFORMAT;
	}
	enum xs_status st = XS_ENOMEM;
	struct xs_model *m = calloc(1, sizeof(*m));
	if (m == NULL)
		goto out_nomem;
	m->precision = (enum xs_precision)precision;
	m->nvalues = nvalues;
	m->nnodes = nnodes;
	m->classes = xs_le32(buf + 28);
	m->mean = bits_f32(xs_le32(buf + 32));
	m->std = bits_f32(xs_le32(buf + 36));
	memcpy(m->arch, buf + l.arch, alen);
	m->values = calloc(nvalues ? nvalues : 1, sizeof(*m->values));
	m->nodes = calloc(nnodes ? nnodes : 1, sizeof(*m->nodes));
	m->nweights = (size_t)nweights;
	m->weights = xk_alloc(nweights ? (size_t)nweights * 4 : 64);
	m->nqbytes = (size_t)nqbytes;
	m->qweights = nqbytes ? xk_alloc((size_t)nqbytes) : NULL;
	if (m->values == NULL || m->nodes == NULL || m->weights == NULL ||
	    (nqbytes && m->qweights == NULL))
		goto out_nomem;
	for (uint32_t i = 0; i < nvalues; i++) {
		const uint8_t *p = buf + l.values +
				   (size_t)i * (version == 1 ? VALUE_BYTES : VALUE_BYTES_V2);
		m->values[i] = (struct xs_value){xs_le32(p), xs_le32(p + 4), xs_le32(p + 8),
						 0, 0.0f, 0};
		if (version > 1) {
			m->values[i].dtype = xs_le32(p + 12);
			m->values[i].scale = bits_f32(xs_le32(p + 16));
			m->values[i].zp = (int32_t)xs_le32(p + 20);
		}
	}
	if (nqbytes)
		memcpy(m->qweights, buf + l.qweights, (size_t)nqbytes);
	for (uint32_t i = 0; i < nnodes; i++) {
		const uint8_t *p = buf + l.nodes + (size_t)i * NODE_BYTES;
		m->nodes[i] = (struct xs_node){xs_le32(p), {xs_le32(p + 4), xs_le32(p + 8)},
					       xs_le32(p + 12), xs_le32(p + 16), xs_le32(p + 20),
					       xs_le32(p + 24), xs_le64(p + 32), xs_le64(p + 40)};
	}
	for (size_t i = 0; i < m->nweights; i++)
		m->weights[i] = bits_f32(xs_le32(buf + l.weights + 4 * i));
	if (!(m->std > 0.0f) || m->mean != m->mean || m->classes == 0) {
		XK_SETERR(err, "model: bad input normalization or class count");
		st = XS_EFORMAT;
		goto out_free;
	}
	st = check_graph(m, err);
	if (st != XS_OK)
		goto out_free;
	if ((m->precision == XS_PRECISION_INT8) != (version > 1 && has_qs8(m))) {
		XK_SETERR(err, "model: precision %s does not match its values' types",
			  xs_precision_name(m->precision));
		st = XS_EFORMAT;
		goto out_free;
	}
	if (sha256)
		xs_sha256(buf, size, sha256);
	*out = m;
	return XS_OK;
out_nomem:
	XK_SETERR(err, "model: out of memory");
out_free:
	xs_model_destroy(m);
	return st;
}

enum xs_status xs_model_load(const char *path, struct xs_model **out,
			     uint8_t sha256[32], struct xs_error *err)
{
	char why[sizeof(err->msg)];
	FILE *f = xs_open_regular(path, why, sizeof(why));
	if (f == NULL) {
		XK_SETERR(err, "%s", why);
		return XS_EIO;
	}
	uint8_t *buf = NULL;
	size_t size = 0, cap = 0;
	enum xs_status st = XS_OK;
	for (;;) {
		if (size == cap) {
			size_t ncap = cap ? cap * 2 : 1 << 16;
			uint8_t *nb = ncap > cap ? realloc(buf, ncap) : NULL;
			if (nb == NULL) {
				XK_SETERR(err, "cannot read '%s': out of memory", path);
				st = XS_ENOMEM;
				goto out_close;
			}
			buf = nb;
			cap = ncap;
		}
		size_t n = fread(buf + size, 1, cap - size, f);
		size += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		XK_SETERR(err, "cannot read '%s': %s", path, strerror(errno));
		st = XS_EIO;
		goto out_close;
	}
	st = xs_model_load_buffer(buf, size, out, sha256, err);
	if (st != XS_OK && err) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		snprintf(err->msg, sizeof(err->msg), "'%.100s': %.150s", path, msg);
	}
out_close:
	fclose(f);
	free(buf);
	return st;
}

void xs_model_input(const struct xs_model *m, const uint8_t *pixels, size_t n,
		    float *out)
{
	const size_t count = n * (size_t)m->values[0].h * m->values[0].w * m->values[0].c;
	for (size_t i = 0; i < count; i++)
		out[i] = ((float)pixels[i] / 255.0f - m->mean) / m->std;
}
