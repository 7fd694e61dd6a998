/* report.h - the parts of `xnn-fleet report` that are not page layout:
 * HTML escaping, the Pareto frontier, running gnuplot. */
#ifndef XF_REPORT_H
#define XF_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s with & < > " ' as entities (NULL as ""): text and attribute
 * values from a device or the DB are never markup. */
void xf_html_put(FILE *f, const char *s);

/* The Pareto frontier of n points (latency lower is better, accuracy higher
 * is better): idx gets the indices of the points no other point beats in
 * both (ties: the first), by ascending latency; returns how many. Points
 * with a NAN are skipped. */
size_t xf_pareto(const double *lat, const double *acc, size_t n, size_t *idx);

/* Whether gnuplot is in PATH (why says what to install when not). */
bool xf_gnuplot_available(char *why, size_t why_n);

/* Runs `gnuplot SCRIPT` in dir (argv, no shell; its output to dir/gnuplot.log).
 * false with why when gnuplot is missing or fails. */
bool xf_gnuplot_run(const char *dir, const char *script, char *why, size_t why_n);

#endif /* XF_REPORT_H */
