// SPDX-License-Identifier: BSD-2-Clause
/*
 * The Prometheus exposition of reports built by the real aggregator, read
 * back with a strict parser of the text format: names, HELP/TYPE, label
 * escaping of hostile names, cumulative histograms, the cardinality bound,
 * ordering, OpenMetrics, promtool's verdict, and the HTTP endpoint itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "drops.h"
#include "escape.h"
#include "fixture_sites.h"
#include "out_prom.h"
#include "trend.h"

#define UNUSED __attribute__((unused))
#define MAX_LABELS 12

/* ---- a strict reader of the text format ---- */

struct label {
	char name[64];
	char value[512];
};

struct sample {
	char name[128];
	struct label labels[MAX_LABELS];
	int nlabels;
	double value;
};

/* A label value between quotes; only \\, \" and \n may be escaped. */
static const char *parse_value(const char *p, char *out, size_t size)
{
	size_t n = 0;

	for (; *p && *p != '"'; p++) {
		char c = *p;

		if (c == '\n' || (unsigned char)c < 0x20)
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'n')
				c = '\n';
			else if (*p == '\\' || *p == '"')
				c = *p;
			else
				return NULL;
		}
		if (n + 1 >= size)
			return NULL;
		out[n++] = c;
	}
	out[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

static const char *parse_name(const char *p, char *out, size_t size)
{
	size_t n = 0;

	if (!name_char(*p, true))
		return NULL;
	while (name_char(*p, n == 0) && n + 1 < size)
		out[n++] = *p++;
	out[n] = '\0';
	return p;
}

static bool parse_sample(const char *line, struct sample *s)
{
	const char *p = parse_name(line, s->name, sizeof(s->name));
	char *end;

	s->nlabels = 0;
	if (!p)
		return false;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			struct label *l = &s->labels[s->nlabels];

			if (s->nlabels == MAX_LABELS)
				return false;
			p = parse_name(p, l->name, sizeof(l->name));
			if (!p || p[0] != '=' || p[1] != '"')
				return false;
			p = parse_value(p + 2, l->value, sizeof(l->value));
			if (!p)
				return false;
			s->nlabels++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return false;
		}
		p++;
	}
	if (*p++ != ' ')
		return false;
	if (!strcmp(p, "+Inf") || !strcmp(p, "NaN")) {
		s->value = !strcmp(p, "NaN") ? NAN : INFINITY;
		return true;
	}
	s->value = strtod(p, &end);
	return end != p && *end == '\0';
}

static const char *label(const struct sample *s, const char *name)
{
	for (int i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].name, name))
			return s->labels[i].value;
	return NULL;
}

/* Every line of text, each a sample or a comment; the whole is valid UTF-8. */
static size_t parse_all(const char *text, struct sample **out)
{
	size_t n = 0, cap = 64, len = strlen(text);
	struct sample *v = malloc(cap * sizeof(*v));
	char *copy = strdup(text), *line, *save = NULL;

	assert_non_null(v);
	assert_non_null(copy);
	for (size_t i = 0; i < len;) {
		unsigned int cp;
		size_t k = bw_utf8_decode((const unsigned char *)text + i, len - i, &cp);

		if (!k)
			fail_msg("invalid UTF-8 at byte %zu", i);
		if (cp < 0x20 && cp != '\n')
			fail_msg("control byte 0x%02x at %zu", cp, i);
		i += k;
	}
	assert_true(len > 0 && text[len - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		if (!parse_sample(line, &v[n]))
			fail_msg("not a sample line: '%s'", line);
		n++;
	}
	free(copy);
	*out = v;
	return n;
}

/* The value of the only sample named name with the given labels: key, value, ..., NULL. */
static double value_of(const struct sample *v, size_t n, const char *name, ...)
{
	const struct sample *found = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *key, *want, *got;
		bool match = !strcmp(v[i].name, name);
		va_list ap;

		va_start(ap, name);
		while (match && (key = va_arg(ap, const char *))) {
			want = va_arg(ap, const char *);
			got = label(&v[i], key);
			match = got && !strcmp(got, want);
		}
		va_end(ap);
		if (!match)
			continue;
		if (found)
			fail_msg("two samples of %s match", name);
		found = &v[i];
	}
	if (!found)
		fail_msg("no sample of %s matches", name);
	return found->value;
}

static size_t count_of(const struct sample *v, size_t n, const char *name)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += !strcmp(v[i].name, name);
	return c;
}

/* ---- rendering ---- */

static char *render(const struct bw_report *rep, size_t top_n, enum bw_prom_format fmt)
{
	struct bw_prom_opts opts = { .top_n = top_n, .format = fmt };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(bw_prom_render(f, rep, &opts), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static struct bw_site *site_with(struct bw_agg *agg, const char *function)
{
	struct bw_site **sites, *found = NULL;
	size_t n;

	assert_int_equal(bw_agg__sites(agg, BW_SORT_BLOCKED, &sites, &n), 0);
	for (size_t i = 0; i < n && !found; i++)
		for (int k = 0; k < sites[i]->nframes; k++)
			if (sites[i]->frames[k].function &&
			    !strcmp(sites[i]->frames[k].function, function))
				found = sites[i];
	free(sites);
	assert_non_null(found);
	return found;
}

static void common_report(struct bw_report *rep, struct bw_agg *agg)
{
	struct bw_proc_summary *p = &fx_procs[0];

	memset(rep, 0, sizeof(*rep));
	memset(fx_procs, 0, sizeof(fx_procs));
	rep->procs = fx_procs;
	rep->agg = agg;
	rep->now_ns = 12 * FX_NS;
	rep->interval_s = 2;
	rep->nprocs = 1;
	p->pid = 100;
	strcpy(p->comm, "app");
	p->is_go = true;
	p->threads = 6;
	p->threads_blocked = 5;
	p->goroutines = 9;
	p->goroutines_waiting = 3;
	p->goroutines_runnable = 1;
	p->goroutines_running = 2;
	rep->drops[BW_DROP_RINGBUF] = 7;
	rep->drops[BW_DROP_USTACK] = 3;
	rep->sites_evicted = 4;
}

static const char *const site_metric_names[] = {
	"blockwatch_blocked",	      "blockwatch_oldest_wait_seconds",
	"blockwatch_waits_total",     "blockwatch_leak",
	"blockwatch_verdict",	      "blockwatch_growth_per_minute",
	"blockwatch_leak_confidence", "blockwatch_growth_duration_seconds",
};

/* Each family: one HELP, then its TYPE, before its first sample. */
static void assert_family(const char *text, const char *family, const char *type)
{
	char help[160], typeline[160], *all = NULL;
	const char *h, *t;

	/* a newline before the text: the first family starts a line too */
	assert_true(asprintf(&all, "\n%s", text) > 0);
	snprintf(help, sizeof(help), "\n# HELP %s ", family);
	snprintf(typeline, sizeof(typeline), "\n# TYPE %s %s\n", family, type);
	h = strstr(all, help);
	if (!h)
		fail_msg("no HELP for %s", family);
	assert_null(strstr(h + 1, help));
	t = strstr(all, typeline);
	if (!t || t < h)
		fail_msg("no TYPE %s after the HELP of %s", type, family);
	assert_true(memchr(h + 1, '\n', (size_t)(t - h)) == t);
	free(all);
}

static void test_out_prom__names_help_type(void **state UNUSED)
{
	struct bw_agg *agg = fx_common_scene();
	struct bw_site *g = site_with(agg, "main.worker");
	struct bw_report rep;
	struct sample *v;
	char *text;
	size_t n;

	g->verdict = BW_VERDICT_LEAK;
	g->growth_per_min = 1.5;
	g->confidence = 0.999;
	g->growing_for_s = 90;
	common_report(&rep, agg);
	text = render(&rep, 50, BW_PROM_TEXT);
	n = parse_all(text, &v);
	for (size_t i = 0; i < sizeof(site_metric_names) / sizeof(site_metric_names[0]); i++)
		assert_family(text, site_metric_names[i],
			      strstr(site_metric_names[i], "_total") ? "counter" : "gauge");
	assert_family(text, "blockwatch_wait_seconds", "histogram");
	assert_family(text, "blockwatch_goroutines", "gauge");
	assert_family(text, "blockwatch_threads", "gauge");
	assert_family(text, "blockwatch_dropped_events_total", "counter");
	assert_family(text, "blockwatch_sites_evicted_total", "counter");
	assert_family(text, "blockwatch_build_info", "gauge");
	/* the goroutine site, labelled by its focus frame */
	assert_true(value_of(v, n, "blockwatch_blocked", "function", "main.worker", NULL) == 3);
	for (size_t i = 0; i < n; i++) {
		const char *fn = label(&v[i], "function");

		if (strcmp(v[i].name, "blockwatch_blocked") || !fn || strcmp(fn, "main.worker"))
			continue;
		assert_string_equal(label(&v[i], "pid"), "100");
		assert_string_equal(label(&v[i], "comm"), "app");
		assert_string_equal(label(&v[i], "container"), ""); /* not in a container */
		assert_string_equal(label(&v[i], "kind"), "goroutine");
		assert_string_equal(label(&v[i], "reason"), "chan receive");
		assert_string_equal(label(&v[i], "file"), "/src/app/main.go");
		assert_string_equal(label(&v[i], "line"), "42");
		assert_int_equal(strlen(label(&v[i], "site")), 16);
		assert_int_equal(v[i].nlabels, 9);
	}
	assert_true(value_of(v, n, "blockwatch_oldest_wait_seconds", "function", "main.worker",
			     NULL) == 2);
	assert_true(value_of(v, n, "blockwatch_leak", "function", "main.worker", NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_verdict", "verdict", "leak", NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_verdict", "verdict", "ok", NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_growth_per_minute", "function", "main.worker",
			     NULL) == 1.5);
	assert_true(value_of(v, n, "blockwatch_leak_confidence", "function", "main.worker", NULL) ==
		    0.999);
	assert_true(value_of(v, n, "blockwatch_growth_duration_seconds", "function", "main.worker",
			     NULL) == 90);
	/* the thread site: started at 1 s, seen at 12 s; 10 waits completed */
	assert_true(value_of(v, n, "blockwatch_oldest_wait_seconds", "kind", "futex", NULL) == 11);
	assert_true(value_of(v, n, "blockwatch_waits_total", "kind", "futex", NULL) == 10);
	assert_true(value_of(v, n, "blockwatch_waits_total", "kind", "goroutine", NULL) == 0);
	assert_true(value_of(v, n, "blockwatch_goroutines", "state", "waiting", NULL) == 3);
	assert_true(value_of(v, n, "blockwatch_goroutines", "state", "running", NULL) == 2);
	assert_true(value_of(v, n, "blockwatch_goroutines", "state", "other", NULL) == 3);
	assert_true(value_of(v, n, "blockwatch_threads", "state", "blocked", NULL) == 5);
	assert_true(value_of(v, n, "blockwatch_threads", "state", "other", NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_dropped_events_total", "kind", "ringbuf", NULL) ==
		    7);
	assert_true(value_of(v, n, "blockwatch_dropped_events_total", "kind", "ustack", NULL) == 3);
	/* every kind but sites_evicted (a family of its own), detail mode's included */
	assert_int_equal(count_of(v, n, "blockwatch_dropped_events_total"), BW_DROPS__COUNT - 1);
	assert_true(value_of(v, n, "blockwatch_dropped_events_total", "kind", "go_parked_full",
			     NULL) == 0);
	/* not in detail mode: no probe series */
	assert_family(text, "blockwatch_go_probe_events_total", "counter");
	assert_int_equal(count_of(v, n, "blockwatch_go_probe_events_total"), 0);
	assert_true(value_of(v, n, "blockwatch_sites_evicted_total", NULL) == 4);
	assert_true(value_of(v, n, "blockwatch_sites", NULL) == 2);
	assert_true(value_of(v, n, "blockwatch_leak_sites", NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_build_info", "version", BW_VERSION, NULL) == 1);
	/* not measured: left out rather than written as 0 */
	assert_int_equal(count_of(v, n, "blockwatch_report_duration_seconds"), 0);
	/* everything fits in the top 50: no "other" */
	assert_int_equal(count_of(v, n, "blockwatch_blocked"), 2);
	free(v);
	free(text);
	bw_agg__free(agg);
}

static void test_out_prom__hostile_labels(void **state UNUSED)
{
	/* ESC, C1 and bad bytes become U+FFFD; quote, backslash and newline are escaped */
	static const char want_fn[] = "main.evil\xef\xbf\xbd[2J\n\"x\\;y z\xef\xbf\xbd\xef\xbf\xbd";
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep;
	struct sample *v;
	char *text;
	size_t n;

	common_report(&rep, agg);
	memcpy(fx_procs[0].comm,
	       "ev\x1b\"il\n\\\xff"
	       "abcdefg",
	       BW_COMM_LEN); /* no NUL */
	text = render(&rep, 50, BW_PROM_TEXT);
	n = parse_all(text, &v);
	assert_null(strchr(text, 0x1b));
	assert_non_null(strstr(text, "function=\"main.evil\xef\xbf\xbd[2J\\n\\\"x\\\\;y z"));
	assert_true(value_of(v, n, "blockwatch_blocked", "function", want_fn, NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_blocked", "file", "/src/evil\"\\\n.c", NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_threads", "comm",
			     "ev\xef\xbf\xbd\"il\n\\\xef\xbf\xbd"
			     "abcdefg",
			     "state", "blocked", NULL) == 5);
	free(v);
	free(text);
	bw_agg__free(agg);
}

static void test_out_prom__histogram_cumulative(void **state UNUSED)
{
	/* 1 wait in slot 5, 10 in slot 11, 2 in slot 20, 1 in the open last slot */
	static const unsigned int slots[] = { 5, 11, 20, BW_HIST_SLOTS - 1 };
	static const uint64_t counts[] = { 1, 10, 2, 1 };
	struct bw_agg *agg = fx_new_agg();
	struct bw_report rep;
	struct sample *v;
	double prev = -1;
	size_t n, buckets = 0;
	char *text;

	bw_agg__begin(agg, FX_NS);
	assert_int_equal(fx_completed(agg, 100, BW_KIND_FUTEX, "futex_wait", fx_go_stack, 3, slots,
				      counts, 4, 5 * FX_NS),
			 0);
	bw_agg__end(agg);
	common_report(&rep, agg);
	text = render(&rep, 50, BW_PROM_TEXT);
	n = parse_all(text, &v);
	for (size_t i = 0; i < n; i++) {
		const char *le = label(&v[i], "le");

		if (strcmp(v[i].name, "blockwatch_wait_seconds_bucket"))
			continue;
		assert_non_null(le);
		assert_true(v[i].value >= prev); /* cumulative */
		prev = v[i].value;
		buckets++;
		if (strcmp(le, "+Inf"))
			assert_true(strtod(le, NULL) ==
				    ldexp(1, 10 + 2 * (int)(buckets - 1)) / 1e9);
	}
	assert_int_equal(buckets, 20); /* 2^10 .. 2^46 ns by fours, then +Inf */
	assert_true(value_of(v, n, "blockwatch_wait_seconds_bucket", "le", "1.024e-06", NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_wait_seconds_bucket", "le", "4.096e-06", NULL) ==
		    11);
	/* slot 20 holds [2^20, 2^21) ns: below 2^22 but not below 2^20 */
	assert_true(value_of(v, n, "blockwatch_wait_seconds_bucket", "le", "0.001048576", NULL) ==
		    11);
	assert_true(value_of(v, n, "blockwatch_wait_seconds_bucket", "le", "0.004194304", NULL) ==
		    13);
	assert_true(value_of(v, n, "blockwatch_wait_seconds_bucket", "le", "70368.744177664",
			     NULL) == 13);
	assert_true(value_of(v, n, "blockwatch_wait_seconds_bucket", "le", "+Inf", NULL) == 14);
	assert_true(value_of(v, n, "blockwatch_wait_seconds_count", NULL) == 14);
	assert_true(value_of(v, n, "blockwatch_wait_seconds_sum", NULL) == 5);
	free(v);
	free(text);
	bw_agg__free(agg);
}

/* pid 300: 20 sites, site i with i + 1 goroutines blocked at main.gen<i>. */
static struct bw_agg *many_sites(void)
{
	struct bw_agg *agg = fx_new_agg();

	assert_non_null(agg);
	bw_agg__begin(agg, FX_NS);
	for (unsigned int i = 0; i < 20; i++) {
		uint64_t frame = fx_gen_frame(i);

		assert_int_equal(fx_waiters(agg, 300, BW_KIND_GOROUTINE, "select", &frame, 1, i + 1,
					    1000 * (i + 1)),
				 0);
	}
	fx_waiters(agg, 100, BW_KIND_GOROUTINE, "chan receive", fx_go_stack, 3, 2, 1);
	bw_agg__end(agg);
	return agg;
}

static void test_out_prom__cardinality_other(void **state UNUSED)
{
	struct bw_agg *agg = many_sites();
	struct bw_report rep;
	struct sample *v;
	char *text;
	size_t n;

	common_report(&rep, agg);
	/* the smallest site leaks: its series stays although it is last by count */
	site_with(agg, "main.gen0")->verdict = BW_VERDICT_LEAK;
	text = render(&rep, 5, BW_PROM_TEXT);
	n = parse_all(text, &v);
	/* top 5 (20..16 blocked), the leak, one "other" for pid 300 (2..15) and for pid 100 */
	assert_int_equal(count_of(v, n, "blockwatch_blocked"), 8);
	assert_true(value_of(v, n, "blockwatch_blocked", "function", "main.gen19", NULL) == 20);
	assert_true(value_of(v, n, "blockwatch_blocked", "function", "main.gen15", NULL) == 16);
	assert_true(value_of(v, n, "blockwatch_blocked", "function", "main.gen0", NULL) == 1);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, "blockwatch_blocked") && label(&v[i], "function"))
			assert_true(strcmp(label(&v[i], "function"), "main.gen14"));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, "blockwatch_blocked") ||
		    strcmp(label(&v[i], "site"), "other"))
			continue;
		if (!strcmp(label(&v[i], "pid"), "300"))
			assert_true(v[i].value == 119); /* 2 + 3 + ... + 15 */
		else
			assert_true(v[i].value == 2);
		assert_string_equal(label(&v[i], "function"), "");
	}
	/* no verdict is claimed for a sum */
	assert_int_equal(count_of(v, n, "blockwatch_leak"), 6);
	assert_int_equal(count_of(v, n, "blockwatch_verdict"), 6);
	assert_true(value_of(v, n, "blockwatch_leak_sites", NULL) == 1);
	assert_true(value_of(v, n, "blockwatch_sites", NULL) == 21);
	free(v);
	free(text);
	/* top 0: the leak alone keeps a series */
	text = render(&rep, 0, BW_PROM_TEXT);
	n = parse_all(text, &v);
	assert_int_equal(count_of(v, n, "blockwatch_blocked"), 3);
	free(v);
	free(text);
	bw_agg__free(agg);
}

static void test_out_prom__stable_order(void **state UNUSED)
{
	struct bw_agg *agg = many_sites();
	struct bw_report rep;
	struct sample *v;
	char *a, *b, last_site[32] = "";
	long last_pid = -1;
	size_t n;

	common_report(&rep, agg);
	a = render(&rep, 8, BW_PROM_TEXT);
	b = render(&rep, 8, BW_PROM_TEXT);
	assert_string_equal(a, b);
	n = parse_all(a, &v);
	/* by pid, then site id, "other" last */
	for (size_t i = 0; i < n; i++) {
		long pid;
		const char *site;

		if (strcmp(v[i].name, "blockwatch_blocked"))
			continue;
		/* the sum over processes without series (pid="") would come last */
		pid = *label(&v[i], "pid") ? strtol(label(&v[i], "pid"), NULL, 10) : LONG_MAX;
		site = label(&v[i], "site");
		assert_true(pid >= last_pid);
		if (pid == last_pid) {
			assert_string_not_equal(last_site, "other");
			if (strcmp(site, "other"))
				assert_true(strcmp(site, last_site) > 0);
		}
		last_pid = pid;
		snprintf(last_site, sizeof(last_site), "%s", site);
	}
	assert_string_equal(last_site, "other");
	free(v);
	free(a);
	free(b);
	bw_agg__free(agg);
}

/*
 * System-wide: 10 processes (pids 1000..1009), process i with i + 1 threads
 * blocked at one site. With top 3, only the 3 busiest get series; the
 * sites of the other 7 are summed into one with pid="".
 */
static void test_out_prom__many_processes(void **state UNUSED)
{
	struct bw_agg *agg = fx_new_agg();
	struct bw_report rep;
	struct sample *v;
	size_t n, others = 0;
	char *text;

	bw_agg__begin(agg, FX_NS);
	for (unsigned int i = 0; i < 10; i++) {
		uint64_t frame = fx_gen_frame(i);

		assert_int_equal(fx_waiters(agg, 1000 + (pid_t)i, BW_KIND_FUTEX, "futex_wait",
					    &frame, 1, i + 1, 1),
				 0);
	}
	bw_agg__end(agg);
	common_report(&rep, agg);
	rep.nprocs = 10;
	for (unsigned int i = 0; i < 10; i++) {
		memset(&fx_procs[i], 0, sizeof(fx_procs[i]));
		fx_procs[i].pid = 1000 + (pid_t)i;
		snprintf(fx_procs[i].comm, sizeof(fx_procs[i].comm), "proc%u", i);
		fx_procs[i].threads = 20;
		fx_procs[i].threads_blocked = i + 1;
		fx_procs[i].go_detail = true;
		fx_procs[i].go_probes[BW_GO_PARKS] = 100 + i;
	}
	text = render(&rep, 3, BW_PROM_TEXT);
	n = parse_all(text, &v);
	assert_int_equal(count_of(v, n, "blockwatch_blocked"), 4);
	assert_true(value_of(v, n, "blockwatch_blocked", "comm", "proc9", NULL) == 10);
	assert_true(value_of(v, n, "blockwatch_blocked", "comm", "proc7", NULL) == 8);
	assert_true(value_of(v, n, "blockwatch_blocked", "pid", "", NULL) == 28); /* 1 + .. + 7 */
	for (size_t i = 0; i < n; i++)
		others += !strcmp(v[i].name, "blockwatch_blocked") &&
			  !strcmp(label(&v[i], "site"), "other");
	assert_int_equal(others, 1);
	/* per-process series for the three busiest only; the count of all stays known */
	assert_int_equal(count_of(v, n, "blockwatch_threads"), 6);
	assert_true(value_of(v, n, "blockwatch_threads", "pid", "1008", "state", "blocked", NULL) ==
		    9);
	assert_true(value_of(v, n, "blockwatch_processes", NULL) == 10);
	/* the detail probes' counters too: three processes, every counter */
	assert_int_equal(count_of(v, n, "blockwatch_go_probe_events_total"), 3 * BW_GO_COUNTERS);
	assert_true(value_of(v, n, "blockwatch_go_probe_events_total", "pid", "1008", "event",
			     "parks", NULL) == 108);
	/* the sum comes last */
	assert_non_null(strstr(strstr(text, "pid=\"1009\""), "pid=\"\""));
	free(v);
	free(text);
	bw_agg__free(agg);
}

/* Detail mode: the process's probe counters, and their drops among everyone's. */
static void test_out_prom__go_probes(void **state UNUSED)
{
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep;
	struct sample *v;
	char *text;
	size_t n;

	common_report(&rep, agg);
	fx_procs[0].go_detail = true;
	for (unsigned int i = 0; i < BW_GO_COUNTERS; i++)
		fx_procs[0].go_probes[i] = 10 + i;
	/* the totals count every binary once: not the process's figures */
	rep.go_probes[BW_GO_PARKED_FULL] = 5;
	rep.go_probes[BW_GO_WAITS_FULL] = 6;
	rep.go_probes[BW_GO_STACKS_FULL] = 7;
	rep.go_probes[BW_GO_READ_FAULT] = 8;
	rep.go_probes[BW_GO_PARKS] = 1000; /* an event, not a drop */
	text = render(&rep, 50, BW_PROM_OPENMETRICS);
	n = parse_all(text, &v);
	assert_non_null(strstr(text, "# TYPE blockwatch_go_probe_events counter\n"));
	assert_int_equal(count_of(v, n, "blockwatch_go_probe_events_total"), BW_GO_COUNTERS);
	assert_true(value_of(v, n, "blockwatch_go_probe_events_total", "pid", "100", "comm", "app",
			     "container", "", "event", "parks", NULL) == 10);
	assert_true(value_of(v, n, "blockwatch_go_probe_events_total", "event", "sampled_out",
			     NULL) == 17);
	assert_true(value_of(v, n, "blockwatch_dropped_events_total", "kind", "go_parked_full",
			     NULL) == 5);
	assert_true(value_of(v, n, "blockwatch_dropped_events_total", "kind", "go_waits_full",
			     NULL) == 6);
	assert_true(value_of(v, n, "blockwatch_dropped_events_total", "kind", "go_stacks_full",
			     NULL) == 7);
	assert_true(value_of(v, n, "blockwatch_dropped_events_total", "kind", "go_read_fault",
			     NULL) == 8);
	assert_true(value_of(v, n, "blockwatch_dropped_events_total", "kind", "ringbuf", NULL) ==
		    7);
	free(v);
	free(text);
	bw_agg__free(agg);
}

static void test_out_prom__openmetrics(void **state UNUSED)
{
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep;
	struct sample *v;
	char *om, *text;
	size_t len, n;

	common_report(&rep, agg);
	om = render(&rep, 50, BW_PROM_OPENMETRICS);
	text = render(&rep, 50, BW_PROM_TEXT);
	len = strlen(om);
	assert_true(len > 6 && !strcmp(om + len - 6, "# EOF\n"));
	assert_null(strstr(text, "# EOF"));
	/* counter and info families are named without their suffix, samples keep it */
	assert_non_null(strstr(om, "\n# TYPE blockwatch_waits counter\n"));
	assert_non_null(strstr(om, "\n# TYPE blockwatch_dropped_events counter\n"));
	assert_non_null(strstr(om, "\n# TYPE blockwatch_build info\n"));
	assert_non_null(strstr(text, "\n# TYPE blockwatch_waits_total counter\n"));
	assert_non_null(strstr(text, "\n# TYPE blockwatch_build_info gauge\n"));
	n = parse_all(om, &v);
	assert_true(count_of(v, n, "blockwatch_waits_total") == 2);
	assert_true(value_of(v, n, "blockwatch_build_info", NULL) == 1);
	free(v);
	free(om);
	free(text);
	bw_agg__free(agg);
}

/* Run argv with stdin from path; returns its exit status, its output in out. */
static int run_with_stdin(char *const argv[], const char *path, char *out, size_t size)
{
	int pipefd[2], status = -1;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *in = freopen(path, "r", stdin);

		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		if (in)
			execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (got + 1 < size && (r = read(pipefd[0], out + got, size - got - 1)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[512], *copy, *dir, *save = NULL;
	bool found = false;

	copy = strdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", dir, prog);
		found = access(buf, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* Prometheus' own linter accepts the text exposition, hostile names and all. */
static void test_out_prom__promtool_check(void **state UNUSED)
{
	char *const argv[] = { "promtool", "check", "metrics", NULL };
	char path[] = "/tmp/bw_prom_XXXXXX", out[4096];
	struct bw_agg *agg = many_sites();
	struct bw_report rep;
	char *text;
	FILE *f;
	int fd;

	if (!in_path("promtool"))
		skip();
	common_report(&rep, agg);
	text = render(&rep, 5, BW_PROM_TEXT);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	if (run_with_stdin(argv, path, out, sizeof(out)) != 0)
		fail_msg("promtool check metrics: %s", out);
	unlink(path);
	free(text);
	bw_agg__free(agg);
	/* the common scene too: hostile label values */
	agg = fx_common_scene();
	common_report(&rep, agg);
	text = render(&rep, 50, BW_PROM_TEXT);
	fd = mkstemp(strcpy(path, "/tmp/bw_prom_XXXXXX"));
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	if (run_with_stdin(argv, path, out, sizeof(out)) != 0)
		fail_msg("promtool check metrics: %s", out);
	unlink(path);
	free(text);
	bw_agg__free(agg);
}

static void test_out_prom__parse_listen(void **state UNUSED)
{
	static const struct {
		const char *in;
		int family;
		const char *addr;
		int port;
	} ok[] = {
		{ "127.0.0.1:9464", AF_INET, "127.0.0.1", 9464 },
		{ "9464", AF_INET, "127.0.0.1", 9464 },
		{ ":9464", AF_INET, "0.0.0.0", 9464 },
		{ "localhost:80", AF_INET, "127.0.0.1", 80 },
		{ "10.1.2.3:0", AF_INET, "10.1.2.3", 0 },
		{ "[::1]:9464", AF_INET6, "::1", 9464 },
		{ "[::]:1", AF_INET6, "::", 1 },
		{ "", AF_INET, "127.0.0.1", 9464 },
		{ NULL, AF_INET, "127.0.0.1", 9464 },
	};
	static const char *const bad[] = { "1.2.3.4",	    "1.2.3.4:",	  "host:9464",
					   "1.2.3.4:65536", "[::1]9464",  "::1:9464",
					   "[::1]:",	    "1.2.3.4:-1", "1.2.3.4:9x",
					   "[1.2.3.4]:80",  ":",	  "a:b" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sockaddr_storage ss;
		char text[64];
		socklen_t len;
		int port;

		assert_int_equal(bw_prom_parse_listen(ok[i].in, &ss, &len), 0);
		assert_int_equal(ss.ss_family, ok[i].family);
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
			port = ntohs(in->sin_port);
			assert_int_equal(len, sizeof(*in));
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
			port = ntohs(in6->sin6_port);
			assert_int_equal(len, sizeof(*in6));
		}
		assert_string_equal(text, ok[i].addr);
		assert_int_equal(port, ok[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (bw_prom_parse_listen(bad[i], &ss, &len) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	}
}

/* ---- the HTTP endpoint ---- */

/* Send req (len bytes) to 127.0.0.1:port and read the answer until EOF or 5 s. */
static size_t http(uint16_t port, const char *req, size_t len, char *out, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t got = 0, sent = 0;
	ssize_t r;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* the server may answer and close before all is sent: that is fine */
	while (sent < len && (r = send(fd, req + sent, len - sent, MSG_NOSIGNAL)) > 0)
		sent += (size_t)r;
	while (got + 1 < size && (r = recv(fd, out + got, size - got - 1, 0)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fd);
	return got;
}

static size_t get(uint16_t port, const char *method, const char *path, const char *accept,
		  char *out, size_t size)
{
	char req[512];
	int len = snprintf(
		req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\n%s%s%sConnection: close\r\n\r\n",
		method, path, accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "");

	return http(port, req, (size_t)len, out, size);
}

static void test_out_prom__http_endpoint(void **state UNUSED)
{
	static const char om_accept[] = "application/openmetrics-text;version=1.0.0,application/"
					"openmetrics-text;version=0.0.1;q=0.75,text/plain;"
					"version=0.0.4;q=0.5,*/*;q=0.1";
	struct bw_out_prom *p = bw_out_prom__new("127.0.0.1:0", 50);
	size_t big_len = 1 << 20, bodylen;
	struct bw_agg *agg = fx_common_scene();
	char *out = malloc(1 << 20), *big = malloc(big_len);
	struct bw_report rep;
	uint16_t port;

	assert_non_null(p);
	assert_non_null(out);
	assert_non_null(big);
	port = bw_out_prom__port(p);
	assert_true(port > 0);
	/* before the first report: served, with the build info only */
	get(port, "GET", "/metrics", NULL, out, 1 << 20);
	assert_non_null(strstr(out, "HTTP/1.1 200"));
	assert_non_null(strstr(out, "blockwatch_build_info{version="));
	assert_null(strstr(out, "blockwatch_blocked{"));
	common_report(&rep, agg);
	assert_int_equal(bw_out_prom__update(p, &rep), 0);
	bw_agg__free(agg); /* the endpoint serves its copy, never the aggregator */
	get(port, "GET", "/metrics", NULL, out, 1 << 20);
	assert_non_null(strstr(out, "HTTP/1.1 200"));
	assert_non_null(strstr(out, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
	assert_non_null(strstr(out, "blockwatch_blocked{pid=\"100\",comm=\"app\",container=\"\""));
	assert_null(strstr(out, "# EOF"));
	bodylen = get(port, "GET", "/metrics", om_accept, out, 1 << 20);
	assert_non_null(strstr(out, "Content-Type: application/openmetrics-text; version=1.0.0"));
	assert_true(bodylen > 6 && !strcmp(out + bodylen - 6, "# EOF\n"));
	get(port, "HEAD", "/metrics", NULL, out, 1 << 20);
	assert_non_null(strstr(out, "HTTP/1.1 200"));
	assert_null(strstr(out, "blockwatch_blocked"));
	get(port, "GET", "/", NULL, out, 1 << 20);
	assert_non_null(strstr(out, "HTTP/1.1 404"));
	get(port, "GET", "/metrics/../etc", NULL, out, 1 << 20);
	assert_non_null(strstr(out, "HTTP/1.1 404"));
	get(port, "POST", "/metrics", NULL, out, 1 << 20);
	assert_non_null(strstr(out, "HTTP/1.1 405"));
	assert_non_null(strstr(out, "Allow: GET, HEAD"));
	get(port, "DELETE", "/metrics", NULL, out, 1 << 20);
	assert_non_null(strstr(out, "HTTP/1.1 405"));
	/* a 1 MB header: refused (431) or cut off, never served */
	memset(big, 'a', big_len);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX-Big: ", 30);
	http(port, big, big_len, out, 1 << 20);
	assert_null(strstr(out, "HTTP/1.1 200"));
	/* garbage: refused */
	http(port, "\x16\x03\x01\x00\xff\r\n\r\n", 9, out, 1 << 20);
	assert_null(strstr(out, "HTTP/1.1 200"));
	/* still serving */
	get(port, "GET", "/metrics", NULL, out, 1 << 20);
	assert_non_null(strstr(out, "HTTP/1.1 200"));
	assert_non_null(strstr(out, "blockwatch_blocked{"));
	bw_out_prom__free(p);
	free(out);
	free(big);
}

static void test_out_prom__listen_refused(void **state UNUSED)
{
	struct bw_out_prom *a = bw_out_prom__new("127.0.0.1:0", 50), *b;
	char addr[32];

	assert_non_null(a);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", bw_out_prom__port(a));
	b = bw_out_prom__new(addr, 50); /* in use */
	assert_null(b);
	assert_null(bw_out_prom__new("not-an-address", 50));
	assert_int_equal(errno, EINVAL);
	bw_out_prom__free(a);
	bw_out_prom__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_prom__names_help_type),
		cmocka_unit_test(test_out_prom__hostile_labels),
		cmocka_unit_test(test_out_prom__histogram_cumulative),
		cmocka_unit_test(test_out_prom__cardinality_other),
		cmocka_unit_test(test_out_prom__stable_order),
		cmocka_unit_test(test_out_prom__many_processes),
		cmocka_unit_test(test_out_prom__go_probes),
		cmocka_unit_test(test_out_prom__openmetrics),
		cmocka_unit_test(test_out_prom__promtool_check),
		cmocka_unit_test(test_out_prom__parse_listen),
		cmocka_unit_test(test_out_prom__http_endpoint),
		cmocka_unit_test(test_out_prom__listen_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
