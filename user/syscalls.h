/* SPDX-License-Identifier: BSD-2-Clause */
/* What a sleeping thread waits in, from its syscall number and futex op (x86_64). */
#ifndef BW_SYSCALLS_H
#define BW_SYSCALLS_H

#include <stddef.h>

#include "aggregate.h"

extern const char *const bw_syscall_names[];
extern const int bw_syscall_names_len;

/* "nanosleep"; NULL when unknown. */
const char *bw_syscall_name(int nr);

/*
 * Kind and reason of a wait: futex waits (every waiting futex op,
 * futex_waitv and futex2's futex_wait) are BW_KIND_FUTEX with the op as the
 * reason; any other syscall is BW_KIND_OFFCPU with the syscall's name; a
 * sleep outside a syscall (page fault, lock in an exception) is "sleep".
 */
enum bw_site_kind bw_wait_classify(int syscall_nr, unsigned int futex_cmd, char *reason,
				   size_t size);

#endif /* BW_SYSCALLS_H */
