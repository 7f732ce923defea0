/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The thread-level view of one target process: every interval, the threads
 * asleep right now (from the BPF task iterator, so threads asleep since
 * before attach count too) and the waits completed since the last interval
 * (from the kernel's per-site aggregates), fed to the aggregator.
 *
 * Stacks of sleeping threads are unwound here from their saved registers,
 * with a scan that recovers the caller hidden by libc's frame-pointer-less
 * code. The kernel's own frame-pointer stacks (completed waits) lack that
 * caller; once a sleeping thread shows which full stack a kernel stack id
 * belongs to, completed waits with that id are attributed to the full one.
 */
#ifndef BW_THREADS_H
#define BW_THREADS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "aggregate.h"
#include "loader.h"
#include "proc.h"
#include "symbolizer.h"

struct bw_threads;

struct bw_threads *bw_threads__new(pid_t pid, struct bw_loader *ld, struct bw_symbolizer *sym,
				   struct bw_mem *mem);
void bw_threads__free(struct bw_threads *t);
/*
 * For Go targets: leave out threads that only run the Go runtime (idle Ms
 * parked by the scheduler, sysmon, the netpoller): they wait by design and
 * the goroutine view shows what matters. Threads in cgo or syscalls made by
 * the program's own code stay.
 */
void bw_threads__hide_go_runtime(struct bw_threads *t, bool hide);

/*
 * Add the sleeping threads of the process to agg (between bw_agg__begin
 * and __end) and fill the thread counts of sum. now_ns is CLOCK_MONOTONIC.
 */
int bw_threads__collect_blocked(struct bw_threads *t, struct bw_agg *agg, uint64_t now_ns,
				struct bw_proc_summary *sum);
/*
 * The same for one thread's record, from an iteration over many processes
 * (system-wide mode). -EINVAL when the record is another process's.
 */
int bw_threads__add_task(struct bw_threads *t, struct bw_agg *agg, uint64_t now_ns,
			 struct bw_proc_summary *sum, const struct bw_task_record *rec);
/*
 * Add one site's completed waits (read by the loader for every target at
 * once) to agg, under the stack this module learned for its stack id.
 */
int bw_threads__add_completed(struct bw_threads *t, struct bw_agg *agg,
			      const struct bw_wait_delta *d);

#endif /* BW_THREADS_H */
