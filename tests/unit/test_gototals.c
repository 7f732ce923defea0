// SPDX-License-Identifier: BSD-2-Clause
/* Detail probes' counters over every binary, each once (user/gototals.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gototals.h"

/* counters[] with parks = p and parked_full = f, the others 0 */
static void counters(uint64_t *c, uint64_t p, uint64_t f)
{
	memset(c, 0, BW_GO_COUNTERS * sizeof(*c));
	c[BW_GO_PARKS] = p;
	c[BW_GO_PARKED_FULL] = f;
}

static void assert_sum(const struct bw_go_totals *gt, uint64_t p, uint64_t f)
{
	uint64_t out[BW_GO_COUNTERS];

	bw_go_totals__sum(gt, out);
	assert_int_equal(out[BW_GO_PARKS], p);
	assert_int_equal(out[BW_GO_PARKED_FULL], f);
	assert_int_equal(out[BW_GO_READIES], 0);
}

/* Two processes of one binary read the same counters: counted once; another binary adds. */
static void test_gototals__binary_once(void **state)
{
	struct bw_go_totals gt;
	uint64_t c[BW_GO_COUNTERS];

	(void)state;
	bw_go_totals__init(&gt);
	assert_sum(&gt, 0, 0);
	counters(c, 10, 1);
	assert_int_equal(bw_go_totals__update(&gt, 7, c), 0); /* process A of binary 7 */
	counters(c, 11, 1);
	assert_int_equal(bw_go_totals__update(&gt, 7, c), 0); /* process B, read a moment later */
	assert_sum(&gt, 11, 1);
	counters(c, 5, 2);
	assert_int_equal(bw_go_totals__update(&gt, 8, c), 0);
	assert_sum(&gt, 16, 3);
	/* the next report: both grew */
	counters(c, 20, 1);
	assert_int_equal(bw_go_totals__update(&gt, 7, c), 0);
	assert_sum(&gt, 25, 3);
	bw_go_totals__free(&gt);
}

/* Probes released with their binary's last process and loaded again: they start over. */
static void test_gototals__probes_loaded_again(void **state)
{
	struct bw_go_totals gt;
	uint64_t c[BW_GO_COUNTERS];

	(void)state;
	bw_go_totals__init(&gt);
	counters(c, 100, 4);
	assert_int_equal(bw_go_totals__update(&gt, 7, c), 0);
	/* one counter below its last value is enough to tell: parks grew past 100 already */
	counters(c, 120, 0);
	assert_int_equal(bw_go_totals__update(&gt, 7, c), 0);
	assert_sum(&gt, 220, 4);
	counters(c, 130, 1);
	assert_int_equal(bw_go_totals__update(&gt, 7, c), 0);
	assert_sum(&gt, 230, 5);
	/* a binary no process reads any more keeps what it counted */
	counters(c, 1, 0);
	assert_int_equal(bw_go_totals__update(&gt, 9, c), 0);
	assert_sum(&gt, 231, 5);
	bw_go_totals__free(&gt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gototals__binary_once),
		cmocka_unit_test(test_gototals__probes_loaded_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
