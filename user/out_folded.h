/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Folded stacks (--folded PATH) for flame graphs: flamegraph.pl, inferno,
 * speedscope. Every report replaces PATH atomically (safefile.h) with one
 * line per site,
 *
 *	comm;outermost;...;innermost[;kernel frames...];[reason] COUNT
 *
 * root first. COUNT is the number blocked now (sites with none are left
 * out), or with opts.waits the waits completed in the interval. Frames
 * without a name are written 0xADDR. Names come from the target: they go
 * through bw_escape_term (no control character, newline or invalid UTF-8
 * survives) and ';', the frame separator, becomes ':'. Spaces are kept:
 * every folded-stack reader splits the count off at the last space.
 */
#ifndef BW_OUT_FOLDED_H
#define BW_OUT_FOLDED_H

#include <stdbool.h>
#include <stdio.h>

#include "report.h"
#include "safefile.h"

struct bw_folded_opts {
	bool waits;	/* count completed waits of the interval, not waiters blocked now */
	bool no_reason; /* leave out the "[reason]" leaf frame */
};

/* Write the folded stacks of rep's sites to f. 0, -ENOMEM or -EIO. */
int bw_folded_write(FILE *f, const struct bw_report *rep, const struct bw_folded_opts *opts);

/*
 * The file, replaced by bw_report_file__update(file, rep); opts may be NULL.
 * Fails (NULL, errno) when PATH cannot be replaced safely (bw_safefile_check).
 */
struct bw_report_file *bw_out_folded__new(const char *path, const struct bw_folded_opts *opts);

#endif /* BW_OUT_FOLDED_H */
