/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Symbols of one ELF file (libelf): functions (STT_FUNC, STT_GNU_IFUNC) and
 * data objects from .symtab and .dynsym, sorted by address once and found by
 * binary search. A symbol of size 0 extends to the next symbol (or the end of
 * its section). Also the facts the symbolizer needs about the file: PT_LOAD
 * segments (runtime address -> link-time address for PIE and ASLR), whether
 * it is a Go binary, its GNU build-id.
 *
 * The file is untrusted: libelf's checked accessors only, every index bounded.
 * All addresses here are link-time virtual addresses ("vaddr").
 */
#ifndef BW_ELFSYMS_H
#define BW_ELFSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libelf.h>

struct bw_elfsym {
	uint64_t addr;
	uint64_t size;	  /* never 0: see above */
	const char *name; /* owned by the bw_elfsyms */
};

struct bw_elfsyms;

/* Open a file by path. Returns NULL and sets errno (ENOEXEC: not ELF). */
struct bw_elfsyms *bw_elfsyms__open(const char *path);
/* The same from an open descriptor, which the object takes over (closed on error too). */
struct bw_elfsyms *bw_elfsyms__open_fd(int fd);
/* From memory (fuzzing, a vDSO copy); the buffer must outlive the object. */
struct bw_elfsyms *bw_elfsyms__open_mem(const void *data, size_t size);
void bw_elfsyms__free(struct bw_elfsyms *es);

/* The function holding vaddr. Returns 0 or -ENOENT. */
int bw_elfsyms__find_func(const struct bw_elfsyms *es, uint64_t vaddr, struct bw_elfsym *out);
/* The data object holding vaddr. Returns 0 or -ENOENT. */
int bw_elfsyms__find_object(const struct bw_elfsyms *es, uint64_t vaddr, struct bw_elfsym *out);
/* A function or object by exact name (linear scan: for rare look-ups). 0 or -ENOENT. */
int bw_elfsyms__find_name(const struct bw_elfsyms *es, const char *name, struct bw_elfsym *out);
size_t bw_elfsyms__func_count(const struct bw_elfsyms *es);

/*
 * File offset -> link-time address through the PT_LOAD segments. For a
 * runtime address in a mapping: file_off = addr - map.start + map.offset.
 * Returns 0 or -ENOENT.
 */
int bw_elfsyms__offset_to_vaddr(const struct bw_elfsyms *es, uint64_t file_off, uint64_t *vaddr);
/* The reverse, for uprobes by offset. Returns 0 or -ENOENT. */
int bw_elfsyms__vaddr_to_offset(const struct bw_elfsyms *es, uint64_t vaddr, uint64_t *file_off);

/* A Go binary: .gopclntab, .go.buildinfo, .note.go.buildid or .go.module present. */
bool bw_elfsyms__is_go(const struct bw_elfsyms *es);
/* .symtab present (not stripped) */
bool bw_elfsyms__has_symtab(const struct bw_elfsyms *es);
/* .debug_info (or .zdebug_info) present */
bool bw_elfsyms__has_debug_info(const struct bw_elfsyms *es);
/* GNU build-id note. Returns 0 or -ENOENT; *id points into the object. */
int bw_elfsyms__build_id(const struct bw_elfsyms *es, const uint8_t **id, size_t *len);
/* The libelf handle, for libdw (dwarflines). Owned by the object. */
Elf *bw_elfsyms__elf(const struct bw_elfsyms *es);
/* The open descriptor (-1 for memory images): "/proc/self/fd/N" reopens the same file. */
int bw_elfsyms__fd(const struct bw_elfsyms *es);

#endif /* BW_ELFSYMS_H */
