// SPDX-License-Identifier: BSD-2-Clause
/*
 * Go pcln table reader. Formats from Go's runtime/symtab.go (pcHeader, _func,
 * functab, moduledata) and debug/buildinfo (.go.buildinfo), checked against Go 1.16-1.26
 * binaries (tests/unit/test_gopclntab.c).
 * The whole file is mapped (or given) as one image; every table read goes
 * through span(), pcln_at() or vaddr_ptr(), which check offset + length.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gopclntab.h"
#include "log.h"

#define PCLN_MAGIC_116 0xfffffffau
#define PCLN_MAGIC_118 0xfffffff0u
#define PCLN_MAGIC_120 0xfffffff1u
#define PCLN_MAGIC_12 0xfffffffbu /* Go 1.2-1.15: not supported */

#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define BUILDINFO_HDR_LEN 32
#define MAX_VERSION 64
/* longest function or file name accepted (real ones stay under 500 bytes) */
#define MAX_NAME 4096
/* a pc-value table longer than this is corrupt (Go's largest are a few KB) */
#define MAX_PCVALUE_STEPS (1u << 20)

/* moduledata field indices in pointer-sized words (symtab.go, Go 1.16-1.26):
 * pcHeader, 6 slices of 3 words, findfunctab, minpc, maxpc, text */
#define MD_PCHEADER 0
#define MD_FUNCNAMETAB 1
#define MD_MINPC 20
#define MD_MAXPC 21
#define MD_TEXT 22
#define MD_WORDS 23

struct reloc;

struct name_ent {
	const char *name; /* in the image */
	uint32_t idx;	  /* ftab index */
};

struct seg {
	uint64_t vaddr, memsz, off, filesz;
	uint32_t flags;
};

/* bytes of one section in the image; p == NULL if absent */
struct region {
	const uint8_t *p;
	size_t size;
	uint64_t vaddr;
};

struct bw_gobin {
	const uint8_t *img;
	size_t size;
	void *map; /* our mmap of the file, NULL for memory images */
	size_t map_len;
	Elf *elf;
	struct seg *segs;
	size_t nsegs;
	struct region sec_pcln, sec_buildinfo, sec_module, sec_noptrdata, sec_data, sec_text;
	Elf_Scn *symtab;
	bool has_symtab, has_dwarf;
	uint16_t machine;
	struct reloc *relocs; /* R_*_RELATIVE, sorted by offset; loaded on first need */
	size_t nrelocs;
	bool relocs_loaded;

	/* the pcln table */
	const uint8_t *pcln;
	size_t pcln_size;
	uint64_t pcln_vaddr;
	uint32_t magic;
	uint8_t minlc, ptrsize;
	uint64_t nfunc, text_start;
	uint64_t funcname_off, cu_off, filetab_off, pctab_off, ftab_off;
	size_t func_size; /* bytes of _func fields we read */
	uint64_t moduledata;

	char version[MAX_VERSION];
	struct bw_go_version v;
	bool has_version;

	pthread_mutex_t lock;
	bool inl_ready;	 /* inline trees set up (bw_gobin__frames_at), under lock */
	uint64_t gofunc; /* moduledata.gofunc: base of 1.18+ funcdata offsets; 0 if unknown */
	struct name_ent *by_name; /* sorted by name, built on first use */
	size_t nby_name;
	bool by_name_built;
};

/* ---- bounds-checked access ---- */

static const uint8_t *span(const uint8_t *base, size_t size, uint64_t off, uint64_t len)
{
	if (off > size || len > size - off)
		return NULL;
	return base + off;
}

static const uint8_t *pcln_at(const struct bw_gobin *gb, uint64_t off, uint64_t len)
{
	return span(gb->pcln, gb->pcln_size, off, len);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint64_t rdptr(const uint8_t *p, unsigned int ptrsize)
{
	return ptrsize == 8 ? rd64(p) : rd32(p);
}

/*
 * A NUL-terminated string at off in [base, base+size), or NULL. Bounded by
 * MAX_NAME so that a table without NULs cannot make every look-up scan megabytes.
 */
static const char *cstr_at(const uint8_t *base, size_t size, uint64_t off)
{
	size_t n;

	if (off >= size)
		return NULL;
	n = size - off < MAX_NAME ? size - off : MAX_NAME;
	return memchr(base + off, 0, n) ? (const char *)base + off : NULL;
}

/* ---- ELF: segments and sections ---- */

static const struct seg *seg_of(const struct bw_gobin *gb, uint64_t vaddr)
{
	for (size_t i = 0; i < gb->nsegs; i++) {
		const struct seg *s = &gb->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz)
			return s;
	}
	return NULL;
}

int bw_gobin__vaddr_to_offset(const struct bw_gobin *gb, uint64_t vaddr, uint64_t *off)
{
	const struct seg *s = gb ? seg_of(gb, vaddr) : NULL;

	if (!s)
		return -ENOENT;
	*off = s->off + (vaddr - s->vaddr);
	return 0;
}

/* Pointer to len bytes at a link-time address, all inside one segment's file bytes. */
static const uint8_t *vaddr_ptr(const struct bw_gobin *gb, uint64_t vaddr, uint64_t len)
{
	const struct seg *s = seg_of(gb, vaddr);

	if (!s || len > s->filesz - (vaddr - s->vaddr))
		return NULL;
	return span(gb->img, gb->size, s->off + (vaddr - s->vaddr), len);
}

int bw_gobin__read(const struct bw_gobin *gb, uint64_t vaddr, void *buf, size_t len)
{
	const uint8_t *p = gb ? vaddr_ptr(gb, vaddr, len) : NULL;

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static int load_segments(struct bw_gobin *gb)
{
	size_t n;

	if (elf_getphdrnum(gb->elf, &n) || !n)
		return 0;
	gb->segs = calloc(n, sizeof(*gb->segs));
	if (!gb->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(gb->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset >= gb->size || ph.p_vaddr > UINT64_MAX - ph.p_memsz ||
		    ph.p_filesz > ph.p_memsz)
			continue;
		/* a truncated file keeps the part of a segment it still has */
		if (ph.p_filesz > gb->size - ph.p_offset)
			ph.p_filesz = gb->size - ph.p_offset;
		gb->segs[gb->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_memsz, ph.p_offset,
						      ph.p_filesz, ph.p_flags };
	}
	return 0;
}

static void set_region(struct bw_gobin *gb, struct region *r, const GElf_Shdr *sh)
{
	const uint8_t *p;

	if (sh->sh_type == SHT_NOBITS || !sh->sh_size)
		return;
	p = span(gb->img, gb->size, sh->sh_offset, sh->sh_size);
	if (!p)
		return;
	r->p = p;
	r->size = sh->sh_size;
	r->vaddr = sh->sh_addr;
}

static void note_section(struct bw_gobin *gb, Elf_Scn *scn, const GElf_Shdr *sh, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} wanted[] = {
		{ ".gopclntab", offsetof(struct bw_gobin, sec_pcln) },
		/* PIE builds keep it among the relocated read-only data */
		{ ".data.rel.ro.gopclntab", offsetof(struct bw_gobin, sec_pcln) },
		{ ".go.buildinfo", offsetof(struct bw_gobin, sec_buildinfo) },
		{ ".go.module", offsetof(struct bw_gobin, sec_module) },
		{ ".noptrdata", offsetof(struct bw_gobin, sec_noptrdata) },
		{ ".data", offsetof(struct bw_gobin, sec_data) },
		{ ".text", offsetof(struct bw_gobin, sec_text) },
	};

	if (sh->sh_type == SHT_SYMTAB && !gb->symtab) {
		gb->symtab = scn;
		gb->has_symtab = true;
	}
	if (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info"))
		gb->has_dwarf = true;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (!strcmp(name, wanted[i].name))
			set_region(gb, (struct region *)((char *)gb + wanted[i].off), sh);
}

static void scan_sections(struct bw_gobin *gb)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(gb->elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(gb->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(gb->elf, shstrndx, sh.sh_name);
		if (name)
			note_section(gb, scn, &sh, name);
	}
}

/* ---- the pcln header ---- */

static size_t func_fields_size(uint32_t magic)
{
	/* through cuOffset: 1.16 starts with a uintptr entry, 1.18+ with a uint32 entryoff */
	return magic == PCLN_MAGIC_116 ? 40 : 36;
}

static uint64_t ftab_entry_size(const struct bw_gobin *gb)
{
	return gb->magic == PCLN_MAGIC_116 ? 2 * (uint64_t)gb->ptrsize : 8;
}

/* Entry address of ftab[i], i in [0, nfunc] (nfunc: the end of the last function). */
static uint64_t ftab_entry(const struct bw_gobin *gb, uint64_t i)
{
	bool abs = gb->magic == PCLN_MAGIC_116;
	const uint8_t *p = pcln_at(gb, gb->ftab_off + i * ftab_entry_size(gb),
				   abs ? gb->ptrsize : 4);

	if (!p)
		return 0;
	if (abs)
		return rdptr(p, gb->ptrsize);
	return gb->text_start + rd32(p);
}

/* The _func of ftab[i], i < nfunc, with its fixed fields in bounds. */
static const uint8_t *ftab_func(const struct bw_gobin *gb, uint64_t i)
{
	const uint8_t *p = pcln_at(gb, gb->ftab_off + i * ftab_entry_size(gb), ftab_entry_size(gb));
	uint64_t funcoff;

	if (!p)
		return NULL;
	funcoff = gb->magic == PCLN_MAGIC_116 ? rdptr(p + gb->ptrsize, gb->ptrsize) : rd32(p + 4);
	if (funcoff > UINT64_MAX - gb->ftab_off)
		return NULL;
	return pcln_at(gb, gb->ftab_off + funcoff, gb->func_size);
}

/* _func field at byte offset off118 in the 1.18+ layout (1.16: +4, after a 64-bit entry). */
static uint32_t func_u32(const struct bw_gobin *gb, const uint8_t *f, size_t off118)
{
	return rd32(f + off118 + (gb->magic == PCLN_MAGIC_116 ? gb->ptrsize - 4 : 0));
}

#define FUNC_NAMEOFF 4
#define FUNC_PCFILE 20
#define FUNC_PCLN 24
#define FUNC_CUOFF 32

/* A name in funcnametab (functions and inlined calls both point there). */
static const char *funcname_at(const struct bw_gobin *gb, uint32_t nameoff)
{
	if (gb->funcname_off >= gb->pcln_size)
		return NULL;
	return cstr_at(gb->pcln + gb->funcname_off, gb->pcln_size - gb->funcname_off, nameoff);
}

static const char *func_name(const struct bw_gobin *gb, const uint8_t *f)
{
	return funcname_at(gb, func_u32(gb, f, FUNC_NAMEOFF));
}

static int parse_header(struct bw_gobin *gb)
{
	const uint8_t *h = gb->pcln;
	unsigned int ps;
	uint64_t w[7];
	size_t nw, hdr;

	if (gb->pcln_size < 8)
		return -EINVAL;
	gb->magic = rd32(h);
	if (gb->magic == PCLN_MAGIC_12)
		return -ENOTSUP;
	if (gb->magic != PCLN_MAGIC_116 && gb->magic != PCLN_MAGIC_118 &&
	    gb->magic != PCLN_MAGIC_120)
		return -EINVAL;
	gb->minlc = h[6];
	gb->ptrsize = h[7];
	ps = gb->ptrsize;
	if (h[4] || h[5] || (ps != 4 && ps != 8) ||
	    (gb->minlc != 1 && gb->minlc != 2 && gb->minlc != 4))
		return -EINVAL;
	nw = gb->magic == PCLN_MAGIC_116 ? 7 : 8;
	hdr = 8 + nw * ps;
	if (gb->pcln_size < hdr)
		return -EINVAL;
	for (size_t i = 0, j = 0; i < nw; i++) {
		uint64_t x = rdptr(h + 8 + i * ps, ps);

		if (i == 2 && nw == 8) { /* textStart, 1.18+ only */
			gb->text_start = x;
			continue;
		}
		w[j++] = x;
	}
	gb->nfunc = w[0];
	gb->funcname_off = w[2];
	gb->cu_off = w[3];
	gb->filetab_off = w[4];
	gb->pctab_off = w[5];
	gb->ftab_off = w[6];
	gb->func_size = func_fields_size(gb->magic);
	if (ps == 4 && gb->magic == PCLN_MAGIC_116)
		gb->func_size -= 4; /* a 32-bit entry */
	if (!gb->nfunc || gb->nfunc > gb->pcln_size / 8 ||
	    !pcln_at(gb, gb->ftab_off, (gb->nfunc + 1) * ftab_entry_size(gb)) ||
	    gb->funcname_off >= gb->pcln_size || gb->cu_off > gb->pcln_size ||
	    gb->filetab_off >= gb->pcln_size || gb->pctab_off >= gb->pcln_size)
		return -EINVAL;
	return 0;
}

/* The first function must have a readable name: a cheap check that offsets make sense. */
static int check_tables(const struct bw_gobin *gb)
{
	const uint8_t *f = ftab_func(gb, 0);

	if (!f || !func_name(gb, f))
		return -EINVAL;
	return 0;
}

/* ---- finding the pcln table when section headers are gone ---- */

static bool plausible_header(const uint8_t *p, size_t avail)
{
	uint32_t m;

	if (avail < 72)
		return false;
	m = rd32(p);
	return (m == PCLN_MAGIC_116 || m == PCLN_MAGIC_118 || m == PCLN_MAGIC_120) && !p[4] &&
	       !p[5] && (p[6] == 1 || p[6] == 2 || p[6] == 4) && (p[7] == 4 || p[7] == 8);
}

static int try_pcln(struct bw_gobin *gb, const uint8_t *p, size_t size, uint64_t vaddr)
{
	int err;

	gb->pcln = p;
	gb->pcln_size = size;
	gb->pcln_vaddr = vaddr;
	err = parse_header(gb);
	if (!err)
		err = check_tables(gb);
	if (err) {
		gb->pcln = NULL;
		gb->pcln_size = 0;
	}
	return err;
}

/* Read-only segments first; PIE and cgo builds put it in writable .data.rel.ro. */
static int find_pcln_by_magic(struct bw_gobin *gb)
{
	for (int writable = 0; writable < 2; writable++) {
		for (size_t i = 0; i < gb->nsegs; i++) {
			const struct seg *s = &gb->segs[i];
			const uint8_t *base = gb->img + s->off;

			if (!!(s->flags & PF_W) != writable)
				continue;
			for (uint64_t o = (8 - (s->vaddr & 7)) & 7; o + 8 <= s->filesz; o += 8) {
				if (!plausible_header(base + o, s->filesz - o))
					continue;
				if (!try_pcln(gb, base + o, s->filesz - o, s->vaddr + o))
					return 0;
			}
		}
	}
	return -ENOEXEC;
}

/* Linked with .symtab: runtime.pcheader (1.16+) marks the header. */
static int find_pcln_by_symbol(struct bw_gobin *gb)
{
	uint64_t addr = bw_gobin__symbol(gb, "runtime.pcheader");
	const struct seg *s;

	if (!addr)
		addr = bw_gobin__symbol(gb, "runtime.pclntab");
	s = addr ? seg_of(gb, addr) : NULL;
	if (!s)
		return -ENOENT;
	return try_pcln(gb, gb->img + s->off + (addr - s->vaddr), s->filesz - (addr - s->vaddr),
			addr);
}

static int find_pcln(struct bw_gobin *gb)
{
	int err;

	if (gb->sec_pcln.p) {
		err = try_pcln(gb, gb->sec_pcln.p, gb->sec_pcln.size, gb->sec_pcln.vaddr);
		if (err)
			bw_dbg("failed to parse '.gopclntab': %s", strerror(-err));
		return err;
	}
	if (!find_pcln_by_symbol(gb))
		return 0;
	return find_pcln_by_magic(gb);
}

/* ---- relocations: pointers the linker left as 0 in the file ---- */

struct reloc {
	uint64_t off, addend;
};

static int cmp_reloc(const void *a, const void *b)
{
	const struct reloc *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static uint32_t relative_type(uint16_t machine)
{
	return machine == EM_X86_64    ? 8    /* R_X86_64_RELATIVE */
	       : machine == EM_AARCH64 ? 1027 /* R_AARCH64_RELATIVE */
				       : 0;
}

/* The RELA table named by PT_DYNAMIC's DT_RELA/DT_RELASZ, or NULL. */
static const uint8_t *dynamic_rela(const struct bw_gobin *gb, size_t *size)
{
	uint64_t rela = 0, relasz = 0;
	size_t n;

	if (elf_getphdrnum(gb->elf, &n))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d;
		GElf_Phdr ph;

		if (!gelf_getphdr(gb->elf, (int)i, &ph) || ph.p_type != PT_DYNAMIC)
			continue;
		d = span(gb->img, gb->size, ph.p_offset, ph.p_filesz);
		for (uint64_t o = 0; d && o + 16 <= ph.p_filesz && rd64(d + o) != DT_NULL;
		     o += 16) {
			if (rd64(d + o) == DT_RELA)
				rela = rd64(d + o + 8);
			else if (rd64(d + o) == DT_RELASZ)
				relasz = rd64(d + o + 8);
		}
	}
	*size = relasz;
	return rela && relasz ? vaddr_ptr(gb, rela, relasz) : NULL;
}

/* Loaded on first need: only PIE/cgo builds linked by lld leave pointer slots 0. */
static void load_relocs(struct bw_gobin *gb)
{
	uint32_t type = relative_type(gb->machine);
	const uint8_t *r;
	size_t size;

	gb->relocs_loaded = true;
	r = gb->ptrsize == 8 && type ? dynamic_rela(gb, &size) : NULL;
	if (!r || !(gb->relocs = calloc(size / 24 + 1, sizeof(*gb->relocs))))
		return;
	for (size_t o = 0; o + 24 <= size; o += 24)
		if ((rd64(r + o + 8) & 0xffffffff) == type)
			gb->relocs[gb->nrelocs++] = (struct reloc){ rd64(r + o), rd64(r + o + 16) };
	qsort(gb->relocs, gb->nrelocs, sizeof(*gb->relocs), cmp_reloc);
}

/* The RELATIVE addend for vaddr, from relocations already loaded. */
static bool reloc_lookup(const struct bw_gobin *gb, uint64_t vaddr, uint64_t *out)
{
	struct reloc key = { vaddr, 0 }, *r;

	r = gb->nrelocs ? bsearch(&key, gb->relocs, gb->nrelocs, sizeof(key), cmp_reloc) : NULL;
	if (r)
		*out = r->addend;
	return r;
}

static bool reloc_at(struct bw_gobin *gb, uint64_t vaddr, uint64_t *out)
{
	if (!gb->relocs_loaded)
		load_relocs(gb);
	return reloc_lookup(gb, vaddr, out);
}

/* A pointer at vaddr as the loader sees it: the file's word, or a RELATIVE addend if 0. */
static bool read_addr(struct bw_gobin *gb, uint64_t vaddr, uint64_t *out)
{
	const uint8_t *p = vaddr_ptr(gb, vaddr, gb->ptrsize);

	if (!p)
		return false;
	*out = rdptr(p, gb->ptrsize);
	if (!*out)
		reloc_at(gb, vaddr, out);
	return true;
}

/* ---- runtime.moduledata: the text start when pcHeader.textStart is 0 ---- */

static bool moduledata_at(struct bw_gobin *gb, uint64_t md)
{
	unsigned int ps = gb->ptrsize;
	uint64_t hdr, names;

	return read_addr(gb, md + MD_PCHEADER * ps, &hdr) && hdr == gb->pcln_vaddr &&
	       read_addr(gb, md + MD_FUNCNAMETAB * ps, &names) &&
	       names == gb->pcln_vaddr + gb->funcname_off;
}

static uint64_t scan_moduledata(struct bw_gobin *gb, const uint8_t *p, size_t size, uint64_t vaddr)
{
	unsigned int ps = gb->ptrsize;

	for (size_t o = (ps - (vaddr % ps)) % ps; o + ps <= size; o += ps)
		if (rdptr(p + o, ps) == gb->pcln_vaddr && moduledata_at(gb, vaddr + o))
			return vaddr + o;
	return 0;
}

static uint64_t find_moduledata_in_data(struct bw_gobin *gb)
{
	const struct region *rs[] = { &gb->sec_noptrdata, &gb->sec_data };
	uint64_t md;

	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		md = rs[i]->p ? scan_moduledata(gb, rs[i]->p, rs[i]->size, rs[i]->vaddr) : 0;
		if (md)
			return md;
	}
	for (size_t i = 0; i < gb->nsegs; i++) {
		const struct seg *s = &gb->segs[i];

		md = s->flags & PF_W ? scan_moduledata(gb, gb->img + s->off, s->filesz, s->vaddr)
				     : 0;
		if (md)
			return md;
	}
	return 0;
}

static uint64_t find_moduledata(struct bw_gobin *gb)
{
	uint64_t md = bw_gobin__symbol(gb, "runtime.firstmoduledata");

	if (md && moduledata_at(gb, md))
		return md;
	/* Go 1.26+: moduledata has its own section */
	if (gb->sec_module.p && moduledata_at(gb, gb->sec_module.vaddr))
		return gb->sec_module.vaddr;
	md = find_moduledata_in_data(gb);
	if (md)
		return md;
	/* lld left its pointers 0 in the file: the relocation to the pcln header marks it */
	if (!gb->relocs_loaded)
		load_relocs(gb);
	for (size_t i = 0; i < gb->nrelocs; i++)
		if (gb->relocs[i].addend == gb->pcln_vaddr && moduledata_at(gb, gb->relocs[i].off))
			return gb->relocs[i].off;
	return 0;
}

/* text = minpc - ftab[0].entryoff; the text field itself must agree. */
static int text_from_moduledata(struct bw_gobin *gb)
{
	unsigned int ps = gb->ptrsize;
	uint64_t md, text, minpc, maxpc;
	const uint8_t *e0;

	md = find_moduledata(gb);
	if (!md)
		return -ENOENT;
	gb->moduledata = md;
	e0 = pcln_at(gb, gb->ftab_off, 4);
	if (!e0 || !read_addr(gb, md + MD_TEXT * ps, &text) ||
	    !read_addr(gb, md + MD_MINPC * ps, &minpc) ||
	    !read_addr(gb, md + MD_MAXPC * ps, &maxpc))
		return -ENOENT;
	if (!text || minpc < text || maxpc < minpc || minpc - text != rd32(e0))
		return -EINVAL;
	gb->text_start = text;
	return 0;
}

static void resolve_text_start(struct bw_gobin *gb)
{
	int err;

	if (gb->magic == PCLN_MAGIC_116 || gb->text_start)
		return;
	/* PIE/cgo linked by lld: the field is 0 in the file, its relocation holds the value */
	if (reloc_at(gb, gb->pcln_vaddr + 8 + 2 * gb->ptrsize, &gb->text_start))
		return;
	/* Go 1.26 (and some cgo builds): pcHeader.textStart is 0; use moduledata.text */
	err = text_from_moduledata(gb);
	if (!err)
		return;
	/* last resort: the .text section (wrong if C code precedes Go's text) */
	if (gb->sec_text.p)
		gb->text_start = gb->sec_text.vaddr;
	bw_dbg("failed to find runtime.moduledata: %s; text start 0x%llx", strerror(-err),
	       (unsigned long long)gb->text_start);
}

/* ---- Go version ---- */

static bool parse_version(const char *s, size_t len, struct bw_go_version *v)
{
	size_t i = 0;
	int *parts[3] = { &v->major, &v->minor, &v->patch };
	int n = 0;

	if (len < 4 || memcmp(s, "go", 2))
		return false;
	i = 2;
	*v = (struct bw_go_version){ 0, 0, 0 };
	while (n < 3) {
		int x = 0, digits = 0;

		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 6) {
			x = x * 10 + (s[i++] - '0');
			digits++;
		}
		if (!digits)
			break;
		*parts[n++] = x;
		if (i >= len || s[i] != '.')
			break;
		i++;
	}
	return n >= 2 && v->major == 1;
}

static void set_version(struct bw_gobin *gb, const char *s, size_t len)
{
	struct bw_go_version v;

	if (len >= MAX_VERSION)
		len = MAX_VERSION - 1;
	if (!parse_version(s, len, &v))
		return;
	memcpy(gb->version, s, len);
	gb->version[len] = 0;
	gb->v = v;
	gb->has_version = true;
}

static uint64_t uvarint(const uint8_t *p, size_t size, size_t *used)
{
	uint64_t x = 0;

	for (size_t i = 0; i < size && i < 10; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*used = i + 1;
			return x;
		}
	}
	*used = 0;
	return 0;
}

/* The bytes of the Go string whose header (ptr, len) is at vaddr, or NULL. */
static const char *go_string(struct bw_gobin *gb, uint64_t vaddr, size_t *len)
{
	uint64_t ptr, n;

	if (!read_addr(gb, vaddr, &ptr) || !read_addr(gb, vaddr + gb->ptrsize, &n) || !n ||
	    n >= MAX_VERSION)
		return NULL;
	*len = n;
	return (const char *)vaddr_ptr(gb, ptr, n);
}

/* .go.buildinfo: 14-byte magic, ptrSize, flags; Go 1.18+ (flags & 2) inline varint strings. */
static int version_from_buildinfo(struct bw_gobin *gb, const uint8_t *p, size_t size)
{
	unsigned int ps;
	const char *s;
	size_t used, len;
	uint64_t n, hdr;

	if (size < BUILDINFO_HDR_LEN || memcmp(p, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN))
		return -ENOENT;
	ps = p[14];
	if (p[15] & 2) {
		n = uvarint(p + BUILDINFO_HDR_LEN, size - BUILDINFO_HDR_LEN, &used);
		if (!used || n > size - BUILDINFO_HDR_LEN - used)
			return -EINVAL;
		set_version(gb, (const char *)p + BUILDINFO_HDR_LEN + used, n);
		return gb->has_version ? 0 : -EINVAL;
	}
	if (ps != gb->ptrsize || (p[15] & 1)) /* big-endian: not for us */
		return -EINVAL;
	/* old format: a pointer to the version string header (0 in the file under lld) */
	if (!(hdr = rdptr(p + 16, ps)) && gb->sec_buildinfo.p)
		reloc_at(gb, gb->sec_buildinfo.vaddr + 16, &hdr);
	s = go_string(gb, hdr, &len);
	if (!s)
		return -EINVAL;
	set_version(gb, s, len);
	return gb->has_version ? 0 : -EINVAL;
}

static int find_buildinfo(struct bw_gobin *gb)
{
	if (gb->sec_buildinfo.p)
		return version_from_buildinfo(gb, gb->sec_buildinfo.p, gb->sec_buildinfo.size);
	/* no section headers: the blob is 16-byte aligned in a writable segment */
	for (size_t i = 0; i < gb->nsegs; i++) {
		const struct seg *s = &gb->segs[i];
		const uint8_t *base = gb->img + s->off;

		if (!(s->flags & PF_W))
			continue;
		for (uint64_t o = (16 - (s->vaddr & 15)) & 15; o + BUILDINFO_HDR_LEN <= s->filesz;
		     o += 16)
			if (!memcmp(base + o, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN))
				return version_from_buildinfo(gb, base + o, s->filesz - o);
	}
	return -ENOENT;
}

/* Version strings look like "go1.21.5", "go1.22rc1", "go1.22.0 X:boringcrypto". */
static bool version_chars(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < ' ' || s[i] > '~')
			return false;
	return true;
}

/* runtime.buildVersion is a string variable in the data: a (ptr, len) pair pointing at "go1.". */
static int version_from_string_header(struct bw_gobin *gb)
{
	unsigned int ps = gb->ptrsize;

	for (size_t i = 0; i < gb->nsegs; i++) {
		const struct seg *sg = &gb->segs[i];
		const uint8_t *base = gb->img + sg->off;

		if (!(sg->flags & PF_W))
			continue;
		for (uint64_t o = (ps - sg->vaddr % ps) % ps; o + 2 * ps <= sg->filesz; o += ps) {
			uint64_t n = rdptr(base + o + ps, ps);
			const char *s;
			size_t len;

			if (n < 6 || n >= MAX_VERSION)
				continue;
			s = go_string(gb, sg->vaddr + o, &len);
			if (!s || memcmp(s, "go1.", 4) || !version_chars(s, len))
				continue;
			set_version(gb, s, len);
			if (gb->has_version)
				return 0;
		}
	}
	return -ENOENT;
}

static bool is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Last resort: the first "go1.N[.P]" in read-only data standing on its own. */
static int version_from_rodata(struct bw_gobin *gb)
{
	for (size_t i = 0; i < gb->nsegs; i++) {
		const struct seg *sg = &gb->segs[i];
		const char *base = (const char *)gb->img + sg->off, *end = base + sg->filesz;
		const char *p = base;

		if (sg->flags & (PF_W | PF_X))
			continue;
		while ((p = memmem(p, end - p, "go1.", 4))) {
			const char *q = p + 4;

			while (q < end && q - p < 16 && ((*q >= '0' && *q <= '9') || *q == '.'))
				q++;
			if ((p == base || !is_alnum(p[-1])) && q > p + 4 && q[-1] != '.' &&
			    (q == end || !is_alnum(*q))) {
				set_version(gb, p, q - p);
				if (gb->has_version)
					return 0;
			}
			p += 4;
		}
	}
	return -ENOENT;
}

static void find_version(struct bw_gobin *gb)
{
	uint64_t sym;
	const char *s;
	size_t len;

	if (!find_buildinfo(gb))
		return;
	/* some recent binaries have no .go.buildinfo: runtime.buildVersion still holds it */
	sym = bw_gobin__symbol(gb, "runtime.buildVersion");
	if (sym && (s = go_string(gb, sym, &len))) {
		set_version(gb, s, len);
		if (gb->has_version)
			return;
	}
	if (!version_from_string_header(gb))
		return;
	version_from_rodata(gb);
}

/* ---- open / free ---- */

static int gobin_init(struct bw_gobin *gb)
{
	GElf_Ehdr eh;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	gb->elf = elf_memory((char *)gb->img, gb->size);
	if (!gb->elf || elf_kind(gb->elf) != ELF_K_ELF || !gelf_getehdr(gb->elf, &eh))
		return -ENOEXEC;
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	gb->machine = eh.e_machine;
	err = load_segments(gb);
	if (err)
		return err;
	scan_sections(gb);
	err = find_pcln(gb);
	if (err)
		return err;
	resolve_text_start(gb);
	find_version(gb);
	return 0;
}

static struct bw_gobin *gobin_new(const void *data, size_t size)
{
	struct bw_gobin *gb = calloc(1, sizeof(*gb));

	if (!gb)
		return NULL;
	gb->img = data;
	gb->size = size;
	pthread_mutex_init(&gb->lock, NULL);
	return gb;
}

static struct bw_gobin *gobin_finish(struct bw_gobin *gb)
{
	int err = gobin_init(gb);

	if (err) {
		bw_gobin__free(gb);
		errno = -err;
		return NULL;
	}
	return gb;
}

struct bw_gobin *bw_gobin__open_mem(const void *data, size_t size)
{
	struct bw_gobin *gb;

	if (!data || !size) {
		errno = ENOEXEC;
		return NULL;
	}
	gb = gobin_new(data, size);
	if (!gb) {
		errno = ENOMEM;
		return NULL;
	}
	return gobin_finish(gb);
}

struct bw_gobin *bw_gobin__open(const char *path)
{
	struct bw_gobin *gb;
	struct stat st;
	void *map;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		err = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 64) {
		err = ENOEXEC;
		goto fail;
	}
	/* private writable mapping: libelf may not write, but it is allowed to */
	map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		err = errno;
		goto fail;
	}
	close(fd);
	gb = gobin_new(map, st.st_size);
	if (!gb) {
		munmap(map, st.st_size);
		errno = ENOMEM;
		return NULL;
	}
	gb->map = map;
	gb->map_len = st.st_size;
	return gobin_finish(gb);
fail:
	close(fd);
	errno = err;
	return NULL;
}

void bw_gobin__free(struct bw_gobin *gb)
{
	if (!gb)
		return;
	if (gb->elf)
		elf_end(gb->elf);
	if (gb->map)
		munmap(gb->map, gb->map_len);
	pthread_mutex_destroy(&gb->lock);
	free(gb->by_name);
	free(gb->relocs);
	free(gb->segs);
	free(gb);
}

/* ---- queries ---- */

int bw_gobin__version(const struct bw_gobin *gb, struct bw_go_version *out)
{
	if (!gb || !gb->has_version)
		return -ENOENT;
	*out = gb->v;
	return 0;
}

const char *bw_gobin__version_string(const struct bw_gobin *gb)
{
	return gb && gb->has_version ? gb->version : NULL;
}

uint32_t bw_gobin__pcln_magic(const struct bw_gobin *gb)
{
	return gb ? gb->magic : 0;
}

int bw_gobin__has_symtab(const struct bw_gobin *gb)
{
	return gb && gb->has_symtab;
}

int bw_gobin__has_dwarf(const struct bw_gobin *gb)
{
	return gb && gb->has_dwarf;
}

size_t bw_gobin__func_count(const struct bw_gobin *gb)
{
	return gb ? gb->nfunc : 0;
}

uint64_t bw_gobin__text_start(const struct bw_gobin *gb)
{
	return gb ? gb->text_start : 0;
}

uint64_t bw_gobin__moduledata(const struct bw_gobin *gb)
{
	return gb ? gb->moduledata : 0;
}

static int func_info(const struct bw_gobin *gb, uint64_t i, struct bw_go_func *out)
{
	const uint8_t *f = ftab_func(gb, i);
	const char *name = f ? func_name(gb, f) : NULL;

	if (!name)
		return -ENOENT;
	out->entry = ftab_entry(gb, i);
	out->end = ftab_entry(gb, i + 1);
	out->name = name;
	return 0;
}

int bw_gobin__func_by_index(const struct bw_gobin *gb, size_t i, struct bw_go_func *out)
{
	if (!gb || i >= gb->nfunc)
		return -ENOENT;
	return func_info(gb, i, out);
}

/* Index of the function holding pc, or -1. */
static int64_t func_index(const struct bw_gobin *gb, uint64_t pc)
{
	uint64_t lo = 0, hi = gb->nfunc;

	if (pc < ftab_entry(gb, 0) || pc >= ftab_entry(gb, gb->nfunc))
		return -1;
	/* largest i with entry(i) <= pc */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ftab_entry(gb, mid) <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return (int64_t)lo;
}

int bw_gobin__func_at(const struct bw_gobin *gb, uint64_t pc, struct bw_go_func *out)
{
	int64_t i = gb ? func_index(gb, pc) : -1;

	if (i < 0)
		return -ENOENT;
	return func_info(gb, i, out);
}

/*
 * Go's pc-value tables: pairs of (zigzag value delta, pc delta / minLC)
 * varints, value starting at -1 and pc at the entry; a value delta of 0
 * after the first pair ends the table.
 */
static bool pcvalue_varint(const uint8_t *p, size_t size, size_t *pos, uint32_t *out)
{
	uint32_t v = 0;

	for (unsigned int shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (*pos >= size)
			return false;
		b = p[(*pos)++];
		v |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

static int pcvalue(const struct bw_gobin *gb, uint32_t off, uint64_t entry, uint64_t target,
		   int32_t *out)
{
	const uint8_t *tab = gb->pcln + gb->pctab_off;
	size_t size = gb->pcln_size - gb->pctab_off, pos = off;
	uint32_t val = (uint32_t)-1;
	uint64_t pc = entry;

	if (!off || off >= size)
		return -ENOENT;
	for (uint32_t step = 0; step < MAX_PCVALUE_STEPS; step++) {
		uint32_t uvd, pcd;

		if (!pcvalue_varint(tab, size, &pos, &uvd) || (!uvd && step))
			return -ENOENT;
		if (!pcvalue_varint(tab, size, &pos, &pcd))
			return -ENOENT;
		val += (uvd & 1) ? ~(uvd >> 1) : (uvd >> 1);
		pc += (uint64_t)pcd * gb->minlc;
		if (target < pc) {
			*out = (int32_t)val;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *file_name(const struct bw_gobin *gb, const uint8_t *f, int32_t fileno)
{
	uint64_t cu = func_u32(gb, f, FUNC_CUOFF);
	const uint8_t *p;
	uint32_t fileoff;

	if (fileno < 0)
		return NULL;
	p = pcln_at(gb, gb->cu_off + (cu + (uint64_t)fileno) * 4, 4);
	if (!p)
		return NULL;
	fileoff = rd32(p);
	if (fileoff == UINT32_MAX)
		return NULL;
	return cstr_at(gb->pcln + gb->filetab_off, gb->pcln_size - gb->filetab_off, fileoff);
}

/* File and line of pc in function f (entry: its first instruction). */
static int func_line(const struct bw_gobin *gb, const uint8_t *f, uint64_t entry, uint64_t pc,
		     const char **file, int *line)
{
	int32_t fileno, ln;
	const char *name;

	if (pcvalue(gb, func_u32(gb, f, FUNC_PCFILE), entry, pc, &fileno) ||
	    pcvalue(gb, func_u32(gb, f, FUNC_PCLN), entry, pc, &ln) || ln < 0)
		return -ENOENT;
	name = file_name(gb, f, fileno);
	if (!name)
		return -ENOENT;
	*file = name;
	*line = ln;
	return 0;
}

int bw_gobin__line_at(const struct bw_gobin *gb, uint64_t pc, const char **file, int *line)
{
	int64_t i = gb ? func_index(gb, pc) : -1;
	const uint8_t *f = i >= 0 ? ftab_func(gb, i) : NULL;

	if (!f)
		return -ENOENT;
	return func_line(gb, f, ftab_entry(gb, i), pc, file, line);
}

/*
 * ---- inlined calls ----
 *
 * The compiler records, per function, a tree of the calls it inlined
 * (FUNCDATA_InlTree) and, per pc, the innermost one the code belongs to
 * (PCDATA_InlTreeIndex, -1 for the function's own code). The pcfile/pcln
 * tables already give the innermost position; each call's parentPc is a pc of
 * the caller's code at the call site. runtime/symtab.go, symtabinl.go.
 */

#define PCDATA_INLTREEINDEX 2
#define FUNCDATA_INLTREE 3
#define FUNC_NPCDATA 28
/* moduledata.gofunc in words: Go 1.18-1.19, and 1.20+ (covctrs, ecovctrs before it) */
#define MD_GOFUNC_118 38
#define MD_GOFUNC_120 40
/* a longer chain is a cycle in a damaged table (the inliner nests a few levels) */
#define MAX_INLINE_DEPTH 64
/* the runtime reads the tree as *[1 << 20]inlinedCall */
#define MAX_INLTREE_INDEX (1 << 20)

struct inl_call {
	const char *name;
	uint32_t parent_pc; /* offset from the function's entry */
};

/* Bytes of _func before its pcdata offsets, nfuncdata being the last of them. */
static size_t func_hdr_size(const struct bw_gobin *gb)
{
	if (gb->magic == PCLN_MAGIC_116)
		return 40 + gb->ptrsize - 4;	      /* a uintptr entry */
	return gb->magic == PCLN_MAGIC_118 ? 40 : 44; /* 1.20+: startLine */
}

/* Bytes of the pcln table from f on (f is inside it: ftab_func checked). */
static size_t func_avail(const struct bw_gobin *gb, const uint8_t *f)
{
	return (size_t)(gb->pcln + gb->pcln_size - f);
}

/* pctab offset of pcdata table t of f, 0 if none. */
static uint32_t func_pcdata(const struct bw_gobin *gb, const uint8_t *f, uint32_t t)
{
	size_t hdr = func_hdr_size(gb);

	if (t >= func_u32(gb, f, FUNC_NPCDATA) || hdr + 4 * (t + 1) > func_avail(gb, f))
		return 0;
	return rd32(f + hdr + 4 * t);
}

/*
 * Link-time address of f's inline tree, 0 if none. Go 1.18+: uint32 offsets
 * from moduledata.gofunc (^0: none); 1.16-1.17: pointers, 8-aligned in memory.
 */
static uint64_t func_inltree(const struct bw_gobin *gb, const uint8_t *f)
{
	size_t hdr = func_hdr_size(gb), avail = func_avail(gb, f);
	uint64_t at, vaddr, ptr;
	uint32_t off;

	if (hdr > avail || f[hdr - 1] <= FUNCDATA_INLTREE)
		return 0;
	at = hdr + 4 * (uint64_t)func_u32(gb, f, FUNC_NPCDATA);
	if (gb->magic != PCLN_MAGIC_116) {
		at += 4 * FUNCDATA_INLTREE;
		if (!gb->gofunc || at + 4 > avail || (off = rd32(f + at)) == UINT32_MAX)
			return 0;
		return gb->gofunc + off;
	}
	vaddr = gb->pcln_vaddr + (uint64_t)(f - gb->pcln) + at;
	if (gb->ptrsize == 8 && (vaddr & 4))
		at += 4;
	at += FUNCDATA_INLTREE * (uint64_t)gb->ptrsize;
	if (at + gb->ptrsize > avail)
		return 0;
	ptr = rdptr(f + at, gb->ptrsize);
	if (!ptr) /* PIE linked by lld: the pointer is in a relocation */
		reloc_lookup(gb, gb->pcln_vaddr + (uint64_t)(f - gb->pcln) + at, &ptr);
	return ptr;
}

/* Index of the inlined call pc belongs to, -1 for the function's own code. */
static int32_t inl_index(const struct bw_gobin *gb, const uint8_t *f, uint64_t entry, uint64_t pc)
{
	uint32_t off = func_pcdata(gb, f, PCDATA_INLTREEINDEX);
	int32_t ix;

	if (!off || pcvalue(gb, off, entry, pc, &ix))
		return -1;
	return ix;
}

/*
 * Entry ix of the tree. inlinedCall, Go 1.16-1.19: parent int16, funcID, pad,
 * file int32, line int32, func_ int32 (name), parentPc int32; Go 1.20+:
 * funcID, pad[3], nameOff int32, parentPc int32, startLine int32.
 */
static bool inl_call_at(const struct bw_gobin *gb, uint64_t tree, int32_t ix, struct inl_call *out)
{
	bool v120 = gb->magic == PCLN_MAGIC_120;
	uint64_t size = v120 ? 16 : 20;
	const uint8_t *p;
	int32_t nameoff;

	if (ix < 0 || ix >= MAX_INLTREE_INDEX || tree > UINT64_MAX - MAX_INLTREE_INDEX * size)
		return false;
	p = vaddr_ptr(gb, tree + (uint64_t)ix * size, size);
	if (!p)
		return false;
	nameoff = (int32_t)rd32(p + (v120 ? 4 : 12));
	out->parent_pc = rd32(p + (v120 ? 8 : 16));
	out->name = nameoff >= 0 ? funcname_at(gb, (uint32_t)nameoff) : NULL;
	return out->name;
}

/* moduledata.gofunc, checked against moduledata.rodata, which precedes it. */
static void find_gofunc(struct bw_gobin *gb)
{
	unsigned int ps = gb->ptrsize;
	uint64_t md = gb->moduledata ? gb->moduledata : find_moduledata(gb), gofunc, rodata;
	uint64_t idx = gb->magic == PCLN_MAGIC_118 ? MD_GOFUNC_118 : MD_GOFUNC_120;

	if (!md || !read_addr(gb, md + idx * ps, &gofunc) ||
	    !read_addr(gb, md + (idx - 1) * ps, &rodata) || !gofunc || gofunc < rodata ||
	    !vaddr_ptr(gb, gofunc, 1)) {
		bw_dbg("failed to find moduledata.gofunc: inlined calls stay unexpanded");
		return;
	}
	gb->gofunc = gofunc;
}

static void inline_setup(const struct bw_gobin *cgb)
{
	/* a cache, as the name index: setting it up does not change the answers */
	struct bw_gobin *gb = (struct bw_gobin *)cgb;

	pthread_mutex_lock(&gb->lock);
	if (!gb->inl_ready) {
		gb->inl_ready = true;
		if (!gb->relocs_loaded)
			load_relocs(gb);
		if (gb->magic != PCLN_MAGIC_116)
			find_gofunc(gb);
	}
	pthread_mutex_unlock(&gb->lock);
}

static void set_frame(const struct bw_gobin *gb, const uint8_t *f, uint64_t entry, uint64_t pc,
		      const char *name, bool inlined, struct bw_go_frame *out)
{
	*out = (struct bw_go_frame){ .function = name, .entry = entry, .inlined = inlined };
	if (func_line(gb, f, entry, pc, &out->file, &out->line)) {
		out->file = NULL;
		out->line = 0;
	}
}

int bw_gobin__frames_at(const struct bw_gobin *gb, uint64_t pc, struct bw_go_frame *out, int max)
{
	int64_t i = gb && max > 0 ? func_index(gb, pc) : -1;
	const uint8_t *f = i >= 0 ? ftab_func(gb, i) : NULL;
	const char *name = f ? func_name(gb, f) : NULL;
	uint64_t entry, size, tree;
	int n = 0;

	if (!name)
		return -ENOENT;
	entry = ftab_entry(gb, i);
	size = ftab_entry(gb, i + 1) > entry ? ftab_entry(gb, i + 1) - entry : 0;
	inline_setup(gb);
	tree = func_inltree(gb, f);
	/*
	 * As the runtime's traceback: each call's line is at its caller's parentPc.
	 * The compiler adds a call's parent to the tree before it, so indices fall
	 * along a chain (Go 1.17-1.26, every pc of the npm binaries): a damaged
	 * tree cannot loop.
	 */
	for (int32_t depth = 0, ix, last = INT32_MAX; tree && depth < MAX_INLINE_DEPTH; depth++) {
		struct inl_call c;

		ix = inl_index(gb, f, entry, pc);
		if (ix >= last || !inl_call_at(gb, tree, ix, &c) || c.parent_pc >= size)
			break;
		last = ix;
		if (n < max - 1)
			set_frame(gb, f, entry, pc, c.name, true, &out[n++]);
		pc = entry + c.parent_pc;
	}
	set_frame(gb, f, entry, pc, name, false, &out[n++]);
	return n;
}

/* ---- by name: a sorted index, built once ---- */

static int cmp_by_name(const void *a, const void *b)
{
	const struct name_ent *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx; /* the first of equal names wins */
}

static void build_name_index(struct bw_gobin *gb)
{
	gb->by_name_built = true;
	gb->by_name = malloc(gb->nfunc * sizeof(*gb->by_name));
	if (!gb->by_name)
		return;
	for (uint64_t i = 0; i < gb->nfunc && i < UINT32_MAX; i++) {
		const uint8_t *f = ftab_func(gb, i);
		const char *name = f ? func_name(gb, f) : NULL;

		if (name)
			gb->by_name[gb->nby_name++] = (struct name_ent){ name, (uint32_t)i };
	}
	qsort(gb->by_name, gb->nby_name, sizeof(*gb->by_name), cmp_by_name);
}

int bw_gobin__func_by_name(const struct bw_gobin *cgb, const char *name, struct bw_go_func *out)
{
	/* the index is a cache: building it does not change what the object answers */
	struct bw_gobin *gb = (struct bw_gobin *)cgb;
	size_t lo = 0, hi;

	if (!gb || !name)
		return -ENOENT;
	pthread_mutex_lock(&gb->lock);
	if (!gb->by_name_built)
		build_name_index(gb);
	pthread_mutex_unlock(&gb->lock);
	hi = gb->nby_name;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(gb->by_name[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == gb->nby_name || strcmp(gb->by_name[lo].name, name))
		return -ENOENT;
	return func_info(gb, gb->by_name[lo].idx, out);
}

/* ---- .symtab ---- */

uint64_t bw_gobin__symbol(const struct bw_gobin *gb, const char *name)
{
	GElf_Shdr sh;
	Elf_Data *data;
	size_t count;

	if (!gb || !gb->symtab || !gelf_getshdr(gb->symtab, &sh) || !sh.sh_entsize)
		return 0;
	data = elf_getdata(gb->symtab, NULL);
	if (!data)
		return 0;
	count = data->d_size / sh.sh_entsize;
	for (size_t i = 0; i < count && i < INT32_MAX; i++) {
		GElf_Sym s;
		const char *n;

		if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF)
			continue;
		n = elf_strptr(gb->elf, sh.sh_link, s.st_name);
		if (n && !strcmp(n, name))
			return s.st_value;
	}
	return 0;
}
