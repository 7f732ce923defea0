// SPDX-License-Identifier: BSD-2-Clause
/*
 * Offsets of runtime.g (and the sudog it waits on) per Go version, on amd64:
 * from the binary's DWARF when it has some, else from the table below.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "goruntime.h"
#include "log.h"

/*
 * One row per range of Go minor versions whose runtime.g layout is the same
 * on amd64. Each row names the source its offsets were computed from: the
 * struct definitions in src/runtime/runtime2.go at that release tag (g,
 * gobuf, stack, sudog), with sizes on amd64 (pointers and uintptr 8, bool
 * and uint8 1, atomic.Uint32 4, atomic.Bool 1, slices 24) and Go's natural
 * alignment.
 */
struct layout_row {
	int min_minor, max_minor;
	struct bw_go_layout l;
};

#define G_COMMON(size, bp, st, id, ws, wr)                                                        \
	.g_size = (size), .sched_sp = 56, .sched_pc = 64, .sched_bp = (bp), .atomicstatus = (st), \
	.goid = (id), .waitsince = (ws), .waitreason = (wr), .stack_lo = 0, .stack_hi = 8

static const struct layout_row layout_rows[] = {
	/*
	 * go1.17-go1.20: stack 0, stackguard0/1 16/24, _panic 32, _defer 40, m
	 * 48, sched 56 (gobuf sp 0, pc 8, g 16, ctxt 24, ret 32, lr 40, bp 48),
	 * syscallsp 112, syscallpc 120, stktopsp 128, param 136, atomicstatus
	 * 144, stackLock 148, goid 152, schedlink 160, waitsince 168,
	 * waitreason 176 (then 13 bools/uint8 to 189), runnableStamp (1.20:
	 * trackingStamp) 192, runnableTime 200, sysexitticks 208, traceseq 216,
	 * tracelastp 224, lockedm 232, sig 240, writebuf 248, sigcode0/1 272/280,
	 * sigpc 288, gopc 296, ancestors 304, startpc 312, racectx 320, waiting
	 * 328, cgoCtxt 336, labels 360, timer 368, selectDone 376,
	 * (goroutineProfiled 380 from 1.19), gcAssistBytes 384: size 392.
	 * sudog: g 0, next 8, prev 16, elem 24, acquiretime 32, releasetime 40,
	 * ticket 48, isSelect 52, success 53, parent 56, waitlink 64, waittail
	 * 72, c 80. Sources: go1.17.13, go1.19.8 (Debian golang-1.19) and
	 * go1.20.6 src/runtime/runtime2.go; go1.18 lies between two identical
	 * layouts. Checked: go1.19 DWARF (test_goruntime), live go1.17 and go1.19
	 * binaries.
	 */
	{ 17,
	  20,
	  { G_COMMON(392, 104, 144, 152, 168, 176), .gopc = 296, .startpc = 312, .parentgoid = -1,
	    .waiting = 328, .sudog_c = 80, .source = "go1.17-go1.20 src/runtime/runtime2.go" } },
	/*
	 * go1.21-go1.22: the tracer's sysexitticks/traceseq/tracelastp (and
	 * sysblocktraced) left g for g.trace (gTraceState) at its end, and
	 * parentGoid came in before gopc: trackingStamp 192, runnableTime 200,
	 * lockedm 208, sig 216, writebuf 224, sigcode0/1 248/256, sigpc 264,
	 * parentGoid 272, gopc 280, ancestors 288, startpc 296, racectx 304,
	 * waiting 312, cgoCtxt 320, labels 344, timer 352, selectDone 360; 1.21:
	 * goroutineProfiled 364, trace 368 (32 bytes), gcAssistBytes 400: size
	 * 408; 1.22 adds coroarg (368) before goroutineProfiled: size 424.
	 * Sources: go1.21 and go1.22 src/runtime/runtime2.go. Checked live:
	 * go1.21.4 (lefthook 1.5.5), go1.22.4 (esbuild 0.22.0).
	 */
	{ 21,
	  21,
	  { G_COMMON(408, 104, 144, 152, 168, 176), .gopc = 280, .startpc = 296, .parentgoid = 272,
	    .waiting = 312, .sudog_c = 80, .source = "go1.21 src/runtime/runtime2.go" } },
	{ 22,
	  22,
	  { G_COMMON(424, 104, 144, 152, 168, 176), .gopc = 280, .startpc = 296, .parentgoid = 272,
	    .waiting = 312, .sudog_c = 80, .source = "go1.22 src/runtime/runtime2.go" } },
	/*
	 * go1.23-go1.24: syscallbp (128) after syscallpc moves everything after
	 * it by 8: stktopsp 136, param 144, atomicstatus 152, goid 160,
	 * waitsince 176, waitreason 184, parentGoid 280, gopc 288, startpc 304,
	 * waiting 320; sleepWhen 368, coroarg 384, trace 392: size 432 (1.24
	 * adds syncGroup after coroarg: 440; its fipsIndicator fits before sig).
	 * Source: go1.23.5 src/runtime/runtime2.go. Checked live: go1.23.1,
	 * go1.23.6, go1.24.7 (esbuild 0.24.2, lefthook 1.11.0, 1.13.0).
	 */
	{ 23,
	  23,
	  { G_COMMON(432, 104, 152, 160, 176, 184), .gopc = 288, .startpc = 304, .parentgoid = 280,
	    .waiting = 320, .sudog_c = 80, .source = "go1.23 src/runtime/runtime2.go" } },
	{ 24,
	  24,
	  { G_COMMON(440, 104, 152, 160, 176, 184), .gopc = 288, .startpc = 304, .parentgoid = 280,
	    .waiting = 320, .sudog_c = 80, .source = "go1.24 (go1.23 runtime2.go + syncGroup)" } },
	/*
	 * go1.25: gobuf lost ret (sp 0, pc 8, g 16, ctxt 24, lr 32, bp 40), which
	 * takes back the 8 bytes of syscallbp: atomicstatus 144, goid 152,
	 * waitsince 168, waitreason 176, parentGoid 272, gopc 280, startpc 296,
	 * waiting 312; bubble 384, trace 392, gcAssistBytes 424,
	 * valgrindStackID 432: size 440. sudog.c still *hchan at 80. Source:
	 * go1.25.3 src/runtime/runtime2.go. Checked live: go1.25.7 (esbuild
	 * 0.27.7).
	 */
	{ 25,
	  25,
	  { G_COMMON(440, 96, 144, 152, 168, 176), .gopc = 280, .startpc = 296, .parentgoid = 272,
	    .waiting = 312, .sudog_c = 80, .source = "go1.25 src/runtime/runtime2.go" } },
	/*
	 * go1.26-go1.27: sudog.elem and sudog.c became maybeTraceablePtr {vp,
	 * vu} (16 bytes; vu holds the address): c.vu at 96. g gained xRegs
	 * (8) after bubble, and in the released runtimes parentGoid, gopc,
	 * startpc and waiting sit 8 bytes later than in the go1.26 development
	 * runtime2.go available here (272/280/296/312): 280, 288, 304, 320,
	 * measured live on go1.26.5 (esbuild 0.28.2) and go1.27.0 (lefthook
	 * 2.2.2), where parentGoid, gopc, startpc and the sudog of a goroutine
	 * in chan receive (whose g field points back to it) were all found at
	 * those offsets. Size: 448 per that source, + 8.
	 */
	{ 26,
	  27,
	  { G_COMMON(456, 96, 144, 152, 168, 176), .gopc = 288, .startpc = 304, .parentgoid = 280,
	    .waiting = 320, .sudog_c = 96,
	    .source = "go1.26 src/runtime/runtime2.go, offsets measured on go1.26.5/go1.27.0" } },
};

int bw_go_layout__from_table(const struct bw_go_version *v, struct bw_go_layout *out)
{
	if (v->major != 1)
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(layout_rows) / sizeof(layout_rows[0]); i++) {
		const struct layout_row *r = &layout_rows[i];

		if (v->minor >= r->min_minor && v->minor <= r->max_minor) {
			*out = r->l;
			return 0;
		}
	}
	return -ENOTSUP;
}

/* ---- DWARF ---- */

/* Top-level structure types the layout needs, found in one pass. */
struct dwarf_types {
	Dwarf_Die g, sudog;
	bool have_g, have_sudog;
};

static bool die_is_struct_named(Dwarf_Die *die, const char *name)
{
	const char *n;

	if (dwarf_tag(die) != DW_TAG_structure_type)
		return false;
	n = dwarf_diename(die);
	return n && !strcmp(n, name);
}

static void scan_cu(Dwarf_Die *cu, struct dwarf_types *t)
{
	Dwarf_Die die;

	if (dwarf_child(cu, &die))
		return;
	do {
		if (!t->have_g && die_is_struct_named(&die, "runtime.g")) {
			t->g = die;
			t->have_g = true;
		} else if (!t->have_sudog && die_is_struct_named(&die, "runtime.sudog")) {
			t->sudog = die;
			t->have_sudog = true;
		}
	} while ((!t->have_g || !t->have_sudog) && !dwarf_siblingof(&die, &die));
}

static int find_types(Dwarf *dw, struct dwarf_types *t)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (!t->have_g || !t->have_sudog) {
		Dwarf_Die cu;

		if (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL))
			break;
		if (dwarf_offdie(dw, off + hsize, &cu))
			scan_cu(&cu, t);
		off = next;
	}
	return t->have_g ? 0 : -ENOENT;
}

/* The member called name of struct die, with its offset. */
static int struct_member(Dwarf_Die *st, const char *name, size_t len, Dwarf_Die *member,
			 Dwarf_Word *off)
{
	Dwarf_Die m;

	if (dwarf_child(st, &m))
		return -ENOENT;
	do {
		Dwarf_Attribute a;
		const char *n;

		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		n = dwarf_diename(&m);
		if (!n || strlen(n) != len || strncmp(n, name, len))
			continue;
		if (!dwarf_attr(&m, DW_AT_data_member_location, &a) || dwarf_formudata(&a, off))
			return -EINVAL;
		*member = m;
		return 0;
	} while (!dwarf_siblingof(&m, &m));
	return -ENOENT;
}

/* Go names its structs through a typedef of the same name: follow it. */
static int strip_typedefs(Dwarf_Die *die)
{
	for (int depth = 0; depth < 8; depth++) {
		Dwarf_Attribute a;

		if (dwarf_tag(die) != DW_TAG_typedef)
			return 0;
		if (!dwarf_attr(die, DW_AT_type, &a) || !dwarf_formref_die(&a, die))
			return -1;
	}
	return -1;
}

/*
 * Offset of a dotted member path ("sched.sp") inside struct st. Returns the
 * offset, or -1 when a member is missing (older Go versions lack some).
 */
static int member_offset(Dwarf_Die *st, const char *path)
{
	Dwarf_Die cur = *st, member;
	int total = 0;

	for (;;) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		Dwarf_Attribute a;
		Dwarf_Word off;

		if (struct_member(&cur, path, len, &member, &off) || off > 1 << 20)
			return -1;
		total += (int)off;
		if (!dot)
			return total;
		if (!dwarf_attr(&member, DW_AT_type, &a) || !dwarf_formref_die(&a, &cur) ||
		    strip_typedefs(&cur))
			return -1;
		path = dot + 1;
	}
}

/* sudog.c is *hchan up to Go 1.25, then a maybeTraceableChan whose vu holds the address. */
static int sudog_chan_offset(Dwarf_Die *sudog)
{
	int off = member_offset(sudog, "c.maybeTraceablePtr.vu");

	return off >= 0 ? off : member_offset(sudog, "c");
}

static int layout_from_types(struct dwarf_types *t, struct bw_go_layout *out)
{
	Dwarf_Die *g = &t->g;
	int size = dwarf_bytesize(g);

	out->g_size = size;
	out->sched_sp = member_offset(g, "sched.sp");
	out->sched_pc = member_offset(g, "sched.pc");
	out->sched_bp = member_offset(g, "sched.bp");
	out->atomicstatus = member_offset(g, "atomicstatus");
	out->goid = member_offset(g, "goid");
	out->waitsince = member_offset(g, "waitsince");
	out->waitreason = member_offset(g, "waitreason");
	out->gopc = member_offset(g, "gopc");
	out->startpc = member_offset(g, "startpc");
	out->parentgoid = member_offset(g, "parentGoid");
	out->waiting = member_offset(g, "waiting");
	out->stack_lo = member_offset(g, "stack.lo");
	out->stack_hi = member_offset(g, "stack.hi");
	out->sudog_c = t->have_sudog ? sudog_chan_offset(&t->sudog) : -1;
	out->source = "DWARF";
	if (size <= 0 || out->sched_sp < 0 || out->sched_pc < 0 || out->sched_bp < 0 ||
	    out->atomicstatus < 0 || out->goid < 0 || out->waitreason < 0 || out->gopc < 0 ||
	    out->startpc < 0 || out->stack_lo < 0 || out->stack_hi < 0)
		return -EINVAL;
	return 0;
}

int bw_go_layout__from_dwarf(const char *path, struct bw_go_layout *out)
{
	struct dwarf_types t = {};
	Dwarf *dw;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* libdw decompresses SHF_COMPRESSED and GNU .zdebug_* sections itself */
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		close(fd);
		return -ENODATA;
	}
	err = find_types(dw, &t);
	if (!err)
		err = layout_from_types(&t, out);
	if (err)
		bw_dbg("failed to read runtime.g from the DWARF of '%s': %d", path, err);
	dwarf_end(dw);
	close(fd);
	return err;
}
