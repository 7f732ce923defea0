/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Goroutine detail mode for one Go target: uprobes on runtime.gopark and
 * runtime.ready (entry probes on emulated instructions, see
 * bpf/goruntime.bpf.c) give every wait's exact start and duration. The
 * default view does without them: it reads goroutines from the target's
 * memory and costs the target nothing.
 *
 * The processes of one binary share one BPF object (struct bw_go_shared);
 * system-wide, its probes are attached once, to every process of the
 * binary, so a new process of a binary already seen is probed from its
 * first instruction.
 */
#ifndef BW_GODETAIL_H
#define BW_GODETAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aggregate.h"
#include "blockwatch/goruntime.h"
#include "goruntime.h"

/*
 * Offset from a Go function's entry of the first instruction of its
 * prologue that the kernel emulates rather than single-steps: the jump
 * after the stack-guard compare (small and large frames), or the entry
 * itself when it is a push (no stack check). -1 when the prologue is not
 * recognised. code holds the function's first len bytes.
 */
int bw_go_probe_offset(const uint8_t *code, size_t len);

/* Every Go binary's probes in a session. */
struct bw_go_shared;

/* every_process: attach once per binary to all its processes (watching the whole machine). */
struct bw_go_shared *bw_go_shared__new(bool every_process);
/* Binaries still probed (their last process not yet gone). */
size_t bw_go_shared__binaries(const struct bw_go_shared *sh);
void bw_go_shared__free(struct bw_go_shared *sh);

struct bw_godetail_opts {
	struct bw_go_shared *shared;
	pid_t pid;
	const struct bw_gobin *gobin;
	const struct bw_go_layout *layout;
	uint32_t sample_every;
	uint32_t max_parked;
	uint32_t max_sites;
	uint32_t max_stacks;
};

struct bw_godetail;

/* NULL and errno on failure (logged). */
struct bw_godetail *bw_godetail__new(const struct bw_godetail_opts *opts);
void bw_godetail__free(struct bw_godetail *gd);

/* Read the kernel's parked goroutines once per interval, before the snapshot. */
int bw_godetail__begin(struct bw_godetail *gd);
/*
 * The exact start of the wait of the goroutine at g (its runtime.g), if a probe saw it park; the
 * frames the snapshot read for it are remembered for its site, so that
 * completed waits are counted at the same site.
 */
bool bw_godetail__wait_start(struct bw_godetail *gd, uint64_t g, const uint64_t *frames,
			     int nframes, uint64_t *start_ns);
/* The snapshot found the goroutine at g (its runtime.g's address) alive, waiting or not. */
void bw_godetail__seen(struct bw_godetail *gd, uint64_t g);
/*
 * After the snapshot: forget the kernel's entries of goroutines it did not
 * find (exited) and of parks it found over (readied by the netpoller, which
 * bypasses ready()), so that the parked map holds only live goroutines.
 */
void bw_godetail__prune(struct bw_godetail *gd);
/* Completed waits since the last call, scaled by the sampling rate. */
int bw_godetail__collect_completed(struct bw_godetail *gd, struct bw_agg *agg,
				   const struct bw_go_version *v);
/* Which binary's probes these are: the same for every process of one executable file. */
uint64_t bw_godetail__binary_id(const struct bw_godetail *gd);
/* The probes' counters, summed over every process of the binary. */
void bw_godetail__counters(struct bw_godetail *gd, uint64_t out[BW_GO_COUNTERS]);

#endif /* BW_GODETAIL_H */
