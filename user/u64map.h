/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hash map from 64-bit keys to pointers, open addressing with linear
 * probing and backward-shift deletion (no tombstones). Keys are mixed with a
 * strong finalizer, so sequential ids and stack hashes spread alike.
 */
#ifndef BW_U64MAP_H
#define BW_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct bw_u64map {
	uint64_t *keys;
	void **vals; /* NULL marks an empty slot: values must be non-NULL */
	size_t cap;  /* power of two */
	size_t len;
};

void bw_u64map__init(struct bw_u64map *m);
void *bw_u64map__get(const struct bw_u64map *m, uint64_t key);
/* Insert or replace; val must not be NULL. Returns 0 or -ENOMEM. */
int bw_u64map__put(struct bw_u64map *m, uint64_t key, void *val);
/* Remove key; returns the old value or NULL. */
void *bw_u64map__del(struct bw_u64map *m, uint64_t key);
void bw_u64map__free(struct bw_u64map *m);

/* Iterate: for (size_t i = 0; i < m->cap; i++) if (m->vals[i]) ... */

#endif /* BW_U64MAP_H */
