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

/* ---- Go detail mode (bpf/goruntime.bpf.c), one instance per target ---- */

struct bw_go_attach_opts {
	pid_t pid;
	const char *binary;    /* path the uprobes go on, e.g. /proc/PID/exe */
	uint32_t goid_offset;  /* runtime.g.goid for the target's Go version */
	uint32_t sample_every; /* 1: every goroutine */
	uint32_t max_parked;   /* 0: default */
	uint32_t max_sites;
	uint32_t max_stacks;
	/* file offsets of the probe points (already past the stack-guard compare) */
	uint64_t park_offset;
	uint64_t ready_offset;
	uint64_t exit_offset; /* 0: no exit probe */
};

struct bw_go_probes;

struct bw_go_probes *bw_go_probes__attach(const struct bw_go_attach_opts *opts);
void bw_go_probes__free(struct bw_go_probes *gp);

struct bw_go_wait_delta {
	struct bw_go_site_key key;
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns;
	uint64_t hist[BW_HIST_SLOTS];
};
typedef void (*bw_go_wait_fn)(void *ctx, const struct bw_go_wait_delta *d);
int bw_go_probes__read_waits(struct bw_go_probes *gp, bw_go_wait_fn fn, void *ctx);
/* The stack captured for a site: frame count, or -ENOENT. */
int bw_go_probes__stack(struct bw_go_probes *gp, uint64_t site, uint64_t *frames, int max);
/* When and where goroutine goid parked, if a probe saw it. 0 or -ENOENT. */
int bw_go_probes__parked(struct bw_go_probes *gp, uint64_t goid, struct bw_go_park *out);
void bw_go_probes__counters(struct bw_go_probes *gp, uint64_t out[BW_GO_COUNTERS]);
typedef void (*bw_go_park_fn)(void *ctx, uint64_t goid, const struct bw_go_park *park);
/* Every goroutine of the target that a probe saw park and nothing readied yet. */
int bw_go_probes__for_each_parked(struct bw_go_probes *gp, bw_go_park_fn fn, void *ctx);

#endif /* BW_LOADER_H */
