/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One report: what every output renders at the end of an interval, and
 * the writer that hands it to the outputs the command line chose (tables
 * or JSON lines today) after the trend detector has judged each site.
 */
#ifndef BW_REPORT_H
#define BW_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "blockwatch/goruntime.h"
#include "blockwatch/threads.h"
#include "cli.h"

struct bw_report {
	uint64_t now_ns;     /* CLOCK_MONOTONIC */
	uint64_t elapsed_ns; /* since attach */
	double interval_s;
	bool final; /* the last report of the run */
	struct bw_agg *agg;
	const struct bw_proc_summary *procs; /* one per watched process */
	size_t nprocs;
	uint64_t drops[BW_DROP_KINDS]; /* kernel side, cumulative */
	uint64_t sites_evicted;
	/* Go detail mode's probe counters since attach, each binary once (enum bw_go_counter) */
	uint64_t go_probes[BW_GO_COUNTERS];
	size_t leaks; /* out: sites with a leak verdict */
};

struct bw_report_writer;

/*
 * Chooses the outputs from cfg: JSON lines (--json), the live view (stdout
 * a terminal), or plain tables; plus the exporters asked for. NULL and
 * errno on failure (logged).
 */
struct bw_report_writer *bw_report_writer__new(const struct bw_config *cfg);
/* Judge every site (trend), then hand the report to each output. */
int bw_report_writer__write(struct bw_report_writer *w, struct bw_report *rep);
/* Between reports: keys of the live view; true when the user asked to quit. */
bool bw_report_writer__poll_input(struct bw_report_writer *w);
void bw_report_writer__free(struct bw_report_writer *w);

#endif /* BW_REPORT_H */
