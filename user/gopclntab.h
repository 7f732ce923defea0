/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Go binaries, read from their ELF file: is it Go, which Go version built it,
 * and the pcln table (.gopclntab) that maps every PC to function, file and
 * line. The pcln table survives `-ldflags='-s -w'`, so stripped binaries
 * symbolize like unstripped ones.
 *
 * Formats: magic 0xfffffffa (Go 1.16-1.17), 0xfffffff0 (1.18-1.19),
 * 0xfffffff1 (1.20+). From Go 1.26 pcHeader.textStart is 0 and the text start
 * comes from runtime.moduledata (section .go.module); earlier versions keep
 * moduledata in .noptrdata/.data, found by its pointer to the pcln table.
 *
 * Everything in the file is untrusted: every offset is bounds-checked.
 * All addresses are link-time virtual addresses (add the load bias for PIE).
 */
#ifndef BW_GOPCLNTAB_H
#define BW_GOPCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bw_gobin;

struct bw_go_version {
	int major; /* 1 */
	int minor; /* 19 */
	int patch; /* 8, or 0 */
};

/*
 * Open an ELF file. NULL and errno on failure: ENOEXEC if it is not a Go
 * binary (no pcln table found), ENOTSUP for a Go 1.2-1.15 table, EINVAL for a
 * damaged one, or the errno of open/mmap.
 */
struct bw_gobin *bw_gobin__open(const char *path);
/* The same from a memory buffer (fuzzing, tests); the buffer must outlive the object. */
struct bw_gobin *bw_gobin__open_mem(const void *data, size_t size);
void bw_gobin__free(struct bw_gobin *gb);

/* Go version ("go1.19.8"), from .go.buildinfo or the runtime.buildVersion string. */
int bw_gobin__version(const struct bw_gobin *gb, struct bw_go_version *out);
const char *bw_gobin__version_string(const struct bw_gobin *gb);
/* pcln magic found, e.g. 0xfffffff1 */
uint32_t bw_gobin__pcln_magic(const struct bw_gobin *gb);
int bw_gobin__has_symtab(const struct bw_gobin *gb);
int bw_gobin__has_dwarf(const struct bw_gobin *gb);

struct bw_go_func {
	uint64_t entry;	  /* link-time address of the function's first instruction */
	uint64_t end;	  /* one past its last instruction */
	const char *name; /* owned by gb */
};

/* Function holding pc. Returns 0 or -ENOENT. */
int bw_gobin__func_at(const struct bw_gobin *gb, uint64_t pc, struct bw_go_func *out);
/* File and line of pc (file owned by gb), inlined code's own. Returns 0 or -ENOENT. */
int bw_gobin__line_at(const struct bw_gobin *gb, uint64_t pc, const char **file, int *line);
/* One frame of the calls at a pc: see bw_gobin__frames_at. */
struct bw_go_frame {
	const char *function; /* owned by gb */
	const char *file;     /* owned by gb; NULL when unknown */
	int line;	      /* 0 when unknown */
	uint64_t entry;	      /* entry of the function the code was compiled into */
	bool inlined;	      /* function is a callee the compiler inlined there */
};

/*
 * The calls at pc, innermost first, as Go's tracebacks expand them: each
 * inlined callee with its own name and the file:line of its code at pc, then
 * each caller with the line of the call, ending with the function pc is in
 * (inlined = false). A chain longer than max keeps its innermost max - 1
 * frames and that function. Returns the number of frames (>= 1) or -ENOENT.
 * The first call finds the inline trees' base (moduledata); thread-safe.
 */
int bw_gobin__frames_at(const struct bw_gobin *gb, uint64_t pc, struct bw_go_frame *out, int max);
/*
 * Function by exact name ("runtime.gopark"). Returns 0 or -ENOENT. Names can
 * repeat (ABI wrappers, "[...]"-shortened generic instances): the lowest address
 * wins, which is the function itself, as a package's ABI wrappers follow its
 * functions. The first call builds a sorted index (a few ms); thread-safe.
 */
int bw_gobin__func_by_name(const struct bw_gobin *gb, const char *name, struct bw_go_func *out);
/* Number of functions in the pcln table. */
size_t bw_gobin__func_count(const struct bw_gobin *gb);
/* The i-th function in address order, i < func_count. Returns 0 or -ENOENT. */
int bw_gobin__func_by_index(const struct bw_gobin *gb, size_t i, struct bw_go_func *out);

/* Base of 1.18+ function entry offsets (pcHeader.textStart or moduledata.text). */
uint64_t bw_gobin__text_start(const struct bw_gobin *gb);
/* Link-time address of runtime.firstmoduledata when it had to be found (else 0). */
uint64_t bw_gobin__moduledata(const struct bw_gobin *gb);

/* Address of a data symbol by name, from .symtab when present (0 if unknown). */
uint64_t bw_gobin__symbol(const struct bw_gobin *gb, const char *name);

/* Link-time address -> file offset via PT_LOAD (for uprobes by offset). */
int bw_gobin__vaddr_to_offset(const struct bw_gobin *gb, uint64_t vaddr, uint64_t *off);
/* Read bytes at a link-time address from the file image (for prologue decoding). */
int bw_gobin__read(const struct bw_gobin *gb, uint64_t vaddr, void *buf, size_t len);

#endif /* BW_GOPCLNTAB_H */
