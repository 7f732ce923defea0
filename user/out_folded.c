// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "out_folded.h"
#include "safefile.h"

/* A name made safe for one frame of a folded line. */
static int put_name(FILE *f, const char *s, size_t len)
{
	char stack[256], *buf = stack;
	size_t need = bw_escape_term(stack, sizeof(stack), s, len) + 1;

	if (need > sizeof(stack)) {
		buf = malloc(need);
		if (!buf)
			return -ENOMEM;
		bw_escape_term(buf, need, s, len);
	}
	for (char *p = buf; *p; p++)
		if (*p == ';')
			*p = ':';
	fputs(buf, f);
	if (buf != stack)
		free(buf);
	return 0;
}

static int put_frame(FILE *f, const struct bw_frame_name *fr)
{
	char addr[24];

	fputc(';', f);
	if (fr->function)
		return put_name(f, fr->function, strlen(fr->function));
	snprintf(addr, sizeof(addr), "0x%" PRIx64, fr->addr);
	fputs(addr, f);
	return 0;
}

static int put_root(FILE *f, const struct bw_report *rep, pid_t pid)
{
	for (size_t i = 0; i < rep->nprocs; i++)
		if (rep->procs[i].pid == pid && rep->procs[i].comm[0])
			return put_name(f, rep->procs[i].comm,
					strnlen(rep->procs[i].comm, BW_COMM_LEN));
	fprintf(f, "pid-%d", (int)pid);
	return 0;
}

/* Root first: frames are stored innermost first, kernel frames below the user ones. */
static int put_line(FILE *f, const struct bw_report *rep, const struct bw_site *s,
		    const struct bw_folded_opts *opts, uint64_t value)
{
	int err = put_root(f, rep, s->pid);

	for (int i = s->nframes - 1; i >= 0 && !err; i--)
		err = put_frame(f, &s->frames[i]);
	for (int i = s->nkframes - 1; i >= 0 && !err; i--)
		err = put_frame(f, &s->kframes[i]);
	if (!err && !(opts && opts->no_reason)) {
		fputs(";[", f);
		err = put_name(f, s->reason, strnlen(s->reason, sizeof(s->reason)));
		fputc(']', f);
	}
	fprintf(f, " %" PRIu64 "\n", value);
	return err;
}

int bw_folded_write(FILE *f, const struct bw_report *rep, const struct bw_folded_opts *opts)
{
	bool waits = opts && opts->waits;
	struct bw_site **sites;
	size_t n;
	int err;

	if (!rep->agg)
		return 0;
	err = bw_agg__sites(rep->agg, waits ? BW_SORT_WAITS : BW_SORT_BLOCKED, &sites, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t value = waits ? sites[i]->waits_interval : sites[i]->blocked;

		if (value) /* a flame graph has no room for zero */
			err = put_line(f, rep, sites[i], opts, value);
	}
	free(sites);
	if (!err && ferror(f))
		err = -EIO;
	return err;
}

/* ---- the file output ---- */

static int fill(FILE *f, const void *rep, const void *opts)
{
	return bw_folded_write(f, rep, opts);
}

struct bw_report_file *bw_out_folded__new(const char *path, const struct bw_folded_opts *opts)
{
	return bw_report_file__new(path, fill, opts, sizeof(*opts));
}
