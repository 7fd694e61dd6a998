/* manifest-out.h - what a selection writes: DIR/tN.xnm (each tier's model,
 * BN recalibrated), DIR/manifest.json (DESIGN.md "Manifest"; checked with
 * the runtime's reader before it is written) and the DB's manifest row.
 * The one place the select pipeline's result becomes a manifest. */
#ifndef XF_MANIFEST_OUT_H
#define XF_MANIFEST_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "fdb.h"
#include "pipeline.h"
#include "xs.h"

struct xf_select_manifest_opts {
	const char *dir;                 /* made when missing */
	struct fdb *db;                  /* the manifest row goes here */
	int64_t supernet_id;
	const struct xs_supernet *sn;
	const struct xs_idx *images;     /* BN calibration images */
	struct xk_threadpool *tp;        /* may be NULL */
	const struct xf_budget *budget;
};

/* Writes the models and the manifest of r (its tiers' file and sha256 are
 * set) and stores the manifest in the DB: *manifest_id its row, path the
 * manifest's file. XS_EIO naming the file or the DB's message; the
 * builder's errors; XS_EFORMAT when the JSON does not read back. */
enum xs_status xf_select_write_manifest(const struct xf_select_manifest_opts *o,
					struct xf_select_result *r, char *path, size_t path_n,
					int64_t *manifest_id, struct xs_error *err);

#endif /* XF_MANIFEST_OUT_H */
