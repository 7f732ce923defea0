// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "mapdelta.h"
#include "stacks.h"

void bw_mapdelta__init(struct bw_mapdelta *md, size_t key_size, size_t value_size)
{
	bw_u64map__init(&md->previous);
	md->key_size = key_size;
	md->value_size = value_size;
	md->only_tgid = 0;
	md->ncpus = 0;
	md->reduce = NULL;
	md->percpu_buf = NULL;
}

int bw_mapdelta__percpu(struct bw_mapdelta *md, int ncpus,
			void (*reduce)(void *out, const void *percpu, int ncpus, size_t stride))
{
	if (ncpus <= 0)
		return -EINVAL;
	/* the kernel hands out each CPU's copy rounded up to 8 bytes */
	md->percpu_buf = calloc((size_t)ncpus, (md->value_size + 7) & ~(size_t)7);
	if (!md->percpu_buf)
		return -ENOMEM;
	md->ncpus = ncpus;
	md->reduce = reduce;
	return 0;
}

/* One record's value, per-CPU copies folded. */
static int lookup_value(struct bw_mapdelta *md, int fd, const void *key, void *now)
{
	if (!md->ncpus)
		return bpf_map_lookup_elem(fd, key, now);
	if (bpf_map_lookup_elem(fd, key, md->percpu_buf))
		return -1;
	md->reduce(now, md->percpu_buf, md->ncpus, (md->value_size + 7) & ~(size_t)7);
	return 0;
}

void bw_mapdelta__free(struct bw_mapdelta *md)
{
	for (size_t i = 0; i < md->previous.cap; i++)
		free(bw_u64map__val_at(&md->previous, i));
	bw_u64map__free(&md->previous);
	free(md->percpu_buf);
	md->percpu_buf = NULL;
}

static uint64_t key_hash(const void *key, size_t size)
{
	uint64_t words[BW_MAPDELTA_MAX_KEY / 8] = {};

	memcpy(words, key, size);
	return bw_stack_hash(words, (int)((size + 7) / 8), 0x57);
}

static void *previous_of(struct bw_mapdelta *md, const void *key)
{
	uint64_t h = key_hash(key, md->key_size);
	void *prev = bw_u64map__get(&md->previous, h);

	if (prev)
		return prev;
	prev = calloc(1, md->value_size);
	if (!prev || bw_u64map__put(&md->previous, h, prev)) {
		free(prev);
		return NULL;
	}
	return prev;
}

int bw_mapdelta__walk(struct bw_mapdelta *md, int fd, bw_mapdelta_fn fn, void *ctx)
{
	unsigned char key[BW_MAPDELTA_MAX_KEY], next[BW_MAPDELTA_MAX_KEY];
	unsigned char now[BW_MAPDELTA_MAX_VALUE];
	void *cur = NULL, *prev;

	if (md->key_size > sizeof(key) || md->value_size > sizeof(now))
		return -E2BIG;
	while (bpf_map_get_next_key(fd, cur, next) == 0) {
		memcpy(key, next, md->key_size);
		cur = key;
		if (md->only_tgid && memcmp(key, &md->only_tgid, sizeof(md->only_tgid)))
			continue;
		if (lookup_value(md, fd, key, now))
			continue; /* deleted meanwhile */
		prev = previous_of(md, key);
		if (!prev)
			return -ENOMEM;
		fn(ctx, key, now, prev);
		memcpy(prev, now, md->value_size);
	}
	return errno == ENOENT ? 0 : -errno;
}
