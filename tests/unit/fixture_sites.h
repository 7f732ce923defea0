/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sites built by the real aggregator for the output tests (Prometheus,
 * pprof, folded): a fake symbolizer that names a few addresses, hostile
 * names included, and helpers that feed waiters and completed waits.
 * Header-only: each test binary includes it once.
 */
#ifndef BW_TEST_FIXTURE_SITES_H
#define BW_TEST_FIXTURE_SITES_H

#include <stdio.h>

#include "aggregate.h"
#include "hist.h"

#define FX_NS 1000000000ULL
#define FX_GEN_BASE 0x100000ULL /* fx_gen_frame(i): main.gen<i> at gen.go:<i+1> */

/* A symbol name with a terminal escape, a newline, a quote, ';', a space and bad bytes. */
static const char fx_evil_name[] = "main.evil\x1b[2J\n\"x\\;y z\xff\xc2\x9b";

static int fx_resolve(void *ctx, pid_t pid, uint64_t addr, bool kernel, bool is_return,
		      struct bw_frame_info *out, int max)
{
	static char gen[32]; /* the aggregator copies names at once */

	(void)ctx;
	(void)pid;
	(void)is_return;
	(void)max;
	out->addr = addr;
	if (kernel) {
		out->function = "futex_wait_queue";
		out->module = "[kernel]";
		return 1;
	}
	if (addr >= FX_GEN_BASE && addr < FX_GEN_BASE + 100000) {
		snprintf(gen, sizeof(gen), "main.gen%u", (unsigned int)(addr - FX_GEN_BASE));
		out->function = gen;
		out->file = "/src/app/gen.go";
		out->line = (int)(addr - FX_GEN_BASE) + 1;
		out->module = "/usr/bin/app";
		return 1;
	}
	switch (addr) {
	case 0x1000:
		out->function = "runtime.gopark";
		out->file = "/usr/lib/go/src/runtime/proc.go";
		out->line = 364;
		break;
	case 0x2000:
		out->function = "main.worker";
		out->file = "/src/app/main.go";
		out->line = 42;
		break;
	case 0x3000:
		out->function = "main.main";
		out->file = "/src/app/main.go";
		out->line = 20;
		break;
	case 0x4000:
		out->function = fx_evil_name;
		out->file = "/src/evil\"\\\n.c";
		out->line = 7;
		break;
	default:
		return -2; /* unknown: the frame stays unnamed */
	}
	out->module = "/usr/bin/app";
	return 1;
}

static inline uint64_t fx_gen_frame(unsigned int i)
{
	return FX_GEN_BASE + i;
}

/* The process summaries the tests' reports point to (struct bw_report.procs). */
static struct bw_proc_summary fx_procs[16];

static const uint64_t fx_go_stack[] = { 0x1000, 0x2000, 0x3000 };
static const uint64_t fx_thread_stack[] = { 0x4000, 0x9999 };
static const uint64_t fx_kstack[] = { 0xffffffff81000000ULL };

static struct bw_agg *fx_new_agg(void)
{
	struct bw_agg_opts opts = { .resolve = fx_resolve };

	return bw_agg__new(&opts);
}

/* n waiters with ids id0.. at one site; returns the first error. */
static int fx_waiters(struct bw_agg *agg, pid_t pid, enum bw_site_kind kind, const char *reason,
		      const uint64_t *frames, int nframes, unsigned int n, uint64_t id0)
{
	struct bw_waiter_in w = {
		.pid = pid, .kind = kind, .reason = reason, .frames = frames, .nframes = nframes
	};
	int err = 0;

	for (unsigned int i = 0; i < n && !err; i++) {
		w.waiter_id = id0 + i;
		err = bw_agg__add_waiter(agg, &w);
	}
	return err;
}

/* Completed waits: hist[slot] = count per (slot, count) pair given in slots/counts. */
static int fx_completed(struct bw_agg *agg, pid_t pid, enum bw_site_kind kind, const char *reason,
			const uint64_t *frames, int nframes, const unsigned int *slots,
			const uint64_t *counts, int nslots, uint64_t total_ns)
{
	uint64_t hist[BW_HIST_SLOTS] = { 0 }, count = 0;
	struct bw_completed_in c = { .pid = pid,
				     .kind = kind,
				     .reason = reason,
				     .frames = frames,
				     .nframes = nframes,
				     .total_ns = total_ns,
				     .hist = hist };

	for (int i = 0; i < nslots; i++) {
		hist[slots[i]] += counts[i];
		count += counts[i];
		c.max_ns = bw_hist_slot_low(slots[i]);
	}
	c.count = count;
	return bw_agg__add_completed(agg, &c);
}

/*
 * The common scene, two intervals (10 s and 12 s): pid 100 has three
 * goroutines in "chan receive" at main.worker, and one thread in a futex
 * wait under the evil name (started at 1 s, kernel frame known) whose site
 * also completed 10 waits of about 3 us.
 */
static struct bw_agg *fx_common_scene(void)
{
	static const unsigned int slots[] = { 11 };
	static const uint64_t counts[] = { 10 };
	struct bw_agg *agg = fx_new_agg();
	struct bw_waiter_in t = { .pid = 100,
				  .waiter_id = 555,
				  .kind = BW_KIND_FUTEX,
				  .reason = "futex_wait",
				  .frames = fx_thread_stack,
				  .nframes = 2,
				  .kframes = fx_kstack,
				  .nkframes = 1,
				  .start_ns = 1 * FX_NS,
				  .object = 0xdead0 };

	if (!agg)
		return NULL;
	bw_agg__begin(agg, 10 * FX_NS);
	fx_waiters(agg, 100, BW_KIND_GOROUTINE, "chan receive", fx_go_stack, 3, 3, 1);
	bw_agg__end(agg);
	bw_agg__begin(agg, 12 * FX_NS);
	fx_waiters(agg, 100, BW_KIND_GOROUTINE, "chan receive", fx_go_stack, 3, 3, 1);
	bw_agg__add_waiter(agg, &t);
	fx_completed(agg, 100, BW_KIND_FUTEX, "futex_wait", fx_thread_stack, 2, slots, counts, 1,
		     30000);
	bw_agg__end(agg);
	return agg;
}

#endif /* BW_TEST_FIXTURE_SITES_H */
