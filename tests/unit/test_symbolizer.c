// SPDX-License-Identifier: BSD-2-Clause
/*
 * The symbolizer on real processes: this test itself (a PIE with DWARF),
 * libc, a library built and dlopen()ed at test time (then deleted), the
 * kernel, and Go programs built now with `go build`, unstripped and with
 * -ldflags='-s -w', whose own runtime.Callers answer is the ground truth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "dwarflines.h"
#include "elfsyms.h"
#include "symbolizer.h"

static int global_data = 7;

static const int marker_line = __LINE__ + 1;
__attribute__((noinline)) static int marker_function(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + global_data;
}

__attribute__((noinline)) static uint64_t return_address(void)
{
	uint64_t ra = (uint64_t)(uintptr_t)__builtin_return_address(0);

	__asm__ volatile("" ::: "memory");
	return ra;
}

/* Always inlined, even at -O0: the call below is code of its caller with a frame of its own. */
static const int inlined_call_line = __LINE__ + 3;
static inline __attribute__((always_inline)) uint64_t inlined_return_address(void)
{
	return return_address();
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return s && n >= m && !strcmp(s + n - m, suffix);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
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

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_tree(const char *dir)
{
	char *rm[] = { "rm", "-rf", (char *)dir, NULL };

	run(rm);
}

static void test_symbolizer__self_function_and_line(void **state)
{
	uint64_t ra = return_address();
	const int call_line = __LINE__ - 1;
	struct bw_symbolizer *sym = bw_symbolizer__new("/proc", getpid());
	struct bw_frame_info fi, again;
	char exe[PATH_MAX];
	ssize_t n;

	(void)state;
	assert_non_null(sym);
	/* a return address: the frame is the call on call_line */
	assert_int_equal(bw_symbolizer__resolve(sym, ra, true, &fi), 0);
	assert_true(fi.addr == ra);
	assert_string_equal(fi.function, "test_symbolizer__self_function_and_line");
	assert_true(ends_with(fi.file, "tests/unit/test_symbolizer.c"));
	assert_int_equal(fi.line, call_line);
	assert_false(fi.inlined);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(fi.module, exe);
	assert_string_equal(bw_symbolizer__exe_path(sym), exe);

	/* a function's first instruction, not a return address */
	assert_int_equal(marker_function(0), 7);
	assert_int_equal(
		bw_symbolizer__resolve(sym, (uint64_t)(uintptr_t)&marker_function, false, &fi), 0);
	assert_string_equal(fi.function, "marker_function");
	assert_true(fi.offset == 0);
	assert_true(ends_with(fi.file, "tests/unit/test_symbolizer.c"));
	/* the declarator's line, or the opening brace's */
	assert_true(fi.line == marker_line || fi.line == marker_line + 1);

	/* cached: the same strings come back */
	assert_int_equal(
		bw_symbolizer__resolve(sym, (uint64_t)(uintptr_t)&marker_function, false, &again),
		0);
	assert_ptr_equal(again.function, fi.function);
	assert_ptr_equal(again.file, fi.file);
	bw_symbolizer__free(sym);
	bw_symbolizer__free(NULL);
}

/*
 * With libc6-dbg installed, libc's lines come from its build-id debug file:
 * pthread_cond_wait's first instruction is in nptl/pthread_cond_wait.c, and
 * a few bytes in is code inlined from elsewhere, named as such.
 */
static void test_symbolizer__libc(void **state)
{
	struct bw_symbolizer *sym = bw_symbolizer__new("/proc", getpid());
	uint64_t cond_wait = (uint64_t)(uintptr_t)&pthread_cond_wait;
	struct bw_frame_info fi;

	(void)state;
	assert_non_null(sym);
	assert_int_equal(bw_symbolizer__resolve(sym, (uint64_t)(uintptr_t)&getpid + 1, false, &fi),
			 0);
	assert_string_equal(fi.function, "getpid");
	assert_true(fi.offset == 1);
	assert_non_null(strstr(fi.module, "libc.so"));
	assert_int_equal(bw_symbolizer__resolve(sym, cond_wait, false, &fi), 0);
	assert_string_equal(fi.function, "pthread_cond_wait");
	if (!fi.file) {
		bw_symbolizer__free(sym);
		skip(); /* no libc6-dbg: names only */
	}
	print_message("pthread_cond_wait: %s:%d\n", fi.file, fi.line);
	assert_true(ends_with(fi.file, "pthread_cond_wait.c"));
	assert_true(fi.line > 0);
	assert_false(fi.inlined);
	assert_int_equal(bw_symbolizer__resolve(sym, cond_wait + 8, false, &fi), 0);
	print_message("pthread_cond_wait+8: %s+0x%llx %s:%d%s\n", fi.function,
		      (unsigned long long)fi.offset, fi.file, fi.line,
		      fi.inlined ? " (inlined)" : "");
	assert_non_null(fi.file);
	if (fi.inlined)
		assert_string_not_equal(fi.function, "pthread_cond_wait");
	else
		assert_true(ends_with(fi.file, "pthread_cond_wait.c"));
	bw_symbolizer__free(sym);
}

/* DWARF inline scopes: the inlined function at its line, then its caller at the call. */
static void test_symbolizer__inlined_c(void **state)
{
	uint64_t ra = inlined_return_address();
	const int caller_line = __LINE__ - 1;
	struct bw_symbolizer *sym = bw_symbolizer__new("/proc", getpid());
	struct bw_frame_info fr[BW_SYM_MAX_FRAMES], fi;
	int n;

	(void)state;
	assert_non_null(sym);
	n = bw_symbolizer__resolve_frames(sym, ra, true, fr, BW_SYM_MAX_FRAMES);
	for (int i = 0; i < n; i++)
		print_message("%s+0x%llx %s:%d%s\n", fr[i].function,
			      (unsigned long long)fr[i].offset, fr[i].file, fr[i].line,
			      fr[i].inlined ? " (inlined)" : "");
	assert_int_equal(n, 2);
	assert_string_equal(fr[0].function, "inlined_return_address");
	assert_int_equal(fr[0].line, inlined_call_line);
	assert_true(fr[0].inlined);
	assert_string_equal(fr[1].function, "test_symbolizer__inlined_c");
	assert_int_equal(fr[1].line, caller_line);
	assert_false(fr[1].inlined);
	for (int i = 0; i < n; i++) {
		assert_true(fr[i].addr == ra);
		assert_true(ends_with(fr[i].file, "tests/unit/test_symbolizer.c"));
	}
	/* one frame: the function the code is in, at the call; the same with room for one */
	assert_int_equal(bw_symbolizer__resolve(sym, ra, true, &fi), 0);
	assert_string_equal(fi.function, "test_symbolizer__inlined_c");
	assert_int_equal(fi.line, caller_line);
	assert_false(fi.inlined);
	assert_true(fi.addr == ra);
	assert_int_equal(bw_symbolizer__resolve_frames(sym, ra, true, &fi, 1), 1);
	assert_string_equal(fi.function, "test_symbolizer__inlined_c");
	assert_int_equal(fi.line, caller_line);
	assert_int_equal(bw_symbolizer__resolve_frames(sym, ra, true, &fi, 0), -EINVAL);
	assert_int_equal(bw_symbolizer__resolve_frames(sym, 0x10, false, fr, 4), -ENOENT);
	/* a function's own code: one frame */
	assert_int_equal(bw_symbolizer__resolve_frames(sym, (uint64_t)(uintptr_t)&marker_function,
						       false, fr, BW_SYM_MAX_FRAMES),
			 1);
	assert_string_equal(fr[0].function, "marker_function");
	bw_symbolizer__free(sym);
}

static void test_symbolizer__not_found(void **state)
{
	struct bw_symbolizer *sym = bw_symbolizer__new("/proc", getpid());
	struct bw_frame_info fi;
	void *heap = malloc(64);

	(void)state;
	assert_non_null(sym);
	assert_int_equal(bw_symbolizer__resolve(sym, 0x10, false, &fi), -ENOENT);
	assert_true(fi.addr == 0x10);
	assert_int_equal(bw_symbolizer__resolve(sym, 0, true, &fi), -ENOENT);
	assert_int_equal(bw_symbolizer__resolve(sym, (uint64_t)(uintptr_t)heap, false, &fi),
			 -ENOENT);
	assert_null(fi.function);
	assert_true(bw_symbolizer__is_text(sym, (uint64_t)(uintptr_t)&marker_function));
	assert_true(bw_symbolizer__is_text(sym, (uint64_t)(uintptr_t)&getpid));
	assert_false(bw_symbolizer__is_text(sym, (uint64_t)(uintptr_t)&global_data));
	assert_false(bw_symbolizer__is_text(sym, (uint64_t)(uintptr_t)heap));
	assert_false(bw_symbolizer__is_text(sym, 0));
	free(heap);
	bw_symbolizer__free(sym);
	assert_null(bw_symbolizer__new("/proc", INT_MAX));
	assert_int_equal(errno, ESRCH);
}

/* Build libbwprobe.so with DWARF in dir; skip without gcc. */
static void build_probe_library(const char *dir, char *lib, size_t size)
{
	char src[PATH_MAX];
	char *gcc[] = { "gcc", "-shared", "-fPIC", "-g", "-O1", "-o", lib, src, NULL };

	write_file(dir, "probe.c", "int bw_dl_probe(int x) { return x + 42; }\n");
	snprintf(src, sizeof(src), "%s/probe.c", dir);
	snprintf(lib, size, "%s/libbwprobe.so", dir);
	if (run(gcc))
		skip();
}

/*
 * A library loaded after the symbolizer read the maps: unknown until the
 * maps are read again (explicitly, or on a miss at most once a second).
 * Then deleted: map_files still opens it (root only).
 */
static void test_symbolizer__dlopen_refresh_deleted(void **state)
{
	char dir[] = "/tmp/bw-sym-XXXXXX", lib[PATH_MAX];
	struct bw_symbolizer *sym = bw_symbolizer__new("/proc", getpid());
	struct bw_frame_info fi;
	int (*probe)(int);
	uint64_t addr;
	void *h;

	(void)state;
	assert_non_null(sym);
	assert_non_null(mkdtemp(dir));
	build_probe_library(dir, lib, sizeof(lib));
	h = dlopen(lib, RTLD_NOW);
	assert_non_null(h);
	probe = (int (*)(int))dlsym(h, "bw_dl_probe");
	assert_non_null(probe);
	assert_int_equal(probe(0), 42);
	addr = (uint64_t)(uintptr_t)probe;

	/* the maps were read just now: no re-read yet */
	assert_int_equal(bw_symbolizer__resolve(sym, addr, false, &fi), -ENOENT);
	assert_false(bw_symbolizer__is_text(sym, addr));
	assert_int_equal(bw_symbolizer__refresh(sym), 0);
	assert_int_equal(bw_symbolizer__resolve(sym, addr, false, &fi), 0);
	assert_string_equal(fi.function, "bw_dl_probe");
	assert_true(ends_with(fi.file, "/probe.c"));
	assert_int_equal(fi.line, 1);
	assert_string_equal(fi.module, lib);
	bw_symbolizer__free(sym);

	/* deleted while mapped */
	assert_int_equal(unlink(lib), 0);
	sym = bw_symbolizer__new("/proc", getpid());
	assert_non_null(sym);
	assert_int_equal(bw_symbolizer__resolve(sym, addr, false, &fi), 0);
	assert_true(ends_with(fi.module, " (deleted)"));
	if (geteuid() == 0)
		assert_string_equal(fi.function, "bw_dl_probe");
	else
		assert_null(fi.function); /* map_files needs CAP_SYS_ADMIN */
	bw_symbolizer__free(sym);
	dlclose(h);
	remove_tree(dir);
}

/* The automatic re-read on a miss, rate-limited to once a second. */
static void test_symbolizer__auto_refresh(void **state)
{
	char dir[] = "/tmp/bw-sym-XXXXXX", lib[PATH_MAX];
	struct bw_symbolizer *sym = bw_symbolizer__new("/proc", getpid());
	struct bw_frame_info fi;
	struct timespec pause = { 1, 100 * 1000 * 1000 };
	void *h, *probe;

	(void)state;
	assert_non_null(sym);
	assert_non_null(mkdtemp(dir));
	build_probe_library(dir, lib, sizeof(lib));
	h = dlopen(lib, RTLD_NOW);
	assert_non_null(h);
	probe = dlsym(h, "bw_dl_probe");
	assert_non_null(probe);
	/* within the second: not re-read, and the miss must not stick */
	assert_int_equal(bw_symbolizer__resolve(sym, (uint64_t)(uintptr_t)probe, false, &fi),
			 -ENOENT);
	nanosleep(&pause, NULL);
	assert_int_equal(bw_symbolizer__resolve(sym, (uint64_t)(uintptr_t)probe, false, &fi), 0);
	assert_string_equal(fi.function, "bw_dl_probe");
	bw_symbolizer__free(sym);
	dlclose(h);
	remove_tree(dir);
}

static unsigned long long kallsyms_address(const char *name)
{
	char line[512], want[128];
	unsigned long long addr = 0, a;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	snprintf(want, sizeof(want), " T %s\n", name);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) && sscanf(line, "%llx", &a) == 1) {
			addr = a;
			break;
		}
	fclose(f);
	return addr;
}

static void test_symbolizer__kernel(void **state)
{
	struct bw_symbolizer *sym = bw_symbolizer__new("/proc", getpid());
	unsigned long long addr = kallsyms_address("schedule");
	struct bw_frame_info fi;
	struct timespec t0;

	(void)state;
	assert_non_null(sym);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!addr) { /* not root: kallsyms shows zeros */
		assert_int_equal(bw_symbolizer__resolve_kernel(sym, 0xffffffff81000000ULL, &fi),
				 -ENOENT);
		bw_symbolizer__free(sym);
		skip();
	}
	assert_int_equal(bw_symbolizer__resolve_kernel(sym, addr + 0x10, &fi), 0);
	print_message("first kernel lookup (loads kallsyms): %.1f ms\n", ms_since(&t0));
	assert_string_equal(fi.function, "schedule");
	assert_true(fi.offset == 0x10);
	assert_string_equal(fi.module, "[kernel]");
	assert_int_equal(bw_symbolizer__resolve_kernel(sym, 0x1000, &fi), -ENOENT);
	bw_symbolizer__free(sym);
}

/* Distinct return addresses in this binary and libc: new sites, not cache hits. */
static void test_symbolizer__speed(void **state)
{
	struct bw_symbolizer *sym = bw_symbolizer__new("/proc", getpid());
	uint64_t base[2] = { (uint64_t)(uintptr_t)&marker_function,
			     (uint64_t)(uintptr_t)&pthread_cond_wait };
	struct bw_frame_info fi;
	struct timespec t0;
	int found = 0;
	double first, cold, warm;

	(void)state;
	assert_non_null(sym);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bw_symbolizer__resolve(sym, base[1], true, &fi); /* opens libc (and its debug file) */
	first = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 2000; i++)
		found += !bw_symbolizer__resolve(sym, base[i & 1] + (uint64_t)i * 7, true, &fi);
	cold = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 2000; i++)
		bw_symbolizer__resolve(sym, base[i & 1] + (uint64_t)i * 7, true, &fi);
	warm = ms_since(&t0);
	print_message("first libc frame %.1f ms; 2000 new frames %.1f ms (%.1f us each, %d named); "
		      "2000 cached %.2f ms\n",
		      first, cold, cold * 1e3 / 2000, found, warm);
	assert_true(found > 1000);
	assert_true(warm < cold);
	bw_symbolizer__free(sym);
}

/* ---- Go ---- */

#define GO_CALL_LINE 12

static const char go_main[] = "package main\n"
			      "\n"
			      "import (\n"
			      "\t\"fmt\"\n"
			      "\t\"os\"\n"
			      "\t\"runtime\"\n"
			      "\t\"time\"\n"
			      ")\n"
			      "\n"
			      "func main() {\n"
			      "\tpcs := make([]uintptr, 1)\n"
			      "\truntime.Callers(1, pcs)\n" /* GO_CALL_LINE */
			      "\tframe, _ := runtime.CallersFrames(pcs).Next()\n"
			      "\tfmt.Printf(\"%x %s %d\\n\", pcs[0], frame.Function, frame.Line)\n"
			      "\tfmt.Printf(\"%x\\n\", where())\n" /* GO_WHERE_LINE */
			      "\tos.Stdout.Sync()\n"
			      "\ttime.Sleep(time.Hour)\n"
			      "}\n"
			      "\n"
			      "//go:noinline\n"
			      "func caller() uintptr {\n"
			      "\tpcs := make([]uintptr, 1)\n"
			      "\truntime.Callers(2, pcs)\n"
			      "\treturn pcs[0]\n"
			      "}\n"
			      "\n"
			      "func where() uintptr {\n" /* inlined into main.main */
			      "\treturn caller()\n"	 /* GO_INLINED_LINE */
			      "}\n";
#define GO_WHERE_LINE 15
#define GO_INLINED_LINE 28

static bool have_go(void)
{
	char *version[] = { "go", "version", NULL };

	return run(version) == 0;
}

/* Start prog; read its "pc function line" answer and where() inlined. Returns its pid. */
static pid_t start_go(const char *prog, uint64_t *pc, char *func, int *line, uint64_t *inl_pc)
{
	char buf[256];
	int fds[2];
	pid_t pid;
	FILE *f;
	unsigned long long v;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_int_equal(sscanf(buf, "%llx %127s %d", &v, func, line), 3);
	*pc = v;
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_int_equal(sscanf(buf, "%llx", &v), 1);
	*inl_pc = v;
	fclose(f);
	return pid;
}

/* where() inlined into main.main: its frame, then main.main at the call. */
static void check_go_inlined(const struct bw_frame_info *fr, int n, const char *prog)
{
	for (int i = 0; i < n; i++)
		print_message("  %s+0x%llx %s:%d%s\n", fr[i].function,
			      (unsigned long long)fr[i].offset, fr[i].file, fr[i].line,
			      fr[i].inlined ? " (inlined)" : "");
	assert_int_equal(n, 2);
	assert_string_equal(fr[0].function, "main.where");
	assert_int_equal(fr[0].line, GO_INLINED_LINE);
	assert_true(fr[0].inlined);
	assert_string_equal(fr[1].function, "main.main");
	assert_int_equal(fr[1].line, GO_WHERE_LINE);
	assert_false(fr[1].inlined);
	for (int i = 0; i < n; i++) {
		assert_true(ends_with(fr[i].file, "/main.go"));
		assert_string_equal(fr[i].module, prog);
		/* both from main.main's entry: the inlined code is main.main's */
		assert_true(fr[i].offset == fr[1].offset);
	}
}

static uint64_t check_go_binary(const char *prog, bool stripped)
{
	struct bw_symbolizer *sym;
	struct bw_frame_info fi, inl[BW_SYM_MAX_FRAMES], one;
	char func[128];
	uint64_t pc, inl_pc;
	int line, status, err, n, err_one;
	pid_t pid = start_go(prog, &pc, func, &line, &inl_pc);

	/* Go's own answer first: the test program is what we think it is */
	if (strcmp(func, "main.main") || line != GO_CALL_LINE) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the Go program says %s:%d", func, line);
	}
	sym = bw_symbolizer__new("/proc", pid);
	assert_non_null(sym);
	err = bw_symbolizer__resolve(sym, pc, true, &fi);
	n = bw_symbolizer__resolve_frames(sym, inl_pc, true, inl, BW_SYM_MAX_FRAMES);
	err_one = bw_symbolizer__resolve(sym, inl_pc, true, &one);
	kill(pid, SIGKILL); /* before any assertion can leave it running */
	waitpid(pid, &status, 0);
	assert_int_equal(err, 0);
	check_go_inlined(inl, n, prog);
	/* one frame: the function the code is in, at the call */
	assert_int_equal(err_one, 0);
	assert_string_equal(one.function, "main.main");
	assert_int_equal(one.line, GO_WHERE_LINE);
	assert_false(one.inlined);
	print_message("%s: 0x%llx -> %s+0x%llx %s:%d\n", stripped ? "stripped" : "unstripped",
		      (unsigned long long)pc, fi.function ? fi.function : "?",
		      (unsigned long long)fi.offset, fi.file ? fi.file : "?", fi.line);
	assert_non_null(fi.function);
	assert_string_equal(fi.function, "main.main");
	assert_true(ends_with(fi.file, "/main.go"));
	assert_int_equal(fi.line, GO_CALL_LINE);
	assert_string_equal(fi.module, prog);
	assert_string_equal(bw_symbolizer__exe_path(sym), prog);
	bw_symbolizer__free(sym);
	return pc;
}

/*
 * Go's DWARF, read directly: zlib-compressed sections (SHF_COMPRESSED), which
 * libdw inflates. The symbolizer prefers the pcln table for Go code, so this
 * is the check that DWARF agrees with it.
 */
static void check_go_dwarf(const char *prog, uint64_t pc)
{
	struct bw_elfsyms *es = bw_elfsyms__open(prog);
	struct bw_dwarflines *dl;
	struct bw_srcline src;
	uint64_t off;

	assert_non_null(es);
	assert_true(bw_elfsyms__is_go(es));
	assert_true(bw_elfsyms__has_debug_info(es));
	/* not PIE: runtime address = link-time address */
	assert_int_equal(bw_elfsyms__vaddr_to_offset(es, pc, &off), 0);
	dl = bw_dwarflines__new(bw_elfsyms__elf(es));
	assert_non_null(dl);
	assert_int_equal(bw_dwarflines__lookup_line(dl, pc - 1, &src), 0);
	assert_true(ends_with(src.file, "/main.go"));
	assert_int_equal(src.line, GO_CALL_LINE);
	assert_int_equal(bw_dwarflines__lookup(dl, pc - 1, &src), 0);
	assert_string_equal(src.function, "main.main");
	bw_dwarflines__free(dl);
	bw_elfsyms__free(es);
}

static void test_symbolizer__go_binaries(void **state)
{
	char dir[] = "/tmp/bw-sym-go-XXXXXX", prog[PATH_MAX], stripped[PATH_MAX], cache[PATH_MAX];
	char *build[] = { "go", "build", "-o", prog, ".", NULL };
	char *build_stripped[] = { "go", "build", "-ldflags=-s -w", "-o", stripped, ".", NULL };
	char cwd[PATH_MAX], gopath[PATH_MAX];
	uint64_t pc;

	(void)state;
	if (!have_go()) {
		print_message(
			"skipping the Go binaries: no 'go' in PATH (apt-get install golang-go)\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	write_file(dir, "main.go", go_main);
	write_file(dir, "go.mod", "module bwsymtest\n\ngo 1.19\n");
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	snprintf(stripped, sizeof(stripped), "%s/prog-stripped", dir);
	/* a cache of our own: works for any user, leaves theirs alone (Debian ships
	 * the standard library compiled: a cold build takes ~0.2 s) */
	snprintf(cache, sizeof(cache), "%s/gocache", dir);
	setenv("GOCACHE", cache, 1);
	snprintf(gopath, sizeof(gopath), "%s/gopath", dir);
	setenv("GOPATH", gopath, 1);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(run(build), 0);
	assert_int_equal(run(build_stripped), 0);
	assert_int_equal(chdir(cwd), 0);
	pc = check_go_binary(prog, false);
	check_go_dwarf(prog, pc);
	assert_true(check_go_binary(stripped, true) == pc); /* -s -w moves no code */
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbolizer__self_function_and_line),
		cmocka_unit_test(test_symbolizer__libc),
		cmocka_unit_test(test_symbolizer__inlined_c),
		cmocka_unit_test(test_symbolizer__not_found),
		cmocka_unit_test(test_symbolizer__dlopen_refresh_deleted),
		cmocka_unit_test(test_symbolizer__auto_refresh),
		cmocka_unit_test(test_symbolizer__kernel),
		cmocka_unit_test(test_symbolizer__speed),
		cmocka_unit_test(test_symbolizer__go_binaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
