// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Thread-level waits of the target processes: every voluntary sleep of one
 * of their threads (futex or otherwise), timed from sched_switch to the
 * sched_wakeup that ends it, aggregated per site in the kernel; and a task
 * iterator that lists every thread with its saved registers, for the
 * threads that were already asleep when blockwatch attached.
 *
 * No syscall tracepoint is used: they slow every system call of every
 * process while enabled. The sleeping task's saved syscall registers
 * (bpf_task_pt_regs) say which syscall it sleeps in, and with which futex.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "blockwatch/threads.h"
#include "bits.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0x0
#define TASK_INTERRUPTIBLE 0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define NR_FUTEX 202
#define FUTEX_CMD_MASK (~(128 | 256)) /* ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) */

#define PF_KTHREAD 0x00200000
#define EEXIST 17

/* Set before load: watch every process instead of the targets map (but our own). */
const volatile bool watch_all = false;
const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_DEFAULT_MAX_TARGETS);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} targets SEC(".maps");

/* Go targets whose runtime threads are hidden: where their runtime's code is (tgid -> range) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_DEFAULT_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct bw_go_text);
} go_text SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_DEFAULT_MAX_SLEEPERS);
	__type(key, __u32); /* tid */
	__type(value, struct bw_sleeper);
} sleepers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* a new site is rare: memory as sites come */
	__uint(max_entries, BW_DEFAULT_MAX_SITES);
	__type(key, struct bw_wait_key);
	__type(value, struct bw_wait_stats);
} waits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, BW_DEFAULT_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, BW_MAX_STACK_DEPTH * sizeof(__u64));
} ustacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, BW_DEFAULT_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, BW_MAX_STACK_DEPTH * sizeof(__u64));
} kstacks SEC(".maps");

/*
 * User stacks that collided in ustacks' buckets (the kernel hashes with a
 * fixed seed and keeps the first stack of a bucket): allocated only as
 * collisions happen, so distinct stacks past a few hundred are not lost.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_DEFAULT_MAX_STACKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64[BW_MAX_STACK_DEPTH]);
} ustacks_overflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[BW_MAX_STACK_DEPTH]);
} stack_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* The iterator's record is too big for the BPF stack: build it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_task_record);
} task_scratch SEC(".maps");

/* Everything dropped, by kind; userspace reports it in every output. */
__u64 drops[BW_DROP_KINDS] = {};

static __always_inline void count_drops(int kind, __u64 n)
{
	if (kind >= 0 && kind < BW_DROP_KINDS)
		__sync_fetch_and_add(&drops[kind], n);
}

static __always_inline void count_drop(int kind)
{
	count_drops(kind, 1);
}

static __always_inline bool is_target(__u32 tgid)
{
	if (watch_all)
		return tgid != self_tgid;
	return bpf_map_lookup_elem(&targets, &tgid);
}

/* Kernel threads have no user space to wait in: never a target. */
static __always_inline bool is_user_task(struct task_struct *task)
{
	return !(BPF_CORE_READ(task, flags) & PF_KTHREAD);
}

/* Which syscall the task sleeps in, from its saved user registers; returns its user ip. */
static __always_inline __u64 read_syscall(struct pt_regs *regs, struct bw_sleeper *s)
{
	long nr = BPF_CORE_READ(regs, orig_ax);

	s->syscall_nr = nr;
	if (nr == NR_FUTEX) {
		s->futex_addr = BPF_CORE_READ(regs, di);
		s->futex_cmd = BPF_CORE_READ(regs, si) & FUTEX_CMD_MASK;
	} else if (nr >= 0) {
		/* futex_waitv, futex2 futex_wait, poll... : the first argument */
		s->futex_addr = BPF_CORE_READ(regs, di);
	}
	return BPF_CORE_READ(regs, ip);
}

/* Does a Go target sleep in its runtime's own code (see struct bw_go_text)? */
static __always_inline bool in_go_runtime(__u32 tgid, __u64 ip)
{
	struct bw_go_text *text = bpf_map_lookup_elem(&go_text, &tgid);

	return text && ip >= text->lo && ip < text->hi;
}

static __always_inline bool same_frames(const __u64 *a, const __u64 *b)
{
	for (int i = 0; i < BW_MAX_STACK_DEPTH; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			break;
	}
	return true;
}

/* The id of the current user stack in the overflow map (see ustacks_overflow), or -errno. */
static __always_inline __s32 overflow_stackid(void *ctx)
{
	__u64 *frames, *have, h = 0xcbf29ce484222325ULL;
	__u32 zero = 0, id;
	long n;

	frames = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!frames)
		return -1;
	/* bpf_get_stack zero-fills past the stack: frames end at the first 0 */
	n = bpf_get_stack(ctx, frames, BW_MAX_STACK_DEPTH * sizeof(__u64), BPF_F_USER_STACK);
	if (n <= 0)
		return -1;
	for (int i = 0; i < BW_MAX_STACK_DEPTH; i++) {
		if (!frames[i])
			break;
		h = (h ^ frames[i]) * 0x100000001b3ULL;
	}
	id = BW_USTACK_OVERFLOW | ((h ^ (h >> 32)) & (BW_USTACK_OVERFLOW - 1));
	have = bpf_map_lookup_elem(&ustacks_overflow, &id);
	if (!have && bpf_map_update_elem(&ustacks_overflow, &id, frames, BPF_NOEXIST) == 0)
		return id;
	/* stored by another CPU meanwhile, or the id's hash collides */
	if (!have)
		have = bpf_map_lookup_elem(&ustacks_overflow, &id);
	return have && same_frames(have, frames) ? (__s32)id : -1;
}

static __always_inline __s32 user_stackid(void *ctx)
{
	long id = bpf_get_stackid(ctx, &ustacks, BPF_F_USER_STACK);

	if (id == -EEXIST)
		id = overflow_stackid(ctx);
	if (id < 0)
		count_drop(BW_DROP_USTACK);
	return id;
}

/* Has the site this sleep belongs to got its example kernel stack already? */
static __always_inline bool site_has_kstack(const struct bw_sleeper *s)
{
	struct bw_wait_key key = {
		.tgid = s->tgid,
		.ustack_id = s->ustack_id,
		.syscall_nr = s->syscall_nr,
		.futex_cmd = s->futex_cmd,
	};
	struct bw_wait_stats *stats = bpf_map_lookup_elem(&waits, &key);

	return stats && stats->kstack_id >= 0;
}

static __always_inline struct bw_wait_stats *site_stats(const struct bw_wait_key *key)
{
	static const struct bw_wait_stats zero = { .kstack_id = -1 };
	struct bw_wait_stats *stats = lookup_or_init(&waits, key, &zero);

	if (!stats)
		count_drop(BW_DROP_WAITS_FULL);
	return stats;
}

/* A completed wait of dur ns at the sleeper's site. waker may be NULL. */
static __always_inline void fold_wait(const struct bw_sleeper *s, __u64 dur,
				      struct task_struct *waker)
{
	struct bw_wait_key key = {
		.tgid = s->tgid,
		.ustack_id = s->ustack_id,
		.syscall_nr = s->syscall_nr,
		.futex_cmd = s->futex_cmd,
	};
	struct bw_wait_stats *stats = site_stats(&key);

	if (!stats)
		return;
	__sync_fetch_and_add(&stats->count, 1);
	__sync_fetch_and_add(&stats->total_ns, dur);
	/* racy max: a lost update only under a simultaneous larger wait */
	if (dur > stats->max_ns)
		stats->max_ns = dur;
	__sync_fetch_and_add(&stats->hist[hist_slot(dur)], 1);
	if (s->kstack_id >= 0)
		stats->kstack_id = s->kstack_id;
	/* the same waker again (a ping-pong): its name is there already */
	if (waker &&
	    (stats->last_waker_pid != BPF_CORE_READ(waker, pid) || !stats->last_waker_comm[0])) {
		stats->last_waker_pid = BPF_CORE_READ(waker, pid);
		stats->last_waker_tgid = BPF_CORE_READ(waker, tgid);
		bpf_probe_read_kernel_str(stats->last_waker_comm, sizeof(stats->last_waker_comm),
					  waker->comm);
	}
}

/*
 * The thread goes to sleep again: did the kernel tell us everything since
 * its last sleep? On this kind of VM the tracepoints of a CPU sometimes stay
 * silent for milliseconds (measured: about one 50 ms nap in 30 runs of 25
 * had neither its wakeup nor its switch-in reported, by our programs or by
 * a perf tracepoint alike). A wait still open here ended unseen: it is
 * counted now, its duration bounded by the CPU time the thread used since it
 * last came on CPU (an upper bound: wall time since then is at least that).
 * A sleep we never saw at all shows in the thread's voluntary switch count.
 */
static __always_inline void check_unseen(struct bw_sleeper *s, struct task_struct *prev, __u64 now,
					 __u64 nvcsw)
{
	/* taken like end_wait does: a late wakeup on another CPU may try at once */
	__u64 start = s->start_ns ? __sync_lock_test_and_set(&s->start_ns, 0) : 0, ran;

	if (start) {
		ran = BPF_CORE_READ(prev, se.sum_exec_runtime) -
		      BPF_CORE_READ(prev, se.prev_sum_exec_runtime);
		fold_wait(s, now - start > ran ? now - start - ran : 0, NULL);
		count_drop(BW_DROP_ENDS_UNSEEN);
	}
	/* this switch is counted already: one more than the last one seen is none missed */
	if (s->nvcsw && nvcsw > s->nvcsw + 1)
		count_drops(BW_DROP_SLEEPS_UNSEEN, nvcsw - s->nvcsw - 1);
	s->nvcsw = nvcsw;
}

/*
 * A thread's entry stays in the sleepers map between its sleeps (start_ns
 * 0: awake), rewritten in place: cheaper than an insert per sleep and a
 * delete per wakeup, and it keeps the thread's switch count to check the
 * next sleep against. Entries go with their thread (sched_process_exit).
 */
static __always_inline void record_sleep(void *ctx, struct task_struct *prev,
					 unsigned int prev_state)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);
	__u32 tid = BPF_CORE_READ(prev, pid);
	struct bw_sleeper s = {}, *was = bpf_map_lookup_elem(&sleepers, &tid);
	__u64 now = bpf_ktime_get_ns(), nvcsw = BPF_CORE_READ(prev, nvcsw);

	if (was)
		check_unseen(was, prev, now, nvcsw);
	s.tgid = BPF_CORE_READ(prev, tgid);
	s.nvcsw = nvcsw;
	/*
	 * A hidden Go runtime thread's sleep (an idle M, the netpoller): the
	 * thread view would drop it, so it is not even timed.
	 */
	if (in_go_runtime(s.tgid, read_syscall(regs, &s)))
		return;
	s.state = prev_state;
	/* prev is still current here: its user stack is the one we want */
	s.ustack_id = user_stackid(ctx);
	/*
	 * The kernel stack is a site's example, taken once: walking it costs
	 * more than the rest of the sleep's bookkeeping together.
	 */
	s.kstack_id = -1;
	if (!site_has_kstack(&s)) {
		s.kstack_id = bpf_get_stackid(ctx, &kstacks, 0);
		if (s.kstack_id < 0)
			count_drop(BW_DROP_KSTACK);
	}
	if (was) {
		/* start_ns last: an ender reads the rest after claiming it */
		__builtin_memcpy(was, &s, sizeof(s));
		was->start_ns = now;
		return;
	}
	s.start_ns = now;
	if (bpf_map_update_elem(&sleepers, &tid, &s, BPF_ANY))
		count_drop(BW_DROP_SLEEPERS_FULL);
}

/*
 * Stopped or traced (SIGSTOP, a debugger): a voluntary switch but no wait.
 * The thread's switch count moves on without it being an unseen sleep.
 */
static __always_inline void note_stop(struct task_struct *prev)
{
	__u32 tid = BPF_CORE_READ(prev, pid);
	struct bw_sleeper *s = bpf_map_lookup_elem(&sleepers, &tid);

	if (s)
		s->nvcsw = BPF_CORE_READ(prev, nvcsw);
}

/*
 * A sleeper's wait ended (waker NULL: seen at its switch-in). The wakeup and
 * the switch-in may run at once on two CPUs: whoever takes start_ns first
 * counts the wait, the other finds 0.
 */
static __always_inline void end_wait(__u32 tid, struct task_struct *waker)
{
	struct bw_sleeper *s = bpf_map_lookup_elem(&sleepers, &tid);
	__u64 start;

	if (!s)
		return;
	start = __sync_lock_test_and_set(&s->start_ns, 0);
	if (start)
		fold_wait(s, bpf_ktime_get_ns() - start, waker);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u32 next_tid;

	/* a voluntary sleep of a target's thread begins */
	if (!preempt && prev_state && is_target(BPF_CORE_READ(prev, tgid)) && is_user_task(prev)) {
		if (prev_state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE))
			record_sleep(ctx, prev, prev_state);
		else
			note_stop(prev);
	}
	/*
	 * A sleeper back on CPU without a wakeup we saw (woken before we
	 * attached to sched_wakeup, or by a path that skips it): end it here.
	 */
	next_tid = BPF_CORE_READ(next, pid);
	if (is_target(BPF_CORE_READ(next, tgid)))
		end_wait(next_tid, NULL);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_sched_wakeup, struct task_struct *p)
{
	/*
	 * The wakeup set the task running just before this tracepoint. If it
	 * is not running any more, it has been on CPU and gone to sleep again
	 * meanwhile (this CPU was held up): its switch-in ended this wait, and
	 * its entry is the next sleep's.
	 */
	if (is_target(BPF_CORE_READ(p, tgid)) && BPF_CORE_READ(p, __state) == TASK_RUNNING)
		end_wait(BPF_CORE_READ(p, pid), bpf_get_current_task_btf());
	return 0;
}

static __always_inline void emit(__u32 type, struct task_struct *task, __u32 aux)
{
	struct bw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_drop(BW_DROP_RINGBUF);
		return;
	}
	e->type = type;
	e->tgid = BPF_CORE_READ(task, tgid);
	e->tid = BPF_CORE_READ(task, pid);
	e->aux = aux;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_process_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	if (!is_target(BPF_CORE_READ(p, tgid)) || !is_user_task(p))
		return 0;
	bpf_map_delete_elem(&sleepers, &tid);
	/* the last thread out ends the process: signal->live reaches 0 */
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		emit(BW_EV_EXIT, p, BPF_CORE_READ(p, exit_code));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_sched_process_exec, struct task_struct *p, pid_t old_pid)
{
	/* system-wide, every exec tells userspace of a process to look at */
	if (is_target(BPF_CORE_READ(p, tgid)))
		emit(BW_EV_EXEC, p, old_pid);
	return 0;
}

/* The saved user registers in DWARF's x86-64 numbering, for userspace's CFI unwinder. */
static __always_inline void read_dwarf_regs(struct pt_regs *regs, __u64 *out)
{
	out[0] = BPF_CORE_READ(regs, ax);
	out[1] = BPF_CORE_READ(regs, dx);
	out[2] = BPF_CORE_READ(regs, cx);
	out[3] = BPF_CORE_READ(regs, bx);
	out[4] = BPF_CORE_READ(regs, si);
	out[5] = BPF_CORE_READ(regs, di);
	out[6] = BPF_CORE_READ(regs, bp);
	out[7] = BPF_CORE_READ(regs, sp);
	out[8] = BPF_CORE_READ(regs, r8);
	out[9] = BPF_CORE_READ(regs, r9);
	out[10] = BPF_CORE_READ(regs, r10);
	out[11] = BPF_CORE_READ(regs, r11);
	out[12] = BPF_CORE_READ(regs, r12);
	out[13] = BPF_CORE_READ(regs, r13);
	out[14] = BPF_CORE_READ(regs, r14);
	out[15] = BPF_CORE_READ(regs, r15);
	out[16] = BPF_CORE_READ(regs, ip);
}

/*
 * One record per thread of the process the iterator was created for (the
 * link filters by pid). Running threads are listed too: userspace counts
 * them in the process summary.
 */
SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task, *self;
	struct bw_task_record *r;
	struct bw_sleeper *s;
	struct pt_regs *regs;
	__u32 zero = 0, tid;
	__u64 now_exec, then_exec;
	long n;

	if (!task || !is_user_task(task))
		return 0;
	r = bpf_map_lookup_elem(&task_scratch, &zero);
	if (!r)
		return 0;
	tid = task->pid;
	r->tid = tid;
	r->tgid = task->tgid;
	r->state = BPF_CORE_READ(task, __state);
	__builtin_memcpy(r->comm, task->comm, sizeof(r->comm));
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	r->syscall_nr = BPF_CORE_READ(regs, orig_ax);
	r->ip = BPF_CORE_READ(regs, ip);
	r->sp = BPF_CORE_READ(regs, sp);
	r->bp = BPF_CORE_READ(regs, bp);
	r->arg0 = BPF_CORE_READ(regs, di);
	r->arg1 = BPF_CORE_READ(regs, si);
	read_dwarf_regs(regs, r->dwarf_regs);
	/*
	 * How long it has been off CPU, in the scheduler's own clock: our
	 * own exec_start is "now" to within a tick.
	 */
	self = bpf_get_current_task_btf();
	now_exec = BPF_CORE_READ(self, se.exec_start);
	then_exec = BPF_CORE_READ(task, se.exec_start);
	r->off_cpu_ns = now_exec > then_exec ? now_exec - then_exec : 0;
	s = bpf_map_lookup_elem(&sleepers, &tid);
	r->sleep_start_ns = s ? s->start_ns : 0;
	r->ustack_id = s && s->start_ns ? s->ustack_id : -1;
	n = bpf_get_task_stack(task, r->kstack, sizeof(r->kstack), 0);
	r->kstack_len = n > 0 ? n / sizeof(__u64) : 0;
	bpf_seq_write(ctx->meta->seq, r, sizeof(*r));
	return 0;
}
