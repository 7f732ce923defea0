// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for user/gopclntab.c. Build and run from the repository root:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *     -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser tests/fuzz/fuzz_gopclntab.c \
 *     user/gopclntab.c user/log.c -lelf -lpthread -o build/fuzz_gopclntab
 *   mkdir -p build/fuzz-corpus && build/fuzz_gopclntab -max_total_time=60 -max_len=65536 \
 *     build/fuzz-corpus tests/fuzz/corpus/gopclntab
 *
 * (new inputs go to the first directory; crashers worth keeping are copied to
 * tests/fuzz/corpus/gopclntab/, where they replay as seeds.) Seeds come from
 * tests/fuzz/gen_gopclntab_seeds.py.
 *
 * Input: byte 0 picks how the rest is read.
 *   mode 0: the rest is a whole ELF file.
 *   mode 1, 2: the rest is [u16 n][n bytes of read-only data][writable data], wrapped into
 *     a synthetic ELF: the read-only bytes at vaddr 0x500000 (the pcln table), the
 *     writable ones at 0x600000 (.go.buildinfo, moduledata, string headers). Mode 1
 *     adds section headers (.gopclntab, .go.buildinfo, .go.module, .noptrdata, .text);
 *     mode 2 has none, so the reader must find everything by scanning.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gopclntab.h"

#define RO_VADDR 0x500000
#define RW_VADDR 0x600000

static const char shstrtab[] = "\0.gopclntab\0.go.buildinfo\0.go.module\0.noptrdata\0.text\0"
			       ".shstrtab";

static size_t name_off(const char *name)
{
	for (size_t i = 1; i < sizeof(shstrtab); i += strlen(shstrtab + i) + 1)
		if (!strcmp(shstrtab + i, name))
			return i;
	return 0;
}

static void add_section(Elf64_Shdr *sh, const char *name, uint32_t type, uint64_t flags,
			uint64_t addr, uint64_t off, uint64_t size)
{
	*sh = (Elf64_Shdr){ .sh_name = name_off(name),
			    .sh_type = type,
			    .sh_flags = flags,
			    .sh_addr = addr,
			    .sh_offset = off,
			    .sh_size = size,
			    .sh_addralign = 1 };
}

/* ehdr, 2 phdrs, ro, rw, [shstrtab, 7 shdrs] */
static uint8_t *wrap(const uint8_t *in, size_t len, int with_sections, size_t *out_len)
{
	size_t ro_len, rw_len, ro_off, rw_off, str_off, sh_off, total;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	Elf64_Shdr *sh;
	uint8_t *img;

	if (len < 2)
		return NULL;
	ro_len = in[0] | (size_t)in[1] << 8;
	in += 2;
	len -= 2;
	if (ro_len > len)
		ro_len = len;
	rw_len = len - ro_len;
	ro_off = sizeof(*eh) + 2 * sizeof(*ph);
	rw_off = ro_off + ro_len;
	str_off = rw_off + rw_len;
	sh_off = (str_off + sizeof(shstrtab) + 7) & ~(size_t)7;
	total = with_sections ? sh_off + 7 * sizeof(*sh) : str_off;
	img = calloc(1, total);
	if (!img)
		return NULL;
	memcpy(img + ro_off, in, ro_len);
	memcpy(img + rw_off, in + ro_len, rw_len);
	eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph = (Elf64_Phdr *)(img + sizeof(*eh));
	ph[0] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_X, ro_off, RO_VADDR, RO_VADDR, ro_len, ro_len, 8 };
	ph[1] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W, rw_off, RW_VADDR, RW_VADDR, rw_len, rw_len, 8 };
	if (with_sections) {
		memcpy(img + str_off, shstrtab, sizeof(shstrtab));
		sh = (Elf64_Shdr *)(img + sh_off);
		add_section(&sh[1], ".gopclntab", SHT_PROGBITS, SHF_ALLOC, RO_VADDR, ro_off,
			    ro_len);
		add_section(&sh[2], ".go.buildinfo", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, RW_VADDR,
			    rw_off, rw_len);
		add_section(&sh[3], ".go.module", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, RW_VADDR,
			    rw_off, rw_len);
		add_section(&sh[4], ".noptrdata", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, RW_VADDR,
			    rw_off, rw_len);
		add_section(&sh[5], ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, RO_VADDR,
			    ro_off, ro_len);
		add_section(&sh[6], ".shstrtab", SHT_STRTAB, 0, 0, str_off, sizeof(shstrtab));
		eh->e_shoff = sh_off;
		eh->e_shentsize = sizeof(*sh);
		eh->e_shnum = 7;
		eh->e_shstrndx = 6;
	}
	*out_len = total;
	return img;
}

static void exercise(const struct bw_gobin *gb)
{
	static const char *const names[] = { "main.main", "runtime.gopark", "runtime.ready", "" };
	size_t n = bw_gobin__func_count(gb);
	struct bw_go_version v;
	struct bw_go_frame frames[16];
	struct bw_go_func f;
	const char *file;
	uint8_t buf[16];
	uint64_t off;
	int line;

	bw_gobin__version(gb, &v);
	bw_gobin__version_string(gb);
	bw_gobin__symbol(gb, "runtime.allgs");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!bw_gobin__func_by_name(gb, names[i], &f))
			bw_gobin__read(gb, f.entry, buf, sizeof(buf));
	for (size_t i = 0; i < n && i < 64; i++) {
		if (bw_gobin__func_by_index(gb, i, &f))
			continue;
		bw_gobin__func_at(gb, f.entry, &f);
		bw_gobin__line_at(gb, f.entry, &file, &line);
		bw_gobin__line_at(gb, f.entry + (f.end - f.entry) / 2, &file, &line);
		/* the inline tree: pcdata, funcdata, moduledata.gofunc, names, parentPc */
		for (int max = 1; max <= 16; max += 15)
			bw_gobin__frames_at(gb, f.entry + (f.end - f.entry) / 2, frames, max);
		bw_gobin__func_by_name(gb, f.name, &f);
		bw_gobin__vaddr_to_offset(gb, f.entry, &off);
	}
	bw_gobin__func_at(gb, RO_VADDR, &f);
	bw_gobin__line_at(gb, 0x401000, &file, &line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_gobin *gb;
	uint8_t *img = NULL;
	size_t len = 0;

	if (size < 1)
		return 0;
	if (data[0] % 3 == 0) {
		/* libelf wants a writable image pointer; it is only read */
		gb = bw_gobin__open_mem(data + 1, size - 1);
	} else {
		img = wrap(data + 1, size - 1, data[0] % 3 == 1, &len);
		gb = img ? bw_gobin__open_mem(img, len) : NULL;
	}
	if (gb)
		exercise(gb);
	bw_gobin__free(gb);
	free(img);
	return 0;
}
