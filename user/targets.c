// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "log.h"
#include "targets.h"
#include "u64map.h"

struct bw_targets {
	const struct bw_config *cfg;
	struct bw_loader *ld;
	struct bw_go_shared *go_shared; /* detail mode's probes, one BPF object per Go binary */
	struct bw_u64map by_pid;	/* pid -> struct bw_target */
	struct bw_target **order;	/* the same targets, for iteration */
	size_t n;
	size_t cap;
	pid_t self;
};

struct bw_targets *bw_targets__new(const struct bw_config *cfg, struct bw_loader *ld)
{
	struct bw_targets *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	ts->cfg = cfg;
	ts->ld = ld;
	ts->self = getpid();
	bw_u64map__init(&ts->by_pid);
	/* watching every process: a binary's probes go on all of its processes at once */
	ts->go_shared = bw_go_shared__new(cfg->npids == 0 && !cfg->ncomms && !cfg->cgroup);
	if (!ts->go_shared) {
		free(ts);
		return NULL;
	}
	return ts;
}

/*
 * Runtime address = link-time address + bias. Non-PIE executables (most Go
 * binaries) have none; a PIE's first segment is linked at 0 and mapped at
 * the start of the mapping with file offset 0.
 */
static uint64_t exe_load_bias(struct bw_target *t, const char *exe)
{
	unsigned char ehdr[18];
	struct bw_maps maps = {};
	uint64_t bias = 0;
	int fd = open(exe, O_RDONLY | O_CLOEXEC);
	const char *path;

	if (fd < 0)
		return 0;
	if (pread(fd, ehdr, sizeof(ehdr), 0) != sizeof(ehdr) || ehdr[16] != 3 /* ET_DYN */) {
		close(fd);
		return 0;
	}
	close(fd);
	path = bw_symbolizer__exe_path(t->sym);
	if (!path || bw_maps__load("/proc", t->pid, &maps))
		return 0;
	for (size_t i = 0; i < maps.n; i++) {
		const char *p = maps.v[i].path;

		if (maps.v[i].offset == 0 && p && !strcmp(p, path)) {
			bias = maps.v[i].start;
			break;
		}
	}
	bw_maps__free(&maps);
	return bias;
}

/*
 * The detail probes keep an entry per goroutine struct that parks: room for
 * eight times the target's goroutines now, within [64 Ki, 1 Mi] (a full map
 * is counted as parked_full). Its buckets are allocated whole: 16 bytes each.
 */
static uint32_t parked_capacity(struct bw_target *t)
{
	uint64_t want = bw_gosnap__count(t->gosnap) * 8;
	uint32_t cap = 1u << 16;

	while (cap < want && cap < (1u << 20))
		cap <<= 1;
	return cap;
}

static void setup_go_detail(struct bw_targets *ts, struct bw_target *t)
{
	struct bw_godetail_opts o = {
		.shared = ts->go_shared,
		.pid = t->pid,
		.gobin = t->gobin,
		.layout = bw_gosnap__layout(t->gosnap),
		.sample_every = ts->cfg->sample,
		.max_sites = ts->cfg->max_sites,
		.max_stacks = ts->cfg->max_stacks,
		.max_parked = parked_capacity(t),
	};

	t->godetail = bw_godetail__new(&o);
	if (!t->godetail && !t->named && (errno == ENOENT || errno == ESRCH))
		bw_dbg("pid %d exited before its Go detail probes were attached", t->pid);
	else if (!t->godetail)
		bw_warn("failed to attach Go detail probes to pid %d: goroutine snapshots only",
			t->pid);
}

/*
 * Hidden runtime threads cost nothing: the kernel side takes no stack for a
 * sleep in the runtime's code (pcln's first to last function, as mapped).
 */
static void skip_runtime_stacks(struct bw_targets *ts, struct bw_target *t, uint64_t bias)
{
	size_t n = bw_gobin__func_count(t->gobin);
	struct bw_go_func first, last;

	if (ts->cfg->runtime_threads || !n || bw_gobin__func_by_index(t->gobin, 0, &first) ||
	    bw_gobin__func_by_index(t->gobin, n - 1, &last))
		return;
	if (bw_loader__set_go_text(ts->ld, t->pid, first.entry + bias, last.end + bias))
		bw_dbg("failed to tell the kernel where pid %d's Go runtime is", t->pid);
}

/* Goroutine view for Go targets; anything else keeps the thread view alone. */
static void setup_go(struct bw_targets *ts, struct bw_target *t)
{
	const struct bw_config *cfg = ts->cfg;
	struct bw_go_version v;
	uint64_t bias;
	char exe[64];

	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
	/* after an exec the process may not be Go any more: forget its old runtime */
	bw_loader__set_go_text(ts->ld, t->pid, 0, 0);
	t->gobin = bw_gobin__open(exe);
	if (!t->gobin) {
		if (t->named)
			bw_info("pid %d is not a Go program: thread-level view only", t->pid);
		return;
	}
	t->sum.is_go = true;
	bw_threads__hide_go_runtime(t->threads, !cfg->runtime_threads);
	bias = exe_load_bias(t, exe);
	skip_runtime_stacks(ts, t, bias);
	snprintf(t->sum.go_version, sizeof(t->sum.go_version), "%s",
		 bw_gobin__version_string(t->gobin) ? bw_gobin__version_string(t->gobin) : "");
	if (!cfg->goroutines)
		return;
	if (bw_gobin__version(t->gobin, &v) || !bw_go_version__supported(&v)) {
		bw_warn("pid %d runs Go '%s', which blockwatch does not know: thread-level view "
			"only",
			t->pid, t->sum.go_version[0] ? t->sum.go_version : "unknown");
		return;
	}
	t->go_version = v;
	t->gosnap = bw_gosnap__new(t->pid, t->gobin, bias);
	if (!t->gosnap) {
		bw_warn("failed to prepare goroutine reading of pid %d (%s): thread-level view "
			"only",
			t->pid, strerror(errno));
		return;
	}
	if (cfg->detail)
		setup_go_detail(ts, t);
}

static void teardown(struct bw_target *t)
{
	bw_godetail__free(t->godetail);
	bw_gosnap__free(t->gosnap);
	bw_gobin__free(t->gobin);
	bw_threads__free(t->threads);
	bw_mem__free(t->mem);
	bw_symbolizer__free(t->sym);
	t->godetail = NULL;
	t->gosnap = NULL;
	t->gobin = NULL;
	t->threads = NULL;
	t->mem = NULL;
	t->sym = NULL;
}

static int cgroup_of(pid_t pid, char *buf, size_t size);

/* Where the process runs: its cgroup, and the container and pod that names. */
static void name_container(struct bw_target *t)
{
	struct bw_container c;

	if (cgroup_of(t->pid, t->sum.cgroup, sizeof(t->sum.cgroup)))
		return;
	bw_container__parse(t->sum.cgroup, &c);
	snprintf(t->sum.container_id, sizeof(t->sum.container_id), "%s", c.id);
	snprintf(t->sum.pod_uid, sizeof(t->sum.pod_uid), "%s", c.pod_uid);
}

static int setup(struct bw_targets *ts, struct bw_target *t)
{
	int err;

	memset(&t->sum, 0, sizeof(t->sum));
	t->sum.pid = t->pid;
	bw_proc__comm(t->pid, t->sum.comm, sizeof(t->sum.comm));
	bw_proc__start_time(t->pid, &t->start_ns);
	name_container(t);
	t->sym = bw_symbolizer__new("/proc", t->pid);
	t->mem = bw_mem__open(t->pid);
	if (!t->sym || !t->mem) {
		err = errno ? -errno : -ENOMEM;
		if (t->named)
			bw_err("failed to open process %d: %s", t->pid, strerror(-err));
		return err;
	}
	t->threads = bw_threads__new(t->pid, ts->ld, t->sym, t->mem);
	if (!t->threads)
		return -ENOMEM;
	setup_go(ts, t);
	t->alive = true;
	t->exec_pending = false;
	return 0;
}

static int remember(struct bw_targets *ts, struct bw_target *t)
{
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 16;
		struct bw_target **order = realloc(ts->order, cap * sizeof(*order));

		if (!order)
			return -ENOMEM;
		ts->order = order;
		ts->cap = cap;
	}
	if (bw_u64map__put(&ts->by_pid, (uint64_t)t->pid, t))
		return -ENOMEM;
	ts->order[ts->n++] = t;
	return 0;
}

struct bw_target *bw_targets__add(struct bw_targets *ts, pid_t pid, bool named)
{
	struct bw_target *t = bw_targets__find(ts, pid);
	int err;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->pid = pid;
	t->named = named;
	err = bw_loader__add_target(ts->ld, pid);
	if (!err)
		err = setup(ts, t);
	if (!err)
		err = remember(ts, t);
	if (err) {
		teardown(t);
		bw_loader__remove_target(ts->ld, pid);
		free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

void bw_targets__remove(struct bw_targets *ts, pid_t pid)
{
	struct bw_target *t = bw_u64map__del(&ts->by_pid, (uint64_t)pid);

	if (!t)
		return;
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->order[i] == t) {
			ts->order[i] = ts->order[--ts->n];
			break;
		}
	}
	bw_loader__remove_target(ts->ld, pid);
	teardown(t);
	free(t);
}

void bw_targets__free(struct bw_targets *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->n; i++) {
		teardown(ts->order[i]);
		free(ts->order[i]);
	}
	free(ts->order);
	bw_u64map__free(&ts->by_pid);
	bw_go_shared__free(ts->go_shared);
	free(ts);
}

struct bw_target *bw_targets__find(struct bw_targets *ts, pid_t pid)
{
	return bw_u64map__get(&ts->by_pid, (uint64_t)pid);
}

size_t bw_targets__count(const struct bw_targets *ts)
{
	return ts->n;
}

struct bw_target *bw_targets__at(struct bw_targets *ts, size_t i)
{
	return i < ts->n ? ts->order[i] : NULL;
}

int bw_targets__reload(struct bw_targets *ts, struct bw_target *t)
{
	int err;

	teardown(t);
	err = setup(ts, t);
	if (err)
		t->alive = false;
	return err;
}

bool bw_targets__still_there(const struct bw_target *t)
{
	uint64_t start;

	return bw_proc__exists(t->pid) == 0 && bw_proc__start_time(t->pid, &start) == 0 &&
	       start == t->start_ns;
}

/* cgroup v2 path of pid ("/system.slice/x.service"), from /proc/PID/cgroup's "0::" line. */
static int cgroup_of(pid_t pid, char *buf, size_t size)
{
	char path[64], line[4096];
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, size, "%s", line + 3);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* --cgroup takes "/sys/fs/cgroup/a/b" or "/a/b"; a process in a/b or below matches. */
static bool in_cgroup(pid_t pid, const char *want)
{
	static const char mount[] = "/sys/fs/cgroup";
	char have[4096];
	size_t len;

	if (!strncmp(want, mount, sizeof(mount) - 1))
		want += sizeof(mount) - 1;
	if (!*want)
		want = "/";
	if (cgroup_of(pid, have, sizeof(have)))
		return false;
	len = strlen(want);
	while (len > 1 && want[len - 1] == '/')
		len--;
	if (len == 1)
		return true;
	return !strncmp(have, want, len) && (have[len] == '\0' || have[len] == '/');
}

bool bw_targets__wanted(const struct bw_targets *ts, pid_t pid)
{
	const struct bw_config *cfg = ts->cfg;
	char comm[BW_COMM_LEN];
	bool comm_ok = cfg->ncomms == 0;

	if (pid == ts->self || pid <= 0 || bw_proc__is_kernel_thread(pid))
		return false;
	if (cfg->ncomms) {
		if (bw_proc__comm(pid, comm, sizeof(comm)))
			return false;
		for (size_t i = 0; i < cfg->ncomms && !comm_ok; i++)
			comm_ok = !strncmp(comm, cfg->comms[i], BW_COMM_LEN - 1);
	}
	if (!comm_ok)
		return false;
	return !cfg->cgroup || in_cgroup(pid, cfg->cgroup);
}
