// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "drops.h"
#include "log.h"
#include "out_flame.h"
#include "out_folded.h"
#include "out_json.h"
#include "out_pprof.h"
#include "out_prom.h"
#include "out_term.h"
#include "out_textfile.h"
#include "out_tui.h"
#include "report.h"
#include "trend.h"
#include "u64map.h"

/* Trend memory of one site, dropped once the site is gone for a while. */
struct site_trend {
	struct bw_trend_state state;
	uint64_t last_report;
};

/* Reports a site may stay unseen before its trend memory is dropped. */
#define TREND_STATE_TTL 100

struct bw_report_writer {
	struct bw_config cfg;
	FILE *out;
	bool own_out;
	struct bw_out_term *term;
	struct bw_out_json *json;
	struct bw_tui *tui;
	/* exporters asked for: the endpoint (or NULL), the files replaced every report */
	struct bw_out_prom *prom;
	struct bw_report_file *files[4]; /* textfile, pprof, folded, flame graph */
	size_t nfiles;
	struct bw_trend_opts trend_opts;
	struct bw_u64map trends; /* site id -> struct site_trend */
	uint64_t reports;
};

/* Reports go to a file the user named: never through a symlink planted there. */
static FILE *open_output(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f;

	if (fd < 0) {
		bw_err("failed to open output '%s': %s", path, strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

static int open_outputs(struct bw_report_writer *w)
{
	const struct bw_config *cfg = &w->cfg;

	w->out = stdout;
	if (cfg->output_path) {
		w->out = open_output(cfg->output_path);
		if (!w->out)
			return -errno;
		w->own_out = true;
	}
	if (cfg->json) {
		struct bw_out_json_opts o = { .verdicts = true };

		w->json = bw_out_json__new(w->out, &o);
		return w->json ? 0 : -errno;
	}
	if (!cfg->output_path && isatty(STDOUT_FILENO) && !cfg->no_tui) {
		w->tui = bw_tui__new();
		if (w->tui)
			return 0;
		bw_warn("failed to start the live view: plain tables instead");
	}
	{
		struct bw_out_term_opts o = {
			.top = cfg->top ? cfg->top : -1,
			.full_stacks = cfg->full_stacks,
			.kernel_stacks = cfg->kernel_stacks,
			.verdicts = true,
		};

		w->term = bw_out_term__new(w->out, &o);
		return w->term ? 0 : -errno;
	}
}

/* The errno of a failed constructor, never 0. */
static int ctor_error(void)
{
	return errno ? -errno : -EINVAL;
}

/* -1 when the file could not be made (errno set). */
static int add_file(struct bw_report_writer *w, struct bw_report_file *rf)
{
	if (!rf)
		return -1;
	w->files[w->nfiles++] = rf;
	return 0;
}

static int open_exporters(struct bw_report_writer *w)
{
	const struct bw_config *cfg = &w->cfg;
	struct bw_folded_opts fo = { .waits = cfg->folded_waits };

	errno = 0;
	if (cfg->prom_listen) {
		w->prom = bw_out_prom__new(cfg->prom_listen, cfg->prom_top);
		if (!w->prom)
			return ctor_error();
	}
	if (cfg->textfile_path &&
	    add_file(w, bw_out_textfile__new(cfg->textfile_path, cfg->prom_top)))
		return ctor_error();
	if (cfg->pprof_path && add_file(w, bw_out_pprof__new(cfg->pprof_path)))
		return ctor_error();
	if (cfg->folded_path && add_file(w, bw_out_folded__new(cfg->folded_path, &fo)))
		return ctor_error();
	if (cfg->flame_path && add_file(w, bw_out_flame__new(cfg->flame_path, NULL)))
		return ctor_error();
	return 0;
}

/* Exporters never stop the run: each logs its own failures. */
static void write_exporters(struct bw_report_writer *w, const struct bw_report *rep)
{
	if (w->prom)
		bw_out_prom__update(w->prom, rep);
	for (size_t i = 0; i < w->nfiles; i++)
		bw_report_file__update(w->files[i], rep);
}

struct bw_report_writer *bw_report_writer__new(const struct bw_config *cfg)
{
	struct bw_report_writer *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->cfg = *cfg;
	bw_u64map__init(&w->trends);
	bw_trend__default_opts(&w->trend_opts, cfg->interval_s);
	if (cfg->trend_window_s > 0) {
		/* the detector needs 8 samples at least: a short window at a long interval */
		w->trend_opts.window = (size_t)(cfg->trend_window_s / cfg->interval_s);
		if (w->trend_opts.window < 8)
			w->trend_opts.window = 8;
	}
	err = open_outputs(w);
	if (!err)
		err = open_exporters(w);
	if (err) {
		bw_report_writer__free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

void bw_report_writer__free(struct bw_report_writer *w)
{
	if (!w)
		return;
	bw_tui__free(w->tui);
	bw_out_term__free(w->term);
	bw_out_json__free(w->json);
	bw_out_prom__free(w->prom);
	for (size_t i = 0; i < w->nfiles; i++)
		bw_report_file__free(w->files[i]);
	if (w->own_out && w->out)
		fclose(w->out);
	for (size_t i = 0; i < w->trends.cap; i++)
		free(bw_u64map__val_at(&w->trends, i));
	bw_u64map__free(&w->trends);
	free(w);
}

static struct site_trend *trend_of(struct bw_report_writer *w, uint64_t site_id)
{
	struct site_trend *t = bw_u64map__get(&w->trends, site_id);

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t || bw_u64map__put(&w->trends, site_id, t)) {
		free(t);
		return NULL;
	}
	bw_trend__init(&t->state);
	return t;
}

static void judge(struct bw_report_writer *w, struct bw_site *s)
{
	struct bw_trend_input in = {
		.blocked = s->history,
		.aged = s->aged_history,
		.n = s->history_len,
		.oldest_age_ns = s->oldest_age_ns,
	};
	struct site_trend *t = trend_of(w, s->id);
	struct bw_verdict v = {};

	if (!t || bw_trend__update(&t->state, &w->trend_opts, &in, &v))
		return;
	t->last_report = w->reports;
	s->verdict = (uint8_t)v.kind;
	s->growth_per_min = v.growth_per_min;
	s->confidence = v.confidence < 0 ? 0 : v.confidence; /* < 0: not judged yet */
	s->growing_for_s = v.growing_for_s;
}

static void forget_old_trends(struct bw_report_writer *w)
{
	for (size_t i = 0; i < w->trends.cap;) {
		struct site_trend *t = bw_u64map__val_at(&w->trends, i);

		if (t && w->reports - t->last_report > TREND_STATE_TTL) {
			free(bw_u64map__del(&w->trends, bw_u64map__key_at(&w->trends, i)));
			continue; /* the deletion moved another entry into slot i */
		}
		i++;
	}
}

static int write_json(struct bw_report_writer *w, const struct bw_report *rep,
		      struct bw_site *const *sites, size_t n, const struct bw_drops *drops)
{
	int err = 0;

	bw_out_json__begin(w->json, bw_realtime_ns(), rep->interval_s);
	for (size_t i = 0; i < rep->nprocs && !err; i++)
		err = bw_out_json__write_process(w->json, &rep->procs[i]);
	if (!err)
		err = bw_out_json__write_sites(w->json, sites, n, rep->procs, rep->nprocs);
	if (!err)
		err = bw_out_json__write_interval(w->json, n, drops, rep->final);
	if (!err)
		err = bw_out_json__flush(w->json);
	return err;
}

/* Process lines a table shows at most: system-wide, the busiest ones. */
#define TERM_MAX_PROCS 8

static uint64_t blocked_in(const struct bw_proc_summary *p)
{
	return p->threads_blocked + p->goroutines_waiting;
}

static int cmp_busiest(const void *a, const void *b)
{
	uint64_t x = blocked_in(a), y = blocked_in(b);

	return x > y ? -1 : x < y;
}

static int write_term(struct bw_report_writer *w, const struct bw_report *rep,
		      struct bw_site *const *sites, size_t n, const struct bw_drops *drops)
{
	struct bw_proc_summary *busiest = NULL;
	struct bw_term_interval iv = {
		.ts_ns = bw_realtime_ns(),
		.interval_s = rep->interval_s,
		.final = rep->final,
		.procs = rep->procs,
		.nprocs = rep->nprocs,
		.sites = sites,
		.nsites = n,
		.drops = drops,
	};

	int err;

	if (rep->nprocs > TERM_MAX_PROCS)
		busiest = malloc(rep->nprocs * sizeof(*busiest));
	if (busiest) {
		memcpy(busiest, rep->procs, rep->nprocs * sizeof(*busiest));
		qsort(busiest, rep->nprocs, sizeof(*busiest), cmp_busiest);
		iv.procs = busiest;
		iv.nprocs = TERM_MAX_PROCS;
	}
	err = bw_out_term__write(w->term, &iv);
	free(busiest);
	return err;
}

int bw_report_writer__write(struct bw_report_writer *w, struct bw_report *rep)
{
	struct bw_site **sites;
	struct bw_drops drops;
	size_t n;
	int err;

	w->reports++;
	err = bw_agg__sites(rep->agg, BW_SORT_BLOCKED, &sites, &n);
	if (err)
		return err;
	rep->leaks = 0;
	for (size_t i = 0; i < n; i++) {
		judge(w, sites[i]);
		rep->leaks += sites[i]->verdict == BW_VERDICT_LEAK;
	}
	forget_old_trends(w);
	bw_drops_fill(&drops, rep->drops, rep->sites_evicted, rep->go_probes);
	if (w->json)
		err = write_json(w, rep, sites, n, &drops);
	else if (w->tui)
		err = bw_tui__render(w->tui, rep);
	else
		err = write_term(w, rep, sites, n, &drops);
	write_exporters(w, rep);
	free(sites);
	if (err == -EIO || err == -EPIPE)
		bw_err("failed to write the report: %s", strerror(-err));
	return err;
}

bool bw_report_writer__poll_input(struct bw_report_writer *w)
{
	return w->tui && bw_tui__poll_input(w->tui);
}
