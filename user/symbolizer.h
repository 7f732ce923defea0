/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Turns addresses of a running process into function, offset, file and line.
 *
 * One bw_symbolizer per target process. It reads /proc/PID/maps, opens each
 * mapped ELF file once (through /proc/PID/map_files or /proc/PID/root so that
 * binaries in other mount namespaces and deleted binaries still resolve),
 * handles PIE and ASLR through the mapping's load bias, and looks names up in
 * .symtab, then .dynsym, then the Go pcln table (stripped Go binaries), with
 * file:line from DWARF (libdw) where debug info is present, else from the Go
 * pcln table. Kernel addresses resolve through /proc/kallsyms.
 *
 * Returned strings belong to the symbolizer and live until __free or
 * __refresh; callers copy what they keep.
 */
#ifndef BW_SYMBOLIZER_H
#define BW_SYMBOLIZER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct bw_frame_info {
	uint64_t addr;
	const char *function; /* NULL when unknown */
	uint64_t offset;      /* addr - function start */
	const char *file;     /* NULL when unknown */
	int line;	      /* 0 when unknown */
	const char *module;   /* mapped file path, "[kernel]", or NULL */
	bool inlined;	      /* function is an inlined callee at addr */
};

struct bw_symbolizer;

/* proc_root is "/proc" except in tests. Returns NULL and sets errno. */
struct bw_symbolizer *bw_symbolizer__new(const char *proc_root, pid_t pid);
/* Re-read the maps (new libraries dlopen()ed, or the target exec()ed). */
int bw_symbolizer__refresh(struct bw_symbolizer *sym);
/*
 * Resolve a user address. For return addresses pass is_return = true: the
 * lookup uses addr - 1 so that a call at a function's end resolves to it.
 * Always fills out->addr and returns 0 when something was found, -ENOENT else.
 */
int bw_symbolizer__resolve(struct bw_symbolizer *sym, uint64_t addr, bool is_return,
			   struct bw_frame_info *out);
/* Resolve a kernel address through kallsyms. */
int bw_symbolizer__resolve_kernel(struct bw_symbolizer *sym, uint64_t addr,
				  struct bw_frame_info *out);
/* Is addr inside an executable mapping of the target? (cheap, for stack scanning) */
bool bw_symbolizer__is_text(struct bw_symbolizer *sym, uint64_t addr);
/* The path and load bias of the main executable's mapping (first r-x of /proc/PID/exe). */
const char *bw_symbolizer__exe_path(struct bw_symbolizer *sym);
void bw_symbolizer__free(struct bw_symbolizer *sym);

#endif /* BW_SYMBOLIZER_H */
