// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>

#include "log.h"
#include "unwind_cfi.h"

struct bw_cfi {
	Dwfl *dwfl;
	pid_t pid;
	bw_read_fn read;
	void *read_ctx;
	/* the thread being unwound */
	Dwarf_Word regs[BW_DWARF_REGS];
	uint64_t *frames;
	int max;
	int n;
};

static char *debuginfo_path;

/*
 * The ELF files of every process unwound, opened once: each libdwfl session
 * would map libc and friends again (some 0.8 MB resident per process), and
 * system-wide there are hundreds. libelf counts references to a handle, so
 * each session's module takes one and the cache holds one; the cache goes
 * with the last session.
 */
struct shared_elf {
	dev_t dev;
	ino_t ino;
	Elf *elf;
};

static struct {
	struct shared_elf *v;
	size_t n, cap;
	int sessions;
} elf_cache;

static Elf *cached_elf(int fd)
{
	struct shared_elf *grown;
	struct stat st;
	Elf *elf;

	if (fstat(fd, &st))
		return NULL;
	for (size_t i = 0; i < elf_cache.n; i++)
		if (elf_cache.v[i].dev == st.st_dev && elf_cache.v[i].ino == st.st_ino)
			return elf_cache.v[i].elf;
	if (elf_cache.n == elf_cache.cap) {
		grown = realloc(elf_cache.v,
				(elf_cache.cap ? elf_cache.cap * 2 : 16) * sizeof(*grown));
		if (!grown)
			return NULL;
		elf_cache.v = grown;
		elf_cache.cap = elf_cache.cap ? elf_cache.cap * 2 : 16;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return NULL;
	/* the file stays mapped: the handle no longer needs the descriptor */
	elf_cntl(elf, ELF_C_FDREAD);
	elf_cache.v[elf_cache.n++] = (struct shared_elf){ st.st_dev, st.st_ino, elf };
	return elf;
}

static void cache_release(void)
{
	if (--elf_cache.sessions > 0)
		return;
	for (size_t i = 0; i < elf_cache.n; i++)
		elf_end(elf_cache.v[i].elf);
	free(elf_cache.v);
	memset(&elf_cache, 0, sizeof(elf_cache));
}

/* libdwfl's own lookup of a mapped file, then the shared handle for it. */
static int find_shared_elf(Dwfl_Module *mod, void **userdata, const char *module_name,
			   Dwarf_Addr base, char **file_name, Elf **elfp)
{
	int fd = dwfl_linux_proc_find_elf(mod, userdata, module_name, base, file_name, elfp);
	Elf *shared;

	if (fd < 0 || *elfp)
		return fd; /* not found, or read from memory (the vDSO) */
	shared = cached_elf(fd);
	if (!shared)
		return fd; /* libdwfl opens it itself */
	close(fd);
	*elfp = elf_begin(-1, ELF_C_READ_MMAP, shared); /* one more reference */
	return -1;
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = find_shared_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* Threads are named by the caller (dwfl_getthread_frames): no enumeration. */
static pid_t next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	(void)dwfl;
	(void)dwfl_arg;
	(void)thread_argp;
	return 0;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = dwfl_arg;
	return true;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
	struct bw_cfi *cfi = dwfl_arg;
	uint64_t word;

	(void)dwfl;
	if (cfi->read(cfi->read_ctx, addr, &word, sizeof(word)))
		return false;
	*result = word;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct bw_cfi *cfi = thread_arg;

	/* x86-64: DWARF registers 0-15 and 16, the return address column (rip) */
	return dwfl_thread_state_registers(thread, 0, BW_DWARF_REGS, cfi->regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int report_modules(struct bw_cfi *cfi)
{
	dwfl_report_begin(cfi->dwfl);
	if (dwfl_linux_proc_report(cfi->dwfl, cfi->pid)) {
		dwfl_report_end(cfi->dwfl, NULL, NULL);
		return -ESRCH;
	}
	return dwfl_report_end(cfi->dwfl, NULL, NULL) ? -EINVAL : 0;
}

struct bw_cfi *bw_cfi__new(pid_t pid, bw_read_fn read, void *read_ctx)
{
	struct bw_cfi *cfi = calloc(1, sizeof(*cfi));
	int err;

	if (!cfi)
		return NULL;
	cfi->pid = pid;
	cfi->read = read;
	cfi->read_ctx = read_ctx;
	elf_cache.sessions++;
	cfi->dwfl = dwfl_begin(&proc_callbacks);
	if (!cfi->dwfl) {
		err = -ENOMEM;
		goto fail;
	}
	err = report_modules(cfi);
	if (err)
		goto fail;
	if (!dwfl_attach_state(cfi->dwfl, NULL, pid, &thread_callbacks, cfi)) {
		bw_dbg("failed to prepare CFI unwinding of pid %d: %s", pid, dwfl_errmsg(-1));
		err = -EINVAL;
		goto fail;
	}
	return cfi;
fail:
	bw_cfi__free(cfi);
	errno = -err;
	return NULL;
}

void bw_cfi__free(struct bw_cfi *cfi)
{
	if (!cfi)
		return;
	if (cfi->dwfl)
		dwfl_end(cfi->dwfl);
	free(cfi);
	cache_release();
}

int bw_cfi__refresh(struct bw_cfi *cfi)
{
	return report_modules(cfi);
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct bw_cfi *cfi = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	cfi->frames[cfi->n++] = pc;
	return cfi->n < cfi->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int bw_cfi__unwind(struct bw_cfi *cfi, pid_t tid, const uint64_t regs[BW_DWARF_REGS],
		   uint64_t *frames, int max)
{
	for (int i = 0; i < BW_DWARF_REGS; i++)
		cfi->regs[i] = regs[i];
	cfi->frames = frames;
	cfi->max = max;
	cfi->n = 0;
	if (max <= 0)
		return 0;
	/* a stop before the outermost frame is normal (no CFI, end of stack): keep what we have */
	dwfl_getthread_frames(cfi->dwfl, tid, on_frame, cfi);
	return cfi->n ? cfi->n : -ENOENT;
}
