// SPDX-License-Identifier: BSD-2-Clause
/* Command line -> struct bw_config (user/cli.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "blockwatch/common.h"
#include "cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 16

/* argv from a NULL-terminated list, "blockwatch" first; argv is permuted by getopt */
static int make_argv(const char *const *args, char **argv)
{
	int argc = 0;

	argv[argc++] = (char *)"blockwatch";
	for (int i = 0; i < MAX_ARGS && args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	return argc;
}

static enum bw_cli_result parse(const char *const *args, struct bw_config *cfg, char *err,
				size_t err_size)
{
	char *argv[MAX_ARGS + 2];
	int argc = make_argv(args, argv);

	return bw_cli__parse(argc, argv, cfg, err, err_size);
}

/* The expected config: the defaults, then the case's own fields (later designators win). */
#pragma GCC diagnostic ignored "-Woverride-init"
#define CFG(...)                                                                             \
	{                                                                                    \
		.pids = { 1 }, .npids = 1, .interval_s = 2.0, .top = 20, .goroutines = true, \
		.max_sleepers = BW_DEFAULT_MAX_SLEEPERS, .max_sites = BW_DEFAULT_MAX_SITES,  \
		.max_stacks = BW_DEFAULT_MAX_STACKS, .history = 600, __VA_ARGS__             \
	}

static void check_config(const char *name, const struct bw_config *got,
			 const struct bw_config *want)
{
#define FIELD(f, fmt)                                                                       \
	do {                                                                                \
		if (got->f != want->f)                                                      \
			fail_msg("%s: " #f " = " fmt ", want " fmt, name, got->f, want->f); \
	} while (0)
	FIELD(npids, "%zu");
	for (size_t i = 0; i < got->npids && i < BW_MAX_PIDS; i++)
		FIELD(pids[i], "%d");
	FIELD(interval_s, "%g");
	FIELD(duration_s, "%g");
	FIELD(count, "%ld");
	FIELD(json, "%d");
	FIELD(verbose, "%d");
	FIELD(top, "%d");
	FIELD(full_stacks, "%d");
	FIELD(kernel_stacks, "%d");
	FIELD(goroutines, "%d");
	FIELD(max_sleepers, "%u");
	FIELD(max_sites, "%u");
	FIELD(max_stacks, "%u");
	FIELD(history, "%u");
#undef FIELD
	if (!got->output_path != !want->output_path ||
	    (got->output_path && strcmp(got->output_path, want->output_path)))
		fail_msg("%s: output_path '%s', want '%s'", name,
			 got->output_path ? got->output_path : "(null)",
			 want->output_path ? want->output_path : "(null)");
}

static void test_cli__defaults(void **state)
{
	struct bw_config cfg, want = CFG(.pids = { 0 }, .npids = 0);

	(void)state;
	memset(&cfg, 0xff, sizeof(cfg));
	bw_config__defaults(&cfg);
	check_config("defaults", &cfg, &want);
	assert_null(cfg.output_path);
}

static void test_cli__valid(void **state)
{
	static const struct {
		const char *args[MAX_ARGS + 1];
		struct bw_config want;
	} cases[] = {
		{ { "-p", "1" }, CFG() },
		{ { "-p1" }, CFG() },
		{ { "--pid", "1" }, CFG() },
		{ { "--pid=1" }, CFG() },
		{ { "-p", "1,2,3" }, CFG(.pids = { 1, 2, 3 }, .npids = 3) },
		{ { "-p", "7", "-p", "8,9" }, CFG(.pids = { 7, 8, 9 }, .npids = 3) },
		{ { "-p", "2147483647" }, CFG(.pids = { 2147483647 }) },
		{ { "-p", "1", "-i", "0.5" }, CFG(.interval_s = 0.5) },
		{ { "-p", "1", "--interval", "0.05" }, CFG(.interval_s = 0.05) },
		{ { "-p", "1", "-d", "60" }, CFG(.duration_s = 60) },
		{ { "-p", "1", "--duration=1.5" }, CFG(.duration_s = 1.5) },
		{ { "-p", "1", "-c", "3" }, CFG(.count = 3) },
		{ { "-p", "1", "--count", "9223372036854775807" },
		  CFG(.count = 9223372036854775807L) },
		{ { "-p", "1", "-j" }, CFG(.json = true) },
		{ { "-p", "1", "--json" }, CFG(.json = true) },
		{ { "-p", "1", "-o", "out.json" }, CFG(.output_path = "out.json") },
		{ { "-p", "1", "--output=-" }, CFG(.output_path = "-") },
		{ { "-p", "1", "-n", "0" }, CFG(.top = 0) },
		{ { "-p", "1", "--top", "100000" }, CFG(.top = 100000) },
		{ { "-p", "1", "-s" }, CFG(.full_stacks = true) },
		{ { "-p", "1", "--stacks" }, CFG(.full_stacks = true) },
		{ { "-p", "1", "-K" }, CFG(.kernel_stacks = true) },
		{ { "-p", "1", "--kernel-stacks" }, CFG(.kernel_stacks = true) },
		{ { "-p", "1", "--no-goroutines" }, CFG(.goroutines = false) },
		{ { "-p", "1", "-v" }, CFG(.verbose = 1) },
		{ { "-p", "1", "-vv" }, CFG(.verbose = 2) },
		{ { "-p", "1", "-v", "--verbose", "-v" }, CFG(.verbose = 3) },
		{ { "-p", "1", "--max-sleepers", "1" }, CFG(.max_sleepers = 1) },
		{ { "-p", "1", "--max-sleepers", "4294967295" }, CFG(.max_sleepers = 4294967295u) },
		{ { "-p", "1", "--max-sites", "100" }, CFG(.max_sites = 100) },
		{ { "-p", "1", "--max-stacks=2048" }, CFG(.max_stacks = 2048) },
		{ { "-p", "1", "--history", "10" }, CFG(.history = 10) },
		{ { "-p", "1", "--history", "100000" }, CFG(.history = 100000) },
		/* short options grouped, with the value of the last one attached */
		{ { "-jsKvp5" },
		  CFG(.pids = { 5 }, .json = true, .full_stacks = true, .kernel_stacks = true,
		      .verbose = 1) },
		/* bcc style: [INTERVAL [COUNT]] */
		{ { "-p", "1", "5" }, CFG(.interval_s = 5) },
		{ { "-p", "1", "0.5", "3" }, CFG(.interval_s = 0.5, .count = 3) },
		{ { "-p", "1", "-i", "3", "5" }, CFG(.interval_s = 5) }, /* positional wins */
		{ { "-p", "1", "-c", "7", "5", "2" }, CFG(.interval_s = 5, .count = 2) },
		/* options after the positional arguments, and before them */
		{ { "-p", "1", "5", "3", "-j" }, CFG(.interval_s = 5, .count = 3, .json = true) },
		{ { "5", "3", "-p", "1" }, CFG(.interval_s = 5, .count = 3) },
		{ { "-p", "1", "--", "5" }, CFG(.interval_s = 5) },
		{ { "-p", "1", "-o", "x", "-d", "10", "-n", "5", "--history", "50", "-j", "2" },
		  CFG(.output_path = "x", .duration_s = 10, .top = 5, .history = 50, .json = true,
		      .interval_s = 2) },
		/* long options may be abbreviated when unambiguous */
		{ { "-p", "1", "--int", "4" }, CFG(.interval_s = 4) },
		{ { "-p", "1", "--max-sit", "9" }, CFG(.max_sites = 9) },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[128] = "", err[128];
		struct bw_config cfg;
		enum bw_cli_result r;

		for (int a = 0; cases[i].args[a]; a++)
			snprintf(name + strlen(name), sizeof(name) - strlen(name), "%s ",
				 cases[i].args[a]);
		r = parse(cases[i].args, &cfg, err, sizeof(err));
		if (r != BW_CLI_RUN)
			fail_msg("'%s': result %d (%s), want run", name, r, err);
		assert_string_equal(err, "");
		check_config(name, &cfg, &cases[i].want);
	}
}

static void test_cli__errors(void **state)
{
	static const struct {
		const char *args[MAX_ARGS + 1];
		const char *err; /* the whole message */
	} cases[] = {
		/* system-wide selectors do not mix with -p */
		{ { "-p", "1", "--comm", "x" },
		  "--comm and --cgroup select processes system-wide: not with -p" },
		{ { "--cgroup", "/a", "-p", "1" },
		  "--comm and --cgroup select processes system-wide: not with -p" },
		{ { "--cgroup", "a" }, "invalid value 'a' for --cgroup" },
		{ { "--comm", "" }, "invalid value '' for --comm" },
		{ { "--comm", "sixteen-chars-xx" }, "invalid value 'sixteen-chars-xx' for --comm" },
		/* pids */
		{ { "-p", "0" }, "invalid pid '0'" },
		{ { "-p", "-5" }, "invalid pid '-5'" },
		{ { "-p", "12abc" }, "invalid pid '12abc'" },
		{ { "-p", "abc" }, "invalid pid 'abc'" },
		{ { "-p", "" }, "invalid pid ''" },
		{ { "-p", "," }, "invalid pid ','" },
		{ { "-p", "1 " }, "invalid pid '1 '" },
		{ { "-p", "1,x,3" }, "invalid pid 'x'" },
		{ { "-p", "1.5" }, "invalid pid '1.5'" },
		{ { "-p", "2147483648" }, "invalid pid '2147483648'" },
		{ { "-p", "99999999999999999999999" }, "invalid pid '99999999999999999999999'" },
		/* missing values, short and long */
		{ { "-p" }, "option '-p' needs a value" },
		{ { "--pid" }, "option '--pid' needs a value" },
		{ { "-p", "1", "-i" }, "option '-i' needs a value" },
		{ { "-p", "1", "--interval" }, "option '--interval' needs a value" },
		{ { "-p", "1", "-o" }, "option '-o' needs a value" },
		{ { "-p", "1", "--history" }, "option '--history' needs a value" },
		/* unknown options */
		{ { "-p", "1", "-x" }, "unknown option '-x'" },
		{ { "-p", "1", "-jx" }, "unknown option '-x'" },
		{ { "-p", "1", "--bogus" }, "unknown option '--bogus'" },
		{ { "-p", "1", "--bogus=3" }, "unknown option '--bogus=3'" },
		{ { "-p", "1", "--max-s", "3" }, "unknown option '--max-s'" }, /* ambiguous */
		{ { "-p", "1", "--json=1" }, "option '--json=1' takes no value" },
		{ { "-p", "1", "--no-goroutines=yes" },
		  "option '--no-goroutines=yes' takes no value" },
		{ { "-p", "1", "--help=1" }, "option '--help=1' takes no value" },
		{ { "-p", "1", "--output=a", "-xv" }, "unknown option '-x'" },
		{ { "-p", "1", "-:" }, "unknown option '-:'" },
		{ { "-p", "1", "-?" }, "unknown option '-?'" },
		{ { "-p", "1", "-5" }, "unknown option '-5'" },
		/* values out of range or malformed */
		{ { "-p", "1", "-i", "0" }, "invalid value '0' for --interval" },
		{ { "-p", "1", "-i", "0.01" }, "invalid value '0.01' for --interval" },
		{ { "-p", "1", "-i", "-1" }, "invalid value '-1' for --interval" },
		{ { "-p", "1", "-i", "abc" }, "invalid value 'abc' for --interval" },
		{ { "-p", "1", "-i", "2s" }, "invalid value '2s' for --interval" },
		{ { "-p", "1", "-i", "" }, "invalid value '' for --interval" },
		{ { "-p", "1", "-i", "inf" }, "invalid value 'inf' for --interval" },
		{ { "-p", "1", "-i", "nan" }, "invalid value 'nan' for --interval" },
		{ { "-p", "1", "-i", "1e9" }, "invalid value '1e9' for --interval" },
		{ { "-p", "1", "-d", "0" }, "invalid value '0' for --duration" },
		{ { "-p", "1", "-d", "1e400" }, "invalid value '1e400' for --duration" },
		{ { "-p", "1", "-c", "0" }, "invalid value '0' for --count" },
		{ { "-p", "1", "-c", "-3" }, "invalid value '-3' for --count" },
		{ { "-p", "1", "-c", "99999999999999999999" },
		  "invalid value '99999999999999999999' for --count" },
		{ { "-p", "1", "-o", "" }, "invalid value '' for --output" },
		{ { "-p", "1", "-n", "-1" }, "invalid value '-1' for --top" },
		{ { "-p", "1", "-n", "100001" }, "invalid value '100001' for --top" },
		{ { "-p", "1", "--max-sleepers", "0" }, "invalid value '0' for --max-sleepers" },
		{ { "-p", "1", "--max-sleepers", "4294967296" },
		  "invalid value '4294967296' for --max-sleepers" },
		{ { "-p", "1", "--max-sites", "-1" }, "invalid value '-1' for --max-sites" },
		{ { "-p", "1", "--max-stacks", "1k" }, "invalid value '1k' for --max-stacks" },
		{ { "-p", "1", "--history", "9" }, "invalid value '9' for --history" },
		{ { "-p", "1", "--history", "100001" }, "invalid value '100001' for --history" },
		/* positional arguments */
		{ { "-p", "1", "x" }, "invalid value 'x' for interval" },
		{ { "-p", "1", "0" }, "invalid value '0' for interval" },
		{ { "-p", "1", "5", "0" }, "invalid value '0' for count" },
		{ { "-p", "1", "5", "1.5" }, "invalid value '1.5' for count" },
		{ { "-p", "1", "5", "3", "7" }, "unexpected argument '7'" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bw_config cfg;
		char err[128];
		enum bw_cli_result r = parse(cases[i].args, &cfg, err, sizeof(err));

		if (r != BW_CLI_ERROR || strcmp(err, cases[i].err))
			fail_msg("case %zu ('%s'...): result %d '%s', want error '%s'", i,
				 cases[i].args[0] ? cases[i].args[0] : "", r, err, cases[i].err);
	}
}

/* 64 pids fit, in one list or several; the 65th is refused. */
static void test_cli__pid_limits(void **state)
{
	static const struct {
		int lists;    /* -p options */
		int per_list; /* pids in each */
		enum bw_cli_result want;
	} cases[] = {
		{ 1, BW_MAX_PIDS, BW_CLI_RUN },
		{ 1, BW_MAX_PIDS + 1, BW_CLI_ERROR },
		{ 2, BW_MAX_PIDS / 2, BW_CLI_RUN },
		{ 4, BW_MAX_PIDS / 4 + 1, BW_CLI_ERROR },
		{ 6, 10, BW_CLI_RUN },
		{ 6, 11, BW_CLI_ERROR },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		static char lists[BW_MAX_PIDS][1024];
		const char *args[MAX_ARGS + 1] = { NULL };
		struct bw_config cfg;
		char err[128];
		int pid = 1000000000; /* ten digits: the longest lists */
		enum bw_cli_result r;

		assert_true(2 * cases[i].lists <= MAX_ARGS);
		for (int l = 0; l < cases[i].lists; l++) {
			lists[l][0] = '\0';
			for (int k = 0; k < cases[i].per_list; k++)
				snprintf(lists[l] + strlen(lists[l]),
					 sizeof(lists[l]) - strlen(lists[l]), "%s%d", k ? "," : "",
					 pid++);
			args[2 * l] = "-p";
			args[2 * l + 1] = lists[l];
		}
		r = parse(args, &cfg, err, sizeof(err));
		assert_int_equal(r, cases[i].want);
		if (r == BW_CLI_RUN) {
			assert_int_equal(cfg.npids, (size_t)cases[i].lists * cases[i].per_list);
			assert_int_equal(cfg.pids[0], 1000000000);
			assert_int_equal(cfg.pids[cfg.npids - 1], pid - 1);
		} else {
			assert_string_equal(err, "too many pids (at most 64)");
		}
	}
}

static void test_cli__pid_list_too_long(void **state)
{
	char list[1100];
	const char *args[] = { "-p", list, NULL };
	struct bw_config cfg;
	char err[128];

	(void)state;
	memset(list, '1', sizeof(list) - 1);
	list[sizeof(list) - 1] = '\0';
	assert_int_equal(parse(args, &cfg, err, sizeof(err)), BW_CLI_ERROR);
	assert_string_equal(err, "pid list too long");
}

static void test_cli__help_version(void **state)
{
	static const struct {
		const char *args[MAX_ARGS + 1];
		enum bw_cli_result want;
	} cases[] = {
		{ { "-h" }, BW_CLI_HELP },
		{ { "--help" }, BW_CLI_HELP },
		{ { "-V" }, BW_CLI_VERSION },
		{ { "--version" }, BW_CLI_VERSION },
		/* no -p needed; the first of them wins; later errors are not reached */
		{ { "-p", "1", "-h" }, BW_CLI_HELP },
		{ { "-h", "-V" }, BW_CLI_HELP },
		{ { "-V", "-h" }, BW_CLI_VERSION },
		{ { "-h", "-x" }, BW_CLI_HELP },
		{ { "-h", "1", "2", "3" }, BW_CLI_HELP },
		{ { "-jh" }, BW_CLI_HELP },
		/* an error before them is an error */
		{ { "-x", "-h" }, BW_CLI_ERROR },
		{ { "-p", "0", "--version" }, BW_CLI_ERROR },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bw_config cfg;
		char err[128];
		enum bw_cli_result r = parse(cases[i].args, &cfg, err, sizeof(err));

		if (r != cases[i].want)
			fail_msg("case %zu: result %d, want %d", i, r, cases[i].want);
		if (r != BW_CLI_ERROR)
			assert_string_equal(err, "");
	}
}

/* Every long option is documented in the usage text. */
static void test_cli__usage_lists_every_option(void **state)
{
	static const char *const options[] = {
		"--pid",	   "--interval",      "--duration",	"--count",
		"--json",	   "--output",	      "--top",		"--stacks",
		"--kernel-stacks", "--no-goroutines", "--max-sleepers", "--max-sites",
		"--max-stacks",	   "--history",	      "--verbose",	"--help",
		"--version",
	};
	const char *usage = bw_cli_usage();

	(void)state;
	assert_non_null(usage);
	assert_non_null(strstr(usage, "usage: blockwatch"));
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (!strstr(usage, options[i]))
			fail_msg("usage does not mention %s", options[i]);
}

/* getopt keeps state between calls: each parse must start afresh. */
static void test_cli__parse_twice(void **state)
{
	static const struct {
		const char *first[MAX_ARGS + 1];
		const char *second[MAX_ARGS + 1];
		struct bw_config want; /* after the second */
	} cases[] = {
		{ { "-p", "1", "-j" }, { "-p", "2" }, CFG(.pids = { 2 }) },
		/* the first stops in the middle of "-hv": the second must not see "v" */
		{ { "-hv" }, { "-p", "3" }, CFG(.pids = { 3 }) },
		/* the first fails in a group, the second starts from its own argv[1] */
		{ { "-jxv" }, { "-p", "4", "5" }, CFG(.pids = { 4 }, .interval_s = 5) },
		{ { "-p", "1", "-i" }, { "-vp", "6" }, CFG(.pids = { 6 }, .verbose = 1) },
		{ { "-p", "1", "7", "3" }, { "-p", "1" }, CFG() },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bw_config cfg;
		char err[128], name[32];

		snprintf(name, sizeof(name), "case %zu", i);
		parse(cases[i].first, &cfg, err, sizeof(err));
		if (parse(cases[i].second, &cfg, err, sizeof(err)) != BW_CLI_RUN)
			fail_msg("%s: second parse failed: %s", name, err);
		check_config(name, &cfg, &cases[i].want);
	}
}

/* A short message buffer gets a truncated, terminated message. */
static void test_cli__short_error_buffer(void **state)
{
	static const char *const args[] = { "-p", "12abc", NULL };
	struct bw_config cfg;
	char err[16];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse(args, &cfg, err, 10), BW_CLI_ERROR);
	assert_string_equal(err, "invalid p");
	assert_int_equal(err[10], 'x');
}

/* The strings of argv are left as they were; only the pointers may move. */
static void test_cli__argv_strings_unchanged(void **state)
{
	char a[][16] = { "blockwatch", "5", "3", "-p", "1,2", "-o", "f", "--json" };
	char copy[ARRAY_SIZE(a)][16];
	char *argv[ARRAY_SIZE(a) + 1];
	struct bw_config cfg;
	char err[128];
	int found = 0;

	(void)state;
	memcpy(copy, a, sizeof(a));
	for (size_t i = 0; i < ARRAY_SIZE(a); i++)
		argv[i] = a[i];
	argv[ARRAY_SIZE(a)] = NULL;
	assert_int_equal(bw_cli__parse(ARRAY_SIZE(a), argv, &cfg, err, sizeof(err)), BW_CLI_RUN);
	assert_memory_equal(a, copy, sizeof(a));
	/* the pointers are a permutation of the originals */
	for (size_t i = 0; i < ARRAY_SIZE(a); i++)
		for (size_t j = 0; j < ARRAY_SIZE(a); j++)
			found += argv[i] == a[j];
	assert_int_equal(found, ARRAY_SIZE(a));
	assert_string_equal(cfg.output_path, "f");
}

/* The exporters and the system-wide selectors, whose fields the tables above do not cover. */
static void test_cli__exporters_and_selectors(void **state)
{
	static const char *const full[] = {
		"-p", "7",	     "--prom",	       "9464",	       "--prom-top",
		"5",  "--textfile",  "/t/a.prom",      "--pprof",      "/t/b.pb.gz",
		"-f", "/t/c.folded", "--folded-waits", "--flamegraph", "/t/d.svg",
		NULL
	};
	static const char *const wide[] = { "--comm",	"nginx",	 "--comm", "postgres",
					    "--cgroup", "/system.slice", NULL };
	static const char *const bad_prom[] = { "-p", "1", "--prom", "not-an-address", NULL };
	struct bw_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(full, &cfg, err, sizeof(err)), BW_CLI_RUN);
	assert_string_equal(cfg.prom_listen, "9464");
	assert_int_equal(cfg.prom_top, 5);
	assert_string_equal(cfg.textfile_path, "/t/a.prom");
	assert_string_equal(cfg.pprof_path, "/t/b.pb.gz");
	assert_string_equal(cfg.folded_path, "/t/c.folded");
	assert_true(cfg.folded_waits);
	assert_string_equal(cfg.flame_path, "/t/d.svg");

	assert_int_equal(parse(wide, &cfg, err, sizeof(err)), BW_CLI_RUN);
	assert_int_equal(cfg.npids, 0); /* system-wide */
	assert_int_equal(cfg.ncomms, 2);
	assert_string_equal(cfg.comms[0], "nginx");
	assert_string_equal(cfg.comms[1], "postgres");
	assert_string_equal(cfg.cgroup, "/system.slice");

	assert_int_equal(parse(bad_prom, &cfg, err, sizeof(err)), BW_CLI_ERROR);
	assert_non_null(strstr(err, "--prom"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli__defaults),
		cmocka_unit_test(test_cli__valid),
		cmocka_unit_test(test_cli__errors),
		cmocka_unit_test(test_cli__exporters_and_selectors),
		cmocka_unit_test(test_cli__pid_limits),
		cmocka_unit_test(test_cli__pid_list_too_long),
		cmocka_unit_test(test_cli__help_version),
		cmocka_unit_test(test_cli__usage_lists_every_option),
		cmocka_unit_test(test_cli__parse_twice),
		cmocka_unit_test(test_cli__short_error_buffer),
		cmocka_unit_test(test_cli__argv_strings_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
