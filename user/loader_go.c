// SPDX-License-Identifier: BSD-2-Clause
/* The loader's half for the Go detail mode: skeleton goruntime. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "goruntime.skel.h"
#include "loader.h"
#include "log.h"
#include "stacks.h"
#include "mapdelta.h"

struct bw_go_probes {
	struct goruntime *skel;
	pid_t pid;
	struct bw_mapdelta previous; /* the per-site map as read last time */
};

static struct bpf_link *attach_at(struct bpf_program *prog, const struct bw_go_attach_opts *o,
				  uint64_t offset, const char *what)
{
	/* entry probes only: retprobe = false, always (see bpf/goruntime.bpf.c) */
	struct bpf_link *link = bpf_program__attach_uprobe(prog, false, o->pid, o->binary,
							   (size_t)offset);

	if (!link)
		bw_err("failed to attach uprobe to '%s' in '%s' at offset 0x%llx: %s", what,
		       o->binary, (unsigned long long)offset, strerror(errno));
	return link;
}

static void size_maps(struct goruntime *skel, const struct bw_go_attach_opts *o)
{
	if (o->max_parked)
		bpf_map__set_max_entries(skel->maps.parked, o->max_parked);
	if (o->max_sites)
		bpf_map__set_max_entries(skel->maps.go_waits, o->max_sites);
	if (o->max_stacks)
		bpf_map__set_max_entries(skel->maps.go_stacks, o->max_stacks);
}

struct bw_go_probes *bw_go_probes__attach(const struct bw_go_attach_opts *o)
{
	struct bw_go_probes *gp = calloc(1, sizeof(*gp));
	int err;

	if (!gp)
		return NULL;
	gp->pid = o->pid;
	bw_mapdelta__init(&gp->previous, sizeof(struct bw_go_site_key),
			  sizeof(struct bw_go_wait_stats));
	gp->skel = goruntime__open();
	if (!gp->skel) {
		err = -errno;
		bw_err("failed to open BPF object 'goruntime': %s", strerror(-err));
		goto fail;
	}
	gp->skel->rodata->goid_offset = o->goid_offset;
	gp->skel->rodata->sample_every = o->sample_every ? o->sample_every : 1;
	size_maps(gp->skel, o);
	err = goruntime__load(gp->skel);
	if (err) {
		bw_err("failed to load BPF object 'goruntime': %s", strerror(-err));
		goto fail;
	}
	err = -ENOENT;
	gp->skel->links.go_park = attach_at(gp->skel->progs.go_park, o, o->park_offset,
					    "runtime.gopark");
	gp->skel->links.go_ready = attach_at(gp->skel->progs.go_ready, o, o->ready_offset,
					     "runtime.ready");
	if (!gp->skel->links.go_park || !gp->skel->links.go_ready)
		goto fail;
	if (o->exit_offset)
		gp->skel->links.go_exit = attach_at(gp->skel->progs.go_exit, o, o->exit_offset,
						    "runtime.goexit0");
	return gp;
fail:
	bw_go_probes__free(gp);
	errno = -err;
	return NULL;
}

void bw_go_probes__free(struct bw_go_probes *gp)
{
	if (!gp)
		return;
	goruntime__destroy(gp->skel);
	bw_mapdelta__free(&gp->previous);
	free(gp);
}

struct go_walk {
	bw_go_wait_fn fn;
	void *ctx;
};

static void on_go_record(void *ctx, const void *key, const void *now_v, const void *prev_v)
{
	const struct bw_go_wait_stats *now = now_v, *prev = prev_v;
	struct go_walk *gw = ctx;
	struct bw_go_wait_delta d = {};

	memcpy(&d.key, key, sizeof(d.key));
	d.count = now->count - prev->count;
	if (!d.count)
		return;
	d.total_ns = now->total_ns - prev->total_ns;
	d.max_ns = now->max_ns;
	for (int i = 0; i < BW_HIST_SLOTS; i++)
		d.hist[i] = now->hist[i] - prev->hist[i];
	gw->fn(gw->ctx, &d);
}

int bw_go_probes__read_waits(struct bw_go_probes *gp, bw_go_wait_fn fn, void *ctx)
{
	struct go_walk gw = { .fn = fn, .ctx = ctx };

	return bw_mapdelta__walk(&gp->previous, bpf_map__fd(gp->skel->maps.go_waits), on_go_record,
				 &gw);
}

int bw_go_probes__stack(struct bw_go_probes *gp, uint64_t site, uint64_t *frames, int max)
{
	struct bw_go_stack st;
	int n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(gp->skel->maps.go_stacks), &site, &st))
		return -ENOENT;
	while (n < max && n < (int)st.nframes && n < BW_MAX_STACK_DEPTH && st.frames[n]) {
		frames[n] = st.frames[n];
		n++;
	}
	return n;
}

int bw_go_probes__parked(struct bw_go_probes *gp, uint64_t goid, struct bw_go_park *out)
{
	struct bw_go_key key = { .tgid = gp->pid, .goid = goid };

	if (bpf_map_lookup_elem(bpf_map__fd(gp->skel->maps.parked), &key, out))
		return -ENOENT;
	return 0;
}

void bw_go_probes__counters(struct bw_go_probes *gp, uint64_t out[BW_GO_COUNTERS])
{
	for (int i = 0; i < BW_GO_COUNTERS; i++)
		out[i] = __atomic_load_n(&gp->skel->bss->counters[i], __ATOMIC_RELAXED);
}

int bw_go_probes__for_each_parked(struct bw_go_probes *gp, bw_go_park_fn fn, void *ctx)
{
	int fd = bpf_map__fd(gp->skel->maps.parked);
	struct bw_go_key key, next, *cur = NULL;
	struct bw_go_park park;

	while (bpf_map_get_next_key(fd, cur, &next) == 0) {
		key = next;
		cur = &key;
		if (key.tgid != (uint32_t)gp->pid || bpf_map_lookup_elem(fd, &key, &park))
			continue;
		fn(ctx, key.goid, &park);
	}
	return errno == ENOENT ? 0 : -errno;
}
