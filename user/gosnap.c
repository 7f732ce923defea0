// SPDX-License-Identifier: BSD-2-Clause
/*
 * Reads every goroutine of a live Go process from outside, without stopping
 * it: runtime.allgs (a []*g), then each g, then the stacks of those that
 * wait, walked by frame pointers (Go keeps them on amd64) from g.sched.
 *
 * The target changes all of this while we read it. Every record is
 * validated and a record that does not make sense is counted as torn and
 * skipped. A stack is walked again only when the goroutine moved: stacks of
 * goroutines still blocked at the same place come from a cache.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "clock.h"
#include "goruntime.h"
#include "log.h"
#include "proc.h"
#include "stacks.h"
#include "u64map.h"

#define USER_MAX 0x00007fffffffffffULL /* amd64 user space with 4-level paging */
#define MAX_GOROUTINES (1u << 24)
#define MAX_STACK (1ULL << 30)	   /* Go's default max stack is 1 GB */
#define STACK_READ_MAX (64 * 1024) /* read at most this much of a stack at once */
#define G_READ_MAX 1024		   /* larger than any runtime.g so far */
#define PTR_BATCH 1024		   /* allgs entries, and gs, read per call (IOV_MAX) */

/* What stays true while a goroutine stays blocked at the same place. */
struct gcache {
	uint64_t goid, pc, sp, bp;
	uint64_t wait_object;
	uint64_t seen; /* read generation that last saw it */
	int nframes;
	uint64_t frames[];
};

struct bw_gosnap {
	pid_t pid;
	struct bw_mem *mem;
	struct bw_go_layout l;
	struct bw_go_version v;
	uint64_t allgs; /* runtime address */
	int read_len;	/* bytes of each g read: up to the last field used */
	uint64_t gen;
	struct bw_u64map cache; /* g address -> struct gcache */
	uint8_t *stack;		/* STACK_READ_MAX bytes */
	uint8_t *gbufs;		/* PTR_BATCH gs of read_len bytes */
	bool no_vm_readv;	/* process_vm_readv refused: one pread per g */
};

static bool user_ptr(uint64_t p)
{
	return p >= 4096 && p <= USER_MAX;
}

/* ---- finding runtime.allgs ---- */

/*
 * `for _, gp := range allgs` loads the slice's pointer and length with two
 * RIP-relative MOVs, at allgs and allgs+8 (Go 1.19 forEachG: MOVQ
 * runtime.allgs(SB), CX; MOVQ runtime.allgs+8(SB), DX); allgadd loads
 * allgs, +8 and +16 for its append. The lowest address whose +8 is also
 * loaded is the slice.
 */
static int allgs_from_code(csh cs, const uint8_t *code, size_t size, uint64_t addr, uint64_t *out)
{
	uint64_t loads[64];
	size_t n = 0;
	cs_insn *insn = cs_malloc(cs);

	if (!insn)
		return -ENOMEM;
	while (n < 64 && cs_disasm_iter(cs, &code, &size, &addr, insn)) {
		cs_x86 *x = &insn->detail->x86;

		if (insn->id != X86_INS_MOV || x->op_count != 2 ||
		    x->operands[0].type != X86_OP_REG || x->operands[1].type != X86_OP_MEM ||
		    x->operands[1].size != 8 || x->operands[1].mem.base != X86_REG_RIP ||
		    x->operands[1].mem.index)
			continue;
		/* after cs_disasm_iter, addr is the next instruction's address */
		loads[n++] = addr + (int64_t)x->operands[1].mem.disp;
	}
	cs_free(insn, 1);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (loads[j] == loads[i] + 8) {
				*out = loads[i];
				return 0;
			}
	return -ENOENT;
}

static int allgs_in_func(csh cs, const struct bw_gobin *gb, const char *name, uint64_t *out)
{
	struct bw_go_func f;
	uint8_t code[1024];
	size_t size;
	int err;

	err = bw_gobin__func_by_name(gb, name, &f);
	if (err)
		return err;
	size = f.end > f.entry && f.end - f.entry < sizeof(code) ? f.end - f.entry : sizeof(code);
	err = bw_gobin__read(gb, f.entry, code, size);
	if (err)
		return err;
	return allgs_from_code(cs, code, size, f.entry, out);
}

int bw_go_find_allgs_by_code(const struct bw_gobin *gb, uint64_t *addr)
{
	static const char *const funcs[] = { "runtime.forEachG", "runtime.allgadd" };
	int err = -ENOENT;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]) && err; i++)
		err = allgs_in_func(cs, gb, funcs[i], addr);
	cs_close(&cs);
	return err;
}

int bw_go_find_allgs(const struct bw_gobin *gb, uint64_t *addr)
{
	uint64_t a = bw_gobin__symbol(gb, "runtime.allgs");

	if (a) {
		*addr = a;
		return 0;
	}
	return bw_go_find_allgs_by_code(gb, addr);
}

/* ---- setup ---- */

/* Bytes of a g to read: through the last field used, which must fit in G_READ_MAX. */
static int g_read_len(const struct bw_go_layout *l)
{
	const int offs[] = { l->sched_sp,  l->sched_pc, l->sched_bp,  l->atomicstatus, l->goid,
			     l->waitsince, l->gopc,	l->startpc,   l->parentgoid,   l->waiting,
			     l->stack_lo,  l->stack_hi, l->waitreason };
	int end = 0;

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (offs[i] + 8 > end)
			end = offs[i] + 8;
	return end <= G_READ_MAX && l->atomicstatus >= 0 && l->waitreason >= 0 ? end : -1;
}

struct bw_gosnap *bw_gosnap__new(pid_t pid, const struct bw_gobin *gb, uint64_t load_bias)
{
	struct bw_gosnap *snap = calloc(1, sizeof(*snap));
	char exe[64];
	uint64_t allgs;
	int err;

	if (!snap)
		return NULL;
	snap->pid = pid;
	bw_u64map__init(&snap->cache);
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	err = bw_go_layout__for_file(gb, exe, &snap->l);
	if (err)
		goto fail;
	snap->read_len = g_read_len(&snap->l);
	if (snap->read_len <= 0) {
		err = -ENOTSUP;
		goto fail;
	}
	bw_gobin__version(gb, &snap->v); /* unknown: no wait-reason names */
	err = bw_go_find_allgs(gb, &allgs);
	if (err) {
		bw_warn("failed to find 'runtime.allgs' in pid %d: %s", pid, strerror(-err));
		goto fail;
	}
	snap->allgs = allgs + load_bias;
	snap->stack = malloc(STACK_READ_MAX);
	snap->gbufs = malloc((size_t)PTR_BATCH * snap->read_len);
	if (!snap->stack || !snap->gbufs) {
		err = -ENOMEM;
		goto fail;
	}
	snap->mem = bw_mem__open(pid);
	if (!snap->mem) {
		err = -errno;
		goto fail;
	}
	return snap;
fail:
	bw_gosnap__free(snap);
	errno = -err;
	return NULL;
}

void bw_gosnap__free(struct bw_gosnap *snap)
{
	if (!snap)
		return;
	for (size_t i = 0; i < snap->cache.cap; i++)
		free(bw_u64map__val_at(&snap->cache, i));
	bw_u64map__free(&snap->cache);
	bw_mem__free(snap->mem);
	free(snap->stack);
	free(snap->gbufs);
	free(snap);
}

const struct bw_go_layout *bw_gosnap__layout(const struct bw_gosnap *snap)
{
	return &snap->l;
}

uint64_t bw_gosnap__allgs(const struct bw_gosnap *snap)
{
	return snap->allgs;
}

/* ---- one goroutine ---- */

/* The fields of one g, taken from a single read of the whole struct. */
struct graw {
	uint64_t lo, hi, sp, pc, bp, goid, gopc, startpc, parent, waiting;
	int64_t waitsince;
	uint32_t status;
	int reason;
};

static uint64_t get64(const uint8_t *g, int off)
{
	uint64_t v = 0;

	if (off >= 0)
		memcpy(&v, g + off, sizeof(v));
	return v;
}

static void decode_g(const struct bw_go_layout *l, const uint8_t *g, struct graw *r)
{
	uint32_t st;

	memcpy(&st, g + l->atomicstatus, sizeof(st));
	r->status = st & ~(uint32_t)BW_G_SCAN;
	r->lo = get64(g, l->stack_lo);
	r->hi = get64(g, l->stack_hi);
	r->sp = get64(g, l->sched_sp);
	r->pc = get64(g, l->sched_pc);
	r->bp = get64(g, l->sched_bp);
	r->goid = get64(g, l->goid);
	r->gopc = get64(g, l->gopc);
	r->startpc = get64(g, l->startpc);
	r->parent = get64(g, l->parentgoid);
	r->waiting = get64(g, l->waiting);
	r->waitsince = (int64_t)get64(g, l->waitsince);
	r->reason = g[l->waitreason];
}

/* Is the record a goroutine parked with a saved context we can unwind? */
static bool parked(uint32_t status)
{
	return status == BW_G_WAITING || status == BW_G_RUNNABLE || status == BW_G_PREEMPTED;
}

/* A torn or foreign record fails at least one of these. */
static bool g_valid(const struct graw *r)
{
	if (r->status > 11 || r->goid == 0 || r->goid > (1ULL << 48))
		return false;
	if (!user_ptr(r->lo) || !user_ptr(r->hi) || r->lo >= r->hi || r->hi - r->lo > MAX_STACK)
		return false;
	if (!parked(r->status))
		return true;
	if (r->sp < r->lo || r->sp > r->hi || (r->sp & 7) || !user_ptr(r->pc))
		return false;
	return !r->bp || (r->bp >= r->sp && r->bp < r->hi);
}

/* Stack reads for the walk: from the copy of [sp, ...) when inside it, never outside the stack. */
struct stack_view {
	struct bw_gosnap *snap;
	uint64_t lo, hi;    /* goroutine stack bounds */
	uint64_t base, len; /* bytes held in snap->stack */
};

static int stack_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct stack_view *sv = ctx;

	if (addr < sv->lo || addr > sv->hi || len > sv->hi - addr)
		return -EFAULT;
	if (addr >= sv->base && addr - sv->base <= sv->len && len <= sv->len - (addr - sv->base)) {
		memcpy(buf, sv->snap->stack + (addr - sv->base), len);
		return 0;
	}
	return bw_mem__read(sv->snap->mem, addr, buf, len);
}

static int walk_stack(struct bw_gosnap *snap, const struct graw *r, uint64_t *frames, int max)
{
	struct stack_view sv = { .snap = snap, .lo = r->lo, .hi = r->hi, .base = r->sp };
	struct bw_unwinder uw = { .read = stack_read, .ctx = &sv };
	uint64_t len = r->hi - r->sp;

	if (len > STACK_READ_MAX)
		len = STACK_READ_MAX;
	if (len && !bw_mem__read(snap->mem, r->sp, snap->stack, len))
		sv.len = len;
	return bw_unwind_fp(&uw, r->pc, r->bp, frames, max);
}

static bool chan_wait(const char *reason)
{
	return reason && (!strncmp(reason, "chan ", 5) || !strcmp(reason, "select"));
}

/* g.waiting->c: the channel of the first sudog the goroutine waits on. */
static uint64_t wait_channel(struct bw_gosnap *snap, const struct graw *r)
{
	uint64_t c;

	if (snap->l.sudog_c < 0 || !user_ptr(r->waiting) ||
	    bw_mem__read(snap->mem, r->waiting + snap->l.sudog_c, &c, sizeof(c)) || !user_ptr(c))
		return 0;
	return c;
}

/* Frames and channel from the cache when the goroutine has not moved, else fresh. */
static int fill_stack(struct bw_gosnap *snap, uint64_t gaddr, const struct graw *r,
		      struct bw_goroutine *out, struct bw_gosnap_stats *st)
{
	struct gcache *c = bw_u64map__get(&snap->cache, gaddr);

	if (c && c->goid == r->goid && c->pc == r->pc && c->sp == r->sp && c->bp == r->bp) {
		c->seen = snap->gen;
		out->nframes = c->nframes;
		memcpy(out->frames, c->frames, c->nframes * sizeof(c->frames[0]));
		out->wait_object = c->wait_object;
		st->cached++;
		return 0;
	}
	out->nframes = walk_stack(snap, r, out->frames, BW_MAX_STACK_DEPTH);
	if (out->status == BW_G_WAITING && chan_wait(out->wait_reason_name))
		out->wait_object = wait_channel(snap, r);
	st->walked++;
	free(bw_u64map__del(&snap->cache, gaddr));
	c = malloc(sizeof(*c) + out->nframes * sizeof(c->frames[0]));
	if (!c)
		return -ENOMEM;
	*c = (struct gcache){ .goid = r->goid,
			      .pc = r->pc,
			      .sp = r->sp,
			      .bp = r->bp,
			      .wait_object = out->wait_object,
			      .seen = snap->gen,
			      .nframes = out->nframes };
	memcpy(c->frames, out->frames, out->nframes * sizeof(c->frames[0]));
	if (bw_u64map__put(&snap->cache, gaddr, c)) {
		free(c);
		return -ENOMEM;
	}
	return 0;
}

static void count_status(struct bw_gosnap_stats *st, uint32_t status)
{
	st->total++;
	if (status == BW_G_WAITING)
		st->waiting++;
	else if (status == BW_G_RUNNABLE || status == BW_G_PREEMPTED)
		st->runnable++;
	else if (status == BW_G_RUNNING)
		st->running++;
	else if (status == BW_G_SYSCALL)
		st->syscall++;
}

/* One goroutine from its bytes (NULL: they could not be read). */
static int read_one(struct bw_gosnap *snap, uint64_t gaddr, const uint8_t *buf, bw_goroutine_fn fn,
		    void *ctx, struct bw_gosnap_stats *st)
{
	struct bw_goroutine g = {};
	struct graw r;
	int err;

	if (!buf) {
		st->torn++;
		return 0;
	}
	decode_g(&snap->l, buf, &r);
	if (r.status == BW_G_DEAD || r.status == BW_G_IDLE)
		return 0;
	if (!g_valid(&r)) {
		st->torn++;
		return 0;
	}
	g = (struct bw_goroutine){ .goid = r.goid,
				   .gaddr = gaddr,
				   .status = r.status,
				   .wait_reason = r.reason,
				   .gopc = r.gopc,
				   .startpc = r.startpc,
				   .parent_goid = r.parent };
	if (r.status == BW_G_WAITING) {
		g.wait_reason_name = bw_go_wait_reason(&snap->v, r.reason);
		g.waitsince_ns = r.waitsince > 0 ? r.waitsince : 0;
	}
	if (parked(r.status)) {
		err = fill_stack(snap, gaddr, &r, &g, st);
		if (err)
			return err;
	} else if (r.status == BW_G_SYSCALL && user_ptr(r.pc)) {
		/* entersyscall saved pc and sp, not bp (before go1.23): the caller of the syscall only */
		g.frames[0] = r.pc;
		g.nframes = 1;
	}
	count_status(st, r.status);
	fn(ctx, &g);
	return 0;
}

/* The allgs slice header, checked: a torn header is read again. */
static int read_allgs(struct bw_gosnap *snap, uint64_t *ptr, uint64_t *len)
{
	uint64_t s[3];

	for (int tries = 0; tries < 3; tries++) {
		int err = bw_mem__read(snap->mem, snap->allgs, s, sizeof(s));

		if (err)
			return err;
		if (s[1] <= s[2] && s[1] <= MAX_GOROUTINES && (!s[1] || user_ptr(s[0]))) {
			*ptr = s[0];
			*len = s[1];
			return 0;
		}
	}
	return -EIO;
}

uint64_t bw_gosnap__count(struct bw_gosnap *snap)
{
	uint64_t ptr, len;

	return read_allgs(snap, &ptr, &len) ? 0 : len;
}

/* Drop cached stacks of goroutines not seen in this read. */
static void cache_sweep(struct bw_gosnap *snap)
{
	struct bw_u64map *m = &snap->cache;

	for (size_t i = 0; i < m->cap;) {
		struct gcache *c = bw_u64map__val_at(m, i);

		if (c && c->seen != snap->gen) {
			free(bw_u64map__del(m, bw_u64map__key_at(m, i)));
			continue; /* backward-shift deletion may move another entry here */
		}
		i++;
	}
}

/*
 * Read n gs into snap->gbufs with as few system calls as possible:
 * process_vm_readv takes up to PTR_BATCH remote ranges at once and stops at
 * the first one it cannot read; that one is retried alone. ok[i] tells
 * which gs arrived.
 */
static void read_gs(struct bw_gosnap *snap, const uint64_t *addrs, size_t n, bool *ok)
{
	size_t len = snap->read_len;
	struct iovec remote[PTR_BATCH];
	size_t i = 0;

	while (i < n) {
		struct iovec local = { snap->gbufs + i * len, (n - i) * len };
		ssize_t got = -1;
		size_t done, j;

		for (j = i; j < n; j++)
			remote[j - i] = (struct iovec){ (void *)(uintptr_t)addrs[j], len };
		if (!snap->no_vm_readv) {
			got = process_vm_readv(snap->pid, &local, 1, remote, n - i, 0);
			if (got < 0 && (errno == ENOSYS || errno == EPERM))
				snap->no_vm_readv = true;
		}
		done = got > 0 ? (size_t)got / len : 0;
		for (j = i; j < i + done; j++)
			ok[j] = true;
		i += done;
		if (i < n) { /* the one that stopped the batch, alone */
			ok[i] = user_ptr(addrs[i]) &&
				!bw_mem__read(snap->mem, addrs[i], snap->gbufs + i * len, len);
			i++;
		}
	}
}

int bw_gosnap__read(struct bw_gosnap *snap, bw_goroutine_fn fn, void *ctx,
		    struct bw_gosnap_stats *stats)
{
	uint64_t t0 = bw_monotonic_ns(), ptr, len, batch[PTR_BATCH];
	struct bw_gosnap_stats st = {};
	int err;

	err = read_allgs(snap, &ptr, &len);
	if (err)
		return err;
	snap->gen++;
	for (uint64_t i = 0; i < len && !err; i += PTR_BATCH) {
		uint64_t n = len - i < PTR_BATCH ? len - i : PTR_BATCH;

		bool ok[PTR_BATCH] = {};

		err = bw_mem__read(snap->mem, ptr + i * 8, batch, n * 8);
		/* the stack cache's slots load while the kernel copies the gs */
		for (uint64_t j = 0; j < n && !err; j++)
			bw_u64map__prefetch(&snap->cache, batch[j]);
		if (!err)
			read_gs(snap, batch, n, ok);
		for (uint64_t j = 0; j < n && !err; j++)
			err = read_one(snap, batch[j],
				       ok[j] ? snap->gbufs + j * snap->read_len : NULL, fn, ctx,
				       &st);
	}
	cache_sweep(snap);
	st.read_ns = bw_monotonic_ns() - t0;
	if (stats)
		*stats = st;
	return err;
}
