// SPDX-License-Identifier: BSD-2-Clause
/*
 * kallsyms parsing on captured lines (tests/fixtures/proc/kallsyms_root, out
 * of order as the kernel prints them, with data symbols and module lines;
 * kallsyms_nonroot is the same as a non-root user sees it), bad lines, and
 * the live /proc/kallsyms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <cmocka.h>

#include "kallsyms.h"

static struct bw_kallsyms *load_fixture(const char *name)
{
	char path[PATH_MAX];
	const char *dir = getenv("BW_FIXTURES");

	snprintf(path, sizeof(path), "%s/proc/%s", dir ? dir : "tests/fixtures", name);
	return bw_kallsyms__load(path);
}

static void test_kallsyms__fixture_lookups(void **state)
{
	static const struct {
		uint64_t addr;
		const char *name; /* NULL: not found */
		uint64_t offset;
		const char *module;
	} cases[] = {
		{ 0xffffffff80ffffffULL, NULL, 0, NULL },     /* below the first symbol */
		{ 0xffffffff81000000ULL, "_stext", 0, NULL }, /* global, then fewer '_' */
		{ 0xffffffff8143fc90ULL, "futex_wait", 0, NULL },
		{ 0xffffffff8143fd00ULL, "futex_wait", 0x70, NULL },
		{ 0xffffffff8143b58fULL, "do_futex", 0x25f, NULL },  /* just below the next */
		{ 0xffffffff821f8600ULL, "__schedule", 0xc0, NULL }, /* local 't' */
		{ 0xffffffff82209990ULL, NULL, 0, NULL },	     /* past _etext */
		{ 0xffffffff82400010ULL, NULL, 0, NULL },	     /* data: not kept */
		{ 0xffffffffc0a01010ULL, "nft_do_chain", 0x10, "nf_tables" },
		{ 0xffffffffc0a01234ULL, "nft_register_chain_type", 0x34, "nf_tables" },
		{ 0xffffffffc0201001ULL, "ftrace_trampoline", 1, "__builtin__ftrace" },
	};
	struct bw_kallsyms *ks = load_fixture("kallsyms_root");

	(void)state;
	assert_non_null(ks);
	assert_true(bw_kallsyms__has_addresses(ks));
	/* 17 lines: 3 data symbols dropped, _text/_stext share an address */
	assert_int_equal(bw_kallsyms__count(ks), 13);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bw_ksym *k = bw_kallsyms__find(ks, cases[i].addr);

		if (!cases[i].name) {
			if (k)
				fail_msg("0x%llx: want nothing, got %s",
					 (unsigned long long)cases[i].addr, k->name);
			continue;
		}
		if (!k)
			fail_msg("0x%llx: want %s, got nothing", (unsigned long long)cases[i].addr,
				 cases[i].name);
		assert_string_equal(k->name, cases[i].name);
		assert_true(cases[i].addr - k->addr == cases[i].offset);
		if (cases[i].module)
			assert_string_equal(k->module, cases[i].module);
		else
			assert_null(k->module);
	}
	bw_kallsyms__free(ks);
	bw_kallsyms__free(NULL);
}

static void test_kallsyms__nonroot_hides_addresses(void **state)
{
	struct bw_kallsyms *ks = load_fixture("kallsyms_nonroot");

	(void)state;
	assert_non_null(ks);
	assert_false(bw_kallsyms__has_addresses(ks));
	assert_null(bw_kallsyms__find(ks, 0));
	assert_null(bw_kallsyms__find(ks, 0xffffffff8143fc90ULL));
	bw_kallsyms__free(ks);
}

static void test_kallsyms__bad_lines(void **state)
{
	static const char *bad[] = {
		"ffffffff81000000\n",
		"ffffffff81000000 T\n",
		"ffffffff81000000 T \n",
		"ffffffff81000000  T x\n",
		"zzzz T x\n",
		" ffffffff81000000 T x\n",
		"-1 T x\n",
		"ffffffff81000000 T x\t[mod\n",
		"ffffffff81000000 T x\t[]\n",
		"ffffffff81000000 T x [mod]\n",
		"1ffffffff81000000 T x\n", /* overflows 64 bits */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fmemopen((void *)bad[i], strlen(bad[i]), "r");
		struct bw_kallsyms *ks;

		assert_non_null(f);
		ks = bw_kallsyms__parse(f);
		fclose(f);
		if (ks)
			fail_msg("case %zu was accepted: '%s'", i, bad[i]);
		assert_int_equal(errno, EINVAL);
	}
}

static void test_kallsyms__empty(void **state)
{
	FILE *f = fmemopen((void *)"", 0, "r");
	struct bw_kallsyms *ks;

	(void)state;
	ks = bw_kallsyms__parse(f);
	fclose(f);
	assert_non_null(ks);
	assert_int_equal(bw_kallsyms__count(ks), 0);
	assert_null(bw_kallsyms__find(ks, 1));
	bw_kallsyms__free(ks);
	assert_null(bw_kallsyms__load("/nonexistent/kallsyms"));
	assert_int_equal(errno, ENOENT);
}

/* The real file parses whole; as root, a known function resolves to itself. */
static void test_kallsyms__live(void **state)
{
	struct timespec t0, t1;
	struct bw_kallsyms *ks;
	const struct bw_ksym *k = NULL;
	char line[512];
	FILE *f;
	unsigned long long addr = 0;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ks = bw_kallsyms__load("/proc/kallsyms");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ks)
		skip();
	print_message("parsed %zu kernel text symbols in %.0f ms\n", bw_kallsyms__count(ks),
		      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (!bw_kallsyms__has_addresses(ks)) {
		bw_kallsyms__free(ks);
		skip(); /* not root: every address reads 0, nothing resolves */
	}
	assert_true(bw_kallsyms__count(ks) > 1000);
	f = fopen("/proc/kallsyms", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx T schedule\n", &addr) == 1 && strstr(line, " T schedule\n"))
			break;
	fclose(f);
	assert_true(addr != 0);
	k = bw_kallsyms__find(ks, addr + 4);
	assert_non_null(k);
	assert_string_equal(k->name, "schedule");
	assert_true(k->addr == addr);
	bw_kallsyms__free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kallsyms__fixture_lookups),
		cmocka_unit_test(test_kallsyms__nonroot_hides_addresses),
		cmocka_unit_test(test_kallsyms__bad_lines),
		cmocka_unit_test(test_kallsyms__empty),
		cmocka_unit_test(test_kallsyms__live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
