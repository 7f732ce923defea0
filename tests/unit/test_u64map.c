// SPDX-License-Identifier: BSD-2-Clause
/* The u64 -> pointer hash map (user/u64map.c), checked against a plain array. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "u64map.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A distinct non-NULL value for each key, without allocating. */
static char values[256];
#define VAL(i) ((void *)&values[(i) % sizeof(values)])

/* Deterministic generator: the same sequence on every run. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The map's own invariant: len equals the number of occupied slots. */
static size_t occupied(const struct bw_u64map *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->cap; i++)
		n += bw_u64map__val_at(m, i) != NULL;
	return n;
}

static void test_u64map__empty(void **state)
{
	struct bw_u64map m;

	(void)state;
	bw_u64map__init(&m);
	assert_null(bw_u64map__get(&m, 0));
	assert_null(bw_u64map__get(&m, 42));
	assert_null(bw_u64map__del(&m, 42));
	assert_int_equal(m.len, 0);
	bw_u64map__free(&m);
	bw_u64map__free(&m); /* free leaves an empty map: twice is harmless */
	assert_int_equal(m.cap, 0);
}

static void test_u64map__put_get_del(void **state)
{
	/* key 0 and the largest key are keys like any other */
	static const uint64_t keys[] = { 0, 1, 2, 17, 0xdeadbeef, 1ULL << 63, UINT64_MAX };
	struct bw_u64map m;

	(void)state;
	bw_u64map__init(&m);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		assert_int_equal(bw_u64map__put(&m, keys[i], VAL(i)), 0);
	assert_int_equal(m.len, ARRAY_SIZE(keys));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		assert_ptr_equal(bw_u64map__get(&m, keys[i]), VAL(i));
	assert_null(bw_u64map__get(&m, 3));
	assert_null(bw_u64map__del(&m, 3));

	/* delete one by one; the others stay */
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		assert_ptr_equal(bw_u64map__del(&m, keys[i]), VAL(i));
		assert_null(bw_u64map__get(&m, keys[i]));
		assert_null(bw_u64map__del(&m, keys[i]));
		for (size_t j = i + 1; j < ARRAY_SIZE(keys); j++)
			assert_ptr_equal(bw_u64map__get(&m, keys[j]), VAL(j));
		assert_int_equal(m.len, ARRAY_SIZE(keys) - i - 1);
	}
	bw_u64map__free(&m);
}

static void test_u64map__replace(void **state)
{
	struct bw_u64map m;

	(void)state;
	bw_u64map__init(&m);
	assert_int_equal(bw_u64map__put(&m, 0, VAL(1)), 0);
	assert_int_equal(bw_u64map__put(&m, 0, VAL(2)), 0);
	assert_int_equal(bw_u64map__put(&m, 7, VAL(3)), 0);
	assert_int_equal(bw_u64map__put(&m, 7, VAL(4)), 0);
	assert_int_equal(m.len, 2);
	assert_int_equal(occupied(&m), 2);
	assert_ptr_equal(bw_u64map__get(&m, 0), VAL(2));
	assert_ptr_equal(bw_u64map__get(&m, 7), VAL(4));
	bw_u64map__free(&m);
}

/* 100k keys, sequential and spread: growth rehashes every one of them. */
static void test_u64map__growth(void **state)
{
	static const struct {
		uint64_t first, stride;
	} patterns[] = {
		{ 0, 1 },		    /* sequential ids, key 0 included */
		{ 0x7f0000001000, 4096 },   /* page-aligned addresses */
		{ 1ULL << 40, 1ULL << 20 }, /* only high bits differ */
	};
	const size_t n = 100000;

	(void)state;
	for (size_t p = 0; p < ARRAY_SIZE(patterns); p++) {
		struct bw_u64map m;

		bw_u64map__init(&m);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(bw_u64map__put(&m,
							patterns[p].first + i * patterns[p].stride,
							VAL(i)),
					 0);
		assert_int_equal(m.len, n);
		assert_int_equal(occupied(&m), n);
		assert_true(m.len * 4 <= m.cap * 3); /* load factor kept under 3/4 */
		assert_int_equal(m.cap & (m.cap - 1), 0);
		for (size_t i = 0; i < n; i++)
			assert_ptr_equal(
				bw_u64map__get(&m, patterns[p].first + i * patterns[p].stride),
				VAL(i));
		assert_null(bw_u64map__get(&m, patterns[p].first + n * patterns[p].stride));
		bw_u64map__free(&m);
	}
}

/*
 * Random puts and deletes against a reference array, in a small key space so
 * that runs are long and wrap around the end of the table: backward-shift
 * deletion must keep every remaining key findable after every step.
 */
static void test_u64map__random_against_reference(void **state)
{
	static const struct {
		uint64_t seed;
		unsigned int key_space;
		unsigned int ops;
	} runs[] = {
		{ 1, 12, 20000 },  /* fits in 16 slots: full-table wraparound */
		{ 42, 64, 20000 }, /* keeps growing and shrinking around 48 */
		{ 7, 2000, 30000 },
	};

	(void)state;
	for (size_t r = 0; r < ARRAY_SIZE(runs); r++) {
		unsigned int space = runs[r].key_space;
		void **ref = calloc(space, sizeof(*ref));
		struct bw_u64map m;
		size_t live = 0;

		assert_non_null(ref);
		rng_state = runs[r].seed;
		bw_u64map__init(&m);
		for (unsigned int op = 0; op < runs[r].ops; op++) {
			unsigned int k = rng() % space, check = rng() % space;
			/* keys far apart in value, so mixing decides their slots */
			uint64_t key = (uint64_t)k * 0x9e3779b97f4a7c15ULL;

			if (rng() % 3) {
				live += ref[k] == NULL;
				ref[k] = VAL(op);
				assert_int_equal(bw_u64map__put(&m, key, ref[k]), 0);
			} else {
				assert_ptr_equal(bw_u64map__del(&m, key), ref[k]);
				live -= ref[k] != NULL;
				ref[k] = NULL;
			}
			assert_int_equal(m.len, live);
			assert_ptr_equal(
				bw_u64map__get(&m, (uint64_t)check * 0x9e3779b97f4a7c15ULL),
				ref[check]);
		}
		/* a full check at the end: every key, present or not */
		for (unsigned int k = 0; k < space; k++)
			assert_ptr_equal(bw_u64map__get(&m, (uint64_t)k * 0x9e3779b97f4a7c15ULL),
					 ref[k]);
		assert_int_equal(occupied(&m), live);
		bw_u64map__free(&m);
		free(ref);
	}
}

/* Delete while iterating by slot, the way the aggregator forgets entries. */
static void test_u64map__delete_while_iterating(void **state)
{
	const unsigned int n = 5000;
	struct bw_u64map m;
	size_t kept = 0;

	(void)state;
	bw_u64map__init(&m);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(bw_u64map__put(&m, i, VAL(i)), 0);
	for (size_t i = 0; i < m.cap;) {
		/* remove odd keys; a deletion may shift the next entry into slot i */
		if (bw_u64map__val_at(&m, i) && (bw_u64map__key_at(&m, i) & 1)) {
			bw_u64map__del(&m, bw_u64map__key_at(&m, i));
			continue;
		}
		i++;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (i & 1) {
			assert_null(bw_u64map__get(&m, i));
		} else {
			assert_ptr_equal(bw_u64map__get(&m, i), VAL(i));
			kept++;
		}
	}
	assert_int_equal(m.len, kept);
	bw_u64map__free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64map__empty),
		cmocka_unit_test(test_u64map__put_get_del),
		cmocka_unit_test(test_u64map__replace),
		cmocka_unit_test(test_u64map__growth),
		cmocka_unit_test(test_u64map__random_against_reference),
		cmocka_unit_test(test_u64map__delete_while_iterating),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
