// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
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
