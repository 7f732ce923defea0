/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What /proc says about a process: its memory mappings, its threads, and a
 * reader for its memory. Parsers take a FILE * or a buffer so that tests can
 * feed them captured fixtures; only the bw_proc__open_* helpers know paths.
 *
 * Everything read from a target is untrusted: paths may hold any byte.
 */
#ifndef BW_PROC_H
#define BW_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define BW_MAP_READ 0x1
#define BW_MAP_WRITE 0x2
#define BW_MAP_EXEC 0x4
#define BW_MAP_PRIVATE 0x8

struct bw_mapping {
	uint64_t start;
	uint64_t end;
	uint64_t offset; /* file offset of start */
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	unsigned int perms; /* BW_MAP_* */
	char *path;	    /* "" for anonymous; "[stack]", "[vdso]"... kept as is */
};

struct bw_maps {
	struct bw_mapping *v; /* sorted by start */
	size_t n;
};

/*
 * Parse /proc/PID/maps text into *out (overwritten, not freed; left empty on
 * error). Returns 0 or a negative errno; a line with bad syntax: -EINVAL.
 */
int bw_maps__parse(FILE *f, struct bw_maps *out);
/* Read /proc/<pid>/maps (root may be "/proc" or a fixture directory). */
int bw_maps__load(const char *proc_root, pid_t pid, struct bw_maps *out);
/* The mapping holding addr, or NULL. */
const struct bw_mapping *bw_maps__find(const struct bw_maps *maps, uint64_t addr);
void bw_maps__free(struct bw_maps *maps);

/* Reads a live process's memory through /proc/PID/mem (never stops it). */
struct bw_mem;
struct bw_mem *bw_mem__open(pid_t pid);
/* Copies len bytes at addr; returns 0, or -EFAULT when any byte is unreadable. */
int bw_mem__read(struct bw_mem *mem, uint64_t addr, void *buf, size_t len);
void bw_mem__free(struct bw_mem *mem);

/* Process facts. Each returns 0 or a negative errno (-ESRCH: no such process). */
int bw_proc__exists(pid_t pid);
/* true for kernel threads (PF_KTHREAD in /proc/PID/stat's flags) */
bool bw_proc__is_kernel_thread(pid_t pid);
int bw_proc__comm(pid_t pid, char *buf, size_t size);
/* Path of the running executable as the target sees it ("/proc/PID/exe" target). */
int bw_proc__exe(pid_t pid, char *buf, size_t size);
/* Thread ids of pid; *tids is malloc'ed. */
int bw_proc__threads(pid_t pid, pid_t **tids, size_t *count);
/*
 * Start of the process in nanoseconds since boot (stat's starttime, which has
 * clock-tick resolution), for pid reuse checks.
 */
int bw_proc__start_time(pid_t pid, uint64_t *ns);

/* The few fields of /proc/PID/stat that blockwatch uses. */
struct bw_proc_stat {
	char comm[16]; /* truncated like the kernel's TASK_COMM_LEN, NUL-terminated */
	char state;    /* 'R', 'S', 'D', 'Z', ... */
	pid_t ppid;
	unsigned int flags;   /* PF_* */
	uint64_t start_ticks; /* clock ticks since boot */
};

/* Parse one /proc/PID/stat line (comm may hold ')' and spaces). 0 or -EINVAL. */
int bw_proc__parse_stat(const char *buf, size_t len, struct bw_proc_stat *out);

#endif /* BW_PROC_H */
