/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The live terminal view (ncurses), used when stdout is a terminal: a
 * process summary, then the sites sorted by verdict and count, with a
 * sparkline of each site's "blocked now" history.
 *
 * Keys: s cycles the sort order, up/down (or k/j) select a site, Enter
 * expands the selected site's full stack (Enter or Esc goes back), q quits.
 *
 * Single-threaded: the session calls __render after each report and
 * __poll_input between reports; the site pointers of the last report stay
 * valid until the next collection, which is always followed by a render.
 */
#ifndef BW_OUT_TUI_H
#define BW_OUT_TUI_H

#include <stdbool.h>

#include "report.h"

struct bw_tui;

/* NULL when the terminal cannot be driven (errno set). */
struct bw_tui *bw_tui__new(void);
void bw_tui__free(struct bw_tui *tui);

int bw_tui__render(struct bw_tui *tui, const struct bw_report *rep);
/* Handle pending keys without blocking; returns true when the user asked to quit. */
bool bw_tui__poll_input(struct bw_tui *tui);

/*
 * The sparkline of a series (UTF-8 block characters, or ASCII when
 * ascii), at most width cells, scaled between the series' minimum and
 * maximum. Pure, for tests.
 */
void bw_sparkline(const uint32_t *series, size_t n, size_t width, bool ascii, char *out,
		  size_t size);

#endif /* BW_OUT_TUI_H */
