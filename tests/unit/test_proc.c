// SPDX-License-Identifier: BSD-2-Clause
/*
 * /proc parsing against captured fixtures (tests/fixtures/proc: a real
 * maps of cat, a real maps with a deleted binary under a path holding
 * spaces, \x01, \xff and a newline, real stat lines), hand-made bad lines,
 * and the live process facts of this test itself.
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
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "proc.h"

#define NOT_A_PID INT_MAX

/* Fixtures sit beside the tests; the runner starts from the repository root. */
static FILE *open_fixture(const char *name)
{
	char path[PATH_MAX];
	const char *dir = getenv("BW_FIXTURES");
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/%s", dir ? dir : "tests/fixtures", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("failed to open fixture '%s': %s", path, strerror(errno));
	return f;
}

static int parse_string(const char *text, size_t len, struct bw_maps *maps)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int err;

	assert_non_null(f);
	err = bw_maps__parse(f, maps);
	fclose(f);
	return err;
}

static void test_proc__maps_real_cat(void **state)
{
	struct bw_maps maps;
	const struct bw_mapping *m;
	FILE *f = open_fixture("maps_cat");

	(void)state;
	assert_int_equal(bw_maps__parse(f, &maps), 0);
	fclose(f);
	assert_int_equal(maps.n, 38);
	m = &maps.v[1];
	assert_true(m->start == 0x5598eb8fa000ULL && m->end == 0x5598eb8ff000ULL);
	assert_int_equal(m->perms, BW_MAP_READ | BW_MAP_EXEC | BW_MAP_PRIVATE);
	assert_true(m->offset == 0x2000);
	assert_int_equal(m->dev_major, 0xfe);
	assert_int_equal(m->dev_minor, 0);
	assert_true(m->inode == 247134);
	assert_string_equal(m->path, "/usr/bin/cat");
	assert_string_equal(maps.v[5].path, "[heap]");
	assert_string_equal(maps.v[6].path, "");	 /* anonymous: "0 " then end of line */
	assert_int_equal(maps.v[25].perms, BW_MAP_READ); /* r--s: shared */
	m = &maps.v[maps.n - 1];
	assert_true(m->start == 0xffffffffff600000ULL);
	assert_int_equal(m->perms, BW_MAP_EXEC | BW_MAP_PRIVATE);
	assert_string_equal(m->path, "[vsyscall]");
	bw_maps__free(&maps);
	assert_int_equal(maps.n, 0);
	bw_maps__free(&maps); /* twice is harmless */
}

static void test_proc__maps_real_weird_paths(void **state)
{
	struct bw_maps maps;
	FILE *f = open_fixture("maps_real_weird");

	(void)state;
	assert_int_equal(bw_maps__parse(f, &maps), 0);
	fclose(f);
	assert_int_equal(maps.n, 5);
	/* sorted by address: the two processes' lines swap */
	assert_string_equal(maps.v[0].path, "/tmp/bwdel (deleted)");
	assert_true(maps.v[1].inode == 10954352);
	/* the kernel escapes only '\n' (as \012); the rest are the path's own bytes */
	assert_string_equal(maps.v[2].path, "/tmp/bw weird dir\x01 \xff/sle\\012ep   (deleted)");
	assert_string_equal(maps.v[4].path, maps.v[2].path);
	bw_maps__free(&maps);
}

static void test_proc__maps_synthetic(void **state)
{
	/* out of order, huge offset, 3-digit major, trailing space in a name, no final newline */
	static const char text[] =
		"7f0000002000-7f0000003000 r-xp ffffffffffff0000 103:02 42     /dev/dri/card 0 \n"
		"1000-2000 ---p 00000000 00:00 0\n"
		"7f0000000000-7f0000001000 rw-s 00000000 00:05 7                          /memfd:x "
		"(deleted)";
	struct bw_maps maps;

	(void)state;
	assert_int_equal(parse_string(text, sizeof(text) - 1, &maps), 0);
	assert_int_equal(maps.n, 3);
	assert_true(maps.v[0].start == 0x1000 && maps.v[0].perms == BW_MAP_PRIVATE);
	assert_string_equal(maps.v[0].path, "");
	assert_string_equal(maps.v[1].path, "/memfd:x (deleted)");
	assert_int_equal(maps.v[1].perms, BW_MAP_READ | BW_MAP_WRITE);
	assert_true(maps.v[2].offset == 0xffffffffffff0000ULL);
	assert_int_equal(maps.v[2].dev_major, 0x103);
	assert_string_equal(maps.v[2].path, "/dev/dri/card 0 ");
	bw_maps__free(&maps);
}

static void test_proc__maps_empty(void **state)
{
	struct bw_maps maps = { (void *)1, 1 };

	(void)state;
	assert_int_equal(parse_string("", 0, &maps), 0);
	assert_int_equal(maps.n, 0);
	bw_maps__free(&maps);
}

static void test_proc__maps_bad_lines(void **state)
{
	static const struct {
		const char *text;
		size_t len; /* 0: strlen */
	} bad[] = {
		{ "\n" },
		{ "garbage without any structure\n" },
		{ "1000-2000 r-xp 00000000 00:00\n" },	   /* no inode */
		{ "1000-2000 r-xp 00000000 00:00 1/x\n" }, /* no space before path */
		{ "2000-1000 r-xp 00000000 00:00 0\n" },   /* start after end */
		{ "1000-1000 r-xp 00000000 00:00 0\n" },   /* empty */
		{ "1000-2000 rwxq 00000000 00:00 0\n" },   /* bad sharing flag */
		{ "1000-2000 r-x 00000000 00:00 0\n" },	   /* short perms */
		{ "1000 2000 r-xp 00000000 00:00 0\n" },   /* no dash */
		{ "10000000000000000-10000000000000001 r-xp 0 00:00 0\n" },    /* 17 digits */
		{ "1000-2000 r-xp 0000g000 00:00 0\n" },		       /* not hex */
		{ "1000-2000 r-xp 00000000 0000 0\n" },			       /* no colon */
		{ "1000-2000 r-xp 00000000 00:00 -1\n" },		       /* negative inode */
		{ "1000-2000 r-xp 00000000 00:00 99999999999999999999 /x\n" }, /* overflow */
		{ "1000-2000 r-xp 00000000 00:00 0 /a\0b\n", 36 },	       /* NUL byte */
		{ "1000-2000 r-xp 00000000 00:00 0 /ok\n-\n" }, /* good line, then bad */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		struct bw_maps maps;
		int err = parse_string(bad[i].text, len, &maps);

		if (err != -EINVAL)
			fail_msg("case %zu: want -EINVAL, got %d", i, err);
		assert_null(maps.v);
		assert_int_equal(maps.n, 0);
	}
}

static void test_proc__maps_find(void **state)
{
	static const char text[] = "1000-2000 r--p 0 00:00 0\n"
				   "2000-3000 r-xp 0 00:00 0 /b\n"
				   "5000-6000 rw-p 0 00:00 0 /c\n";
	static const struct {
		uint64_t addr;
		int want; /* index, or -1 */
	} cases[] = {
		{ 0, -1 },     { 0xfff, -1 }, { 0x1000, 0 },  { 0x1fff, 0 },
		{ 0x2000, 1 }, { 0x2fff, 1 }, { 0x3000, -1 }, { 0x4fff, -1 },
		{ 0x5000, 2 }, { 0x5fff, 2 }, { 0x6000, -1 }, { UINT64_MAX, -1 },
	};
	struct bw_maps maps, none = {};

	(void)state;
	assert_int_equal(parse_string(text, sizeof(text) - 1, &maps), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bw_mapping *m = bw_maps__find(&maps, cases[i].addr);
		int got = m ? (int)(m - maps.v) : -1;

		if (got != cases[i].want)
			fail_msg("addr 0x%llx: want %d, got %d", (unsigned long long)cases[i].addr,
				 cases[i].want, got);
	}
	assert_null(bw_maps__find(&none, 0x1000));
	bw_maps__free(&maps);
}

static void test_proc__maps_load_self(void **state)
{
	struct bw_maps maps;
	const struct bw_mapping *m;

	(void)state;
	assert_int_equal(bw_maps__load("/proc", getpid(), &maps), 0);
	m = bw_maps__find(&maps, (uint64_t)(uintptr_t)&test_proc__maps_load_self);
	assert_non_null(m);
	assert_true(m->perms & BW_MAP_EXEC);
	assert_true(m->path[0] == '/');
	bw_maps__free(&maps);
	assert_int_equal(bw_maps__load("/proc", NOT_A_PID, &maps), -ESRCH);
}

static void test_proc__stat_weird_comm(void **state)
{
	char buf[1024];
	struct bw_proc_stat st;
	FILE *f = open_fixture("stat_weird_comm");
	size_t n = fread(buf, 1, sizeof(buf), f);

	(void)state;
	fclose(f);
	assert_int_equal(bw_proc__parse_stat(buf, n, &st), 0);
	assert_string_equal(st.comm, "x) S 1 (y");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 12233);
	assert_int_equal(st.flags, 4194304);
	assert_true(st.start_ticks == 107446);
	assert_false(st.flags & 0x00200000);

	f = open_fixture("stat_kthreadd");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(bw_proc__parse_stat(buf, n, &st), 0);
	assert_string_equal(st.comm, "kthreadd");
	assert_true(st.flags & 0x00200000); /* PF_KTHREAD */
	assert_true(st.start_ticks == 24);
}

static void test_proc__stat_bad(void **state)
{
	static const char *bad[] = {
		"",
		"1 (x S 1",						   /* no closing paren */
		"1 x) S 1 2 3",						   /* no opening paren */
		"1 (x)S 1",						   /* no space after comm */
		"1 (x) S 1 2 3",					   /* too few fields */
		"1 (x) S a 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", /* ppid not a number */
	};
	struct bw_proc_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bw_proc__parse_stat(bad[i], strlen(bad[i]), &st) != -EINVAL)
			fail_msg("case %zu was accepted: '%s'", i, bad[i]);
}

static void *park(void *arg)
{
	pthread_barrier_t *b = arg;

	pthread_barrier_wait(b); /* started */
	pthread_barrier_wait(b); /* counted: may exit */
	return NULL;
}

static void test_proc__threads_and_facts(void **state)
{
	pthread_barrier_t b;
	pthread_t th[2];
	pid_t *tids = NULL;
	size_t n = 0;
	bool has_main = false;
	char buf[PATH_MAX], want[PATH_MAX];
	ssize_t len;

	(void)state;
	pthread_barrier_init(&b, NULL, 3);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, park, &b), 0);
	pthread_barrier_wait(&b);
	assert_int_equal(bw_proc__threads(getpid(), &tids, &n), 0);
	pthread_barrier_wait(&b);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&b);
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++) {
		has_main |= tids[i] == getpid();
		if (i)
			assert_true(tids[i - 1] < tids[i]);
	}
	assert_true(has_main);
	free(tids);
	assert_int_equal(bw_proc__threads(NOT_A_PID, &tids, &n), -ESRCH);

	assert_int_equal(bw_proc__exists(getpid()), 0);
	assert_int_equal(bw_proc__exists(NOT_A_PID), -ESRCH);
	assert_int_equal(bw_proc__exists(0), -ESRCH);
	assert_false(bw_proc__is_kernel_thread(getpid()));
	assert_int_equal(bw_proc__comm(getpid(), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "test_proc");
	assert_int_equal(bw_proc__comm(getpid(), buf, 4), -ERANGE);
	len = readlink("/proc/self/exe", want, sizeof(want) - 1);
	assert_true(len > 0);
	want[len] = '\0';
	assert_int_equal(bw_proc__exe(getpid(), buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	assert_int_equal(bw_proc__exe(getpid(), buf, 2), -ERANGE);
	assert_int_equal(bw_proc__exe(NOT_A_PID, buf, sizeof(buf)), -ESRCH);
}

static void test_proc__kernel_thread(void **state)
{
	char comm[32];

	(void)state;
	/* kthreadd is pid 2 in the initial pid namespace only */
	if (bw_proc__comm(2, comm, sizeof(comm)) || strcmp(comm, "kthreadd"))
		skip();
	assert_true(bw_proc__is_kernel_thread(2));
	assert_false(bw_proc__is_kernel_thread(1));
	assert_false(bw_proc__is_kernel_thread(NOT_A_PID));
}

static void test_proc__start_time(void **state)
{
	struct timespec now;
	uint64_t start, now_ns;

	(void)state;
	assert_int_equal(bw_proc__start_time(getpid(), &start), 0);
	clock_gettime(CLOCK_BOOTTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	assert_true(start > 0 && start <= now_ns);
	assert_true(now_ns - start < 600ULL * 1000000000ULL); /* we started minutes ago at most */
	assert_int_equal(bw_proc__start_time(NOT_A_PID, &start), -ESRCH);
}

static void test_proc__mem(void **state)
{
	static const char secret[] = "blockwatch reads this";
	char buf[sizeof(secret)];
	long page = sysconf(_SC_PAGESIZE);
	struct bw_mem *mem = bw_mem__open(getpid());
	char *two;

	(void)state;
	assert_non_null(mem);
	assert_int_equal(bw_mem__read(mem, (uint64_t)(uintptr_t)secret, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, secret, sizeof(secret));
	assert_int_equal(bw_mem__read(mem, 0, buf, 1), -EFAULT);
	assert_int_equal(bw_mem__read(mem, 1ULL << 63, buf, 1), -EFAULT);
	assert_int_equal(bw_mem__read(mem, (uint64_t)(uintptr_t)secret, buf, 0), 0);
	/* a read that starts mapped and runs into an unmapped page */
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(two != MAP_FAILED);
	memset(two, 'x', page);
	assert_int_equal(munmap(two + page, page), 0);
	assert_int_equal(bw_mem__read(mem, (uint64_t)(uintptr_t)(two + page - 4), buf, 4), 0);
	assert_int_equal(bw_mem__read(mem, (uint64_t)(uintptr_t)(two + page - 4), buf, 8), -EFAULT);
	munmap(two, page);
	bw_mem__free(mem);
	bw_mem__free(NULL);
	assert_null(bw_mem__open(NOT_A_PID));
	assert_int_equal(errno, ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc__maps_real_cat),
		cmocka_unit_test(test_proc__maps_real_weird_paths),
		cmocka_unit_test(test_proc__maps_synthetic),
		cmocka_unit_test(test_proc__maps_empty),
		cmocka_unit_test(test_proc__maps_bad_lines),
		cmocka_unit_test(test_proc__maps_find),
		cmocka_unit_test(test_proc__maps_load_self),
		cmocka_unit_test(test_proc__stat_weird_comm),
		cmocka_unit_test(test_proc__stat_bad),
		cmocka_unit_test(test_proc__threads_and_facts),
		cmocka_unit_test(test_proc__kernel_thread),
		cmocka_unit_test(test_proc__start_time),
		cmocka_unit_test(test_proc__mem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
