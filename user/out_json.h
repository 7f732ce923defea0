/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * JSON lines output (--json): one JSON object per line, schema version 1,
 * documented field by field in docs/json-schema.md. Every interval writes
 *
 *	bw_out_json__begin(j, ts_ns, interval_s);
 *	bw_out_json__write_process(j, &proc);          one per target process
 *	bw_out_json__write_sites(j, sites, n, procs, nprocs);
 *	bw_out_json__write_interval(j, nsites, &drops, final);
 *	bw_out_json__flush(j);
 *
 * so a reader can take the "interval" record as the end of an interval.
 * All strings that come from the target are escaped and the output is
 * valid UTF-8 whatever the target's names hold. Objects are built with
 * json-c; its text then goes through bw_escape_json_text_file (escape.h).
 * Write functions return 0 or a negative errno (-EIO once f has failed).
 */
#ifndef BW_OUT_JSON_H
#define BW_OUT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "drops.h"

#define BW_JSON_SCHEMA_VERSION 1

struct bw_out_json_opts {
	/*
	 * The trend detector judged the sites (struct bw_site's verdict fields
	 * are set): write "verdict", "growth_per_min", "confidence" and
	 * "growing_for_s". Without it those fields are left out rather than
	 * written as "ok": nothing was judged.
	 */
	bool verdicts;
	int max_frames; /* user frames per site, 0: all */
};

struct bw_out_json;

/* f stays the caller's (not closed by __free). NULL and errno on failure. */
struct bw_out_json *bw_out_json__new(FILE *f, const struct bw_out_json_opts *opts);
void bw_out_json__free(struct bw_out_json *j);

/* Every record until the next __begin carries this time (CLOCK_REALTIME ns). */
void bw_out_json__begin(struct bw_out_json *j, uint64_t ts_ns, double interval_s);

/* One "site" record; comm is the process's name (NULL: unknown). */
int bw_out_json__write_site(struct bw_out_json *j, const struct bw_site *site, const char *comm);
/* A "site" record per site, in order, with comm taken from procs by pid. */
int bw_out_json__write_sites(struct bw_out_json *j, struct bw_site *const *sites, size_t n,
			     const struct bw_proc_summary *procs, size_t nprocs);
int bw_out_json__write_process(struct bw_out_json *j, const struct bw_proc_summary *proc);
/*
 * The "interval" record: sites known to the aggregator, drops since attach
 * and in this interval (against the previous call), and which figures are
 * lower bounds because of them.
 */
int bw_out_json__write_interval(struct bw_out_json *j, size_t nsites, const struct bw_drops *drops,
				bool final);
int bw_out_json__flush(struct bw_out_json *j);

#endif /* BW_OUT_JSON_H */
