/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What blockwatch had to drop, as every output shows it: the kernel side's
 * counters (enum bw_drop_kind, read from the BPF .bss), the user side's,
 * then those of Go detail mode's probes. Counters are cumulative since
 * attach; outputs that show an interval's losses keep the previous value
 * and subtract (bw_drops_delta). Also the names of the detail probes'
 * counters (enum bw_go_counter), drops and events alike.
 */
#ifndef BW_DROPS_H
#define BW_DROPS_H

#include <stdint.h>

#include "blockwatch/goruntime.h"
#include "blockwatch/threads.h"

enum bw_drops_index {
	/* 0 .. BW_DROP_KINDS - 1: enum bw_drop_kind, the kernel side */
	BW_DROPS_SITES_EVICTED = BW_DROP_KINDS, /* idle sites forgotten past max_sites */
	/* Go detail mode's probes, over every binary probed (enum bw_go_counter) */
	BW_DROPS_GO_PARKED_FULL, /* a park not timed */
	BW_DROPS_GO_WAITS_FULL,	 /* a completed goroutine wait not counted */
	BW_DROPS_GO_STACKS_FULL, /* a goroutine site's stack not kept */
	BW_DROPS_GO_READ_FAULT,	 /* a park or ready not seen: target memory unreadable */
	BW_DROPS__COUNT,
};

struct bw_drops {
	uint64_t count[BW_DROPS__COUNT];
};

/* The name of a counter in every output: JSON keys, table headers, metric labels. */
static inline const char *bw_drops_name(unsigned int i)
{
	static const char *const names[BW_DROPS__COUNT] = {
		[BW_DROP_RINGBUF] = "ringbuf",
		[BW_DROP_SLEEPERS_FULL] = "sleepers_full",
		[BW_DROP_WAITS_FULL] = "waits_full",
		[BW_DROP_USTACK] = "ustack",
		[BW_DROP_KSTACK] = "kstack",
		[BW_DROP_SLEEPS_UNSEEN] = "sleeps_unseen",
		[BW_DROP_ENDS_UNSEEN] = "ends_unseen",
		[BW_DROPS_SITES_EVICTED] = "sites_evicted",
		[BW_DROPS_GO_PARKED_FULL] = "go_parked_full",
		[BW_DROPS_GO_WAITS_FULL] = "go_waits_full",
		[BW_DROPS_GO_STACKS_FULL] = "go_stacks_full",
		[BW_DROPS_GO_READ_FAULT] = "go_read_fault",
	};

	return i < BW_DROPS__COUNT ? names[i] : "unknown";
}

/* A detail probe counter's name in every output: JSON keys, metric labels. */
static inline const char *bw_go_counter_name(unsigned int i)
{
	static const char *const names[BW_GO_COUNTERS] = {
		[BW_GO_PARKS] = "parks",
		[BW_GO_READIES] = "readies",
		[BW_GO_READY_UNKNOWN] = "ready_unknown",
		[BW_GO_PARKED_FULL] = "parked_full",
		[BW_GO_WAITS_FULL] = "waits_full",
		[BW_GO_STACKS_FULL] = "stacks_full",
		[BW_GO_READ_FAULT] = "read_fault",
		[BW_GO_SAMPLED_OUT] = "sampled_out",
	};

	return i < BW_GO_COUNTERS ? names[i] : "unknown";
}

/*
 * All of them in one place: kernel[BW_DROP_KINDS] from the thread probes,
 * go[BW_GO_COUNTERS] the detail probes' counters (their drops only count).
 */
static inline void bw_drops_fill(struct bw_drops *d, const uint64_t *kernel, uint64_t sites_evicted,
				 const uint64_t *go)
{
	for (unsigned int i = 0; i < BW_DROP_KINDS; i++)
		d->count[i] = kernel[i];
	d->count[BW_DROPS_SITES_EVICTED] = sites_evicted;
	d->count[BW_DROPS_GO_PARKED_FULL] = go[BW_GO_PARKED_FULL];
	d->count[BW_DROPS_GO_WAITS_FULL] = go[BW_GO_WAITS_FULL];
	d->count[BW_DROPS_GO_STACKS_FULL] = go[BW_GO_STACKS_FULL];
	d->count[BW_DROPS_GO_READ_FAULT] = go[BW_GO_READ_FAULT];
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
