// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "hist.h"
#include "out_term.h"

#define NS_PER_US UINT64_C(1000)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define NS_PER_MIN (60 * NS_PER_S)
#define NS_PER_HOUR (60 * NS_PER_MIN)
#define NS_PER_DAY (24 * NS_PER_HOUR)

#define REASON_COLS 20
#define MIN_SITE_COLS 24 /* the SITE column never gets narrower than this */
#define SITE_CALLERS 2	 /* callers shown after the focus frame */
#define CUT_MARK "..."

struct bw_out_term {
	FILE *f;
	struct bw_out_term_opts opts;
	struct bw_drops prev_drops;
};

struct bw_out_term *bw_out_term__new(FILE *f, const struct bw_out_term_opts *opts)
{
	struct bw_out_term *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->f = f;
	if (opts)
		t->opts = *opts;
	if (!t->opts.top)
		t->opts.top = BW_TERM_DEFAULT_TOP;
	return t;
}

void bw_out_term__free(struct bw_out_term *t)
{
	free(t);
}

int bw_format_duration(uint64_t ns, char *buf, size_t size)
{
	if (ns < NS_PER_US)
		return snprintf(buf, size, "%" PRIu64 "ns", ns);
	if (ns < NS_PER_MS)
		return snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "us", ns / NS_PER_US,
				ns % NS_PER_US / 100);
	if (ns < NS_PER_S)
		return snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "ms", ns / NS_PER_MS,
				ns % NS_PER_MS / (NS_PER_MS / 10));
	if (ns < NS_PER_MIN)
		return snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "s", ns / NS_PER_S,
				ns % NS_PER_S / (NS_PER_S / 10));
	if (ns < NS_PER_HOUR)
		return snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", ns / NS_PER_MIN,
				ns % NS_PER_MIN / NS_PER_S);
	if (ns < NS_PER_DAY)
		return snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", ns / NS_PER_HOUR,
				ns % NS_PER_HOUR / NS_PER_MIN);
	return snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", ns / NS_PER_DAY,
			ns % NS_PER_DAY / NS_PER_HOUR);
}

/*
 * Write raw text from the target, escaped, in at most max_cols columns (cut
 * with "..." when longer), then pad with spaces to pad columns.
 */
static int put_escaped(FILE *f, const char *raw, size_t len, size_t max_cols, size_t pad)
{
	size_t need = bw_escape_term(NULL, 0, raw, len), size, cols;
	char *buf;
	int err = 0;

	size = (max_cols < need ? max_cols * 4 : need) + 1; /* a column is at most 4 bytes */
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	if (bw_escape_term_cols(buf, size, raw, len, max_cols, &cols) > cols) {
		size_t keep = max_cols > strlen(CUT_MARK) ? max_cols - strlen(CUT_MARK) : 0;

		bw_escape_term_cols(buf, size, raw, len, keep, &cols);
		if (fputs(buf, f) == EOF || fputs(CUT_MARK, f) == EOF)
			err = -EIO;
		cols += strlen(CUT_MARK);
	} else if (fputs(buf, f) == EOF) {
		err = -EIO;
	}
	for (; !err && cols < pad; cols++)
		if (fputc(' ', f) == EOF)
			err = -EIO;
	free(buf);
	return err;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* "func (file:line)", or the address and module when unnamed. */
static void frame_text(FILE *m, const struct bw_frame_name *fr, bool where)
{
	if (fr->function)
		fputs(fr->function, m);
	else
		fprintf(m, "0x%" PRIx64, fr->addr);
	if (!where)
		return;
	if (fr->file)
		fprintf(m, " (%s:%d)", base_name(fr->file), fr->line);
	else if (fr->module)
		fprintf(m, " (%s)", base_name(fr->module));
}

/* The SITE cell before escaping: focus frame, then its callers. */
static char *site_text(const struct bw_site *s, size_t *len)
{
	char *text = NULL;
	FILE *m = open_memstream(&text, len);
	int focus = s->focus < s->nframes ? s->focus : 0;

	if (!m)
		return NULL;
	if (!s->nframes)
		fputs("[no user stack]", m);
	for (int i = focus; i < s->nframes && i <= focus + SITE_CALLERS; i++) {
		if (i > focus)
			fputs(" <- ", m);
		frame_text(m, &s->frames[i], i == focus);
	}
	if (fclose(m)) {
		free(text);
		return NULL;
	}
	return text;
}

static int put_text(struct bw_out_term *t, char *text, size_t len, size_t max_cols)
{
	int err;

	if (!text)
		return -ENOMEM;
	err = put_escaped(t->f, text, len, max_cols, 0);
	free(text);
	return err;
}

static char *frame_line(const struct bw_frame_name *fr, size_t *len)
{
	char *text = NULL;
	FILE *m = open_memstream(&text, len);

	if (!m)
		return NULL;
	if (fr->function)
		fprintf(m, "%s+0x%" PRIx64, fr->function, fr->offset);
	else
		fprintf(m, "0x%" PRIx64, fr->addr);
	if (fr->file)
		fprintf(m, " %s:%d", fr->file, fr->line);
	if (fr->module)
		fprintf(m, fr->module[0] == '[' ? " %s" : " [%s]", fr->module);
	if (fclose(m)) {
		free(text);
		return NULL;
	}
	return text;
}

/* Columns left for text that starts at column used (at least MIN_SITE_COLS). */
static size_t cols_left(const struct bw_out_term *t, size_t used)
{
	if (t->opts.width <= 0)
		return SIZE_MAX;
	return (size_t)t->opts.width > used + MIN_SITE_COLS ? (size_t)t->opts.width - used
							    : MIN_SITE_COLS;
}

/* Does text starting at column used get too few columns on a narrow terminal? */
static bool too_narrow(const struct bw_out_term *t, size_t used)
{
	return t->opts.width > 0 && (size_t)t->opts.width < used + MIN_SITE_COLS;
}

/* Every frame, innermost first, the focus frame marked with '>'. */
static int write_stack(struct bw_out_term *t, const struct bw_frame_name *frames, int n, int focus,
		       const char *tag)
{
	for (int i = 0; i < n; i++) {
		size_t len, used;
		char *text = frame_line(&frames[i], &len);
		int err, w = fprintf(t->f, "      %c %s#%-2d ", i == focus ? '>' : ' ', tag, i);

		used = w > 0 ? (size_t)w : 0;
		err = put_text(t, text, len, cols_left(t, used));
		if (err || fputc('\n', t->f) == EOF)
			return err ? err : -EIO;
	}
	return 0;
}

/* A duration cell: "-" when there is nothing to show. */
static void duration_cell(char *buf, size_t size, uint64_t ns, bool known, bool lower_bound)
{
	char d[16];

	if (!known) {
		snprintf(buf, size, "-");
		return;
	}
	bw_format_duration(ns, d, sizeof(d));
	snprintf(buf, size, "%s%s", lower_bound ? ">=" : "", d);
}

static void trend_cell(char *buf, size_t size, const struct bw_site *s)
{
	if (s->verdict == 2)
		snprintf(buf, size, "LEAK %+.1f/m", s->growth_per_min);
	else if (s->verdict == 1)
		snprintf(buf, size, "susp %+.1f/m", s->growth_per_min);
	else
		snprintf(buf, size, "ok");
}

#define NUM_CELLS "%7s %7s %7s %7s %7s %8s %-9s "

static int write_columns(struct bw_out_term *t, bool show_pid)
{
	if (show_pid)
		fprintf(t->f, "%7s ", "PID");
	fprintf(t->f, NUM_CELLS "%-*s ", "BLOCKED", "WAITS", "P50", "P99", "MAX", "OLDEST", "KIND",
		REASON_COLS, "REASON");
	if (t->opts.verdicts)
		fprintf(t->f, "%-14s ", "TREND");
	return fputs("SITE\n", t->f) == EOF ? -EIO : 0;
}

/* The cells before REASON; returns the columns written. */
static size_t write_counts(struct bw_out_term *t, const struct bw_site *s, bool show_pid)
{
	char blocked[24], waits[24], p50[16], p99[16], max[16], oldest[20];
	bool waited = s->waits_interval > 0;
	uint64_t wmax = s->wait_max_interval_ns;
	int n = 0, w;

	if (show_pid && (w = fprintf(t->f, "%7d ", (int)s->pid)) > 0)
		n += w;
	snprintf(blocked, sizeof(blocked), "%" PRIu32, s->blocked);
	snprintf(waits, sizeof(waits), "%" PRIu64, s->waits_interval);
	duration_cell(p50, sizeof(p50), bw_hist_quantile(s->wait_hist_interval, 0.5, wmax), waited,
		      false);
	duration_cell(p99, sizeof(p99), bw_hist_quantile(s->wait_hist_interval, 0.99, wmax), waited,
		      false);
	duration_cell(max, sizeof(max), wmax, waited, false);
	duration_cell(oldest, sizeof(oldest), s->oldest_age_ns, s->blocked > 0,
		      s->oldest_is_lower_bound);
	w = fprintf(t->f, NUM_CELLS, blocked, waits, p50, p99, max, oldest,
		    bw_site_kind_name(s->kind));
	return (size_t)(n + (w > 0 ? w : 0));
}

static int write_created_by(struct bw_out_term *t, const struct bw_site *s, size_t indent)
{
	size_t len = 0;
	char *text = NULL;
	FILE *m;
	int err;

	if (s->kind != BW_KIND_GOROUTINE || !s->created_by)
		return 0;
	m = open_memstream(&text, &len);
	if (!m)
		return -ENOMEM;
	fputs("created by ", m);
	frame_text(m, &s->created_by_name, true);
	if (fclose(m)) {
		free(text);
		return -ENOMEM;
	}
	fprintf(t->f, "%*s", (int)indent, "");
	err = put_text(t, text, len, cols_left(t, indent));
	return err ? err : fputc('\n', t->f) == EOF ? -EIO : 0;
}

static int write_site(struct bw_out_term *t, const struct bw_site *s, bool show_pid)
{
	size_t used = write_counts(t, s, show_pid), len = 0;
	char trend[40], *text;
	int err;

	err = put_escaped(t->f, s->reason, strnlen(s->reason, sizeof(s->reason)), REASON_COLS,
			  REASON_COLS);
	used += REASON_COLS + 1;
	if (!err && fputc(' ', t->f) == EOF)
		err = -EIO;
	if (!err && t->opts.verdicts) {
		trend_cell(trend, sizeof(trend), s);
		fprintf(t->f, "%-14s ", trend);
		used += 15;
	}
	if (!err && too_narrow(t, used)) {
		/* the SITE matters most: give it a line of its own */
		fputs("\n    ", t->f);
		used = 4;
	}
	text = err ? NULL : site_text(s, &len);
	err = err ? err : put_text(t, text, len, cols_left(t, used));
	if (!err && fputc('\n', t->f) == EOF)
		err = -EIO;
	if (!err)
		err = write_created_by(t, s, used);
	if (!err && t->opts.full_stacks)
		err = write_stack(t, s->frames, s->nframes, s->focus, " ");
	if (!err && t->opts.full_stacks && t->opts.kernel_stacks)
		err = write_stack(t, s->kframes, s->nkframes, -1, "k");
	return err;
}

static void write_drops(struct bw_out_term *t, const struct bw_drops *drops)
{
	struct bw_drops delta;
	const char *sep = " ";

	if (!drops || !bw_drops_total(drops)) {
		fputs("  drops 0", t->f);
		return;
	}
	bw_drops_delta(drops, &t->prev_drops, &delta);
	t->prev_drops = *drops;
	fputs("  drops:", t->f);
	for (unsigned int i = 0; i < BW_DROPS__COUNT; i++) {
		if (!drops->count[i])
			continue;
		fprintf(t->f, "%s%s %" PRIu64, sep, bw_drops_name(i), drops->count[i]);
		if (delta.count[i])
			fprintf(t->f, " (+%" PRIu64 ")", delta.count[i]);
		sep = ", ";
	}
}

static int write_header(struct bw_out_term *t, const struct bw_term_interval *iv)
{
	time_t secs = (time_t)(iv->ts_ns / NS_PER_S);
	char when[48] = "?";
	struct tm tm;

	if (localtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	fprintf(t->f, "=== %s%s  interval %.1fs  sites %zu", iv->final ? "final " : "", when,
		iv->interval_s, iv->nsites);
	write_drops(t, iv->drops);
	return fputc('\n', t->f) == EOF ? -EIO : 0;
}

static int write_proc(struct bw_out_term *t, const struct bw_proc_summary *p)
{
	int err;

	fprintf(t->f, "pid %d (", (int)p->pid);
	err = put_escaped(t->f, p->comm, strnlen(p->comm, sizeof(p->comm)), SIZE_MAX, 0);
	if (err)
		return err;
	fputc(')', t->f);
	if (p->is_go && p->go_version[0]) {
		fputc(' ', t->f);
		err = put_escaped(t->f, p->go_version,
				  strnlen(p->go_version, sizeof(p->go_version)), SIZE_MAX, 0);
		if (err)
			return err;
	}
	if (p->container_id[0]) /* 12 digits, as docker ps shows them */
		fprintf(t->f, " container %.12s", p->container_id);
	if (p->pod_uid[0])
		fprintf(t->f, " pod %.36s", p->pod_uid);
	fprintf(t->f, "  threads %" PRIu64 ", %" PRIu64 " blocked", p->threads, p->threads_blocked);
	if (p->is_go)
		fprintf(t->f,
			"  goroutines %" PRIu64 ": %" PRIu64 " waiting, %" PRIu64
			" runnable, %" PRIu64 " running, %" PRIu64 " in syscall",
			p->goroutines, p->goroutines_waiting, p->goroutines_runnable,
			p->goroutines_running, p->goroutines_syscall);
	if (p->go_detail && p->go_sample_every > 1)
		fprintf(t->f, "  (detail: 1 goroutine in %" PRIu32 " timed, waits x%" PRIu32 ")",
			p->go_sample_every, p->go_sample_every);
	return fputc('\n', t->f) == EOF ? -EIO : 0;
}

/* A PID column only when the sites come from more than one process. */
static bool several_pids(const struct bw_term_interval *iv)
{
	for (size_t i = 1; i < iv->nsites; i++)
		if (iv->sites[i]->pid != iv->sites[0]->pid)
			return true;
	return iv->nprocs > 1;
}

static int write_sites(struct bw_out_term *t, const struct bw_term_interval *iv)
{
	size_t shown = iv->nsites, hidden_blocked = 0;
	bool show_pid = several_pids(iv);
	int err;

	if (!iv->nsites)
		return fputs("no thread or goroutine blocked, no wait completed\n", t->f) == EOF
			       ? -EIO
			       : 0;
	if (t->opts.top > 0 && shown > (size_t)t->opts.top)
		shown = (size_t)t->opts.top;
	err = write_columns(t, show_pid);
	for (size_t i = 0; !err && i < shown; i++)
		err = write_site(t, iv->sites[i], show_pid);
	if (err || shown == iv->nsites)
		return err;
	for (size_t i = shown; i < iv->nsites; i++)
		hidden_blocked += iv->sites[i]->blocked;
	fprintf(t->f, "... %zu more sites, %zu blocked\n", iv->nsites - shown, hidden_blocked);
	return ferror(t->f) ? -EIO : 0;
}

int bw_out_term__write(struct bw_out_term *t, const struct bw_term_interval *iv)
{
	int err = write_header(t, iv);

	for (size_t i = 0; !err && i < iv->nprocs; i++)
		err = write_proc(t, &iv->procs[i]);
	if (!err)
		err = write_sites(t, iv);
	if (!err && fputc('\n', t->f) == EOF)
		err = -EIO;
	if (fflush(t->f) == EOF && !err)
		err = -errno;
	return err;
}
