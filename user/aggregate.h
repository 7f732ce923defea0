/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator: every blocked thread or goroutine seen in a snapshot, and
 * every completed wait counted by the kernel, folded into blocking sites.
 *
 * A site is (process, kind, reason, user stack). Each interval the producers
 * (thread iterator, goroutine reader, BPF wait maps) call
 *
 *	bw_agg__begin(agg, now);
 *	bw_agg__add_waiter(agg, &w);      for each waiter blocked now
 *	bw_agg__add_completed(agg, &c);   for each site's new completed waits
 *	bw_agg__end(agg);
 *
 * and the outputs read the sites. Waiters are tracked across snapshots by
 * (pid, waiter id) so that each one's age is known even when the producer
 * cannot say when the wait began. The aggregator knows nothing of BPF,
 * /proc or symbols: frames are named once, when a site is created, through
 * the resolve callback.
 */
#ifndef BW_AGGREGATE_H
#define BW_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "blockwatch/common.h"
#include "blockwatch/goruntime.h"
#include "symbolizer.h"

enum bw_site_kind {
	BW_KIND_FUTEX = 0,     /* a thread in a futex wait */
	BW_KIND_OFFCPU = 1,    /* a thread asleep in any other way */
	BW_KIND_GOROUTINE = 2, /* a parked goroutine */
	BW_KIND__COUNT
};

const char *bw_site_kind_name(enum bw_site_kind kind);

#define BW_REASON_LEN 48

/*
 * A frame with its names, owned by its site. Where the compiler inlined
 * calls, one address stands for several frames, consecutive and with the
 * same addr: the inlined callees (inlined = true), innermost first, then the
 * function they were inlined into.
 */
struct bw_frame_name {
	uint64_t addr;
	char *function; /* NULL when unknown */
	uint64_t offset;
	char *file;
	int line;
	char *module;
	bool inlined;
};

/* One waiter blocked right now, as a producer saw it. */
struct bw_waiter_in {
	pid_t pid;
	uint64_t waiter_id; /* tid or goid */
	enum bw_site_kind kind;
	const char *reason;	/* "futex_wait", "nanosleep", "chan receive"... */
	const uint64_t *frames; /* user stack, innermost first */
	int nframes;
	const uint64_t *kframes; /* kernel stack, may be NULL */
	int nkframes;
	uint64_t start_ns;	/* CLOCK_MONOTONIC start of this wait; 0: unknown */
	uint64_t start_hint_ns; /* a lower bound of the start, used when first seen */
	uint64_t object;	/* futex or channel address, 0 if none */
	uint64_t created_by;	/* PC of the go statement, 0 if none */
};

/* Completed waits at one site since the previous interval. */
struct bw_completed_in {
	pid_t pid;
	enum bw_site_kind kind;
	const char *reason;
	const uint64_t *frames;
	int nframes;
	const uint64_t *kframes;
	int nkframes;
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns;
	const uint64_t *hist; /* BW_HIST_SLOTS buckets, may be NULL */
	uint32_t waker_pid;   /* 0 if unknown */
	const char *waker_comm;
};

struct bw_site {
	uint64_t id;
	pid_t pid;
	enum bw_site_kind kind;
	char reason[BW_REASON_LEN];
	int nframes; /* named frames: inlined calls make them more than the addresses */
	struct bw_frame_name *frames;
	int nkframes;
	struct bw_frame_name *kframes;
	/*
	 * The frame that names the site for people: the first frame of the
	 * program's own code, past the Go runtime and the sync package
	 * (goroutines) or libc and the dynamic loader (threads).
	 */
	int focus;
	uint64_t created_by;
	/* where calls were inlined, the innermost: the go statement's own function and line */
	struct bw_frame_name created_by_name;

	/* blocked now, as of the latest snapshot */
	uint32_t blocked;
	uint32_t objects; /* distinct futexes or channels */
	uint64_t oldest_age_ns;
	uint64_t oldest_waiter;	    /* its tid or goid */
	bool oldest_is_lower_bound; /* first seen, start unknown: at least this old */
	uint64_t age_sum_ns;
	uint64_t age_hist[BW_HIST_SLOTS];

	/* completed waits */
	uint64_t waits_interval;
	uint64_t waits_total;
	uint64_t wait_ns_interval;
	uint64_t wait_ns_total;
	uint64_t wait_max_interval_ns;
	uint64_t wait_max_ns;
	uint64_t wait_hist_interval[BW_HIST_SLOTS];
	uint64_t wait_hist[BW_HIST_SLOTS];
	uint32_t last_waker_pid;
	char last_waker_comm[BW_COMM_LEN];

	/*
	 * The trend detector's judgement of this interval (filled by the
	 * report writer through user/trend.h): verdict 0 ok, 1 suspect, 2 leak.
	 */
	uint8_t verdict;
	double growth_per_min;
	double confidence;
	double growing_for_s;

	uint64_t first_seen_ns;
	uint64_t last_active_ns; /* last snapshot with a waiter or a completed wait */

	/* "blocked now" per interval, oldest first, at most history_cap samples */
	uint32_t *history;
	/* the same samples, counting only waiters at least aged_ns old (trend evidence) */
	uint32_t *aged_history;
	size_t history_len;

	/* scratch of the aggregator */
	uint32_t seen_blocked;
	uint64_t seen_oldest_age;
	uint64_t seen_oldest_waiter;
	bool seen_lower_bound;
	uint64_t seen_age_sum;
	uint64_t seen_age_hist[BW_HIST_SLOTS];
	uint32_t seen_objects;
	uint32_t seen_aged;
};

/* Per-process totals for the summary line. */
struct bw_proc_summary {
	pid_t pid;
	char comm[BW_COMM_LEN];
	bool is_go;
	char go_version[24];
	char cgroup[256];      /* cgroup v2 path, "" if unknown */
	char container_id[65]; /* from the cgroup path, "" when not in a container */
	char pod_uid[37];      /* Kubernetes pod, "" when not in one */
	uint64_t threads;
	uint64_t threads_blocked;
	uint64_t goroutines; /* as runtime.NumGoroutine() counts: the runtime's own excluded */
	uint64_t goroutines_system;  /* the runtime's own (GC workers, sweeper, finalizer...) */
	uint64_t goroutines_waiting; /* these and the next three include the runtime's own */
	uint64_t goroutines_runnable;
	uint64_t goroutines_running;
	uint64_t goroutines_syscall;
	/*
	 * Detail mode (go_detail): its probes' counters since they were loaded
	 * (enum bw_go_counter). The processes of one binary share its probes,
	 * so they show the same counters.
	 */
	bool go_detail;
	uint64_t go_probes[BW_GO_COUNTERS];
	/* --sample: one goroutine in go_sample_every timed, completed-wait counts scaled by it */
	uint32_t go_sample_every;
};

/*
 * Name the code at addr: fill out[0..n) innermost first, n in 1..max (see
 * bw_symbolizer__resolve_frames: calls inlined at addr, then the function
 * they are in) and return n, or a negative errno: the frame stays unnamed.
 */
typedef int (*bw_resolve_fn)(void *ctx, pid_t pid, uint64_t addr, bool kernel, bool is_return,
			     struct bw_frame_info *out, int max);

struct bw_agg_opts {
	bw_resolve_fn resolve; /* may be NULL: frames stay unnamed */
	void *resolve_ctx;
	size_t history_cap; /* samples of "blocked now" kept per site */
	uint64_t aged_ns;   /* age that counts a waiter in aged_history; 0: 60 s */
	size_t max_sites;   /* idle sites are evicted beyond this */
};

struct bw_agg;

struct bw_agg *bw_agg__new(const struct bw_agg_opts *opts);
void bw_agg__free(struct bw_agg *agg);

void bw_agg__begin(struct bw_agg *agg, uint64_t now_ns);
int bw_agg__add_waiter(struct bw_agg *agg, const struct bw_waiter_in *w);
int bw_agg__add_completed(struct bw_agg *agg, const struct bw_completed_in *c);
/* Close the interval: counts, ages, history; forget waiters not seen. */
void bw_agg__end(struct bw_agg *agg);
/*
 * An interval of completed waits alone, closed by bw_agg__end(): only
 * bw_agg__add_completed() in between. For a report with no snapshot to
 * take (the targets are gone, or were read a moment ago): its waits are
 * those since the previous interval, what is blocked stays as the latest
 * snapshot saw it, and no sample is added to the histories.
 */
void bw_agg__begin_waits(struct bw_agg *agg, uint64_t now_ns);

/* Forget a process's waiters and sites (it exited, or exec()ed). */
void bw_agg__forget_process(struct bw_agg *agg, pid_t pid);

enum bw_sort {
	BW_SORT_BLOCKED = 0, /* most blocked now first */
	BW_SORT_OLDEST = 1,
	BW_SORT_WAITS = 2, /* most completed waits in the interval */
	BW_SORT_MAX_WAIT = 3,
};

/*
 * The sites active in the latest interval (or blocked now), sorted; *out is
 * malloc'ed, the sites stay owned by agg until the next bw_agg__end.
 */
int bw_agg__sites(struct bw_agg *agg, enum bw_sort sort, struct bw_site ***out, size_t *n);
size_t bw_agg__site_count(const struct bw_agg *agg);
uint64_t bw_agg__now(const struct bw_agg *agg);
/* Sites evicted because max_sites was reached: reported, never silent. */
uint64_t bw_agg__evicted(const struct bw_agg *agg);

/* The identity of a site, the same for the same arguments. */
uint64_t bw_site_id(pid_t pid, enum bw_site_kind kind, const char *reason, const uint64_t *frames,
		    int nframes);

#endif /* BW_AGGREGATE_H */
