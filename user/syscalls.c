// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>

#include "syscalls.h"

#define NR_FUTEX 202
#define NR_FUTEX_WAITV 449
#define NR_FUTEX_WAIT 455 /* futex2, Linux 6.7 */

const char *bw_syscall_name(int nr)
{
	if (nr < 0 || nr >= bw_syscall_names_len)
		return NULL;
	return bw_syscall_names[nr];
}

static const char *futex_op_name(unsigned int cmd)
{
	switch (cmd) {
	case 0:
		return "futex_wait";
	case 6:
		return "futex_lock_pi";
	case 9:
		return "futex_wait_bitset";
	case 11:
		return "futex_wait_requeue_pi";
	case 13:
		return "futex_lock_pi2";
	default:
		return NULL;
	}
}

enum bw_site_kind bw_wait_classify(int syscall_nr, unsigned int futex_cmd, char *reason,
				   size_t size)
{
	const char *name;

	if (syscall_nr == NR_FUTEX) {
		name = futex_op_name(futex_cmd);
		if (name) {
			snprintf(reason, size, "%s", name);
			return BW_KIND_FUTEX;
		}
		snprintf(reason, size, "futex_op_%u", futex_cmd);
		return BW_KIND_FUTEX;
	}
	if (syscall_nr == NR_FUTEX_WAITV || syscall_nr == NR_FUTEX_WAIT) {
		snprintf(reason, size, "%s",
			 syscall_nr == NR_FUTEX_WAITV ? "futex_waitv" : "futex2_wait");
		return BW_KIND_FUTEX;
	}
	if (syscall_nr < 0) {
		snprintf(reason, size, "sleep");
		return BW_KIND_OFFCPU;
	}
	name = bw_syscall_name(syscall_nr);
	if (name)
		snprintf(reason, size, "%s", name);
	else
		snprintf(reason, size, "syscall_%d", syscall_nr);
	return BW_KIND_OFFCPU;
}
