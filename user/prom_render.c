// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "drops.h"
#include "escape.h"
#include "hist.h"
#include "prom_render.h"
#include "trend.h"
#include "u64map.h"

#ifndef BW_VERSION
#define BW_VERSION "unknown"
#endif

/*
 * Histogram buckets: the log2 buckets of the aggregator merged in pairs, so
 * le runs over 2^10, 2^12 ... 2^46 ns (1.024 us to 19.5 h) in seconds, then
 * +Inf. Merging whole buckets keeps the counts exact.
 */
#define HIST_LE_FIRST 10
#define HIST_LE_LAST 46
#define HIST_LE_STEP 2
#define WAIT_HIST "blockwatch_wait_seconds"

/* One series of the site families: a site, or a sum of sites ("other"). */
struct series {
	const struct bw_site *site;
	bool is_other;
	bool all_procs; /* the sum over processes without series of their own: pid="" */
	char *labels;	/* escaped label pairs, without braces */
};

struct render {
	FILE *f;
	const struct bw_report *rep;
	const struct bw_prom_opts *opts;
	struct bw_site **sites; /* every active site, by blocked count */
	size_t nsites;
	bool *site_shown;	/* by index in sites: a series of its own */
	struct bw_u64map procs; /* pid -> index + 1 in rep->procs */
	struct bw_u64map shown; /* pids with per-process series (choose_procs) */
	size_t *shown_procs;	/* their indexes in rep->procs, by pid */
	size_t nshown_procs;
	struct bw_u64map others; /* pid -> its "other" sum */
	struct bw_site *rest;	 /* the sum over processes not shown */
	struct series *series;
	size_t nseries;
};

const char *bw_prom_content_type(enum bw_prom_format format)
{
	return format == BW_PROM_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; "
					       "charset=utf-8"
					     : "text/plain; version=0.0.4; charset=utf-8";
}

double bw_prom_report_duration(const struct bw_report *rep)
{
	uint64_t now = bw_monotonic_ns();

	return rep->now_ns && now >= rep->now_ns ? (now - rep->now_ns) / 1e9 : 0;
}

/* ---- values and labels ---- */

/* The shortest text that reads back as d (the caller runs in the C locale). */
static void format_value(char *buf, size_t size, double d)
{
	if (isnan(d)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, size, "%s", d > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (d == floor(d) && fabs(d) < 1e15) {
		snprintf(buf, size, "%.0f", d); /* counts: 10, not 1e+01 */
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
}

/* max bounds fixed-size fields that need not hold a NUL (comm); 0: a C string */
static void put_label(FILE *f, bool first, const char *name, const char *value, size_t max)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	if (!value)
		value = "";
	bw_escape_prom_file(f, value, max ? strnlen(value, max) : strlen(value));
	fputc('"', f);
}

static const struct bw_proc_summary *proc_of(const struct render *r, pid_t pid)
{
	void *v = bw_u64map__get(&r->procs, (uint64_t)(uint32_t)pid);

	return v ? &r->rep->procs[(uintptr_t)v - 1] : NULL;
}

/* pid, comm, kind, reason, function, file, line, site: the identity of a series. */
static char *series_labels(const struct render *r, const struct series *s)
{
	const struct bw_site *site = s->site;
	const struct bw_proc_summary *p = s->all_procs ? NULL : proc_of(r, site->pid);
	const struct bw_frame_name *fr = NULL;
	char num[24] = "", fn[24], line[16] = "", id[20];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!s->is_other && site->nframes > 0)
		fr = &site->frames[site->focus < site->nframes ? site->focus : 0];
	if (!s->all_procs)
		snprintf(num, sizeof(num), "%d", (int)site->pid);
	snprintf(fn, sizeof(fn), "0x%" PRIx64, fr ? fr->addr : 0);
	if (fr && fr->line > 0)
		snprintf(line, sizeof(line), "%d", fr->line);
	snprintf(id, sizeof(id), "%016" PRIx64, site->id);
	put_label(f, true, "pid", num, sizeof(num));
	put_label(f, false, "comm", p ? p->comm : "", BW_COMM_LEN);
	/* the container (12 digits, as docker shows it) for fleet dashboards; "" outside one */
	put_label(f, false, "container", p ? p->container_id : "", 12);
	put_label(f, false, "kind", s->is_other ? "" : bw_site_kind_name(site->kind), 16);
	put_label(f, false, "reason", s->is_other ? "" : site->reason, sizeof(site->reason));
	put_label(f, false, "function", fr ? (fr->function ? fr->function : fn) : "", 0);
	put_label(f, false, "file", fr ? fr->file : "", 0);
	put_label(f, false, "line", line, sizeof(line));
	put_label(f, false, "site", s->is_other ? "other" : id, sizeof(id));
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- choosing the series ---- */

/* The top_n sites by blocked count, and the leaks past them. */
static void choose_sites(struct render *r)
{
	size_t extra_leaks = 0;

	for (size_t i = 0; i < r->nsites; i++)
		r->site_shown[i] = i < r->opts->top_n || (r->sites[i]->verdict == BW_VERDICT_LEAK &&
							  extra_leaks++ < BW_PROM_MAX_EXTRA_LEAKS);
}

static uint64_t waiters(const struct bw_proc_summary *p)
{
	return p->threads_blocked + p->goroutines_waiting;
}

static int cmp_busiest(const void *a, const void *b, void *ctx)
{
	const struct bw_proc_summary *procs = ctx;
	const struct bw_proc_summary *x = &procs[*(const size_t *)a],
				     *y = &procs[*(const size_t *)b];

	if (waiters(x) != waiters(y))
		return waiters(x) > waiters(y) ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_pid(const void *a, const void *b, void *ctx)
{
	const struct bw_proc_summary *procs = ctx;
	pid_t x = procs[*(const size_t *)a].pid, y = procs[*(const size_t *)b].pid;

	return x < y ? -1 : x > y;
}

static int show_pid(struct render *r, pid_t pid)
{
	/* any non-NULL value marks it */
	return bw_u64map__put(&r->shown, (uint64_t)(uint32_t)pid, r);
}

static bool pid_shown(const struct render *r, pid_t pid)
{
	return bw_u64map__get(&r->shown, (uint64_t)(uint32_t)pid) != NULL;
}

/*
 * The processes with series of their own: the top_n by waiters and the
 * owners of sites with series. shown_procs lists those with a summary, by pid.
 */
static int choose_procs(struct render *r)
{
	const struct bw_report *rep = r->rep;
	size_t *order = malloc((rep->nprocs + 1) * sizeof(*order)), n = 0;
	int err = order ? 0 : -ENOMEM;

	for (size_t i = 0; i < rep->nprocs && !err; i++) {
		order[i] = i;
		err = bw_u64map__put(&r->procs, (uint64_t)(uint32_t)rep->procs[i].pid,
				     (void *)(uintptr_t)(i + 1));
	}
	if (!err)
		qsort_r(order, rep->nprocs, sizeof(*order), cmp_busiest, (void *)rep->procs);
	for (size_t i = 0; i < rep->nprocs && i < r->opts->top_n && !err; i++)
		err = show_pid(r, rep->procs[order[i]].pid);
	for (size_t i = 0; i < r->nsites && !err; i++)
		if (r->site_shown[i])
			err = show_pid(r, r->sites[i]->pid);
	for (size_t i = 0; i < rep->nprocs && !err; i++)
		if (pid_shown(r, rep->procs[i].pid))
			order[n++] = i;
	if (err) {
		free(order);
		return err;
	}
	qsort_r(order, n, sizeof(*order), cmp_pid, (void *)rep->procs);
	r->shown_procs = order;
	r->nshown_procs = n;
	return 0;
}

/* Sums of the sites that get no series of their own. */
static void add_to_other(struct bw_site *o, const struct bw_site *s)
{
	o->blocked += s->blocked;
	if (s->oldest_age_ns > o->oldest_age_ns)
		o->oldest_age_ns = s->oldest_age_ns;
	o->waits_total += s->waits_total;
	o->wait_ns_total += s->wait_ns_total;
	for (int i = 0; i < BW_HIST_SLOTS; i++)
		o->wait_hist[i] += s->wait_hist[i];
}

/* The "other" of a site's process, or the one of every process without series. */
static struct bw_site *other_of(struct render *r, pid_t pid)
{
	struct bw_site *o;

	if (!pid_shown(r, pid)) {
		if (!r->rest)
			r->rest = calloc(1, sizeof(*r->rest));
		return r->rest;
	}
	o = bw_u64map__get(&r->others, (uint64_t)(uint32_t)pid);
	if (o)
		return o;
	o = calloc(1, sizeof(*o));
	if (o && bw_u64map__put(&r->others, (uint64_t)(uint32_t)pid, o)) {
		free(o);
		return NULL;
	}
	if (o)
		o->pid = pid;
	return o;
}

static int series_cmp(const void *a, const void *b)
{
	const struct series *x = a, *y = b;

	if (x->all_procs != y->all_procs)
		return x->all_procs ? 1 : -1;
	if (x->site->pid != y->site->pid)
		return x->site->pid < y->site->pid ? -1 : 1;
	if (x->is_other != y->is_other)
		return x->is_other ? 1 : -1;
	return x->site->id < y->site->id ? -1 : x->site->id > y->site->id;
}

/* The shown sites, then the sums; sorted, labelled. */
static int list_series(struct render *r)
{
	size_t n = 0;

	/* each "other" sums at least one site: never more series than sites */
	r->series = calloc(r->nsites + 1, sizeof(*r->series));
	if (!r->series)
		return -ENOMEM;
	for (size_t i = 0; i < r->nsites; i++) {
		struct bw_site *o;

		if (r->site_shown[i]) {
			r->series[n++].site = r->sites[i];
			continue;
		}
		o = other_of(r, r->sites[i]->pid);
		if (!o)
			return -ENOMEM;
		add_to_other(o, r->sites[i]);
	}
	for (size_t i = 0; i < r->others.cap; i++) {
		if (!bw_u64map__val_at(&r->others, i))
			continue;
		r->series[n].site = bw_u64map__val_at(&r->others, i);
		r->series[n++].is_other = true;
	}
	if (r->rest)
		r->series[n++] =
			(struct series){ .site = r->rest, .is_other = true, .all_procs = true };
	r->nseries = n;
	qsort(r->series, n, sizeof(*r->series), series_cmp);
	for (size_t i = 0; i < n; i++) {
		r->series[i].labels = series_labels(r, &r->series[i]);
		if (!r->series[i].labels)
			return -ENOMEM;
	}
	return 0;
}

static int choose_series(struct render *r)
{
	int err;

	r->site_shown = calloc(r->nsites + 1, sizeof(*r->site_shown));
	if (!r->site_shown)
		return -ENOMEM;
	choose_sites(r);
	err = choose_procs(r);
	return err ? err : list_series(r);
}

static void render_release(struct render *r)
{
	for (size_t i = 0; i < r->nseries; i++)
		free(r->series[i].labels);
	for (size_t i = 0; i < r->others.cap; i++)
		free(bw_u64map__val_at(&r->others, i));
	bw_u64map__free(&r->others);
	bw_u64map__free(&r->procs);
	bw_u64map__free(&r->shown);
	free(r->rest);
	free(r->series);
	free(r->site_shown);
	free(r->shown_procs);
	free(r->sites);
}

/* ---- families ---- */

/*
 * HELP and TYPE. OpenMetrics names a counter family without its _total and
 * an info family without its _info; the text format has no info type.
 */
static void family(struct render *r, const char *name, const char *type, const char *help)
{
	bool om = r->opts->format == BW_PROM_OPENMETRICS;
	size_t len = strlen(name);

	if (om && !strcmp(type, "counter") && len > 6 && !strcmp(name + len - 6, "_total"))
		len -= 6;
	else if (om && !strcmp(type, "info") && len > 5 && !strcmp(name + len - 5, "_info"))
		len -= 5;
	else if (!om && !strcmp(type, "info"))
		type = "gauge";
	fprintf(r->f, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)len, name, help, (int)len, name,
		type);
}

/* name{labels[,extra]} value */
static void sample(struct render *r, const char *name, const char *labels, const char *extra,
		   double value)
{
	char num[40];

	fputs(name, r->f);
	if ((labels && *labels) || extra) {
		fputc('{', r->f);
		fputs(labels ? labels : "", r->f);
		if (extra)
			fprintf(r->f, "%s%s", labels && *labels ? "," : "", extra);
		fputc('}', r->f);
	}
	format_value(num, sizeof(num), value);
	fprintf(r->f, " %s\n", num);
}

static double v_blocked(const struct bw_site *s)
{
	return s->blocked;
}

static double v_oldest(const struct bw_site *s)
{
	return s->oldest_age_ns / 1e9;
}

static double v_waits(const struct bw_site *s)
{
	return (double)s->waits_total;
}

static double v_leak(const struct bw_site *s)
{
	return s->verdict == BW_VERDICT_LEAK;
}

static double v_growth(const struct bw_site *s)
{
	return s->growth_per_min;
}

/* 0 to 1; the detector marks "not judged yet" below 0 */
static double v_confidence(const struct bw_site *s)
{
	return s->confidence > 0 ? (s->confidence < 1 ? s->confidence : 1) : 0;
}

static double v_growing(const struct bw_site *s)
{
	return s->growing_for_s;
}

/* The site families with one value per series; judged ones skip "other". */
static const struct site_family {
	const char *name, *type, *help;
	bool judged;
	double (*value)(const struct bw_site *s);
} site_families[] = {
	{ "blockwatch_blocked", "gauge", "Threads or goroutines blocked at the site now.", false,
	  v_blocked },
	{ "blockwatch_oldest_wait_seconds", "gauge",
	  "Age of the oldest wait at the site now (a lower bound for waits begun before attach).",
	  false, v_oldest },
	{ "blockwatch_waits_total", "counter",
	  "Waits at the site that completed since blockwatch first saw the site.", false, v_waits },
	{ "blockwatch_leak", "gauge", "1 when the trend detector judges the site a leak, else 0.",
	  true, v_leak },
	{ "blockwatch_growth_per_minute", "gauge",
	  "Growth of the site's blocked count, per minute (Theil-Sen slope of its floor).", true,
	  v_growth },
	{ "blockwatch_leak_confidence", "gauge",
	  "Confidence of the site's verdict, 0 to 1 (0: not judged yet).", true, v_confidence },
	{ "blockwatch_growth_duration_seconds", "gauge",
	  "How long the site's blocked count has been growing.", true, v_growing },
};

static void render_site_family(struct render *r, const struct site_family *fam)
{
	family(r, fam->name, fam->type, fam->help);
	for (size_t i = 0; i < r->nseries; i++) {
		const struct series *s = &r->series[i];

		if (!(fam->judged && s->is_other))
			sample(r, fam->name, s->labels, NULL, fam->value(s->site));
	}
}

static void render_verdicts(struct render *r)
{
	char extra[32];

	family(r, "blockwatch_verdict", "gauge",
	       "The trend detector's verdict on the site: 1 for the current one (ok, suspect or "
	       "leak).");
	for (size_t i = 0; i < r->nseries; i++) {
		const struct series *s = &r->series[i];

		if (s->is_other)
			continue;
		snprintf(extra, sizeof(extra), "verdict=\"%s\"",
			 bw_verdict_name((enum bw_verdict_kind)s->site->verdict));
		sample(r, "blockwatch_verdict", s->labels, extra, 1);
	}
}

/* Cumulative buckets from the log2 histogram; series without completed waits are left out. */
static void render_histogram(struct render *r)
{
	char extra[48], le[40];

	family(r, WAIT_HIST, "histogram", "Durations of the completed waits at the site.");
	for (size_t i = 0; i < r->nseries; i++) {
		const struct bw_site *s = r->series[i].site;
		const char *labels = r->series[i].labels;
		uint64_t total = bw_hist_total(s->wait_hist), cum = 0;
		unsigned int slot = 0;

		if (!total)
			continue;
		for (unsigned int k = HIST_LE_FIRST; k <= HIST_LE_LAST; k += HIST_LE_STEP) {
			/* slot j holds [2^j, 2^(j+1)): every value below 2^k ns */
			for (; slot < k; slot++)
				cum += s->wait_hist[slot];
			format_value(le, sizeof(le), ldexp(1, (int)k) / 1e9);
			snprintf(extra, sizeof(extra), "le=\"%s\"", le);
			sample(r, WAIT_HIST "_bucket", labels, extra, (double)cum);
		}
		sample(r, WAIT_HIST "_bucket", labels, "le=\"+Inf\"", (double)total);
		sample(r, WAIT_HIST "_sum", labels, NULL, s->wait_ns_total / 1e9);
		sample(r, WAIT_HIST "_count", labels, NULL, (double)total);
	}
}

/* name{pid,comm,container,label="value"}: label "state" or "event" */
static void proc_sample(struct render *r, const char *name, const struct bw_proc_summary *p,
			const char *label, const char *value_of_label, uint64_t value)
{
	char labels[256], pid[16];
	size_t n;

	snprintf(pid, sizeof(pid), "%d", (int)p->pid);
	n = (size_t)snprintf(labels, sizeof(labels), "pid=\"%s\",comm=\"", pid);
	n += bw_escape_prom(labels + n, sizeof(labels) - n, p->comm, strnlen(p->comm, BW_COMM_LEN));
	if (n < sizeof(labels))
		n += (size_t)snprintf(labels + n, sizeof(labels) - n, "\",container=\"%.12s",
				      p->container_id);
	if (n < sizeof(labels))
		snprintf(labels + n, sizeof(labels) - n, "\",%s=\"%s\"", label, value_of_label);
	sample(r, name, labels, NULL, (double)value);
}

/* What is left of a total once its known parts are taken out (never negative). */
static uint64_t rest(uint64_t total, uint64_t parts)
{
	return total > parts ? total - parts : 0;
}

/* Detail mode's probe counters of the chosen processes that have them. */
static void render_go_probes(struct render *r)
{
	const struct bw_report *rep = r->rep;

	family(r, "blockwatch_go_probe_events_total", "counter",
	       "Events counted by Go detail mode's probes in the process's binary since they were "
	       "loaded, by event (the processes of one binary share them).");
	for (size_t k = 0; k < r->nshown_procs; k++) {
		const struct bw_proc_summary *p = &rep->procs[r->shown_procs[k]];

		for (unsigned int i = 0; p->go_detail && i < BW_GO_COUNTERS; i++)
			proc_sample(r, "blockwatch_go_probe_events_total", p, "event",
				    bw_go_counter_name(i), p->go_probes[i]);
	}
}

/* Per-process series, for the processes chosen (choose_procs), by pid. */
static void render_processes(struct render *r)
{
	const struct bw_report *rep = r->rep;

	family(r, "blockwatch_goroutines", "gauge", "Goroutines of a Go process, by state.");
	for (size_t k = 0; k < r->nshown_procs; k++) {
		const struct bw_proc_summary *p = &rep->procs[r->shown_procs[k]];
		uint64_t known = p->goroutines_waiting + p->goroutines_runnable +
				 p->goroutines_running + p->goroutines_syscall;

		if (!p->is_go)
			continue;
		proc_sample(r, "blockwatch_goroutines", p, "state", "waiting",
			    p->goroutines_waiting);
		proc_sample(r, "blockwatch_goroutines", p, "state", "runnable",
			    p->goroutines_runnable);
		proc_sample(r, "blockwatch_goroutines", p, "state", "running",
			    p->goroutines_running);
		proc_sample(r, "blockwatch_goroutines", p, "state", "syscall",
			    p->goroutines_syscall);
		proc_sample(r, "blockwatch_goroutines", p, "state", "other",
			    rest(p->goroutines, known));
	}
	family(r, "blockwatch_threads", "gauge", "Threads of a process, blocked or not.");
	for (size_t k = 0; k < r->nshown_procs; k++) {
		const struct bw_proc_summary *p = &rep->procs[r->shown_procs[k]];

		proc_sample(r, "blockwatch_threads", p, "state", "blocked", p->threads_blocked);
		proc_sample(r, "blockwatch_threads", p, "state", "other",
			    rest(p->threads, p->threads_blocked));
	}
	render_go_probes(r);
	family(r, "blockwatch_processes", "gauge",
	       "Processes watched (those with series of their own are at most --prom-top plus "
	       "the owners of sites with series).");
	sample(r, "blockwatch_processes", NULL, NULL, (double)rep->nprocs);
}

/* Figures about blockwatch itself: sites, drops, its own cost and version. */
static void render_self(struct render *r)
{
	const struct bw_report *rep = r->rep;
	struct bw_drops drops;
	char extra[64];
	size_t leaks = 0;

	for (size_t i = 0; i < r->nsites; i++)
		leaks += r->sites[i]->verdict == BW_VERDICT_LEAK;
	family(r, "blockwatch_leak_sites", "gauge",
	       "Sites judged leaks now, all of them (not only those with series).");
	sample(r, "blockwatch_leak_sites", NULL, NULL, (double)leaks);
	family(r, "blockwatch_sites", "gauge",
	       "Sites active in the latest interval (blocked now or with completed waits).");
	sample(r, "blockwatch_sites", NULL, NULL, (double)r->nsites);
	bw_drops_fill(&drops, rep->drops, rep->sites_evicted, rep->go_probes);
	family(r, "blockwatch_dropped_events_total", "counter",
	       "Events the kernel side had to drop since attach, by kind (go_*: Go detail mode's "
	       "probes, each binary once): figures are lower bounds when these rise.");
	for (unsigned int k = 0; k < BW_DROPS__COUNT; k++) {
		if (k == BW_DROPS_SITES_EVICTED)
			continue; /* not the kernel's: a family of its own */
		snprintf(extra, sizeof(extra), "kind=\"%s\"", bw_drops_name(k));
		sample(r, "blockwatch_dropped_events_total", NULL, extra, (double)drops.count[k]);
	}
	family(r, "blockwatch_sites_evicted_total", "counter",
	       "Idle sites forgotten because the site table was full.");
	sample(r, "blockwatch_sites_evicted_total", NULL, NULL, (double)rep->sites_evicted);
	if (r->opts->report_duration_s > 0) {
		family(r, "blockwatch_report_duration_seconds", "gauge",
		       "Time from the start of the interval's collection to this report.");
		sample(r, "blockwatch_report_duration_seconds", NULL, NULL,
		       r->opts->report_duration_s);
	}
	family(r, "blockwatch_build_info", "info", "blockwatch's version.");
	sample(r, "blockwatch_build_info", NULL, "version=\"" BW_VERSION "\"", 1);
}

static void render_all(struct render *r)
{
	size_t nfam = sizeof(site_families) / sizeof(site_families[0]);

	/* the histogram after the counter it refines, the verdict before its details */
	for (size_t i = 0; i < nfam; i++) {
		render_site_family(r, &site_families[i]);
		if (!strcmp(site_families[i].name, "blockwatch_waits_total"))
			render_histogram(r);
		if (!strcmp(site_families[i].name, "blockwatch_leak"))
			render_verdicts(r);
	}
	render_processes(r);
	render_self(r);
	if (r->opts->format == BW_PROM_OPENMETRICS)
		fputs("# EOF\n", r->f);
}

int bw_prom_render(FILE *f, const struct bw_report *rep, const struct bw_prom_opts *opts)
{
	struct render r = { .f = f, .rep = rep, .opts = opts };
	locale_t c_locale, old;
	int err = 0;

	/* "%g" follows LC_NUMERIC, which may want a decimal comma */
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!c_locale)
		return -ENOMEM;
	old = uselocale(c_locale);
	if (rep->agg)
		err = bw_agg__sites(rep->agg, BW_SORT_BLOCKED, &r.sites, &r.nsites);
	if (!err)
		err = choose_series(&r);
	if (!err)
		render_all(&r);
	render_release(&r);
	uselocale(old);
	freelocale(c_locale);
	if (!err && ferror(f))
		err = -EIO;
	return err;
}
