/* select.h - choosing a sub-net per device tier (DESIGN.md "Selection"): the
 * parts of harness/select/ in one include.
 *
 *   budget.h      the budget and the population (parsers of outside text)
 *   search.h      sub-spaces, the evolutionary and the exhaustive search
 *   tiers.h       grouping devices in speed order into tiers
 *   predict.h     a sub-net's latency from a kernel table, the calibration
 *   fleet.h       the per-device latency model of a DB (select, predict, report)
 *   candidates.h  the sub-nets looked at: sizes, accuracy, the DB's cache
 *   pipeline.h    xf_select_run: devices -> searches -> tiers -> measured
 *   regret.h      the search's regret on a small sub-space
 *   manifest-out.h  the manifest, the models and the DB's manifest row */
#ifndef XF_SELECT_H
#define XF_SELECT_H

#include "budget.h"
#include "search.h"
#include "tiers.h"

#endif /* XF_SELECT_H */
