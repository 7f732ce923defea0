/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records shared by bpf/threads.bpf.c and the userspace loader: the
 * thread-level (futex and off-CPU) observer.
 *
 * Only __u32/__u64-style types and constants live here, every name carries
 * the bw_/BW_ prefix, so this header compiles both against vmlinux.h (BPF)
 * and against <linux/types.h> (userspace).
 */
#ifndef BLOCKWATCH_THREADS_H
#define BLOCKWATCH_THREADS_H

#include "blockwatch/common.h"

/*
 * One blocking site as the kernel sees it: the user stack the thread went
 * to sleep with, and the syscall it sleeps in. A futex wait and a
 * nanosleep at the same stack are different sites.
 */
struct bw_wait_key {
	__u32 tgid;
	__s32 ustack_id;  /* id in the stacks map, negative if unavailable */
	__s32 syscall_nr; /* -1: not in a syscall (page fault, preemption point) */
	__u32 futex_cmd;  /* op & FUTEX_CMD_MASK when syscall_nr is futex */
};

/* Completed waits at one site, kept exactly in the kernel. */
struct bw_wait_stats {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__s32 kstack_id; /* kernel stack of the latest wait, an example */
	__u32 last_waker_tgid;
	__u32 last_waker_pid;
	__u32 pad;
	char last_waker_comm[BW_COMM_LEN];
	__u64 hist[BW_HIST_SLOTS]; /* log2(ns) buckets */
};

/*
 * The Go runtime's own code in a Go target, as mapped: a sleep whose
 * syscall returns there is the runtime's (an idle M in futex, the netpoller
 * in epoll_wait, a goroutine in a raw syscall that the goroutine view shows
 * anyway). Such a sleep is not recorded at all: the thread view hides it,
 * and its two stack walks would cost more than everything else a sleep costs.
 */
struct bw_go_text {
	__u64 lo;
	__u64 hi; /* one past the end */
};

/*
 * A user stack whose bucket in the kernel's stack map is taken by another
 * stack lives in the overflow map instead, under an id with this bit set
 * (the low bits: a hash of its frames).
 */
#define BW_USTACK_OVERFLOW (1 << 30)

/*
 * A thread of a target that has slept since attach, keyed by tid; off CPU
 * now if start_ns is not 0.
 */
struct bw_sleeper {
	__u64 start_ns; /* bpf_ktime_get_ns() when it switched out; 0: awake */
	__u64 nvcsw;	/* its voluntary switches at its last sleep seen */
	__u64 futex_addr;
	__u32 tgid;
	__s32 ustack_id;
	__s32 kstack_id;
	__s32 syscall_nr;
	__u32 futex_cmd;
	__u32 state; /* prev_state at sched_switch */
};

/*
 * What the task iterator says about one thread of a target. The iterator
 * sees every thread, including those that were already asleep before
 * blockwatch attached, which no sched_switch will ever report.
 */
#define BW_TASK_KSTACK_DEPTH 24
#define BW_DWARF_REGS 17

struct bw_task_record {
	__u32 tid;
	__u32 tgid;
	__u32 state;	  /* task->__state */
	__s32 syscall_nr; /* saved regs->orig_ax, -1 if none */
	__u64 ip;	  /* saved user registers */
	__u64 sp;
	__u64 bp;
	__u64 arg0; /* di: futex address for futex() */
	__u64 arg1; /* si: futex op */
	/* all general registers in DWARF order (rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip), for CFI unwinding */
	__u64 dwarf_regs[BW_DWARF_REGS];
	__u64 off_cpu_ns;     /* since it last ran, scheduler clock (approximate) */
	__u64 sleep_start_ns; /* from the sleepers map when seen since attach, else 0 */
	__s32 ustack_id;      /* from the sleepers map, -1 if not there */
	__u32 kstack_len;     /* frames in kstack */
	char comm[BW_COMM_LEN];
	__u64 kstack[BW_TASK_KSTACK_DEPTH];
};

/* Ring-buffer events: what userspace must hear about at once. */
enum bw_event_type {
	BW_EV_EXIT = 1, /* a thread of a target exited; tid == tgid: the process */
	BW_EV_EXEC = 2, /* a target exec()ed: its symbols are stale */
	BW_EV_FORK = 3, /* a new process whose parent is a target */
};

struct bw_event {
	__u32 type;
	__u32 tgid;
	__u32 tid;
	__u32 aux; /* exit code, or the child's pid for BW_EV_FORK */
	__u64 ts_ns;
	char comm[BW_COMM_LEN];
};

/*
 * Counters of everything the kernel side had to drop, kept in .bss and
 * shown in every output: nothing is lost silently.
 */
enum bw_drop_kind {
	BW_DROP_RINGBUF = 0,	   /* ring buffer full */
	BW_DROP_SLEEPERS_FULL = 1, /* sleepers map full: a wait not timed */
	BW_DROP_WAITS_FULL = 2,	   /* waits map full: a completed wait not counted */
	BW_DROP_USTACK = 3,	   /* user stack not captured (collision or fault) */
	BW_DROP_KSTACK = 4,	   /* kernel stack not captured */
	/* a target thread's sleep no tracepoint reported (seen in its switch count) */
	BW_DROP_SLEEPS_UNSEEN = 5,
	/* a wait whose end no tracepoint reported: counted at the thread's next sleep */
	BW_DROP_ENDS_UNSEEN = 6,
	BW_DROP_KINDS = 7,
};

#endif /* BLOCKWATCH_THREADS_H */
