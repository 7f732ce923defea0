/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading BPF hash maps whose values only grow (per-site counters kept in
 * the kernel): each walk hands out every record with the copy seen at the
 * previous walk, so callers report what happened in between. Part of the
 * loader: it touches libbpf.
 */
#ifndef BW_MAPDELTA_H
#define BW_MAPDELTA_H

#include <stddef.h>
#include <stdint.h>

#include "u64map.h"

#define BW_MAPDELTA_MAX_KEY 64
#define BW_MAPDELTA_MAX_VALUE 1024

struct bw_mapdelta {
	struct bw_u64map previous; /* hash of the key -> the value at the previous walk */
	size_t key_size;
	size_t value_size;
	/* when not 0, only keys that begin with this __u32 (a tgid) are walked */
	uint32_t only_tgid;
	/*
	 * A per-CPU map (set by bw_mapdelta__percpu): each record's CPU copies
	 * are folded into one value by reduce before the walk hands it out.
	 */
	int ncpus;
	void (*reduce)(void *out, const void *percpu, int ncpus, size_t stride);
	void *percpu_buf;
};

/* prev is all zeroes for a record not seen before. */
typedef void (*bw_mapdelta_fn)(void *ctx, const void *key, const void *now, const void *prev);

void bw_mapdelta__init(struct bw_mapdelta *md, size_t key_size, size_t value_size);
/* The map is per-CPU: reduce folds its ncpus copies, stride bytes apart, into one. */
int bw_mapdelta__percpu(struct bw_mapdelta *md, int ncpus,
			void (*reduce)(void *out, const void *percpu, int ncpus, size_t stride));
/* Walk the map behind fd. Returns 0 or a negative errno. */
int bw_mapdelta__walk(struct bw_mapdelta *md, int fd, bw_mapdelta_fn fn, void *ctx);
void bw_mapdelta__free(struct bw_mapdelta *md);

#endif /* BW_MAPDELTA_H */
