// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "escape.h"
#include "hist.h"
#include "out_json.h"

struct bw_out_json {
	FILE *f;
	struct bw_out_json_opts opts;
	uint64_t ts_ns;
	double interval_s;
	struct bw_drops prev_drops;
	/* "%g" follows LC_NUMERIC, which may want a decimal comma: not JSON */
	locale_t c_locale;
	int err; /* first write error, sticky */
};

struct bw_out_json *bw_out_json__new(FILE *f, const struct bw_out_json_opts *opts)
{
	struct bw_out_json *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!j->c_locale) {
		free(j);
		return NULL;
	}
	j->f = f;
	if (opts)
		j->opts = *opts;
	return j;
}

void bw_out_json__free(struct bw_out_json *j)
{
	if (!j)
		return;
	freelocale(j->c_locale);
	free(j);
}

void bw_out_json__begin(struct bw_out_json *j, uint64_t ts_ns, double interval_s)
{
	j->ts_ns = ts_ns;
	j->interval_s = interval_s;
}

/* The shortest text that reads back as d, always with a '.' or an exponent. */
static json_object *new_double(struct bw_out_json *j, double d)
{
	locale_t old = uselocale(j->c_locale);
	char buf[40];

	if (!isfinite(d))
		d = 0; /* JSON has no NaN or Infinity */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".e"))
		strcat(buf, ".0");
	uselocale(old);
	return json_object_new_double_s(d, buf);
}

/* json-c takes lengths as int; names from the target are much shorter */
#define NAME_MAX_LEN INT_MAX

/* A string of at most max bytes (comm need not be NUL-terminated), or null. */
static json_object *new_string(const char *s, size_t max)
{
	return s ? json_object_new_string_len(s, (int)strnlen(s, max)) : NULL;
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_str(json_object *o, const char *key, const char *s, size_t max)
{
	json_object_object_add(o, key, new_string(s, max));
}

static json_object *new_record(struct bw_out_json *j, const char *type)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "schema", json_object_new_int(BW_JSON_SCHEMA_VERSION));
	add_u64(o, "ts_ns", j->ts_ns);
	json_object_object_add(o, "interval_s", new_double(j, j->interval_s));
	return o;
}

/* Write the record as one line and release it. */
static int emit(struct bw_out_json *j, json_object *o)
{
	size_t len = 0;
	const char *text;
	int err;

	if (!o)
		return -ENOMEM;
	text = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		err = -ENOMEM;
	else
		err = bw_escape_json_text_file(j->f, text, len);
	if (!err && fputc('\n', j->f) == EOF)
		err = -EIO;
	json_object_put(o);
	if (err && !j->err)
		j->err = err;
	return err;
}

static json_object *new_frame(const struct bw_frame_name *f)
{
	json_object *o = json_object_new_object();
	char addr[24];

	if (!o)
		return NULL;
	snprintf(addr, sizeof(addr), "0x%" PRIx64, f->addr);
	json_object_object_add(o, "addr", json_object_new_string(addr));
	add_str(o, "function", f->function, NAME_MAX_LEN);
	add_u64(o, "offset", f->offset);
	add_str(o, "file", f->file, NAME_MAX_LEN);
	json_object_object_add(o, "line", json_object_new_int(f->line));
	add_str(o, "module", f->module, NAME_MAX_LEN);
	return o;
}

static json_object *new_frames(const struct bw_frame_name *frames, int n)
{
	json_object *a = json_object_new_array();

	for (int i = 0; a && i < n; i++)
		json_object_array_add(a, new_frame(&frames[i]));
	return a;
}

static json_object *new_wait_ns(const struct bw_site *s)
{
	json_object *o = json_object_new_object();
	uint64_t max = s->wait_max_interval_ns;

	if (!o)
		return NULL;
	add_u64(o, "total", s->wait_ns_interval);
	add_u64(o, "p50", bw_hist_quantile(s->wait_hist_interval, 0.50, max));
	add_u64(o, "p99", bw_hist_quantile(s->wait_hist_interval, 0.99, max));
	add_u64(o, "max", max);
	return o;
}

static const char *const verdict_names[] = { "ok", "suspect", "leak" };

static void add_verdict(struct bw_out_json *j, json_object *o, const struct bw_site *s)
{
	const char *v = s->verdict < 3 ? verdict_names[s->verdict] : "ok";

	json_object_object_add(o, "verdict", json_object_new_string(v));
	json_object_object_add(o, "growth_per_min", new_double(j, s->growth_per_min));
	json_object_object_add(o, "confidence", new_double(j, s->confidence));
	json_object_object_add(o, "growing_for_s", new_double(j, s->growing_for_s));
}

/* What is blocked there now. */
static void add_blocked(json_object *o, const struct bw_site *s)
{
	add_u64(o, "blocked", s->blocked);
	add_u64(o, "oldest_age_ns", s->oldest_age_ns);
	json_object_object_add(o, "age_is_lower_bound",
			       json_object_new_boolean(s->blocked && s->oldest_is_lower_bound));
	add_u64(o, "oldest_waiter", s->oldest_waiter);
	add_u64(o, "mean_age_ns", s->blocked ? s->age_sum_ns / s->blocked : 0);
	add_u64(o, "objects", s->objects);
}

/* Who it is and where: identity, stacks, creator, waker. */
static void add_where(struct bw_out_json *j, json_object *o, const struct bw_site *s)
{
	int nframes = s->nframes;

	if (j->opts.max_frames > 0 && nframes > j->opts.max_frames)
		nframes = j->opts.max_frames;
	json_object_object_add(o, "focus", json_object_new_int(s->focus < nframes ? s->focus : 0));
	json_object_object_add(o, "frames", new_frames(s->frames, nframes));
	json_object_object_add(o, "kernel_frames", new_frames(s->kframes, s->nkframes));
	if (s->kind == BW_KIND_GOROUTINE && s->created_by)
		json_object_object_add(o, "created_by", new_frame(&s->created_by_name));
	if (s->last_waker_pid) {
		json_object *w = json_object_new_object();

		if (w) {
			add_u64(w, "pid", s->last_waker_pid);
			add_str(w, "comm", s->last_waker_comm, sizeof(s->last_waker_comm));
		}
		json_object_object_add(o, "waker", w);
	}
}

int bw_out_json__write_site(struct bw_out_json *j, const struct bw_site *s, const char *comm)
{
	json_object *o = new_record(j, "site");
	char id[20];

	if (!o)
		return -ENOMEM;
	snprintf(id, sizeof(id), "%016" PRIx64, s->id);
	json_object_object_add(o, "pid", json_object_new_int(s->pid));
	add_str(o, "comm", comm, BW_COMM_LEN);
	json_object_object_add(o, "kind", json_object_new_string(bw_site_kind_name(s->kind)));
	add_str(o, "reason", s->reason, sizeof(s->reason));
	json_object_object_add(o, "site_id", json_object_new_string(id));
	add_blocked(o, s);
	add_u64(o, "waits", s->waits_interval);
	add_u64(o, "waits_total", s->waits_total);
	json_object_object_add(o, "wait_ns", new_wait_ns(s));
	add_u64(o, "wait_ns_total", s->wait_ns_total);
	add_where(j, o, s);
	if (j->opts.verdicts)
		add_verdict(j, o, s);
	return emit(j, o);
}

int bw_out_json__write_sites(struct bw_out_json *j, struct bw_site *const *sites, size_t n,
			     const struct bw_proc_summary *procs, size_t nprocs)
{
	for (size_t i = 0; i < n; i++) {
		const char *comm = NULL;
		int err;

		for (size_t p = 0; p < nprocs && !comm; p++)
			if (procs[p].pid == sites[i]->pid)
				comm = procs[p].comm;
		err = bw_out_json__write_site(j, sites[i], comm);
		if (err)
			return err;
	}
	return 0;
}

/* Detail mode's probe counters, by name. */
static json_object *new_go_probes(const struct bw_proc_summary *p)
{
	json_object *o = json_object_new_object();

	for (unsigned int i = 0; o && i < BW_GO_COUNTERS; i++)
		add_u64(o, bw_go_counter_name(i), p->go_probes[i]);
	if (o)
		add_u64(o, "sample_every", p->go_sample_every ? p->go_sample_every : 1);
	return o;
}

int bw_out_json__write_process(struct bw_out_json *j, const struct bw_proc_summary *p)
{
	json_object *o = new_record(j, "process");

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "pid", json_object_new_int(p->pid));
	add_str(o, "comm", p->comm, sizeof(p->comm));
	json_object_object_add(o, "is_go", json_object_new_boolean(p->is_go));
	add_str(o, "go_version", p->is_go && p->go_version[0] ? p->go_version : NULL,
		sizeof(p->go_version));
	add_str(o, "cgroup", p->cgroup[0] ? p->cgroup : NULL, sizeof(p->cgroup));
	add_str(o, "container_id", p->container_id[0] ? p->container_id : NULL,
		sizeof(p->container_id));
	add_str(o, "pod_uid", p->pod_uid[0] ? p->pod_uid : NULL, sizeof(p->pod_uid));
	add_u64(o, "threads", p->threads);
	add_u64(o, "threads_blocked", p->threads_blocked);
	add_u64(o, "goroutines", p->goroutines);
	add_u64(o, "goroutines_system", p->goroutines_system);
	add_u64(o, "goroutines_waiting", p->goroutines_waiting);
	add_u64(o, "goroutines_runnable", p->goroutines_runnable);
	add_u64(o, "goroutines_running", p->goroutines_running);
	add_u64(o, "goroutines_syscall", p->goroutines_syscall);
	json_object_object_add(o, "go_probes", p->go_detail ? new_go_probes(p) : NULL);
	return emit(j, o);
}

/*
 * Which figures a drop makes lower bounds. Interval figures are judged by
 * the drops of the interval, running totals by every drop since attach.
 */
static const struct {
	unsigned int drop;
	bool since_attach;
	const char *figure;
} lower_bound_rules[] = {
	{ BW_DROP_SLEEPERS_FULL, false, "waits" }, /* a wait not timed is not counted */
	{ BW_DROP_WAITS_FULL, false, "waits" },
	{ BW_DROP_SLEEPS_UNSEEN, false, "waits" },
	{ BW_DROPS_GO_PARKED_FULL, false, "waits" },
	{ BW_DROPS_GO_WAITS_FULL, false, "waits" },
	{ BW_DROPS_GO_READ_FAULT, false, "waits" },
	{ BW_DROP_SLEEPERS_FULL, false, "wait_ns" },
	{ BW_DROP_WAITS_FULL, false, "wait_ns" },
	{ BW_DROP_SLEEPS_UNSEEN, false, "wait_ns" },
	{ BW_DROPS_GO_PARKED_FULL, false, "wait_ns" },
	{ BW_DROPS_GO_WAITS_FULL, false, "wait_ns" },
	{ BW_DROPS_GO_READ_FAULT, false, "wait_ns" },
	{ BW_DROP_SLEEPERS_FULL, true, "waits_total" },
	{ BW_DROP_WAITS_FULL, true, "waits_total" },
	{ BW_DROP_SLEEPS_UNSEEN, true, "waits_total" },
	{ BW_DROPS_SITES_EVICTED, true, "waits_total" }, /* a returning site starts at 0 */
	{ BW_DROPS_GO_PARKED_FULL, true, "waits_total" },
	{ BW_DROPS_GO_WAITS_FULL, true, "waits_total" },
	{ BW_DROPS_GO_READ_FAULT, true, "waits_total" },
	{ BW_DROP_USTACK, false, "frames" }, /* waits counted at a stackless site */
	{ BW_DROPS_GO_STACKS_FULL, false, "frames" },
	{ BW_DROP_KSTACK, false, "kernel_frames" },
	{ BW_DROP_RINGBUF, true, "processes" }, /* a fork, exec or exit event lost */
};

static json_object *new_lower_bounds(const struct bw_drops *total, const struct bw_drops *delta)
{
	json_object *a = json_object_new_array();
	const char *last = NULL;

	for (size_t i = 0; a && i < sizeof(lower_bound_rules) / sizeof(lower_bound_rules[0]); i++) {
		const struct bw_drops *d = lower_bound_rules[i].since_attach ? total : delta;
		const char *figure = lower_bound_rules[i].figure;

		/* rules for one figure are adjacent: name it once */
		if (!d->count[lower_bound_rules[i].drop] || (last && !strcmp(last, figure)))
			continue;
		json_object_array_add(a, json_object_new_string(figure));
		last = figure;
	}
	return a;
}

static json_object *new_drops(const struct bw_drops *d)
{
	json_object *o = json_object_new_object();

	for (unsigned int i = 0; o && i < BW_DROPS__COUNT; i++)
		add_u64(o, bw_drops_name(i), d->count[i]);
	return o;
}

int bw_out_json__write_interval(struct bw_out_json *j, size_t nsites, const struct bw_drops *drops,
				bool final)
{
	json_object *o = new_record(j, "interval");
	struct bw_drops delta;

	if (!o)
		return -ENOMEM;
	bw_drops_delta(drops, &j->prev_drops, &delta);
	j->prev_drops = *drops;
	add_u64(o, "sites", nsites);
	json_object_object_add(o, "final", json_object_new_boolean(final));
	json_object_object_add(o, "drops", new_drops(drops));
	json_object_object_add(o, "drops_interval", new_drops(&delta));
	json_object_object_add(o, "lower_bounds", new_lower_bounds(drops, &delta));
	return emit(j, o);
}

int bw_out_json__flush(struct bw_out_json *j)
{
	if (fflush(j->f) == EOF)
		return -errno;
	return j->err;
}
