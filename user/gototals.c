// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gototals.h"

struct bin_counts {
	uint64_t before[BW_GO_COUNTERS]; /* counted by probes since released */
	uint64_t last[BW_GO_COUNTERS];	 /* as last read */
};

void bw_go_totals__init(struct bw_go_totals *gt)
{
	bw_u64map__init(&gt->bins);
}

void bw_go_totals__free(struct bw_go_totals *gt)
{
	for (size_t i = 0; i < gt->bins.cap; i++)
		free(bw_u64map__val_at(&gt->bins, i));
	bw_u64map__free(&gt->bins);
}

/* Counters only grow: one below its last value, and the probes were loaded anew. */
static bool went_back(const struct bin_counts *b, const uint64_t *counters)
{
	for (int i = 0; i < BW_GO_COUNTERS; i++)
		if (counters[i] < b->last[i])
			return true;
	return false;
}

int bw_go_totals__update(struct bw_go_totals *gt, uint64_t key, const uint64_t *counters)
{
	struct bin_counts *b = bw_u64map__get(&gt->bins, key);

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b || bw_u64map__put(&gt->bins, key, b)) {
			free(b);
			return -ENOMEM;
		}
	}
	if (went_back(b, counters))
		for (int i = 0; i < BW_GO_COUNTERS; i++)
			b->before[i] += b->last[i];
	memcpy(b->last, counters, sizeof(b->last));
	return 0;
}

void bw_go_totals__sum(const struct bw_go_totals *gt, uint64_t *out)
{
	memset(out, 0, BW_GO_COUNTERS * sizeof(*out));
	for (size_t i = 0; i < gt->bins.cap; i++) {
		const struct bin_counts *b = bw_u64map__val_at(&gt->bins, i);

		for (int k = 0; b && k < BW_GO_COUNTERS; k++)
			out[k] += b->before[k] + b->last[k];
	}
}
