// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"

struct bw_report_writer {
	struct bw_config cfg;
	FILE *out;
};

struct bw_report_writer *bw_report_writer__new(const struct bw_config *cfg)
{
	struct bw_report_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->cfg = *cfg;
	w->out = stdout;
	return w;
}

void bw_report_writer__free(struct bw_report_writer *w)
{
	free(w);
}

int bw_report_writer__write(struct bw_report_writer *w, struct bw_report *rep)
{
	struct bw_site **sites;
	size_t n;
	int err = bw_agg__sites(rep->agg, BW_SORT_BLOCKED, &sites, &n);

	if (err)
		return err;
	fprintf(w->out, "--- %.1fs sites=%zu final=%d\n", rep->elapsed_ns / 1e9, n, rep->final);
	for (size_t i = 0; i < n && i < 30; i++) {
		struct bw_site *s = sites[i];
		struct bw_frame_name *f = s->nframes ? &s->frames[s->focus] : NULL;

		fprintf(w->out, "%5u %6lu %-9s %-22s %s+%lu %s:%d (%d frames)\n", s->blocked,
			(unsigned long)s->waits_interval, bw_site_kind_name(s->kind), s->reason,
			f && f->function ? f->function : "?", f ? (unsigned long)f->offset : 0,
			f && f->file ? f->file : "?", f ? f->line : 0, s->nframes);
	}
	fflush(w->out);
	free(sites);
	return 0;
}
