/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Turns addresses of a running process into function, offset, file and line.
 *
 * One bw_symbolizer per target process. It reads /proc/PID/maps, opens each
 * mapped ELF file once (through /proc/PID/map_files or /proc/PID/root so that
 * binaries in other mount namespaces and deleted binaries still resolve),
 * handles PIE and ASLR through the mapping's load bias, and looks names up in
 * .symtab (also of a separate debug file found by build-id under
 * /usr/lib/debug, e.g. libc6-dbg), then .dynsym, with file:line from DWARF
 * (libdw) where debug info is present. Go code resolves through the Go pcln
 * table first, names and lines both, so that stripped and unstripped builds
 * read alike (and like Go's own tracebacks). Kernel addresses resolve through
 * /proc/kallsyms, read on first use.
 *
 * Returned strings belong to the symbolizer and live until __free or
 * __refresh; callers copy what they keep. One caller at a time: no locking.
 */
#ifndef BW_SYMBOLIZER_H
#define BW_SYMBOLIZER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct bw_frame_info {
	uint64_t addr;
	const char *function; /* NULL when unknown */
	uint64_t offset;      /* addr - function start; without a function, the
			       * link-time address in module (addr2line's input) */
	const char *file;     /* NULL when unknown */
	int line;	      /* 0 when unknown */
	const char *module;   /* mapped file path, "[kernel]", or NULL */
	bool inlined;	      /* function is a callee inlined at addr; its offset is from
			       * the inlined code's start (DWARF) or from the entry of the
			       * function it is in (Go) */
};

/* The most frames one address resolves to (inlined calls and the function they are in). */
#define BW_SYM_MAX_FRAMES 16

struct bw_symbolizer;

/* proc_root is "/proc" except in tests. Returns NULL and sets errno. */
struct bw_symbolizer *bw_symbolizer__new(const char *proc_root, pid_t pid);
/* Re-read the maps (new libraries dlopen()ed, or the target exec()ed). */
int bw_symbolizer__refresh(struct bw_symbolizer *sym);
/*
 * Resolve a user address. For return addresses pass is_return = true: the
 * lookup uses addr - 1 so that a call at a function's end resolves to it.
 * Where calls were inlined, the answer is the function the code is in, with
 * the line of the call in it: what tells whose code it is (the Go runtime's,
 * libc's); the inlined calls are bw_symbolizer__resolve_frames'.
 * Always fills out->addr and returns 0 when something was found (at least
 * the module), -ENOENT else. An address in no mapping makes the maps be
 * re-read, at most once a second (strings handed out stay valid).
 * Results are cached per address until the maps are re-read.
 */
int bw_symbolizer__resolve(struct bw_symbolizer *sym, uint64_t addr, bool is_return,
			   struct bw_frame_info *out);
/*
 * The same, with inlined calls expanded: out[0..n) innermost first, each
 * inlined callee with the file:line of its code at addr, then its caller
 * with the line of the call, ending with the function the code is in
 * (inlined = false). Go code through the pcln table's inline trees, other
 * code through DWARF (one frame without it). A chain longer than max keeps its
 * innermost max - 1 frames and that function. Returns n >= 1, or -ENOENT.
 * bw_symbolizer__resolve answers the last of them.
 */
int bw_symbolizer__resolve_frames(struct bw_symbolizer *sym, uint64_t addr, bool is_return,
				  struct bw_frame_info *out, int max);
/* Resolve a kernel address through kallsyms; module is "[kernel]" or the module's name. */
int bw_symbolizer__resolve_kernel(struct bw_symbolizer *sym, uint64_t addr,
				  struct bw_frame_info *out);
/* Is addr inside an executable mapping of the target? (cheap, for stack scanning) */
bool bw_symbolizer__is_text(struct bw_symbolizer *sym, uint64_t addr);
/* The path of the main executable as the maps show it (the mapping of /proc/PID/exe), or "". */
const char *bw_symbolizer__exe_path(struct bw_symbolizer *sym);
void bw_symbolizer__free(struct bw_symbolizer *sym);

#endif /* BW_SYMBOLIZER_H */
