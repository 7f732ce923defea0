// SPDX-License-Identifier: BSD-2-Clause
/*
 * floor: attach empty BPF programs at blockwatch's probe points, for the
 * benchmark's "floor" runs (the cost of the probe points alone).
 *
 *   floor go PID      an empty uprobe at each point blockwatch --detail uses:
 *                     runtime.gopark and runtime.ready, at the
 *                     same file offsets (found with blockwatch's own code:
 *                     the pcln table, then the prologue decoder)
 *   floor sched PID   empty tp_btf programs on sched_switch and sched_wakeup,
 *                     the tracepoints of blockwatch's thread level (PID only
 *                     names the target in the output: a tracepoint fires for
 *                     every task, and blockwatch filters inside its program)
 *   floor offsets BIN print the probe offsets of a Go binary and exit
 *
 * Prints "attached ..." once everything is attached, then waits for
 * SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "godetail.h"
#include "gopclntab.h"

static const char *const go_points[] = { "runtime.gopark", "runtime.ready" };
#define NPOINTS (sizeof(go_points) / sizeof(go_points[0]))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The same steps as blockwatch's godetail.c probe_point(): entry + emulated-instruction offset. */
static int probe_offset(const struct bw_gobin *gb, const char *name, uint64_t *off)
{
	struct bw_go_func fn;
	uint8_t code[16];
	int at;

	if (bw_gobin__func_by_name(gb, name, &fn) ||
	    bw_gobin__read(gb, fn.entry, code, sizeof(code)))
		return -ENOENT;
	at = bw_go_probe_offset(code, sizeof(code));
	if (at < 0)
		return -ENOTSUP;
	return bw_gobin__vaddr_to_offset(gb, fn.entry + at, off);
}

static int go_offsets(const char *path, uint64_t offs[NPOINTS])
{
	struct bw_gobin *gb = bw_gobin__open(path);
	int err = 0;

	if (!gb) {
		err = -errno;
		fprintf(stderr, "failed to open Go binary '%s': %s\n", path, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < NPOINTS && !err; i++) {
		err = probe_offset(gb, go_points[i], &offs[i]);
		if (err)
			fprintf(stderr, "failed to find the probe point of '%s' in '%s': %s\n",
				go_points[i], path, strerror(-err));
	}
	bw_gobin__free(gb);
	return err;
}

static int attach_go(struct floor *skel, pid_t pid, struct bpf_link **links)
{
	uint64_t offs[NPOINTS];
	char exe[64];
	int err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	err = go_offsets(exe, offs);
	if (err)
		return err;
	printf("attached");
	for (size_t i = 0; i < NPOINTS; i++) {
		/* entry probes only, at a pid, like blockwatch's loader_go.c */
		links[i] = bpf_program__attach_uprobe(skel->progs.floor_uprobe, false, pid, exe,
						      (size_t)offs[i]);
		if (!links[i]) {
			err = -errno;
			fprintf(stderr, "failed to attach uprobe to '%s' at 0x%llx: %s\n",
				go_points[i], (unsigned long long)offs[i], strerror(-err));
			return err;
		}
		printf(" %s@0x%llx", go_points[i], (unsigned long long)offs[i]);
	}
	printf("\n");
	return 0;
}

static int attach_sched(struct floor *skel, struct bpf_link **links)
{
	links[0] = bpf_program__attach(skel->progs.floor_switch);
	links[1] = bpf_program__attach(skel->progs.floor_wakeup);
	if (!links[0] || !links[1]) {
		int err = -errno;

		fprintf(stderr, "failed to attach to 'sched_switch'/'sched_wakeup': %s\n",
			strerror(-err));
		return err;
	}
	printf("attached sched_switch sched_wakeup\n");
	return 0;
}

static int print_offsets(const char *path)
{
	uint64_t offs[NPOINTS];
	int err = go_offsets(path, offs);

	for (size_t i = 0; i < NPOINTS && !err; i++)
		printf("%s 0x%llx\n", go_points[i], (unsigned long long)offs[i]);
	return err ? 1 : 0;
}

static int run(bool go, pid_t pid)
{
	struct bpf_link *links[NPOINTS] = {};
	struct floor *skel;
	int err;

	skel = floor__open();
	if (!skel) {
		fprintf(stderr, "failed to open BPF object 'floor': %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(skel->progs.floor_uprobe, go);
	bpf_program__set_autoload(skel->progs.floor_switch, !go);
	bpf_program__set_autoload(skel->progs.floor_wakeup, !go);
	err = floor__load(skel);
	if (err) {
		fprintf(stderr, "failed to load BPF object 'floor': %s\n", strerror(-err));
		goto cleanup;
	}
	err = go ? attach_go(skel, pid, links) : attach_sched(skel, links);
	if (err)
		goto cleanup;
	fflush(stdout);
	while (!stop)
		pause();
cleanup:
	for (size_t i = 0; i < NPOINTS; i++)
		bpf_link__destroy(links[i]);
	floor__destroy(skel);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long pid;

	if (argc != 3) {
		fprintf(stderr, "usage: floor go PID | floor sched PID | floor offsets BINARY\n");
		return 2;
	}
	if (!strcmp(argv[1], "offsets"))
		return print_offsets(argv[2]);
	pid = strtol(argv[2], NULL, 10);
	if (pid <= 0 || (strcmp(argv[1], "go") && strcmp(argv[1], "sched"))) {
		fprintf(stderr, "usage: floor go PID | floor sched PID | floor offsets BINARY\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return run(!strcmp(argv[1], "go"), (pid_t)pid);
}
