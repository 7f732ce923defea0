/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Prometheus exposition of a report, in the text format 0.0.4 or in
 * OpenMetrics 1.0: written once here, served by out_prom.h and written to
 * node_exporter textfiles by out_textfile.h. Every metric is documented in
 * docs/metrics.md.
 *
 * Cardinality is bounded, whatever the number of sites or processes:
 *   - sites: the top_n by "blocked now" (the order of
 *     bw_agg__sites(BW_SORT_BLOCKED)) and every site judged a leak (at most
 *     BW_PROM_MAX_EXTRA_LEAKS more) get series of their own;
 *   - processes: the top_n by waiters blocked (threads blocked + goroutines
 *     waiting) and those owning a site with series get per-process series;
 *   - the other sites are summed into one site="other" series per such
 *     process, and the sites of every other process into one with pid="".
 * Series are written in a stable order (pid, then site id, "other" last)
 * and every label value goes through bw_escape_prom: names come from the
 * target.
 */
#ifndef BW_PROM_RENDER_H
#define BW_PROM_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

#define BW_PROM_DEFAULT_TOP 50
#define BW_PROM_MAX_EXTRA_LEAKS 200 /* leak sites past top_n that still get series */

enum bw_prom_format {
	BW_PROM_TEXT = 0,	 /* text/plain; version=0.0.4 */
	BW_PROM_OPENMETRICS = 1, /* application/openmetrics-text; version=1.0.0 */
};

struct bw_prom_opts {
	size_t top_n; /* sites (and processes) with series of their own; 0: leaks only */
	enum bw_prom_format format;
	/* seconds from the start of the interval's collection to now; 0: not known, left out */
	double report_duration_s;
};

/* The Content-Type header value of a format. */
const char *bw_prom_content_type(enum bw_prom_format format);

/*
 * Write the exposition of rep to f. rep->agg may be NULL (no sites yet).
 * Pure: reads rep and its sites only. Returns 0, -ENOMEM or -EIO.
 */
int bw_prom_render(FILE *f, const struct bw_report *rep, const struct bw_prom_opts *opts);

/* Seconds since rep->now_ns (CLOCK_MONOTONIC), for bw_prom_opts.report_duration_s. */
double bw_prom_report_duration(const struct bw_report *rep);

#endif /* BW_PROM_RENDER_H */
