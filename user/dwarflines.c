// SPDX-License-Identifier: BSD-2-Clause
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dwarflines.h"

/* how far back a lookup walks over units whose ranges overlap */
#define OVERLAP_WALK 8

struct cu_range {
	uint64_t lo, hi;
	Dwarf_Die cudie;
};

struct bw_dwarflines {
	Dwarf *dw;
	struct cu_range *v;
	size_t n, cap;
};

static int push_range(struct bw_dwarflines *dl, uint64_t lo, uint64_t hi, const Dwarf_Die *cudie)
{
	if (lo >= hi)
		return 0;
	if (dl->n == dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 64;
		struct cu_range *v = realloc(dl->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		dl->v = v;
		dl->cap = cap;
	}
	dl->v[dl->n++] = (struct cu_range){ lo, hi, *cudie };
	return 0;
}

/*
 * Index every unit by its ranges ourselves: .debug_aranges, which
 * dwarf_addrdie relies on, is missing from some producers (Go's linker).
 */
static int index_units(struct bw_dwarflines *dl)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Die cudie, subdie;
	Dwarf_Half version;
	uint8_t unit_type;

	while (dwarf_get_units(dl->dw, cu, &next, &version, &unit_type, &cudie, &subdie) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;

		cu = next;
		if (dwarf_tag(&cudie) != DW_TAG_compile_unit &&
		    dwarf_tag(&cudie) != DW_TAG_partial_unit)
			continue;
		while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
			if (push_range(dl, lo, hi, &cudie))
				return -ENOMEM;
		}
	}
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

struct bw_dwarflines *bw_dwarflines__new(Elf *elf)
{
	struct bw_dwarflines *dl = calloc(1, sizeof(*dl));
	int err;

	if (!dl)
		return NULL;
	dl->dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!dl->dw) {
		free(dl);
		errno = ENODATA;
		return NULL;
	}
	err = index_units(dl);
	if (!err && !dl->n)
		err = -ENODATA;
	if (err) {
		bw_dwarflines__free(dl);
		errno = -err;
		return NULL;
	}
	qsort(dl->v, dl->n, sizeof(*dl->v), cmp_range);
	return dl;
}

static Dwarf_Die *find_unit(struct bw_dwarflines *dl, uint64_t vaddr)
{
	size_t lo = 0, hi = dl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dl->v[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, walked = 0; i > 0 && walked < OVERLAP_WALK; i--, walked++)
		if (vaddr < dl->v[i - 1].hi)
			return &dl->v[i - 1].cudie;
	return NULL;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;

	/* through DW_AT_abstract_origin / DW_AT_specification: inlined copies have no name */
	if (!dwarf_attr_integrate(die, DW_AT_name, &attr))
		return NULL;
	return dwarf_formstring(&attr);
}

static void set_function(Dwarf_Die *die, const char **name, uint64_t *entry)
{
	Dwarf_Addr pc;

	*name = die_name(die);
	if (*name && !dwarf_entrypc(die, &pc))
		*entry = pc;
}

/* The subprogram holding die in the concrete tree (the caller of an inlined copy). */
static void find_caller(Dwarf_Die *die, struct bw_srcline *out)
{
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes_die(die, &scopes);

	for (int i = 0; i < n; i++) {
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
			set_function(&scopes[i], &out->function, &out->function_entry);
			break;
		}
	}
	free(scopes);
}

/*
 * Name the innermost inlined function and the enclosing subprogram. Past an
 * inlined instance dwarf_getscopes follows the abstract definition, not the
 * caller: the caller comes from the instance's own place in the tree.
 */
static void find_scopes(Dwarf_Die *cudie, uint64_t vaddr, struct bw_srcline *out)
{
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes(cudie, vaddr, &scopes);

	for (int i = 0; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_inlined_subroutine) {
			set_function(&scopes[i], &out->inlined, &out->inlined_entry);
			find_caller(&scopes[i], out);
			break;
		}
		if (tag == DW_TAG_subprogram) {
			set_function(&scopes[i], &out->function, &out->function_entry);
			break;
		}
	}
	free(scopes);
}

static int lookup(struct bw_dwarflines *dl, uint64_t vaddr, bool scopes, struct bw_srcline *out)
{
	Dwarf_Die *cudie = find_unit(dl, vaddr);
	Dwarf_Line *line;

	memset(out, 0, sizeof(*out));
	if (!cudie)
		return -ENOENT;
	line = dwarf_getsrc_die(cudie, vaddr);
	if (line) {
		out->file = dwarf_linesrc(line, NULL, NULL);
		if (dwarf_lineno(line, &out->line))
			out->line = 0;
	}
	if (scopes)
		find_scopes(cudie, vaddr, out);
	return out->file || out->function ? 0 : -ENOENT;
}

int bw_dwarflines__lookup(struct bw_dwarflines *dl, uint64_t vaddr, struct bw_srcline *out)
{
	return lookup(dl, vaddr, true, out);
}

int bw_dwarflines__lookup_line(struct bw_dwarflines *dl, uint64_t vaddr, struct bw_srcline *out)
{
	return lookup(dl, vaddr, false, out);
}

/* a longer chain of inlined instances is a damaged tree */
#define MAX_INLINE_DEPTH 64

/* The innermost inlined instance or subprogram among scopes, or -1. */
static int first_function_scope(Dwarf_Die *scopes, int n, int from)
{
	for (int i = from; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram)
			return i;
	}
	return -1;
}

/* Where an inlined instance was called from: its caller's file and line. */
static void call_site(Dwarf_Die *cudie, Dwarf_Die *inl, const char **file, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Files *files;
	Dwarf_Word v;
	size_t nfiles;

	*file = NULL;
	*line = 0;
	if (dwarf_attr(inl, DW_AT_call_line, &attr) && !dwarf_formudata(&attr, &v) &&
	    v <= INT32_MAX)
		*line = (int)v;
	if (dwarf_attr(inl, DW_AT_call_file, &attr) && !dwarf_formudata(&attr, &v) &&
	    !dwarf_getsrcfiles(cudie, &files, &nfiles) && v < nfiles)
		*file = dwarf_filesrc(files, v, NULL, NULL);
}

/* The function scope holding die in the concrete tree (the caller of an inlined instance). */
static bool enclosing_function(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes_die(die, &scopes), i;

	/* scopes[0] is die itself */
	i = n > 1 ? first_function_scope(scopes, n, 1) : -1;
	if (i >= 0)
		*out = scopes[i];
	free(scopes);
	return i >= 0;
}

static void put_frame(Dwarf_Die *die, const char *file, int line, struct bw_srcframe *out)
{
	*out = (struct bw_srcframe){ .file = file, .line = line };
	out->inlined = dwarf_tag(die) == DW_TAG_inlined_subroutine;
	set_function(die, &out->function, &out->entry);
}

/*
 * From the innermost function scope outwards. Past an inlined instance
 * dwarf_getscopes follows the abstract definition, not the caller: each
 * caller comes from the instance's own place in the tree.
 */
static int walk_inlined(Dwarf_Die *cudie, Dwarf_Die die, const char *file, int line,
			struct bw_srcframe *out, int max)
{
	int n = 0;

	for (int depth = 0; depth < MAX_INLINE_DEPTH; depth++) {
		Dwarf_Die caller;

		if (dwarf_tag(&die) != DW_TAG_inlined_subroutine)
			break;
		if (n < max - 1)
			put_frame(&die, file, line, &out[n++]);
		call_site(cudie, &die, &file, &line);
		if (!enclosing_function(&die, &caller))
			return n; /* no subprogram found: the chain ends with the last instance */
		die = caller;
	}
	put_frame(&die, file, line, &out[n++]);
	return n;
}

int bw_dwarflines__frames(struct bw_dwarflines *dl, uint64_t vaddr, struct bw_srcframe *out,
			  int max)
{
	Dwarf_Die *cudie = find_unit(dl, vaddr), *scopes = NULL;
	Dwarf_Line *dline;
	const char *file = NULL;
	int line = 0, n, i, count = 0;

	if (!cudie || max < 1)
		return -ENOENT;
	dline = dwarf_getsrc_die(cudie, vaddr);
	if (dline) {
		file = dwarf_linesrc(dline, NULL, NULL);
		if (dwarf_lineno(dline, &line))
			line = 0;
	}
	n = dwarf_getscopes(cudie, vaddr, &scopes);
	i = n > 0 ? first_function_scope(scopes, n, 0) : -1;
	if (i >= 0)
		count = walk_inlined(cudie, scopes[i], file, line, out, max);
	free(scopes);
	if (count > 0)
		return count;
	if (!file)
		return -ENOENT;
	out[0] = (struct bw_srcframe){ .file = file, .line = line };
	return 1;
}

void bw_dwarflines__free(struct bw_dwarflines *dl)
{
	if (!dl)
		return;
	dwarf_end(dl->dw);
	free(dl->v);
	free(dl);
}
