// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "drops.h"
#include "escape.h"
#include "hist.h"
#include "log.h"
#include "out_prom.h"
#include "trend.h"

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

/* One series of the site families: a site, or the "other" sum of a process. */
struct series {
	const struct bw_site *site;
	bool is_other;
	char *labels; /* escaped label pairs, without braces */
};

struct render {
	FILE *f;
	const struct bw_report *rep;
	const struct bw_prom_opts *opts;
	struct bw_site **sites; /* every active site, by blocked count */
	size_t nsites;
	struct bw_site **others; /* one per pid with unselected sites */
	size_t nothers;
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
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
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

static const char *comm_of(const struct bw_report *rep, pid_t pid)
{
	for (size_t i = 0; i < rep->nprocs; i++)
		if (rep->procs[i].pid == pid)
			return rep->procs[i].comm;
	return "";
}

/* pid, comm, kind, reason, function, file, line, site: the identity of a series. */
static char *series_labels(const struct bw_report *rep, const struct series *s)
{
	const struct bw_site *site = s->site;
	const struct bw_frame_name *fr = NULL;
	char num[24], fn[24], line[16] = "", id[20];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!s->is_other && site->nframes > 0)
		fr = &site->frames[site->focus < site->nframes ? site->focus : 0];
	snprintf(num, sizeof(num), "%d", (int)site->pid);
	snprintf(fn, sizeof(fn), "0x%" PRIx64, fr ? fr->addr : 0);
	if (fr && fr->line > 0)
		snprintf(line, sizeof(line), "%d", fr->line);
	snprintf(id, sizeof(id), "%016" PRIx64, site->id);
	put_label(f, true, "pid", num, sizeof(num));
	put_label(f, false, "comm", comm_of(rep, site->pid), BW_COMM_LEN);
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

static struct bw_site *other_of(struct render *r, pid_t pid)
{
	struct bw_site *o, **v;

	for (size_t i = 0; i < r->nothers; i++)
		if (r->others[i]->pid == pid)
			return r->others[i];
	v = realloc(r->others, (r->nothers + 1) * sizeof(*v));
	if (!v)
		return NULL;
	r->others = v;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->pid = pid;
	r->others[r->nothers++] = o;
	return o;
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

static int series_cmp(const void *a, const void *b)
{
	const struct series *x = a, *y = b;

	if (x->site->pid != y->site->pid)
		return x->site->pid < y->site->pid ? -1 : 1;
	if (x->is_other != y->is_other)
		return x->is_other ? 1 : -1;
	return x->site->id < y->site->id ? -1 : x->site->id > y->site->id;
}

/* The top_n sites, the leaks past them, and one "other" per process for the rest. */
static int choose_series(struct render *r)
{
	size_t extra_leaks = 0, n = 0;

	/* each "other" sums at least one site: never more series than sites */
	r->series = calloc(r->nsites + 1, sizeof(*r->series));
	if (!r->series)
		return -ENOMEM;
	for (size_t i = 0; i < r->nsites; i++) {
		struct bw_site *s = r->sites[i], *o;

		if (i < r->opts->top_n ||
		    (s->verdict == BW_VERDICT_LEAK && extra_leaks++ < BW_PROM_MAX_EXTRA_LEAKS)) {
			r->series[n++].site = s;
			continue;
		}
		o = other_of(r, s->pid);
		if (!o)
			return -ENOMEM;
		add_to_other(o, s);
	}
	for (size_t i = 0; i < r->nothers; i++) {
		r->series[n].site = r->others[i];
		r->series[n++].is_other = true;
	}
	r->nseries = n;
	qsort(r->series, n, sizeof(*r->series), series_cmp);
	for (size_t i = 0; i < n; i++) {
		r->series[i].labels = series_labels(r->rep, &r->series[i]);
		if (!r->series[i].labels)
			return -ENOMEM;
	}
	return 0;
}

static void render_release(struct render *r)
{
	for (size_t i = 0; i < r->nseries; i++)
		free(r->series[i].labels);
	for (size_t i = 0; i < r->nothers; i++)
		free(r->others[i]);
	free(r->series);
	free(r->others);
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

static double v_confidence(const struct bw_site *s)
{
	return s->confidence;
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
	{ "blockwatch_leak_confidence", "gauge", "Confidence of the site's verdict, 0 to 1.", true,
	  v_confidence },
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

static void proc_sample(struct render *r, const char *name, const struct bw_proc_summary *p,
			const char *state, uint64_t value)
{
	char labels[256], pid[16];
	size_t n;

	snprintf(pid, sizeof(pid), "%d", (int)p->pid);
	n = (size_t)snprintf(labels, sizeof(labels), "pid=\"%s\",comm=\"", pid);
	n += bw_escape_prom(labels + n, sizeof(labels) - n, p->comm, strnlen(p->comm, BW_COMM_LEN));
	if (n < sizeof(labels))
		snprintf(labels + n, sizeof(labels) - n, "\",state=\"%s\"", state);
	sample(r, name, labels, NULL, (double)value);
}

/* What is left of a total once its known parts are taken out (never negative). */
static uint64_t rest(uint64_t total, uint64_t parts)
{
	return total > parts ? total - parts : 0;
}

static void render_processes(struct render *r)
{
	const struct bw_report *rep = r->rep;

	family(r, "blockwatch_goroutines", "gauge", "Goroutines of a Go process, by state.");
	for (size_t i = 0; i < rep->nprocs; i++) {
		const struct bw_proc_summary *p = &rep->procs[i];
		uint64_t known = p->goroutines_waiting + p->goroutines_runnable +
				 p->goroutines_running + p->goroutines_syscall;

		if (!p->is_go)
			continue;
		proc_sample(r, "blockwatch_goroutines", p, "waiting", p->goroutines_waiting);
		proc_sample(r, "blockwatch_goroutines", p, "runnable", p->goroutines_runnable);
		proc_sample(r, "blockwatch_goroutines", p, "running", p->goroutines_running);
		proc_sample(r, "blockwatch_goroutines", p, "syscall", p->goroutines_syscall);
		proc_sample(r, "blockwatch_goroutines", p, "other", rest(p->goroutines, known));
	}
	family(r, "blockwatch_threads", "gauge", "Threads of a process, blocked or not.");
	for (size_t i = 0; i < rep->nprocs; i++) {
		const struct bw_proc_summary *p = &rep->procs[i];

		proc_sample(r, "blockwatch_threads", p, "blocked", p->threads_blocked);
		proc_sample(r, "blockwatch_threads", p, "other",
			    rest(p->threads, p->threads_blocked));
	}
}

/* Figures about blockwatch itself: sites, drops, its own cost and version. */
static void render_self(struct render *r)
{
	const struct bw_report *rep = r->rep;
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
	family(r, "blockwatch_dropped_events_total", "counter",
	       "Events the kernel side had to drop since attach, by kind: figures are lower "
	       "bounds when these rise.");
	for (unsigned int k = 0; k < BW_DROP_KINDS; k++) {
		snprintf(extra, sizeof(extra), "kind=\"%s\"", bw_drops_name(k));
		sample(r, "blockwatch_dropped_events_total", NULL, extra, (double)rep->drops[k]);
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

/* ---- the listen address ---- */

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int parse_host(const char *host, bool v6, uint16_t port, struct sockaddr_storage *addr,
		      socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;

	memset(addr, 0, sizeof(*addr));
	if (v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons(port);
	*len = sizeof(*in4);
	if (!*host) /* ":PORT": every address, because the user said so */
		in4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (!strcmp(host, "localhost"))
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

int bw_prom_parse_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *len)
{
	char buf[128], *host = buf, *port;
	bool v6 = false;
	uint16_t p;

	if (!listen || !*listen)
		listen = BW_PROM_DEFAULT_LISTEN;
	if (strlen(listen) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, listen);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		host = buf + 1;
		port = close + 2;
		v6 = true;
	} else if ((port = strrchr(buf, ':'))) {
		*port++ = '\0';
	} else {
		port = buf; /* "PORT" alone: the loopback address */
		host = "127.0.0.1";
	}
	if (parse_port(port, &p))
		return -EINVAL;
	return parse_host(host, v6, p, addr, len);
}

/* ---- the HTTP server ---- */

struct exposition {
	char *text;
	size_t len;
};

struct bw_out_prom {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	struct exposition latest[2]; /* by enum bw_prom_format */
	size_t top_n;
	uint16_t port;
	bool started; /* libmicrohttpd's messages: warnings until up, then debug only */
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct bw_out_prom *p = cls;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (__atomic_load_n(&p->started, __ATOMIC_ACQUIRE))
		bw_dbg("metrics endpoint: %s", msg); /* a hostile client must not flood the log */
	else
		bw_warn("metrics endpoint: %s", msg);
}

static enum MHD_Result reply_static(struct MHD_Connection *c, unsigned int status, const char *body)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
								    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Content negotiation as scrapers do it: OpenMetrics when listed, else the text format. */
static enum bw_prom_format wanted_format(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");

	return accept && strstr(accept, "application/openmetrics-text") ? BW_PROM_OPENMETRICS
									: BW_PROM_TEXT;
}

static enum MHD_Result reply_metrics(struct bw_out_prom *p, struct MHD_Connection *c)
{
	enum bw_prom_format fmt = wanted_format(c);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *copy;
	size_t len;

	/* a copy: the next update may free the text while this reply is being sent */
	pthread_mutex_lock(&p->lock);
	len = p->latest[fmt].len;
	copy = malloc(len ? len : 1);
	if (copy)
		memcpy(copy, p->latest[fmt].text, len);
	pthread_mutex_unlock(&p->lock);
	if (!copy)
		return reply_static(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
	resp = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, bw_prom_content_type(fmt));
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * Every request is answered on its first call, before any body: nothing
 * here reads a body, and libmicrohttpd discards what a client still sends.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_static(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/metrics"))
		return reply_static(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	return reply_metrics(cls, c);
}

/* Render both formats, then swap them in. */
static int publish(struct bw_out_prom *p, const struct bw_report *rep)
{
	struct exposition next[2] = { { 0 } }, old[2];
	struct bw_prom_opts opts = { .top_n = p->top_n,
				     .report_duration_s = bw_prom_report_duration(rep) };
	int err = 0;

	for (int fmt = 0; fmt < 2 && !err; fmt++) {
		FILE *f = open_memstream(&next[fmt].text, &next[fmt].len);

		if (!f) {
			err = -ENOMEM;
			break;
		}
		opts.format = (enum bw_prom_format)fmt;
		err = bw_prom_render(f, rep, &opts);
		if (fclose(f) && !err)
			err = -ENOMEM;
	}
	if (err) {
		free(next[0].text);
		free(next[1].text);
		return err;
	}
	pthread_mutex_lock(&p->lock);
	memcpy(old, p->latest, sizeof(old));
	memcpy(p->latest, next, sizeof(next));
	pthread_mutex_unlock(&p->lock);
	free(old[0].text);
	free(old[1].text);
	return 0;
}

int bw_out_prom__update(struct bw_out_prom *p, const struct bw_report *rep)
{
	int err = publish(p, rep);

	if (err)
		bw_warn("failed to render the metrics exposition: %s", strerror(-err));
	return err;
}

static struct MHD_Daemon *start_daemon(struct bw_out_prom *p, const struct sockaddr_storage *addr)
{
	unsigned int flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * Bounds so that a client cannot hurt us: a few connections (a scraper
	 * needs one; past the limit they wait in a short backlog), a small
	 * per-connection memory pool that also bounds the request line and
	 * headers (larger ones are dropped), and idle or half-sent requests
	 * closed after 10 s. Memory stays under limit x pool.
	 */
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, p, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, p, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)32, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)32 * 1024, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)32, MHD_OPTION_END);
}

struct bw_out_prom *bw_out_prom__new(const char *listen, size_t top_n)
{
	struct bw_report empty = { 0 };
	struct sockaddr_storage addr;
	struct bw_out_prom *p;
	const union MHD_DaemonInfo *info;
	socklen_t len;
	int err;

	if (bw_prom_parse_listen(listen, &addr, &len)) {
		bw_err("failed to parse the metrics address '%s': expected HOST:PORT, [V6]:PORT, "
		       ":PORT or PORT",
		       listen);
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->top_n = top_n;
	pthread_mutex_init(&p->lock, NULL);
	err = publish(p, &empty); /* scrapes before the first report get the build info */
	if (!err) {
		p->daemon = start_daemon(p, &addr);
		if (!p->daemon) {
			err = -EADDRNOTAVAIL;
			bw_err("failed to serve metrics on '%s': cannot listen there",
			       listen ? listen : BW_PROM_DEFAULT_LISTEN);
		}
	}
	if (err) {
		bw_out_prom__free(p);
		errno = -err;
		return NULL;
	}
	info = MHD_get_daemon_info(p->daemon, MHD_DAEMON_INFO_BIND_PORT);
	p->port = info ? info->port : 0;
	__atomic_store_n(&p->started, true, __ATOMIC_RELEASE);
	bw_info("serving metrics on http://%s/metrics (port %u)",
		listen && *listen ? listen : BW_PROM_DEFAULT_LISTEN, p->port);
	return p;
}

uint16_t bw_out_prom__port(const struct bw_out_prom *p)
{
	return p->port;
}

void bw_out_prom__free(struct bw_out_prom *p)
{
	if (!p)
		return;
	if (p->daemon)
		MHD_stop_daemon(p->daemon);
	free(p->latest[0].text);
	free(p->latest[1].text);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
