// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>

#include "u64map.h"

/* splitmix64's finalizer: every key bit affects every slot bit. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void bw_u64map__init(struct bw_u64map *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->len = 0;
}

static size_t find_slot(const struct bw_u64map *m, uint64_t key)
{
	size_t mask = m->cap - 1, i = mix(key) & mask;

	while (m->slots[i].val && m->slots[i].key != key)
		i = (i + 1) & mask;
	return i;
}

void bw_u64map__prefetch(const struct bw_u64map *m, uint64_t key)
{
	if (m->cap)
		__builtin_prefetch(&m->slots[mix(key) & (m->cap - 1)]);
}

void *bw_u64map__get(const struct bw_u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	return m->slots[find_slot(m, key)].val;
}

static int grow(struct bw_u64map *m)
{
	size_t new_cap = m->cap ? m->cap * 2 : 16;
	struct bw_u64map bigger = { .cap = new_cap };

	bigger.slots = calloc(new_cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].val) {
			size_t j = find_slot(&bigger, m->slots[i].key);

			bigger.slots[j] = m->slots[i];
			bigger.len++;
		}
	}
	free(m->slots);
	*m = bigger;
	return 0;
}

int bw_u64map__put(struct bw_u64map *m, uint64_t key, void *val)
{
	size_t i;

	/* keep the load factor under 3/4 */
	if ((m->len + 1) * 4 > m->cap * 3) {
		int err = grow(m);

		if (err)
			return err;
	}
	i = find_slot(m, key);
	if (!m->slots[i].val)
		m->len++;
	m->slots[i].key = key;
	m->slots[i].val = val;
	return 0;
}

void *bw_u64map__del(struct bw_u64map *m, uint64_t key)
{
	size_t mask, i, j;
	void *old;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	i = find_slot(m, key);
	old = m->slots[i].val;
	if (!old)
		return NULL;
	m->slots[i].val = NULL;
	m->len--;
	/* shift back the entries of the run that follows, so lookups never stop early */
	for (j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
		size_t home = mix(m->slots[j].key) & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			m->slots[j].val = NULL;
			i = j;
		}
	}
	return old;
}

void bw_u64map__free(struct bw_u64map *m)
{
	free(m->slots);
	bw_u64map__init(m);
}
