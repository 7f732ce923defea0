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
void bw_dwarflines__free(struct bw_dwarflines *dl);

#endif /* BW_DWARFLINES_H */
