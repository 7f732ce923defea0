// SPDX-License-Identifier: BSD-2-Clause
/*
 * Where the Go detail probes go: the first prologue instruction the kernel
 * emulates. Byte patterns here are the prologues Go 1.17+ emits on amd64;
 * test_godetail__real_binary checks them against a binary built now.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "godetail.h"
#include "gopclntab.h"

struct prologue_case {
	const char *name;
	uint8_t code[16];
	size_t len;
	int want;
};

static const struct prologue_case cases[] = {
	/* cmp 0x10(%r14),%rsp ; jbe rel32 */
	{ "small frame, jbe rel32",
	  { 0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x10, 0x01, 0, 0 },
	  10,
	  4 },
	/* cmp 0x10(%r14),%rsp ; jbe rel8 */
	{ "small frame, jbe rel8", { 0x49, 0x3b, 0x66, 0x10, 0x76, 0x40, 0x55 }, 7, 4 },
	/* lea -0x40(%rsp),%r12 ; cmp 0x10(%r14),%r12 ; jbe */
	{ "large frame, lea disp8",
	  { 0x4c, 0x8d, 0x64, 0x24, 0xc0, 0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86, 1, 2, 3, 4 },
	  15,
	  9 },
	/* lea -0x1000(%rsp),%r12 (disp32) ; cmp ; jbe rel8 */
	{ "large frame, lea disp32",
	  { 0x4c, 0x8d, 0xa4, 0x24, 0x00, 0xf0, 0xff, 0xff, 0x4d, 0x3b, 0x66, 0x10, 0x76, 0x10 },
	  14,
	  12 },
	/* no stack check: push %rbp */
	{ "nosplit, push rbp", { 0x55, 0x48, 0x89, 0xe5 }, 4, 0 },
	/* sub $0x18,%rsp: single-stepped, refused */
	{ "nosplit, sub rsp", { 0x48, 0x83, 0xec, 0x18 }, 4, -1 },
	/* compare not followed by a jbe */
	{ "cmp then mov", { 0x49, 0x3b, 0x66, 0x10, 0x48, 0x89, 0xe5 }, 7, -1 },
	/* truncated */
	{ "truncated cmp", { 0x49, 0x3b, 0x66 }, 3, -1 },
	{ "truncated jbe rel32", { 0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x00 }, 7, -1 },
	{ "empty", { 0 }, 0, -1 },
};

static void test_godetail__prologues(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = bw_go_probe_offset(cases[i].code, cases[i].len);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
}

/* The probe points of a binary Go builds here are all recognised, at +4 or +9. */
static void test_godetail__real_binary(void **state)
{
	static const char *const funcs[] = { "runtime.gopark", "runtime.ready" };
	char dir[] = "/tmp/bw-godetail-XXXXXX", cmd[512], bin[300];
	struct bw_gobin *gb;
	FILE *f;

	(void)state;
	if (system("command -v go >/dev/null 2>&1")) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/main.go", dir);
	f = fopen(cmd, "w");
	assert_non_null(f);
	fputs("package main\nfunc main() { c := make(chan int); go func() { c <- 1 }(); <-c }\n",
	      f);
	fclose(f);
	snprintf(bin, sizeof(bin), "%s/t", dir);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && GOCACHE=%s/cache GOPATH=%s/gopath GO111MODULE=off go build "
		 "-ldflags='-s -w' -o t main.go",
		 dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	gb = bw_gobin__open(bin);
	assert_non_null(gb);
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		struct bw_go_func fn;
		uint8_t code[16];
		int at;

		assert_int_equal(bw_gobin__func_by_name(gb, funcs[i], &fn), 0);
		assert_int_equal(bw_gobin__read(gb, fn.entry, code, sizeof(code)), 0);
		at = bw_go_probe_offset(code, sizeof(code));
		if (at != 4 && at != 9)
			fail_msg("%s: probe offset %d", funcs[i], at);
	}
	bw_gobin__free(gb);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_godetail__prologues),
		cmocka_unit_test(test_godetail__real_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
