// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "cli.h"
#include "preflight.h"
#include "proc.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

/*
 * CAP_BPF + CAP_PERFMON load and attach the programs (CAP_SYS_ADMIN stands
 * for both on any kernel); CAP_SYS_PTRACE reads the target's memory.
 */
int bw_preflight__privileges(char *msg, size_t size)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	char missing[128] = "";
	bool admin;

	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(msg, size, "failed to read capabilities: %s", strerror(errno));
		return BW_EXIT_PERMISSION;
	}
	admin = has_cap(data, CAP_SYS_ADMIN);
	if (!admin && !has_cap(data, CAP_BPF))
		strcat(missing, " CAP_BPF");
	if (!admin && !has_cap(data, CAP_PERFMON))
		strcat(missing, " CAP_PERFMON");
	if (!has_cap(data, CAP_SYS_PTRACE))
		strcat(missing, " CAP_SYS_PTRACE");
	if (!missing[0])
		return 0;
	snprintf(msg, size, "missing capabilities:%s (run as root: sudo blockwatch ...)", missing);
	return BW_EXIT_PERMISSION;
}

int bw_preflight__kernel(const char *btf_path, char *msg, size_t size)
{
	if (access(btf_path, R_OK)) {
		snprintf(msg, size,
			 "kernel BTF not found at '%s': blockwatch needs a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y",
			 btf_path);
		return BW_EXIT_UNSUPPORTED;
	}
	return 0;
}

int bw_preflight__target(const char *proc_root, pid_t pid, char *msg, size_t size)
{
	(void)proc_root;
	if (pid == getpid()) {
		snprintf(msg, size, "pid %d is blockwatch itself", pid);
		return BW_EXIT_NO_PROCESS;
	}
	if (bw_proc__exists(pid)) {
		snprintf(msg, size, "no such process: %d", pid);
		return BW_EXIT_NO_PROCESS;
	}
	if (bw_proc__is_kernel_thread(pid)) {
		snprintf(msg, size, "pid %d is a kernel thread: it has no user space to watch",
			 pid);
		return BW_EXIT_NO_PROCESS;
	}
	return 0;
}
