/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Command line -> struct bw_config. Pure: no I/O besides the caller's
 * buffers, so every option and every malformed input is unit-tested.
 *
 *   blockwatch [OPTIONS] [-p PID[,PID...]] [INTERVAL [COUNT]]
 *
 * Without -p, every process (system-wide), or those --comm/--cgroup select.
 */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BW_MAX_PIDS 64
#define BW_MAX_COMMS 16

/* Exit statuses: one per kind of failure, documented in --help and the README. */
enum bw_exit {
	BW_EXIT_OK = 0,
	BW_EXIT_FAILURE = 1,	 /* a runtime failure not listed below */
	BW_EXIT_USAGE = 2,	 /* malformed command line */
	BW_EXIT_NO_PROCESS = 3,	 /* no such process, or a kernel thread */
	BW_EXIT_PERMISSION = 4,	 /* not root / missing capabilities */
	BW_EXIT_UNSUPPORTED = 5, /* kernel lacks BTF or a needed BPF feature */
	BW_EXIT_LEAK = 10,	 /* -d run ended with a leak verdict */
};

struct bw_config {
	pid_t pids[BW_MAX_PIDS]; /* none: system-wide */
	size_t npids;
	const char *comms[BW_MAX_COMMS]; /* system-wide: only processes of these names */
	size_t ncomms;
	const char *cgroup;	 /* system-wide: only processes in this cgroup (v2) or below */
	double interval_s;	 /* report period */
	double duration_s;	 /* 0: until interrupted or the target exits */
	long count;		 /* reports to print, 0: unlimited */
	bool json;		 /* JSON lines instead of tables */
	const char *output_path; /* NULL: stdout */
	int verbose;		 /* -v: more diagnostics; -vv: libbpf debug */
	int top;		 /* sites per report in tables */
	bool full_stacks;
	bool kernel_stacks;
	bool goroutines; /* goroutine view for Go targets */
	bool detail;	 /* Go detail mode: uprobes for exact wait durations */
	uint32_t sample; /* detail mode: time one goroutine in N */
	uint32_t max_sleepers;
	uint32_t max_sites;
	uint32_t max_stacks;
	uint32_t history;      /* samples per site kept for trends */
	double trend_window_s; /* trend detector's window, 0: its default */
	bool runtime_threads;  /* Go: show threads that only run the runtime too */
	bool no_tui;	       /* plain tables even on a terminal */
	/* exporters, each off when NULL (docs/metrics.md) */
	const char *prom_listen;   /* --prom ADDR: serve /metrics there */
	uint32_t prom_top;	   /* sites with series of their own (default 50) */
	const char *textfile_path; /* --textfile PATH: node_exporter textfile */
	const char *pprof_path;	   /* --pprof PATH: gzip'd pprof profile */
	const char *folded_path;   /* --folded PATH: folded stacks */
	bool folded_waits;	   /* --folded-waits: completed waits, not blocked now */
	const char *flame_path;	   /* --flamegraph PATH: SVG flame graph */
};

/* Result of parsing. */
enum bw_cli_result {
	BW_CLI_RUN = 0,
	BW_CLI_HELP = 1,    /* --help: print bw_cli_usage() and exit 0 */
	BW_CLI_VERSION = 2, /* --version */
	BW_CLI_ERROR = -1,  /* err holds a one-line message */
};

void bw_config__defaults(struct bw_config *cfg);
/*
 * Parses argv: its strings are not modified, but getopt may reorder its
 * pointers. err receives a one-line message on BW_CLI_ERROR.
 */
enum bw_cli_result bw_cli__parse(int argc, char **argv, struct bw_config *cfg, char *err,
				 size_t err_size);
const char *bw_cli_usage(void);

#endif /* BW_CLI_H */
