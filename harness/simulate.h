/* simulate.h - a made-up fleet written to a device DB, for testing that
 * selection and reports scale (DESIGN.md "Scale"; 'xnn-fleet db simulate').
 * Everything it writes is marked: the devices are simulated = 1 with
 * transport "simulated", the supernet is "<name>-simulated" with its own
 * sha256 (never the real one's, so a merge can never mix its made-up
 * accuracies into real sub-nets), the sweep's config starts with
 * "simulated".
 *
 * Model: each device has a speed factor (log-uniform over 100x); a piece of
 * the space costs factor * (res/28)^2 * expand * kernel^2 / 49 * 0.05 ms
 * (+ 2% noise), a sub-net its pieces' sum times 1.08 (+ 3% noise); top-1
 * grows with log MACs. The same options and seed give the same rows. */
#ifndef XF_SIMULATE_H
#define XF_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "fdb.h"
#include "xs.h"

struct xf_simulate_opts {
	const struct xs_supernet *supernet;  /* whose space it draws from; not owned */
	long devices;                        /* 1 .. 100000 */
	long subnets;                        /* random draws, 2 .. 100000 */
	uint64_t seed;                       /* the generator's seed */
};

struct xf_simulate_summary {
	long devices;                        /* devices written */
	int64_t subnets;                     /* distinct sub-nets (draws can repeat) */
	size_t pieces;                       /* kernel pieces per device */
	char supernet[96];                   /* the simulated supernet's name */
};

/* Writes a simulated fleet to db (opened for writing, no transaction
 * open): the supernet, its sub-nets with made-up accuracies and a sweep in
 * one transaction, then each device with its run, kernel table and sub-net
 * results in one transaction per device. Fills *out (may be NULL) on
 * success. On an error the device being written is rolled back, the sweep
 * is marked failed (devices already written stay) and err says why:
 * XS_EINVAL for options out of range or a space too long to store,
 * XS_ENOMEM, or the DB's status and message. Prints nothing. */
enum xs_status xf_simulate_fleet(struct fdb *db, const struct xf_simulate_opts *o,
				 struct xf_simulate_summary *out, struct xs_error *err);

#endif /* XF_SIMULATE_H */
