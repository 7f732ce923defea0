// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Goroutine detail mode: entry uprobes on the Go runtime's blocking paths
 * only, never on a fast path, and never return probes (Go moves stacks; a
 * return probe corrupts them and crashes the target).
 *
 *   runtime.gopark  a goroutine parks: note when, why and where
 *   runtime.ready   a parked goroutine is made runnable: the wait is over
 *
 * Nothing is probed on a path that does not block (goroutine exit
 * included): a goroutine readied by the netpoller, which bypasses ready(),
 * leaves its entry behind, and userspace prunes those against the
 * goroutine snapshot (bw_godetail__prune).
 *
 * Userspace places each probe on an instruction the kernel emulates (the
 * conditional jump after the stack-guard compare), not on the first
 * instruction, which the kernel would single-step at some 30 times the
 * cost. There, r14 (the current g), the argument registers and the return
 * address at [sp] are as they were at entry.
 *
 * A park costs a handful of user-memory reads: the site is told by its
 * return addresses, and the full stack is captured only the first time a
 * site is seen. Nothing is sent per event: waits are aggregated here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "blockwatch/goruntime.h"
#include "bits.bpf.h"

#define EEXIST 17

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load, from the target's Go version. */
const volatile __u32 sample_every = 1;	/* time one goroutine in N (by goid) */
const volatile __u32 goid_offset = 152; /* runtime.g.goid, for sampling */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 20);
	/* allocated as goroutines park: goroutines blocked since before attach cost nothing */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bw_go_key);
	__type(value, struct bw_go_park);
} parked SEC(".maps");

/*
 * Per CPU: a ready adds to its own CPU's copy with plain stores, where a
 * shared counter would bounce between CPUs at every wait. Userspace sums.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* a new site is rare: memory as sites come */
	__uint(max_entries, BW_DEFAULT_MAX_SITES);
	__type(key, struct bw_go_site_key);
	__type(value, struct bw_go_wait_stats);
} go_waits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* a new site is rare: memory as sites come */
	__uint(max_entries, BW_DEFAULT_MAX_STACKS);
	__type(key, __u64); /* site */
	__type(value, struct bw_go_stack);
} go_stacks SEC(".maps");

/* bw_go_stack is too big for the BPF stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_go_stack);
} stack_scratch SEC(".maps");

/*
 * One row of counters per CPU, a cache line each: a counter shared by every
 * CPU would bounce between them on every park. Userspace sums the rows.
 */
__u64 counters[BW_GO_COUNTER_CPUS][BW_GO_COUNTERS] SEC(".bss") __attribute__((aligned(64)));

static __always_inline void count(int what)
{
	__u32 cpu = bpf_get_smp_processor_id() & (BW_GO_COUNTER_CPUS - 1);

	if (what >= 0 && what < BW_GO_COUNTERS)
		__sync_fetch_and_add(&counters[cpu][what], 1);
}

/*
 * --sample N times one goroutine in N, by goid: goids are never reused,
 * where a few g structs serve many short goroutines in turn. The goid is
 * read only when sampling (sample_every is constant: the read is compiled
 * out otherwise).
 */
static __always_inline bool sampled(__u64 g)
{
	__u64 goid;

	if (sample_every <= 1)
		return true;
	if (bpf_probe_read_user(&goid, sizeof(goid), (void *)(g + goid_offset))) {
		count(BW_GO_READ_FAULT);
		return false;
	}
	return goid % sample_every == 0;
}

static __always_inline __u64 mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x100000001b3ULL;
	return h ^ (h >> 29);
}

/*
 * The goroutine's stack around sp, read in one go: the site's return
 * addresses are nearly always inside it, and one read of a kilobyte costs
 * less than the eight reads of a frame-pointer walk.
 */
#define WINDOW_WORDS 128

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[WINDOW_WORDS]);
} window_scratch SEC(".maps");

/* The frame record {saved fp, return address} at fp, from the window when it is there. */
static __always_inline int frame_record(const __u64 *win, __u64 sp, __u64 fp, __u64 rec[2])
{
	__u64 idx = (fp - sp) / sizeof(__u64);

	if (win && fp >= sp && !(fp & 7) && idx < WINDOW_WORDS - 1) {
		idx &= WINDOW_WORDS - 1;
		rec[0] = win[idx];
		rec[1] = win[(idx + 1) & (WINDOW_WORDS - 1)];
		return 0;
	}
	return bpf_probe_read_user(rec, 2 * sizeof(__u64), (void *)fp);
}

/*
 * The site's identity: the wait reason and up to BW_GO_SITE_DEPTH return
 * addresses, the first from [sp] (at entry, the caller is only there), the
 * rest along the frame pointers from rbp, which is still the caller's.
 */
static __always_inline __u64 site_of(struct pt_regs *ctx, __u32 reason)
{
	__u64 h = 0xcbf29ce484222325ULL ^ reason, ret = 0, fp = ctx->bp, sp = ctx->sp;
	__u32 zero = 0;
	__u64 *win = bpf_map_lookup_elem(&window_scratch, &zero);

	/* near the top of a mapping the window cannot be read whole: walk word by word */
	if (win && bpf_probe_read_user(win, WINDOW_WORDS * sizeof(__u64), (void *)sp))
		win = NULL;
	if (win)
		ret = win[0];
	else if (bpf_probe_read_user(&ret, sizeof(ret), (void *)sp))
		return 0;
	h = mix(h, ret);
	for (int i = 1; i < BW_GO_SITE_DEPTH && fp; i++) {
		__u64 rec[2];

		if (frame_record(win, sp, fp, rec))
			break;
		h = mix(h, rec[1]);
		if (rec[0] <= fp)
			break;
		fp = rec[0];
	}
	return h ? h : 1;
}

/* The first park at a site: keep its whole stack, caller included. */
static __always_inline void capture_stack(struct pt_regs *ctx, __u64 site)
{
	struct bw_go_stack *st;
	__u32 zero = 0;
	__u64 ret;
	long n, err;

	if (bpf_map_lookup_elem(&go_stacks, &site))
		return;
	st = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!st)
		return;
	/* frames[0] = ip; frames[1] = [sp], which the frame-pointer walk skips */
	n = bpf_get_stack(ctx, &st->frames[1], sizeof(st->frames) - sizeof(__u64),
			  BPF_F_USER_STACK);
	if (n <= 0 || bpf_probe_read_user(&ret, sizeof(ret), (void *)ctx->sp)) {
		count(BW_GO_STACKS_FULL);
		return;
	}
	st->frames[0] = st->frames[1]; /* ip */
	st->frames[1] = ret;
	st->nframes = n / sizeof(__u64) + 1;
	st->tgid = bpf_get_current_pid_tgid() >> 32;
	err = bpf_map_update_elem(&go_stacks, &site, st, BPF_NOEXIST);
	if (err && err != -EEXIST) /* another CPU stored it first: fine */
		count(BW_GO_STACKS_FULL);
}

/* func gopark(unlockf func(*g, unsafe.Pointer) bool, lock unsafe.Pointer, reason waitReason, ...) */
/*
 * A goroutine's entry stays in the parked map between its waits (park_ns 0:
 * not parked): writing it in place costs less than an insert per park and a
 * delete per ready, and a goroutine parking again where it parked last time
 * needs no stack-map lookup. Userspace prunes entries of goroutines that are
 * gone (bw_godetail__prune).
 */
SEC("uprobe")
int BPF_KPROBE(go_park)
{
	struct bw_go_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->r14 };
	struct bw_go_park park = {}, *was;

	count(BW_GO_PARKS);
	if (!sampled(key.g)) {
		count(BW_GO_SAMPLED_OUT);
		return 0;
	}
	park.reason = ctx->cx & 0xff;
	park.lock = ctx->bx;
	park.site = site_of(ctx, park.reason);
	if (!park.site) {
		count(BW_GO_READ_FAULT);
		return 0;
	}
	was = bpf_map_lookup_elem(&parked, &key);
	if (!was || was->site != park.site)
		capture_stack(ctx, park.site);
	park.park_ns = bpf_ktime_get_ns();
	if (was) {
		was->reason = park.reason;
		was->lock = park.lock;
		was->site = park.site;
		was->park_ns = park.park_ns;
		return 0;
	}
	if (bpf_map_update_elem(&parked, &key, &park, BPF_ANY))
		count(BW_GO_PARKED_FULL);
	return 0;
}

static __always_inline struct bw_go_wait_stats *site_stats(const struct bw_go_site_key *key)
{
	static const struct bw_go_wait_stats zero = {};
	struct bw_go_wait_stats *st = lookup_or_init(&go_waits, key, &zero);

	if (!st)
		count(BW_GO_WAITS_FULL);
	return st;
}

/* func ready(gp *g, traceskip int, next bool) */
SEC("uprobe")
int BPF_KPROBE(go_ready)
{
	struct bw_go_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->ax };
	struct bw_go_site_key skey = { .tgid = key.tgid };
	struct bw_go_wait_stats *st;
	struct bw_go_park *park;
	__u64 dur;

	count(BW_GO_READIES);
	park = bpf_map_lookup_elem(&parked, &key);
	if (!park || !park->park_ns) {
		/* left out by --sample, or parked before we attached */
		if (sampled(key.g))
			count(BW_GO_READY_UNKNOWN);
		return 0;
	}
	dur = bpf_ktime_get_ns() - park->park_ns;
	skey.reason = park->reason;
	skey.site = park->site;
	park->park_ns = 0; /* not parked: the entry is kept for the next park */
	st = site_stats(&skey);
	if (!st)
		return 0;
	/* this CPU's copy, and a program is not preempted by another on its CPU */
	st->count++;
	st->total_ns += dur;
	if (dur > st->max_ns)
		st->max_ns = dur;
	st->hist[hist_slot(dur)]++;
	return 0;
}
