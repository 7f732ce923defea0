/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Knowledge of the Go runtime's internals, per Go version, and a reader of a
 * live Go process's goroutines from outside (no probe, no stop).
 *
 * Layouts of runtime.g come from the binary's DWARF when it has some, else
 * from a built-in table keyed by Go version (1.17 through the newest), each
 * entry citing Go's own runtime source at that release tag. Wait reasons are
 * renumbered between versions, so decoding is per version too.
 */
#ifndef BW_GORUNTIME_H
#define BW_GORUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "blockwatch/common.h"
#include "gopclntab.h"

/* Offsets of the fields of runtime.g that blockwatch reads (amd64). */
struct bw_go_layout {
	int g_size;
	int sched_sp; /* g.sched.sp: offset of sched + offset of sp in gobuf */
	int sched_pc;
	int sched_bp;
	int atomicstatus;
	int goid;
	int waitsince;
	int waitreason; /* uint8 */
	int gopc;
	int startpc;
	int parentgoid;	    /* -1 before Go 1.21 */
	int waiting;	    /* g.waiting (*sudog), -1 if unknown */
	int sudog_c;	    /* address of the channel in a sudog (sudog.c), -1 if unknown */
	int stack_lo;	    /* g.stack.lo */
	int stack_hi;	    /* g.stack.hi */
	const char *source; /* "DWARF" or the runtime source it was taken from */
};

/* Goroutine states (runtime2.go, stable since Go 1.0 modulo new ones). */
enum bw_gstatus {
	BW_G_IDLE = 0,
	BW_G_RUNNABLE = 1,
	BW_G_RUNNING = 2,
	BW_G_SYSCALL = 3,
	BW_G_WAITING = 4,
	BW_G_DEAD = 6,
	BW_G_COPYSTACK = 8,
	BW_G_PREEMPTED = 9,
	BW_G_SCAN = 0x1000,
};

/*
 * Fill layout for gb: DWARF of the file at path first (path may be NULL, and
 * the binary may have no DWARF), then the version table. Returns 0,
 * -ENOTSUP for a Go version outside the table with no DWARF (the message
 * names the version), or another negative errno.
 */
int bw_go_layout__for_file(const struct bw_gobin *gb, const char *path, struct bw_go_layout *out);
/* The same without a path: the version table only. */
int bw_go_layout__for(const struct bw_gobin *gb, struct bw_go_layout *out);
/* Layout from the built-in table only (tests compare it with DWARF). */
int bw_go_layout__from_table(const struct bw_go_version *v, struct bw_go_layout *out);
/* Layout from DWARF only. -ENODATA when the binary has none. */
int bw_go_layout__from_dwarf(const char *path, struct bw_go_layout *out);

/* "chan receive", "sync.Mutex.Lock"...; NULL when reason is out of range. */
const char *bw_go_wait_reason(const struct bw_go_version *v, int reason);
/* Is the version in the tables? */
bool bw_go_version__supported(const struct bw_go_version *v);
const char *bw_go_status_name(uint32_t status);

/* One goroutine read from the target. */
struct bw_goroutine {
	uint64_t goid;
	uint64_t gaddr;	 /* address of its runtime.g */
	uint32_t status; /* without the scan bit */
	int wait_reason; /* raw number */
	const char *wait_reason_name;
	/*
	 * A lower bound of when it began to wait, in the target's nanotime()
	 * (CLOCK_MONOTONIC), or 0. The runtime sets g.waitsince only in
	 * markroot, to the start of the first GC cycle that scans the goroutine
	 * while it waits or is in a syscall, and resets it to 0 when the
	 * goroutine runs again (execute) or leaves a syscall (exitsyscall): a
	 * goroutine blocked since before the last GC shows that GC's start, one
	 * blocked after it shows 0 (go1.19 mgcmark.go markroot, proc.go).
	 */
	int64_t waitsince_ns;
	uint64_t gopc; /* PC of the go statement that created it */
	uint64_t startpc;
	uint64_t parent_goid; /* 0 if unknown */
	uint64_t wait_object; /* channel (hchan) address for channel waits, else 0 */
	int nframes;
	uint64_t frames[BW_MAX_STACK_DEPTH]; /* runtime addresses, innermost first */
};

struct bw_gosnap_stats {
	uint64_t total; /* goroutines not dead */
	uint64_t waiting;
	uint64_t runnable;
	uint64_t running;
	uint64_t syscall;
	uint64_t torn;	  /* records that changed while read: skipped */
	uint64_t read_ns; /* time spent reading */
	uint64_t walked;  /* stacks unwound in this read */
	uint64_t cached;  /* stacks reused: the goroutine had not moved since the last read */
};

typedef void (*bw_goroutine_fn)(void *ctx, const struct bw_goroutine *g);

struct bw_gosnap;

/*
 * Link-time address of runtime.allgs (a []*g): from .symtab when present,
 * else from the code of the runtime functions that load it (forEachG,
 * allgadd), found through the pcln table. 0 or -ENOENT.
 */
int bw_go_find_allgs(const struct bw_gobin *gb, uint64_t *addr);
/* The code method alone, for stripped binaries (tests compare both). */
int bw_go_find_allgs_by_code(const struct bw_gobin *gb, uint64_t *addr);

/*
 * Prepare to read the goroutines of pid, whose main executable is gb,
 * loaded at load_bias (runtime address = link address + bias). Finds
 * runtime.allgs (by .symtab, or in a stripped binary from the code that
 * references it). NULL and errno on failure.
 */
struct bw_gosnap *bw_gosnap__new(pid_t pid, const struct bw_gobin *gb, uint64_t load_bias);
/*
 * Read every goroutine once; call fn for each non-dead one, with its stack
 * when it is not running. Returns 0 or a negative errno.
 */
int bw_gosnap__read(struct bw_gosnap *snap, bw_goroutine_fn fn, void *ctx,
		    struct bw_gosnap_stats *stats);
const struct bw_go_layout *bw_gosnap__layout(const struct bw_gosnap *snap);
/* Runtime address of runtime.allgs in the target. */
uint64_t bw_gosnap__allgs(const struct bw_gosnap *snap);
/* How many runtime.g structs the target has now (live and dead goroutines): 0 on failure. */
uint64_t bw_gosnap__count(struct bw_gosnap *snap);
void bw_gosnap__free(struct bw_gosnap *snap);

#endif /* BW_GORUNTIME_H */
