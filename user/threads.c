// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stacks.h"
#include "syscalls.h"
#include "threads.h"
#include "u64map.h"
#include "unwind_cfi.h"

#define TASK_INTERRUPTIBLE 0x1
#define TASK_UNINTERRUPTIBLE 0x2
/* bytes above a sleeping thread's sp searched for hidden return addresses */
#define SCAN_LIMIT 2048

/* The full stack learned for a kernel user-stack id. */
struct learned_stack {
	int n;
	uint64_t frames[BW_MAX_STACK_DEPTH];
};

struct bw_threads {
	pid_t pid;
	struct bw_loader *ld;
	struct bw_symbolizer *sym;
	struct bw_mem *mem;
	struct bw_cfi *cfi; /* NULL: frame pointers and the scan only */
	bool hide_go_runtime;
	struct bw_u64map learned; /* ustack_id + 1 -> struct learned_stack */
	/* scratch for the iterator callback */
	struct bw_agg *agg;
	uint64_t now_ns;
	struct bw_proc_summary *sum;
	int err;
};

static int read_target(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct bw_threads *t = ctx;

	return bw_mem__read(t->mem, addr, buf, len);
}

struct bw_threads *bw_threads__new(pid_t pid, struct bw_loader *ld, struct bw_symbolizer *sym,
				   struct bw_mem *mem)
{
	struct bw_threads *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->pid = pid;
	t->ld = ld;
	t->sym = sym;
	t->mem = mem;
	bw_u64map__init(&t->learned);
	t->cfi = bw_cfi__new(pid, read_target, t);
	if (!t->cfi)
		bw_info("no CFI unwinding for pid %d: frame pointers and stack scanning only", pid);
	return t;
}

void bw_threads__free(struct bw_threads *t)
{
	if (!t)
		return;
	bw_cfi__free(t->cfi);
	for (size_t i = 0; i < t->learned.cap; i++)
		free(bw_u64map__val_at(&t->learned, i));
	bw_u64map__free(&t->learned);
	free(t);
}

void bw_threads__hide_go_runtime(struct bw_threads *t, bool hide)
{
	t->hide_go_runtime = hide;
}

/* Does the stack run nothing but the Go runtime (see bw_threads__hide_go_runtime)? */
static bool only_go_runtime(struct bw_threads *t, const uint64_t *frames, int n)
{
	int named = 0;

	for (int i = 0; i < n; i++) {
		struct bw_frame_info fi = {};

		if (bw_symbolizer__resolve(t->sym, frames[i], i > 0, &fi) || !fi.function)
			continue;
		if (strncmp(fi.function, "runtime.", 8))
			return false;
		named++;
		/* past a switch from the scheduler's stack, frames are a goroutine's */
		if (!strcmp(fi.function, "runtime.mcall") ||
		    !strcmp(fi.function, "runtime.systemstack") ||
		    !strcmp(fi.function, "runtime.morestack"))
			break;
	}
	return named > 0;
}

static int is_return_address(void *ctx, uint64_t addr)
{
	struct bw_threads *t = ctx;
	uint8_t before[8];

	if (addr < 8 || !bw_symbolizer__is_text(t->sym, addr))
		return 0;
	if (bw_mem__read(t->mem, addr - 8, before, sizeof(before)))
		return 0;
	return bw_follows_call(before);
}

static int unwind_thread(struct bw_threads *t, const struct bw_task_record *rec, uint64_t *frames)
{
	struct bw_unwinder uw = {
		.read = read_target,
		.is_return = is_return_address,
		.ctx = t,
		.scan_limit = SCAN_LIMIT,
	};
	struct bw_unwind_regs regs = { .ip = rec->ip, .sp = rec->sp, .bp = rec->bp };
	int n;

	/* exact through code without frame pointers; the scan is the fallback */
	if (t->cfi) {
		uint64_t regs_copy[BW_DWARF_REGS];

		for (int i = 0; i < BW_DWARF_REGS; i++)
			regs_copy[i] = rec->dwarf_regs[i];
		n = bw_cfi__unwind(t->cfi, rec->tid, regs_copy, frames, BW_MAX_STACK_DEPTH);
		if (n > 1)
			return n;
	}
	return bw_unwind(&uw, &regs, frames, BW_MAX_STACK_DEPTH);
}

/* Remember the full stack behind a kernel stack id, for completed waits. */
static void learn_stack(struct bw_threads *t, int32_t ustack_id, const uint64_t *frames, int n)
{
	struct learned_stack *ls;

	if (ustack_id < 0 || bw_u64map__get(&t->learned, (uint64_t)ustack_id + 1))
		return;
	ls = malloc(sizeof(*ls));
	if (!ls)
		return;
	ls->n = n;
	memcpy(ls->frames, frames, n * sizeof(*frames));
	if (bw_u64map__put(&t->learned, (uint64_t)ustack_id + 1, ls))
		free(ls);
}

int bw_threads__add_task(struct bw_threads *t, struct bw_agg *agg, uint64_t now_ns,
			 struct bw_proc_summary *sum, const struct bw_task_record *rec)
{
	uint64_t frames[BW_MAX_STACK_DEPTH], kframes[BW_TASK_KSTACK_DEPTH];
	struct bw_waiter_in w = {};
	char reason[BW_REASON_LEN];
	unsigned int futex_cmd;
	int n;

	if ((pid_t)rec->tgid != t->pid)
		return -EINVAL;
	t->agg = agg;
	t->now_ns = now_ns;
	t->sum = sum;
	t->sum->threads++;
	if (!(rec->state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)))
		return 0;
	t->sum->threads_blocked++;
	futex_cmd = rec->arg1 & ~(128u | 256u);
	w.kind = bw_wait_classify(rec->syscall_nr, futex_cmd, reason, sizeof(reason));
	n = unwind_thread(t, rec, frames);
	if (t->hide_go_runtime && only_go_runtime(t, frames, n)) {
		t->sum->threads_blocked--;
		return 0;
	}
	learn_stack(t, rec->ustack_id, frames, n);
	w.pid = t->pid;
	w.waiter_id = rec->tid;
	w.reason = reason;
	w.frames = frames;
	w.nframes = n;
	w.nkframes = rec->kstack_len < BW_TASK_KSTACK_DEPTH ? rec->kstack_len
							    : BW_TASK_KSTACK_DEPTH;
	for (int i = 0; i < w.nkframes; i++)
		kframes[i] = rec->kstack[i];
	w.kframes = kframes;
	/* exact when we saw it fall asleep; else from the scheduler's clock */
	w.start_ns = rec->sleep_start_ns;
	if (!w.start_ns && rec->off_cpu_ns && rec->off_cpu_ns < t->now_ns)
		w.start_hint_ns = t->now_ns - rec->off_cpu_ns;
	w.object = w.kind == BW_KIND_FUTEX ? rec->arg0 : 0;
	return bw_agg__add_waiter(t->agg, &w);
}

static void on_task(void *ctx, const struct bw_task_record *rec)
{
	struct bw_threads *t = ctx;
	int err = bw_threads__add_task(t, t->agg, t->now_ns, t->sum, rec);

	if (err && err != -EINVAL && !t->err)
		t->err = err;
}

int bw_threads__collect_blocked(struct bw_threads *t, struct bw_agg *agg, uint64_t now_ns,
				struct bw_proc_summary *sum)
{
	int err;

	t->agg = agg;
	t->now_ns = now_ns;
	t->sum = sum;
	t->err = 0;
	err = bw_loader__iter_tasks(t->ld, t->pid, on_task, t);
	return err ? err : t->err;
}

int bw_threads__add_completed(struct bw_threads *t, struct bw_agg *agg,
			      const struct bw_wait_delta *d)
{
	uint64_t frames[BW_MAX_STACK_DEPTH], kframes[BW_MAX_STACK_DEPTH];
	struct bw_completed_in c = {};
	struct learned_stack *ls;
	char reason[BW_REASON_LEN];
	int n, nk;

	if ((pid_t)d->key.tgid != t->pid)
		return -EINVAL;
	c.kind = bw_wait_classify(d->key.syscall_nr, d->key.futex_cmd, reason, sizeof(reason));
	ls = d->key.ustack_id >= 0 ? bw_u64map__get(&t->learned, (uint64_t)d->key.ustack_id + 1)
				   : NULL;
	if (ls) {
		c.frames = ls->frames;
		c.nframes = ls->n;
	} else {
		n = bw_loader__stack(t->ld, d->key.ustack_id, true, frames, BW_MAX_STACK_DEPTH);
		c.frames = frames;
		c.nframes = n > 0 ? n : 0;
	}
	if (t->hide_go_runtime && only_go_runtime(t, c.frames, c.nframes))
		return 0;
	nk = bw_loader__stack(t->ld, d->kstack_id, false, kframes, BW_MAX_STACK_DEPTH);
	c.kframes = kframes;
	c.nkframes = nk > 0 ? nk : 0;
	c.pid = t->pid;
	c.reason = reason;
	c.count = d->count;
	c.total_ns = d->total_ns;
	c.max_ns = d->max_ns;
	c.hist = d->hist;
	c.waker_pid = d->waker_pid;
	c.waker_comm = d->waker_comm;
	return bw_agg__add_completed(agg, &c);
}
