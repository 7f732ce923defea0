/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pprof output (--pprof PATH): what is blocked now, as a gzip-compressed
 * protobuf in the format of github.com/google/pprof's profile.proto, read
 * by `go tool pprof` and the tools that speak it. Every report replaces
 * PATH atomically (safefile.h).
 *
 * One sample per site with goroutines or threads blocked now:
 *   values     [blocked "count", age "nanoseconds"] (age: the sum of the
 *              ages of the site's waiters, so -sample_index=age ranks sites
 *              by the waiting they hold); the default is "blocked"
 *   locations  the site's frames, leaf first (kernel frames, if captured,
 *              before the user frames), each with its address and, when
 *              named, its function, file and line
 *   labels     reason, kind, comm, verdict, site (strings), pid, oldest_age
 *              (nanoseconds) and age_lower_bound="true" when the oldest age
 *              is only a lower bound
 * Strings from the target go through bw_escape_term: pprof prints them raw
 * to terminals. The protobuf encoder is the small subset profile.proto
 * needs (varints and length-delimited fields).
 */
#ifndef BW_OUT_PPROF_H
#define BW_OUT_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "safefile.h"

struct bw_pprof_opts {
	uint64_t time_ns; /* the profile's time_nanos (CLOCK_REALTIME), 0: none */
};

/* The uncompressed Profile message; *buf is malloc'ed. 0 or -ENOMEM. */
int bw_pprof_encode(const struct bw_report *rep, const struct bw_pprof_opts *opts, uint8_t **buf,
		    size_t *len);
/* The gzip-compressed profile, as pprof reads it. 0, -ENOMEM or -EIO. */
int bw_pprof_write(FILE *f, const struct bw_report *rep, const struct bw_pprof_opts *opts);

/*
 * The file, replaced by bw_report_file__update(file, rep), time_ns the time
 * of each update. Fails (NULL, errno) when PATH cannot be replaced safely
 * (bw_safefile_check).
 */
struct bw_report_file *bw_out_pprof__new(const char *path);

#endif /* BW_OUT_PPROF_H */
