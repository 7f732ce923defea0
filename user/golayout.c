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

static const struct layout_row layout_rows[] = {
	/*
	 * go1.19: g size 392. stack 0, stackguard0/1 16/24, _panic 32, _defer 40,
	 * m 48, sched 56 (gobuf sp 0, pc 8, g 16, ctxt 24, ret 32, lr 40, bp 48),
	 * syscallsp 112, syscallpc 120, stktopsp 128, param 136, atomicstatus
	 * uint32 144, stackLock 148, goid int64 152, schedlink 160, waitsince
	 * 168, waitreason 176, 13 bool/uint8 177-189, runnableStamp 192,
	 * runnableTime 200, sysexitticks 208, traceseq 216, tracelastp 224,
	 * lockedm 232, sig 240, writebuf 248, sigcode0/1 272/280, sigpc 288,
	 * gopc 296, ancestors 304, startpc 312, racectx 320, waiting 328.
	 * sudog: g, next, prev, elem, acquiretime, releasetime, ticket+isSelect+
	 * success (48-53), parent 56, waitlink 64, waittail 72, c 80.
	 * Source: go1.19.8 src/runtime/runtime2.go (Debian golang-1.19), checked
	 * against the DWARF of a binary built by it (tests/unit/test_goruntime.c).
	 */
	{ 19,
	  19,
	  { .g_size = 392,
	    .sched_sp = 56,
	    .sched_pc = 64,
	    .sched_bp = 104,
	    .atomicstatus = 144,
	    .goid = 152,
	    .waitsince = 168,
	    .waitreason = 176,
	    .gopc = 296,
	    .startpc = 312,
	    .parentgoid = -1,
	    .waiting = 328,
	    .sudog_c = 80,
	    .stack_lo = 0,
	    .stack_hi = 8,
	    .source = "go1.19 src/runtime/runtime2.go" } },
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
