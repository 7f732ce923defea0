// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prom_render.h"
#include "out_textfile.h"
#include "safefile.h"

struct bw_out_textfile {
	char *path;
	size_t top_n;
};

struct fill_ctx {
	const struct bw_report *rep;
	const struct bw_prom_opts *opts;
};

static int fill(FILE *f, void *ctx)
{
	struct fill_ctx *c = ctx;

	return bw_prom_render(f, c->rep, c->opts);
}

struct bw_out_textfile *bw_out_textfile__new(const char *path, size_t top_n)
{
	struct bw_out_textfile *t;
	int err = bw_safefile_check(path);

	if (err) {
		errno = -err;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->path = strdup(path);
	if (!t->path) {
		free(t);
		return NULL;
	}
	t->top_n = top_n;
	return t;
}

int bw_out_textfile__update(struct bw_out_textfile *t, const struct bw_report *rep)
{
	struct bw_prom_opts opts = { .top_n = t->top_n,
				     .format = BW_PROM_TEXT,
				     .report_duration_s = bw_prom_report_duration(rep) };
	struct fill_ctx ctx = { .rep = rep, .opts = &opts };

	return bw_safefile_replace(t->path, BW_SAFEFILE_MODE, fill, &ctx);
}

void bw_out_textfile__free(struct bw_out_textfile *t)
{
	if (!t)
		return;
	free(t->path);
	free(t);
}
