/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Checks made before anything is loaded, each with one clear message and
 * the exit status main() should use: privileges, kernel support, target.
 */
#ifndef BW_PREFLIGHT_H
#define BW_PREFLIGHT_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Each returns 0 when fine, else a BW_EXIT_* status with a one-line
 * message in msg.
 */
int bw_preflight__privileges(char *msg, size_t size);
int bw_preflight__kernel(const char *btf_path, char *msg, size_t size);
int bw_preflight__target(const char *proc_root, pid_t pid, char *msg, size_t size);

#endif /* BW_PREFLIGHT_H */
