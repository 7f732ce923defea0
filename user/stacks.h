/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * User stack unwinding from outside a process: a frame-pointer walk from
 * saved registers, reading the target's memory, plus an optional scan that
 * recovers the frames hidden by code built without frame pointers (Debian's
 * libc): the return address into the function that called into libc sits
 * between the saved stack pointer and the first frame pointer.
 */
#ifndef BW_STACKS_H
#define BW_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blockwatch/common.h"

/* Memory reader: returns 0 or a negative errno. */
typedef int (*bw_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);
/* Is addr a plausible return address (in executable code, after a call)? */
typedef int (*bw_is_return_fn)(void *ctx, uint64_t addr);

struct bw_unwind_regs {
	uint64_t ip;
	uint64_t sp;
	uint64_t bp;
};

struct bw_unwinder {
	bw_read_fn read;
	bw_is_return_fn is_return; /* NULL: no scanning */
	void *ctx;
	size_t scan_limit; /* bytes scanned above sp at most */
};

/*
 * Walks from regs; writes at most max frames, the first being regs->ip.
 * Returns the number of frames (>= 1 when ip != 0).
 */
int bw_unwind(const struct bw_unwinder *uw, const struct bw_unwind_regs *regs, uint64_t *frames,
	      int max);

/* Frame-pointer walk only, as the kernel's bpf_get_stack does it. */
int bw_unwind_fp(const struct bw_unwinder *uw, uint64_t ip, uint64_t bp, uint64_t *frames, int max);

/*
 * Is the instruction just before a return address a call? before holds the
 * 8 bytes that precede it. Used to tell return addresses from stale code
 * pointers when scanning a stack.
 */
bool bw_follows_call(const uint8_t before[8]);

/* 64-bit FNV-1a of a frame list, the identity of a stack. */
uint64_t bw_stack_hash(const uint64_t *frames, int n, uint64_t seed);

#endif /* BW_STACKS_H */
