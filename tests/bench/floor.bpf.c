// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of blockwatch's overhead: programs that do nothing, attached
 * where blockwatch attaches its own. What a target pays with these is the
 * price of the probe points themselves (the uprobe trap, the tracepoint
 * call), which no BPF program can go below.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("uprobe")
int floor_uprobe(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int floor_switch(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int floor_wakeup(void *ctx)
{
	return 0;
}
