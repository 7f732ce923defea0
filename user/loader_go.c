// SPDX-License-Identifier: BSD-2-Clause
/*
 * The loader's half for the Go detail mode: skeleton goruntime, one object
 * per Go binary. Every map is keyed by tgid (the stacks map by a site hash
 * that includes the process's own addresses), so the processes of one
 * binary share the object; their probes are attached one process at a
 * time, or once to every process of the binary.
 */
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
};

struct bw_go_links {
	struct bpf_link *park;
	struct bpf_link *ready;
};

static struct bpf_link *attach_at(struct bpf_program *prog, pid_t pid, const char *binary,
				  uint64_t offset, const char *what)
{
	/* entry probes only: retprobe = false, always (see bpf/goruntime.bpf.c) */
	struct bpf_link *link = bpf_program__attach_uprobe(prog, false, pid, binary,
							   (size_t)offset);

	if (!link && (errno == ENOENT || errno == ESRCH))
		bw_dbg("failed to attach uprobe to '%s' in '%s': the process is gone", what,
		       binary);
	else if (!link)
		bw_err("failed to attach uprobe to '%s' in '%s' at offset 0x%llx: %s", what, binary,
		       (unsigned long long)offset, strerror(errno));
	return link;
}

static void size_maps(struct goruntime *skel, const struct bw_go_load_opts *o)
{
	if (o->max_parked)
		bpf_map__set_max_entries(skel->maps.parked, o->max_parked);
	if (o->max_sites)
		bpf_map__set_max_entries(skel->maps.go_waits, o->max_sites);
	if (o->max_stacks)
		bpf_map__set_max_entries(skel->maps.go_stacks, o->max_stacks);
}

struct bw_go_probes *bw_go_probes__load(const struct bw_go_load_opts *o)
{
	struct bw_go_probes *gp = calloc(1, sizeof(*gp));
	int err;

	if (!gp)
		return NULL;
	gp->skel = goruntime__open();
	if (!gp->skel) {
		err = -errno;
		bw_err("failed to open BPF object 'goruntime': %s", strerror(-err));
		goto fail;
	}
	gp->skel->rodata->sample_every = o->sample_every ? o->sample_every : 1;
	gp->skel->rodata->goid_offset = o->goid_offset;
	size_maps(gp->skel, o);
	err = goruntime__load(gp->skel);
	if (err) {
		bw_err("failed to load BPF object 'goruntime': %s", strerror(-err));
		goto fail;
	}
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
	free(gp);
}

struct bw_go_links *bw_go_probes__attach(struct bw_go_probes *gp, pid_t pid, const char *binary,
					 const struct bw_go_points *at)
{
	struct bw_go_links *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->park = attach_at(gp->skel->progs.go_park, pid, binary, at->park_offset,
			    "runtime.gopark");
	if (l->park)
		l->ready = attach_at(gp->skel->progs.go_ready, pid, binary, at->ready_offset,
				     "runtime.ready");
	if (!l->park || !l->ready) {
		int err = errno;

		bw_go_links__free(l);
		errno = err;
		return NULL;
	}
	return l;
}

void bw_go_links__free(struct bw_go_links *l)
{
	if (!l)
		return;
	bpf_link__destroy(l->park);
	bpf_link__destroy(l->ready);
	free(l);
}

/* The per-CPU copies of a site's waits, as one. */
static void reduce_waits(void *out, const void *percpu, int ncpus, size_t stride)
{
	struct bw_go_wait_stats *sum = out;

	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpus; c++) {
		const struct bw_go_wait_stats *st =
			(const void *)((const char *)percpu + c * stride);

		sum->count += st->count;
		sum->total_ns += st->total_ns;
		if (st->max_ns > sum->max_ns)
			sum->max_ns = st->max_ns;
		for (int i = 0; i < BW_HIST_SLOTS; i++)
			sum->hist[i] += st->hist[i];
	}
}

int bw_go_probes__waits_delta_init(struct bw_mapdelta *md)
{
	int ncpus = libbpf_num_possible_cpus();

	bw_mapdelta__init(md, sizeof(struct bw_go_site_key), sizeof(struct bw_go_wait_stats));
	return ncpus < 0 ? ncpus : bw_mapdelta__percpu(md, ncpus, reduce_waits);
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

int bw_go_probes__read_waits(struct bw_go_probes *gp, struct bw_mapdelta *md, pid_t pid,
			     bw_go_wait_fn fn, void *ctx)
{
	struct go_walk gw = { .fn = fn, .ctx = ctx };

	md->only_tgid = (uint32_t)pid;
	return bw_mapdelta__walk(md, bpf_map__fd(gp->skel->maps.go_waits), on_go_record, &gw);
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

int bw_go_probes__parked(struct bw_go_probes *gp, pid_t pid, uint64_t g, struct bw_go_park *out)
{
	struct bw_go_key key = { .tgid = (uint32_t)pid, .g = g };

	if (bpf_map_lookup_elem(bpf_map__fd(gp->skel->maps.parked), &key, out))
		return -ENOENT;
	return 0;
}

void bw_go_probes__counters(struct bw_go_probes *gp, uint64_t out[BW_GO_COUNTERS])
{
	for (int i = 0; i < BW_GO_COUNTERS; i++) {
		out[i] = 0;
		for (int cpu = 0; cpu < BW_GO_COUNTER_CPUS; cpu++)
			out[i] += __atomic_load_n(&gp->skel->bss->counters[cpu][i],
						  __ATOMIC_RELAXED);
	}
}

int bw_go_probes__for_each_parked(struct bw_go_probes *gp, pid_t pid, bw_go_park_fn fn, void *ctx)
{
	int fd = bpf_map__fd(gp->skel->maps.parked);
	struct bw_go_key key, next, *cur = NULL;
	struct bw_go_park park;

	while (bpf_map_get_next_key(fd, cur, &next) == 0) {
		key = next;
		cur = &key;
		if (key.tgid != (uint32_t)pid || bpf_map_lookup_elem(fd, &key, &park))
			continue;
		fn(ctx, key.g, &park);
	}
	return errno == ENOENT ? 0 : -errno;
}

void bw_go_probes__forget_park(struct bw_go_probes *gp, pid_t pid, uint64_t g, uint64_t park_ns)
{
	int fd = bpf_map__fd(gp->skel->maps.parked);
	struct bw_go_key key = { .tgid = (uint32_t)pid, .g = g };
	struct bw_go_park now;

	/* a park after the one we judged is a new wait: keep it (readied since: no loss) */
	if (bpf_map_lookup_elem(fd, &key, &now) == 0 && (now.park_ns == park_ns || !now.park_ns))
		bpf_map_delete_elem(fd, &key);
}

/* Delete every key of map fd whose first __u32 is pid (the value's, for the stacks map). */
static void delete_process_keys(int fd, size_t key_size, pid_t pid, bool tgid_in_value)
{
	uint8_t key[32], next[32], *doomed = NULL, *grown;
	size_t n = 0, cap = 0;
	struct bw_go_stack st;
	void *cur = NULL;
	uint32_t tgid;

	/* listed first, deleted after: deleting under get_next_key restarts the walk */
	while (bpf_map_get_next_key(fd, cur, next) == 0) {
		memcpy(key, next, key_size);
		cur = key;
		if (tgid_in_value) {
			if (bpf_map_lookup_elem(fd, key, &st))
				continue;
			tgid = st.tgid;
		} else {
			memcpy(&tgid, key, sizeof(tgid));
		}
		if (tgid != (uint32_t)pid)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(doomed, cap * key_size);
			if (!grown)
				break;
			doomed = grown;
		}
		memcpy(doomed + n++ * key_size, key, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, doomed + i * key_size);
	free(doomed);
}

void bw_go_probes__forget_process(struct bw_go_probes *gp, pid_t pid)
{
	delete_process_keys(bpf_map__fd(gp->skel->maps.parked), sizeof(struct bw_go_key), pid,
			    false);
	delete_process_keys(bpf_map__fd(gp->skel->maps.go_waits), sizeof(struct bw_go_site_key),
			    pid, false);
	delete_process_keys(bpf_map__fd(gp->skel->maps.go_stacks), sizeof(__u64), pid, true);
}
