/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Prometheus output: the exposition of a report (text format 0.0.4, or
 * OpenMetrics 1.0 when a scraper asks for it), served over HTTP by
 * libmicrohttpd and written to node_exporter textfiles (out_textfile.h).
 * Every metric is documented in docs/metrics.md.
 *
 * Cardinality is bounded: the top_n sites by "blocked now" (the order of
 * bw_agg__sites(BW_SORT_BLOCKED)), plus every site with a leak verdict (at
 * most BW_PROM_MAX_EXTRA_LEAKS more), get series of their own; the rest of
 * each process is summed into one series with site="other". Series are
 * written in a stable order (pid, then site id, then "other") and every
 * label value goes through bw_escape_prom: names come from the target.
 *
 * The HTTP server runs in libmicrohttpd's own thread and never touches the
 * aggregator: bw_out_prom__update renders the exposition (both formats)
 * into buffers and swaps them in under a mutex; a scrape copies the latest.
 * It answers GET/HEAD /metrics only (404 for other paths, 405 for other
 * methods), with bounds on connections, request memory and idle time.
 */
#ifndef BW_OUT_PROM_H
#define BW_OUT_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "report.h"

#define BW_PROM_DEFAULT_TOP 50
#define BW_PROM_MAX_EXTRA_LEAKS 200 /* leak sites past top_n that still get series */
#define BW_PROM_DEFAULT_LISTEN "127.0.0.1:9464"

enum bw_prom_format {
	BW_PROM_TEXT = 0,	 /* text/plain; version=0.0.4 */
	BW_PROM_OPENMETRICS = 1, /* application/openmetrics-text; version=1.0.0 */
};

struct bw_prom_opts {
	size_t top_n; /* sites with series of their own (leaks aside); 0: none */
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

/*
 * "HOST:PORT", "[V6]:PORT", ":PORT" (every IPv4 address: only when asked
 * for) or "PORT" (127.0.0.1); NULL or "" is BW_PROM_DEFAULT_LISTEN. Port 0
 * picks a free port. HOST is a numeric address or "localhost".
 */
int bw_prom_parse_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *len);

struct bw_out_prom;

/* Starts serving at once (an exposition without sites until the first update). */
struct bw_out_prom *bw_out_prom__new(const char *listen, size_t top_n);
int bw_out_prom__update(struct bw_out_prom *p, const struct bw_report *rep);
/* The port bound (useful with port 0). */
uint16_t bw_out_prom__port(const struct bw_out_prom *p);
void bw_out_prom__free(struct bw_out_prom *p);

#endif /* BW_OUT_PROM_H */
