// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "clock.h"
#include "godetail.h"
#include "gopclntab.h"
#include "loader.h"
#include "log.h"
#include "mapdelta.h"
#include "u64map.h"

/* cmp 0x10(%r14),%rsp: the stack-guard check of a small frame */
static const uint8_t cmp_rsp_guard[] = { 0x49, 0x3b, 0x66, 0x10 };
/* cmp 0x10(%r14),%r12: the same, after lea -N(%rsp),%r12 for a large frame */
static const uint8_t cmp_r12_guard[] = { 0x4d, 0x3b, 0x66, 0x10 };

static bool is_jbe(const uint8_t *p, size_t left)
{
	return (left >= 2 && p[0] == 0x76) || (left >= 6 && p[0] == 0x0f && p[1] == 0x86);
}

int bw_go_probe_offset(const uint8_t *code, size_t len)
{
	size_t at = 0;

	if (len >= 1 && code[0] == 0x55)
		return 0; /* push %rbp: emulated */
	if (len >= 5 && code[0] == 0x4c && code[1] == 0x8d && code[2] == 0x64 && code[3] == 0x24)
		at = 5; /* lea disp8(%rsp),%r12 */
	else if (len >= 8 && code[0] == 0x4c && code[1] == 0x8d && code[2] == 0xa4 &&
		 code[3] == 0x24)
		at = 8; /* lea disp32(%rsp),%r12 */
	if (len < at + 4)
		return -1;
	if (memcmp(code + at, at ? cmp_r12_guard : cmp_rsp_guard, 4))
		return -1;
	at += 4;
	return is_jbe(code + at, len - at) ? (int)at : -1;
}

/* A parked goroutine seen by the probes, kept for one interval. */
struct parked_copy {
	struct bw_go_park park;
	bool seen;	   /* alive in this interval's snapshot */
	bool seen_waiting; /* and waiting */
};

/* The snapshot's frames for a probe site. */
struct site_frames {
	int n;
	uint64_t frames[BW_MAX_STACK_DEPTH];
};

/* One Go binary's BPF object and the processes using it. */
struct shared_binary {
	dev_t dev;
	ino_t ino;
	struct bw_go_probes *probes;
	struct bw_go_links *every; /* attached to every process of the binary, or NULL */
	int users;
};

struct bw_go_shared {
	bool every_process;
	struct shared_binary **v;
	size_t n;
	size_t cap;
};

struct bw_godetail {
	struct bw_go_shared *shared;
	struct shared_binary *bin;
	struct bw_go_links *own;     /* attached to this process alone, or NULL */
	struct bw_mapdelta previous; /* this process's per-site waits as read last time */
	uint32_t sample_every;
	uint64_t begin_ns;	 /* when this interval's parked map was read */
	struct bw_u64map parked; /* address of the goroutine's g -> struct parked_copy */
	struct bw_u64map sites;	 /* probe site -> struct site_frames */
	pid_t pid;
};

struct bw_go_shared *bw_go_shared__new(bool every_process)
{
	struct bw_go_shared *sh = calloc(1, sizeof(*sh));

	if (sh)
		sh->every_process = every_process;
	return sh;
}

size_t bw_go_shared__binaries(const struct bw_go_shared *sh)
{
	return sh ? sh->n : 0;
}

static void free_binary(struct shared_binary *b)
{
	bw_go_links__free(b->every);
	bw_go_probes__free(b->probes);
	free(b);
}

void bw_go_shared__free(struct bw_go_shared *sh)
{
	if (!sh)
		return;
	for (size_t i = 0; i < sh->n; i++)
		free_binary(sh->v[i]);
	free(sh->v);
	free(sh);
}

static struct shared_binary *find_binary(struct bw_go_shared *sh, const struct stat *st)
{
	for (size_t i = 0; i < sh->n; i++)
		if (sh->v[i]->dev == st->st_dev && sh->v[i]->ino == st->st_ino)
			return sh->v[i];
	return NULL;
}

static struct shared_binary *add_binary(struct bw_go_shared *sh, const struct stat *st,
					const struct bw_go_load_opts *lo)
{
	struct shared_binary *b, **grown;

	if (sh->n == sh->cap) {
		grown = realloc(sh->v, (sh->cap ? sh->cap * 2 : 8) * sizeof(*grown));
		if (!grown)
			return NULL;
		sh->v = grown;
		sh->cap = sh->cap ? sh->cap * 2 : 8;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->dev = st->st_dev;
	b->ino = st->st_ino;
	b->probes = bw_go_probes__load(lo);
	if (!b->probes) {
		free(b);
		return NULL;
	}
	sh->v[sh->n++] = b;
	return b;
}

/* The last process of a binary is gone: its probes go too. */
static void release_binary(struct bw_go_shared *sh, struct shared_binary *b)
{
	if (--b->users > 0)
		return;
	for (size_t i = 0; i < sh->n; i++) {
		if (sh->v[i] != b)
			continue;
		sh->v[i] = sh->v[--sh->n];
		break;
	}
	free_binary(b);
}

/* File offset of a runtime function's probe point, or 0 when it cannot be probed cheaply. */
static uint64_t probe_point(const struct bw_gobin *gb, const char *name, bool required)
{
	struct bw_go_func fn;
	uint8_t code[16];
	uint64_t off;
	int at;

	if (bw_gobin__func_by_name(gb, name, &fn) ||
	    bw_gobin__read(gb, fn.entry, code, sizeof(code))) {
		if (required)
			bw_err("failed to find '%s' in the target's pcln table", name);
		return 0;
	}
	at = bw_go_probe_offset(code, sizeof(code));
	if (at < 0) {
		/* the first instruction would be single-stepped: ~30x the cost; refuse */
		bw_err("failed to find an emulated instruction in the prologue of '%s'", name);
		return 0;
	}
	if (bw_gobin__vaddr_to_offset(gb, fn.entry + at, &off)) {
		bw_err("failed to map '%s' to a file offset", name);
		return 0;
	}
	return off;
}

/*
 * The path to attach through: the executable's own path when it names the
 * same file from here (bpftool and the kernel show it), else /proc/PID/exe
 * (another mount namespace, a deleted file), which always does.
 */
static void binary_path(pid_t pid, char *out, size_t size)
{
	char proc[64], target[PATH_MAX];
	struct stat via_proc, direct;
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/%d/exe", pid);
	snprintf(out, size, "%s", proc);
	n = readlink(proc, target, sizeof(target) - 1);
	if (n <= 0 || target[0] != '/')
		return;
	target[n] = '\0';
	if (stat(proc, &via_proc) || stat(target, &direct) || via_proc.st_dev != direct.st_dev ||
	    via_proc.st_ino != direct.st_ino)
		return;
	snprintf(out, size, "%s", target);
}

/* This process's probes: shared with its binary's other processes, or its own links. */
static int attach_probes(struct bw_godetail *gd, const struct bw_godetail_opts *o,
			 const char *binary, const struct bw_go_points *at)
{
	struct bw_go_load_opts lo = {
		.sample_every = o->sample_every,
		.goid_offset = (uint32_t)o->layout->goid,
		.max_parked = o->max_parked,
		.max_sites = o->max_sites,
		.max_stacks = o->max_stacks,
	};
	struct bw_go_shared *sh = o->shared;
	struct stat st;

	if (stat(binary, &st))
		return -errno;
	gd->bin = find_binary(sh, &st);
	if (!gd->bin)
		gd->bin = add_binary(sh, &st, &lo);
	if (!gd->bin)
		return -errno;
	gd->bin->users++;
	if (sh->every_process) {
		if (!gd->bin->every)
			gd->bin->every = bw_go_probes__attach(gd->bin->probes, -1, binary, at);
		return gd->bin->every ? 0 : -errno;
	}
	gd->own = bw_go_probes__attach(gd->bin->probes, o->pid, binary, at);
	return gd->own ? 0 : -errno;
}

struct bw_godetail *bw_godetail__new(const struct bw_godetail_opts *o)
{
	struct bw_go_points at = {};
	struct bw_godetail *gd;
	char binary[PATH_MAX];
	int err;

	binary_path(o->pid, binary, sizeof(binary));
	at.park_offset = probe_point(o->gobin, "runtime.gopark", true);
	at.ready_offset = probe_point(o->gobin, "runtime.ready", true);
	if (!at.park_offset || !at.ready_offset) {
		errno = ENOENT;
		return NULL;
	}
	gd = calloc(1, sizeof(*gd));
	if (!gd)
		return NULL;
	gd->shared = o->shared;
	gd->pid = o->pid;
	gd->sample_every = o->sample_every ? o->sample_every : 1;
	bw_u64map__init(&gd->parked);
	bw_u64map__init(&gd->sites);
	err = bw_go_probes__waits_delta_init(&gd->previous);
	if (!err)
		err = attach_probes(gd, o, binary, &at);
	if (err) {
		bw_godetail__free(gd);
		errno = -err;
		return NULL;
	}
	return gd;
}

static void free_values(struct bw_u64map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(bw_u64map__val_at(m, i));
	bw_u64map__free(m);
}

void bw_godetail__free(struct bw_godetail *gd)
{
	if (!gd)
		return;
	bw_go_links__free(gd->own);
	if (gd->bin) {
		bw_go_probes__forget_process(gd->bin->probes, gd->pid);
		release_binary(gd->shared, gd->bin);
	}
	bw_mapdelta__free(&gd->previous);
	free_values(&gd->parked);
	free_values(&gd->sites);
	free(gd);
}

static void copy_parked(void *ctx, uint64_t g, const struct bw_go_park *park)
{
	struct bw_godetail *gd = ctx;
	/* a walk of a map that changes under it can visit a key twice: keep one copy */
	struct parked_copy *pc = bw_u64map__get(&gd->parked, g);

	if (pc) {
		pc->park = *park;
		return;
	}
	pc = calloc(1, sizeof(*pc)); /* not seen until the snapshot says so */
	if (!pc)
		return;
	pc->park = *park;
	if (!g || bw_u64map__put(&gd->parked, g, pc))
		free(pc);
}

int bw_godetail__begin(struct bw_godetail *gd)
{
	free_values(&gd->parked);
	gd->begin_ns = bw_monotonic_ns();
	return bw_go_probes__for_each_parked(gd->bin->probes, gd->pid, copy_parked, gd);
}

void bw_godetail__seen(struct bw_godetail *gd, uint64_t g)
{
	struct parked_copy *pc = bw_u64map__get(&gd->parked, g);

	if (pc)
		pc->seen = true;
}

/*
 * A goroutine at gopark's entry is not yet marked waiting: parks this
 * recent when the interval began are left for the next snapshot to judge.
 */
#define PRUNE_MARGIN_NS 100000000ull

/* Is the kernel's entry for this goroutine of no use any more? */
static bool stale(const struct bw_godetail *gd, const struct parked_copy *pc)
{
	if (!pc->seen)
		return true; /* the goroutine is gone */
	if (pc->seen_waiting || !pc->park.park_ns)
		return false; /* waiting, or between waits */
	/* parked, yet found not waiting: readied by the netpoller, which skips ready() */
	return pc->park.park_ns + PRUNE_MARGIN_NS <= gd->begin_ns;
}

void bw_godetail__prune(struct bw_godetail *gd)
{
	for (size_t i = 0; i < gd->parked.cap; i++) {
		struct parked_copy *pc = bw_u64map__val_at(&gd->parked, i);

		if (pc && stale(gd, pc))
			bw_go_probes__forget_park(gd->bin->probes, gd->pid,
						  bw_u64map__key_at(&gd->parked, i),
						  pc->park.park_ns);
	}
}

static void learn_site(struct bw_godetail *gd, uint64_t site, const uint64_t *frames, int n)
{
	struct site_frames *sf;

	if (bw_u64map__get(&gd->sites, site) || n <= 0)
		return;
	sf = malloc(sizeof(*sf));
	if (!sf)
		return;
	sf->n = n > BW_MAX_STACK_DEPTH ? BW_MAX_STACK_DEPTH : n;
	memcpy(sf->frames, frames, sf->n * sizeof(*frames));
	if (bw_u64map__put(&gd->sites, site, sf))
		free(sf);
}

bool bw_godetail__wait_start(struct bw_godetail *gd, uint64_t g, const uint64_t *frames,
			     int nframes, uint64_t *start_ns)
{
	struct parked_copy *pc = bw_u64map__get(&gd->parked, g);

	if (!pc)
		return false;
	pc->seen = pc->seen_waiting = true;
	if (!pc->park.park_ns)
		return false; /* readied, or parked after the map was read */
	learn_site(gd, pc->park.site, frames, nframes);
	*start_ns = pc->park.park_ns;
	return true;
}

struct completed_ctx {
	struct bw_godetail *gd;
	struct bw_agg *agg;
	const struct bw_go_version *v;
	int err;
};

static void on_go_wait(void *ctx, const struct bw_go_wait_delta *d)
{
	struct completed_ctx *cc = ctx;
	struct site_frames *sf = bw_u64map__get(&cc->gd->sites, d->key.site);
	uint64_t frames[BW_MAX_STACK_DEPTH], hist[BW_HIST_SLOTS];
	uint32_t scale = cc->gd->sample_every;
	struct bw_completed_in c = {};
	const char *reason = bw_go_wait_reason(cc->v, (int)d->key.reason);
	int n;

	if (sf) {
		c.frames = sf->frames;
		c.nframes = sf->n;
	} else {
		n = bw_go_probes__stack(cc->gd->bin->probes, d->key.site, frames,
					BW_MAX_STACK_DEPTH);
		c.frames = frames;
		c.nframes = n > 0 ? n : 0;
	}
	/* with --sample N, one goroutine in N is timed: scale counts, not durations */
	for (int i = 0; i < BW_HIST_SLOTS; i++)
		hist[i] = d->hist[i] * scale;
	c.pid = cc->gd->pid;
	c.kind = BW_KIND_GOROUTINE;
	c.reason = reason ? reason : "unknown";
	c.count = d->count * scale;
	c.total_ns = d->total_ns * scale;
	c.max_ns = d->max_ns;
	c.hist = hist;
	if (bw_agg__add_completed(cc->agg, &c) && !cc->err)
		cc->err = -ENOMEM;
}

int bw_godetail__collect_completed(struct bw_godetail *gd, struct bw_agg *agg,
				   const struct bw_go_version *v)
{
	struct completed_ctx cc = { .gd = gd, .agg = agg, .v = v };
	int err = bw_go_probes__read_waits(gd->bin->probes, &gd->previous, gd->pid, on_go_wait,
					   &cc);

	return err ? err : cc.err;
}

uint64_t bw_godetail__binary_id(const struct bw_godetail *gd)
{
	return (uint64_t)gd->bin->dev * 0x9e3779b97f4a7c15ULL ^ gd->bin->ino;
}

void bw_godetail__counters(struct bw_godetail *gd, uint64_t out[BW_GO_COUNTERS])
{
	bw_go_probes__counters(gd->bin->probes, out);
}
