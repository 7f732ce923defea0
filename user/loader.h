/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The only module that touches libbpf and the skeletons: it loads and
 * attaches the BPF programs, and hands their data to the rest as plain
 * structs. Lifecycle: bw_loader__new -> __add_target -> read... -> __free
 * (which detaches everything; a killed blockwatch leaves nothing behind
 * either: links and maps are file descriptors the kernel closes).
 */
#ifndef BW_LOADER_H
#define BW_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "blockwatch/goruntime.h"
#include "blockwatch/threads.h"
#include "mapdelta.h"

struct bw_loader_opts {
	bool watch_all;	       /* every process, not only targets */
	bool verbose;	       /* libbpf's debug messages on stderr */
	uint32_t max_sleepers; /* 0: defaults from blockwatch/common.h */
	uint32_t max_sites;
	uint32_t max_stacks;
};

struct bw_loader;

/* Open, size, load and attach. NULL and errno on failure (message logged). */
struct bw_loader *bw_loader__new(const struct bw_loader_opts *opts);
void bw_loader__free(struct bw_loader *ld);

int bw_loader__add_target(struct bw_loader *ld, pid_t tgid);
int bw_loader__remove_target(struct bw_loader *ld, pid_t tgid);
/* Sleeps of tgid with their syscall in [lo, hi) are its Go runtime's: no stack is taken. */
int bw_loader__set_go_text(struct bw_loader *ld, pid_t tgid, uint64_t lo, uint64_t hi);

typedef void (*bw_task_fn)(void *ctx, const struct bw_task_record *rec);
/* Run the task iterator over the threads of tgid. Returns 0 or -errno. */
int bw_loader__iter_tasks(struct bw_loader *ld, pid_t tgid, bw_task_fn fn, void *ctx);

/* Completed waits of one site since the previous call (deltas). */
struct bw_wait_delta {
	struct bw_wait_key key;
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns; /* the site's maximum so far */
	uint64_t hist[BW_HIST_SLOTS];
	int32_t kstack_id;
	uint32_t waker_pid;
	char waker_comm[BW_COMM_LEN];
};
typedef void (*bw_wait_fn)(void *ctx, const struct bw_wait_delta *d);
/* Call fn for each site with new completed waits. Returns 0 or -errno. */
int bw_loader__read_waits(struct bw_loader *ld, bw_wait_fn fn, void *ctx);

/* Frames of a stack id (user or kernel map). Returns the count, or -errno. */
int bw_loader__stack(struct bw_loader *ld, int32_t id, bool user, uint64_t *frames, int max);

typedef void (*bw_event_fn)(void *ctx, const struct bw_event *ev);
/* Wait up to timeout_ms for ring-buffer events; returns events handled or -errno. */
int bw_loader__poll(struct bw_loader *ld, int timeout_ms, bw_event_fn fn, void *ctx);

/* Drop counters from the kernel side, BW_DROP_KINDS of them. */
void bw_loader__drops(struct bw_loader *ld, uint64_t out[BW_DROP_KINDS]);

/*
 * ---- Go detail mode (bpf/goruntime.bpf.c) ----
 * One BPF object per Go binary, shared by every process that runs it: the
 * maps are keyed by tgid, and the probes are attached either to one
 * process at a time or once to every process of the binary.
 */

struct bw_go_load_opts {
	uint32_t sample_every; /* 1: every goroutine */
	uint32_t goid_offset;  /* runtime.g.goid, read only to sample (sample_every > 1) */
	uint32_t max_parked;   /* 0: default */
	uint32_t max_sites;
	uint32_t max_stacks;
};

struct bw_go_probes;
/* Probe points: file offsets, already past the stack-guard compare. */
struct bw_go_points {
	uint64_t park_offset;
	uint64_t ready_offset;
};
struct bw_go_links;

/* Load the object, nothing attached yet. NULL and errno on failure (logged). */
struct bw_go_probes *bw_go_probes__load(const struct bw_go_load_opts *opts);
void bw_go_probes__free(struct bw_go_probes *gp);
/* Attach to the binary at path for process pid, or every process of it (pid -1). */
struct bw_go_links *bw_go_probes__attach(struct bw_go_probes *gp, pid_t pid, const char *binary,
					 const struct bw_go_points *at);
void bw_go_links__free(struct bw_go_links *links);

struct bw_go_wait_delta {
	struct bw_go_site_key key;
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns;
	uint64_t hist[BW_HIST_SLOTS];
};
typedef void (*bw_go_wait_fn)(void *ctx, const struct bw_go_wait_delta *d);
/* Prepare md to read the per-site waits map (per-CPU). 0 or -errno. */
int bw_go_probes__waits_delta_init(struct bw_mapdelta *md);
/* pid's completed waits since the previous walk with the same md. */
int bw_go_probes__read_waits(struct bw_go_probes *gp, struct bw_mapdelta *md, pid_t pid,
			     bw_go_wait_fn fn, void *ctx);
/* The stack captured for a site: frame count, or -ENOENT. */
int bw_go_probes__stack(struct bw_go_probes *gp, uint64_t site, uint64_t *frames, int max);
/* When and where the goroutine at g (its runtime.g) of pid parked, if a probe saw it. 0 or -ENOENT. */
int bw_go_probes__parked(struct bw_go_probes *gp, pid_t pid, uint64_t g, struct bw_go_park *out);
/* The object's counters: for every process that shares it. */
void bw_go_probes__counters(struct bw_go_probes *gp, uint64_t out[BW_GO_COUNTERS]);
typedef void (*bw_go_park_fn)(void *ctx, uint64_t g, const struct bw_go_park *park);
/* Every goroutine of pid that a probe saw park and nothing readied yet. */
int bw_go_probes__for_each_parked(struct bw_go_probes *gp, pid_t pid, bw_go_park_fn fn, void *ctx);
/* Forget the entry of the goroutine at g, unless it parked again since park_ns. */
void bw_go_probes__forget_park(struct bw_go_probes *gp, pid_t pid, uint64_t g, uint64_t park_ns);
/* Forget everything about pid (it exited, or is no longer watched). */
void bw_go_probes__forget_process(struct bw_go_probes *gp, pid_t pid);

#endif /* BW_LOADER_H */
