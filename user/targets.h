/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The processes blockwatch watches, and what it keeps for each: its
 * symbolizer, a reader of its memory, its thread view and, for Go
 * programs, its goroutine reader and detail probes.
 *
 * Targets come from -p, or in system-wide mode from every process that
 * matches the --comm/--cgroup filters, found as blockwatch sees their
 * threads or their exec().
 */
#ifndef BW_TARGETS_H
#define BW_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aggregate.h"
#include "cli.h"
#include "godetail.h"
#include "gopclntab.h"
#include "goruntime.h"
#include "loader.h"
#include "proc.h"
#include "symbolizer.h"
#include "threads.h"

struct bw_target {
	pid_t pid;
	bool named; /* given with -p: the run ends when all such targets are gone */
	bool alive;
	bool exec_pending; /* it exec()ed: symbols and Go knowledge are stale */
	uint64_t start_ns; /* process start, tells a reused pid from ours */
	struct bw_symbolizer *sym;
	struct bw_mem *mem;
	struct bw_threads *threads;
	struct bw_gobin *gobin;
	struct bw_gosnap *gosnap;
	struct bw_godetail *godetail;
	struct bw_go_version go_version;
	struct bw_proc_summary sum;
};

struct bw_targets;

struct bw_targets *bw_targets__new(const struct bw_config *cfg, struct bw_loader *ld);
void bw_targets__free(struct bw_targets *ts);

/* Start watching pid. NULL and errno when it cannot be opened (logged for named ones). */
struct bw_target *bw_targets__add(struct bw_targets *ts, pid_t pid, bool named);
void bw_targets__remove(struct bw_targets *ts, pid_t pid);
struct bw_target *bw_targets__find(struct bw_targets *ts, pid_t pid);
size_t bw_targets__count(const struct bw_targets *ts);
/* The i-th target (0 <= i < count); the order changes when targets come and go. */
struct bw_target *bw_targets__at(struct bw_targets *ts, size_t i);

/* After exec(): forget what described the old program, and look again. */
int bw_targets__reload(struct bw_targets *ts, struct bw_target *t);
/* Still the process we attached to? (exists, same start time) */
bool bw_targets__still_there(const struct bw_target *t);

/*
 * System-wide mode: should pid be watched? Not a kernel thread, not
 * blockwatch, and matching --comm and --cgroup when given.
 */
bool bw_targets__wanted(const struct bw_targets *ts, pid_t pid);

#endif /* BW_TARGETS_H */
