// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "aggregate.h"
#include "gototals.h"
#include "loader.h"
#include "log.h"
#include "report.h"
#include "session.h"
#include "targets.h"
#include "u64map.h"

struct bw_session {
	struct bw_config cfg;
	struct bw_loader *ld;
	struct bw_agg *agg;
	struct bw_targets *targets;
	struct bw_report_writer *out;
	bool system_wide;
	struct bw_u64map passed_over;  /* system-wide: pids the filters rejected */
	uint64_t unreadable;	       /* system-wide: processes that could not be opened */
	struct bw_proc_summary *procs; /* of the last report, kept for the live view */
	struct bw_go_totals go_totals; /* detail probes' counters, each binary once */
	uint64_t start_ns;
	uint64_t now_ns; /* of the collection under way */
	long reports;
	bool leak_seen;
};

/* The aggregator's bw_resolve_fn: user frames with their inlined calls expanded. */
static int resolve_frame(void *ctx, pid_t pid, uint64_t addr, bool kernel, bool is_return,
			 struct bw_frame_info *out, int max)
{
	struct bw_session *s = ctx;
	struct bw_target *t = bw_targets__find(s->targets, pid);
	int err;

	if (!t || !t->sym)
		return -ENOENT;
	if (!kernel)
		return bw_symbolizer__resolve_frames(t->sym, addr, is_return, out, max);
	err = bw_symbolizer__resolve_kernel(t->sym, addr, out);
	return err ? err : 1;
}

static int add_named_targets(struct bw_session *s)
{
	for (size_t i = 0; i < s->cfg.npids; i++)
		if (!bw_targets__add(s->targets, s->cfg.pids[i], true))
			return -errno;
	return 0;
}

struct bw_session *bw_session__new(const struct bw_config *cfg, int *exit_status)
{
	struct bw_loader_opts lopts = {
		.verbose = cfg->verbose > 1,
		.watch_all = cfg->npids == 0,
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
	s->system_wide = cfg->npids == 0;
	bw_u64map__init(&s->passed_over);
	bw_go_totals__init(&s->go_totals);
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
	s->targets = bw_targets__new(&s->cfg, s->ld);
	if (!s->targets || add_named_targets(s))
		goto fail;
	s->out = bw_report_writer__new(&s->cfg);
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
	bw_targets__free(s->targets);
	bw_loader__free(s->ld);
	bw_agg__free(s->agg);
	bw_u64map__free(&s->passed_over);
	bw_go_totals__free(&s->go_totals);
	free(s->procs);
	free(s);
}

/* System-wide: a process to watch from now on, if the filters want it. */
static struct bw_target *discover(struct bw_session *s, pid_t pid)
{
	struct bw_target *t;

	if (bw_u64map__get(&s->passed_over, (uint64_t)pid))
		return NULL;
	if (!bw_targets__wanted(s->targets, pid)) {
		bw_u64map__put(&s->passed_over, (uint64_t)pid, (void *)1);
		return NULL;
	}
	t = bw_targets__add(s->targets, pid, false);
	if (!t && (errno == ESRCH || errno == ENOENT)) {
		/* it exited before we could look: nothing was there to watch */
		bw_dbg("process %d exited before it could be opened", pid);
		bw_u64map__put(&s->passed_over, (uint64_t)pid, (void *)1);
	} else if (!t) {
		/* not silent: once, then counted at debug level */
		if (!s->unreadable++)
			bw_warn("failed to open process %d (%s): it is left out (more at -vv)", pid,
				strerror(errno));
		else
			bw_dbg("failed to open process %d: %s", pid, strerror(errno));
		bw_u64map__put(&s->passed_over, (uint64_t)pid, (void *)1);
	}
	return t;
}

/* A target is gone: its sites go with it. */
static void drop_target(struct bw_session *s, struct bw_target *t)
{
	pid_t pid = t->pid;

	if (t->named) {
		t->alive = false; /* kept for the final report */
		return;
	}
	bw_agg__forget_process(s->agg, pid);
	bw_targets__remove(s->targets, pid);
	bw_u64map__del(&s->passed_over, (uint64_t)pid);
}

static void on_event(void *ctx, const struct bw_event *ev)
{
	struct bw_session *s = ctx;
	struct bw_target *t = bw_targets__find(s->targets, ev->tgid);

	if (ev->type == BW_EV_EXEC && !t && s->system_wide) {
		/* a new program: a Go one is read from its first interval on */
		bw_u64map__del(&s->passed_over, (uint64_t)ev->tgid);
		discover(s, ev->tgid);
		return;
	}
	if (!t) {
		/* a pid the filters passed over is free again */
		if (ev->type == BW_EV_EXIT && ev->tid == ev->tgid)
			bw_u64map__del(&s->passed_over, (uint64_t)ev->tgid);
		return;
	}
	if (ev->type == BW_EV_EXIT && (ev->tid == ev->tgid || bw_proc__exists(t->pid)))
		drop_target(s, t);
	else if (ev->type == BW_EV_EXEC)
		t->exec_pending = true;
}

/* After exec(), the old symbols and Go runtime knowledge describe another program. */
static void follow_exec(struct bw_session *s, struct bw_target *t)
{
	bw_agg__forget_process(s->agg, t->pid);
	if (bw_targets__reload(s->targets, t))
		return;
	if (t->named)
		bw_warn("pid %d exec()ed '%s': symbols reloaded", t->pid, t->sum.comm);
}

/* Targets that exited unseen (ring buffer full) or whose pid now names another process. */
static void check_targets(struct bw_session *s)
{
	for (size_t i = bw_targets__count(s->targets); i-- > 0;) {
		struct bw_target *t = bw_targets__at(s->targets, i);

		if (t->alive && !bw_targets__still_there(t))
			drop_target(s, t);
	}
}

struct go_ctx {
	struct bw_session *s;
	struct bw_target *t;
	uint64_t system;
	int err;
};

/*
 * The runtime's own goroutines, as runtime.isSystemGoroutine tells them:
 * started in package runtime, except runtime.main (the program's main
 * goroutine). runtime.NumGoroutine() and pprof leave them out.
 */
static bool is_system_goroutine(struct bw_target *t, const struct bw_goroutine *g)
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
	if (gc->t->godetail)
		bw_godetail__seen(gc->t->godetail, g->gaddr);
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
		bw_godetail__wait_start(gc->t->godetail, g->gaddr, g->frames, g->nframes,
					&w.start_ns);
	err = bw_agg__add_waiter(gc->s->agg, &w);
	if (err && !gc->err)
		gc->err = err;
}

/* Detail mode: goroutine waits completed since the last read. */
static void read_go_waits(struct bw_session *s, struct bw_target *t)
{
	if (t->godetail && bw_godetail__collect_completed(t->godetail, s->agg, &t->go_version))
		bw_warn("failed to read goroutine waits of pid %d", t->pid);
}

static void collect_goroutines(struct bw_session *s, struct bw_target *t)
{
	struct go_ctx gc = { .s = s, .t = t };
	struct bw_gosnap_stats st = {};
	int err;

	if (t->godetail && bw_godetail__begin(t->godetail))
		bw_warn("failed to read parked goroutines of pid %d", t->pid);
	err = bw_gosnap__read(t->gosnap, on_goroutine, &gc, &st);
	if (err) {
		/* system-wide, a process may be exiting while we read it */
		if (t->named)
			bw_warn("failed to read goroutines of pid %d: %s", t->pid, strerror(-err));
		else
			bw_dbg("failed to read goroutines of pid %d: %s", t->pid, strerror(-err));
		return;
	}
	if (t->godetail)
		bw_godetail__prune(t->godetail);
	read_go_waits(s, t);
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
	struct bw_target *t = bw_targets__find(s->targets, d->key.tgid);

	if (t && t->threads)
		bw_threads__add_completed(t->threads, s->agg, d);
}

/* System-wide: every thread of the machine in one iteration, dealt out by process. */
static void on_any_task(void *ctx, const struct bw_task_record *rec)
{
	struct bw_session *s = ctx;
	struct bw_target *t = bw_targets__find(s->targets, rec->tgid);

	if (!t)
		t = discover(s, rec->tgid);
	if (!t || !t->alive || t->exec_pending)
		return;
	bw_threads__add_task(t->threads, s->agg, s->now_ns, &t->sum, rec);
}

static void prepare_target(struct bw_session *s, struct bw_target *t)
{
	if (t->exec_pending)
		follow_exec(s, t);
	t->sum.threads = 0;
	t->sum.threads_blocked = 0;
}

static void collect_threads(struct bw_session *s)
{
	int err;

	if (s->system_wide) {
		err = bw_loader__iter_tasks(s->ld, 0, on_any_task, s);
		if (err)
			bw_warn("failed to list threads: %s", strerror(-err));
		return;
	}
	for (size_t i = 0; i < bw_targets__count(s->targets); i++) {
		struct bw_target *t = bw_targets__at(s->targets, i);

		if (!t->alive)
			continue;
		err = bw_threads__collect_blocked(t->threads, s->agg, s->now_ns, &t->sum);
		if (err && err != -ESRCH)
			bw_warn("failed to list threads of pid %d: %s", t->pid, strerror(-err));
	}
}

static void read_thread_waits(struct bw_session *s)
{
	int err = bw_loader__read_waits(s->ld, on_wait_delta, s);

	if (err)
		bw_warn("failed to read completed waits: %s", strerror(-err));
}

static void collect(struct bw_session *s, uint64_t now)
{
	s->now_ns = now;
	bw_agg__begin(s->agg, now);
	for (size_t i = 0; i < bw_targets__count(s->targets); i++) {
		struct bw_target *t = bw_targets__at(s->targets, i);

		if (t->alive)
			prepare_target(s, t);
	}
	collect_threads(s);
	for (size_t i = 0; i < bw_targets__count(s->targets); i++) {
		struct bw_target *t = bw_targets__at(s->targets, i);

		if (t->alive && t->gosnap)
			collect_goroutines(s, t);
	}
	read_thread_waits(s);
	bw_agg__end(s->agg);
	bw_dbg("collected %zu processes in %.1f ms", bw_targets__count(s->targets),
	       (bw_monotonic_ns() - now) / 1e6);
}

/*
 * For a report with no snapshot due (one was just taken, or the targets
 * are gone): the waits completed since the last report, and only those.
 * Showing the last interval's figures again would count its waits twice
 * and leave out the ones since.
 */
static void collect_waits(struct bw_session *s, uint64_t now)
{
	s->now_ns = now;
	bw_agg__begin_waits(s->agg, now);
	for (size_t i = 0; i < bw_targets__count(s->targets); i++)
		read_go_waits(s, bw_targets__at(s->targets, i));
	read_thread_waits(s);
	bw_agg__end(s->agg);
}

/*
 * Detail mode's probe counters, into the process's summary and the totals.
 * Processes of one binary share its probes, told apart by the binary's
 * device and inode as godetail does; a process gone keeps its binary's
 * figures as last read.
 */
static void read_go_counters(struct bw_session *s, struct bw_target *t)
{
	t->sum.go_detail = t->godetail != NULL;
	if (!t->godetail)
		return;
	t->sum.go_sample_every = s->cfg.sample > 1 ? s->cfg.sample : 1;
	bw_godetail__counters(t->godetail, t->sum.go_probes);
	if (!t->alive)
		return;
	/* the processes of one binary share its probes: count them once */
	if (bw_go_totals__update(&s->go_totals, bw_godetail__binary_id(t->godetail),
				 t->sum.go_probes))
		bw_dbg("failed to count the Go probes of pid %d: out of memory", t->pid);
}

static void report(struct bw_session *s, uint64_t now, bool final)
{
	size_t n = bw_targets__count(s->targets);
	struct bw_report rep = {
		.now_ns = now,
		.elapsed_ns = now - s->start_ns,
		.interval_s = s->cfg.interval_s,
		.final = final,
		.agg = s->agg,
	};

	free(s->procs);
	s->procs = calloc(n ? n : 1, sizeof(*s->procs));
	rep.procs = s->procs;
	for (size_t i = 0; i < n && s->procs; i++) {
		struct bw_target *t = bw_targets__at(s->targets, i);

		if (!t->alive && !final)
			continue;
		read_go_counters(s, t);
		s->procs[rep.nprocs++] = t->sum;
	}
	bw_go_totals__sum(&s->go_totals, rep.go_probes);
	bw_loader__drops(s->ld, rep.drops);
	rep.sites_evicted = bw_agg__evicted(s->agg);
	bw_report_writer__write(s->out, &rep);
	/* the exit status follows the last verdicts: a withdrawn verdict is no leak */
	s->leak_seen = rep.leaks > 0;
	s->reports++;
}

/* Anything left to watch? System-wide there always is. */
static bool any_alive(struct bw_session *s)
{
	if (s->system_wide)
		return true;
	for (size_t i = 0; i < bw_targets__count(s->targets); i++)
		if (bw_targets__at(s->targets, i)->alive)
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

	s->start_ns = bw_monotonic_ns();
	next = s->start_ns + interval;
	while (!*stop) {
		int timeout_ms;

		now = bw_monotonic_ns();
		timeout_ms = now >= next ? 0 : (int)((next - now) / 1000000);
		/* short polls: exits and signals are noticed within 100 ms */
		bw_loader__poll(s->ld, timeout_ms > 100 ? 100 : timeout_ms, on_event, s);
		if (bw_report_writer__poll_input(s->out))
			break;
		check_targets(s);
		now = bw_monotonic_ns();
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
	now = bw_monotonic_ns();
	/* the final report: a fresh snapshot unless there is none to take or one was just taken */
	if (any_alive(s) && !reported_last)
		collect(s, now);
	else
		collect_waits(s, now);
	report(s, now, true);
	if (!any_alive(s))
		bw_info("target exited");
	return s->leak_seen && s->cfg.duration_s > 0 ? BW_EXIT_LEAK : BW_EXIT_OK;
}
