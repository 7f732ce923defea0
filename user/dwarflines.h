/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Source locations from DWARF (libdw): the file and line of a link-time
 * address, and the name of the function inlined there, if any. Compressed
 * sections (SHF_COMPRESSED, as Go writes them) are handled by libdw.
 *
 * Compilation units are indexed by their address ranges once, so a lookup is
 * a binary search plus libdw's line table for one unit (cached by libdw).
 */
#ifndef BW_DWARFLINES_H
#define BW_DWARFLINES_H

#include <stdbool.h>
#include <stdint.h>

#include <libelf.h>

struct bw_srcline {
	const char *file;	 /* owned by the bw_dwarflines; NULL when unknown */
	int line;		 /* 0 when unknown */
	const char *function;	 /* the enclosing (not inlined) subprogram, or NULL */
	uint64_t function_entry; /* its entry address (0 when unknown) */
	const char *inlined;	 /* innermost function inlined at the address, or NULL */
	uint64_t inlined_entry;	 /* its entry address (0 when unknown) */
};

/* One frame of the calls at an address: see bw_dwarflines__frames. */
struct bw_srcframe {
	const char *function; /* owned by the bw_dwarflines; NULL when unknown */
	uint64_t entry;	      /* entry of the subprogram or of the inlined instance; 0: unknown */
	const char *file;     /* NULL when unknown */
	int line;	      /* 0 when unknown */
	bool inlined;	      /* an inlined instance of function */
};

struct bw_dwarflines;

/*
 * Read the DWARF of elf, which must outlive the object. Returns NULL and sets
 * errno: ENODATA when the file has no usable DWARF.
 */
struct bw_dwarflines *bw_dwarflines__new(Elf *elf);
/* Returns 0 when anything was found (out's unknown fields left NULL/0), else -ENOENT. */
int bw_dwarflines__lookup(struct bw_dwarflines *dl, uint64_t vaddr, struct bw_srcline *out);
/*
 * File and line only (out's function fields stay NULL): skips walking the
 * unit's DIE tree, which costs ~0.3 ms per lookup in a Go runtime unit.
 */
int bw_dwarflines__lookup_line(struct bw_dwarflines *dl, uint64_t vaddr, struct bw_srcline *out);
/*
 * The calls at vaddr, innermost first, as `addr2line -i` shows them: each
 * inlined instance with the file:line of its code at vaddr, then its caller
 * with the line of the call (DW_AT_call_file, DW_AT_call_line), ending with
 * the subprogram. A chain longer than max keeps its innermost max - 1 frames
 * and the subprogram. Returns the number of frames (>= 1), or -ENOENT.
 * Each inlined level costs a walk of the unit's DIE tree: cache the answers.
 */
int bw_dwarflines__frames(struct bw_dwarflines *dl, uint64_t vaddr, struct bw_srcframe *out,
			  int max);
void bw_dwarflines__free(struct bw_dwarflines *dl);

#endif /* BW_DWARFLINES_H */
