/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers shared by the BPF programs: the histogram bucket of a duration, map init. */
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

/*
 * The value under key, inserted as *init first if absent; NULL when the map
 * is full (the caller counts that drop). Two CPUs may insert at once:
 * BPF_NOEXIST keeps the first, and both get it.
 */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);

	if (val)
		return val;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

#endif /* BW_BITS_BPF_H */
