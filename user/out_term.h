/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The plain interval table, for terminals and for logs: plain lines, no
 * cursor movement, so it streams cleanly into a file (the ncurses live view
 * is out_tui). Each interval writes a header line (time, interval, sites,
 * drops), a line per process (threads, goroutines), then one row per site
 * in the order given (bw_agg__sites(..., BW_SORT_BLOCKED, ...): most
 * blocked first):
 *
 *   BLOCKED WAITS P50 P99 MAX OLDEST KIND REASON SITE
 *
 * WAITS and the wait durations are the interval's completed waits; OLDEST
 * starts with ">=" when the oldest waiter was already blocked when first
 * seen; SITE is "func (file:line) <- caller <- caller" from the site's focus
 * frame, cut to the width. Goroutine sites add a "created by" line, and
 * full_stacks lists every frame. Everything from the target is escaped
 * for the terminal (escape.h): no control sequence can reach the tty.
 */
#ifndef BW_OUT_TERM_H
#define BW_OUT_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "drops.h"

#define BW_TERM_DEFAULT_TOP 20

struct bw_out_term_opts {
	int top;	    /* sites per interval; 0: BW_TERM_DEFAULT_TOP, < 0: all */
	bool full_stacks;   /* every frame of a site under its row (-v) */
	bool kernel_stacks; /* with full_stacks: the kernel frames too */
	bool verdicts;	    /* the trend detector judged the sites: a TREND column */
	int width;	    /* columns to fit rows in; 0: no limit */
};

/* What one interval's table shows. */
struct bw_term_interval {
	uint64_t ts_ns; /* CLOCK_REALTIME */
	double interval_s;
	bool final; /* the last report of the run */
	const struct bw_proc_summary *procs;
	size_t nprocs;
	struct bw_site *const *sites; /* shown in this order */
	size_t nsites;
	const struct bw_drops *drops; /* since attach; NULL: none counted */
};

struct bw_out_term;

/* f stays the caller's. NULL and errno on failure. */
struct bw_out_term *bw_out_term__new(FILE *f, const struct bw_out_term_opts *opts);
void bw_out_term__free(struct bw_out_term *t);
/* Write one interval's table and flush. 0 or a negative errno. */
int bw_out_term__write(struct bw_out_term *t, const struct bw_term_interval *iv);

/*
 * A duration for people, in at most 10 characters, truncated (never rounded
 * up): 850ns, 12.3us, 4.1ms, 2.5s, 3m12s, 2h05m, 3d04h. Returns what
 * snprintf returns.
 */
int bw_format_duration(uint64_t ns, char *buf, size_t size);

#endif /* BW_OUT_TERM_H */
