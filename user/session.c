// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "godetail.h"
#include "gopclntab.h"
#include "goruntime.h"
#include "loader.h"
#include "log.h"
#include "proc.h"
#include "report.h"
#include "session.h"
#include "symbolizer.h"
#include "threads.h"

struct target {
	pid_t pid;
	uint64_t start_ticks; /* tells a reused pid from the process we attached to */
	bool alive;
	bool exec_pending; /* it exec()ed: symbols and Go knowledge are stale */
	struct bw_symbolizer *sym;
	struct bw_mem *mem;
	struct bw_threads *threads;
	struct bw_gobin *gobin;
	struct bw_gosnap *gosnap;
	struct bw_godetail *godetail;
	struct bw_go_version go_version;
	struct bw_proc_summary sum;
};

struct bw_session {
	struct bw_config cfg;
	struct bw_loader *ld;
	struct bw_agg *agg;
	struct bw_report_writer *out;
	struct target targets[BW_MAX_PIDS];
	size_t ntargets;
	uint64_t start_ns;
	long reports;
	bool leak_seen;
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct target *find_target(struct bw_session *s, pid_t pid)
{
	for (size_t i = 0; i < s->ntargets; i++)
		if (s->targets[i].pid == pid)
			return &s->targets[i];
	return NULL;
}

static int resolve_frame(void *ctx, pid_t pid, uint64_t addr, bool kernel, bool is_return,
			 struct bw_frame_info *out)
{
	struct target *t = find_target(ctx, pid);

	if (!t || !t->sym)
		return -ENOENT;
	if (kernel)
		return bw_symbolizer__resolve_kernel(t->sym, addr, out);
	return bw_symbolizer__resolve(t->sym, addr, is_return, out);
}

/*
 * Runtime address = link-time address + bias. Non-PIE executables (most Go
 * binaries) have none; a PIE's first segment is linked at 0 and mapped at
 * the start of the mapping with file offset 0.
 */
static uint64_t exe_load_bias(struct target *t, const char *exe)
{
	unsigned char ehdr[18];
	struct bw_maps maps = {};
	uint64_t bias = 0;
	int fd = open(exe, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, ehdr, sizeof(ehdr), 0) != sizeof(ehdr) || ehdr[16] != 3 /* ET_DYN */) {
		close(fd);
		return 0;
	}
	close(fd);
	if (bw_maps__load("/proc", t->pid, &maps))
		return 0;
	for (size_t i = 0; i < maps.n; i++) {
		const char *p = maps.v[i].path;

		if (maps.v[i].offset == 0 && p && !strcmp(p, bw_symbolizer__exe_path(t->sym))) {
			bias = maps.v[i].start;
			break;
		}
	}
	bw_maps__free(&maps);
	return bias;
}

static void setup_go_detail(struct bw_session *s, struct target *t)
{
	struct bw_godetail_opts o = {
		.pid = t->pid,
		.gobin = t->gobin,
		.layout = bw_gosnap__layout(t->gosnap),
		.sample_every = s->cfg.sample,
		.max_sites = s->cfg.max_sites,
		.max_stacks = s->cfg.max_stacks,
	};

	t->godetail = bw_godetail__new(&o);
	if (!t->godetail)
		bw_warn("failed to attach Go detail probes to pid %d: goroutine snapshots only",
			t->pid);
}

/* Goroutine view for Go targets; anything else keeps the thread view alone. */
static void setup_go(struct bw_session *s, struct target *t)
{
	char exe[64];
	struct bw_go_version v;
	uint64_t bias;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
	t->gobin = bw_gobin__open(exe);
	if (!t->gobin) {
		bw_info("pid %d is not a Go program: thread-level view only", t->pid);
		return;
	}
	t->sum.is_go = true;
	bw_threads__hide_go_runtime(t->threads, !s->cfg.runtime_threads);
	snprintf(t->sum.go_version, sizeof(t->sum.go_version), "%s",
		 bw_gobin__version_string(t->gobin) ? bw_gobin__version_string(t->gobin) : "");
	if (!s->cfg.goroutines)
		return;
	if (bw_gobin__version(t->gobin, &v) || !bw_go_version__supported(&v)) {
		bw_warn("pid %d runs Go '%s', which blockwatch does not know: thread-level view "
			"only",
			t->pid, t->sum.go_version[0] ? t->sum.go_version : "unknown");
		return;
	}
	t->go_version = v;
	bias = exe_load_bias(t, exe);
	t->gosnap = bw_gosnap__new(t->pid, t->gobin, bias);
	if (!t->gosnap) {
		bw_warn("failed to prepare goroutine reading of pid %d (%s): thread-level view "
			"only",
			t->pid, strerror(errno));
		return;
	}
	if (s->cfg.detail)
		setup_go_detail(s, t);
}

static void teardown_target(struct target *t)
{
	bw_godetail__free(t->godetail);
	t->godetail = NULL;
	bw_gosnap__free(t->gosnap);
	bw_gobin__free(t->gobin);
	bw_threads__free(t->threads);
	bw_mem__free(t->mem);
	bw_symbolizer__free(t->sym);
	t->gosnap = NULL;
	t->gobin = NULL;
	t->threads = NULL;
	t->mem = NULL;
	t->sym = NULL;
}

static int setup_target(struct bw_session *s, struct target *t)
{
	t->sum.pid = t->pid;
	t->sum.is_go = false;
	t->sum.go_version[0] = '\0';
	bw_proc__comm(t->pid, t->sum.comm, sizeof(t->sum.comm));
	bw_proc__start_time(t->pid, &t->start_ticks);
	t->sym = bw_symbolizer__new("/proc", t->pid);
	t->mem = bw_mem__open(t->pid);
	if (!t->sym || !t->mem) {
		int err = -errno;

		bw_err("failed to open process %d: %s", t->pid, strerror(-err));
		return err;
	}
	t->threads = bw_threads__new(t->pid, s->ld, t->sym, t->mem);
	if (!t->threads)
		return -ENOMEM;
	setup_go(s, t);
	t->alive = true;
	return 0;
}

struct bw_session *bw_session__new(const struct bw_config *cfg, int *exit_status)
{
	struct bw_loader_opts lopts = {
		.verbose = cfg->verbose > 1,
		.max_sleepers = cfg->max_sleepers,
		.max_sites = cfg->max_sites,
		.max_stacks = cfg->max_stacks,
	};
	struct bw_session *s = calloc(1, sizeof(*s));
	struct bw_agg_opts aopts = {};

	*exit_status = BW_EXIT_FAILURE;
	if (!s)
		return NULL;
	s->cfg = *cfg;
	aopts.resolve = resolve_frame;
	aopts.resolve_ctx = s;
	aopts.history_cap = cfg->history;
	aopts.max_sites = cfg->max_sites;
	s->agg = bw_agg__new(&aopts);
	s->ld = bw_loader__new(&lopts);
	if (!s->agg || !s->ld) {
		*exit_status = errno == EPERM ? BW_EXIT_PERMISSION : BW_EXIT_UNSUPPORTED;
		goto fail;
	}
	for (size_t i = 0; i < cfg->npids; i++) {
		struct target *t = &s->targets[s->ntargets++];

		t->pid = cfg->pids[i];
		if (bw_loader__add_target(s->ld, t->pid) || setup_target(s, t))
			goto fail;
	}
	s->out = bw_report_writer__new(cfg);
	if (!s->out)
		goto fail;
	*exit_status = BW_EXIT_OK;
	return s;
fail:
	bw_session__free(s);
	return NULL;
}

void bw_session__free(struct bw_session *s)
{
	if (!s)
		return;
	bw_report_writer__free(s->out);
	for (size_t i = 0; i < s->ntargets; i++)
		teardown_target(&s->targets[i]);
	bw_loader__free(s->ld);
	bw_agg__free(s->agg);
	free(s);
}

static void on_event(void *ctx, const struct bw_event *ev)
{
	struct bw_session *s = ctx;
	struct target *t = find_target(s, ev->tgid);

	if (!t)
		return;
	if (ev->type == BW_EV_EXIT && ev->tid == ev->tgid) {
		t->alive = false;
	} else if (ev->type == BW_EV_EXIT) {
		/* the last thread out was not the leader: check the process itself */
		t->alive = bw_proc__exists(t->pid) == 0;
	} else if (ev->type == BW_EV_EXEC) {
		t->exec_pending = true;
	}
}

/* Still the process we attached to? A reused pid has another start time. */
static void check_alive(struct target *t)
{
	uint64_t ticks;

	if (!t->alive)
		return;
	if (bw_proc__exists(t->pid) || bw_proc__start_time(t->pid, &ticks) ||
	    ticks != t->start_ticks)
		t->alive = false;
}

/* After exec(), the old symbols and Go runtime knowledge describe another program. */
static void follow_exec(struct bw_session *s, struct target *t)
{
	bw_agg__forget_process(s->agg, t->pid);
	teardown_target(t);
	t->exec_pending = false;
	if (setup_target(s, t)) {
		t->alive = false;
		return;
	}
	bw_warn("pid %d exec()ed '%s': symbols reloaded", t->pid, t->sum.comm);
}

struct go_ctx {
	struct bw_session *s;
	struct target *t;
	uint64_t system;
	int err;
};

/*
 * The runtime's own goroutines, as runtime.isSystemGoroutine tells them:
 * started in package runtime, except runtime.main (the program's main
 * goroutine). runtime.NumGoroutine() and pprof leave them out.
 */
static bool is_system_goroutine(struct target *t, const struct bw_goroutine *g)
{
	struct bw_frame_info fi = {};

	if (!g->startpc || bw_symbolizer__resolve(t->sym, g->startpc, false, &fi) || !fi.function)
		return false;
	return !strncmp(fi.function, "runtime.", 8) && strcmp(fi.function, "runtime.main");
}

static void on_goroutine(void *ctx, const struct bw_goroutine *g)
{
	struct go_ctx *gc = ctx;
	struct bw_waiter_in w = {};
	int err;

	if (is_system_goroutine(gc->t, g))
		gc->system++;
	if (g->status != BW_G_WAITING)
		return;
	w.pid = gc->t->pid;
	w.waiter_id = g->goid;
	w.kind = BW_KIND_GOROUTINE;
	w.reason = g->wait_reason_name ? g->wait_reason_name : "unknown";
	w.frames = g->frames;
	w.nframes = g->nframes;
	/* Go's nanotime() is CLOCK_MONOTONIC, like ours */
	w.start_hint_ns = g->waitsince_ns > 0 ? (uint64_t)g->waitsince_ns : 0;
	w.object = g->wait_object;
	w.created_by = g->gopc;
	if (gc->t->godetail)
		bw_godetail__wait_start(gc->t->godetail, g->goid, g->frames, g->nframes,
					&w.start_ns);
	err = bw_agg__add_waiter(gc->s->agg, &w);
	if (err && !gc->err)
		gc->err = err;
}

static void collect_goroutines(struct bw_session *s, struct target *t)
{
	struct go_ctx gc = { .s = s, .t = t };
	struct bw_gosnap_stats st = {};
	int err;

	if (t->godetail && bw_godetail__begin(t->godetail))
		bw_warn("failed to read parked goroutines of pid %d", t->pid);
	err = bw_gosnap__read(t->gosnap, on_goroutine, &gc, &st);
	if (err) {
		bw_warn("failed to read goroutines of pid %d: %s", t->pid, strerror(-err));
		return;
	}
	if (t->godetail && bw_godetail__collect_completed(t->godetail, s->agg, &t->go_version))
		bw_warn("failed to read goroutine waits of pid %d", t->pid);
	t->sum.goroutines = st.total - gc.system;
	t->sum.goroutines_system = gc.system;
	t->sum.goroutines_waiting = st.waiting;
	t->sum.goroutines_runnable = st.runnable;
	t->sum.goroutines_running = st.running;
	t->sum.goroutines_syscall = st.syscall;
}

static void on_wait_delta(void *ctx, const struct bw_wait_delta *d)
{
	struct bw_session *s = ctx;
	struct target *t = find_target(s, d->key.tgid);

	if (t && t->threads)
		bw_threads__add_completed(t->threads, s->agg, d);
}

static void collect(struct bw_session *s, uint64_t now)
{
	int err;

	bw_agg__begin(s->agg, now);
	for (size_t i = 0; i < s->ntargets; i++) {
		struct target *t = &s->targets[i];

		if (!t->alive)
			continue;
		if (t->exec_pending)
			follow_exec(s, t);
		t->sum.threads = t->sum.threads_blocked = 0;
		err = bw_threads__collect_blocked(t->threads, s->agg, now, &t->sum);
		if (err && err != -ESRCH)
			bw_warn("failed to list threads of pid %d: %s", t->pid, strerror(-err));
		if (t->gosnap)
			collect_goroutines(s, t);
	}
	err = bw_loader__read_waits(s->ld, on_wait_delta, s);
	if (err)
		bw_warn("failed to read completed waits: %s", strerror(-err));
	bw_agg__end(s->agg);
}

static void report(struct bw_session *s, uint64_t now, bool final)
{
	struct bw_report rep = {
		.now_ns = now,
		.elapsed_ns = now - s->start_ns,
		.interval_s = s->cfg.interval_s,
		.final = final,
		.agg = s->agg,
	};

	for (size_t i = 0; i < s->ntargets; i++)
		if (s->targets[i].alive || final)
			rep.procs[rep.nprocs++] = s->targets[i].sum;
	bw_loader__drops(s->ld, rep.drops);
	rep.sites_evicted = bw_agg__evicted(s->agg);
	bw_report_writer__write(s->out, &rep);
	/* the exit status follows the last verdicts: a withdrawn verdict is no leak */
	s->leak_seen = rep.leaks > 0;
	s->reports++;
}

static bool any_alive(struct bw_session *s)
{
	for (size_t i = 0; i < s->ntargets; i++)
		if (s->targets[i].alive)
			return true;
	return false;
}

static bool done(struct bw_session *s, uint64_t now)
{
	if (s->cfg.count && s->reports >= s->cfg.count)
		return true;
	if (s->cfg.duration_s > 0 && now - s->start_ns >= (uint64_t)(s->cfg.duration_s * 1e9))
		return true;
	return !any_alive(s);
}

int bw_session__run(struct bw_session *s, volatile sig_atomic_t *stop)
{
	uint64_t interval = (uint64_t)(s->cfg.interval_s * 1e9), next, now;
	bool reported_last = false;

	s->start_ns = monotonic_ns();
	next = s->start_ns + interval;
	while (!*stop) {
		int timeout_ms;

		now = monotonic_ns();
		timeout_ms = now >= next ? 0 : (int)((next - now) / 1000000);
		/* short polls: exits and signals are noticed within 100 ms */
		bw_loader__poll(s->ld, timeout_ms > 100 ? 100 : timeout_ms, on_event, s);
		if (bw_report_writer__poll_input(s->out))
			break;
		for (size_t i = 0; i < s->ntargets; i++)
			check_alive(&s->targets[i]);
		now = monotonic_ns();
		reported_last = false;
		if (now >= next && any_alive(s)) {
			collect(s, now);
			report(s, now, false);
			reported_last = true;
			next += interval;
			if (next < now)
				next = now + interval; /* we fell behind: do not burst */
		}
		if (done(s, now))
			break;
	}
	now = monotonic_ns();
	/* the final report: fresh figures unless the last interval just had them */
	if (any_alive(s) && !reported_last)
		collect(s, now);
	report(s, now, true);
	if (!any_alive(s))
		bw_info("target exited");
	return s->leak_seen && s->cfg.duration_s > 0 ? BW_EXIT_LEAK : BW_EXIT_OK;
}
