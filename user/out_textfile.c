// SPDX-License-Identifier: BSD-2-Clause
#include "out_textfile.h"
#include "prom_render.h"

static int fill(FILE *f, const void *rep, const void *opts)
{
	struct bw_prom_opts o = *(const struct bw_prom_opts *)opts;

	o.report_duration_s = bw_prom_report_duration(rep);
	return bw_prom_render(f, rep, &o);
}

struct bw_report_file *bw_out_textfile__new(const char *path, size_t top_n)
{
	struct bw_prom_opts opts = { .top_n = top_n, .format = BW_PROM_TEXT };

	return bw_report_file__new(path, fill, &opts, sizeof(opts));
}
