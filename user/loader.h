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

#endif /* BW_LOADER_H */
