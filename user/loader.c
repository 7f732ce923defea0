// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "stacks.h"
#include "threads.skel.h"
#include "mapdelta.h"

struct bw_loader {
	struct threads *skel;
	struct ring_buffer *rb;
	struct bw_mapdelta previous; /* the waits map as read last time */
	bw_event_fn event_fn;
	void *event_ctx;
};

static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	if (level == LIBBPF_INFO && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct bw_loader *ld = ctx;

	if (size < sizeof(struct bw_event) || !ld->event_fn)
		return 0;
	ld->event_fn(ld->event_ctx, data);
	return 0;
}

static void size_maps(struct threads *skel, const struct bw_loader_opts *opts)
{
	if (opts->max_sleepers)
		bpf_map__set_max_entries(skel->maps.sleepers, opts->max_sleepers);
	if (opts->max_sites)
		bpf_map__set_max_entries(skel->maps.waits, opts->max_sites);
	if (opts->max_stacks) {
		bpf_map__set_max_entries(skel->maps.ustacks, opts->max_stacks);
		bpf_map__set_max_entries(skel->maps.ustacks_overflow, opts->max_stacks);
		bpf_map__set_max_entries(skel->maps.kstacks, opts->max_stacks);
	}
}

struct bw_loader *bw_loader__new(const struct bw_loader_opts *opts)
{
	struct bw_loader *ld = calloc(1, sizeof(*ld));
	int err;

	if (!ld)
		return NULL;
	bw_mapdelta__init(&ld->previous, sizeof(struct bw_wait_key), sizeof(struct bw_wait_stats));
	libbpf_verbose = opts->verbose;
	libbpf_set_print(print_libbpf);

	ld->skel = threads__open();
	if (!ld->skel) {
		err = -errno;
		bw_err("failed to open BPF object 'threads': %s", strerror(-err));
		goto fail;
	}
	ld->skel->rodata->watch_all = opts->watch_all;
	ld->skel->rodata->self_tgid = getpid();
	size_maps(ld->skel, opts);
	err = threads__load(ld->skel);
	if (err) {
		bw_err("failed to load BPF object 'threads': %s", strerror(-err));
		goto fail;
	}
	err = threads__attach(ld->skel);
	if (err) {
		bw_err("failed to attach BPF programs of 'threads': %s", strerror(-err));
		goto fail;
	}
	ld->rb = ring_buffer__new(bpf_map__fd(ld->skel->maps.events), handle_event, ld, NULL);
	if (!ld->rb) {
		err = -errno;
		bw_err("failed to create ring buffer 'events': %s", strerror(-err));
		goto fail;
	}
	return ld;
fail:
	bw_loader__free(ld);
	errno = -err;
	return NULL;
}

void bw_loader__free(struct bw_loader *ld)
{
	if (!ld)
		return;
	ring_buffer__free(ld->rb);
	threads__destroy(ld->skel);
	bw_mapdelta__free(&ld->previous);
	free(ld);
}

int bw_loader__add_target(struct bw_loader *ld, pid_t tgid)
{
	__u32 key = tgid;
	__u8 one = 1;

	if (bpf_map__update_elem(ld->skel->maps.targets, &key, sizeof(key), &one, sizeof(one),
				 BPF_ANY))
		return -errno;
	return 0;
}

int bw_loader__set_go_text(struct bw_loader *ld, pid_t tgid, uint64_t lo, uint64_t hi)
{
	struct bw_go_text text = { .lo = lo, .hi = hi };
	__u32 key = tgid;

	if (bpf_map__update_elem(ld->skel->maps.go_text, &key, sizeof(key), &text, sizeof(text),
				 BPF_ANY))
		return -errno;
	return 0;
}

int bw_loader__remove_target(struct bw_loader *ld, pid_t tgid)
{
	__u32 key = tgid;

	/* gone or not, a Go target's text range must not outlive it (pids are reused) */
	bpf_map__delete_elem(ld->skel->maps.go_text, &key, sizeof(key), 0);

	if (bpf_map__delete_elem(ld->skel->maps.targets, &key, sizeof(key), 0) && errno != ENOENT)
		return -errno;
	return 0;
}

int bw_loader__iter_tasks(struct bw_loader *ld, pid_t tgid, bw_task_fn fn, void *ctx)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};
	struct bw_task_record rec;
	struct bpf_link *link;
	int fd, err = 0;
	ssize_t n;

	/* the kernel walks only tgid's threads, not every task on the machine */
	linfo.task.pid = tgid;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(ld->skel->progs.dump_task, &opts);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while ((n = read(fd, &rec, sizeof(rec))) == sizeof(rec))
		fn(ctx, &rec);
	if (n < 0)
		err = -errno;
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

struct wait_walk {
	bw_wait_fn fn;
	void *ctx;
};

/* One site's cumulative kernel record -> the delta since the last read. */
static void on_wait_record(void *ctx, const void *key, const void *now_v, const void *prev_v)
{
	const struct bw_wait_stats *now = now_v, *prev = prev_v;
	struct wait_walk *ww = ctx;
	struct bw_wait_delta d = {};

	memcpy(&d.key, key, sizeof(d.key));
	d.count = now->count - prev->count;
	if (!d.count)
		return;
	d.total_ns = now->total_ns - prev->total_ns;
	d.max_ns = now->max_ns;
	for (int i = 0; i < BW_HIST_SLOTS; i++)
		d.hist[i] = now->hist[i] - prev->hist[i];
	d.kstack_id = now->kstack_id;
	d.waker_pid = now->last_waker_pid;
	memcpy(d.waker_comm, now->last_waker_comm, sizeof(d.waker_comm));
	d.waker_comm[BW_COMM_LEN - 1] = '\0';
	ww->fn(ww->ctx, &d);
}

int bw_loader__read_waits(struct bw_loader *ld, bw_wait_fn fn, void *ctx)
{
	struct wait_walk ww = { .fn = fn, .ctx = ctx };

	return bw_mapdelta__walk(&ld->previous, bpf_map__fd(ld->skel->maps.waits), on_wait_record,
				 &ww);
}

int bw_loader__stack(struct bw_loader *ld, int32_t id, bool user, uint64_t *frames, int max)
{
	struct bpf_map *map = user ? ld->skel->maps.ustacks : ld->skel->maps.kstacks;
	uint64_t buf[BW_MAX_STACK_DEPTH] = {};

	if (user && id >= 0 && (id & BW_USTACK_OVERFLOW))
		map = ld->skel->maps.ustacks_overflow;
	__u32 key = id;
	int n = 0;

	if (id < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &key, buf))
		return -errno;
	while (n < BW_MAX_STACK_DEPTH && n < max && buf[n]) {
		frames[n] = buf[n];
		n++;
	}
	return n;
}

int bw_loader__poll(struct bw_loader *ld, int timeout_ms, bw_event_fn fn, void *ctx)
{
	int n;

	ld->event_fn = fn;
	ld->event_ctx = ctx;
	n = ring_buffer__poll(ld->rb, timeout_ms);
	ld->event_fn = NULL;
	return n;
}

void bw_loader__drops(struct bw_loader *ld, uint64_t out[BW_DROP_KINDS])
{
	for (int i = 0; i < BW_DROP_KINDS; i++)
		out[i] = __atomic_load_n(&ld->skel->bss->drops[i], __ATOMIC_RELAXED);
}
