// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockwatch/common.h"
#include "cli.h"
#include "out_prom.h"

static const char usage[] =
	"usage: blockwatch [OPTIONS] [-p PID[,PID...]] [INTERVAL [COUNT]]\n"
	"Find threads and goroutines that wait forever, in a running process.\n"
	"\n"
	"  -p, --pid PID[,PID]    processes to watch (default: every process)\n"
	"      --comm NAME        without -p: only processes named NAME (repeatable)\n"
	"      --cgroup PATH      without -p: only processes in cgroup PATH or below\n"
	"  -i, --interval SEC     seconds between reports (default 2; also positional)\n"
	"  -d, --duration SEC     stop after SEC seconds (default: until Ctrl-C or exit)\n"
	"  -c, --count N          stop after N reports (also positional)\n"
	"  -j, --json             JSON lines (schema in docs/json-schema.md)\n"
	"  -o, --output FILE      write reports to FILE instead of stdout\n"
	"  -n, --top N            sites per report in tables (default 20, 0: all)\n"
	"  -s, --stacks           full stacks in tables\n"
	"  -K, --kernel-stacks    kernel stacks too\n"
	"      --no-goroutines    thread view only, even for Go processes\n"
	"  -D, --detail           Go: exact wait durations through uprobes on the runtime's\n"
	"                         blocking paths (costs the target ~1 us per park)\n"
	"      --sample N         with --detail, time one goroutine in N (counts scaled)\n"
	"      --max-sleepers N   bound of the kernel's map of target threads that sleep\n"
	"      --max-sites N      bound of the kernel's per-site map and of sites kept\n"
	"      --max-stacks N     bound of each kernel stack map\n"
	"      --history N        samples of each site kept for trends (default 600)\n"
	"      --window SEC       trend window (default 300 s)\n"
	"      --no-tui           plain tables even when stdout is a terminal\n"
	"      --runtime-threads  Go: also threads idle in the runtime's scheduler\n"
	"      --prom ADDR        serve Prometheus metrics at http://ADDR/metrics\n"
	"                         (HOST:PORT, [V6]:PORT, PORT for 127.0.0.1:PORT;\n"
	"                         :PORT listens on every address)\n"
	"      --prom-top N       sites with series of their own (default 50; the\n"
	"                         rest are summed as site=\"other\", leaks always kept)\n"
	"      --textfile PATH    the same metrics into a node_exporter textfile\n"
	"      --pprof PATH       a pprof profile of what is blocked, each report\n"
	"  -f, --folded PATH      folded stacks for flame graphs, each report\n"
	"      --folded-waits     folded stacks count completed waits instead\n"
	"      --flamegraph PATH  an SVG flame graph of what is blocked, each report\n"
	"  -v, --verbose          more diagnostics (-vv: libbpf's too)\n"
	"  -h, --help             this text\n"
	"  -V, --version          version\n"
	"\n"
	"examples:\n"
	"  blockwatch -p 1234             tables every 2 s until Ctrl-C\n"
	"  blockwatch -p 1234 5 3         three reports, 5 s apart\n"
	"  blockwatch -p 1234 -d 60 -j    a minute of JSON lines\n"
	"  blockwatch --prom 9464         every process, metrics on 127.0.0.1:9464\n"
	"\n"
	"exit status: 0 ok, 1 failure, 2 usage, 3 no such process, 4 permission,\n"
	"5 kernel unsupported, 10 leak found (with -d)\n";

const char *bw_cli_usage(void)
{
	return usage;
}

enum {
	OPT_NO_GOROUTINES = 256,
	OPT_MAX_SLEEPERS,
	OPT_MAX_SITES,
	OPT_MAX_STACKS,
	OPT_HISTORY,
	OPT_SAMPLE,
	OPT_WINDOW,
	OPT_NO_TUI,
	OPT_RUNTIME_THREADS,
	OPT_PROM,
	OPT_PROM_TOP,
	OPT_TEXTFILE,
	OPT_PPROF,
	OPT_FOLDED_WAITS,
	OPT_FLAMEGRAPH,
	OPT_COMM,
	OPT_CGROUP,
};

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "top", required_argument, NULL, 'n' },
	{ "stacks", no_argument, NULL, 's' },
	{ "kernel-stacks", no_argument, NULL, 'K' },
	{ "no-goroutines", no_argument, NULL, OPT_NO_GOROUTINES },
	{ "detail", no_argument, NULL, 'D' },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "no-tui", no_argument, NULL, OPT_NO_TUI },
	{ "runtime-threads", no_argument, NULL, OPT_RUNTIME_THREADS },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "max-sleepers", required_argument, NULL, OPT_MAX_SLEEPERS },
	{ "max-sites", required_argument, NULL, OPT_MAX_SITES },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "history", required_argument, NULL, OPT_HISTORY },
	{ "prom", required_argument, NULL, OPT_PROM },
	{ "prom-top", required_argument, NULL, OPT_PROM_TOP },
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "folded", required_argument, NULL, 'f' },
	{ "folded-waits", no_argument, NULL, OPT_FOLDED_WAITS },
	{ "flamegraph", required_argument, NULL, OPT_FLAMEGRAPH },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void bw_config__defaults(struct bw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interval_s = 2.0;
	cfg->top = 20;
	cfg->goroutines = true;
	cfg->kernel_stacks = false;
	cfg->max_sleepers = BW_DEFAULT_MAX_SLEEPERS;
	cfg->max_sites = BW_DEFAULT_MAX_SITES;
	cfg->max_stacks = BW_DEFAULT_MAX_STACKS;
	cfg->history = 600;
	cfg->prom_top = BW_PROM_DEFAULT_TOP;
	cfg->sample = 1;
}

static int parse_seconds(const char *s, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > 31536000.0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	long v;
	int err = parse_long(s, 1, UINT32_MAX > LONG_MAX ? LONG_MAX : (long)UINT32_MAX, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

/* "123" or "1,2,3": appended to cfg->pids */
static int parse_pids(const char *arg, struct bw_config *cfg, char *err, size_t err_size)
{
	char buf[1024], *save = NULL, *tok;

	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, err_size, "pid list too long");
		return -EINVAL;
	}
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long pid;

		if (parse_long(tok, 1, INT_MAX, &pid)) {
			snprintf(err, err_size, "invalid pid '%.32s'", tok);
			return -EINVAL;
		}
		if (cfg->npids == BW_MAX_PIDS) {
			snprintf(err, err_size, "too many pids (at most %d)", BW_MAX_PIDS);
			return -E2BIG;
		}
		cfg->pids[cfg->npids++] = (pid_t)pid;
	}
	if (!cfg->npids) {
		snprintf(err, err_size, "invalid pid '%.32s'", arg);
		return -EINVAL;
	}
	return 0;
}

static int bad_value(char *err, size_t err_size, const char *opt, const char *value)
{
	snprintf(err, err_size, "invalid value '%.32s' for %s", value, opt);
	return -EINVAL;
}

static int set_path(const char **path, const char *arg, const char *opt, char *err, size_t err_size)
{
	if (!*arg)
		return bad_value(err, err_size, opt, arg);
	*path = arg;
	return 0;
}

/* The exporters' options (out_prom, out_textfile, out_pprof, out_folded, out_flame). */
static int parse_export_option(int opt, const char *arg, struct bw_config *cfg, char *err,
			       size_t err_size)
{
	struct sockaddr_storage addr;
	socklen_t len;
	long v;

	switch (opt) {
	case OPT_PROM:
		if (bw_prom_parse_listen(arg, &addr, &len))
			return bad_value(err, err_size, "--prom", arg);
		cfg->prom_listen = arg;
		return 0;
	case OPT_PROM_TOP:
		if (parse_long(arg, 0, 100000, &v))
			return bad_value(err, err_size, "--prom-top", arg);
		cfg->prom_top = (uint32_t)v;
		return 0;
	case OPT_TEXTFILE:
		return set_path(&cfg->textfile_path, arg, "--textfile", err, err_size);
	case OPT_PPROF:
		return set_path(&cfg->pprof_path, arg, "--pprof", err, err_size);
	case 'f':
		return set_path(&cfg->folded_path, arg, "--folded", err, err_size);
	case OPT_FOLDED_WAITS:
		cfg->folded_waits = true;
		return 0;
	case OPT_FLAMEGRAPH:
		return set_path(&cfg->flame_path, arg, "--flamegraph", err, err_size);
	default:
		return -EINVAL;
	}
}

static int parse_option(int opt, const char *arg, struct bw_config *cfg, char *err, size_t err_size)
{
	long v;

	switch (opt) {
	case 'p':
		return parse_pids(arg, cfg, err, err_size);
	case 'i':
		if (parse_seconds(arg, 0.05, &cfg->interval_s))
			return bad_value(err, err_size, "--interval", arg);
		return 0;
	case 'd':
		if (parse_seconds(arg, 0.05, &cfg->duration_s))
			return bad_value(err, err_size, "--duration", arg);
		return 0;
	case 'c':
		if (parse_long(arg, 1, LONG_MAX, &cfg->count))
			return bad_value(err, err_size, "--count", arg);
		return 0;
	case 'j':
		cfg->json = true;
		return 0;
	case 'o':
		if (!*arg)
			return bad_value(err, err_size, "--output", arg);
		cfg->output_path = arg;
		return 0;
	case 'n':
		if (parse_long(arg, 0, 100000, &v))
			return bad_value(err, err_size, "--top", arg);
		cfg->top = (int)v;
		return 0;
	case 's':
		cfg->full_stacks = true;
		return 0;
	case 'K':
		cfg->kernel_stacks = true;
		return 0;
	case 'v':
		cfg->verbose++;
		return 0;
	case OPT_NO_GOROUTINES:
		cfg->goroutines = false;
		return 0;
	case 'D':
		cfg->detail = true;
		return 0;
	case OPT_WINDOW:
		if (parse_seconds(arg, 10, &cfg->trend_window_s))
			return bad_value(err, err_size, "--window", arg);
		return 0;
	case OPT_NO_TUI:
		cfg->no_tui = true;
		return 0;
	case OPT_RUNTIME_THREADS:
		cfg->runtime_threads = true;
		return 0;
	case OPT_COMM:
		if (!*arg || strlen(arg) >= 16)
			return bad_value(err, err_size, "--comm", arg);
		if (cfg->ncomms == BW_MAX_COMMS) {
			snprintf(err, err_size, "too many --comm (at most %d)", BW_MAX_COMMS);
			return -E2BIG;
		}
		cfg->comms[cfg->ncomms++] = arg;
		return 0;
	case OPT_CGROUP:
		if (arg[0] != '/')
			return bad_value(err, err_size, "--cgroup", arg);
		cfg->cgroup = arg;
		return 0;
	case OPT_SAMPLE:
		if (parse_u32(arg, &cfg->sample) || cfg->sample > 1000000)
			return bad_value(err, err_size, "--sample", arg);
		return 0;
	case OPT_MAX_SLEEPERS:
		return parse_u32(arg, &cfg->max_sleepers)
			       ? bad_value(err, err_size, "--max-sleepers", arg)
			       : 0;
	case OPT_MAX_SITES:
		return parse_u32(arg, &cfg->max_sites)
			       ? bad_value(err, err_size, "--max-sites", arg)
			       : 0;
	case OPT_MAX_STACKS:
		return parse_u32(arg, &cfg->max_stacks)
			       ? bad_value(err, err_size, "--max-stacks", arg)
			       : 0;
	case OPT_HISTORY:
		if (parse_u32(arg, &cfg->history) || cfg->history < 10 || cfg->history > 100000)
			return bad_value(err, err_size, "--history", arg);
		return 0;
	default:
		return parse_export_option(opt, arg, cfg, err, err_size);
	}
}

/* bcc style: [INTERVAL [COUNT]] after the options */
static int parse_positionals(int argc, char **argv, int first, struct bw_config *cfg, char *err,
			     size_t err_size)
{
	if (argc - first > 2) {
		snprintf(err, err_size, "unexpected argument '%.32s'", argv[first + 2]);
		return -EINVAL;
	}
	if (argc - first >= 1 && parse_seconds(argv[first], 0.05, &cfg->interval_s))
		return bad_value(err, err_size, "interval", argv[first]);
	if (argc - first == 2 && parse_long(argv[first + 1], 1, LONG_MAX, &cfg->count))
		return bad_value(err, err_size, "count", argv[first + 1]);
	return 0;
}

enum bw_cli_result bw_cli__parse(int argc, char **argv, struct bw_config *cfg, char *err,
				 size_t err_size)
{
	static const char short_options[] = ":p:i:d:c:jo:n:sKDf:vhV";
	int opt;

	bw_config__defaults(cfg);
	err[0] = '\0';
	optind = 0; /* reset getopt: the parser may run more than once (tests) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		if (opt == 'h')
			return BW_CLI_HELP;
		if (opt == 'V')
			return BW_CLI_VERSION;
		if (opt == '?') {
			/* "--json=1": getopt sets optopt to the known option's value */
			if (optopt >= OPT_NO_GOROUTINES ||
			    (optopt > 0 && optopt != ':' && strchr(short_options, optopt)))
				snprintf(err, err_size, "option '%.40s' takes no value",
					 argv[optind - 1]);
			else if (optopt)
				snprintf(err, err_size, "unknown option '-%c'", optopt);
			else
				snprintf(err, err_size, "unknown option '%.40s'", argv[optind - 1]);
			return BW_CLI_ERROR;
		}
		if (opt == ':') {
			snprintf(err, err_size, "option '%.40s' needs a value", argv[optind - 1]);
			return BW_CLI_ERROR;
		}
		if (parse_option(opt, optarg, cfg, err, err_size)) {
			if (!err[0])
				snprintf(err, err_size, "invalid option");
			return BW_CLI_ERROR;
		}
	}
	if (parse_positionals(argc, argv, optind, cfg, err, err_size))
		return BW_CLI_ERROR;
	if (cfg->npids && (cfg->ncomms || cfg->cgroup)) {
		snprintf(err, err_size,
			 "--comm and --cgroup select processes system-wide: not with -p");
		return BW_CLI_ERROR;
	}
	return BW_CLI_RUN;
}
