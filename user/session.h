/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One run of blockwatch: the targets, the probes, the aggregator and the
 * outputs, and the loop that collects and reports every interval until
 * the duration ends, a signal arrives or the targets exit.
 */
#ifndef BW_SESSION_H
#define BW_SESSION_H

#include <signal.h>

#include "cli.h"

struct bw_session;

/* NULL and errno on failure, with the message logged; *exit_status says which failure. */
struct bw_session *bw_session__new(const struct bw_config *cfg, int *exit_status);
/* Runs until done; returns the BW_EXIT_* status. */
int bw_session__run(struct bw_session *s, volatile sig_atomic_t *stop);
void bw_session__free(struct bw_session *s);

#endif /* BW_SESSION_H */
