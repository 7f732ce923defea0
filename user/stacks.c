// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdbool.h>

#include "stacks.h"

uint64_t bw_stack_hash(const uint64_t *frames, int n, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (int i = 0; i < n; i++) {
		uint64_t v = frames[i];

		for (int b = 0; b < 8; b++) {
			h ^= (v >> (b * 8)) & 0xff;
			h *= 0x100000001b3ULL;
		}
	}
	return h;
}

/*
 * A frame record is [saved bp][return address]. A sane chain grows toward
 * higher addresses; anything else ends the walk (torn or foreign memory).
 */
int bw_unwind_fp(const struct bw_unwinder *uw, uint64_t ip, uint64_t bp, uint64_t *frames, int max)
{
	int n = 0;

	if (!ip || max <= 0)
		return 0;
	frames[n++] = ip;
	while (n < max && bp && !(bp & 7)) {
		uint64_t rec[2];

		if (uw->read(uw->ctx, bp, rec, sizeof(rec)))
			break;
		if (!rec[1])
			break;
		frames[n++] = rec[1];
		if (rec[0] <= bp)
			break;
		bp = rec[0];
	}
	return n;
}

/* A frame pointer must point a little above the stack pointer. */
static bool plausible_fp(uint64_t bp, uint64_t sp)
{
	return bp > sp && bp - sp < (1u << 20) && !(bp & 7);
}

/*
 * Scan the words above sp for return addresses: code without frame
 * pointers (libc) leaves its callers' return addresses there, and the first
 * frame-pointer hop would skip them. The scan stops at bp when bp is a
 * frame pointer; when it is not (libc used rbp as a plain register), it
 * stops at the first word pair that looks like a frame record [saved bp,
 * return address] and tells the caller where the chain resumes.
 */
static int scan_stack(const struct bw_unwinder *uw, uint64_t sp, uint64_t bp, uint64_t *frames,
		      int max, uint64_t *resume_bp)
{
	bool bp_valid = plausible_fp(bp, sp);
	uint64_t end = bp_valid ? bp : sp + uw->scan_limit, prev_word = 0;
	uint64_t buf[64];
	int n = 0;

	*resume_bp = bp_valid ? bp : 0;
	if (!uw->is_return || !sp)
		return 0;
	if (end - sp > uw->scan_limit)
		end = sp + uw->scan_limit;
	for (uint64_t addr = sp; addr < end && n < max;) {
		size_t words = (end - addr) / 8;

		if (words > 64)
			words = 64;
		/* one page at a time: the stack's mapping may end at the next page */
		if (words > (4096 - (addr & 4095) + 7) / 8)
			words = (4096 - (addr & 4095) + 7) / 8;
		if (!words || uw->read(uw->ctx, addr, buf, words * 8))
			break;
		for (size_t i = 0; i < words && n < max; i++) {
			uint64_t at = addr + i * 8, word = buf[i],
				 below = i ? buf[i - 1] : prev_word;

			if (!uw->is_return(uw->ctx, word))
				continue;
			frames[n++] = word;
			if (!bp_valid && at > sp && plausible_fp(below, at)) {
				*resume_bp =
					below; /* a frame record: the chain goes on from here */
				return n;
			}
		}
		prev_word = buf[words - 1];
		addr += words * 8;
	}
	return n;
}

int bw_unwind(const struct bw_unwinder *uw, const struct bw_unwind_regs *regs, uint64_t *frames,
	      int max)
{
	uint64_t resume_bp;
	int n = 0;

	if (!regs->ip || max <= 0)
		return 0;
	frames[n++] = regs->ip;
	n += scan_stack(uw, regs->sp, regs->bp, frames + n, max - n, &resume_bp);
	if (n < max && resume_bp) {
		/* the frame-pointer chain from resume_bp, without repeating ip */
		uint64_t tail[BW_MAX_STACK_DEPTH];
		int limit = max - n + 1, m;

		if (limit > BW_MAX_STACK_DEPTH)
			limit = BW_MAX_STACK_DEPTH;
		m = bw_unwind_fp(uw, regs->ip, resume_bp, tail, limit);
		for (int i = 1; i < m && n < max; i++)
			frames[n++] = tail[i];
	}
	return n;
}

/*
 * Is the instruction just before addr a call? Return addresses are; stale
 * code pointers on the stack (function pointers, saved labels) seldom are.
 * Forms: e8 rel32; ff /2 with register, [reg], [reg+disp8], [reg+disp32],
 * [rip+disp32], with or without a SIB byte or a REX prefix.
 */
bool bw_follows_call(const uint8_t b[8])
{
	if (b[3] == 0xe8)
		return true;
	for (int len = 2; len <= 7; len++) {
		const uint8_t *op = b + 8 - len, modrm = op[1];
		int mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7, need = 2;

		if (op[0] != 0xff || reg != 2)
			continue;
		if (mod == 1)
			need += 1;
		else if (mod == 2 || (mod == 0 && rm == 5))
			need += 4;
		if (mod != 3 && rm == 4)
			need += 1; /* SIB */
		if (mod == 0 && rm == 4 && len > 2 && (op[2] & 7) == 5)
			need += 4; /* SIB without a base register: disp32 */
		if (need == len)
			return true;
	}
	return false;
}
