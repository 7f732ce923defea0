/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What blockwatch had to drop, as every output shows it: the kernel side's
 * counters (enum bw_drop_kind, read from the BPF .bss) followed by the
 * user side's. Counters are cumulative since attach; outputs that show an
 * interval's losses keep the previous value and subtract (bw_drops_delta).
 */
#ifndef BW_DROPS_H
#define BW_DROPS_H

#include <stdint.h>

#include "blockwatch/threads.h"

enum bw_drops_index {
	/* 0 .. BW_DROP_KINDS - 1: enum bw_drop_kind, the kernel side */
	BW_DROPS_SITES_EVICTED = BW_DROP_KINDS, /* idle sites forgotten past max_sites */
	BW_DROPS__COUNT,
};

struct bw_drops {
	uint64_t count[BW_DROPS__COUNT];
};

/* The name of a counter in every output: JSON keys, table headers, metric labels. */
static inline const char *bw_drops_name(unsigned int i)
{
	static const char *const names[BW_DROPS__COUNT] = {
		[BW_DROP_RINGBUF] = "ringbuf",	     [BW_DROP_SLEEPERS_FULL] = "sleepers_full",
		[BW_DROP_WAITS_FULL] = "waits_full", [BW_DROP_USTACK] = "ustack",
		[BW_DROP_KSTACK] = "kstack",	     [BW_DROPS_SITES_EVICTED] = "sites_evicted",
	};

	return i < BW_DROPS__COUNT ? names[i] : "unknown";
}

/* out = now - prev, counter by counter (a counter that went back counts from 0). */
static inline void bw_drops_delta(const struct bw_drops *now, const struct bw_drops *prev,
				  struct bw_drops *out)
{
	for (unsigned int i = 0; i < BW_DROPS__COUNT; i++)
		out->count[i] = now->count[i] >= prev->count[i] ? now->count[i] - prev->count[i]
								: now->count[i];
}

static inline uint64_t bw_drops_total(const struct bw_drops *d)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < BW_DROPS__COUNT; i++)
		total += d->count[i];
	return total;
}

#endif /* BW_DROPS_H */
