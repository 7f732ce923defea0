/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sites built by the real aggregator for the output tests (JSON, tables,
 * Prometheus, pprof, folded, flame graph): a fake symbolizer that names a
 * few addresses, hostile names included, helpers that feed waiters and
 * completed waits, and a memory stream for an output to write to.
 * Header-only: each test binary includes it once.
 */
#ifndef BW_TEST_FIXTURE_SITES_H
#define BW_TEST_FIXTURE_SITES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "hist.h"
#include "report.h"

#define FX_NS 1000000000ULL
#define FX_GEN_BASE 0x100000ULL /* fx_gen_frame(i): main.gen<i> at gen.go:<i+1> */

/* A symbol name with a terminal escape, a newline, a quote, ';', a space and bad bytes. */
static const char fx_evil_name[] = "main.evil\x1b[2J\n\"x\\;y z\xff\xc2\x9b";
/* Another, with an OSC title sequence and a BEL, for the terminal. */
static const char fx_osc_name[] = "evil\x1b[2J\x1b]0;owned\x07\n";
static const char fx_long_name[] =
	"github.com/example/very/long/package/path/internal/server.(*connectionHandler)."
	"serveRequestsUntilTheClientGoesAway";

/* What the fake symbolizer knows, all in module /usr/bin/app. */
static const struct {
	uint64_t addr, offset;
	const char *function, *file;
	int line;
} fx_names[] = {
	{ 0x1000, 0, "runtime.gopark", "/usr/lib/go/src/runtime/proc.go", 364 },
	{ 0x2000, 0x2a, "main.worker", "/src/app/main.go", 42 },
	{ 0x3000, 0, "main.main", "/src/app/main.go", 20 },
	{ 0x4000, 0, fx_evil_name, "/src/evil\"\\\n.c", 7 },
	{ 0x5000, 0, fx_long_name, "/src/server/handler.go", 1234 },
	{ 0x6000, 0, "main.sleeper", "/src/app/sleep.c", 9 },
	{ 0x7000, 0, fx_osc_name, "/src/e\x1b.c", 7 },
};

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
	for (size_t i = 0; i < sizeof(fx_names) / sizeof(fx_names[0]); i++) {
		if (fx_names[i].addr != addr)
			continue;
		out->function = fx_names[i].function;
		out->offset = fx_names[i].offset;
		out->file = fx_names[i].file;
		out->line = fx_names[i].line;
		out->module = "/usr/bin/app";
		return 1;
	}
	return -2; /* unknown: the frame stays unnamed */
}

static inline uint64_t fx_gen_frame(unsigned int i)
{
	return FX_GEN_BASE + i;
}

/* The process summaries the tests' reports point to (struct bw_report.procs). */
static struct bw_proc_summary fx_procs[16] __attribute__((unused));

/* A report of agg's sites, 2 s interval, one process: pid 100 "app" (fx_procs[0]). */
static inline struct bw_report fx_report(struct bw_agg *agg)
{
	struct bw_report rep = { .agg = agg, .interval_s = 2, .nprocs = 1 };

	memset(fx_procs, 0, sizeof(fx_procs));
	rep.procs = fx_procs;
	fx_procs[0].pid = 100;
	strcpy(fx_procs[0].comm, "app");
	return rep;
}

static const uint64_t fx_go_stack[] = { 0x1000, 0x2000, 0x3000 };
static const uint64_t fx_thread_stack[] = { 0x4000, 0x9999 };
static const uint64_t fx_kstack[] = { 0xffffffff81000000ULL };

/* Goroutines of pid 100 in "chan receive" at main.worker, started at main.main. */
static const struct bw_waiter_in fx_go_waiter = { .pid = 100,
						  .kind = BW_KIND_GOROUTINE,
						  .reason = "chan receive",
						  .frames = fx_go_stack,
						  .nframes = 3,
						  .created_by = 0x3000 };

static inline struct bw_agg *fx_new_agg(void)
{
	struct bw_agg_opts opts = { .resolve = fx_resolve };

	return bw_agg__new(&opts);
}

/* n waiters like w, with ids id0..; returns the first error. */
static inline int fx_add_waiters(struct bw_agg *agg, const struct bw_waiter_in *w, unsigned int n,
				 uint64_t id0)
{
	struct bw_waiter_in one = *w;
	int err = 0;

	for (unsigned int i = 0; i < n && !err; i++) {
		one.waiter_id = id0 + i;
		err = bw_agg__add_waiter(agg, &one);
	}
	return err;
}

/* n waiters with ids id0.. at one site; returns the first error. */
static inline int fx_waiters(struct bw_agg *agg, pid_t pid, enum bw_site_kind kind,
			     const char *reason, const uint64_t *frames, int nframes,
			     unsigned int n, uint64_t id0)
{
	struct bw_waiter_in w = {
		.pid = pid, .kind = kind, .reason = reason, .frames = frames, .nframes = nframes
	};

	return fx_add_waiters(agg, &w, n, id0);
}

/* Completed waits: hist[slot] = count per (slot, count) pair given in slots/counts. */
static inline int fx_completed(struct bw_agg *agg, pid_t pid, enum bw_site_kind kind,
			       const char *reason, const uint64_t *frames, int nframes,
			       const unsigned int *slots, const uint64_t *counts, int nslots,
			       uint64_t total_ns)
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
 * goroutines in "chan receive" at main.worker, started at main.main, and one
 * thread in a futex wait under the evil name (started at 1 s, kernel frame
 * known) whose site also completed 10 waits of about 3 us, the last one
 * ended by pid 101 "waker\x1b".
 */
static inline struct bw_agg *fx_common_scene(void)
{
	uint64_t hist[BW_HIST_SLOTS] = { 0 };
	struct bw_agg *agg = fx_new_agg();
	struct bw_completed_in c = { .pid = 100,
				     .kind = BW_KIND_FUTEX,
				     .reason = "futex_wait",
				     .frames = fx_thread_stack,
				     .nframes = 2,
				     .count = 10,
				     .total_ns = 30000,
				     .max_ns = 3500,
				     .hist = hist,
				     .waker_pid = 101,
				     .waker_comm = "waker\x1b" };
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
	hist[bw_hist_slot(3000)] = 10;
	bw_agg__begin(agg, 10 * FX_NS);
	fx_add_waiters(agg, &fx_go_waiter, 3, 1);
	bw_agg__end(agg);
	bw_agg__begin(agg, 12 * FX_NS);
	fx_add_waiters(agg, &fx_go_waiter, 3, 1);
	bw_agg__add_waiter(agg, &t);
	bw_agg__add_completed(agg, &c);
	bw_agg__end(agg);
	return agg;
}

/* An output's test state: a scene's active sites and a memory stream for the output. */
struct fx_out {
	struct bw_agg *agg;
	struct bw_site **sites; /* most blocked first */
	size_t n;
	char *text;
	size_t len;
	FILE *f;
};

/* Takes agg (freed by fx_out_close). 0, or -1 on failure. */
static inline int fx_out_open(struct fx_out *o, struct bw_agg *agg)
{
	memset(o, 0, sizeof(*o));
	o->agg = agg;
	if (!agg || bw_agg__sites(agg, BW_SORT_BLOCKED, &o->sites, &o->n))
		return -1;
	o->f = open_memstream(&o->text, &o->len);
	return o->f ? 0 : -1;
}

/* What the output wrote; the stream is closed. */
static inline const char *fx_out_text(struct fx_out *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	return o->text;
}

static inline void fx_out_close(struct fx_out *o)
{
	fx_out_text(o);
	free(o->text);
	free(o->sites);
	bw_agg__free(o->agg);
}

#endif /* BW_TEST_FIXTURE_SITES_H */
