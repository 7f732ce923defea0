// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for what blockwatch learns about a Go runtime from the
 * binary: runtime.g's layout from DWARF (golayout.c, which opens a path: the
 * input is written to a memfd and opened as /proc/self/fd/N), the layout from
 * the version table, and runtime.allgs from .symtab or from the code of
 * runtime.forEachG decoded with capstone (gosnap.c). The input is a whole ELF
 * file. Built and run by scripts/fuzz.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gopclntab.h"
#include "goruntime.h"

static volatile size_t sink;

static int input_fd(const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz_goruntime", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return -1;
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_go_layout layout;
	struct bw_gobin *gb;
	char path[64];
	uint64_t allgs;
	int fd = input_fd(data, size);

	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!bw_go_layout__from_dwarf(path, &layout))
		sink += (size_t)layout.g_size + (size_t)layout.goid;
	gb = bw_gobin__open_mem(data, size);
	if (!gb)
		return 0;
	if (!bw_go_layout__for_file(gb, path, &layout))
		sink += (size_t)layout.sched_sp;
	if (!bw_go_find_allgs(gb, &allgs))
		sink += allgs;
	if (!bw_go_find_allgs_by_code(gb, &allgs))
		sink += allgs;
	bw_gobin__free(gb);
	return 0;
}
