// SPDX-License-Identifier: BSD-2-Clause
/*
 * The trend detector against synthetic sites. A small simulator creates
 * waiters (start, end) the way a program would and samples them every
 * interval the way the aggregator does: "blocked now", how many are at least
 * 60 s old (ages of waiters there at attach counted from attach), and the
 * oldest age. Each scenario runs bw_trend__update() once per sample over a
 * 600-sample history, like the CLI default, and records when a verdict came
 * and went. Fixed seeds: every run is the same.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "trend.h"

#define HISTORY 600 /* the CLI's default --history */
#define AGED_S 60   /* the aggregator's default aged_ns */

/* ---- the simulator ---- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static double rng_unif(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double rng_expo(struct rng *r, double mean)
{
	return -mean * log(1 - rng_unif(r));
}

struct sim_waiter {
	double start, end;
};

struct sim {
	double interval_s, t;
	struct sim_waiter *w;
	size_t nw, capw;
	uint32_t *blocked, *aged;
	size_t len;
	uint64_t oldest_ns;
	struct rng rng;
};

static void sim_init(struct sim *s, double interval_s, size_t samples, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->interval_s = interval_s;
	s->blocked = calloc(samples, sizeof(*s->blocked));
	s->aged = calloc(samples, sizeof(*s->aged));
	assert_non_null(s->blocked);
	assert_non_null(s->aged);
	s->rng.s = seed * 0x9E3779B97F4A7C15ULL + 1;
}

static void sim_free(struct sim *s)
{
	free(s->w);
	free(s->blocked);
	free(s->aged);
}

static void sim_add(struct sim *s, double start, double lifetime)
{
	if (s->nw == s->capw) {
		s->capw = s->capw ? 2 * s->capw : 256;
		s->w = realloc(s->w, s->capw * sizeof(*s->w));
		assert_non_null(s->w);
	}
	s->w[s->nw].start = start;
	s->w[s->nw].end = start + lifetime;
	s->nw++;
}

/* Independent waiters: Poisson arrivals in (t0, t1], exponential lifetimes (M/M/inf). */
static void sim_mminf(struct sim *s, double t0, double t1, double rate, double mean_life)
{
	for (double t = t0 + rng_expo(&s->rng, 1 / rate); t <= t1; t += rng_expo(&s->rng, 1 / rate))
		sim_add(s, t, rng_expo(&s->rng, mean_life));
}

/* One waiter at offset + k * every in (t0, t1], never before attach (t = 0). */
static void sim_every(struct sim *s, double t0, double t1, double every, double offset, double life)
{
	for (double t = offset + ceil((t0 - offset) / every) * every; t <= t1; t += every)
		if (t > t0 && t >= 0)
			sim_add(s, t, life);
}

/* Close the interval ending at s->t, as bw_agg__end() does. */
static void sim_sample(struct sim *s)
{
	uint32_t blocked = 0, aged = 0;
	double oldest = 0;
	size_t k = 0;

	for (size_t i = 0; i < s->nw; i++) {
		struct sim_waiter w = s->w[i];
		double age;

		if (w.end <= s->t)
			continue; /* released */
		s->w[k++] = w;
		if (w.start > s->t)
			continue;
		/* like the aggregator: a waiter there at attach is known from then on */
		age = s->t - (w.start > 0 ? w.start : 0);
		blocked++;
		aged += age >= AGED_S;
		if (age > oldest)
			oldest = age;
	}
	s->nw = k;
	s->blocked[s->len] = blocked;
	s->aged[s->len] = aged;
	s->len++;
	s->oldest_ns = (uint64_t)(oldest * 1e9);
}

/* ---- scenarios: the arrivals of (t0, t1]; t < 0 is the time before attach ---- */

typedef void (*scen_fn)(struct sim *s, double t0, double t1);

static void sc_leak_fast(struct sim *s, double t0, double t1)
{
	sim_every(s, t0, t1, 1, 0.5, INFINITY);
}

static void sc_leak_slow(struct sim *s, double t0, double t1)
{
	sim_every(s, t0, t1, 60, 30, INFINITY);
}

/* 0 -> 50 -> 0 every 10 s: five arrivals a second, all released at each tenth second */
static void sc_sawtooth(struct sim *s, double t0, double t1)
{
	for (double t = floor(t0 * 5) / 5; t <= t1; t += 0.2)
		if (t > t0)
			sim_add(s, t, (floor(t / 10) + 1) * 10 - t);
}

/* a pool of 30 workers started one every 2 s, then idle for good */
static void sc_warmup(struct sim *s, double t0, double t1)
{
	if (t0 < 60)
		sim_every(s, t0, t1 < 60 ? t1 : 60, 2, 0.25, INFINITY);
}

/* 8 workers idle since long before attach */
static void sc_pool(struct sim *s, double t0, double t1)
{
	(void)t1;
	if (t0 == 0)
		for (int i = 0; i < 8; i++)
			sim_add(s, -1000, INFINITY);
}

/* about 20 waiters of 0.3 s: nearly independent Poisson samples */
static void sc_noise(struct sim *s, double t0, double t1)
{
	sim_mminf(s, t0, t1, 20 / 0.3, 0.3);
}

/* about 20 waiters of 20 s on average: slow, strongly autocorrelated fluctuation */
static void sc_noise_slow(struct sim *s, double t0, double t1)
{
	sim_mminf(s, t0, t1, 1.0, 20);
}

/* present every other interval: 0, 1, 0, 1... */
static void sc_ticker(struct sim *s, double t0, double t1)
{
	sim_every(s, t0, t1, 2, 0.25, 1);
}

/* every minute a batch of 10 waits 30 s */
static void sc_ticker_slow(struct sim *s, double t0, double t1)
{
	for (int i = 0; i < 10; i++)
		sim_every(s, t0, t1, 60, 5 + 0.1 * i, 30);
}

/* leak 1/s, then at 120 s the target restarts: every waiter gone for good */
static void sc_reset(struct sim *s, double t0, double t1)
{
	for (double t = ceil(t0 - 0.5) + 0.5; t <= t1 && t < 120; t++)
		if (t > t0 && t >= 0)
			sim_add(s, t, 120 - t);
}

/* the fast leak over about 20 transient waiters of 2 s */
static void sc_leak_noisy(struct sim *s, double t0, double t1)
{
	sc_leak_fast(s, t0, t1);
	sim_mminf(s, t0, t1, 10, 2);
}

static void sc_slow_noisy(struct sim *s, double t0, double t1)
{
	sc_leak_slow(s, t0, t1);
	sim_mminf(s, t0, t1, 10, 2);
}

/* the slow leak under transient waiters that pile up (one per 2 s) and are drained every 45 s */
static void sc_slow_drains(struct sim *s, double t0, double t1)
{
	sc_leak_slow(s, t0, t1);
	for (double t = floor(t0 / 2) * 2 + 1; t <= t1; t += 2)
		if (t > t0)
			sim_add(s, t, (floor(t / 45) + 1) * 45 - t);
	sim_mminf(s, t0, t1, 2, 1);
}

/* about 20 waiters of 60 s on average (long polls): very slow fluctuation */
static void sc_longpoll(struct sim *s, double t0, double t1)
{
	sim_mminf(s, t0, t1, 20.0 / 60, 60);
}

/* a batch that fills (one waiter per 2 s) and is released every 45 s, plus some jitter */
static void sc_bursts(struct sim *s, double t0, double t1)
{
	for (double t = floor(t0 / 2) * 2 + 1; t <= t1; t += 2)
		if (t > t0 && t >= 0)
			sim_add(s, t, (floor(t / 45) + 1) * 45 - t);
	sim_mminf(s, t0, t1, 2, 1);
}

/* ten quiet minutes of transient waiters, then the fast leak */
static void sc_late_leak(struct sim *s, double t0, double t1)
{
	sim_mminf(s, t0, t1, 10, 2);
	if (t1 > 600)
		sim_every(s, t0 > 600 ? t0 : 600, t1, 1, 600.5, INFINITY);
}

/* ---- running a scenario ---- */

struct run {
	int first_leak, first_suspect; /* sample number (1-based) of the first; -1: never */
	int leak_samples;
	int withdrawn_at; /* last sample at which a leak became something else; -1: never */
	int last_leak;	  /* last sample with a leak verdict */
	struct bw_verdict last;
};

/*
 * Run fn for samples intervals (after burn seconds before attach, for
 * scenarios that are already going) and judge each sample.
 */
static void run_scenario(scen_fn fn, double interval_s, int samples, uint64_t seed, double burn,
			 struct run *r)
{
	struct bw_trend_opts opts;
	struct bw_trend_state st;
	enum bw_verdict_kind prev = BW_VERDICT_OK;
	struct sim s;

	sim_init(&s, interval_s, (size_t)samples, seed);
	bw_trend__default_opts(&opts, interval_s);
	bw_trend__init(&st);
	memset(r, 0, sizeof(*r));
	r->first_leak = r->first_suspect = r->withdrawn_at = r->last_leak = -1;
	if (burn > 0)
		fn(&s, -burn, 0);
	for (int i = 1; i <= samples; i++) {
		size_t from;
		double t0 = s.t;
		struct bw_trend_input in;

		s.t += interval_s;
		fn(&s, t0, s.t);
		sim_sample(&s);
		from = s.len > HISTORY ? s.len - HISTORY : 0;
		in = (struct bw_trend_input){ s.blocked + from, s.aged + from, s.len - from,
					      s.oldest_ns };
		assert_int_equal(bw_trend__update(&st, &opts, &in, &r->last), 0);
		if (r->last.kind == BW_VERDICT_LEAK) {
			r->leak_samples++;
			r->last_leak = i;
			if (r->first_leak < 0)
				r->first_leak = i;
		}
		if (r->last.kind != BW_VERDICT_OK && r->first_suspect < 0)
			r->first_suspect = i;
		if (prev == BW_VERDICT_LEAK && r->last.kind != BW_VERDICT_LEAK)
			r->withdrawn_at = i;
		prev = r->last.kind;
	}
	sim_free(&s);
}

static void report(const char *name, double interval_s, const struct run *r)
{
	print_message("%-28s first suspect %6.0f s, first leak %6.0f s, leak samples %4d, "
		      "withdrawn %6.0f s, end %s (%s, %.2f/min)\n",
		      name, r->first_suspect * interval_s, r->first_leak * interval_s,
		      r->leak_samples, r->withdrawn_at * interval_s, bw_verdict_name(r->last.kind),
		      r->last.why, r->last.growth_per_min);
}

/* ---- the statistics ---- */

static void test_trend__verdict_names(void **state)
{
	(void)state;
	assert_string_equal(bw_verdict_name(BW_VERDICT_OK), "ok");
	assert_string_equal(bw_verdict_name(BW_VERDICT_SUSPECT), "suspect");
	assert_string_equal(bw_verdict_name(BW_VERDICT_LEAK), "leak");
	assert_string_equal(bw_verdict_name(BW_VERDICT__COUNT), "unknown");
	assert_string_equal(bw_verdict_name((enum bw_verdict_kind) - 1), "unknown");
}

/* Exact one-sided p-values, counted over all permutations in Python (itertools). */
static void test_trend__mann_kendall_exact(void **state)
{
	static const struct {
		size_t n;
		int s;
		double p;
	} cases[] = {
		{ 7, 13, 174.0 / 5040 },
		{ 7, 21, 1.0 / 5040 },
		{ 8, 14, 2191.0 / 40320 },
		{ 6, 9, 49.0 / 720 },
	};
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t n = cases[k].n, inversions = (n * (n - 1) / 2 - (size_t)cases[k].s) / 2;
		double y[8];
		struct bw_mk mk;

		/* a permutation with the wanted S: bubble inversions into 0..n-1 */
		for (size_t i = 0; i < n; i++)
			y[i] = (double)i;
		for (size_t i = 0; i + 1 < n && inversions; i++)
			for (size_t j = n - 1; j > i && inversions; j--)
				if (y[j - 1] < y[j]) {
					double t = y[j - 1];

					y[j - 1] = y[j];
					y[j] = t;
					inversions--;
				}
		assert_int_equal(bw_trend__mann_kendall(y, n, &mk), 0);
		assert_true(mk.exact);
		assert_float_equal(mk.s, cases[k].s, 0);
		if (mk.factor == 1)
			assert_float_equal(mk.p, cases[k].p, 1e-9);
		else
			assert_true(mk.p >=
				    cases[k].p); /* the correction only makes it bolder never */
	}
}

static void test_trend__mann_kendall_ties_and_normal(void **state)
{
	double ties[] = { 1, 1, 2, 2, 3 }, line[20], flat[10];
	struct bw_mk mk;

	(void)state;
	assert_int_equal(bw_trend__mann_kendall(ties, 5, &mk), 0);
	assert_float_equal(mk.s, 8, 0);
	/* (5*4*15 - 2 * (2*1*9)) / 18 */
	assert_float_equal(mk.var, 264.0 / 18, 1e-12);

	for (int i = 0; i < 20; i++)
		line[i] = i;
	assert_int_equal(bw_trend__mann_kendall(line, 20, &mk), 0);
	assert_false(mk.exact);
	assert_float_equal(mk.s, 190, 0);
	assert_float_equal(mk.var, 950, 1e-9);
	assert_float_equal(mk.factor, 1, 0);
	assert_float_equal(mk.z, 189 / sqrt(950), 1e-9);
	assert_true(mk.p < 1e-9);

	for (int i = 0; i < 10; i++)
		flat[i] = 7;
	assert_int_equal(bw_trend__mann_kendall(flat, 10, &mk), 0);
	assert_float_equal(mk.p, 1, 0);

	assert_int_equal(bw_trend__mann_kendall(line, 1, &mk), -EINVAL);
	assert_int_equal(bw_trend__mann_kendall(line, BW_TREND_MAX_BLOCKS + 1, &mk), -EINVAL);
}

/* A slow wave has long runs: Hamed-Rao must widen the variance, a line must not. */
static void test_trend__hamed_rao(void **state)
{
	double wave[40], line[40];
	struct bw_mk mk;

	(void)state;
	for (int i = 0; i < 40; i++) {
		wave[i] = sin(i / 4.0) * 10 + i * 0.3;
		line[i] = 2 * i + 1;
	}
	assert_int_equal(bw_trend__mann_kendall(wave, 40, &mk), 0);
	assert_true(mk.factor > 1.5);
	assert_int_equal(bw_trend__mann_kendall(line, 40, &mk), 0);
	assert_float_equal(mk.factor, 1, 0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Theil-Sen's median of slopes against sorting every slope. */
static void test_trend__theil_sen(void **state)
{
	double a[] = { 0, 1, 2, 10 }, b[] = { 0, 2, 1 };
	struct rng r = { 42 };

	(void)state;
	assert_float_equal(bw_trend__theil_sen(a, 4), (1 + 10.0 / 3) / 2, 1e-12);
	assert_float_equal(bw_trend__theil_sen(b, 3), 0.5, 1e-12);
	assert_float_equal(bw_trend__theil_sen(a, 1), 0, 0);
	for (int round = 0; round < 200; round++) {
		size_t n = 2 + rng_next(&r) % (BW_TREND_MAX_BLOCKS - 1), np = 0;
		double y[BW_TREND_MAX_BLOCKS], slopes[BW_TREND_MAX_BLOCKS * BW_TREND_MAX_BLOCKS],
			want;

		for (size_t i = 0; i < n; i++)
			y[i] = (double)(rng_next(&r) % 7); /* many ties, the hard case */
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				slopes[np++] = (y[j] - y[i]) / (double)(j - i);
		qsort(slopes, np, sizeof(*slopes), cmp_double);
		want = np % 2 ? slopes[np / 2] : (slopes[np / 2 - 1] + slopes[np / 2]) / 2;
		assert_float_equal(bw_trend__theil_sen(y, n), want, 1e-12);
	}
}

static void test_trend__options(void **state)
{
	struct bw_trend_opts o;
	struct bw_verdict v;
	uint32_t x[40] = { 0 };
	struct bw_trend_input in = { x, NULL, 40, 0 };

	(void)state;
	bw_trend__default_opts(&o, 1);
	assert_int_equal(o.window, 300);
	assert_float_equal(o.alpha, 1e-4, 0);
	bw_trend__default_opts(&o, 5);
	assert_int_equal(o.window, 60);

	memset(&o, 0, sizeof(o));
	assert_int_equal(bw_trend__assess(&o, &in, &v), -EINVAL); /* no interval */
	o.interval_s = 1;
	assert_int_equal(bw_trend__assess(&o, &in, &v), 0); /* every other field defaulted */
	assert_int_equal(v.kind, BW_VERDICT_OK);
	o.alpha = 0.5;
	assert_int_equal(bw_trend__assess(&o, &in, &v), -EINVAL); /* above suspect_alpha */
	o.alpha = 0;
	o.window = 4;
	assert_int_equal(bw_trend__assess(&o, &in, &v), -EINVAL);
	o.window = 0;
	o.blocks = BW_TREND_MAX_BLOCKS + 1;
	assert_int_equal(bw_trend__assess(&o, &in, &v), -EINVAL);
	o.blocks = 0;
	o.min_rise = -1;
	assert_int_equal(bw_trend__assess(&o, &in, &v), -EINVAL);
	o.min_rise = 0;
	in.blocked = NULL;
	assert_int_equal(bw_trend__assess(&o, &in, &v), -EINVAL);
	in.n = 0;
	assert_int_equal(bw_trend__assess(&o, &in, &v), 0);
	assert_int_equal(v.kind, BW_VERDICT_OK);
	assert_string_equal(v.why, "too little history");
	assert_int_equal(bw_trend__assess(&o, &in, NULL), -EINVAL);
}

/* ---- leaks ---- */

static void test_trend__steady_leak(void **state)
{
	struct run r;

	(void)state;
	run_scenario(sc_leak_fast, 1, 180, 1, 0, &r);
	report("leak 1/s", 1, &r);
	assert_in_range(r.first_leak, 1, 60);
	assert_int_equal(r.last_leak, 180);
	assert_int_equal(r.withdrawn_at, -1);
	assert_true(r.last.growth_per_min > 50 && r.last.growth_per_min < 70);
	assert_true(r.last.confidence > 0.999);
	assert_true(r.last.growing_for_s > 150); /* the whole run, not just the latest scale */
	assert_true(r.last.evidence & BW_TREND_EV_COUNT);
	assert_true(r.last.oldest_age_ns >= 170 * 1000000000ULL);
}

static void test_trend__slow_leak(void **state)
{
	struct run r;

	(void)state;
	run_scenario(sc_leak_slow, 1, 900, 1, 0, &r);
	report("leak 1/min, 1 s interval", 1, &r);
	assert_in_range(r.first_leak, 1, 900);
	assert_int_equal(r.last_leak, 900);
	assert_true(r.last.growth_per_min > 0.7 && r.last.growth_per_min < 1.4);
	/* the state carries the growth past the 300 s window */
	assert_true(r.last.growing_for_s > 600);

	run_scenario(sc_leak_slow, 5, 180, 1, 0, &r);
	report("leak 1/min, 5 s interval", 5, &r);
	assert_in_range(r.first_leak, 1, 180);
	assert_int_equal(r.last_leak, 180);
}

static void test_trend__noisy_leaks(void **state)
{
	struct run r;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		/*
		 * Over 20 transient waiters the rise must clear the noise bound
		 * (5 sigmas of a Poisson count of the window's mean level):
		 * 33-68 s over 30 seeds.
		 */
		run_scenario(sc_leak_noisy, 1, 180, seed, 600, &r);
		report("leak 1/s + 20 transient", 1, &r);
		assert_in_range(r.first_leak, 1, 75);
		assert_int_equal(r.last.kind, BW_VERDICT_LEAK);

		run_scenario(sc_slow_noisy, 1, 900, seed, 600, &r);
		report("leak 1/min + 20 transient", 1, &r);
		assert_in_range(r.first_leak, 1, 900);
		assert_int_equal(r.last.kind, BW_VERDICT_LEAK);
		/* the count is too noisy for 1/min: the old waiters tell */
		assert_true(r.last.evidence & BW_TREND_EV_AGED);

		run_scenario(sc_slow_drains, 1, 900, seed, 600, &r);
		report("leak 1/min + drains every 45 s", 1, &r);
		assert_in_range(r.first_leak, 1, 900);
		assert_int_equal(r.last.kind, BW_VERDICT_LEAK);
	}
}

/* After ten quiet minutes a fast leak is caught as fast as on a fresh start. */
static void test_trend__late_leak(void **state)
{
	struct run r;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		run_scenario(sc_late_leak, 1, 720, seed, 600, &r);
		report("leak 1/s after 10 min", 1, &r);
		assert_in_range(r.first_leak, 601, 660); /* 620-637 s over 30 seeds */
		assert_int_equal(r.last.kind, BW_VERDICT_LEAK);
	}
}

/* ---- controls ---- */

static void test_trend__sawtooth(void **state)
{
	struct run r;

	(void)state;
	run_scenario(sc_sawtooth, 1, 900, 1, 0, &r);
	report("sawtooth 0-50-0 / 10 s", 1, &r);
	assert_int_equal(r.first_leak, -1);
	assert_int_equal(r.last.kind, BW_VERDICT_OK);
}

/*
 * A batch that fills for 45 s looks like a leak until its first release (it
 * may be flagged then, and is withdrawn at the release), never again once
 * the count has been seen to fall back.
 */
static void test_trend__bursts(void **state)
{
	struct run r;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		run_scenario(sc_bursts, 1, 900, seed, 0, &r);
		report("batch filled 45 s, released", 1, &r);
		assert_true(r.last_leak <= 45 + 5);
		assert_int_equal(r.last.kind, BW_VERDICT_OK);
	}
}

static void test_trend__warmup_plateau(void **state)
{
	struct run r;

	(void)state;
	run_scenario(sc_warmup, 1, 900, 1, 0, &r);
	report("pool warm-up 60 s, plateau", 1, &r);
	/* while it grows it is a leak as far as anyone can tell... */
	assert_in_range(r.first_leak, 1, 60);
	/* ...and once flat it is withdrawn (plateau_s after the last worker, or sooner) */
	assert_in_range(r.withdrawn_at, 61, 60 + 180 + 60);
	assert_true(r.last_leak < r.withdrawn_at);
	assert_int_equal(r.last.kind, BW_VERDICT_OK);
}

static void test_trend__pool_ticker_noise(void **state)
{
	static const struct {
		const char *name;
		scen_fn fn;
		double burn;
	} controls[] = {
		{ "idle pool of 8", sc_pool, 0 },
		{ "ticker 0/1", sc_ticker, 0 },
		{ "ticker 10 x 30 s / min", sc_ticker_slow, 0 },
		{ "noise ~20, 0.3 s waits", sc_noise, 600 },
		{ "noise ~20, 20 s waits", sc_noise_slow, 600 },
		{ "noise ~20, 60 s waits", sc_longpoll, 600 },
	};
	struct run r;

	(void)state;
	for (size_t k = 0; k < sizeof(controls) / sizeof(controls[0]); k++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			run_scenario(controls[k].fn, 1, 1200, seed, controls[k].burn, &r);
			report(controls[k].name, 1, &r);
			if (r.first_leak != -1)
				fail_msg("%s, seed %d: leak at %d s", controls[k].name, (int)seed,
					 r.first_leak);
			assert_int_equal(r.last.kind, BW_VERDICT_OK);
		}
	}
}

static void test_trend__reset(void **state)
{
	struct run r;

	(void)state;
	run_scenario(sc_reset, 1, 400, 1, 0, &r);
	report("leak 1/s, restart at 120 s", 1, &r);
	assert_in_range(r.first_leak, 1, 60);
	/* withdrawn once the count stayed down for reset_s (5 s) */
	assert_in_range(r.withdrawn_at, 121, 126);
	assert_true(r.last_leak < r.withdrawn_at);
	assert_int_equal(r.last.kind, BW_VERDICT_OK);
}

/* ---- single guards on hand-made series ---- */

/* One bad sample (a snapshot that saw nothing) does not withdraw a leak. */
static void test_trend__glitch(void **state)
{
	struct bw_trend_opts o;
	struct bw_trend_state st;
	struct bw_verdict v;
	uint32_t x[200];

	(void)state;
	bw_trend__default_opts(&o, 1);
	bw_trend__init(&st);
	for (size_t i = 0; i < 200; i++) {
		struct bw_trend_input in = { x, NULL, i + 1, (i + 1) * 1000000000ULL };

		x[i] = i == 150 ? 0 : (uint32_t)i;
		assert_int_equal(bw_trend__update(&st, &o, &in, &v), 0);
		if (i >= 60)
			assert_int_equal(v.kind, BW_VERDICT_LEAK);
	}
}

/* A count that grows while its oldest waiter stays young is a queue being served. */
static void test_trend__served(void **state)
{
	struct bw_trend_opts o;
	struct bw_verdict v;
	uint32_t x[120];
	struct bw_trend_input in = { x, NULL, 120, 5000000000ULL };

	(void)state;
	bw_trend__default_opts(&o, 1);
	for (size_t i = 0; i < 120; i++)
		x[i] = (uint32_t)i;
	assert_int_equal(bw_trend__assess(&o, &in, &v), 0);
	assert_int_equal(v.kind, BW_VERDICT_SUSPECT);
	assert_string_equal(v.why, "count rising, waiters served");
	in.oldest_age_ns = 0; /* unknown: no such check */
	assert_int_equal(bw_trend__assess(&o, &in, &v), 0);
	assert_int_equal(v.kind, BW_VERDICT_LEAK);
	in.oldest_age_ns = 119000000000ULL;
	assert_int_equal(bw_trend__assess(&o, &in, &v), 0);
	assert_int_equal(v.kind, BW_VERDICT_LEAK);
	assert_string_equal(v.why, "count rising");
}

/* An idle pool seen from attach: its aged count steps 0 -> 40 at 60 s. No growth. */
static void test_trend__aged_step_at_attach(void **state)
{
	struct bw_trend_opts o;
	struct bw_trend_state st;
	struct bw_verdict v;
	uint32_t x[600], aged[600];

	(void)state;
	bw_trend__default_opts(&o, 1);
	bw_trend__init(&st);
	for (size_t i = 0; i < 600; i++) {
		struct bw_trend_input in = { x, aged, i + 1, (i + 1) * 1000000000ULL };

		x[i] = 40;
		aged[i] = i + 1 >= 60 ? 40 : 0;
		assert_int_equal(bw_trend__update(&st, &o, &in, &v), 0);
		assert_int_equal(v.kind, BW_VERDICT_OK);
	}
}

/* A history shorter than last time is a new site: the growth starts over. */
static void test_trend__history_cleared(void **state)
{
	struct bw_trend_opts o;
	struct bw_trend_state st;
	struct bw_verdict v;
	uint32_t x[100];
	struct bw_trend_input in = { x, NULL, 100, 0 };

	(void)state;
	bw_trend__default_opts(&o, 1);
	bw_trend__init(&st);
	for (size_t i = 0; i < 100; i++)
		x[i] = (uint32_t)i;
	for (int k = 0; k < 50; k++)
		assert_int_equal(bw_trend__update(&st, &o, &in, &v), 0);
	assert_int_equal(v.kind, BW_VERDICT_LEAK);
	in.n = 40;
	assert_int_equal(bw_trend__update(&st, &o, &in, &v), 0);
	assert_int_equal(st.updates, 1);
	assert_true(v.growing_for_s <= 40);
}

/* ---- bounds ---- */

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double time_calls(const struct bw_trend_opts *o, const struct bw_trend_input *in, int calls)
{
	double t0 = seconds_now();
	struct bw_verdict v;

	for (int i = 0; i < calls; i++)
		assert_int_equal(bw_trend__assess(o, in, &v), 0);
	return (seconds_now() - t0) / calls;
}

/*
 * Only the window is read, whatever the history; the cost grows linearly
 * with the window (no pairwise work on samples), and nothing is allocated.
 */
static void test_trend__window_bound(void **state)
{
	size_t n = BW_TREND_MAX_WINDOW;
	uint32_t *x = malloc(n * sizeof(*x)), *aged = malloc(n * sizeof(*aged));
	struct bw_trend_opts o;
	struct bw_verdict a, b;
	struct rusage before, after;
	double small, big;
	struct rng r = { 7 };

	(void)state;
	assert_non_null(x);
	assert_non_null(aged);
	for (size_t i = 0; i < n; i++) {
		x[i] = (uint32_t)(i / 50 + rng_next(&r) % 20);
		aged[i] = (uint32_t)(i / 60);
	}
	bw_trend__default_opts(&o, 1);
	/* the newest 300 samples (plus aged_s, which is skipped at a history's start) decide */
	{
		struct bw_trend_input all = { x, aged, n, 1 };
		struct bw_trend_input tail = { x + n - 400, aged + n - 400, 400, 1 };

		assert_int_equal(bw_trend__assess(&o, &all, &a), 0);
		assert_int_equal(bw_trend__assess(&o, &tail, &b), 0);
		assert_int_equal(a.kind, b.kind);
		assert_float_equal(a.p_value, b.p_value, 0);
		assert_float_equal(a.growth_per_min, b.growth_per_min, 0);
		assert_float_equal(a.span_s, 300, 0);
	}
	o.window = 1000;
	{
		struct bw_trend_input in = { x, aged, n, 1 };

		small = time_calls(&o, &in, 200);
	}
	o.window = BW_TREND_MAX_WINDOW;
	getrusage(RUSAGE_SELF, &before);
	{
		struct bw_trend_input in = { x, aged, n, 1 };

		big = time_calls(&o, &in, 20);
	}
	getrusage(RUSAGE_SELF, &after);
	print_message("assess: %.1f us at 1,000 samples, %.1f us at 100,000\n", small * 1e6,
		      big * 1e6);
	/* 100x the window: linear is 100x (plus noise); pairwise would be 10,000x */
	assert_true(big < small * 400);
	assert_true(big < 0.05);
	assert_true(after.ru_maxrss - before.ru_maxrss < 1024); /* KiB */
	free(x);
	free(aged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trend__verdict_names),
		cmocka_unit_test(test_trend__mann_kendall_exact),
		cmocka_unit_test(test_trend__mann_kendall_ties_and_normal),
		cmocka_unit_test(test_trend__hamed_rao),
		cmocka_unit_test(test_trend__theil_sen),
		cmocka_unit_test(test_trend__options),
		cmocka_unit_test(test_trend__steady_leak),
		cmocka_unit_test(test_trend__slow_leak),
		cmocka_unit_test(test_trend__noisy_leaks),
		cmocka_unit_test(test_trend__late_leak),
		cmocka_unit_test(test_trend__sawtooth),
		cmocka_unit_test(test_trend__bursts),
		cmocka_unit_test(test_trend__warmup_plateau),
		cmocka_unit_test(test_trend__pool_ticker_noise),
		cmocka_unit_test(test_trend__reset),
		cmocka_unit_test(test_trend__glitch),
		cmocka_unit_test(test_trend__served),
		cmocka_unit_test(test_trend__aged_step_at_attach),
		cmocka_unit_test(test_trend__history_cleared),
		cmocka_unit_test(test_trend__window_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
