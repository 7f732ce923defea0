/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Go detail mode's probe counters over every binary probed since attach.
 * The processes of one binary share its probes and so its counters
 * (godetail.h): summed process by process, a binary would count as many
 * times as it has processes. Here each binary counts once, and a binary
 * whose counters start over (its probes released with its last process,
 * loaded again for a new one) adds the new ones to what it counted before.
 */
#ifndef BW_GOTOTALS_H
#define BW_GOTOTALS_H

#include <stdint.h>

#include "blockwatch/goruntime.h"
#include "u64map.h"

struct bw_go_totals {
	struct bw_u64map bins; /* binary key -> its counts */
};

void bw_go_totals__init(struct bw_go_totals *gt);
void bw_go_totals__free(struct bw_go_totals *gt);
/*
 * The counters of the binary known by key (any number that tells binaries
 * apart), as read now from one of its processes. 0 or -ENOMEM.
 */
int bw_go_totals__update(struct bw_go_totals *gt, uint64_t key, const uint64_t *counters);
/* Every binary's counts since attach, counter by counter (out[BW_GO_COUNTERS]). */
void bw_go_totals__sum(const struct bw_go_totals *gt, uint64_t *out);

#endif /* BW_GOTOTALS_H */
