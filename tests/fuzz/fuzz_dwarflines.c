// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for user/dwarflines.c: the input is a whole ELF file with
 * DWARF (compressed sections included, as Go writes them), opened from memory
 * through libelf as the symbolizer does. Built and run by scripts/fuzz.sh.
 *
 * Look-ups go to addresses the input names: the start, middle and end of each
 * executable section and the first symbols of .symtab.
 */
#include <gelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwarflines.h"

#define MAX_PROBES 64

static volatile size_t sink;

static void probe(struct bw_dwarflines *dl, uint64_t vaddr)
{
	struct bw_srcframe fr[8];
	struct bw_srcline sl;
	int n;

	if (!bw_dwarflines__lookup(dl, vaddr, &sl)) {
		sink += sl.line + sl.function_entry + sl.inlined_entry;
		sink += sl.file ? strlen(sl.file) : 0;
		sink += sl.function ? strlen(sl.function) : 0;
		sink += sl.inlined ? strlen(sl.inlined) : 0;
	}
	if (!bw_dwarflines__lookup_line(dl, vaddr, &sl))
		sink += sl.line + (sl.file ? strlen(sl.file) : 0);
	/* the inline chain: call sites, and the concrete tree walked up */
	n = bw_dwarflines__frames(dl, vaddr, fr, 8);
	for (int i = 0; i < n; i++)
		sink += fr[i].line + (fr[i].file ? strlen(fr[i].file) : 0) +
			(fr[i].function ? strlen(fr[i].function) : 0);
}

static size_t add(uint64_t *v, size_t n, uint64_t addr)
{
	if (n < MAX_PROBES)
		v[n++] = addr;
	return n;
}

static size_t symbol_addrs(Elf_Scn *scn, const GElf_Shdr *sh, uint64_t *v, size_t n)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Sym sym;

	for (int i = 0; d && sh->sh_entsize && i < 16 && gelf_getsym(d, i, &sym); i++)
		if (sym.st_value)
			n = add(v, n, sym.st_value + 1);
	return n;
}

/* Addresses worth looking up in this image. */
static size_t collect_addrs(Elf *elf, uint64_t *v)
{
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t n = 0;

	if (gelf_getehdr(elf, &eh))
		n = add(v, n, eh.e_entry);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_flags & SHF_EXECINSTR) {
			n = add(v, n, sh.sh_addr);
			n = add(v, n, sh.sh_addr + sh.sh_size / 2);
			n = add(v, n, sh.sh_addr + sh.sh_size - 1);
		} else if (sh.sh_type == SHT_SYMTAB) {
			n = symbol_addrs(scn, &sh, v, n);
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t addrs[MAX_PROBES];
	struct bw_dwarflines *dl;
	size_t n;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	/* libelf reads the image in place and must not write to it (libFuzzer checks) */
	elf = elf_memory((char *)data, size);
	if (!elf)
		return 0;
	dl = bw_dwarflines__new(elf);
	if (dl) {
		n = collect_addrs(elf, addrs);
		for (size_t i = 0; i < n; i++)
			probe(dl, addrs[i]);
		probe(dl, 0);
		probe(dl, UINT64_MAX);
		bw_dwarflines__free(dl);
	}
	elf_end(elf);
	return 0;
}
