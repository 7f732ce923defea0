// SPDX-License-Identifier: BSD-2-Clause
#include "hist.h"

unsigned int bw_hist_slot(uint64_t value)
{
	unsigned int slot = value ? 63 - __builtin_clzll(value) : 0;

	return slot < BW_HIST_SLOTS ? slot : BW_HIST_SLOTS - 1;
}

uint64_t bw_hist_slot_low(unsigned int slot)
{
	return slot ? 1ULL << slot : 0;
}

uint64_t bw_hist_slot_high(unsigned int slot)
{
	if (slot >= BW_HIST_SLOTS - 1)
		return UINT64_MAX;
	return (2ULL << slot) - 1;
}

uint64_t bw_hist_total(const uint64_t hist[BW_HIST_SLOTS])
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < BW_HIST_SLOTS; i++)
		total += hist[i];
	return total;
}

uint64_t bw_hist_quantile(const uint64_t hist[BW_HIST_SLOTS], double q, uint64_t max)
{
	uint64_t total = bw_hist_total(hist), seen = 0;
	double rank;

	if (!total)
		return 0;
	if (q > 1)
		q = 1;
	rank = q * (double)total;
	for (unsigned int i = 0; i < BW_HIST_SLOTS; i++) {
		uint64_t low, high, est;
		double frac;

		if (!hist[i] || (double)(seen + hist[i]) < rank) {
			seen += hist[i];
			continue;
		}
		low = bw_hist_slot_low(i);
		high = i == BW_HIST_SLOTS - 1 && max ? max : bw_hist_slot_high(i);
		frac = (rank - (double)seen) / (double)hist[i];
		est = low + (uint64_t)(frac * (double)(high - low));
		if (est < low)
			est = high; /* the open last bucket: high - low rounds up in a double */
		return max && est > max ? max : est;
	}
	return max;
}
