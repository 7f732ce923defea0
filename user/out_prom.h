/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Prometheus/OpenMetrics endpoint (--prom ADDR), served by
 * libmicrohttpd in its own thread. It never touches the aggregator:
 * bw_out_prom__update renders the exposition (prom_render.h) in both
 * formats into buffers and swaps them in under a mutex; a scrape copies the
 * latest, in OpenMetrics when its Accept header lists it. It answers
 * GET/HEAD /metrics only (404 for other paths, 405 for other methods),
 * with bounds on connections, request memory and idle time.
 */
#ifndef BW_OUT_PROM_H
#define BW_OUT_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "prom_render.h"
#include "report.h"

#define BW_PROM_DEFAULT_LISTEN "127.0.0.1:9464"

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
