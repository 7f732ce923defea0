// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "drops.h"
#include "escape.h"
#include "hist.h"
#include "out_term.h"
#include "out_tui.h"

enum tui_sort {
	TUI_SORT_VERDICT = 0,
	TUI_SORT_BLOCKED,
	TUI_SORT_OLDEST,
	TUI_SORT_WAITS,
	TUI_SORT__COUNT,
};

static const char *const sort_names[TUI_SORT__COUNT] = { "verdict", "blocked", "oldest", "waits" };

struct bw_tui {
	struct bw_site **sites; /* of the last report, sorted */
	size_t nsites;
	struct bw_report rep; /* copy of the last report's header figures */
	enum tui_sort sort;
	size_t selected;
	size_t scroll;
	bool expanded;
	bool ascii;
};

struct bw_tui *bw_tui__new(void)
{
	struct bw_tui *tui = calloc(1, sizeof(*tui));
	const char *codeset;

	if (!tui)
		return NULL;
	setlocale(LC_ALL, "");
	codeset = nl_langinfo(CODESET);
	tui->ascii = !codeset || strcmp(codeset, "UTF-8");
	if (!initscr()) {
		free(tui);
		errno = ENOTTY;
		return NULL;
	}
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	return tui;
}

void bw_tui__free(struct bw_tui *tui)
{
	if (!tui)
		return;
	endwin();
	free(tui->sites);
	free(tui);
}

void bw_sparkline(const uint32_t *series, size_t n, size_t width, bool ascii, char *out,
		  size_t size)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ramp[] = "_.-:=+*#";
	size_t first = n > width ? n - width : 0, used = 0;
	uint32_t lo = UINT32_MAX, hi = 0;

	if (!size)
		return;
	out[0] = '\0';
	for (size_t i = first; i < n; i++) {
		lo = series[i] < lo ? series[i] : lo;
		hi = series[i] > hi ? series[i] : hi;
	}
	for (size_t i = first; i < n; i++) {
		unsigned int level =
			hi > lo ? (unsigned int)((uint64_t)(series[i] - lo) * 7 / (hi - lo))
				: (series[i] ? 3 : 0);
		const char *cell = ascii ? (char[]){ ramp[level], '\0' } : blocks[level];
		size_t len = strlen(cell);

		if (used + len + 1 > size)
			break;
		memcpy(out + used, cell, len);
		used += len;
		out[used] = '\0';
	}
}

static const char *verdict_label(uint8_t verdict)
{
	return verdict == 2 ? "LEAK" : verdict == 1 ? "suspect" : "";
}

static int cmp_verdict(const void *a, const void *b)
{
	const struct bw_site *x = *(struct bw_site *const *)a, *y = *(struct bw_site *const *)b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->blocked != y->blocked)
		return x->blocked > y->blocked ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void load_sites(struct bw_tui *tui, struct bw_agg *agg)
{
	static const enum bw_sort agg_sort[TUI_SORT__COUNT] = {
		[TUI_SORT_VERDICT] = BW_SORT_BLOCKED,
		[TUI_SORT_BLOCKED] = BW_SORT_BLOCKED,
		[TUI_SORT_OLDEST] = BW_SORT_OLDEST,
		[TUI_SORT_WAITS] = BW_SORT_WAITS,
	};

	free(tui->sites);
	tui->sites = NULL;
	tui->nsites = 0;
	if (bw_agg__sites(agg, agg_sort[tui->sort], &tui->sites, &tui->nsites))
		return;
	if (tui->sort == TUI_SORT_VERDICT)
		qsort(tui->sites, tui->nsites, sizeof(*tui->sites), cmp_verdict);
	if (tui->selected >= tui->nsites)
		tui->selected = tui->nsites ? tui->nsites - 1 : 0;
}

/* Print untrusted text at the cursor, escaped, at most cols columns. */
static void put_text(const char *s, int cols)
{
	char buf[1024];

	if (cols <= 0)
		return;
	bw_escape_term_cols(buf, sizeof(buf), s, s ? strlen(s) : 0, (size_t)cols, NULL);
	addstr(buf);
}

static void frame_text(const struct bw_frame_name *f, char *buf, size_t size)
{
	if (!f->function)
		snprintf(buf, size, "0x%llx", (unsigned long long)f->addr);
	else if (f->file && f->line)
		snprintf(buf, size, "%s (%s:%d)", f->function,
			 strrchr(f->file, '/') ? strrchr(f->file, '/') + 1 : f->file, f->line);
	else
		snprintf(buf, size, "%s+0x%llx", f->function, (unsigned long long)f->offset);
}

static void draw_summary(struct bw_tui *tui)
{
	const struct bw_report *rep = &tui->rep;
	char up[32];
	struct bw_drops d;
	uint64_t drops, go = 0;

	bw_format_duration(rep->elapsed_ns, up, sizeof(up));
	attron(A_REVERSE);
	mvprintw(0, 0, " blockwatch %s  up %s  every %.3gs  sort: %s ", BW_VERSION, up,
		 rep->interval_s, sort_names[tui->sort]);
	clrtoeol();
	attroff(A_REVERSE);
	for (size_t i = 0; i < rep->nprocs && i < 3; i++) {
		const struct bw_proc_summary *p = &rep->procs[i];

		move(1 + (int)i, 0);
		printw("pid %d ", p->pid);
		put_text(p->comm, 16);
		printw("  threads %llu (%llu asleep)", (unsigned long long)p->threads,
		       (unsigned long long)p->threads_blocked);
		if (p->is_go)
			printw("  %s goroutines %llu (+%llu runtime): %llu waiting, %llu runnable, "
			       "%llu running",
			       p->go_version, (unsigned long long)p->goroutines,
			       (unsigned long long)p->goroutines_system,
			       (unsigned long long)p->goroutines_waiting,
			       (unsigned long long)p->goroutines_runnable,
			       (unsigned long long)p->goroutines_running);
		clrtoeol();
	}
	bw_drops_fill(&d, rep->drops, rep->sites_evicted, rep->go_probes);
	drops = bw_drops_total(&d);
	for (unsigned int i = BW_DROPS_GO_PARKED_FULL; i < BW_DROPS__COUNT; i++)
		go += d.count[i];
	move(4, 0);
	if (drops)
		printw("drops: %llu (ring %llu, sleepers %llu, waits %llu, stacks %llu/%llu, sites "
		       "%llu, go probes %llu): counts are lower bounds",
		       (unsigned long long)drops, (unsigned long long)d.count[BW_DROP_RINGBUF],
		       (unsigned long long)d.count[BW_DROP_SLEEPERS_FULL],
		       (unsigned long long)d.count[BW_DROP_WAITS_FULL],
		       (unsigned long long)d.count[BW_DROP_USTACK],
		       (unsigned long long)d.count[BW_DROP_KSTACK],
		       (unsigned long long)d.count[BW_DROPS_SITES_EVICTED], (unsigned long long)go);
	else
		printw("drops: none");
	clrtoeol();
}

static void draw_row(struct bw_tui *tui, int y, const struct bw_site *s, bool selected)
{
	char spark[128], growth[16], oldest[24], site[512];
	const struct bw_frame_name *focus = s->nframes ? &s->frames[s->focus] : NULL;
	int x;

	bw_sparkline(s->history, s->history_len, 16, tui->ascii, spark, sizeof(spark));
	snprintf(growth, sizeof(growth), s->verdict ? "%+.1f" : "", s->growth_per_min);
	bw_format_duration(s->oldest_age_ns, oldest + 2, sizeof(oldest) - 2);
	oldest[0] = s->oldest_is_lower_bound ? '>' : ' ';
	oldest[1] = s->oldest_is_lower_bound ? '=' : ' ';
	if (!s->blocked)
		snprintf(oldest, sizeof(oldest), "  -");
	if (selected)
		attron(A_REVERSE);
	if (s->verdict == 2)
		attron(A_BOLD);
	mvprintw(y, 0, "%-7s %7u ", verdict_label(s->verdict), s->blocked);
	addstr(spark);
	for (size_t pad = s->history_len < 16 ? 16 - s->history_len : 0; pad; pad--)
		addch(' ');
	printw(" %8s %9s %-9s ", growth, oldest, bw_site_kind_name(s->kind));
	put_text(s->reason, 18);
	x = getcurx(stdscr);
	mvaddch(y, x < 79 ? 79 : x, ' ');
	if (focus) {
		frame_text(focus, site, sizeof(site));
		put_text(site, COLS - getcurx(stdscr) - 1);
	}
	clrtoeol();
	attroff(A_REVERSE | A_BOLD);
}

static void draw_table(struct bw_tui *tui)
{
	int top = 6, rows = LINES - top - 1;

	attron(A_UNDERLINE);
	mvprintw(top - 1, 0, "%-7s %7s %-16s %8s %9s %-9s %-18s %s", "VERDICT", "BLOCKED", "TREND",
		 "GROWTH/m", "OLDEST", "KIND", "REASON", "SITE");
	clrtoeol();
	attroff(A_UNDERLINE);
	if (rows < 1)
		return;
	if (tui->selected < tui->scroll)
		tui->scroll = tui->selected;
	if (tui->selected >= tui->scroll + (size_t)rows)
		tui->scroll = tui->selected - rows + 1;
	for (int i = 0; i < rows; i++) {
		size_t idx = tui->scroll + i;

		move(top + i, 0);
		clrtoeol();
		if (idx < tui->nsites)
			draw_row(tui, top + i, tui->sites[idx], idx == tui->selected);
	}
}

static void draw_frames(const char *title, const struct bw_frame_name *frames, int n, int *y)
{
	char line[600];

	if (n <= 0 || *y >= LINES - 1)
		return;
	mvprintw((*y)++, 0, "%s", title);
	for (int i = 0; i < n && *y < LINES - 1; i++) {
		const struct bw_frame_name *f = &frames[i];

		frame_text(f, line, sizeof(line));
		mvprintw(*y, 0, "  #%-2d ", i);
		put_text(line, COLS - 8);
		if (f->module && getcurx(stdscr) < COLS - 10) {
			addstr("  ");
			put_text(f->module, COLS - getcurx(stdscr) - 1);
		}
		(*y)++;
	}
}

static void draw_stack(struct bw_tui *tui)
{
	const struct bw_site *s = tui->sites[tui->selected];
	char age[24], line[600];
	int y = 5;

	for (int i = 5; i < LINES; i++) {
		move(i, 0);
		clrtoeol();
	}
	bw_format_duration(s->oldest_age_ns, age, sizeof(age));
	mvprintw(y++, 0, "%s %s: %u blocked, oldest %s%s, %llu waits done, verdict %s",
		 bw_site_kind_name(s->kind), s->reason, s->blocked,
		 s->oldest_is_lower_bound ? ">=" : "", age, (unsigned long long)s->waits_total,
		 s->verdict ? verdict_label(s->verdict) : "ok");
	if (s->created_by) {
		frame_text(&s->created_by_name, line, sizeof(line));
		mvprintw(y++, 0, "created by ");
		put_text(line, COLS - 12);
	}
	draw_frames("user stack:", s->frames, s->nframes, &y);
	draw_frames("kernel stack:", s->kframes, s->nkframes, &y);
}

static void draw(struct bw_tui *tui)
{
	draw_summary(tui);
	if (tui->expanded && tui->selected < tui->nsites)
		draw_stack(tui);
	else
		draw_table(tui);
	attron(A_REVERSE);
	mvprintw(LINES - 1, 0, " s sort  up/down select  Enter stack  q quit ");
	attroff(A_REVERSE);
	clrtoeol();
	refresh();
}

int bw_tui__render(struct bw_tui *tui, const struct bw_report *rep)
{
	tui->rep = *rep;
	load_sites(tui, rep->agg);
	draw(tui);
	return 0;
}

bool bw_tui__poll_input(struct bw_tui *tui)
{
	bool redraw = false;
	int ch;

	while ((ch = getch()) != ERR) {
		switch (ch) {
		case 'q':
		case 'Q':
			return true;
		case 's':
			tui->sort = (tui->sort + 1) % TUI_SORT__COUNT;
			load_sites(tui, tui->rep.agg);
			break;
		case KEY_UP:
		case 'k':
			if (tui->selected)
				tui->selected--;
			break;
		case KEY_DOWN:
		case 'j':
			if (tui->selected + 1 < tui->nsites)
				tui->selected++;
			break;
		case '\n':
		case KEY_ENTER:
			tui->expanded = !tui->expanded;
			break;
		case 27: /* Esc */
			tui->expanded = false;
			break;
		case KEY_RESIZE:
			break;
		default:
			continue;
		}
		redraw = true;
	}
	if (redraw)
		draw(tui);
	return false;
}
