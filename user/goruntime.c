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

/* go1.19.8 src/runtime/runtime2.go (Debian golang-1.19): 27 reasons */
static const char *const wait_reasons_119[] = {
	"",
	"GC assist marking",
	"IO wait",
	"chan receive (nil chan)",
	"chan send (nil chan)",
	"dumping heap",
	"garbage collection",
	"garbage collection scan",
	"panicwait",
	"select",
	"select (no cases)",
	"GC assist wait",
	"GC sweep wait",
	"GC scavenge wait",
	"chan receive",
	"chan send",
	"finalizer wait",
	"force gc (idle)",
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

#define WAIT_REASONS(lo, hi, tbl, src)            \
	{                                         \
		lo, hi, tbl, ARRAY_SIZE(tbl), src \
	}

static const struct wait_reasons wait_reason_tables[] = {
	WAIT_REASONS(19, 19, wait_reasons_119, "go1.19 src/runtime/runtime2.go"),
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
