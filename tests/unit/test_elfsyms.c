// SPDX-License-Identifier: BSD-2-Clause
/*
 * ELF symbols and DWARF lines on real files: this test binary (a PIE built
 * with -g: its runtime addresses differ from its link-time ones), libc, and
 * a small object assembled at test time for the size-0, alias and nested
 * cases. Broken copies of that object must fail cleanly, never crash.
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
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "dwarflines.h"
#include "elfsyms.h"
#include "proc.h"

/* Runtime address -> link-time address the way the symbolizer does it. */
struct located {
	struct bw_elfsyms *es;
	uint64_t vaddr;
	uint64_t bias; /* runtime - link-time */
};

static void locate(uint64_t addr, struct located *out)
{
	struct bw_maps maps;
	const struct bw_mapping *m;

	assert_int_equal(bw_maps__load("/proc", getpid(), &maps), 0);
	m = bw_maps__find(&maps, addr);
	assert_non_null(m);
	out->es = bw_elfsyms__open(m->path);
	if (!out->es)
		fail_msg("failed to open '%s': %s", m->path, strerror(errno));
	assert_int_equal(
		bw_elfsyms__offset_to_vaddr(out->es, addr - m->start + m->offset, &out->vaddr), 0);
	out->bias = addr - out->vaddr;
	bw_maps__free(&maps);
}

__attribute__((noinline)) static int marker_function(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

__attribute__((noinline)) static uint64_t return_address(void)
{
	uint64_t ra = (uint64_t)(uintptr_t)__builtin_return_address(0);

	__asm__ volatile("" ::: "memory");
	return ra;
}

static inline __attribute__((always_inline)) uint64_t inlined_helper(int *line)
{
	uint64_t ra = return_address();

	*line = __LINE__ - 2;
	return ra;
}

static void test_elfsyms__own_static_function_pie(void **state)
{
	uint64_t addr = (uint64_t)(uintptr_t)&marker_function, off;
	struct bw_elfsym s;
	struct located loc;

	(void)state;
	assert_int_equal(marker_function(1), 4);
	locate(addr, &loc);
	print_message("marker_function: runtime 0x%llx, link-time 0x%llx\n",
		      (unsigned long long)addr, (unsigned long long)loc.vaddr);
	assert_true(loc.bias != 0); /* a PIE: the bias must have been applied */
	assert_int_equal(bw_elfsyms__find_func(loc.es, loc.vaddr, &s), 0);
	assert_string_equal(s.name, "marker_function");
	assert_true(s.addr == loc.vaddr);
	assert_true(s.size > 0);
	/* inside, and at the last byte */
	assert_int_equal(bw_elfsyms__find_func(loc.es, loc.vaddr + s.size - 1, &s), 0);
	assert_string_equal(s.name, "marker_function");
	assert_int_equal(bw_elfsyms__vaddr_to_offset(loc.es, loc.vaddr, &off), 0);
	assert_int_equal(bw_elfsyms__find_name(loc.es, "marker_function", &s), 0);
	assert_true(s.addr == loc.vaddr);
	assert_int_equal(bw_elfsyms__find_name(loc.es, "no_such_function_here", &s), -ENOENT);
	assert_true(bw_elfsyms__has_symtab(loc.es));
	assert_true(bw_elfsyms__has_debug_info(loc.es));
	assert_false(bw_elfsyms__is_go(loc.es));
	bw_elfsyms__free(loc.es);
}

static void test_elfsyms__build_id(void **state)
{
	struct bw_elfsyms *es = bw_elfsyms__open("/proc/self/exe");
	const uint8_t *id;
	size_t len;

	(void)state;
	assert_non_null(es);
	/* Debian's gcc links with --build-id (sha1) */
	assert_int_equal(bw_elfsyms__build_id(es, &id, &len), 0);
	assert_int_equal(len, 20);
	bw_elfsyms__free(es);
}

static void test_elfsyms__libc_function(void **state)
{
	static const struct {
		uint64_t addr;
		const char *name;
	} funcs[] = {
		{ (uint64_t)(uintptr_t)&getpid, "getpid" }, /* over __getpid */
		{ (uint64_t)(uintptr_t)&pthread_cond_wait, "pthread_cond_wait" }, /* versioned */
		{ (uint64_t)(uintptr_t)&nanosleep, "nanosleep" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		struct bw_elfsym s;
		struct located loc;

		locate(funcs[i].addr, &loc);
		assert_int_equal(bw_elfsyms__find_func(loc.es, loc.vaddr + 1, &s), 0);
		assert_string_equal(s.name, funcs[i].name);
		assert_true(s.addr == loc.vaddr);
		bw_elfsyms__free(loc.es);
	}
}

/* Runs argv; returns its exit status, or -1. */
static int run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Assemble a small object into dir, or skip without gcc. shared: a linked
 * shared object with DWARF lines (libdw reads linked files: no relocations).
 */
static void assemble(char *dir, char *obj, size_t size, bool shared)
{
	static const char src[] = ".text\n"
				  "nop\n" /* nothing at 0: 0 means "no address" */
				  ".globl nosize_a\n.type nosize_a,@function\n"
				  "nosize_a: nop; nop; nop; nop\n"
				  ".globl nosize_b\n.type nosize_b,@function\n"
				  "nosize_b: nop; nop\n"
				  ".globl outer\n.type outer,@function\n"
				  "outer: nop; nop; nop; nop\n"
				  ".type inner,@function\n"
				  "inner: nop; nop\n.size inner, 2\n"
				  "nop; nop; nop; nop; nop; nop; nop; nop; nop; nop\n"
				  ".size outer, 16\n"
				  ".globl pub_alias\n.type pub_alias,@function\n"
				  ".type __priv_alias,@function\n"
				  "pub_alias:\n__priv_alias: ret\n"
				  ".size pub_alias, 1\n.size __priv_alias, 1\n"
				  ".data\n.quad 0\n.globl a_counter\n.type a_counter,@object\n"
				  "a_counter: .quad 0\n.size a_counter, 8\n";
	char as[PATH_MAX];
	char *gcc_obj[] = { "gcc", "-c", "-o", obj, as, NULL };
	char *gcc_so[] = { "gcc", "-shared", "-nostdlib", "-g", "-o", obj, as, NULL };
	FILE *f;

	strcpy(dir, "/tmp/bw-elfsyms-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(as, sizeof(as), "%s/t.s", dir);
	snprintf(obj, size, "%s/%s", dir, shared ? "t.so" : "t.o");
	f = fopen(as, "w");
	assert_non_null(f);
	fputs(src, f);
	fclose(f);
	if (run(shared ? gcc_so : gcc_obj))
		skip();
}

static void cleanup_dir(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/t.s", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.o", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.so", dir);
	unlink(path);
	rmdir(dir);
}

static void test_elfsyms__sizes_aliases_nested(void **state)
{
	static const struct {
		uint64_t addr; /* section-relative: a relocatable object */
		const char *name;
	} cases[] = {
		{ 0, NULL },	   { 1, "nosize_a" },	{ 4, "nosize_a" }, /* until nosize_b */
		{ 5, "nosize_b" }, { 6, "nosize_b" },	{ 7, "outer" },	   { 11, "inner" },
		{ 12, "inner" },   { 13, "outer" },	/* past inner, still outer */
		{ 22, "outer" },   { 23, "pub_alias" }, /* over __priv_alias */
		{ 24, NULL },				/* past the end of .text */
	};
	char dir[64], obj[PATH_MAX];
	struct bw_elfsyms *es;
	struct bw_elfsym s;

	(void)state;
	assemble(dir, obj, sizeof(obj), false);
	es = bw_elfsyms__open(obj);
	assert_non_null(es);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = bw_elfsyms__find_func(es, cases[i].addr, &s);

		if (!cases[i].name && !err)
			fail_msg("%llu: want nothing, got %s", (unsigned long long)cases[i].addr,
				 s.name);
		if (cases[i].name && err)
			fail_msg("%llu: want %s, got nothing", (unsigned long long)cases[i].addr,
				 cases[i].name);
		if (cases[i].name)
			assert_string_equal(s.name, cases[i].name);
	}
	assert_int_equal(bw_elfsyms__find_func(es, 1, &s), 0);
	assert_true(s.size == 4); /* size 0 extended to the next symbol */
	assert_int_equal(bw_elfsyms__find_object(es, 12, &s), 0);
	assert_string_equal(s.name, "a_counter");
	assert_int_equal(bw_elfsyms__find_object(es, 4, &s), -ENOENT);
	assert_int_equal(bw_elfsyms__find_object(es, 16, &s), -ENOENT);
	assert_int_equal(bw_elfsyms__func_count(es), 5);
	bw_elfsyms__free(es);
	cleanup_dir(dir);
}

static void *read_whole(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* The undamaged object's DWARF works: nosize_b is on line 8 of t.s. */
static void check_asm_lines(const void *image, size_t size)
{
	struct bw_elfsyms *es = bw_elfsyms__open_mem(image, size);
	struct bw_dwarflines *dl;
	struct bw_srcline src;
	struct bw_elfsym s;

	assert_non_null(es);
	assert_int_equal(bw_elfsyms__find_name(es, "nosize_b", &s), 0);
	dl = bw_dwarflines__new(bw_elfsyms__elf(es));
	assert_non_null(dl);
	assert_int_equal(bw_dwarflines__lookup(dl, s.addr, &src), 0);
	assert_non_null(src.file);
	assert_true(strstr(src.file, "t.s") != NULL);
	assert_int_equal(src.line, 8);
	bw_dwarflines__free(dl);
	bw_elfsyms__free(es);
}

/* Flip bytes and truncate: every result is a clean failure or a usable object. */
static void test_elfsyms__hostile_images(void **state)
{
	static const char garbage[] = "\x7f"
				      "ELF garbage that is not an ELF file at all";
	char dir[64], obj[PATH_MAX];
	unsigned int seed = 12345;
	size_t size;
	uint8_t *orig, *copy;
	int opened = 0, with_dwarf = 0;

	(void)state;
	assert_null(bw_elfsyms__open_mem(garbage, sizeof(garbage)));
	assert_int_equal(errno, ENOEXEC);
	assert_null(bw_elfsyms__open("/nonexistent/file"));
	assert_int_equal(errno, ENOENT);
	assemble(dir, obj, sizeof(obj), true);
	orig = read_whole(obj, &size);
	check_asm_lines(orig, size);
	copy = malloc(size);
	assert_non_null(copy);
	for (int round = 0; round < 3000; round++) {
		size_t len = round % 10 == 0 ? (size_t)rand_r(&seed) % size : size;
		struct bw_dwarflines *dl;
		struct bw_elfsyms *es;
		struct bw_srcline src;
		struct bw_elfsym s;
		uint64_t v;

		memcpy(copy, orig, size);
		for (int k = 0; k < 1 + round % 8; k++)
			copy[(size_t)rand_r(&seed) % size] = (uint8_t)rand_r(&seed);
		es = bw_elfsyms__open_mem(copy, len);
		if (!es)
			continue;
		opened++;
		for (uint64_t a = 0; a < 32; a++) {
			bw_elfsyms__find_func(es, a, &s);
			bw_elfsyms__find_object(es, a, &s);
			bw_elfsyms__offset_to_vaddr(es, a, &v);
		}
		bw_elfsyms__find_name(es, "outer", &s);
		dl = bw_dwarflines__new(bw_elfsyms__elf(es));
		for (uint64_t a = 0; dl && a < 32; a++)
			bw_dwarflines__lookup(dl, a, &src);
		with_dwarf += dl != NULL;
		bw_dwarflines__free(dl);
		bw_elfsyms__free(es);
	}
	print_message("%d of 3000 damaged images opened, %d with DWARF\n", opened, with_dwarf);
	free(copy);
	free(orig);
	cleanup_dir(dir);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void test_elfsyms__dwarf_lines(void **state)
{
	uint64_t ra = return_address();
	const int call_line = __LINE__ - 1;
	struct bw_dwarflines *dl;
	struct bw_srcline src;
	struct located loc;

	(void)state;
	locate(ra, &loc);
	dl = bw_dwarflines__new(bw_elfsyms__elf(loc.es));
	assert_non_null(dl);
	/* a return address: the call is the instruction before it */
	assert_int_equal(bw_dwarflines__lookup(dl, loc.vaddr - 1, &src), 0);
	assert_non_null(src.file);
	assert_true(ends_with(src.file, "tests/unit/test_elfsyms.c"));
	assert_int_equal(src.line, call_line);
	assert_string_equal(src.function, "test_elfsyms__dwarf_lines");
	assert_null(src.inlined);
	assert_int_equal(bw_dwarflines__lookup(dl, 0, &src), -ENOENT);
	bw_dwarflines__free(dl);
	bw_elfsyms__free(loc.es);
}

static void test_elfsyms__dwarf_inlined(void **state)
{
	int line = 0;
	uint64_t ra = inlined_helper(&line);
	struct bw_dwarflines *dl;
	struct bw_srcline src;
	struct located loc;

	(void)state;
	locate(ra, &loc);
	dl = bw_dwarflines__new(bw_elfsyms__elf(loc.es));
	assert_non_null(dl);
	assert_int_equal(bw_dwarflines__lookup(dl, loc.vaddr - 1, &src), 0);
	assert_int_equal(src.line, line); /* the line inside the inlined helper */
	assert_non_null(src.inlined);
	assert_string_equal(src.inlined, "inlined_helper");
	assert_true(src.inlined_entry && src.inlined_entry <= loc.vaddr - 1);
	assert_string_equal(src.function, "test_elfsyms__dwarf_inlined");
	bw_dwarflines__free(dl);
	bw_elfsyms__free(loc.es);
}

static void test_elfsyms__no_dwarf(void **state)
{
	char dir[64], obj[PATH_MAX];
	struct bw_elfsyms *es;

	(void)state;
	assemble(dir, obj, sizeof(obj), false);
	es = bw_elfsyms__open(obj);
	assert_non_null(es);
	assert_false(bw_elfsyms__has_debug_info(es));
	assert_null(bw_dwarflines__new(bw_elfsyms__elf(es)));
	assert_int_equal(errno, ENODATA);
	bw_elfsyms__free(es);
	cleanup_dir(dir);
}

/* Resolving is once per new site, but opening libc and looking up must be quick. */
static void test_elfsyms__speed(void **state)
{
	struct timespec t0, t1, t2;
	struct located loc;
	struct bw_elfsym s;
	int found = 0;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	locate((uint64_t)(uintptr_t)&getpid, &loc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int i = 0; i < 100000; i++)
		found += !bw_elfsyms__find_func(loc.es, loc.vaddr + (uint64_t)i * 16, &s);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	print_message("libc: %zu functions, open %.2f ms, 100000 lookups %.2f ms (%d found)\n",
		      bw_elfsyms__func_count(loc.es),
		      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
		      (t2.tv_sec - t1.tv_sec) * 1e3 + (t2.tv_nsec - t1.tv_nsec) / 1e6, found);
	assert_true(found > 0);
	assert_true((t2.tv_sec - t1.tv_sec) < 2);
	bw_elfsyms__free(loc.es);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elfsyms__own_static_function_pie),
		cmocka_unit_test(test_elfsyms__build_id),
		cmocka_unit_test(test_elfsyms__libc_function),
		cmocka_unit_test(test_elfsyms__sizes_aliases_nested),
		cmocka_unit_test(test_elfsyms__hostile_images),
		cmocka_unit_test(test_elfsyms__dwarf_lines),
		cmocka_unit_test(test_elfsyms__dwarf_inlined),
		cmocka_unit_test(test_elfsyms__no_dwarf),
		cmocka_unit_test(test_elfsyms__speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
