// SPDX-License-Identifier: BSD-2-Clause
/* What a sleeping thread waits in (user/syscalls.c), x86_64 numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "syscalls.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* <linux/futex.h>: the BPF side masks these off before user space sees the op */
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

static void test_syscalls__classify(void **state)
{
	static const struct {
		int nr;
		unsigned int futex_cmd;
		enum bw_site_kind kind;
		const char *reason;
	} cases[] = {
		{ 202, 0, BW_KIND_FUTEX, "futex_wait" },
		{ 202, 9, BW_KIND_FUTEX, "futex_wait_bitset" },
		{ 202, 6, BW_KIND_FUTEX, "futex_lock_pi" },
		{ 202, 11, BW_KIND_FUTEX, "futex_wait_requeue_pi" },
		{ 202, 13, BW_KIND_FUTEX, "futex_lock_pi2" },
		/* an op it does not know is still a futex wait, named by number */
		{ 202, 99, BW_KIND_FUTEX, "futex_op_99" },
		/* the caller masks the flags: FUTEX_WAIT_PRIVATE is futex_wait */
		{ 202, (0 | FUTEX_PRIVATE_FLAG) & FUTEX_CMD_MASK, BW_KIND_FUTEX, "futex_wait" },
		{ 202, (99 | FUTEX_PRIVATE_FLAG) & FUTEX_CMD_MASK, BW_KIND_FUTEX, "futex_op_99" },
		{ 202, (9 | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) & FUTEX_CMD_MASK,
		  BW_KIND_FUTEX, "futex_wait_bitset" },
		/* unmasked, the flag is part of the number: classify does not guess */
		{ 202, 128, BW_KIND_FUTEX, "futex_op_128" },
		{ 449, 0, BW_KIND_FUTEX, "futex_waitv" },
		{ 455, 0, BW_KIND_FUTEX, "futex2_wait" },
		/* futex_cmd means nothing outside futex() */
		{ 449, 6, BW_KIND_FUTEX, "futex_waitv" },
		{ 35, 0, BW_KIND_OFFCPU, "nanosleep" },
		{ 35, 9, BW_KIND_OFFCPU, "nanosleep" },
		{ 230, 0, BW_KIND_OFFCPU, "clock_nanosleep" },
		{ 232, 0, BW_KIND_OFFCPU, "epoll_wait" },
		{ 281, 0, BW_KIND_OFFCPU, "epoll_pwait" },
		{ 0, 0, BW_KIND_OFFCPU, "read" },
		{ 7, 0, BW_KIND_OFFCPU, "poll" },
		{ 61, 0, BW_KIND_OFFCPU, "wait4" },
		/* not in a syscall: a page fault, a lock taken in the kernel */
		{ -1, 0, BW_KIND_OFFCPU, "sleep" },
		{ -2, 0, BW_KIND_OFFCPU, "sleep" },
		/* numbers without a name: a hole in the table, past its end, far past */
		{ 400, 0, BW_KIND_OFFCPU, "syscall_400" },
		{ 451, 0, BW_KIND_OFFCPU, "syscall_451" },
		{ 100000, 0, BW_KIND_OFFCPU, "syscall_100000" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char reason[BW_REASON_LEN];
		enum bw_site_kind kind;

		memset(reason, 'x', sizeof(reason));
		kind = bw_wait_classify(cases[i].nr, cases[i].futex_cmd, reason, sizeof(reason));
		if (kind != cases[i].kind || strcmp(reason, cases[i].reason))
			fail_msg("classify(%d, %u) = %d '%s', want %d '%s'", cases[i].nr,
				 cases[i].futex_cmd, kind, reason, cases[i].kind, cases[i].reason);
	}
}

/* A short buffer gets a truncated, terminated reason. */
static void test_syscalls__classify_short_buffer(void **state)
{
	static const struct {
		int nr;
		unsigned int futex_cmd;
		size_t size;
		const char *reason;
	} cases[] = {
		{ 202, 11, 8, "futex_w" },    { 202, 99, 8, "futex_o" }, { 230, 0, 6, "clock" },
		{ 100000, 0, 9, "syscall_" }, { -1, 0, 1, "" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char reason[16];

		memset(reason, 'x', sizeof(reason));
		bw_wait_classify(cases[i].nr, cases[i].futex_cmd, reason, cases[i].size);
		assert_string_equal(reason, cases[i].reason);
		/* nothing written past size */
		assert_int_equal(reason[cases[i].size], 'x');
	}
}

static void test_syscalls__names(void **state)
{
	static const struct {
		int nr;
		const char *name; /* NULL: unknown */
	} cases[] = {
		{ 0, "read" },		{ 202, "futex" },  { 35, "nanosleep" },
		{ 449, "futex_waitv" }, { 400, NULL }, /* a hole in the x86_64 table */
		{ -1, NULL },		{ -100000, NULL }, { 100000, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = bw_syscall_name(cases[i].nr);

		if (!cases[i].name)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].name);
	}
	/* the table's bounds themselves */
	assert_non_null(bw_syscall_name(bw_syscall_names_len - 1));
	assert_null(bw_syscall_name(bw_syscall_names_len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscalls__classify),
		cmocka_unit_test(test_syscalls__classify_short_buffer),
		cmocka_unit_test(test_syscalls__names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
