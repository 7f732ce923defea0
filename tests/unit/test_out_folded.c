// SPDX-License-Identifier: BSD-2-Clause
/*
 * Folded stacks of sites built by the real aggregator: the line format the
 * flame graph tools read (stack, last space, count), root first, and names
 * that cannot break a line or a frame whatever the target calls them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "escape.h"
#include "fixture_sites.h"
#include "out_folded.h"

#define UNUSED __attribute__((unused))

static char *folded(const struct bw_report *rep, const struct bw_folded_opts *opts)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(bw_folded_write(f, rep, opts), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/*
 * Read the text as flamegraph.pl does (stack, then the count after the last
 * space): every line must have a count, and frames as many as want[i].
 */
static void check_lines(const char *text, const int *frames, const uint64_t *counts, size_t n)
{
	char *copy = strdup(text), *line, *save = NULL;
	size_t i = 0, len = strlen(text);

	for (size_t k = 0; k < len;) {
		unsigned int cp;
		size_t u = bw_utf8_decode((const unsigned char *)text + k, len - k, &cp);

		if (!u || (cp < 0x20 && cp != '\n') || cp == 0x7f)
			fail_msg("byte %zu is not safe text", k);
		k += u;
	}
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		char *space = strrchr(line, ' '), *end;
		int nframes = 1;

		assert_true(i < n);
		assert_non_null(space);
		assert_int_equal(strtoull(space + 1, &end, 10), counts[i]);
		assert_true(*end == '\0');
		*space = '\0';
		for (char *p = line; *p; p++)
			nframes += *p == ';';
		assert_int_equal(nframes, frames[i]);
	}
	assert_int_equal(i, n);
	free(copy);
}

static void test_out_folded__lines(void **state UNUSED)
{
	static const int frames[] = { 5, 5 };
	static const uint64_t counts[] = { 3, 1 };
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep = fx_report(agg);
	char *text = folded(&rep, NULL);

	/* most blocked first; the thread's kernel frame is the deepest before the reason */
	assert_string_equal(text, "app;main.main;main.worker;runtime.gopark;[chan receive] 3\n"
				  "app;0x9999;main.evil\\x1b[2J\\n\"x\\\\:y z\\xff\\u009b;"
				  "futex_wait_queue;[futex_wait] 1\n");
	check_lines(text, frames, counts, 2);
	free(text);
	bw_agg__free(agg);
}

static void test_out_folded__waits_no_reason(void **state UNUSED)
{
	static const int frames[] = { 4 };
	static const uint64_t counts[] = { 10 };
	struct bw_folded_opts opts = { .waits = true, .no_reason = true };
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep = fx_report(agg);
	char *text;

	rep.nprocs = 0; /* no summary: the root is the pid */
	text = folded(&rep, &opts);
	/* only the futex site completed waits (10); no reason leaf */
	assert_string_equal(
		text,
		"pid-100;0x9999;main.evil\\x1b[2J\\n\"x\\\\:y z\\xff\\u009b;futex_wait_queue 10\n");
	check_lines(text, frames, counts, 1);
	free(text);
	bw_agg__free(agg);
}

static void test_out_folded__hostile_comm_and_reason(void **state UNUSED)
{
	static const int frames[] = { 3 };
	static const uint64_t counts[] = { 2 };
	struct bw_agg *agg = fx_new_agg();
	struct bw_report rep = fx_report(agg);
	char *text;

	bw_agg__begin(agg, FX_NS);
	fx_waiters(agg, 100, BW_KIND_GOROUTINE, "a;b\n c\x1b", fx_go_stack + 1, 1, 2, 1);
	bw_agg__end(agg);
	memcpy(fx_procs[0].comm, "x;y\n\x1b\xffz 12 abcdefgh", BW_COMM_LEN); /* no NUL */
	text = folded(&rep, NULL);
	assert_string_equal(text, "x:y\\n\\x1b\\xffz 12 abcde;main.worker;[a:b\\n c\\x1b] 2\n");
	check_lines(text, frames, counts, 1);
	free(text);
	bw_agg__free(agg);
}

static void test_out_folded__empty(void **state UNUSED)
{
	struct bw_report rep = { 0 };
	char *text = folded(&rep, NULL);

	assert_string_equal(text, "");
	free(text);
}

/* The file output: the lifecycle is safefile's (test_safefile__report_file), the lines ours. */
static void test_out_folded__file(void **state UNUSED)
{
	char dir[] = "/tmp/bw_folded_XXXXXX", path[64], buf[256];
	struct bw_folded_opts opts = { .no_reason = true };
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep = fx_report(agg);
	struct bw_report_file *o;
	FILE *f;
	size_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/blocked.folded", dir);
	o = bw_out_folded__new(path, &opts);
	assert_non_null(o);
	assert_int_equal(bw_report_file__update(o, &rep), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	/* the options given reach the writer */
	assert_non_null(strstr(buf, "app;main.main;main.worker;runtime.gopark 3\n"));
	bw_report_file__free(o);
	unlink(path);
	rmdir(dir);
	bw_agg__free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_folded__lines),
		cmocka_unit_test(test_out_folded__waits_no_reason),
		cmocka_unit_test(test_out_folded__hostile_comm_and_reason),
		cmocka_unit_test(test_out_folded__empty),
		cmocka_unit_test(test_out_folded__file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
