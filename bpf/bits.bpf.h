/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bit helpers for BPF programs: the histogram bucket of a duration. */
#ifndef BW_BITS_BPF_H
#define BW_BITS_BPF_H

/* floor(log2(v)), 0 for v == 0; the same buckets as user/hist.c */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 hist_slot(__u64 v)
{
	__u32 slot = log2_u64(v);

	return slot < BW_HIST_SLOTS ? slot : BW_HIST_SLOTS - 1;
}

#endif /* BW_BITS_BPF_H */
