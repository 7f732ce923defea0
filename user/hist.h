/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Log2 latency histograms, the same buckets as the BPF side: bucket i holds
 * values v with floor(log2(v)) == i (bucket 0 also holds 0).
 */
#ifndef BW_HIST_H
#define BW_HIST_H

#include <stdint.h>

#include "blockwatch/common.h"

/* Bucket of value, as bpf/bits.bpf.h computes it. */
unsigned int bw_hist_slot(uint64_t value);
/* Inclusive lower and upper bounds of a bucket's values. */
uint64_t bw_hist_slot_low(unsigned int slot);
uint64_t bw_hist_slot_high(unsigned int slot);
/*
 * Estimate the q-quantile (0 < q <= 1) of a histogram by interpolating
 * linearly inside the bucket holding it, clamped to max when max is known
 * (non-zero). Returns 0 for an empty histogram.
 */
uint64_t bw_hist_quantile(const uint64_t hist[BW_HIST_SLOTS], double q, uint64_t max);
uint64_t bw_hist_total(const uint64_t hist[BW_HIST_SLOTS]);

#endif /* BW_HIST_H */
