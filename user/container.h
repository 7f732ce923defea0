/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names a process's container from its cgroup v2 path, as the runtimes lay
 * them out: docker-<64 hex>.scope, cri-containerd-<id>.scope, crio-<id>.scope,
 * libpod-<id>.scope, or a bare 64-hex component (cgroupfs driver); and the
 * Kubernetes pod UID from a "pod<uid>" component (kubepods.slice/...
 * kubepods-besteffort-pod<uid with _>.slice, or /kubepods/burstable/pod<uid>).
 * Pure: it parses a string, for tests.
 */
#ifndef BW_CONTAINER_H
#define BW_CONTAINER_H

#include <stddef.h>

#define BW_CONTAINER_ID_LEN 65 /* 64 hex digits */
#define BW_POD_UID_LEN 37      /* 8-4-4-4-12 */

struct bw_container {
	char id[BW_CONTAINER_ID_LEN]; /* "" when not in a container */
	char pod_uid[BW_POD_UID_LEN]; /* "" when not in a Kubernetes pod */
};

/* Fills out from a cgroup path ("/system.slice/docker-<id>.scope"); never fails. */
void bw_container__parse(const char *cgroup_path, struct bw_container *out);

#endif /* BW_CONTAINER_H */
