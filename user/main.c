// SPDX-License-Identifier: BSD-2-Clause
/*
 * blockwatch: find goroutines and threads that wait forever, from outside
 * a running process. main() only wires: options, checks, the session, and
 * the exit status.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "preflight.h"
#include "session.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a closed pipe must end us cleanly, with the probes detached */
	signal(SIGPIPE, SIG_IGN);
}

static int preflight(const struct bw_config *cfg)
{
	char msg[256];
	int status;

	status = bw_preflight__privileges(msg, sizeof(msg));
	if (status)
		goto fail;
	status = bw_preflight__kernel("/sys/kernel/btf/vmlinux", msg, sizeof(msg));
	if (status)
		goto fail;
	for (size_t i = 0; i < cfg->npids; i++) {
		status = bw_preflight__target("/proc", cfg->pids[i], msg, sizeof(msg));
		if (status)
			goto fail;
	}
	return 0;
fail:
	bw_err("%s", msg);
	return status;
}

int main(int argc, char **argv)
{
	struct bw_session *session;
	struct bw_config cfg;
	char err[256];
	int status;

	switch (bw_cli__parse(argc, argv, &cfg, err, sizeof(err))) {
	case BW_CLI_HELP:
		fputs(bw_cli_usage(), stdout);
		return BW_EXIT_OK;
	case BW_CLI_VERSION:
		printf("blockwatch %s\n", BW_VERSION);
		return BW_EXIT_OK;
	case BW_CLI_ERROR:
		bw_err("%s", err);
		return BW_EXIT_USAGE;
	case BW_CLI_RUN:
		break;
	}
	bw_log_set_level(cfg.verbose ? BW_LOG_INFO + (cfg.verbose > 1) : BW_LOG_WARN);
	status = preflight(&cfg);
	if (status)
		return status;
	install_signal_handlers();
	session = bw_session__new(&cfg, &status);
	if (!session)
		return status ? status : BW_EXIT_FAILURE;
	status = bw_session__run(session, &stop_requested);
	bw_session__free(session);
	return status;
}
