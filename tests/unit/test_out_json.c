// SPDX-License-Identifier: BSD-2-Clause
/*
 * JSON lines from sites built by the real aggregator, parsed back with
 * json-c and checked field by field, hostile names included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "escape.h"
#include "fixture_sites.h"
#include "out_json.h"

#define UNUSED __attribute__((unused))
#define NS FX_NS

struct fixture {
	struct fx_out out;
};

/* Two intervals: goroutines blocking at main.worker, a thread at the evil name. */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	*state = fx;
	if (!fx || fx_out_open(&fx->out, fx_common_scene()))
		return -1;
	return fx->out.n == 2 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fx_out_close(&fx->out);
	free(fx);
	return 0;
}

/* Close the stream and parse every line; returns the number of records. */
static size_t parse_lines(struct fixture *fx, json_object **recs, size_t max)
{
	size_t n = 0, len;
	char *line, *save = NULL, *text;

	fx_out_text(&fx->out);
	text = fx->out.text;
	len = fx->out.len;
	/* the whole output is valid UTF-8 */
	for (size_t i = 0; i < len;) {
		unsigned int cp;
		size_t k = bw_utf8_decode((const unsigned char *)text + i, len - i, &cp);

		if (!k)
			fail_msg("invalid UTF-8 at byte %zu of the output", i);
		i += k;
	}
	assert_true(len > 0 && text[len - 1] == '\n');
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(n < max);
		recs[n] = json_tokener_parse(line);
		if (!recs[n])
			fail_msg("line %zu is not JSON: %s", n + 1, line);
		n++;
	}
	return n;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static bool has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static void put_all(json_object **recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(recs[i]);
}

static struct bw_proc_summary proc_100(void)
{
	struct bw_proc_summary p = { .pid = 100,
				     .is_go = true,
				     .go_version = "go1.19.8",
				     .threads = 6,
				     .threads_blocked = 5,
				     .goroutines = 9,
				     .goroutines_waiting = 3,
				     .goroutines_runnable = 1 };

	/* a comm filling all 16 bytes, no NUL: must not read past it */
	memcpy(p.comm, "abcdefghijklmnop", BW_COMM_LEN);
	return p;
}

static void test_out_json__goroutine_site(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_json *j = bw_out_json__new(fx->out.f, NULL);
	struct bw_proc_summary p = proc_100();
	json_object *recs[8], *s, *fr, *cb;

	assert_non_null(j);
	bw_out_json__begin(j, 1700000000123456789ULL, 2.5);
	assert_int_equal(bw_out_json__write_sites(j, fx->out.sites, fx->out.n, &p, 1), 0);
	assert_int_equal(bw_out_json__flush(j), 0);
	bw_out_json__free(j);
	assert_int_equal(parse_lines(fx, recs, 8), 2);
	/* most blocked first: the three goroutines */
	s = recs[0];
	assert_string_equal(get_str(s, "type"), "site");
	assert_int_equal(get_int(s, "schema"), 1);
	assert_int_equal(get_int(s, "ts_ns"), 1700000000123456789LL);
	assert_true(json_object_get_double(get(s, "interval_s")) == 2.5);
	assert_int_equal(get_int(s, "pid"), 100);
	assert_string_equal(get_str(s, "comm"), "abcdefghijklmnop");
	assert_string_equal(get_str(s, "kind"), "goroutine");
	assert_string_equal(get_str(s, "reason"), "chan receive");
	assert_int_equal(strlen(get_str(s, "site_id")), 16);
	assert_int_equal(get_int(s, "blocked"), 3);
	/* first seen at 10 s without a start: at least 2 s old at 12 s */
	assert_int_equal(get_int(s, "oldest_age_ns"), 2 * NS);
	assert_true(json_object_get_boolean(get(s, "age_is_lower_bound")));
	assert_int_equal(get_int(s, "mean_age_ns"), 2 * NS);
	assert_int_equal(get_int(s, "waits"), 0);
	assert_int_equal(get_int(s, "focus"), 1);
	assert_int_equal(json_object_array_length(get(s, "frames")), 3);
	fr = json_object_array_get_idx(get(s, "frames"), 1);
	assert_string_equal(get_str(fr, "addr"), "0x2000");
	assert_string_equal(get_str(fr, "function"), "main.worker");
	assert_int_equal(get_int(fr, "offset"), 0x2a);
	assert_string_equal(get_str(fr, "file"), "/src/app/main.go");
	assert_int_equal(get_int(fr, "line"), 42);
	assert_string_equal(get_str(fr, "module"), "/usr/bin/app");
	cb = get(s, "created_by");
	assert_string_equal(get_str(cb, "function"), "main.main");
	assert_int_equal(json_object_array_length(get(s, "kernel_frames")), 0);
	assert_false(has(s, "waker"));
	/* no trend detector ran: no verdict is claimed */
	assert_false(has(s, "verdict"));
	put_all(recs, 2);
}

static void test_out_json__thread_site_hostile_names(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_json_opts opts = { .verdicts = true };
	struct bw_out_json *j = bw_out_json__new(fx->out.f, &opts);
	json_object *recs[8], *s, *fr, *w, *wait;
	char want[64];

	assert_non_null(j);
	fx->out.sites[1]->verdict = 2;
	fx->out.sites[1]->growth_per_min = 1.5;
	fx->out.sites[1]->confidence = 0.99;
	fx->out.sites[1]->growing_for_s = 60;
	bw_out_json__begin(j, 1, 1.0);
	/* no process summary for pid 100: comm is null */
	assert_int_equal(bw_out_json__write_sites(j, fx->out.sites, fx->out.n, NULL, 0), 0);
	assert_int_equal(bw_out_json__flush(j), 0);
	bw_out_json__free(j);
	assert_int_equal(parse_lines(fx, recs, 8), 2);
	/* the raw ESC never reaches the output, only its escape */
	assert_null(memchr(fx->out.text, 0x1b, fx->out.len));
	s = recs[1];
	assert_true(json_object_is_type(get(s, "comm"), json_type_null));
	assert_string_equal(get_str(s, "kind"), "futex");
	assert_int_equal(get_int(s, "blocked"), 1);
	assert_int_equal(get_int(s, "oldest_age_ns"), 11 * NS);
	assert_false(json_object_get_boolean(get(s, "age_is_lower_bound")));
	assert_int_equal(get_int(s, "oldest_waiter"), 555);
	assert_int_equal(get_int(s, "objects"), 1);
	assert_int_equal(get_int(s, "waits"), 10);
	assert_int_equal(get_int(s, "waits_total"), 10);
	wait = get(s, "wait_ns");
	assert_int_equal(get_int(wait, "total"), 30000);
	assert_int_equal(get_int(wait, "max"), 3500);
	/* all in the 2048..4095 bucket, clamped to the max */
	assert_in_range(get_int(wait, "p50"), 2048, 3500);
	assert_in_range(get_int(wait, "p99"), get_int(wait, "p50"), 3500);
	fr = json_object_array_get_idx(get(s, "frames"), 0);
	/* the evil name comes back with the bad bytes replaced, nothing else lost */
	snprintf(want, sizeof(want), "main.evil\x1b[2J\n\"x\\;y z\xef\xbf\xbd\xc2\x9b");
	assert_string_equal(get_str(fr, "function"), want);
	assert_string_equal(get_str(fr, "file"), "/src/evil\"\\\n.c");
	fr = json_object_array_get_idx(get(s, "frames"), 1);
	assert_true(json_object_is_type(get(fr, "function"), json_type_null));
	assert_true(json_object_is_type(get(fr, "file"), json_type_null));
	assert_int_equal(get_int(fr, "line"), 0);
	fr = json_object_array_get_idx(get(s, "kernel_frames"), 0);
	assert_string_equal(get_str(fr, "function"), "futex_wait_queue");
	assert_string_equal(get_str(fr, "addr"), "0xffffffff81000000");
	w = get(s, "waker");
	assert_int_equal(get_int(w, "pid"), 101);
	assert_string_equal(get_str(w, "comm"), "waker\x1b");
	assert_false(has(s, "created_by"));
	assert_string_equal(get_str(s, "verdict"), "leak");
	assert_true(json_object_get_double(get(s, "growth_per_min")) == 1.5);
	assert_true(json_object_get_double(get(s, "confidence")) == 0.99);
	assert_true(json_object_get_double(get(s, "growing_for_s")) == 60);
	/* the goroutine site was judged too: ok */
	assert_string_equal(get_str(recs[0], "verdict"), "ok");
	put_all(recs, 2);
}

static void test_out_json__process_record(void **state)
{
	static const char *const go_keys[BW_GO_COUNTERS] = {
		"parks",      "readies",     "ready_unknown", "parked_full",
		"waits_full", "stacks_full", "read_fault",    "sampled_out",
	};
	struct fixture *fx = *state;
	struct bw_out_json *j = bw_out_json__new(fx->out.f, NULL);
	struct bw_proc_summary p = proc_100(), c = { .pid = 7, .comm = "memcached", .threads = 4 };
	json_object *recs[4], *probes;

	p.go_detail = true;
	for (unsigned int i = 0; i < BW_GO_COUNTERS; i++)
		p.go_probes[i] = 100 + i;
	p.go_sample_every = 4;
	bw_out_json__begin(j, 42, 1.0);
	assert_int_equal(bw_out_json__write_process(j, &p), 0);
	assert_int_equal(bw_out_json__write_process(j, &c), 0);
	assert_int_equal(bw_out_json__flush(j), 0);
	bw_out_json__free(j);
	assert_int_equal(parse_lines(fx, recs, 4), 2);
	assert_string_equal(get_str(recs[0], "type"), "process");
	assert_int_equal(get_int(recs[0], "ts_ns"), 42);
	assert_string_equal(get_str(recs[0], "comm"), "abcdefghijklmnop");
	assert_true(json_object_get_boolean(get(recs[0], "is_go")));
	assert_string_equal(get_str(recs[0], "go_version"), "go1.19.8");
	assert_int_equal(get_int(recs[0], "threads"), 6);
	assert_int_equal(get_int(recs[0], "threads_blocked"), 5);
	assert_int_equal(get_int(recs[0], "goroutines"), 9);
	assert_int_equal(get_int(recs[0], "goroutines_waiting"), 3);
	assert_int_equal(get_int(recs[0], "goroutines_runnable"), 1);
	assert_int_equal(get_int(recs[0], "goroutines_running"), 0);
	assert_int_equal(get_int(recs[0], "goroutines_syscall"), 0);
	probes = get(recs[0], "go_probes");
	assert_int_equal(json_object_object_length(probes), BW_GO_COUNTERS + 1);
	for (unsigned int i = 0; i < BW_GO_COUNTERS; i++) /* enum bw_go_counter's order */
		assert_int_equal(get_int(probes, go_keys[i]), 100 + i);
	assert_int_equal(get_int(probes, "sample_every"), 4);
	assert_false(json_object_get_boolean(get(recs[1], "is_go")));
	assert_true(json_object_is_type(get(recs[1], "go_version"), json_type_null));
	/* not in detail mode: null, not zeros */
	assert_true(json_object_is_type(get(recs[1], "go_probes"), json_type_null));
	assert_int_equal(get_int(recs[1], "goroutines"), 0);
	put_all(recs, 2);
}

static bool array_has(json_object *a, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return true;
	return false;
}

static void test_out_json__interval_drops(void **state)
{
	struct fixture *fx = *state;
	struct bw_out_json *j = bw_out_json__new(fx->out.f, NULL);
	struct bw_drops d = { 0 };
	json_object *recs[4], *lb;

	bw_out_json__begin(j, 1, 1.0);
	d.count[BW_DROP_WAITS_FULL] = 5;
	d.count[BW_DROP_KSTACK] = 2;
	assert_int_equal(bw_out_json__write_interval(j, 12, &d, false), 0);
	/* the next interval drops nothing more: only running totals stay bounds */
	bw_out_json__begin(j, 2, 1.0);
	d.count[BW_DROPS_SITES_EVICTED] = 1;
	assert_int_equal(bw_out_json__write_interval(j, 3, &d, true), 0);
	assert_int_equal(bw_out_json__flush(j), 0);
	bw_out_json__free(j);
	assert_int_equal(parse_lines(fx, recs, 4), 2);
	assert_string_equal(get_str(recs[0], "type"), "interval");
	assert_int_equal(get_int(recs[0], "sites"), 12);
	assert_false(json_object_get_boolean(get(recs[0], "final")));
	assert_int_equal(get_int(get(recs[0], "drops"), "waits_full"), 5);
	assert_int_equal(get_int(get(recs[0], "drops"), "ringbuf"), 0);
	assert_int_equal(get_int(get(recs[0], "drops_interval"), "waits_full"), 5);
	lb = get(recs[0], "lower_bounds");
	assert_int_equal(json_object_array_length(lb), 4);
	assert_true(array_has(lb, "waits"));
	assert_true(array_has(lb, "wait_ns"));
	assert_true(array_has(lb, "waits_total"));
	assert_true(array_has(lb, "kernel_frames"));

	assert_true(json_object_get_boolean(get(recs[1], "final")));
	assert_int_equal(get_int(get(recs[1], "drops"), "waits_full"), 5);
	assert_int_equal(get_int(get(recs[1], "drops_interval"), "waits_full"), 0);
	assert_int_equal(get_int(get(recs[1], "drops_interval"), "sites_evicted"), 1);
	lb = get(recs[1], "lower_bounds");
	assert_int_equal(json_object_array_length(lb), 1);
	assert_true(array_has(lb, "waits_total"));
	put_all(recs, 2);
}

/* Detail mode's drops: keys of their own, and the figures they make lower bounds. */
static void test_out_json__go_probe_drops(void **state)
{
	static const struct {
		unsigned int drop;
		const char *key;
		size_t nbounds;
		const char *bound; /* one of them */
	} cases[] = {
		{ BW_DROPS_GO_PARKED_FULL, "go_parked_full", 3, "waits" },
		{ BW_DROPS_GO_WAITS_FULL, "go_waits_full", 3, "wait_ns" },
		{ BW_DROPS_GO_READ_FAULT, "go_read_fault", 3, "waits_total" },
		{ BW_DROPS_GO_STACKS_FULL, "go_stacks_full", 1, "frames" },
	};
	struct fixture *fx = *state;
	json_object *recs[8], *lb;
	struct bw_out_json *j = bw_out_json__new(fx->out.f, NULL);
	struct bw_drops d = { 0 };
	size_t n = sizeof(cases) / sizeof(cases[0]);

	for (size_t i = 0; i < n; i++) {
		memset(&d, 0, sizeof(d));
		d.count[cases[i].drop] = i + 1; /* from 0 each time: the interval's own */
		bw_out_json__begin(j, i, 1.0);
		assert_int_equal(bw_out_json__write_interval(j, 0, &d, false), 0);
	}
	assert_int_equal(bw_out_json__flush(j), 0);
	bw_out_json__free(j);
	assert_int_equal(parse_lines(fx, recs, 8), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(json_object_object_length(get(recs[i], "drops")), BW_DROPS__COUNT);
		assert_int_equal(get_int(get(recs[i], "drops"), cases[i].key), i + 1);
		lb = get(recs[i], "lower_bounds");
		assert_int_equal(json_object_array_length(lb), cases[i].nbounds);
		assert_true(array_has(lb, cases[i].bound));
	}
	put_all(recs, n);
}

static void test_out_json__doubles(void **state)
{
	static const struct {
		double d;
		const char *text;
	} cases[] = {
		{ 1.0, "\"interval_s\":1.0," },
		{ 0.1, "\"interval_s\":0.1," },
		{ 2.5e-7, "\"interval_s\":2.5e-07," },
		{ 1.0 / 0.0, "\"interval_s\":0.0," }, /* JSON has no Infinity */
		{ 0.0 / 0.0, "\"interval_s\":0.0," },
	};
	struct fixture *fx = *state;
	struct bw_out_json *j = bw_out_json__new(fx->out.f, NULL);
	json_object *recs[8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bw_out_json__begin(j, 1, cases[i].d);
		assert_int_equal(bw_out_json__write_interval(j, 0, &(struct bw_drops){ 0 }, 0), 0);
	}
	bw_out_json__free(j);
	assert_int_equal(parse_lines(fx, recs, 8), 5);
	for (size_t i = 0; i < 5; i++) {
		const char *text = json_object_to_json_string_ext(recs[i], JSON_C_TO_STRING_PLAIN);

		if (!strstr(text, cases[i].text))
			fail_msg("case %zu: '%s' not in %s", i, cases[i].text, text);
	}
	put_all(recs, 5);
}

/* A failed stream is reported, not ignored. */
static void test_out_json__write_error(void **state UNUSED)
{
	FILE *f = fopen("/dev/full", "w");
	struct bw_out_json *j;
	struct bw_proc_summary p = proc_100();

	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	j = bw_out_json__new(f, NULL);
	assert_int_not_equal(bw_out_json__write_process(j, &p), 0);
	assert_int_not_equal(bw_out_json__flush(j), 0);
	bw_out_json__free(j);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_json__goroutine_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_json__thread_site_hostile_names, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_out_json__process_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_json__interval_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_json__go_probe_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_json__doubles, setup, teardown),
		cmocka_unit_test(test_out_json__write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
