// SPDX-License-Identifier: BSD-2-Clause
/*
 * Go runtime knowledge that is not a struct layout: which versions are
 * known, wait-reason names per version, goroutine state names, and the
 * choice between DWARF and the built-in layout table.
 */
#include <errno.h>
#include <stddef.h>

#include "goruntime.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * waitReasonStrings of src/runtime/runtime2.go, indexed by the waitReason
 * constant (an iota list). New reasons are inserted in the middle of the
 * list, so the numbers move between versions.
 */
struct wait_reasons {
	int min_minor, max_minor;
	const char *const *names;
	size_t n;
	const char *source;
};

/* Runs shared by several versions, in their order in the waitReason const block. */
#define WR_UPTO_FORCEGC                                                                        \
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)", \
		"dumping heap", "garbage collection", "garbage collection scan", "panicwait",  \
		"select", "select (no cases)", "GC assist wait", "GC sweep wait",              \
		"GC scavenge wait", "chan receive", "chan send", "finalizer wait",             \
		"force gc (idle)"
#define WR_SYNC                                                                           \
	"semacquire", "sleep", "sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock", \
		"sync.RWMutex.Lock"
#define WR_GC_TAIL                                                                               \
	"trace reader (blocked)", "wait for GC cycle", "GC worker (idle)", "GC worker (active)", \
		"preempted", "debug call", "GC mark termination", "stopping the world"
#define WR_TRACER                                                                                  \
	"flushing proc caches", "trace goroutine status", "trace proc status", "page trace flush", \
		"coroutine"

/* go1.17.13, go1.19.8 src/runtime/runtime2.go (1.18 between them): 27 reasons */
static const char *const wait_reasons_117[] = {
	WR_UPTO_FORCEGC,
	"semacquire",
	"sleep",
	"sync.Cond.Wait",
	"timer goroutine (idle)",
	"trace reader (blocked)",
	"wait for GC cycle",
	"GC worker (idle)",
	"preempted",
	"debug call",
};

/* go1.20.6 and go1.21: sync.Mutex/RWMutex reasons in, timer goroutine out: 32 */
static const char *const wait_reasons_120[] = { WR_UPTO_FORCEGC, WR_SYNC, WR_GC_TAIL };

/* go1.22: the new tracer's and coroutines' reasons appended: 37 */
static const char *const wait_reasons_122[] = { WR_UPTO_FORCEGC, WR_SYNC, WR_GC_TAIL, WR_TRACER };

/* go1.23.5: + "GC weak to strong wait": 38 */
static const char *const wait_reasons_123[] = {
	WR_UPTO_FORCEGC, WR_SYNC, WR_GC_TAIL, WR_TRACER, "GC weak to strong wait",
};

/* go1.24: sync.WaitGroup.Wait after the mutexes, synctest's reasons at the end: 44 */
static const char *const wait_reasons_124[] = {
	WR_UPTO_FORCEGC,
	WR_SYNC,
	"sync.WaitGroup.Wait",
	WR_GC_TAIL,
	WR_TRACER,
	"GC weak to strong wait",
	"synctest.Run",
	"synctest.Wait",
	"chan receive (synctest)",
	"chan send (synctest)",
	"select (synctest)",
};

/* go1.25: GOMAXPROCS updater after force gc, synctest's "durable" names, cleanups: 47 */
static const char *const wait_reasons_125[] = {
	WR_UPTO_FORCEGC,
	"GOMAXPROCS updater (idle)",
	WR_SYNC,
	"sync.WaitGroup.Wait",
	WR_GC_TAIL,
	WR_TRACER,
	"GC weak to strong wait",
	"synctest.Run",
	"synctest.Wait",
	"chan receive (durable)",
	"chan send (durable)",
	"select (durable)",
	"sync.WaitGroup.Wait (durable)",
	"cleanup wait",
};

/*
 * go1.26 (CL 688335) reordered the whole list so that the blocking reasons
 * form ranges: select is 18, chan receive 19, semacquire 13 (gVisor's
 * pkg/sync/runtime_constants_go126.go checks the same three). Measured on
 * go1.26.5 and go1.27.0 binaries: bgsweep 8, scavenger 9, finalizer 10,
 * forcegc 11, cleanup 46, a main goroutine in chan receive 19.
 */
static const char *const wait_reasons_126[] = {
	"",
	"GC assist marking",
	"IO wait",
	"dumping heap",
	"garbage collection",
	"garbage collection scan",
	"panicwait",
	"GC assist wait",
	"GC sweep wait",
	"GC scavenge wait",
	"finalizer wait",
	"force gc (idle)",
	"GOMAXPROCS updater (idle)",
	"semacquire",
	"sleep",
	"chan receive (nil chan)",
	"chan send (nil chan)",
	"select (no cases)",
	"select",
	"chan receive",
	"chan send",
	"sync.Cond.Wait",
	"sync.Mutex.Lock",
	"sync.RWMutex.RLock",
	"sync.RWMutex.Lock",
	"sync.WaitGroup.Wait",
	WR_GC_TAIL,
	WR_TRACER,
	"GC weak to strong wait",
	"synctest.Run",
	"synctest.Wait",
	"chan receive (durable)",
	"chan send (durable)",
	"select (durable)",
	"sync.WaitGroup.Wait (durable)",
	"cleanup wait",
};

/* the counts each source gives; a slip in the shared runs above breaks the build */
_Static_assert(ARRAY_SIZE(wait_reasons_117) == 27, "go1.17 has 27 wait reasons");
_Static_assert(ARRAY_SIZE(wait_reasons_120) == 32, "go1.20 has 32 wait reasons");
_Static_assert(ARRAY_SIZE(wait_reasons_122) == 37, "go1.22 has 37 wait reasons");
_Static_assert(ARRAY_SIZE(wait_reasons_123) == 38, "go1.23 has 38 wait reasons");
_Static_assert(ARRAY_SIZE(wait_reasons_124) == 44, "go1.24 has 44 wait reasons");
_Static_assert(ARRAY_SIZE(wait_reasons_125) == 47, "go1.25 has 47 wait reasons");
_Static_assert(ARRAY_SIZE(wait_reasons_126) == 47, "go1.26 has 47 wait reasons");

#define WAIT_REASONS(lo, hi, tbl, src)            \
	{                                         \
		lo, hi, tbl, ARRAY_SIZE(tbl), src \
	}

static const struct wait_reasons wait_reason_tables[] = {
	WAIT_REASONS(17, 19, wait_reasons_117, "go1.17.13/go1.19.8 src/runtime/runtime2.go"),
	WAIT_REASONS(20, 21, wait_reasons_120, "go1.20.6/go1.21 src/runtime/runtime2.go"),
	WAIT_REASONS(22, 22, wait_reasons_122, "go1.22 src/runtime/runtime2.go"),
	WAIT_REASONS(23, 23, wait_reasons_123, "go1.23.5 src/runtime/runtime2.go"),
	WAIT_REASONS(24, 24, wait_reasons_124, "go1.24 src/runtime/runtime2.go"),
	WAIT_REASONS(25, 25, wait_reasons_125, "go1.25 src/runtime/runtime2.go"),
	/* go1.27: no source here; the runtime's own goroutines read as in go1.26 */
	WAIT_REASONS(26, 27, wait_reasons_126, "go1.26 src/runtime/runtime2.go (CL 688335)"),
};

static const struct wait_reasons *wait_reasons_for(const struct bw_go_version *v)
{
	if (v->major != 1)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(wait_reason_tables); i++) {
		const struct wait_reasons *w = &wait_reason_tables[i];

		if (v->minor >= w->min_minor && v->minor <= w->max_minor)
			return w;
	}
	return NULL;
}

const char *bw_go_wait_reason(const struct bw_go_version *v, int reason)
{
	const struct wait_reasons *w = wait_reasons_for(v);

	if (!w || reason < 0 || (size_t)reason >= w->n)
		return NULL;
	return w->names[reason];
}

bool bw_go_version__supported(const struct bw_go_version *v)
{
	struct bw_go_layout l;

	return wait_reasons_for(v) && !bw_go_layout__from_table(v, &l);
}

const char *bw_go_status_name(uint32_t status)
{
	static const char *const names[] = {
		[BW_G_IDLE] = "idle",		[BW_G_RUNNABLE] = "runnable",
		[BW_G_RUNNING] = "running",	[BW_G_SYSCALL] = "syscall",
		[BW_G_WAITING] = "waiting",	[5] = "moribund",
		[BW_G_DEAD] = "dead",		[7] = "enqueue",
		[BW_G_COPYSTACK] = "copystack", [BW_G_PREEMPTED] = "preempted",
	};

	status &= ~(uint32_t)BW_G_SCAN;
	if (status >= ARRAY_SIZE(names) || !names[status])
		return "unknown";
	return names[status];
}

int bw_go_layout__for_file(const struct bw_gobin *gb, const char *path, struct bw_go_layout *out)
{
	struct bw_go_version v = {};
	int err;

	if (path && bw_gobin__has_dwarf(gb) > 0) {
		err = bw_go_layout__from_dwarf(path, out);
		if (!err)
			return 0;
		bw_dbg("no usable runtime.g in the DWARF of '%s' (%d): using the version table",
		       path, err);
	}
	err = bw_gobin__version(gb, &v);
	if (err)
		return err;
	err = bw_go_layout__from_table(&v, out);
	if (err == -ENOTSUP)
		bw_warn("Go version '%s' is not in blockwatch's tables (known: go1.17 to go1.27)",
			bw_gobin__version_string(gb) ? bw_gobin__version_string(gb) : "unknown");
	return err;
}

int bw_go_layout__for(const struct bw_gobin *gb, struct bw_go_layout *out)
{
	return bw_go_layout__for_file(gb, NULL, out);
}
