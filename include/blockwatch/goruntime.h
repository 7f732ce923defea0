/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records shared by bpf/goruntime.bpf.c and userspace: the goroutine
 * detail mode (uprobes in the Go runtime's blocking paths only).
 */
#ifndef BLOCKWATCH_GORUNTIME_H
#define BLOCKWATCH_GORUNTIME_H

#include "blockwatch/common.h"

/* Return addresses read at a park to tell its site without a stack walk. */
#define BW_GO_SITE_DEPTH 8

/*
 * A goroutine, by the address of its runtime.g: what the probes have in a
 * register, so no read of its goid. A g outlives its goroutine and is
 * reused by a later one, whose first park overwrites the entry.
 */
struct bw_go_key {
	__u32 tgid;
	__u32 pad;
	__u64 g;
};

/* A goroutine parked since park_ns, at site (see bw_go_site_key). */
struct bw_go_park {
	__u64 park_ns; /* 0: not parked now (readied; the entry is reused) */
	__u64 site;    /* hash of the return addresses and the wait reason */
	__u64 lock;    /* gopark's lock argument: e.g. &hchan.lock for channels */
	__u32 reason;  /* gopark's waitReason */
	__u32 pad;
};

struct bw_go_site_key {
	__u32 tgid;
	__u32 reason;
	__u64 site;
};

/* Completed goroutine waits at one site, exact in the kernel. */
struct bw_go_wait_stats {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 hist[BW_HIST_SLOTS];
};

/* The full user stack of a site, captured once, when the site is new. */
struct bw_go_stack {
	__u32 tgid;
	__u32 nframes;
	__u64 frames[BW_MAX_STACK_DEPTH];
};

enum bw_go_counter {
	BW_GO_PARKS = 0,
	BW_GO_READIES = 1,
	BW_GO_READY_UNKNOWN = 2, /* readied, never seen parking (parked before attach) */
	BW_GO_PARKED_FULL = 3,	 /* parked map full: a park not timed */
	BW_GO_WAITS_FULL = 4,	 /* per-site map full: a wait not counted */
	BW_GO_STACKS_FULL = 5,	 /* stack map full or stack unreadable */
	BW_GO_READ_FAULT = 6,	 /* target memory unreadable at probe time */
	BW_GO_SAMPLED_OUT = 7,	 /* parks skipped by --sample */
	BW_GO_COUNTERS = 8,
};

/* Rows of counters, one per CPU (CPUs beyond share rows): a power of two. */
#define BW_GO_COUNTER_CPUS 256

#endif /* BLOCKWATCH_GORUNTIME_H */
