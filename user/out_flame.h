/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A flame graph of what is blocked (--flamegraph PATH), drawn by blockwatch
 * itself as one SVG file: Debian packages no flamegraph.pl. Every report
 * replaces PATH atomically (safefile.h).
 *
 * Classic orientation, root at the bottom: one tower per process, its root
 * frame "comm (pid)", then the frames outermost to innermost (user, then
 * kernel ones) and on top the wait reason "[chan send]". Stacks that share
 * a prefix share its rectangles, a frame being the same when its function,
 * file and line are. Widths are proportional to the waiters blocked now,
 * or with opts.waits to the waits completed in the interval; sites with
 * none are left out. Colours tell the kind (goroutine blue, futex orange,
 * off-CPU purple, kinds mixed grey); a frame every waiter of which is at a
 * leak-verdict site is red. Each rectangle has a <title> tooltip
 * "function (file:line): N blocked". No script: any SVG viewer shows it.
 *
 * Names come from the target: control characters, invalid UTF-8 and the
 * code points XML forbids are dropped, & < > " ' escaped.
 */
#ifndef BW_OUT_FLAME_H
#define BW_OUT_FLAME_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "report.h"
#include "safefile.h"

struct bw_flame_opts {
	bool waits;   /* completed waits of the interval, not waiters blocked now */
	time_t when;  /* the time in the header; 0: now */
	double width; /* of the image in pixels; 0: 1200 */
};

/* Write rep's sites as an SVG flame graph to f. 0, -ENOMEM or -EIO. */
int bw_flame_write(FILE *f, const struct bw_report *rep, const struct bw_flame_opts *opts);

/*
 * The file, replaced by bw_report_file__update(file, rep); opts may be NULL.
 * Fails (NULL, errno) when PATH cannot be replaced safely (bw_safefile_check).
 */
struct bw_report_file *bw_out_flame__new(const char *path, const struct bw_flame_opts *opts);

#endif /* BW_OUT_FLAME_H */
