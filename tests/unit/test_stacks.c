// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unwinding over a fake memory image (user/stacks.c): a buffer mapped at a
 * chosen base address, read through a bounds-checked callback, with a list
 * of the words that count as return addresses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stacks.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define BASE 0x7ffc00000000ULL /* page-aligned, like a real stack mapping */
#define SIZE 0x6000ULL
#define B(off) (BASE + (off))
#define IP 0x400100ULL
#define GUARD 0xa5a5a5a5a5a5a5a5ULL

struct fake {
	uint8_t mem[SIZE];
	uint64_t returns[32];
	size_t nreturns;
	uint64_t read_end; /* highest addr + len asked for */
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	if (addr + len > f->read_end)
		f->read_end = addr + len;
	if (addr < BASE || addr - BASE > SIZE || len > SIZE - (addr - BASE))
		return -EFAULT;
	memcpy(buf, f->mem + (addr - BASE), len);
	return 0;
}

static int fake_is_return(void *ctx, uint64_t addr)
{
	struct fake *f = ctx;

	for (size_t i = 0; i < f->nreturns; i++)
		if (f->returns[i] == addr)
			return 1;
	return 0;
}

static void put(struct fake *f, uint64_t addr, uint64_t word)
{
	assert_true(addr >= BASE && addr + 8 <= BASE + SIZE);
	memcpy(f->mem + (addr - BASE), &word, 8);
}

/* A frame record [saved bp][return address] at bp. */
static void record(struct fake *f, uint64_t bp, uint64_t saved_bp, uint64_t ret)
{
	put(f, bp, saved_bp);
	put(f, bp + 8, ret);
}

static void returns(struct fake *f, uint64_t ret)
{
	assert_true(f->nreturns < ARRAY_SIZE(f->returns));
	f->returns[f->nreturns++] = ret;
}

#define LONG_CHAIN 100

/*
 * Frame chains, each in its own region of the image:
 *   0x100  a sane chain of three records
 *   0x500  a chain going down (saved bp below bp), 0x540 a record pointing to itself
 *   0x800  a saved bp that is not aligned (0x903, 0x704: records there)
 *   0xa00  a saved bp outside the image
 *   0xb00  a record with a zero return address
 *   0x1000 LONG_CHAIN records, 16 bytes apart
 */
static void fp_image(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	record(f, B(0x100), B(0x200), 0x401001);
	record(f, B(0x200), B(0x300), 0x401002);
	record(f, B(0x300), 0, 0x401003);
	record(f, B(0x500), B(0x480), 0x402001);
	record(f, B(0x480), B(0x600), 0x402002);
	record(f, B(0x540), B(0x540), 0x402101);
	record(f, B(0x800), B(0x903), 0x403001);
	/* records at unaligned addresses: followed, they would add frames */
	record(f, B(0x903), 0, 0x403002);
	record(f, B(0x704), 0, 0x403003);
	record(f, B(0xa00), BASE + 0x100000, 0x404001);
	record(f, B(0xb00), B(0xc00), 0);
	record(f, B(0xc00), 0, 0x405002);
	for (uint64_t k = 0; k < LONG_CHAIN; k++)
		record(f, B(0x1000 + 16 * k), k + 1 < LONG_CHAIN ? B(0x1000 + 16 * (k + 1)) : 0,
		       0x406000 + k);
}

/* Checks n and the frames, and that nothing was written past them. */
static void check_frames(const char *name, const uint64_t *got, int n, const uint64_t *want,
			 int nwant, int room)
{
	if (n != nwant)
		fail_msg("%s: %d frames, want %d", name, n, nwant);
	for (int i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s: frame %d is %#llx, want %#llx", name, i,
				 (unsigned long long)got[i], (unsigned long long)want[i]);
	for (int i = n; i < room; i++)
		if (got[i] != GUARD)
			fail_msg("%s: frame %d written past the end", name, i);
}

static void test_stacks__unwind_fp(void **state)
{
	static const struct {
		const char *name;
		uint64_t ip, bp;
		int max;
		uint64_t want[8];
		int nwant;
	} cases[] = {
		{ "chain", IP, B(0x100), 16, { IP, 0x401001, 0x401002, 0x401003 }, 4 },
		{ "max 2", IP, B(0x100), 2, { IP, 0x401001 }, 2 },
		{ "max 1", IP, B(0x100), 1, { IP }, 1 },
		{ "max 0", IP, B(0x100), 0, { 0 }, 0 },
		{ "max negative", IP, B(0x100), -1, { 0 }, 0 },
		{ "ip 0", 0, B(0x100), 16, { 0 }, 0 },
		{ "bp 0", IP, 0, 16, { IP }, 1 },
		{ "bp unaligned", IP, B(0x704), 16, { IP }, 1 },
		{ "chain going down", IP, B(0x500), 16, { IP, 0x402001 }, 2 },
		{ "record pointing to itself", IP, B(0x540), 16, { IP, 0x402101 }, 2 },
		{ "saved bp unaligned", IP, B(0x800), 16, { IP, 0x403001 }, 2 },
		{ "saved bp unreadable", IP, B(0xa00), 16, { IP, 0x404001 }, 2 },
		{ "bp unreadable", IP, BASE - 0x1000, 16, { IP }, 1 },
		{ "record across the end", IP, B(SIZE - 8), 16, { IP }, 1 },
		{ "zero return address", IP, B(0xb00), 16, { IP }, 1 },
	};
	struct fake *f = *state;
	struct bw_unwinder uw = { .read = fake_read, .ctx = f };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t frames[24];
		int n;

		for (size_t j = 0; j < ARRAY_SIZE(frames); j++)
			frames[j] = GUARD;
		n = bw_unwind_fp(&uw, cases[i].ip, cases[i].bp, frames, cases[i].max);
		check_frames(cases[i].name, frames, n, cases[i].want, cases[i].nwant,
			     ARRAY_SIZE(frames));
	}
}

static void test_stacks__unwind_fp_max_frames(void **state)
{
	static const struct {
		int max, want;
	} cases[] = {
		{ BW_MAX_STACK_DEPTH, BW_MAX_STACK_DEPTH },
		{ 10, 10 },
		{ LONG_CHAIN + 1, LONG_CHAIN + 1 }, /* ip and every return address */
		{ LONG_CHAIN + 20, LONG_CHAIN + 1 },
	};
	struct fake *f = *state;
	struct bw_unwinder uw = { .read = fake_read, .ctx = f };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t frames[LONG_CHAIN + 32], want[LONG_CHAIN + 1];
		int n;

		want[0] = IP;
		for (int k = 0; k < LONG_CHAIN; k++)
			want[k + 1] = 0x406000 + k;
		for (size_t j = 0; j < ARRAY_SIZE(frames); j++)
			frames[j] = GUARD;
		n = bw_unwind_fp(&uw, IP, B(0x1000), frames, cases[i].max);
		check_frames("long chain", frames, n, want, cases[i].want, ARRAY_SIZE(frames));
	}
}

#define R_LIBC1 0x7f0000001111ULL
#define R_APP1 0x401500ULL
#define R_LIBC2 0x7f0000002222ULL
#define R_APP2 0x402500ULL
#define R_AFTER 0x7f0000002333ULL
#define R_FAR1 0x7f0000003333ULL
#define R_FAR2 0x7f0000003444ULL
#define R_END 0x7f0000004444ULL
#define R_EDGE 0x404500ULL

/*
 * Scan scenarios:
 *   0x2000 libc gap: sp, two return addresses, a stale code pointer, then a
 *          valid bp whose chain goes on
 *   0x3000 bp not a frame pointer: a return address, then a frame record
 *          [saved bp, return] from which the chain resumes
 *   0x4000 return addresses near and far from sp, no frame pointer; a
 *          record at 0x4800 for a valid but distant bp
 *   0x5000 a frame record split across two 64-word reads; the next record
 *          (0x5400) is beyond the scan: only the chain reaches it
 *   SIZE - 0x40: a return address near the end of the mapping
 */
static void scan_image(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	put(f, B(0x2000), 0x1234);
	put(f, B(0x2008), R_LIBC1);
	put(f, B(0x2010), 0x401abc); /* stale code pointer: not after a call */
	put(f, B(0x2018), R_APP1);
	record(f, B(0x2040), B(0x2080), 0x401600);
	record(f, B(0x2080), 0, 0x401700);
	returns(f, R_LIBC1);
	returns(f, R_APP1);
	returns(f, 0x401600);
	returns(f, 0x401700);

	put(f, B(0x3000), R_LIBC2);
	put(f, B(0x3008), 0x99);
	put(f, B(0x3010), B(0x3100)); /* saved bp ... */
	put(f, B(0x3018), R_APP2);    /* ... and return address: a frame record */
	put(f, B(0x3020), R_AFTER);   /* past the record: the chain covers it */
	record(f, B(0x3100), B(0x3200), 0x402600);
	record(f, B(0x3200), 0, 0x402700);
	returns(f, R_LIBC2);
	returns(f, R_APP2);
	returns(f, R_AFTER);
	returns(f, 0x402600);
	returns(f, 0x402700);

	put(f, B(0x4008), R_FAR1);
	put(f, B(0x4100), R_FAR2);
	record(f, B(0x4800), 0, 0x403900);
	returns(f, R_FAR1);
	returns(f, R_FAR2);
	returns(f, 0x403900);

	put(f, B(0x5000 + 63 * 8), B(0x5400));
	put(f, B(0x5000 + 64 * 8), R_EDGE);
	record(f, B(0x5400), 0, 0x404600);
	returns(f, R_EDGE);
	returns(f, 0x404600);

	put(f, B(SIZE - 0x38), R_END);
	returns(f, R_END);
}

static void test_stacks__unwind_scan(void **state)
{
	static const struct {
		const char *name;
		uint64_t sp, bp;
		size_t scan_limit;
		int max;
		int no_scan;	   /* is_return NULL */
		uint64_t read_end; /* when non-zero: no read may reach past it */
		uint64_t want[10];
		int nwant;
	} cases[] = {
		/* libc gap: return addresses between sp and bp, in order, then the chain */
		{ "gap",
		  B(0x2000),
		  B(0x2040),
		  2048,
		  32,
		  0,
		  0,
		  { IP, R_LIBC1, R_APP1, 0x401600, 0x401700 },
		  5 },
		{ "gap without scan",
		  B(0x2000),
		  B(0x2040),
		  2048,
		  32,
		  1,
		  0,
		  { IP, 0x401600, 0x401700 },
		  3 },
		{ "gap max 3", B(0x2000), B(0x2040), 2048, 3, 0, 0, { IP, R_LIBC1, R_APP1 }, 3 },
		{ "gap max 4",
		  B(0x2000),
		  B(0x2040),
		  2048,
		  4,
		  0,
		  0,
		  { IP, R_LIBC1, R_APP1, 0x401600 },
		  4 },
		{ "gap max 1", B(0x2000), B(0x2040), 2048, 1, 0, 0, { IP }, 1 },
		{ "gap max 0", B(0x2000), B(0x2040), 2048, 0, 0, 0, { 0 }, 0 },
		/* bp is not a frame pointer: the frame record found by the scan resumes the chain */
		{ "bp small",
		  B(0x3000),
		  0x5,
		  2048,
		  32,
		  0,
		  0,
		  { IP, R_LIBC2, R_APP2, 0x402600, 0x402700 },
		  5 },
		{ "bp 0",
		  B(0x3000),
		  0,
		  2048,
		  32,
		  0,
		  0,
		  { IP, R_LIBC2, R_APP2, 0x402600, 0x402700 },
		  5 },
		{ "bp below sp",
		  B(0x3000),
		  B(0x2ff8),
		  2048,
		  32,
		  0,
		  0,
		  { IP, R_LIBC2, R_APP2, 0x402600, 0x402700 },
		  5 },
		{ "bp unaligned",
		  B(0x3000),
		  B(0x3004),
		  2048,
		  32,
		  0,
		  0,
		  { IP, R_LIBC2, R_APP2, 0x402600, 0x402700 },
		  5 },
		{ "bp too far",
		  B(0x3000),
		  B(0x3000) + (2u << 20),
		  2048,
		  32,
		  0,
		  0,
		  { IP, R_LIBC2, R_APP2, 0x402600, 0x402700 },
		  5 },
		{ "bp not plausible, max 2", B(0x3000), 0x5, 2048, 2, 0, 0, { IP, R_LIBC2 }, 2 },
		{ "bp not plausible, no scan", B(0x3000), 0x5, 2048, 32, 1, 0, { IP }, 1 },
		/* the scan reads no further than scan_limit above sp */
		{ "limit excludes far", B(0x4000), 0, 0x80, 32, 0, B(0x4080), { IP, R_FAR1 }, 2 },
		{ "limit ends at far", B(0x4000), 0, 0x100, 32, 0, B(0x4100), { IP, R_FAR1 }, 2 },
		{ "limit includes far",
		  B(0x4000),
		  0,
		  0x108,
		  32,
		  0,
		  B(0x4108),
		  { IP, R_FAR1, R_FAR2 },
		  3 },
		{ "limit 0", B(0x4000), 0, 0, 32, 0, B(0x4000), { IP }, 1 },
		{ "limit before a distant bp",
		  B(0x4000),
		  B(0x4800),
		  0x80,
		  32,
		  0,
		  0,
		  { IP, R_FAR1, 0x403900 },
		  3 },
		/* a frame record split across two reads of the scan */
		{ "record across reads", B(0x5000), 0, 0x300, 32, 0, 0, { IP, R_EDGE, 0x404600 }, 3 },
		/* the mapping ends less than a read above sp: what is mapped is still scanned */
		{ "near the end of the mapping", B(SIZE - 0x40), 0, 2048, 32, 0, 0, { IP, R_END }, 2 },
		{ "sp unmapped", BASE - 0x2000, 0, 2048, 32, 0, 0, { IP }, 1 },
	};
	struct fake *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bw_unwinder uw = {
			.read = fake_read,
			.is_return = cases[i].no_scan ? NULL : fake_is_return,
			.ctx = f,
			.scan_limit = cases[i].scan_limit,
		};
		struct bw_unwind_regs regs = { .ip = IP, .sp = cases[i].sp, .bp = cases[i].bp };
		uint64_t frames[40];
		int n;

		for (size_t j = 0; j < ARRAY_SIZE(frames); j++)
			frames[j] = GUARD;
		f->read_end = 0;
		n = bw_unwind(&uw, &regs, frames, cases[i].max);
		check_frames(cases[i].name, frames, n, cases[i].want, cases[i].nwant,
			     ARRAY_SIZE(frames));
		if (cases[i].read_end && f->read_end > cases[i].read_end)
			fail_msg("%s: read up to %#llx, past %#llx", cases[i].name,
				 (unsigned long long)f->read_end,
				 (unsigned long long)cases[i].read_end);
	}
}

/* ip 0 means no stack at all, whatever else the registers say. */
static void test_stacks__unwind_no_ip(void **state)
{
	struct fake *f = *state;
	struct bw_unwinder uw = {
		.read = fake_read, .is_return = fake_is_return, .ctx = f, .scan_limit = 2048
	};
	struct bw_unwind_regs regs = { .ip = 0, .sp = B(0x2000), .bp = B(0x2040) };
	uint64_t frames[8] = { GUARD };

	assert_int_equal(bw_unwind(&uw, &regs, frames, 8), 0);
	assert_int_equal(frames[0], GUARD);
}

static void test_stacks__hash(void **state)
{
	static const uint64_t a[] = { 0x401000, 0x402000 }, b[] = { 0x402000, 0x401000 },
			      a0[] = { 0x401000, 0 };
	/* FNV-1a over the little-endian bytes, computed independently */
	static const struct {
		const uint64_t *frames;
		int n;
		uint64_t seed, want;
	} cases[] = {
		{ a, 0, 0, 0xcbf29ce484222325ULL }, { a, 0, 1, 0xcbf29ce484222324ULL },
		{ a, 1, 0, 0x79394c48874e9a55ULL }, { a, 1, 0x77, 0xa01c2f687a7b85a2ULL },
		{ a, 2, 0, 0x41764c4dd310a9d5ULL }, { b, 2, 0, 0xeda66c08929e5995ULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(bw_stack_hash(cases[i].frames, cases[i].n, cases[i].seed),
				 cases[i].want);
	/* stable, and sensitive to order, seed and length */
	assert_int_equal(bw_stack_hash(a, 2, 9), bw_stack_hash(a, 2, 9));
	assert_int_not_equal(bw_stack_hash(a, 2, 0), bw_stack_hash(b, 2, 0));
	assert_int_not_equal(bw_stack_hash(a, 2, 0), bw_stack_hash(a, 2, 1));
	assert_int_not_equal(bw_stack_hash(a, 1, 0), bw_stack_hash(a0, 2, 0));
}

static void test_stacks__follows_call(void **state)
{
	/* the 8 bytes before a return address; 0x90 (nop) fills */
	static const struct {
		const char *name;
		uint8_t before[8];
		bool want;
	} cases[] = {
		{ "call rel32", { 0x90, 0x90, 0x90, 0xe8, 0x10, 0x20, 0x30, 0x40 }, true },
		{ "call rax", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xd0 }, true },
		{ "call [rip+disp32]", { 0x90, 0x90, 0xff, 0x15, 0x00, 0x10, 0x20, 0x00 }, true },
		{ "call [rax+8]", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x50, 0x08 }, true },
		{ "call [rsp]", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x14, 0x24 }, true },
		{ "call r11", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x41, 0xff, 0xd3 }, true },
		{ "call [rsp+disp32]", { 0x90, 0xff, 0x94, 0x24, 0x10, 0x00, 0x00, 0x00 }, true },
		{ "call [rax]", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x10 }, true },
		{ "call [rsp+8]", { 0x90, 0x90, 0x90, 0x90, 0xff, 0x54, 0x24, 0x08 }, true },
		{ "call [rax+disp32]", { 0x90, 0x90, 0xff, 0x90, 0x00, 0x01, 0x00, 0x00 }, true },
		{ "call [r12+8]", { 0x90, 0x90, 0x90, 0x41, 0xff, 0x54, 0x24, 0x08 }, true },
		/* SIB without base (mod 00, base 101): disp32 follows the SIB byte */
		{ "call [rax*8+disp32]", { 0x90, 0xff, 0x14, 0xc5, 0x00, 0x10, 0x60, 0x00 }, true },
		{ "jmp rel32", { 0x90, 0x90, 0x90, 0xe9, 0x10, 0x20, 0x30, 0x40 }, false },
		{ "ret", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3 }, false },
		{ "jmp rax", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xe0 }, false },
		{ "jmp [rip+disp32]", { 0x90, 0x90, 0xff, 0x25, 0x00, 0x10, 0x20, 0x00 }, false },
		{ "push [rax]", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x30 }, false },
		{ "mov; mov", { 0x48, 0x89, 0xc7, 0x48, 0x8b, 0x45, 0xf8, 0x90 }, false },
		{ "zeros", { 0, 0, 0, 0, 0, 0, 0, 0 }, false },
		{ "e8 too early", { 0xe8, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 }, false },
		{ "call rax too early", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xd0, 0x90 }, false },
		{ "call [rip] cut short",
		  { 0x90, 0x90, 0x90, 0xff, 0x15, 0x00, 0x10, 0x20 },
		  false },
		{ "call [rsp+disp32] too long",
		  { 0xff, 0x94, 0x24, 0x10, 0x00, 0x00, 0x00, 0x90 },
		  false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (bw_follows_call(cases[i].before) != cases[i].want)
			fail_msg("%s: follows_call is %d, want %d", cases[i].name, !cases[i].want,
				 cases[i].want);
}

/* The images are large: on the heap, freed even when a test fails. */
static int setup_fp(void **state)
{
	struct fake *f = malloc(sizeof(*f));

	if (!f)
		return -1;
	fp_image(f);
	*state = f;
	return 0;
}

static int setup_scan(void **state)
{
	struct fake *f = malloc(sizeof(*f));

	if (!f)
		return -1;
	scan_image(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stacks__unwind_fp, setup_fp, teardown),
		cmocka_unit_test_setup_teardown(test_stacks__unwind_fp_max_frames, setup_fp,
						teardown),
		cmocka_unit_test_setup_teardown(test_stacks__unwind_scan, setup_scan, teardown),
		cmocka_unit_test_setup_teardown(test_stacks__unwind_no_ip, setup_scan, teardown),
		cmocka_unit_test(test_stacks__hash),
		cmocka_unit_test(test_stacks__follows_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
