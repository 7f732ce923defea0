// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "godetail.h"
#include "gopclntab.h"
#include "loader.h"
#include "log.h"
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
};

/* The snapshot's frames for a probe site. */
struct site_frames {
	int n;
	uint64_t frames[BW_MAX_STACK_DEPTH];
};

struct bw_godetail {
	struct bw_go_probes *probes;
	uint32_t sample_every;
	struct bw_u64map parked; /* goid + 1 -> struct parked_copy */
	struct bw_u64map sites;	 /* probe site -> struct site_frames */
	pid_t pid;
};

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

struct bw_godetail *bw_godetail__new(const struct bw_godetail_opts *o)
{
	struct bw_go_attach_opts ao = {
		.pid = o->pid,
		.goid_offset = (uint32_t)o->layout->goid,
		.sample_every = o->sample_every,
		.max_parked = o->max_parked,
		.max_sites = o->max_sites,
		.max_stacks = o->max_stacks,
	};
	struct bw_godetail *gd;
	char binary[64];

	snprintf(binary, sizeof(binary), "/proc/%d/exe", o->pid);
	ao.binary = binary;
	ao.park_offset = probe_point(o->gobin, "runtime.gopark", true);
	ao.ready_offset = probe_point(o->gobin, "runtime.ready", true);
	ao.exit_offset = probe_point(o->gobin, "runtime.goexit0", false);
	if (!ao.park_offset || !ao.ready_offset) {
		errno = ENOENT;
		return NULL;
	}
	gd = calloc(1, sizeof(*gd));
	if (!gd)
		return NULL;
	gd->pid = o->pid;
	gd->sample_every = o->sample_every ? o->sample_every : 1;
	bw_u64map__init(&gd->parked);
	bw_u64map__init(&gd->sites);
	gd->probes = bw_go_probes__attach(&ao);
	if (!gd->probes) {
		int err = errno;

		bw_godetail__free(gd);
		errno = err;
		return NULL;
	}
	return gd;
}

static void free_values(struct bw_u64map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->vals[i]);
	bw_u64map__free(m);
}

void bw_godetail__free(struct bw_godetail *gd)
{
	if (!gd)
		return;
	bw_go_probes__free(gd->probes);
	free_values(&gd->parked);
	free_values(&gd->sites);
	free(gd);
}

static void copy_parked(void *ctx, uint64_t goid, const struct bw_go_park *park)
{
	struct bw_godetail *gd = ctx;
	/* a walk of a map that changes under it can visit a key twice: keep one copy */
	struct parked_copy *pc = bw_u64map__get(&gd->parked, goid + 1);

	if (pc) {
		pc->park = *park;
		return;
	}
	pc = malloc(sizeof(*pc));
	if (!pc)
		return;
	pc->park = *park;
	if (bw_u64map__put(&gd->parked, goid + 1, pc))
		free(pc);
}

int bw_godetail__begin(struct bw_godetail *gd)
{
	free_values(&gd->parked);
	return bw_go_probes__for_each_parked(gd->probes, copy_parked, gd);
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

bool bw_godetail__wait_start(struct bw_godetail *gd, uint64_t goid, const uint64_t *frames,
			     int nframes, uint64_t *start_ns)
{
	struct parked_copy *pc = bw_u64map__get(&gd->parked, goid + 1);

	if (!pc)
		return false;
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
		n = bw_go_probes__stack(cc->gd->probes, d->key.site, frames, BW_MAX_STACK_DEPTH);
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
	int err = bw_go_probes__read_waits(gd->probes, on_go_wait, &cc);

	return err ? err : cc.err;
}

void bw_godetail__counters(struct bw_godetail *gd, uint64_t out[BW_GO_COUNTERS])
{
	bw_go_probes__counters(gd->probes, out);
}
