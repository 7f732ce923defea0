// SPDX-License-Identifier: BSD-2-Clause
/*
 * Go runtime knowledge against real binaries built here with Debian's Go:
 * the go1.19 layout table equals the binary's DWARF, allgs is found alike
 * by .symtab and by code, and a live program's blocked goroutines are read
 * from outside with their wait reason, channel and stack.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "goruntime.h"

/* K goroutines park in blockRecv (chan receive), S in blockSelect (select). */
static const char target_src[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"fmt\"\n"
	"\t\"os\"\n"
	"\t\"strconv\"\n"
	"\t\"sync\"\n\t\"time\"\n"
	")\n"
	"\n"
	"//go:noinline\n"
	"func blockRecv(c chan int, wg *sync.WaitGroup) {\n"
	"\twg.Done()\n"
	"\t<-c\n"
	"}\n"
	"\n"
	"//go:noinline\n"
	"func blockSelect(a, b chan int, wg *sync.WaitGroup) {\n"
	"\twg.Done()\n"
	"\tselect {\n"
	"\tcase <-a:\n"
	"\tcase <-b:\n"
	"\t}\n"
	"}\n"
	"\n"
	"func main() {\n"
	"\tk, _ := strconv.Atoi(os.Args[1])\n"
	"\ts, _ := strconv.Atoi(os.Args[2])\n"
	"\tc, a, b := make(chan int), make(chan int), make(chan int)\n"
	"\tvar wg sync.WaitGroup\n"
	"\twg.Add(k + s)\n"
	"\tfor i := 0; i < k; i++ {\n"
	"\t\tgo blockRecv(c, &wg)\n"
	"\t}\n"
	"\tfor i := 0; i < s; i++ {\n"
	"\t\tgo blockSelect(a, b, &wg)\n"
	"\t}\n"
	"\twg.Wait()\n"
	"\tfmt.Println(\"ready\")\n"
	"\tfor {\n\t\ttime.Sleep(time.Hour) /* a pending timer: no deadlock report */\n\t}\n"
	"}\n";

struct fixture {
	char dir[64];
	char plain[128];    /* unstripped */
	char stripped[128]; /* -ldflags='-s -w' */
	struct bw_go_version v;
};

static struct fixture fx;
static bool have_go;

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/* Build the target twice, once per test binary run (the Go build cache keeps it quick). */
static int setup_targets(void **state)
{
	char path[160], cmd[768];
	struct bw_gobin *gb;

	(void)state;
	if (system("command -v go >/dev/null 2>&1"))
		return 0;
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/bw-goruntime-XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(path, sizeof(path), "%s/main.go", fx.dir);
	if (write_file(path, target_src))
		return -1;
	snprintf(path, sizeof(path), "%s/go.mod", fx.dir);
	if (write_file(path, "module bwtarget\n\ngo 1.17\n"))
		return -1;
	snprintf(fx.plain, sizeof(fx.plain), "%s/plain", fx.dir);
	snprintf(fx.stripped, sizeof(fx.stripped), "%s/stripped", fx.dir);
	/* without HOME, go has no default cache directory */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && export GOCACHE=\"${GOCACHE:-${HOME:+$HOME/.cache/go-build}}\" && "
		 "export GOCACHE=\"${GOCACHE:-/tmp/bw-gocache}\" GOFLAGS=-mod=mod && "
		 "go build -o plain . && go build -ldflags='-s -w' -o stripped .",
		 fx.dir);
	if (system(cmd))
		return -1;
	gb = bw_gobin__open(fx.plain);
	if (!gb || bw_gobin__version(gb, &fx.v))
		return -1;
	bw_gobin__free(gb);
	have_go = true;
	return 0;
}

static int teardown_targets(void **state)
{
	char cmd[128];

	(void)state;
	if (!fx.dir[0])
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx.dir);
	return system(cmd) ? -1 : 0;
}

#define NEED_GO()                                                                       \
	do {                                                                            \
		if (!have_go) {                                                         \
			print_message("skipped: no Go toolchain ('go' not in PATH)\n"); \
			skip();                                                         \
		}                                                                       \
	} while (0)

static void assert_layout_equal(const struct bw_go_layout *a, const struct bw_go_layout *b)
{
	assert_int_equal(a->g_size, b->g_size);
	assert_int_equal(a->sched_sp, b->sched_sp);
	assert_int_equal(a->sched_pc, b->sched_pc);
	assert_int_equal(a->sched_bp, b->sched_bp);
	assert_int_equal(a->atomicstatus, b->atomicstatus);
	assert_int_equal(a->goid, b->goid);
	assert_int_equal(a->waitsince, b->waitsince);
	assert_int_equal(a->waitreason, b->waitreason);
	assert_int_equal(a->gopc, b->gopc);
	assert_int_equal(a->startpc, b->startpc);
	assert_int_equal(a->parentgoid, b->parentgoid);
	assert_int_equal(a->waiting, b->waiting);
	assert_int_equal(a->sudog_c, b->sudog_c);
	assert_int_equal(a->stack_lo, b->stack_lo);
	assert_int_equal(a->stack_hi, b->stack_hi);
}

/* The built-in go1.19 row equals what the compiler wrote in the DWARF. */
static void test_goruntime__table_equals_dwarf(void **state)
{
	struct bw_go_layout fromdw, fromtbl;

	(void)state;
	NEED_GO();
	assert_int_equal(bw_go_layout__from_dwarf(fx.plain, &fromdw), 0);
	assert_string_equal(fromdw.source, "DWARF");
	/* the facts measured by hand on go1.19 */
	assert_int_equal(fromdw.g_size, 392);
	assert_int_equal(fromdw.sched_sp, 56);
	assert_int_equal(fromdw.atomicstatus, 144);
	assert_int_equal(fromdw.goid, 152);
	assert_int_equal(fromdw.waitsince, 168);
	assert_int_equal(fromdw.waitreason, 176);
	assert_int_equal(fromdw.gopc, 296);
	assert_int_equal(fromdw.startpc, 312);
	assert_int_equal(bw_go_layout__from_table(&fx.v, &fromtbl), 0);
	assert_layout_equal(&fromdw, &fromtbl);
}

/* Old linkers wrote GNU-compressed .zdebug_* sections; libdw must read them too. */
static void test_goruntime__dwarf_zdebug(void **state)
{
	char zdebug[160], cmd[640];
	struct bw_go_layout a, b;

	(void)state;
	NEED_GO();
	if (system("command -v objcopy >/dev/null 2>&1")) {
		print_message("skipped: no objcopy to make .zdebug sections\n");
		skip();
	}
	snprintf(zdebug, sizeof(zdebug), "%s/zdebug", fx.dir);
	snprintf(cmd, sizeof(cmd),
		 "objcopy --compress-debug-sections=zlib-gnu %s %s && "
		 "readelf -S %s | grep -q zdebug_info",
		 fx.plain, zdebug, zdebug);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bw_go_layout__from_dwarf(zdebug, &a), 0);
	assert_int_equal(bw_go_layout__from_dwarf(fx.plain, &b), 0);
	assert_layout_equal(&a, &b);
}

static void test_goruntime__dwarf_missing(void **state)
{
	struct bw_go_layout l;
	struct bw_gobin *gb;

	(void)state;
	NEED_GO();
	assert_int_equal(bw_go_layout__from_dwarf(fx.stripped, &l), -ENODATA);
	assert_int_equal(bw_go_layout__from_dwarf("/nonexistent/bw", &l), -ENOENT);
	/* a stripped binary falls back to the version table */
	gb = bw_gobin__open(fx.stripped);
	assert_non_null(gb);
	assert_int_equal(bw_go_layout__for_file(gb, fx.stripped, &l), 0);
	assert_string_not_equal(l.source, "DWARF");
	bw_gobin__free(gb);
}

/* Every supported version has a complete, plausible layout and wait-reason table. */
static void test_goruntime__table_rows(void **state)
{
	(void)state;
	for (int minor = 17; minor <= 27; minor++) {
		struct bw_go_version v = { 1, minor, 0 };
		struct bw_go_layout l;

		assert_true(bw_go_version__supported(&v));
		assert_int_equal(bw_go_layout__from_table(&v, &l), 0);
		assert_true(l.sched_sp > 0 && l.sched_pc == l.sched_sp + 8 &&
			    l.sched_bp > l.sched_pc);
		assert_true(l.goid > l.atomicstatus && l.waitreason > l.waitsince);
		assert_true(l.startpc > l.gopc && l.waiting > l.startpc && l.waiting < l.g_size);
		assert_true(minor >= 21 ? l.parentgoid > 0 : l.parentgoid == -1);
		assert_non_null(l.source);
		assert_string_equal(bw_go_wait_reason(&v, 2), "IO wait");
		assert_string_equal(bw_go_wait_reason(&v, 0), "");
	}
}

struct reason_case {
	int minor, reason;
	const char *want; /* NULL: out of range */
};

static void test_goruntime__wait_reasons(void **state)
{
	static const struct reason_case cases[] = {
		{ 17, 14, "chan receive" },
		{ 17, 20, "sync.Cond.Wait" },
		{ 17, 26, "debug call" },
		{ 17, 27, NULL },
		{ 18, 21, "timer goroutine (idle)" },
		{ 19, 9, "select" },
		{ 19, 15, "chan send" },
		{ 19, 20, "sync.Cond.Wait" },
		{ 19, 21, "timer goroutine (idle)" },
		{ 20, 20, "sync.Cond.Wait" },
		{ 20, 21, "sync.Mutex.Lock" },
		{ 20, 31, "stopping the world" },
		{ 20, 32, NULL },
		{ 21, 24, "trace reader (blocked)" },
		{ 22, 36, "coroutine" },
		{ 22, 37, NULL },
		{ 23, 37, "GC weak to strong wait" },
		{ 24, 18, "semacquire" }, /* gVisor checks it: 18 before go1.25 */
		{ 24, 24, "sync.WaitGroup.Wait" },
		{ 24, 43, "select (synctest)" },
		{ 25, 18, "GOMAXPROCS updater (idle)" },
		{ 25, 19, "semacquire" }, /* 19 in go1.25 */
		{ 25, 14, "chan receive" },
		{ 25, 46, "cleanup wait" },
		{ 26, 8, "GC sweep wait" },
		{ 26, 13, "semacquire" }, /* go1.26: 13, select 18, chan receive 19 */
		{ 26, 18, "select" },
		{ 26, 19, "chan receive" },
		{ 26, 21, "sync.Cond.Wait" },
		{ 26, 46, "cleanup wait" },
		{ 26, 47, NULL },
		{ 27, 11, "force gc (idle)" },
		{ 19, -1, NULL },
		{ 19, 255, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bw_go_version v = { 1, cases[i].minor, 0 };
		const char *got = bw_go_wait_reason(&v, cases[i].reason);

		if (!cases[i].want ? got != NULL : !got || strcmp(got, cases[i].want))
			fail_msg("go1.%d reason %d: got '%s', want '%s'", cases[i].minor,
				 cases[i].reason, got ? got : "(null)",
				 cases[i].want ? cases[i].want : "(null)");
	}
}

static void test_goruntime__unsupported(void **state)
{
	static const struct bw_go_version bad[] = {
		{ 1, 99, 0 }, { 1, 15, 0 }, { 1, 16, 15 }, { 2, 0, 0 }, { 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bw_go_layout l;

		assert_int_equal(bw_go_layout__from_table(&bad[i], &l), -ENOTSUP);
		assert_false(bw_go_version__supported(&bad[i]));
		assert_null(bw_go_wait_reason(&bad[i], 2));
	}
	assert_string_equal(bw_go_status_name(BW_G_WAITING | BW_G_SCAN), "waiting");
	assert_string_equal(bw_go_status_name(77), "unknown");
}

/*
 * .symtab and the code of forEachG name the same runtime.allgs. The
 * -ldflags='-s -w' build is another link (its data moved), so the
 * comparison strips the very same link with objcopy; the -s -w build is
 * checked live below.
 */
static void test_goruntime__allgs_by_code(void **state)
{
	uint64_t sym, code, code_same, code_sw, any_sw;
	struct bw_gobin *plain, *same, *sw;
	char same_path[160], cmd[400];

	(void)state;
	NEED_GO();
	snprintf(same_path, sizeof(same_path), "%s/plain-strip-all", fx.dir);
	snprintf(cmd, sizeof(cmd), "objcopy --strip-all %s %s", fx.plain, same_path);
	assert_int_equal(system(cmd), 0);
	plain = bw_gobin__open(fx.plain);
	same = bw_gobin__open(same_path);
	sw = bw_gobin__open(fx.stripped);
	assert_non_null(plain);
	assert_non_null(same);
	assert_non_null(sw);
	sym = bw_gobin__symbol(plain, "runtime.allgs");
	assert_true(sym != 0);
	assert_int_equal(bw_gobin__symbol(same, "runtime.allgs"), 0);
	assert_int_equal(bw_go_find_allgs_by_code(plain, &code), 0);
	assert_int_equal(bw_go_find_allgs_by_code(same, &code_same), 0);
	assert_int_equal(code, sym);
	assert_int_equal(code_same, sym);
	assert_int_equal(bw_go_find_allgs_by_code(sw, &code_sw), 0);
	assert_int_equal(bw_go_find_allgs(sw, &any_sw), 0);
	assert_int_equal(any_sw, code_sw);
	bw_gobin__free(plain);
	bw_gobin__free(same);
	bw_gobin__free(sw);
}

/* ---- live targets ---- */

struct target {
	pid_t pid;
	struct bw_gobin *gb;
	struct bw_gosnap *snap;
};

static int start_target(const char *bin, int k, int s, struct target *t)
{
	char ks[16], ss[16], line[32];
	int pfd[2];
	FILE *f;

	snprintf(ks, sizeof(ks), "%d", k);
	snprintf(ss, sizeof(ss), "%d", s);
	if (pipe(pfd))
		return -errno;
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (!t->pid) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(bin, bin, ks, ss, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (!f || !fgets(line, sizeof(line), f) || strcmp(line, "ready\n"))
		return -EIO;
	fclose(f);
	t->gb = bw_gobin__open(bin);
	return t->gb ? 0 : -ENOEXEC;
}

static void stop_target(struct target *t)
{
	bw_gosnap__free(t->snap);
	bw_gobin__free(t->gb);
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
}

struct tally {
	const struct bw_gobin *gb;
	int recv, recv_bad_reason, sel, waiting;
	uint64_t recv_chan, sel_chans[2];
	int recv_chans;
	bool bad_goid;
};

static bool frames_include(const struct bw_gobin *gb, const struct bw_goroutine *g,
			   const char *func)
{
	for (int i = 0; i < g->nframes; i++) {
		struct bw_go_func f;

		/* return addresses: the call is the byte before */
		if (!bw_gobin__func_at(gb, g->frames[i] - 1, &f) && !strcmp(f.name, func))
			return true;
	}
	return false;
}

static void on_g(void *ctx, const struct bw_goroutine *g)
{
	struct tally *t = ctx;

	if (g->goid == 0 || g->goid > 1000000)
		t->bad_goid = true;
	if (g->status != BW_G_WAITING)
		return;
	t->waiting++;
	if (frames_include(t->gb, g, "main.blockRecv")) {
		t->recv++;
		if (!g->wait_reason_name || strcmp(g->wait_reason_name, "chan receive"))
			t->recv_bad_reason++;
		if (g->wait_object && g->wait_object != t->recv_chan) {
			t->recv_chans++;
			t->recv_chan = g->wait_object;
		}
	} else if (frames_include(t->gb, g, "main.blockSelect")) {
		if (g->wait_reason_name && !strcmp(g->wait_reason_name, "select"))
			t->sel++;
	}
}

/* Poll until every target goroutine is parked (they park just after wg.Done). */
static void read_until(struct target *t, int k, int s, struct tally *out,
		       struct bw_gosnap_stats *st)
{
	for (int tries = 0; tries < 200; tries++) {
		*out = (struct tally){ .gb = t->gb };
		assert_int_equal(bw_gosnap__read(t->snap, on_g, out, st), 0);
		if (out->recv == k && out->sel == s)
			return;
		usleep(10000);
	}
}

static void check_live(const char *bin)
{
	enum { K = 50, S = 7 };
	struct target t = {};
	struct bw_gosnap_stats st;
	struct tally tl;
	int err;

	NEED_GO();
	assert_int_equal(start_target(bin, K, S, &t), 0);
	t.snap = bw_gosnap__new(t.pid, t.gb, 0);
	if (!t.snap && (errno == EPERM || errno == EACCES)) {
		stop_target(&t);
		print_message("skipped: no permission to read /proc/PID/mem of a child\n");
		skip();
	}
	assert_non_null(t.snap);
	read_until(&t, K, S, &tl, &st);
	assert_int_equal(tl.recv, K);
	assert_int_equal(tl.recv_bad_reason, 0);
	assert_int_equal(tl.sel, S);
	assert_int_equal(tl.recv_chans, 1); /* all K wait on the same channel */
	assert_true(tl.recv_chan != 0);
	assert_false(tl.bad_goid);
	assert_int_equal(st.torn, 0);
	/* + main (select (no cases)) and the runtime's own (GC workers, finalizer...) */
	assert_true(st.waiting >= K + S + 1 && st.total >= st.waiting);
	/* nothing moved: the second read walks no stack of a blocked goroutine again */
	err = bw_gosnap__read(t.snap, on_g, &tl, &st);
	assert_int_equal(err, 0);
	assert_true(st.cached >= K + S);
	stop_target(&t);
}

static void test_goruntime__live_unstripped(void **state)
{
	(void)state;
	check_live(fx.plain);
}

static void test_goruntime__live_stripped(void **state)
{
	(void)state;
	check_live(fx.stripped);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void count_only(void *ctx, const struct bw_goroutine *g)
{
	(*(uint64_t *)ctx) += g->status == BW_G_WAITING;
}

/* Time to read n blocked goroutines (first read walks every stack, the next ones hit the cache). */
static void bench(int n)
{
	struct bw_gosnap_stats first, again;
	struct target t = {};
	uint64_t waiting = 0, t0 = now_ms();

	NEED_GO();
	assert_int_equal(start_target(fx.stripped, n, 0, &t), 0);
	t.snap = bw_gosnap__new(t.pid, t.gb, 0);
	if (!t.snap) {
		stop_target(&t);
		skip();
	}
	assert_int_equal(bw_gosnap__read(t.snap, count_only, &waiting, &first), 0);
	waiting = 0;
	assert_int_equal(bw_gosnap__read(t.snap, count_only, &waiting, &again), 0);
	assert_true(waiting >= (uint64_t)n);
	print_message("%d blocked goroutines: first read %.1f ms (%llu stacks walked), "
		      "next read %.1f ms (%llu from cache), torn %llu; target start %llu ms\n",
		      n, first.read_ns / 1e6, (unsigned long long)first.walked, again.read_ns / 1e6,
		      (unsigned long long)again.cached, (unsigned long long)again.torn,
		      (unsigned long long)(now_ms() - t0));
	stop_target(&t);
}

static void test_goruntime__bench_10k(void **state)
{
	(void)state;
	bench(10000);
}

/* 100,000 goroutines take ~250 MB of target memory: only on request */
static void test_goruntime__bench_100k(void **state)
{
	(void)state;
	if (!getenv("BW_BENCH")) {
		print_message("skipped: set BW_BENCH=1 to read 100,000 goroutines\n");
		skip();
	}
	bench(100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goruntime__table_rows),
		cmocka_unit_test(test_goruntime__wait_reasons),
		cmocka_unit_test(test_goruntime__unsupported),
		cmocka_unit_test(test_goruntime__table_equals_dwarf),
		cmocka_unit_test(test_goruntime__dwarf_zdebug),
		cmocka_unit_test(test_goruntime__dwarf_missing),
		cmocka_unit_test(test_goruntime__allgs_by_code),
		cmocka_unit_test(test_goruntime__live_unstripped),
		cmocka_unit_test(test_goruntime__live_stripped),
		cmocka_unit_test(test_goruntime__bench_10k),
		cmocka_unit_test(test_goruntime__bench_100k),
	};

	return cmocka_run_group_tests(tests, setup_targets, teardown_targets);
}
