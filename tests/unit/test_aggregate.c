// SPDX-License-Identifier: BSD-2-Clause
/* Sites, ages, completed waits, history and eviction (user/aggregate.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aggregate.h"
#include "hist.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MS 1000000ULL
#define SEC 1000000000ULL

/* ---- a symbolizer that knows a few addresses, and remembers what it was asked ---- */

static const struct {
	uint64_t addr;
	const char *function, *module;
} known[] = {
	{ 0x1000, "runtime.gopark", "/srv/goapp" },
	{ 0x1100, "runtime.chanrecv", "/srv/goapp" },
	{ 0x1200, "runtime.chanrecv1", "/srv/goapp" },
	{ 0x1300, "main.leak", "/srv/goapp" },
	{ 0x1400, "runtime.goexit", "/srv/goapp" },
	{ 0x1500, "sync.runtime_SemacquireMutex", "/srv/goapp" },
	{ 0x1600, "sync.(*Mutex).lockSlow", "/srv/goapp" },
	{ 0x1700, "sync.(*Mutex).Lock", "/srv/goapp" },
	{ 0x1800, "main.(*cache).get", "/srv/goapp" },
	{ 0x1900, "internal/poll.runtime_pollWait", "/srv/goapp" },
	{ 0x1a00, "internal/poll.(*FD).Read", "/srv/goapp" },
	{ 0x1b00, "net.(*conn).Read", "/srv/goapp" },
	{ 0x1c00, "time.Sleep", "/srv/goapp" },
	{ 0x1d00, "main.worker", "/srv/goapp" },
	{ 0x1e00, "runtime.selectgo", "/srv/goapp" },
	{ 0x1f00, "main.main.func1", "/srv/goapp" },
	{ 0x7f0001, "__futex_abstimed_wait_common", "/usr/lib/x86_64-linux-gnu/libc.so.6" },
	{ 0x7f0002, "pthread_mutex_lock", "/usr/lib/x86_64-linux-gnu/libc.so.6" },
	{ 0x7f0003, "_dl_sysdep_start", "/lib64/ld-linux-x86-64.so.2" },
	{ 0x7f0004, "std::condition_variable::wait", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6" },
	{ 0x7f0005, "pthread_cond_wait", "/lib/x86_64-linux-gnu/libc-2.31.so" },
	{ 0x401000, "worker", "/usr/bin/app" },
	{ 0x401100, "main", "/usr/bin/app" },
	{ 0x402000, "helper", "/usr/lib/libapp.so" },
	{ 0x403000, "nomodule", NULL },
	{ 0xffffffff81000000ULL, "futex_wait", "[kernel]" },
};

struct resolve_call {
	uint64_t addr;
	bool kernel, is_return;
};

struct resolver {
	struct resolve_call calls[512];
	size_t ncalls;
};

/*
 * Addresses where the compiler inlined calls: several frames each, innermost
 * first, as bw_symbolizer__resolve_frames gives them.
 */
static const struct {
	uint64_t addr;
	int n;
	struct {
		const char *function, *file;
		int line;
	} f[3];
} inlined[] = {
	/* sync.(*Mutex).Lock inlined into main.bump (test_go_forgotten_unlock) */
	{ 0x2000,
	  2,
	  { { "sync.(*Mutex).Lock", "sync/mutex.go", 90 }, { "main.bump", "main.go", 23 } } },
	/* http.Get and (*Client).Get inlined into main.fetch */
	{ 0x2100,
	  3,
	  { { "net/http.(*Client).Get", "net/http/client.go", 479 },
	    { "net/http.Get", "net/http/client.go", 448 },
	    { "main.fetch", "main.go", 42 } } },
};

static int resolve_inlined(uint64_t addr, struct bw_frame_info *out, int max)
{
	for (size_t i = 0; i < ARRAY_SIZE(inlined); i++) {
		if (inlined[i].addr != addr)
			continue;
		assert_true(inlined[i].n <= max);
		for (int j = 0; j < inlined[i].n; j++)
			out[j] = (struct bw_frame_info){ .addr = addr,
							 .function = inlined[i].f[j].function,
							 .file = inlined[i].f[j].file,
							 .line = inlined[i].f[j].line,
							 .offset = 8,
							 .module = "/srv/goapp",
							 .inlined = j < inlined[i].n - 1 };
		return inlined[i].n;
	}
	return -ENOENT;
}

static int resolve(void *ctx, pid_t pid, uint64_t addr, bool kernel, bool is_return,
		   struct bw_frame_info *out, int max)
{
	struct resolver *r = ctx;

	(void)pid;
	assert_true(max >= 1);
	if (r->ncalls < ARRAY_SIZE(r->calls))
		r->calls[r->ncalls++] = (struct resolve_call){ addr, kernel, is_return };
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		if (known[i].addr == addr) {
			out->function = known[i].function;
			out->module = known[i].module;
			out->file = "x.go";
			out->line = 42;
			out->offset = 4;
			return 1;
		}
	}
	return resolve_inlined(addr, out, max);
}

static size_t calls_for(const struct resolver *r, uint64_t addr)
{
	size_t n = 0;

	for (size_t i = 0; i < r->ncalls; i++)
		n += r->calls[i].addr == addr;
	return n;
}

/* ---- fixtures: each test gets a fresh aggregator, freed even when it fails ---- */

struct fix {
	struct bw_agg *agg;
	struct resolver r;
};

static int setup_with(void **state, size_t history_cap, size_t max_sites)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct bw_agg_opts opts = {
		.resolve = resolve,
		.history_cap = history_cap,
		.max_sites = max_sites,
	};

	if (!f)
		return -1;
	opts.resolve_ctx = &f->r;
	f->agg = bw_agg__new(&opts);
	if (!f->agg) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0, 0);
}

static int setup_history4(void **state)
{
	return setup_with(state, 4, 0);
}

static int setup_max2(void **state)
{
	return setup_with(state, 0, 2);
}

static int teardown(void **state)
{
	struct fix *f = *state;

	bw_agg__free(f->agg);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static const uint64_t stack_a[] = { 0x1000, 0x1200, 0x1300, 0x1400 };
static const uint64_t stack_b[] = { 0x1000, 0x1500, 0x1700, 0x1800, 0x1400 };
static const uint64_t stack_c[] = { 0x1000, 0x1c00, 0x1d00 };
static const uint64_t stack_t[] = { 0x7f0001, 0x7f0002, 0x401000, 0x401100 };

/* A goroutine waiter; later designators (.reason = ...) override the defaults. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define WAITER(pid_, id_, frames_, ...)                         \
	((struct bw_waiter_in){ .pid = (pid_),                  \
				.waiter_id = (id_),             \
				.kind = BW_KIND_GOROUTINE,      \
				.reason = "chan receive",       \
				.frames = (frames_),            \
				.nframes = ARRAY_SIZE(frames_), \
				__VA_ARGS__ })

static void add(struct bw_agg *agg, struct bw_waiter_in w)
{
	assert_int_equal(bw_agg__add_waiter(agg, &w), 0);
}

static uint64_t id_of(const struct bw_waiter_in *w)
{
	return bw_site_id(w->pid, w->kind, w->reason, w->frames, w->nframes);
}

/* The active site with this id, or NULL; sites stay owned by agg. */
static struct bw_site *active(struct bw_agg *agg, uint64_t id)
{
	struct bw_site **v, *found = NULL;
	size_t n;

	assert_int_equal(bw_agg__sites(agg, BW_SORT_BLOCKED, &v, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (v[i]->id == id)
			found = v[i];
	free(v);
	return found;
}

static size_t active_count(struct bw_agg *agg)
{
	struct bw_site **v;
	size_t n;

	assert_int_equal(bw_agg__sites(agg, BW_SORT_BLOCKED, &v, &n), 0);
	free(v);
	return n;
}

/* ---- tests ---- */

static void test_aggregate__kind_names(void **state)
{
	static const struct {
		int kind;
		const char *name;
	} cases[] = {
		{ BW_KIND_FUTEX, "futex" },
		{ BW_KIND_OFFCPU, "offcpu" },
		{ BW_KIND_GOROUTINE, "goroutine" },
		{ BW_KIND__COUNT, "unknown" },
		{ -1, "unknown" },
		{ 1000, "unknown" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_string_equal(bw_site_kind_name(cases[i].kind), cases[i].name);
}

/* Two waiters share a site exactly when pid, kind, reason and stack are equal. */
static void test_aggregate__site_identity(void **state)
{
	static const uint64_t reversed[] = { 0x1400, 0x1300, 0x1200, 0x1000 };
	static const uint64_t prefix[] = { 0x1000, 0x1200, 0x1300 };
	const struct {
		const char *name;
		struct bw_waiter_in other;
		bool same;
	} cases[] = {
		{ "another waiter", WAITER(100, 2, stack_a), true },
		{ "another waiter, other object", WAITER(100, 2, stack_a, .object = 0x99), true },
		{ "another reason", WAITER(100, 2, stack_a, .reason = "chan send"), false },
		{ "another kind", WAITER(100, 2, stack_a, .kind = BW_KIND_FUTEX), false },
		{ "another pid", WAITER(101, 1, stack_a), false },
		{ "another stack", WAITER(100, 2, stack_b), false },
		{ "reversed stack", WAITER(100, 2, reversed), false },
		{ "shorter stack", WAITER(100, 2, prefix), false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fix *f = *state;
		struct bw_waiter_in base = WAITER(100, 1, stack_a);
		struct bw_site *a, *b;

		bw_agg__begin(f->agg, (i + 1) * SEC);
		add(f->agg, base);
		add(f->agg, cases[i].other);
		bw_agg__end(f->agg);
		a = active(f->agg, id_of(&base));
		b = active(f->agg, id_of(&cases[i].other));
		if (!a || !b)
			fail_msg("%s: a site is missing", cases[i].name);
		if ((a == b) != cases[i].same)
			fail_msg("%s: same site is %d, want %d", cases[i].name, a == b,
				 cases[i].same);
		assert_int_equal(active_count(f->agg), cases[i].same ? 1 : 2);
		assert_int_equal(a->blocked + (a == b ? 0 : b->blocked), 2);
		assert_int_equal(a->blocked, cases[i].same ? 2 : 1);
		/* the site id is a pure function of its arguments */
		assert_int_equal(a->id, id_of(&base));
		/* start the next case from nothing */
		bw_agg__forget_process(f->agg, 100);
		bw_agg__forget_process(f->agg, 101);
		assert_int_equal(bw_agg__site_count(f->agg), 0);
	}
}

static void test_aggregate__blocked_per_interval(void **state)
{
	static const struct {
		int waiters_a, waiters_b;
	} intervals[] = { { 3, 0 }, { 1, 2 }, { 0, 0 }, { 2, 1 }, { 0, 5 } };
	struct fix *f = *state;
	struct bw_waiter_in a = WAITER(100, 0, stack_a), b = WAITER(100, 0, stack_b);

	for (size_t i = 0; i < ARRAY_SIZE(intervals); i++) {
		struct bw_site *sa, *sb;

		bw_agg__begin(f->agg, (i + 1) * SEC);
		assert_int_equal(bw_agg__now(f->agg), (i + 1) * SEC);
		for (int k = 0; k < intervals[i].waiters_a; k++)
			add(f->agg, WAITER(100, 10 + k, stack_a));
		for (int k = 0; k < intervals[i].waiters_b; k++)
			add(f->agg, WAITER(100, 20 + k, stack_b));
		bw_agg__end(f->agg);
		sa = active(f->agg, id_of(&a));
		sb = active(f->agg, id_of(&b));
		/* a site with nobody blocked and no completed wait is not listed */
		assert_true(!sa == !intervals[i].waiters_a);
		assert_true(!sb == !intervals[i].waiters_b);
		if (sa)
			assert_int_equal(sa->blocked, intervals[i].waiters_a);
		if (sb)
			assert_int_equal(sb->blocked, intervals[i].waiters_b);
		assert_int_equal(active_count(f->agg),
				 !!intervals[i].waiters_a + !!intervals[i].waiters_b);
	}
	/* idle sites are kept (below max_sites) */
	assert_int_equal(bw_agg__site_count(f->agg), 2);
}

/* One waiter over several intervals: its age, and whether it is only a lower bound. */
static void test_aggregate__ages(void **state)
{
	enum { ABSENT = -1, A = 0, B = 1 };
	static const struct {
		const char *name;
		struct step {
			uint64_t now;
			int site;
			uint64_t start, hint;
			uint64_t age;
			bool lower_bound;
		} steps[6];
		size_t nsteps;
	} cases[] = {
		{ "exact start",
		  { { 10 * SEC, A, 4 * SEC, 0, 6 * SEC, false },
		    { 12 * SEC, A, 4 * SEC, 0, 8 * SEC, false } },
		  2 },
		{ "first seen, three intervals",
		  { { 1 * SEC, A, 0, 0, 0, true },
		    { 2 * SEC, A, 0, 0, 1 * SEC, true },
		    { 3 * SEC, A, 0, 0, 2 * SEC, true } },
		  3 },
		{ "start hint on first sight only",
		  { { 10 * SEC, A, 0, 7 * SEC, 3 * SEC, true },
		    { 11 * SEC, A, 0, 9 * SEC, 4 * SEC, true } },
		  2 },
		{ "hint in the future ignored",
		  { { 10 * SEC, A, 0, 12 * SEC, 0, true }, { 11 * SEC, A, 0, 0, 1 * SEC, true } },
		  2 },
		{ "exact start learned later",
		  { { 1 * SEC, A, 0, 0, 0, true }, { 2 * SEC, A, 500 * MS, 0, 1500 * MS, false } },
		  2 },
		{ "exact start kept when no longer given",
		  { { 10 * SEC, A, 4 * SEC, 0, 6 * SEC, false },
		    { 11 * SEC, A, 0, 0, 7 * SEC, false } },
		  2 },
		{ "start in the future is age 0", { { 10 * SEC, A, 11 * SEC, 0, 0, false } }, 1 },
		{ "moving to another site resets the age",
		  { { 1 * SEC, A, 0, 0, 0, true },
		    { 2 * SEC, A, 0, 0, 1 * SEC, true },
		    { 3 * SEC, B, 0, 0, 0, true },
		    { 4 * SEC, B, 0, 0, 1 * SEC, true },
		    { 5 * SEC, A, 0, 4500 * MS, 500 * MS, true },
		    { 6 * SEC, A, 0, 0, 1500 * MS, true } },
		  6 },
		{ "a waiter not seen is forgotten",
		  { { 1 * SEC, A, 0, 0, 0, true },
		    { 2 * SEC, A, 0, 0, 1 * SEC, true },
		    { 3 * SEC, ABSENT, 0, 0, 0, false },
		    { 4 * SEC, A, 0, 0, 0, true },
		    { 5 * SEC, A, 0, 0, 1 * SEC, true } },
		  5 },
	};
	struct bw_waiter_in proto[2] = { WAITER(100, 7, stack_a), WAITER(100, 7, stack_b) };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fix *f = *state;

		for (size_t k = 0; k < cases[i].nsteps; k++) {
			const struct step *st = &cases[i].steps[k];
			struct bw_site *sa, *sb, *s;

			bw_agg__begin(f->agg, st->now);
			if (st->site != ABSENT) {
				struct bw_waiter_in w = proto[st->site];

				w.start_ns = st->start;
				w.start_hint_ns = st->hint;
				add(f->agg, w);
			}
			bw_agg__end(f->agg);
			sa = active(f->agg, id_of(&proto[A]));
			sb = active(f->agg, id_of(&proto[B]));
			/* the waiter is counted at one site only */
			assert_true(!sa || st->site == A);
			assert_true(!sb || st->site == B);
			if (st->site == ABSENT)
				continue;
			s = st->site == A ? sa : sb;
			if (!s)
				fail_msg("%s, step %zu: site missing", cases[i].name, k);
			if (s->oldest_age_ns != st->age ||
			    s->oldest_is_lower_bound != st->lower_bound)
				fail_msg("%s, step %zu: age %llu (bound %d), want %llu (bound %d)",
					 cases[i].name, k, (unsigned long long)s->oldest_age_ns,
					 s->oldest_is_lower_bound, (unsigned long long)st->age,
					 st->lower_bound);
			assert_int_equal(s->blocked, 1);
			assert_int_equal(s->oldest_waiter, 7);
			assert_int_equal(s->age_sum_ns, st->age);
			assert_int_equal(s->age_hist[bw_hist_slot(st->age)], 1);
		}
		/* the next case starts with no waiter known */
		bw_agg__begin(f->agg, 100 * SEC);
		bw_agg__end(f->agg);
	}
}

/* Several waiters at one site: oldest, sum and histogram of ages. */
static void test_aggregate__age_stats(void **state)
{
	static const struct {
		uint64_t id, start;
	} waiters[] = {
		{ 11, 9 * SEC }, /* 1 s */
		{ 12, 5 * SEC }, /* 5 s: the oldest */
		{ 13, 7 * SEC }, /* 3 s */
		{ 14, 0 },	 /* first seen now: 0 */
	};
	struct fix *f = *state;
	struct bw_site *s;

	bw_agg__begin(f->agg, 10 * SEC);
	for (size_t i = 0; i < ARRAY_SIZE(waiters); i++)
		add(f->agg, WAITER(100, waiters[i].id, stack_a, .start_ns = waiters[i].start));
	bw_agg__end(f->agg);
	s = active(f->agg, bw_site_id(100, BW_KIND_GOROUTINE, "chan receive", stack_a, 4));
	assert_non_null(s);
	assert_int_equal(s->blocked, 4);
	assert_int_equal(s->oldest_age_ns, 5 * SEC);
	assert_int_equal(s->oldest_waiter, 12);
	assert_false(s->oldest_is_lower_bound);
	assert_int_equal(s->age_sum_ns, 9 * SEC);
	assert_int_equal(bw_hist_total(s->age_hist), 4);
	assert_int_equal(s->age_hist[bw_hist_slot(0)], 1);
	assert_int_equal(s->age_hist[bw_hist_slot(1 * SEC)], 1);
	assert_int_equal(s->age_hist[bw_hist_slot(3 * SEC)], 1);
	assert_int_equal(s->age_hist[bw_hist_slot(5 * SEC)], 1);

	/* the next interval starts over: only what is seen then counts */
	bw_agg__begin(f->agg, 11 * SEC);
	add(f->agg, WAITER(100, 11, stack_a));
	bw_agg__end(f->agg);
	assert_int_equal(s->blocked, 1);
	assert_int_equal(s->oldest_age_ns, 2 * SEC); /* exact start kept */
	assert_int_equal(s->oldest_waiter, 11);
	assert_int_equal(s->age_sum_ns, 2 * SEC);
	assert_int_equal(bw_hist_total(s->age_hist), 1);
}

/* Distinct futexes or channels per site, per interval; 0 is no object. */
static void test_aggregate__objects(void **state)
{
	static const struct {
		uint64_t objects_a[5], objects_b[5];
		size_t na, nb;
		uint32_t want_a, want_b;
	} intervals[] = {
		{ { 0xa, 0xa, 0xb, 0 }, { 0xa }, 4, 1, 2, 1 },
		{ { 0xa }, { 0xc, 0xd, 0xe, 0xc }, 1, 4, 1, 3 },
		{ { 0, 0, 0 }, { 0 }, 3, 1, 0, 0 },
	};
	struct fix *f = *state;
	struct bw_waiter_in a = WAITER(100, 0, stack_a), b = WAITER(100, 0, stack_b);

	for (size_t i = 0; i < ARRAY_SIZE(intervals); i++) {
		bw_agg__begin(f->agg, (i + 1) * SEC);
		for (size_t k = 0; k < intervals[i].na; k++)
			add(f->agg,
			    WAITER(100, 10 + k, stack_a, .object = intervals[i].objects_a[k]));
		for (size_t k = 0; k < intervals[i].nb; k++)
			add(f->agg,
			    WAITER(100, 20 + k, stack_b, .object = intervals[i].objects_b[k]));
		bw_agg__end(f->agg);
		assert_int_equal(active(f->agg, id_of(&a))->objects, intervals[i].want_a);
		assert_int_equal(active(f->agg, id_of(&b))->objects, intervals[i].want_b);
	}
}

static void test_aggregate__completed(void **state)
{
	struct fix *f = *state;
	uint64_t hist1[BW_HIST_SLOTS] = { 0 }, hist2[BW_HIST_SLOTS] = { 0 };
	struct bw_completed_in c = {
		.pid = 100,
		.kind = BW_KIND_FUTEX,
		.reason = "futex_wait",
		.frames = stack_t,
		.nframes = ARRAY_SIZE(stack_t),
		.count = 5,
		.total_ns = 500 * MS,
		.max_ns = 200 * MS,
		.hist = hist1,
		.waker_pid = 4242,
		.waker_comm = "a-very-long-command-name",
	};
	uint64_t id = bw_site_id(100, BW_KIND_FUTEX, "futex_wait", stack_t, 4);
	struct bw_site *s;

	hist1[bw_hist_slot(50 * MS)] = 4;
	hist1[bw_hist_slot(200 * MS)] = 1;
	hist2[bw_hist_slot(50 * MS)] = 2;

	bw_agg__begin(f->agg, 1 * SEC);
	assert_int_equal(bw_agg__add_completed(f->agg, &c), 0);
	bw_agg__end(f->agg);
	s = active(f->agg, id);
	assert_non_null(s);
	assert_int_equal(s->blocked, 0);
	assert_int_equal(s->waits_interval, 5);
	assert_int_equal(s->waits_total, 5);
	assert_int_equal(s->wait_ns_interval, 500 * MS);
	assert_int_equal(s->wait_ns_total, 500 * MS);
	assert_int_equal(s->wait_max_interval_ns, 200 * MS);
	assert_int_equal(s->wait_max_ns, 200 * MS);
	assert_memory_equal(s->wait_hist_interval, hist1, sizeof(hist1));
	assert_memory_equal(s->wait_hist, hist1, sizeof(hist1));
	assert_int_equal(s->last_waker_pid, 4242);
	assert_string_equal(s->last_waker_comm, "a-very-long-com"); /* BW_COMM_LEN - 1 */
	assert_int_equal(s->last_active_ns, 1 * SEC);

	/* interval fields restart at begin(); totals and the maximum go on */
	bw_agg__begin(f->agg, 2 * SEC);
	assert_int_equal(s->waits_interval, 0);
	assert_int_equal(s->wait_ns_interval, 0);
	assert_int_equal(s->wait_max_interval_ns, 0);
	assert_int_equal(bw_hist_total(s->wait_hist_interval), 0);
	c.count = 2;
	c.total_ns = 100 * MS;
	c.max_ns = 60 * MS;
	c.hist = hist2;
	c.waker_pid = 0; /* unknown: the last known waker stays */
	assert_int_equal(bw_agg__add_completed(f->agg, &c), 0);
	/* the same site again in the interval adds up */
	c.count = 1;
	c.total_ns = 10 * MS;
	c.max_ns = 10 * MS;
	c.hist = NULL;
	assert_int_equal(bw_agg__add_completed(f->agg, &c), 0);
	/* zero waits: nothing, not even a site */
	c.count = 0;
	c.pid = 999;
	assert_int_equal(bw_agg__add_completed(f->agg, &c), 0);
	bw_agg__end(f->agg);
	assert_int_equal(bw_agg__site_count(f->agg), 1);
	assert_int_equal(s->waits_interval, 3);
	assert_int_equal(s->waits_total, 8);
	assert_int_equal(s->wait_ns_interval, 110 * MS);
	assert_int_equal(s->wait_ns_total, 610 * MS);
	assert_int_equal(s->wait_max_interval_ns, 60 * MS);
	assert_int_equal(s->wait_max_ns, 200 * MS);
	assert_int_equal(s->wait_hist_interval[bw_hist_slot(50 * MS)], 2);
	assert_int_equal(bw_hist_total(s->wait_hist_interval), 2);
	assert_int_equal(s->wait_hist[bw_hist_slot(50 * MS)], 6);
	assert_int_equal(bw_hist_total(s->wait_hist), 7);
	assert_int_equal(s->last_waker_pid, 4242);

	/* an interval without waits: the site is idle, no longer listed */
	bw_agg__begin(f->agg, 3 * SEC);
	bw_agg__end(f->agg);
	assert_null(active(f->agg, id));
	assert_int_equal(s->last_active_ns, 2 * SEC);
	assert_int_equal(s->waits_total, 8);
}

/* A thread blocked now and the completed waits of the same stack are one site. */
static void test_aggregate__completed_and_blocked_share_site(void **state)
{
	struct fix *f = *state;
	struct bw_completed_in c = { .pid = 100,
				     .kind = BW_KIND_FUTEX,
				     .reason = "futex_wait",
				     .frames = stack_t,
				     .nframes = 4,
				     .count = 3 };
	struct bw_waiter_in w = { .pid = 100,
				  .waiter_id = 101,
				  .kind = BW_KIND_FUTEX,
				  .reason = "futex_wait",
				  .frames = stack_t,
				  .nframes = 4 };
	struct bw_site *s;

	bw_agg__begin(f->agg, SEC);
	add(f->agg, w);
	assert_int_equal(bw_agg__add_completed(f->agg, &c), 0);
	bw_agg__end(f->agg);
	assert_int_equal(bw_agg__site_count(f->agg), 1);
	s = active(f->agg, id_of(&w));
	assert_non_null(s);
	assert_int_equal(s->blocked, 1);
	assert_int_equal(s->waits_interval, 3);
}

/*
 * An interval without a snapshot (the final report): its own completed
 * waits only, what is blocked as the last snapshot saw it, no history sample.
 */
static void test_aggregate__waits_only_interval(void **state)
{
	struct fix *f = *state;
	struct bw_completed_in c = { .pid = 100,
				     .kind = BW_KIND_FUTEX,
				     .reason = "futex_wait",
				     .frames = stack_t,
				     .nframes = 4,
				     .count = 3,
				     .total_ns = 30 * MS,
				     .max_ns = 20 * MS };
	struct bw_waiter_in w = { .pid = 100,
				  .waiter_id = 101,
				  .kind = BW_KIND_FUTEX,
				  .reason = "futex_wait",
				  .frames = stack_t,
				  .nframes = 4 };
	struct bw_site *s;
	size_t history_len;

	bw_agg__begin(f->agg, SEC);
	add(f->agg, w);
	assert_int_equal(bw_agg__add_completed(f->agg, &c), 0);
	bw_agg__end(f->agg);
	s = active(f->agg, id_of(&w));
	assert_non_null(s);
	history_len = s->history_len;
	assert_int_equal(history_len, 1);

	/* nothing completed since: the site shows no waits, not the last interval's again */
	bw_agg__begin_waits(f->agg, SEC + 1000);
	bw_agg__end(f->agg);
	assert_ptr_equal(active(f->agg, id_of(&w)), s);
	assert_int_equal(s->waits_interval, 0);
	assert_int_equal(s->wait_ns_interval, 0);
	assert_int_equal(s->wait_max_interval_ns, 0);
	assert_int_equal(s->waits_total, 3);
	assert_int_equal(s->blocked, 1);
	assert_int_equal(s->oldest_waiter, 101);
	assert_int_equal(s->history_len, history_len);

	/* two completed since: those two alone */
	bw_agg__begin_waits(f->agg, 2 * SEC);
	c.count = 2;
	assert_int_equal(bw_agg__add_completed(f->agg, &c), 0);
	bw_agg__end(f->agg);
	assert_int_equal(s->waits_interval, 2);
	assert_int_equal(s->waits_total, 5);
	assert_int_equal(s->blocked, 1);
	assert_int_equal(s->last_active_ns, 2 * SEC);
	assert_int_equal(s->history_len, history_len);

	/* the waiter is still known: a snapshot after it keeps its age */
	bw_agg__begin(f->agg, 3 * SEC);
	add(f->agg, w);
	bw_agg__end(f->agg);
	assert_int_equal(s->waits_interval, 0);
	assert_int_equal(s->oldest_age_ns, 2 * SEC);
}

/* history_cap 4: the last four "blocked now" samples, oldest first. */
static void test_aggregate__history(void **state)
{
	static const uint32_t blocked[] = { 1, 2, 0, 3, 5, 4, 0 };
	static const struct {
		uint32_t samples[4];
		size_t len;
	} want[] = {
		{ { 1 }, 1 },	       { { 1, 2 }, 2 },	      { { 1, 2, 0 }, 3 },
		{ { 1, 2, 0, 3 }, 4 }, { { 2, 0, 3, 5 }, 4 }, { { 0, 3, 5, 4 }, 4 },
		{ { 3, 5, 4, 0 }, 4 },
	};
	struct fix *f = *state;
	struct bw_waiter_in a = WAITER(100, 0, stack_a);
	struct bw_site *s = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(blocked); i++) {
		bw_agg__begin(f->agg, (i + 1) * SEC);
		for (uint32_t k = 0; k < blocked[i]; k++)
			add(f->agg, WAITER(100, 10 + k, stack_a));
		bw_agg__end(f->agg);
		if (!s)
			s = active(f->agg, id_of(&a));
		assert_non_null(s);
		assert_int_equal(s->history_len, want[i].len);
		for (size_t k = 0; k < want[i].len; k++)
			if (s->history[k] != want[i].samples[k])
				fail_msg("interval %zu: history[%zu] = %u, want %u", i, k,
					 s->history[k], want[i].samples[k]);
	}
}

/* A site with waiters now or new completed waits is active: listed, never evicted. */
static bool present(struct fix *f, const struct bw_waiter_in *w, uint64_t first_seen)
{
	struct bw_site *s = active(f->agg, id_of(w));

	return s && s->first_seen_ns == first_seen;
}

/* max_sites 2: past it, the sites idle the longest go; active ones never do. */
static void test_aggregate__eviction(void **state)
{
	struct fix *f = *state;
	struct bw_waiter_in a = WAITER(100, 1, stack_a), b = WAITER(100, 2, stack_b),
			    c = WAITER(100, 3, stack_c), d = WAITER(100, 4, stack_t);
	struct bw_completed_in done = { .pid = 100,
					.kind = BW_KIND_GOROUTINE,
					.reason = "chan receive",
					.frames = stack_a,
					.nframes = ARRAY_SIZE(stack_a),
					.count = 1 };

	/* three sites blocked at once: over the limit, but none is idle */
	bw_agg__begin(f->agg, 1 * SEC);
	add(f->agg, a);
	add(f->agg, b);
	add(f->agg, c);
	bw_agg__end(f->agg);
	assert_int_equal(bw_agg__site_count(f->agg), 3);
	assert_int_equal(bw_agg__evicted(f->agg), 0);

	/* a goes idle: evicted */
	bw_agg__begin(f->agg, 2 * SEC);
	add(f->agg, b);
	add(f->agg, c);
	bw_agg__end(f->agg);
	assert_int_equal(bw_agg__site_count(f->agg), 2);
	assert_int_equal(bw_agg__evicted(f->agg), 1);

	/* b idle since 2 s, c blocked: at the limit, nothing to do */
	bw_agg__begin(f->agg, 3 * SEC);
	add(f->agg, c);
	bw_agg__end(f->agg);
	assert_int_equal(bw_agg__site_count(f->agg), 2);

	/* a new site: b (idle since 2 s) goes, not c (idle since 3 s) */
	bw_agg__begin(f->agg, 4 * SEC);
	add(f->agg, d);
	bw_agg__end(f->agg);
	assert_int_equal(bw_agg__site_count(f->agg), 2);
	assert_int_equal(bw_agg__evicted(f->agg), 2);

	/* c is still the site first seen at 1 s; a comes back as a new site, active by
	 * its completed waits alone: three sites, none idle, none evicted */
	bw_agg__begin(f->agg, 5 * SEC);
	add(f->agg, c);
	add(f->agg, d);
	assert_int_equal(bw_agg__add_completed(f->agg, &done), 0);
	bw_agg__end(f->agg);
	assert_true(present(f, &c, 1 * SEC));
	assert_true(present(f, &a, 5 * SEC));
	assert_int_equal(bw_agg__site_count(f->agg), 3);
	assert_int_equal(bw_agg__evicted(f->agg), 2);

	/* b was evicted: it comes back new */
	bw_agg__begin(f->agg, 6 * SEC);
	add(f->agg, b);
	add(f->agg, c);
	add(f->agg, d);
	bw_agg__end(f->agg);
	assert_true(present(f, &b, 6 * SEC));
	assert_true(present(f, &c, 1 * SEC));
	assert_true(present(f, &d, 4 * SEC));
	/* a is idle now: it goes */
	assert_int_equal(bw_agg__site_count(f->agg), 3);
	assert_int_equal(bw_agg__evicted(f->agg), 3);
}

static void test_aggregate__forget_process(void **state)
{
	struct fix *f = *state;
	struct bw_waiter_in p1 = WAITER(100, 1, stack_a), p2 = WAITER(200, 1, stack_a);
	struct bw_site *s;

	bw_agg__begin(f->agg, 1 * SEC);
	add(f->agg, p1);
	add(f->agg, WAITER(100, 2, stack_b));
	add(f->agg, p2);
	bw_agg__end(f->agg);
	assert_int_equal(bw_agg__site_count(f->agg), 3);

	bw_agg__forget_process(f->agg, 100);
	assert_int_equal(bw_agg__site_count(f->agg), 1);
	assert_null(active(f->agg, id_of(&p1)));
	assert_non_null(active(f->agg, id_of(&p2)));
	bw_agg__forget_process(f->agg, 12345); /* unknown: nothing happens */
	assert_int_equal(bw_agg__site_count(f->agg), 1);

	/* after exec(), the same tid at the same addresses is a new wait: its age restarts */
	bw_agg__begin(f->agg, 3 * SEC);
	add(f->agg, p1);
	add(f->agg, p2);
	bw_agg__end(f->agg);
	s = active(f->agg, id_of(&p1));
	assert_non_null(s);
	assert_int_equal(s->first_seen_ns, 3 * SEC);
	assert_int_equal(s->oldest_age_ns, 0);
	/* the other process's waiter keeps its age */
	assert_int_equal(active(f->agg, id_of(&p2))->oldest_age_ns, 2 * SEC);
}

static void test_aggregate__sort_orders(void **state)
{
	/* four sites: blocked, oldest age, waits and max wait each pick another first */
	static const struct {
		const uint64_t *frames;
		int nframes;
		uint32_t blocked;
		uint64_t age, waits, max_wait;
	} sites[] = {
		{ stack_a, 4, 3, 1 * SEC, 0, 0 },
		{ stack_b, 5, 1, 9 * SEC, 1, 1 * MS },
		{ stack_c, 3, 2, 2 * SEC, 50, 5 * MS },
		{ stack_t, 4, 0, 0, 7, 900 * MS },
	};
	static const struct {
		int sort;
		int order[4];
	} cases[] = {
		{ BW_SORT_BLOCKED, { 0, 2, 1, 3 } },
		{ BW_SORT_OLDEST, { 1, 2, 0, 3 } },
		{ BW_SORT_WAITS, { 2, 3, 1, 0 } },
		{ BW_SORT_MAX_WAIT, { 3, 2, 1, 0 } },
		{ 77, { 0, 2, 1, 3 } }, /* unknown: by blocked */
	};
	struct fix *f = *state;
	uint64_t ids[4];
	uint64_t tid = 1;

	bw_agg__begin(f->agg, 10 * SEC);
	for (size_t i = 0; i < ARRAY_SIZE(sites); i++) {
		struct bw_completed_in c = { .pid = 100,
					     .kind = BW_KIND_GOROUTINE,
					     .reason = "chan receive",
					     .frames = sites[i].frames,
					     .nframes = sites[i].nframes,
					     .count = sites[i].waits,
					     .max_ns = sites[i].max_wait };

		for (uint32_t k = 0; k < sites[i].blocked; k++) {
			/* the first waiter is the oldest; the others just started */
			struct bw_waiter_in w = {
				.pid = 100,
				.waiter_id = tid++,
				.kind = BW_KIND_GOROUTINE,
				.reason = "chan receive",
				.frames = sites[i].frames,
				.nframes = sites[i].nframes,
				.start_ns = k ? 10 * SEC : 10 * SEC - sites[i].age,
			};

			add(f->agg, w);
		}
		assert_int_equal(bw_agg__add_completed(f->agg, &c), 0);
		ids[i] = bw_site_id(100, BW_KIND_GOROUTINE, "chan receive", sites[i].frames,
				    sites[i].nframes);
	}
	bw_agg__end(f->agg);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bw_site **v;
		size_t n;

		assert_int_equal(bw_agg__sites(f->agg, cases[i].sort, &v, &n), 0);
		assert_int_equal(n, 4);
		for (size_t k = 0; k < n; k++)
			if (v[k]->id != ids[cases[i].order[k]]) {
				free(v);
				fail_msg("sort %d: position %zu is not site %d", cases[i].sort, k,
					 cases[i].order[k]);
			}
		free(v);
	}
}

/* Equal keys: the order is still total (by id), the same on every call. */
static void test_aggregate__sort_ties(void **state)
{
	static const int sorts[] = { BW_SORT_BLOCKED, BW_SORT_OLDEST, BW_SORT_WAITS,
				     BW_SORT_MAX_WAIT };
	struct fix *f = *state;
	uint64_t frames[24][2];
	struct bw_site **v;
	size_t n;

	bw_agg__begin(f->agg, SEC);
	for (size_t i = 0; i < ARRAY_SIZE(frames); i++) {
		struct bw_waiter_in w = { .pid = 100,
					  .waiter_id = i + 1,
					  .kind = BW_KIND_GOROUTINE,
					  .reason = "select",
					  .frames = frames[i],
					  .nframes = 2,
					  .start_ns = SEC / 2 };

		frames[i][0] = 0x1000;
		frames[i][1] = 0x2000 + i;
		add(f->agg, w);
	}
	bw_agg__end(f->agg);
	for (size_t i = 0; i < ARRAY_SIZE(sorts); i++) {
		assert_int_equal(bw_agg__sites(f->agg, sorts[i], &v, &n), 0);
		assert_int_equal(n, ARRAY_SIZE(frames));
		for (size_t k = 1; k < n; k++)
			if (v[k - 1]->id >= v[k]->id) {
				free(v);
				fail_msg("sort %d: ties not ordered by id at %zu", sorts[i], k);
			}
		free(v);
	}
}

/* The focus frame: the program's own code, past the runtime (Go) or libc (threads). */
static void test_aggregate__focus(void **state)
{
	static const struct {
		const char *name;
		enum bw_site_kind kind;
		uint64_t frames[8];
		int nframes;
		int focus;
	} cases[] = {
		{ "channel receive",
		  BW_KIND_GOROUTINE,
		  { 0x1000, 0x1100, 0x1200, 0x1300, 0x1400 },
		  5,
		  3 },
		{ "mutex", BW_KIND_GOROUTINE, { 0x1000, 0x1500, 0x1600, 0x1700, 0x1800 }, 5, 4 },
		{ "network read",
		  BW_KIND_GOROUTINE,
		  { 0x1000, 0x1900, 0x1a00, 0x1b00, 0x1d00 },
		  5,
		  3 }, /* net.(*conn).Read is not the poller */
		{ "sleep", BW_KIND_GOROUTINE, { 0x1000, 0x1c00, 0x1d00 }, 3, 2 },
		{ "select", BW_KIND_GOROUTINE, { 0x1000, 0x1e00, 0x1f00 }, 3, 2 },
		{ "unnamed frames skipped", BW_KIND_GOROUTINE, { 0x1000, 0x9999, 0x1300 }, 3, 2 },
		{ "all runtime", BW_KIND_GOROUTINE, { 0x1000, 0x1100, 0x1400 }, 3, 0 },
		{ "nothing named", BW_KIND_GOROUTINE, { 0x9990, 0x9991 }, 2, 0 },
		{ "thread: libc then the program",
		  BW_KIND_FUTEX,
		  { 0x7f0001, 0x7f0002, 0x401000, 0x401100 },
		  4,
		  2 },
		{ "thread: libstdc++ and old libc",
		  BW_KIND_FUTEX,
		  { 0x7f0005, 0x7f0004, 0x401000 },
		  3,
		  2 },
		{ "thread: the loader", BW_KIND_OFFCPU, { 0x7f0003, 0x401100 }, 2, 1 },
		{ "thread: a library of the program", BW_KIND_FUTEX, { 0x7f0001, 0x402000 }, 2, 1 },
		{ "thread: no module", BW_KIND_OFFCPU, { 0x7f0001, 0x403000 }, 2, 1 },
		{ "thread: unnamed between", BW_KIND_FUTEX, { 0x7f0001, 0x8888, 0x401000 }, 3, 2 },
		{ "thread: only libc", BW_KIND_FUTEX, { 0x7f0001, 0x7f0002 }, 2, 0 },
		/* Go names mean nothing for threads: the module decides */
		{ "thread in a Go binary", BW_KIND_FUTEX, { 0x1000, 0x1300 }, 2, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fix *f = *state;
		struct bw_waiter_in w = { .pid = 100,
					  .waiter_id = 1,
					  .kind = cases[i].kind,
					  .reason = "wait",
					  .frames = cases[i].frames,
					  .nframes = cases[i].nframes };
		struct bw_site *s;

		bw_agg__begin(f->agg, (i + 1) * SEC);
		add(f->agg, w);
		bw_agg__end(f->agg);
		s = active(f->agg, id_of(&w));
		assert_non_null(s);
		if (s->focus != cases[i].focus)
			fail_msg("%s: focus %d, want %d", cases[i].name, s->focus, cases[i].focus);
		assert_int_equal(s->nframes, cases[i].nframes);
		bw_agg__forget_process(f->agg, 100);
	}
}

/* Frames are named once, when the site is created, with the right flags. */
static void test_aggregate__naming(void **state)
{
	static const uint64_t kstack[] = { 0xffffffff81000000ULL, 0xffffffff81000100ULL };
	struct fix *f = *state;
	struct bw_waiter_in w = WAITER(100, 1, stack_a);
	struct bw_site *s;

	bw_agg__begin(f->agg, 1 * SEC);
	add(f->agg, w);
	add(f->agg, WAITER(100, 2, stack_a));
	bw_agg__end(f->agg);
	s = active(f->agg, id_of(&w));
	assert_non_null(s);
	assert_int_equal(f->r.ncalls, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(f->r.calls[i].addr, stack_a[i]);
		assert_false(f->r.calls[i].kernel);
		/* the innermost frame is the ip; the others are return addresses */
		assert_int_equal(f->r.calls[i].is_return, i > 0);
		assert_int_equal(s->frames[i].addr, stack_a[i]);
	}
	assert_string_equal(s->frames[2].function, "main.leak");
	assert_string_equal(s->frames[2].module, "/srv/goapp");
	assert_string_equal(s->frames[2].file, "x.go");
	assert_int_equal(s->frames[2].line, 42);
	assert_int_equal(s->frames[2].offset, 4);
	assert_int_equal(s->nkframes, 0);
	assert_null(s->kframes);

	/* seen again, with a kernel stack this time: only the kernel frames are named */
	bw_agg__begin(f->agg, 2 * SEC);
	w.kframes = kstack;
	w.nkframes = 2;
	add(f->agg, w);
	bw_agg__end(f->agg);
	assert_int_equal(f->r.ncalls, 6);
	assert_true(f->r.calls[4].kernel && f->r.calls[5].kernel);
	assert_int_equal(s->nkframes, 2);
	assert_string_equal(s->kframes[0].function, "futex_wait");
	assert_null(s->kframes[1].function); /* unknown to the resolver */

	/* and never again */
	bw_agg__begin(f->agg, 3 * SEC);
	add(f->agg, w);
	bw_agg__end(f->agg);
	assert_int_equal(f->r.ncalls, 6);
}

static void test_aggregate__created_by(void **state)
{
	struct fix *f = *state;
	struct bw_waiter_in w1 = WAITER(100, 1, stack_a, .created_by = 0x1f00),
			    w2 = WAITER(100, 2, stack_a, .created_by = 0x1d00),
			    w3 = WAITER(100, 3, stack_b);
	struct bw_site *s;

	for (int i = 1; i <= 3; i++) {
		bw_agg__begin(f->agg, i * SEC);
		add(f->agg, w1);
		add(f->agg, w2);
		add(f->agg, w3);
		bw_agg__end(f->agg);
	}
	s = active(f->agg, id_of(&w1));
	assert_non_null(s);
	/* the first one seen names the site, once */
	assert_int_equal(s->created_by, 0x1f00);
	assert_string_equal(s->created_by_name.function, "main.main.func1");
	assert_int_equal(calls_for(&f->r, 0x1f00), 1);
	assert_int_equal(calls_for(&f->r, 0x1d00), 0);
	/* a site without one has none */
	s = active(f->agg, id_of(&w3));
	assert_int_equal(s->created_by, 0);
	assert_null(s->created_by_name.function);
}

/*
 * Inlined calls expanded: an address gives its callees and then the
 * function they are in, all with the same address; the focus passes over
 * the inlined sync.(*Mutex).Lock to main.bump; every address is resolved once.
 */
static void test_aggregate__inlined(void **state)
{
	static const uint64_t mutex[] = { 0x1000, 0x1500, 0x1600, 0x2000, 0x1400 };
	static const uint64_t http[] = { 0x1000, 0x1e00, 0x2100, 0x1400 };
	static const struct {
		const char *function;
		uint64_t addr;
		bool inlined;
	} want_mutex[] = {
		{ "runtime.gopark", 0x1000, false },
		{ "sync.runtime_SemacquireMutex", 0x1500, false },
		{ "sync.(*Mutex).lockSlow", 0x1600, false },
		{ "sync.(*Mutex).Lock", 0x2000, true },
		{ "main.bump", 0x2000, false },
		{ "runtime.goexit", 0x1400, false },
	};
	struct fix *f = *state;
	struct bw_waiter_in wm = WAITER(100, 1, mutex, .created_by = 0x2000),
			    wh = WAITER(100, 2, http, .reason = "select");
	struct bw_site *s;

	bw_agg__begin(f->agg, 1 * SEC);
	add(f->agg, wm);
	add(f->agg, wh);
	bw_agg__end(f->agg);
	s = active(f->agg, id_of(&wm));
	assert_non_null(s);
	assert_int_equal(s->nframes, ARRAY_SIZE(want_mutex));
	for (size_t i = 0; i < ARRAY_SIZE(want_mutex); i++) {
		assert_string_equal(s->frames[i].function, want_mutex[i].function);
		assert_int_equal(s->frames[i].addr, want_mutex[i].addr);
		assert_int_equal(s->frames[i].inlined, want_mutex[i].inlined);
	}
	assert_string_equal(s->frames[3].file, "sync/mutex.go");
	assert_int_equal(s->frames[3].line, 90);
	assert_string_equal(s->frames[4].file, "main.go");
	assert_int_equal(s->frames[4].line, 23);
	assert_int_equal(s->focus, 4);
	/* the go statement's frame: the innermost, whose name and line belong together */
	assert_string_equal(s->created_by_name.function, "sync.(*Mutex).Lock");
	assert_int_equal(s->created_by_name.line, 90);
	/* 0x2000 for the stack and once more for created_by; the return-address flag kept */
	assert_int_equal(calls_for(&f->r, 0x2000), 2);
	for (size_t i = 0; i < f->r.ncalls && i < ARRAY_SIZE(mutex); i++)
		assert_int_equal(f->r.calls[i].is_return, i > 0);

	s = active(f->agg, id_of(&wh));
	assert_non_null(s);
	assert_int_equal(s->nframes, 6);
	assert_string_equal(s->frames[2].function, "net/http.(*Client).Get");
	assert_string_equal(s->frames[3].function, "net/http.Get");
	assert_string_equal(s->frames[4].function, "main.fetch");
	assert_int_equal(s->frames[4].line, 42);
	assert_int_equal(s->frames[2].addr, 0x2100);
	assert_int_equal(s->frames[4].addr, 0x2100);
	assert_int_equal(s->focus, 2); /* net/http is the program's code as far as focus goes */
	assert_int_equal(calls_for(&f->r, 0x2100), 1);
}

/* Stacks deeper than BW_MAX_STACK_DEPTH are cut; without a resolver frames stay unnamed. */
static void test_aggregate__deep_stack_no_resolver(void **state)
{
	struct bw_agg_opts opts = { 0 };
	struct bw_agg *agg = bw_agg__new(&opts);
	uint64_t frames[BW_MAX_STACK_DEPTH + 36];
	struct bw_waiter_in w = { .pid = 100,
				  .waiter_id = 1,
				  .kind = BW_KIND_FUTEX,
				  .reason = "futex_wait",
				  .frames = frames,
				  .nframes = ARRAY_SIZE(frames),
				  .kframes = frames,
				  .nkframes = ARRAY_SIZE(frames) };
	struct bw_site *s;

	(void)state;
	assert_non_null(agg);
	for (size_t i = 0; i < ARRAY_SIZE(frames); i++)
		frames[i] = 0x401000 + i;
	bw_agg__begin(agg, SEC);
	assert_int_equal(bw_agg__add_waiter(agg, &w), 0);
	bw_agg__end(agg);
	s = active(agg, id_of(&w));
	assert_non_null(s);
	assert_int_equal(s->nframes, BW_MAX_STACK_DEPTH);
	assert_int_equal(s->nkframes, BW_MAX_STACK_DEPTH);
	assert_int_equal(s->frames[BW_MAX_STACK_DEPTH - 1].addr, 0x401000 + BW_MAX_STACK_DEPTH - 1);
	assert_null(s->frames[0].function);
	assert_int_equal(s->focus, 0);
	bw_agg__free(agg);
	bw_agg__free(NULL); /* a no-op */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate__kind_names),
		T(test_aggregate__site_identity),
		T(test_aggregate__blocked_per_interval),
		T(test_aggregate__ages),
		T(test_aggregate__age_stats),
		T(test_aggregate__objects),
		T(test_aggregate__completed),
		T(test_aggregate__completed_and_blocked_share_site),
		cmocka_unit_test_setup_teardown(test_aggregate__waits_only_interval, setup_history4,
						teardown),
		cmocka_unit_test_setup_teardown(test_aggregate__history, setup_history4, teardown),
		cmocka_unit_test_setup_teardown(test_aggregate__eviction, setup_max2, teardown),
		T(test_aggregate__forget_process),
		T(test_aggregate__sort_orders),
		T(test_aggregate__sort_ties),
		T(test_aggregate__focus),
		T(test_aggregate__naming),
		T(test_aggregate__created_by),
		T(test_aggregate__inlined),
		cmocka_unit_test(test_aggregate__deep_stack_no_resolver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
