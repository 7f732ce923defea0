// SPDX-License-Identifier: BSD-2-Clause
/*
 * The interval table, rendered for sites built by the real aggregator:
 * substrings, order, cuts, markers, escaping. And the duration format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "escape.h"
#include "fixture_sites.h"
#include "out_term.h"

#define UNUSED __attribute__((unused))
#define NS FX_NS
#define TS_NS 1700000000000000000ULL /* 2023-11-14 22:13:20 UTC */

static const uint64_t evil_stack[] = { 0x7000, 0x9999 }; /* fx_osc_name */
static const uint64_t long_stack[] = { 0x5000, 0x3000 }; /* fx_long_name */
static const uint64_t sleep_stack[] = { 0x6000 };

struct fixture {
	struct fx_out out;
	struct bw_proc_summary procs[2];
	struct bw_drops drops;
};

/*
 * Interval 1 at 10 s, interval 2 at 13 s: 5 goroutines at main.worker (first
 * seen at 10 s: ages are lower bounds), 2 threads at the evil name since 1 s,
 * 1 goroutine at the long name, completed nanosleeps at main.sleeper in
 * another process.
 */
static struct bw_agg *scene(void)
{
	uint64_t hist[BW_HIST_SLOTS] = { 0 };
	struct bw_agg *agg = fx_new_agg();
	struct bw_waiter_in e = { .pid = 100,
				  .kind = BW_KIND_FUTEX,
				  .reason = "futex_wait",
				  .frames = evil_stack,
				  .nframes = 2,
				  .kframes = fx_kstack,
				  .nkframes = 1,
				  .start_ns = 1 * NS };
	struct bw_waiter_in l = { .pid = 100,
				  .kind = BW_KIND_GOROUTINE,
				  .reason = "sync.WaitGroup.Wait and then some more words",
				  .frames = long_stack,
				  .nframes = 2 };
	struct bw_completed_in c = { .pid = 200,
				     .kind = BW_KIND_OFFCPU,
				     .reason = "nanosleep",
				     .frames = sleep_stack,
				     .nframes = 1,
				     .count = 100,
				     .total_ns = 100 * 4100000,
				     .max_ns = 2 * NS + NS / 2,
				     .hist = hist };

	assert_non_null(agg);
	hist[bw_hist_slot(4100000)] = 99;
	hist[bw_hist_slot(2 * NS + NS / 2)] = 1;
	bw_agg__begin(agg, 10 * NS);
	assert_int_equal(fx_add_waiters(agg, &fx_go_waiter, 5, 1), 0);
	bw_agg__end(agg);
	bw_agg__begin(agg, 13 * NS);
	assert_int_equal(fx_add_waiters(agg, &fx_go_waiter, 5, 1), 0);
	assert_int_equal(fx_add_waiters(agg, &e, 2, 1000), 0);
	assert_int_equal(fx_add_waiters(agg, &l, 1, 50), 0);
	assert_int_equal(bw_agg__add_completed(agg, &c), 0);
	bw_agg__end(agg);
	return agg;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	*state = fx;
	if (!fx)
		return -1;
	setenv("TZ", "UTC0", 1);
	tzset();
	fx->procs[0] = (struct bw_proc_summary){ .pid = 100,
						 .comm = "app\x1b[31m",
						 .is_go = true,
						 .go_version = "go1.19.8",
						 .threads = 7,
						 .threads_blocked = 2,
						 .goroutines = 12,
						 .goroutines_waiting = 6,
						 .goroutines_runnable = 1 };
	fx->procs[1] = (struct bw_proc_summary){ .pid = 200, .comm = "sleeper", .threads = 3 };
	return fx_out_open(&fx->out, scene());
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fx_out_close(&fx->out);
	free(fx);
	return 0;
}

/* Render one interval and return the text (owned by fx). */
static const char *render(struct fixture *fx, const struct bw_out_term_opts *opts, size_t nprocs)
{
	struct bw_out_term *t = bw_out_term__new(fx->out.f, opts);
	struct bw_term_interval iv = { .ts_ns = TS_NS,
				       .interval_s = 3,
				       .procs = fx->procs,
				       .nprocs = nprocs,
				       .sites = fx->out.sites,
				       .nsites = fx->out.n,
				       .drops = &fx->drops };

	assert_non_null(t);
	assert_int_equal(bw_out_term__write(t, &iv), 0);
	bw_out_term__free(t);
	return fx_out_text(&fx->out);
}

/* The line holding needle; fails when there is none. */
static char *line_with(const char *text, const char *needle, char *buf, size_t size)
{
	const char *p = strstr(text, needle), *start, *end;

	if (!p)
		fail_msg("'%s' not in:\n%s", needle, text);
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	snprintf(buf, size, "%.*s", (int)(end ? end - start : (long)strlen(start)), start);
	return buf;
}

/* Display columns of an output line (it is escaped: one column per code point). */
static size_t columns(const char *line)
{
	size_t cols = 0;

	for (const unsigned char *p = (const unsigned char *)line; *p; p++)
		cols += (*p & 0xc0) != 0x80;
	return cols;
}

static void assert_no_controls(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			fail_msg("raw control byte 0x%02x at offset %zu", *p,
				 (size_t)(p - (const unsigned char *)text));
}

static void test_out_term__table(void **state)
{
	struct fixture *fx = *state;
	const char *text = render(fx, NULL, 1);
	const char *worker, *evil, *lng, *sleeper;
	char line[512];

	assert_no_controls(text);
	assert_non_null(
		strstr(text, "=== 2023-11-14 22:13:20 +0000  interval 3.0s  sites 4  drops 0\n"));
	line_with(text,
		  "pid 100 (app\\x1b[31m) go1.19.8  threads 7, 2 blocked  goroutines 12: 6 "
		  "waiting, 1 runnable",
		  line, sizeof(line));
	line_with(text, "BLOCKED", line, sizeof(line));
	assert_non_null(strstr(line, "WAITS     P50     P99     MAX   OLDEST KIND"));
	/* most blocked first */
	worker = strstr(text, "main.worker (main.go:42) <- main.main\n");
	evil = strstr(text, "evil\\x1b[2J\\x1b]0;owned\\x07\\n (e\\x1b.c:7) <- 0x9999\n");
	lng = strstr(text, "server.(*connectionHandler).serveRequests");
	sleeper = strstr(text, "main.sleeper (sleep.c:9)\n");
	assert_true(worker && evil && lng && sleeper);
	assert_true(worker < evil && evil < lng && lng < sleeper);
	/* 5 blocked, first seen 3 s ago: a lower bound */
	line_with(text, "main.worker (main.go:42)", line, sizeof(line));
	assert_non_null(strstr(line,
			       "      5       0       -       -       -   >=3.0s goroutine chan "
			       "receive"));
	line_with(text, "created by main.main (main.go:20)", line, sizeof(line));
	/* the start of the futex waits is known: no marker */
	line_with(text, "evil\\x1b", line, sizeof(line));
	assert_non_null(strstr(line, "      2       0       -       -       -    12.0s futex "));
	/* long reasons are cut to their column */
	line_with(text, "serveRequests", line, sizeof(line));
	assert_non_null(strstr(line, " sync.WaitGroup.Wa... "));
	/* completed waits: p50 in the 4.1 ms bucket, max exact */
	line_with(text, "main.sleeper", line, sizeof(line));
	assert_non_null(strstr(line, "      0     100 "));
	assert_non_null(strstr(line, "ms "));
	assert_non_null(strstr(line, "   2.5s        - offcpu    nanosleep "));
	assert_null(strstr(text, "#0")); /* no full stacks unless asked */
}

static void test_out_term__width_cuts_site(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_term_opts opts = { .width = 120 };
	const char *text = render(fx, &opts, 1);
	char line[512];

	line_with(text, "github.com/example", line, sizeof(line));
	assert_int_equal(columns(line), 120);
	assert_int_equal(strcmp(line + strlen(line) - 3, "..."), 0);
	/* the escape of the evil name is never cut in half */
	line_with(text, "main.worker", line, sizeof(line));
	assert_true(columns(line) <= 120);
	line_with(text, "evil", line, sizeof(line));
	assert_true(columns(line) <= 120);
}

static void test_out_term__narrow_site_own_line(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_term_opts opts = { .width = 60 };
	const char *text = render(fx, &opts, 1);
	char line[512];

	/* no room after the cells: the SITE goes on its own indented line */
	line_with(text, "main.worker", line, sizeof(line));
	assert_int_equal(strncmp(line, "    main.worker (main.go:42)", 28), 0);
	line_with(text, "github.com/example", line, sizeof(line));
	assert_int_equal(columns(line), 60);
}

static void test_out_term__top_and_more(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_term_opts opts = { .top = 2 };
	const char *text = render(fx, &opts, 1);

	assert_non_null(strstr(text, "main.worker"));
	assert_non_null(strstr(text, "evil"));
	assert_null(strstr(text, "serveRequests"));
	assert_null(strstr(text, "main.sleeper"));
	assert_non_null(strstr(text, "... 2 more sites, 1 blocked\n"));
}

static void test_out_term__full_stacks(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_term_opts opts = { .full_stacks = true, .kernel_stacks = true };
	const char *text = render(fx, &opts, 1);
	char line[512];

	assert_no_controls(text);
	line_with(text, "#0  runtime.gopark", line, sizeof(line));
	assert_string_equal(line,
			    "         #0  runtime.gopark+0x0 /usr/lib/go/src/runtime/proc.go:364 "
			    "[/usr/bin/app]");
	/* the focus frame is marked */
	line_with(text, "#1  main.worker", line, sizeof(line));
	assert_int_equal(strncmp(line, "      >  #1", 11), 0);
	line_with(text, "k#0  futex_wait_queue", line, sizeof(line));
	assert_non_null(strstr(line, "[kernel]"));
	assert_null(strstr(line, "[[kernel]]"));
}

static void test_out_term__pids_verdicts_drops(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_term_opts opts = { .verdicts = true };
	const char *text;
	char line[512];

	fx->out.sites[0]->verdict = 2;
	fx->out.sites[0]->growth_per_min = 60;
	fx->drops.count[BW_DROP_USTACK] = 12;
	fx->drops.count[BW_DROPS_SITES_EVICTED] = 1;
	fx->drops.count[BW_DROPS_GO_PARKED_FULL] = 3;
	text = render(fx, &opts, 2);
	line_with(text, "=== ", line, sizeof(line));
	assert_non_null(strstr(
		line, "drops: ustack 12 (+12), sites_evicted 1 (+1), go_parked_full 3 (+3)"));
	line_with(text, "pid 200 (sleeper)  threads 3, 0 blocked", line, sizeof(line));
	assert_null(strstr(line, "goroutines"));
	line_with(text, "BLOCKED", line, sizeof(line));
	assert_int_equal(strncmp(line, "    PID BLOCKED", 15), 0);
	assert_non_null(strstr(line, "TREND"));
	line_with(text, "main.worker", line, sizeof(line));
	assert_int_equal(strncmp(line, "    100       5", 15), 0);
	assert_non_null(strstr(line, "LEAK +60.0/m"));
	line_with(text, "main.sleeper", line, sizeof(line));
	assert_int_equal(strncmp(line, "    200 ", 8), 0);
	assert_non_null(strstr(line, " ok "));
}

static void test_out_term__empty_and_final(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_term *t = bw_out_term__new(fx->out.f, NULL);
	struct bw_drops d = { 0 };
	struct bw_term_interval iv = { .ts_ns = TS_NS, .interval_s = 1, .final = true, .drops = &d };

	d.count[BW_DROP_RINGBUF] = 2;
	assert_int_equal(bw_out_term__write(t, &iv), 0);
	/* the next interval shows no increase */
	assert_int_equal(bw_out_term__write(t, &iv), 0);
	bw_out_term__free(t);
	assert_string_equal(fx_out_text(&fx->out),
			    "=== final 2023-11-14 22:13:20 +0000  interval 1.0s  sites 0  drops: "
			    "ringbuf 2 (+2)\n"
			    "no thread or goroutine blocked, no wait completed\n\n"
			    "=== final 2023-11-14 22:13:20 +0000  interval 1.0s  sites 0  drops: "
			    "ringbuf 2\n"
			    "no thread or goroutine blocked, no wait completed\n\n");
}

static void test_out_term__format_duration(void **state UNUSED)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "0ns" },
		{ 850, "850ns" },
		{ 999, "999ns" },
		{ 1000, "1.0us" },
		{ 12345, "12.3us" },
		{ 999999, "999.9us" }, /* truncated, never rounded up into "1000.0us" */
		{ 1000000, "1.0ms" },
		{ 4150000, "4.1ms" },
		{ 2500000000ULL, "2.5s" },
		{ 59999999999ULL, "59.9s" },
		{ 60 * NS, "1m00s" },
		{ 192 * NS + 900000000ULL, "3m12s" },
		{ 3599 * NS, "59m59s" },
		{ 3600 * NS, "1h00m" },
		{ 7500 * NS, "2h05m" },
		{ 86399 * NS, "23h59m" },
		{ 86400 * NS, "1d00h" },
		{ 3 * 86400 * NS + 4 * 3600 * NS, "3d04h" },
		{ UINT64_MAX, "213503d23h" },
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = bw_format_duration(cases[i].ns, buf, sizeof(buf));

		if (strcmp(buf, cases[i].want))
			fail_msg("%llu ns: got '%s', want '%s'", (unsigned long long)cases[i].ns,
				 buf, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
		assert_true(n <= 10);
	}
	/* a short buffer: truncated and terminated, the full length returned */
	assert_int_equal(bw_format_duration(7500 * NS, buf, 3), 5);
	assert_string_equal(buf, "2h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_term__table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_term__width_cuts_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_term__narrow_site_own_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_out_term__top_and_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_term__full_stacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_term__pids_verdicts_drops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_out_term__empty_and_final, setup, teardown),
		cmocka_unit_test(test_out_term__format_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
