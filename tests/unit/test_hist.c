// SPDX-License-Identifier: BSD-2-Clause
/* Log2 histogram buckets and quantile estimates (user/hist.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hist.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_hist__slot_boundaries(void **state)
{
	static const struct {
		uint64_t value;
		unsigned int slot;
	} cases[] = {
		{ 0, 0 },
		{ 1, 0 },
		{ 2, 1 },
		{ 3, 1 },
		{ 4, 2 },
		{ 7, 2 },
		{ 8, 3 },
		{ 1023, 9 },
		{ 1024, 10 },
		{ (1ULL << 47) - 1, 46 },
		{ 1ULL << 47, 47 },
		/* beyond the last bucket: clamped into it, never out of the array */
		{ 1ULL << 48, BW_HIST_SLOTS - 1 },
		{ 1ULL << 63, BW_HIST_SLOTS - 1 },
		{ UINT64_MAX, BW_HIST_SLOTS - 1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int got = bw_hist_slot(cases[i].value);

		if (got != cases[i].slot)
			fail_msg("slot(%llu) = %u, want %u", (unsigned long long)cases[i].value,
				 got, cases[i].slot);
	}
}

static void test_hist__slot_low_high(void **state)
{
	static const struct {
		unsigned int slot;
		uint64_t low, high;
	} cases[] = {
		{ 0, 0, 1 },
		{ 1, 2, 3 },
		{ 2, 4, 7 },
		{ 3, 8, 15 },
		{ 10, 1024, 2047 },
		{ 46, 1ULL << 46, (1ULL << 47) - 1 },
		/* the last bucket holds everything above: no upper bound */
		{ BW_HIST_SLOTS - 1, 1ULL << (BW_HIST_SLOTS - 1), UINT64_MAX },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(bw_hist_slot_low(cases[i].slot), cases[i].low);
		assert_int_equal(bw_hist_slot_high(cases[i].slot), cases[i].high);
	}
}

/* Every bucket's bounds fall in that bucket, and buckets tile the range without gaps. */
static void test_hist__slots_tile_the_range(void **state)
{
	(void)state;
	for (unsigned int s = 0; s < BW_HIST_SLOTS; s++) {
		assert_int_equal(bw_hist_slot(bw_hist_slot_low(s)), s);
		assert_int_equal(bw_hist_slot(bw_hist_slot_high(s)), s);
		if (s + 1 < BW_HIST_SLOTS)
			assert_int_equal(bw_hist_slot_high(s) + 1, bw_hist_slot_low(s + 1));
	}
}

struct bucket {
	unsigned int slot;
	uint64_t count;
};

static void fill(uint64_t hist[BW_HIST_SLOTS], const struct bucket *b, size_t n)
{
	for (unsigned int i = 0; i < BW_HIST_SLOTS; i++)
		hist[i] = 0;
	for (size_t i = 0; i < n; i++)
		hist[b[i].slot] = b[i].count;
}

static void test_hist__quantiles(void **state)
{
	static const struct {
		const char *name;
		struct bucket buckets[3];
		size_t nbuckets;
		double q;
		uint64_t max;
		uint64_t want;
	} cases[] = {
		{ "empty", { { 0, 0 } }, 0, 0.5, 0, 0 },
		{ "empty with max", { { 0, 0 } }, 0, 0.99, 5000, 0 },
		/* one bucket [1024, 2047], 100 values: linear inside the bucket */
		{ "single p50", { { 10, 100 } }, 1, 0.5, 0, 1024 + 511 },
		{ "single p99", { { 10, 100 } }, 1, 0.99, 0, 1024 + 1012 },
		{ "single p100", { { 10, 100 } }, 1, 1.0, 0, 2047 },
		{ "q above 1 is 1", { { 10, 100 } }, 1, 7.0, 0, 2047 },
		{ "single value in bucket 0", { { 0, 1 } }, 1, 1.0, 0, 1 },
		/* [8, 15] x50 and [32, 63] x50 */
		{ "two p50", { { 3, 50 }, { 5, 50 } }, 2, 0.5, 0, 15 },
		{ "two p25", { { 3, 50 }, { 5, 50 } }, 2, 0.25, 0, 8 + 3 },
		{ "two p99", { { 3, 50 }, { 5, 50 } }, 2, 0.99, 0, 32 + 30 },
		{ "two p100", { { 3, 50 }, { 5, 50 } }, 2, 1.0, 0, 63 },
		/* a known max clamps the estimate, and only when it is lower */
		{ "clamped p50", { { 10, 100 } }, 1, 0.5, 1500, 1500 },
		{ "not clamped p25", { { 10, 100 } }, 1, 0.25, 1500, 1024 + 255 },
		{ "clamped p100", { { 3, 50 }, { 5, 50 } }, 2, 1.0, 40, 40 },
		/* the last bucket is open-ended: max is its upper bound */
		{ "last bucket with max",
		  { { 47, 4 } },
		  1,
		  1.0,
		  (1ULL << 47) + 1000,
		  (1ULL << 47) + 1000 },
		{ "last bucket p50 with max",
		  { { 47, 4 } },
		  1,
		  0.5,
		  (1ULL << 47) + 1000,
		  (1ULL << 47) + 500 },
		/* without max, the top of the last bucket must not wrap around to 0 */
		{ "last bucket without max", { { 47, 4 } }, 1, 1.0, 0, UINT64_MAX },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t hist[BW_HIST_SLOTS], got;

		fill(hist, cases[i].buckets, cases[i].nbuckets);
		got = bw_hist_quantile(hist, cases[i].q, cases[i].max);
		if (got != cases[i].want)
			fail_msg("%s: quantile = %llu, want %llu", cases[i].name,
				 (unsigned long long)got, (unsigned long long)cases[i].want);
	}
}

/* Quantiles never decrease with q, and stay inside the data's buckets. */
static void test_hist__quantile_monotonic(void **state)
{
	static const struct bucket b[] = { { 2, 3 }, { 9, 17 }, { 20, 1 }, { 30, 40 } };
	uint64_t hist[BW_HIST_SLOTS], prev = 0;

	(void)state;
	fill(hist, b, ARRAY_SIZE(b));
	assert_int_equal(bw_hist_total(hist), 61);
	for (int i = 1; i <= 100; i++) {
		uint64_t v = bw_hist_quantile(hist, i / 100.0, 0);

		assert_true(v >= prev);
		assert_true(v >= bw_hist_slot_low(2) && v <= bw_hist_slot_high(30));
		prev = v;
	}
}

static void test_hist__total(void **state)
{
	uint64_t hist[BW_HIST_SLOTS] = { 0 };

	(void)state;
	assert_int_equal(bw_hist_total(hist), 0);
	hist[0] = 1;
	hist[BW_HIST_SLOTS - 1] = 2;
	hist[20] = 1000000;
	assert_int_equal(bw_hist_total(hist), 1000003);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist__slot_boundaries),
		cmocka_unit_test(test_hist__slot_low_high),
		cmocka_unit_test(test_hist__slots_tile_the_range),
		cmocka_unit_test(test_hist__quantiles),
		cmocka_unit_test(test_hist__quantile_monotonic),
		cmocka_unit_test(test_hist__total),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
