/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The two clocks blockwatch reads. CLOCK_MONOTONIC is the one every
 * timestamp inside blockwatch uses: the BPF side's bpf_ktime_get_ns() and
 * Go's nanotime() count the same time. CLOCK_REALTIME only stamps records
 * for people and monitoring.
 */
#ifndef BW_CLOCK_H
#define BW_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t bw_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bw_monotonic_ns(void)
{
	return bw_clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t bw_realtime_ns(void)
{
	return bw_clock_ns(CLOCK_REALTIME);
}

#endif /* BW_CLOCK_H */
