/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hash map from 64-bit keys to pointers, open addressing with linear
 * probing and backward-shift deletion (no tombstones). Keys are mixed with a
 * strong finalizer, so sequential ids and stack hashes spread alike. A key
 * and its value share a slot: a lookup in a large map costs one cache miss,
 * not two.
 */
#ifndef BW_U64MAP_H
#define BW_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct bw_u64map_slot {
	uint64_t key;
	void *val; /* NULL marks an empty slot: values must be non-NULL */
};

struct bw_u64map {
	struct bw_u64map_slot *slots;
	size_t cap; /* power of two */
	size_t len;
};

void bw_u64map__init(struct bw_u64map *m);
void *bw_u64map__get(const struct bw_u64map *m, uint64_t key);
/* Insert or replace; val must not be NULL. Returns 0 or -ENOMEM. */
int bw_u64map__put(struct bw_u64map *m, uint64_t key, void *val);
/* Remove key; returns the old value or NULL. */
void *bw_u64map__del(struct bw_u64map *m, uint64_t key);
void bw_u64map__free(struct bw_u64map *m);
/* Start loading key's slot into the cache: a batch of lookups can overlap their misses. */
void bw_u64map__prefetch(const struct bw_u64map *m, uint64_t key);

/*
 * Iterate: for (size_t i = 0; i < m->cap; i++) if (bw_u64map__val_at(m, i)) ...
 * (deleting the key at i may move a later entry to i: look at i again).
 */
static inline void *bw_u64map__val_at(const struct bw_u64map *m, size_t i)
{
	return m->slots[i].val;
}

static inline uint64_t bw_u64map__key_at(const struct bw_u64map *m, size_t i)
{
	return m->slots[i].key;
}

#endif /* BW_U64MAP_H */
