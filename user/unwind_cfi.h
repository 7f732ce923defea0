/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exact user stacks of sleeping threads from their saved registers, through
 * the call-frame information (.eh_frame, .debug_frame) of every mapped
 * module, with elfutils' unwinder (libdwfl), reading the target's memory
 * from outside: no ptrace, the target is never stopped. Code without CFI
 * falls back to libdwfl's frame-pointer unwinding.
 *
 * This is what makes stacks through Debian's libc (built without frame
 * pointers) exact: the kernel's frame-pointer walk skips the caller of
 * pthread_mutex_lock; the CFI walk does not.
 */
#ifndef BW_UNWIND_CFI_H
#define BW_UNWIND_CFI_H

#include <stdint.h>
#include <sys/types.h>

#include "blockwatch/threads.h"
#include "stacks.h"

struct bw_cfi;

/* NULL and errno when libdwfl cannot describe the process. */
struct bw_cfi *bw_cfi__new(pid_t pid, bw_read_fn read, void *read_ctx);
void bw_cfi__free(struct bw_cfi *cfi);
/* Re-read the module list (libraries loaded since, or an exec). */
int bw_cfi__refresh(struct bw_cfi *cfi);
/*
 * Unwind thread tid from its registers (DWARF order, see struct
 * bw_task_record). Returns the number of frames written (the first is the
 * pc), or a negative errno.
 */
int bw_cfi__unwind(struct bw_cfi *cfi, pid_t tid, const uint64_t regs[BW_DWARF_REGS],
		   uint64_t *frames, int max);

#endif /* BW_UNWIND_CFI_H */
