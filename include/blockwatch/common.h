/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Constants shared by every BPF program and the userspace side. */
#ifndef BLOCKWATCH_COMMON_H
#define BLOCKWATCH_COMMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* userspace; BPF code gets the types from vmlinux.h */
#endif

#define BW_COMM_LEN 16	      /* TASK_COMM_LEN */
#define BW_MAX_STACK_DEPTH 64 /* frames kept per stack, user or kernel */
#define BW_HIST_SLOTS 48      /* log2(ns) buckets: 2^47 ns is about 39 hours */

/* Default map sizes; every one can be changed on the command line. */
#define BW_DEFAULT_MAX_SLEEPERS 65536
#define BW_DEFAULT_MAX_SITES 16384
#define BW_DEFAULT_MAX_STACKS 16384
#define BW_DEFAULT_MAX_TARGETS 1024

#endif /* BLOCKWATCH_COMMON_H */
