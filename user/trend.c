// SPDX-License-Identifier: BSD-2-Clause
/*
 * The trend detector; user/trend.h has the contract, docs/trend.md the
 * method and why each guard exists.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trend.h"

/* Two-sided 95% band of a lag's autocorrelation: Hamed and Rao keep only lags outside it. */
#define ACF_Z 1.96
/* Below this many points the exact null distribution of S is used. */
#define EXACT_BELOW 20
/* The shortest scale has at least this many samples, whatever min_span_s says. */
#define MIN_POINTS 8
/* A series that gave back this much of what it gained is noise-prone (Poisson floor). */
#define FLUCTUATING_DROPS 2
#define FLUCTUATING_SHARE 0.25
/* A history younger than this is held to the Poisson bound even if it has not fallen yet. */
#define YOUNG_S 120
/* A count growth must show at least this share of the aged waiters a leak would have made. */
#define AGED_SHARE 0.25
#define AGED_EXPECTED_MIN 2
/* ... once the growth has lasted this many aged_s. */
#define AGED_SERVED 1.5
/* Aged growth must have lasted this many aged_s to count. */
#define AGED_GROWTH 2
/* The level a growth starts from is the median of the first 1/BASE_SHARE of the blocks. */
#define BASE_SHARE 6
/* While a leak is shown, the noise bound is this share of noise_sigmas. */
#define HOLD_SIGMAS 0.75

static const char *const verdict_names[BW_VERDICT__COUNT] = {
	[BW_VERDICT_OK] = "ok",
	[BW_VERDICT_SUSPECT] = "suspect",
	[BW_VERDICT_LEAK] = "leak",
};

const char *bw_verdict_name(enum bw_verdict_kind kind)
{
	return (unsigned int)kind < BW_VERDICT__COUNT ? verdict_names[kind] : "unknown";
}

void bw_trend__default_opts(struct bw_trend_opts *opts, double interval_s)
{
	double window = interval_s > 0 ? ceil(300.0 / interval_s) : 300;

	memset(opts, 0, sizeof(*opts));
	opts->interval_s = interval_s;
	opts->window = window < MIN_POINTS	      ? MIN_POINTS
		       : window > BW_TREND_MAX_WINDOW ? BW_TREND_MAX_WINDOW
						      : (size_t)window;
	opts->min_growth_per_min = 0.5;
	opts->alpha = 1e-4;
	opts->suspect_alpha = 0.01;
	opts->min_span_s = 30;
	opts->plateau_s = 180;
	opts->reset_s = 5;
	opts->min_rise = 3;
	opts->blocks = 30;
	opts->served_ratio = 0.5;
	opts->noise_sigmas = 5;
	opts->aged_s = 60;
}

/* Defaults for the fields left 0, then range checks. */
static int normalize_opts(const struct bw_trend_opts *in, struct bw_trend_opts *o)
{
	if (!in || !isfinite(in->interval_s) || in->interval_s <= 0)
		return -EINVAL;
	bw_trend__default_opts(o, in->interval_s);
#define TAKE(field)                           \
	do {                                  \
		if (in->field)                \
			o->field = in->field; \
	} while (0)
	TAKE(window);
	TAKE(min_growth_per_min);
	TAKE(alpha);
	TAKE(suspect_alpha);
	TAKE(min_span_s);
	TAKE(plateau_s);
	TAKE(reset_s);
	TAKE(min_rise);
	TAKE(blocks);
	TAKE(served_ratio);
	TAKE(noise_sigmas);
	TAKE(aged_s);
#undef TAKE
	if (o->window < MIN_POINTS || o->window > BW_TREND_MAX_WINDOW)
		return -EINVAL;
	if (!(o->alpha > 0 && o->alpha < 1) ||
	    !(o->suspect_alpha >= o->alpha && o->suspect_alpha < 1))
		return -EINVAL;
	if (!(o->min_growth_per_min >= 0) || !(o->min_span_s >= 0) || !(o->plateau_s > 0) ||
	    !(o->reset_s > 0) || !(o->min_rise >= 0) || !isfinite(o->plateau_s + o->reset_s))
		return -EINVAL;
	if (o->blocks < MIN_POINTS || o->blocks > BW_TREND_MAX_BLOCKS)
		return -EINVAL;
	if (!(o->served_ratio >= 0 && o->served_ratio <= 1) || !(o->noise_sigmas >= 0) ||
	    !(o->aged_s >= 0) || !isfinite(o->aged_s))
		return -EINVAL;
	return 0;
}

/* ---- statistics ---- */

static void swap_d(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

/* The k-th smallest of v[0..n) (0-based); v is reordered. Hoare's quickselect. */
static double select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				swap_d(&v[i], &v[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

double bw_trend__theil_sen(const double *y, size_t n)
{
	/* at most 64 points: 2016 slopes, 16 KiB on the stack, never the heap */
	double slopes[BW_TREND_MAX_BLOCKS * (BW_TREND_MAX_BLOCKS - 1) / 2];
	size_t np = 0, lo;
	double a;

	if (n < 2 || n > BW_TREND_MAX_BLOCKS)
		return 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			slopes[np++] = (y[j] - y[i]) / (double)(j - i);
	lo = (np - 1) / 2;
	a = select_kth(slopes, np, lo);
	if (np % 2)
		return a;
	/* even count: the mean of the two middle slopes; the upper one is the least above lo */
	double b = slopes[lo + 1];

	for (size_t i = lo + 2; i < np; i++)
		if (slopes[i] < b)
			b = slopes[i];
	return (a + b) / 2;
}

static double sign_d(double v)
{
	return (v > 0) - (v < 0);
}

static double mk_s(const double *y, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			s += sign_d(y[j] - y[i]);
	return s;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Var(S) with no trend: n(n-1)(2n+5)/18 less each tie group's share. */
static double mk_var(const double *y, size_t n)
{
	double sorted[BW_TREND_MAX_BLOCKS], var = (double)n * (n - 1) * (2 * n + 5);

	memcpy(sorted, y, n * sizeof(*y));
	qsort(sorted, n, sizeof(*sorted), cmp_d);
	for (size_t i = 0; i < n;) {
		size_t t = 1;

		while (i + t < n && sorted[i + t] == sorted[i])
			t++;
		var -= (double)t * (t - 1) * (2 * t + 5);
		i += t;
	}
	return var / 18;
}

/*
 * P(S >= s) with no trend and no ties, from the distribution of inversions
 * of a random permutation (S = N - 2 * inversions). With ties S's spread is
 * narrower, so this p is conservative.
 */
static double mk_exact_p(size_t n, double s)
{
	double dist[EXACT_BELOW * (EXACT_BELOW - 1) / 2 + 1], next[sizeof(dist) / sizeof(dist[0])];
	size_t total = n * (n - 1) / 2, max_inv = 0;
	double p = 0, limit = floor(((double)total - s) / 2);

	if (limit < 0)
		return 0;
	dist[0] = 1;
	for (size_t k = 2; k <= n; k++) {
		/* adding the k-th element adds 0..k-1 inversions, each with probability 1/k */
		size_t new_max = max_inv + k - 1;

		for (size_t i = 0; i <= new_max; i++) {
			double sum = 0;

			for (size_t j = 0; j < k && j <= i; j++)
				if (i - j <= max_inv)
					sum += dist[i - j];
			next[i] = sum / (double)k;
		}
		max_inv = new_max;
		memcpy(dist, next, (max_inv + 1) * sizeof(*dist));
	}
	for (size_t i = 0; i <= max_inv && (double)i <= limit; i++)
		p += dist[i];
	return p > 1 ? 1 : p;
}

static double upper_tail(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

/* The z whose upper tail is p, by bisection: called once per small test. */
static double upper_tail_inverse(double p)
{
	double lo = -40, hi = 40;

	for (int i = 0; i < 200 && hi - lo > 1e-9; i++) {
		double mid = (lo + hi) / 2;

		if (upper_tail(mid) > p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* Average ranks (1-based) of v. */
static void ranks(const double *v, size_t n, double *rank)
{
	for (size_t i = 0; i < n; i++) {
		size_t below = 0, equal = 0;

		for (size_t j = 0; j < n; j++) {
			below += v[j] < v[i];
			equal += v[j] == v[i] && j != i;
		}
		rank[i] = 1 + (double)below + (double)equal / 2;
	}
}

/*
 * Hamed and Rao (1998): the variance of S grows with the autocorrelation of
 * the detrended series' ranks. Counts of waiters are autocorrelated (a waiter
 * stays several intervals), which makes the plain test see trends in noise.
 * Only lags outside the 95% band count; the factor is kept >= 1 so that
 * negative autocorrelation never makes the test bolder.
 */
static double hamed_rao_factor(const double *y, size_t n)
{
	double slope = bw_trend__theil_sen(y, n), resid[BW_TREND_MAX_BLOCKS],
	       rank[BW_TREND_MAX_BLOCKS];
	double mean = (n + 1) / 2.0, den = 0, sum = 0, band = ACF_Z / sqrt((double)n), factor;

	if (n < 3)
		return 1;
	for (size_t i = 0; i < n; i++)
		resid[i] = y[i] - slope * (double)i;
	ranks(resid, n, rank);
	for (size_t i = 0; i < n; i++)
		den += (rank[i] - mean) * (rank[i] - mean);
	if (den <= 0)
		return 1; /* a perfect line: nothing left to correlate */
	for (size_t k = 1; k + 2 < n; k++) {
		double acf = 0;

		for (size_t t = 0; t + k < n; t++)
			acf += (rank[t] - mean) * (rank[t + k] - mean);
		acf /= den;
		if (fabs(acf) > band)
			sum += (double)(n - k) * (n - k - 1) * (n - k - 2) * acf;
	}
	factor = 1 + 2 * sum / ((double)n * (n - 1) * (n - 2));
	return factor > 1 ? factor : 1;
}

int bw_trend__mann_kendall(const double *y, size_t n, struct bw_mk *out)
{
	if (!y || !out || n < 2 || n > BW_TREND_MAX_BLOCKS)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->s = mk_s(y, n);
	out->var = mk_var(y, n);
	/* only growth is tested: no need to correct what cannot be significant */
	out->factor = out->s > 0 ? hamed_rao_factor(y, n) : 1;
	if (out->var <= 0) {
		/* every value equal: no trend at all */
		out->p = 1;
		return 0;
	}
	if (n < EXACT_BELOW) {
		/* exact tail, then the same autocorrelation correction through z */
		out->exact = true;
		out->z = upper_tail_inverse(mk_exact_p(n, out->s)) / sqrt(out->factor);
	} else {
		double s = out->s > 0 ? out->s - 1 : out->s < 0 ? out->s + 1 : 0;

		out->z = s / sqrt(out->var * out->factor);
	}
	out->p = upper_tail(out->z);
	return 0;
}

/* ---- judging one series at one scale ---- */

enum why {
	WHY_NONE, /* no guard objects */
	WHY_SHORT,
	WHY_NO_TREND,
	WHY_TOO_SMALL, /* soft vetoes: they do not withdraw a leak already shown */
	WHY_TOO_SLOW,
	WHY_TOO_SHORT,
	WHY_IN_RANGE,
	WHY_SINKING,
	WHY_NOISE, /* hard vetoes */
	WHY_PLATEAU,
	WHY_FELL_BACK,
	WHY_SERVED,
	WHY_COUNT, /* evidence */
	WHY_AGED,
};

static const char *const why_text[] = {
	[WHY_NONE] = "",
	[WHY_SHORT] = "too little history",
	[WHY_NO_TREND] = "no trend",
	[WHY_TOO_SMALL] = "rise too small",
	[WHY_TOO_SLOW] = "growth too slow",
	[WHY_TOO_SHORT] = "growth too short",
	[WHY_IN_RANGE] = "within the range seen before",
	[WHY_SINKING] = "sinking back",
	[WHY_NOISE] = "rise within the count's own fluctuation",
	[WHY_PLATEAU] = "plateau",
	[WHY_FELL_BACK] = "fell back",
	[WHY_SERVED] = "count rising, waiters served",
	[WHY_COUNT] = "count rising",
	[WHY_AGED] = "old waiters accumulating",
};

struct judged {
	enum bw_verdict_kind kind;
	enum why why;
	double p, z, rate_per_min, growing_for_s, span_s;
	unsigned int ev; /* the series judged: BW_TREND_EV_* */
};

/* What one series is judged with: thresholds already shared among all the tests made. */
struct series_ctx {
	const struct bw_trend_opts *o;
	double alpha, suspect_alpha;
	unsigned int ev;
	uint64_t oldest_ns;   /* 0: no served check (the aged series, or age unknown) */
	double noise;	      /* spread of the floor around its trend over the whole window */
	const uint32_t *aged; /* count series: the aged one, same samples as the window */
	size_t len;	      /* samples in the window */
	size_t history;	      /* samples the caller has, window or not */
	double sigmas;	      /* noise_sigmas, lowered while a leak is shown */
	bool fluctuates;      /* it fell now and then over the window, or the history is young */
	double level;	      /* its mean over the window, at least 1 */
};

static bool vetoed(const struct judged *j)
{
	return j->kind == BW_VERDICT_OK && j->why >= WHY_TOO_SMALL && j->why <= WHY_SERVED;
}

/* Still growth, only not enough to raise a verdict: it holds one already raised. */
static bool holds(const struct judged *j, double suspect_alpha)
{
	if (j->kind == BW_VERDICT_SUSPECT)
		return j->why != WHY_SERVED;
	return j->why >= WHY_TOO_SMALL && j->why <= WHY_SINKING && j->p < suspect_alpha;
}

/* x[0..len) as m blocks of (nearly) equal length, each reduced to its minimum. */
static uint32_t block_min(const uint32_t *x, size_t len, size_t m, size_t i)
{
	uint32_t v = UINT32_MAX;

	for (size_t k = i * len / m; k < (i + 1) * len / m; k++)
		if (x[k] < v)
			v = x[k];
	return v;
}

static void block_minima(const uint32_t *x, size_t len, size_t m, double *f)
{
	for (size_t i = 0; i < m; i++)
		f[i] = block_min(x, len, m, i);
}

static double median(double *v, size_t n)
{
	double a = select_kth(v, n, (n - 1) / 2), b = a;

	if (n % 2 == 0) {
		b = v[n / 2];
		for (size_t i = n / 2 + 1; i < n; i++)
			if (v[i] < b)
				b = v[i];
	}
	return (a + b) / 2;
}

/* Robust spread (1.4826 MAD) of f around its Theil-Sen line. */
static double floor_noise(const double *f, size_t m)
{
	double slope = bw_trend__theil_sen(f, m), r[BW_TREND_MAX_BLOCKS], med;

	for (size_t i = 0; i < m; i++)
		r[i] = f[i] - slope * (double)i;
	med = median(r, m);
	for (size_t i = 0; i < m; i++)
		r[i] = fabs(r[i] - med);
	return 1.4826 * median(r, m);
}

/* Index of the last strict record high of f (0 if f never rises above f[0]). */
static size_t last_record(const double *f, size_t m)
{
	size_t h = 0;

	for (size_t i = 1; i < m; i++)
		if (f[i] > f[h])
			h = i;
	return h;
}

/* The level a growth starts from: the median of the first blocks. */
static double start_level(const double *f, size_t m)
{
	size_t q = m / BASE_SHARE ? m / BASE_SHARE : 1;
	double first[BW_TREND_MAX_BLOCKS];

	memcpy(first, f, q * sizeof(*f));
	return median(first, q);
}

/* Squared error of f against "flat until g, then a straight rise" (least squares). */
static double hinge_error(const double *f, size_t m, size_t g)
{
	double hm = 0, fm = 0, sxy = 0, sxx = 0, slope, err = 0;

	for (size_t i = 0; i < m; i++) {
		hm += i > g ? (double)(i - g) : 0;
		fm += f[i];
	}
	hm /= (double)m;
	fm /= (double)m;
	for (size_t i = 0; i < m; i++) {
		double h = (i > g ? (double)(i - g) : 0) - hm;

		sxy += h * (f[i] - fm);
		sxx += h * h;
	}
	slope = sxx > 0 ? sxy / sxx : 0;
	if (slope <= 0)
		return INFINITY;
	for (size_t i = 0; i < m; i++) {
		double h = (i > g ? (double)(i - g) : 0) - hm, r = f[i] - fm - slope * h;

		err += r * r;
	}
	return err;
}

/*
 * The block after which the growth began: the knee of the best "flat, then
 * rising" fit. Reading it off the last block at the starting level would
 * date a late leak back to any early low block of the noise before it.
 */
static size_t growth_start(const double *f, size_t m)
{
	double best = INFINITY;
	size_t g = 0;

	for (size_t k = 0; k + 2 < m; k++) {
		double err = hinge_error(f, m, k);

		if (err < best) {
			best = err;
			g = k;
		}
	}
	return g;
}

/* Has the raw count stayed below half the floor's rise for reset_s? */
static bool fell_back(const struct bw_trend_opts *o, const uint32_t *x, size_t len, double base,
		      double rise)
{
	size_t r = (size_t)ceil(o->reset_s / o->interval_s - 1e-9);

	if (r < 1)
		r = 1;
	if (r > len)
		r = len;
	for (size_t i = len - r; i < len; i++)
		if ((double)x[i] >= base + rise / 2)
			return false;
	return true;
}

/* One scale of one series: its newest len samples, their block floors and what came before. */
struct scale {
	const uint32_t *x; /* the scale's samples */
	size_t len;
	size_t m;		       /* blocks */
	double f[BW_TREND_MAX_BLOCKS]; /* block minima */
	double block_s;
	double prior_max; /* highest sample of the window before this scale; -1: none */
	size_t g;	  /* block after which the growth began (once found significant) */
	double rise;	  /* highest floor less the first */
};

/* The guards, in order: each names the first reason the growth is not a leak. */
static enum why veto(const struct series_ctx *c, const struct scale *s, const struct judged *j)
{
	const struct bw_trend_opts *o = c->o;
	const double *f = s->f;
	size_t m = s->m, h = last_record(f, m);
	double base = start_level(f, m);

	/* back at the start's level for two blocks: not a dip, a fall */
	if (s->rise <= 0 || (f[m - 1] <= base && f[m - 2] <= base) ||
	    fell_back(o, s->x, s->len, f[0], s->rise))
		return WHY_FELL_BACK;
	if ((double)(m - 1 - h) * s->block_s > o->plateau_s)
		return WHY_PLATEAU;
	if (s->rise < o->min_rise)
		return WHY_TOO_SMALL;
	if (j->rate_per_min < o->min_growth_per_min)
		return WHY_TOO_SLOW;
	/*
	 * Accumulating means for a good while: aged counts of busy sites
	 * wander as slowly as their waiters live, and those near aged_s
	 * drift in and out of it together.
	 */
	if (c->ev == BW_TREND_EV_AGED && j->growing_for_s < AGED_GROWTH * o->aged_s)
		return WHY_TOO_SHORT;
	/*
	 * A leak breaks out of the range the count kept before: a short
	 * scale whose floor does not clear the earlier peaks is one more
	 * round of a burst that fills and drains.
	 */
	if (s->prior_max >= 0 && f[h] < s->prior_max + o->min_rise)
		return WHY_IN_RANGE;
	/* a leak's floor stays up: one that sank back halfway is an excursion ending */
	if (f[m - 1] < f[0] + s->rise / 2)
		return WHY_SINKING;
	if (s->rise < c->sigmas * c->noise)
		return WHY_NOISE;
	/*
	 * A count that goes up and down is at least as noisy as independent
	 * waiters coming and going (M/M/inf: Poisson, variance = mean), whose
	 * count can change by sqrt(2 * level) over any stretch of time,
	 * however short: the autocorrelation a short scale cannot measure.
	 */
	if (c->fluctuates && s->rise < c->sigmas * sqrt(2 * c->level))
		return WHY_NOISE;
	return WHY_NONE;
}

/*
 * Leaked waiters stay. The oldest waiter of a leak is about as old as the
 * growth; and a count that grew by rise over growing_for_s has passed about
 * rise * (growing_for_s - aged_s) / growing_for_s of its waiters on to the
 * aged series by now. A growing queue, or an excursion of a busy site, whose
 * waiters are served, passes few.
 */
static bool served(const struct series_ctx *c, const struct scale *s, double growing_for_s)
{
	const struct bw_trend_opts *o = c->o;
	const uint32_t *aged = c->aged ? c->aged + (c->len - s->len) : NULL;
	double expected, got;

	if (c->oldest_ns && (double)c->oldest_ns / 1e9 < o->served_ratio * growing_for_s)
		return true;
	/* not before the growth is well past aged_s: its start is only known to a block or two */
	if (!aged || growing_for_s < AGED_SERVED * o->aged_s)
		return false;
	expected = s->rise * (growing_for_s - o->aged_s) / growing_for_s;
	got = (double)block_min(aged, s->len, s->m, s->m - 1) -
	      (double)block_min(aged, s->len, s->m, s->g);
	return expected >= AGED_EXPECTED_MIN && got < AGED_SHARE * expected;
}

static void cut_scale(const struct bw_trend_opts *o, const uint32_t *x, size_t len,
		      double prior_max, struct scale *s)
{
	s->x = x;
	s->len = len;
	s->m = len < o->blocks ? len : o->blocks;
	s->block_s = (double)len / (double)s->m * o->interval_s;
	s->prior_max = prior_max;
	block_minima(x, len, s->m, s->f);
	s->rise = s->f[last_record(s->f, s->m)] - s->f[0];
}

/* Judge one scale: the test, then the guards, then the served check. */
static void judge_scale(const struct series_ctx *c, struct scale *s, struct judged *j)
{
	const struct bw_trend_opts *o = c->o;
	struct bw_mk mk;
	enum why w;

	memset(j, 0, sizeof(*j));
	j->ev = c->ev;
	j->span_s = (double)s->len * o->interval_s;
	bw_trend__mann_kendall(s->f, s->m, &mk);
	j->p = mk.p;
	j->z = mk.z;
	j->rate_per_min = bw_trend__theil_sen(s->f, s->m) / s->block_s * 60;
	j->why = WHY_NO_TREND;
	if (mk.s <= 0 || mk.p >= c->suspect_alpha)
		return;
	s->g = growth_start(s->f, s->m);
	/* the rate since the growth began: a late start would halve the window's slope */
	if (s->m - s->g >= 4)
		j->rate_per_min = bw_trend__theil_sen(s->f + s->g, s->m - s->g) / s->block_s * 60;
	j->growing_for_s = (double)(s->m - 1 - s->g) * s->block_s;
	w = veto(c, s, j);
	if (w != WHY_NONE) {
		j->why = w;
		j->growing_for_s = 0;
		return;
	}
	j->kind = mk.p < c->alpha ? BW_VERDICT_LEAK : BW_VERDICT_SUSPECT;
	j->why = c->ev == BW_TREND_EV_COUNT ? WHY_COUNT : WHY_AGED;
	if (j->kind == BW_VERDICT_LEAK && c->ev == BW_TREND_EV_COUNT &&
	    served(c, s, j->growing_for_s)) {
		/* more waiters, but they do not stay: a growing queue, not a leak */
		j->kind = BW_VERDICT_SUSPECT;
		j->why = WHY_SERVED;
	}
}

/* Is a better than b as the verdict to show? */
static bool better(const struct judged *a, const struct judged *b)
{
	if (a->kind != b->kind)
		return a->kind > b->kind;
	if (a->kind == BW_VERDICT_OK && vetoed(a) != vetoed(b))
		return vetoed(a); /* "plateau" says more than "no trend" */
	return a->p < b->p;
}

/* Scales: the window, then its newer halves down to the shortest span judged. */
static size_t count_scales(size_t len, size_t min_len)
{
	size_t k = 0;

	for (size_t l = len; l >= min_len && l; l /= 2)
		k++;
	return k;
}

static size_t min_scale_len(const struct bw_trend_opts *o)
{
	double l = ceil(o->min_span_s / o->interval_s - 1e-9);

	return l < MIN_POINTS ? MIN_POINTS : l > (double)o->window ? o->window : (size_t)l;
}

struct assessment {
	struct judged best;
	unsigned int evidence;
	bool have_hold;
	struct judged hold; /* the strongest growth that holds a shown leak */
};

static double mean_level(const uint32_t *x, size_t len)
{
	double sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += x[i];
	return sum > (double)len ? sum / (double)len : 1;
}

/*
 * Does the series go down as well as up? A leak's count mostly climbs: what
 * falls is small next to what rises, where noise gives back a good part of
 * what it gains. A leak's aged count does not fall at all: old waiters that
 * leave are churn, however few.
 */
static bool fluctuates(const uint32_t *x, size_t len, bool aged)
{
	double up = 0, down = 0;

	for (size_t i = 1; i < len; i++) {
		if (x[i] > x[i - 1])
			up += x[i] - x[i - 1];
		else
			down += x[i - 1] - x[i];
	}
	return down >= FLUCTUATING_DROPS && (aged || down >= FLUCTUATING_SHARE * up);
}

static void judge_series(struct series_ctx *c, const uint32_t *x, size_t len, size_t min_len,
			 struct assessment *a)
{
	struct scale s = { 0 };
	uint32_t prior = 0;
	size_t done = 0;

	cut_scale(c->o, x, len, -1, &s);
	c->noise = floor_noise(s.f, s.m);
	/* a young history has not shown yet whether it goes down: assume it does */
	c->fluctuates = fluctuates(x, len, c->ev == BW_TREND_EV_AGED) ||
			(double)c->history * c->o->interval_s < YOUNG_S;
	c->level = mean_level(x, len);
	for (size_t l = len; l >= min_len; l /= 2) {
		struct judged j;

		for (; done < len - l; done++) /* prior: the max of x[0 .. len - l) */
			prior = x[done] > prior ? x[done] : prior;
		cut_scale(c->o, x + (len - l), l, l == len ? -1 : (double)prior, &s);
		judge_scale(c, &s, &j);
		if (holds(&j, c->suspect_alpha) && (!a->have_hold || j.p < a->hold.p)) {
			a->hold = j;
			a->have_hold = true;
		}
		if (j.kind != BW_VERDICT_OK && j.kind == a->best.kind)
			a->evidence |= c->ev;
		if (better(&j, &a->best)) {
			if (j.kind != a->best.kind)
				a->evidence = j.kind != BW_VERDICT_OK ? c->ev : 0;
			a->best = j;
		}
	}
}

static void fill_verdict(const struct judged *j, unsigned int evidence,
			 const struct bw_trend_input *in, struct bw_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = j->kind;
	out->growth_per_min = j->rate_per_min;
	out->p_value = j->p < 1 ? j->p : 1; /* 2 marks "not judged" */
	out->z = j->z;
	out->confidence = vetoed(j) ? 0 : 1 - out->p_value;
	out->growing_for_s = j->growing_for_s;
	out->oldest_age_ns = in->oldest_age_ns;
	out->evidence = evidence;
	out->span_s = j->span_s;
	out->why = why_text[j->why];
}

/*
 * Samples of the window's aged series not to judge: those of the first
 * aged_s of the history. A waiter already there when the history began is
 * known only from then on, so all of them reach aged_s at the same moment:
 * a step that is no growth (an idle pool would look like a leak).
 */
static size_t aged_skip(const struct bw_trend_opts *o, size_t n, size_t len)
{
	double young = ceil(o->aged_s / o->interval_s - 1e-9);
	size_t before = n - len; /* history samples older than the window */

	if (young <= (double)before)
		return 0;
	young -= (double)before;
	return young >= (double)len ? len : (size_t)young;
}

static int assess(const struct bw_trend_opts *opts, const struct bw_trend_input *in,
		  bool leak_shown, struct assessment *a)
{
	size_t len, min_len, aged_len = 0, aged_min, tests;
	struct bw_trend_opts o;
	struct series_ctx c;
	int err;

	err = normalize_opts(opts, &o);
	if (err)
		return err;
	if (!in || (in->n && !in->blocked))
		return -EINVAL;
	len = in->n < o.window ? in->n : o.window;
	min_len = min_scale_len(&o);
	/* the aged series is judged only over spans its growth could pass the guards in */
	aged_min = (size_t)ceil(AGED_GROWTH * o.aged_s / o.interval_s - 1e-9);
	aged_min = aged_min > min_len ? aged_min : min_len;
	if (in->aged)
		aged_len = len - aged_skip(&o, in->n, len);
	memset(a, 0, sizeof(*a));
	a->best.p = 2; /* worse than any judged scale */
	a->best.why = WHY_SHORT;
	a->best.span_s = (double)len * o.interval_s;
	if (len < min_len)
		return 0;
	/* Bonferroni: every scale of every series is one more chance of a false alarm */
	tests = count_scales(len, min_len) + count_scales(aged_len, aged_min);
	c = (struct series_ctx){
		.o = &o,
		.alpha = o.alpha / (double)tests,
		.suspect_alpha = o.suspect_alpha / (double)tests,
		.ev = BW_TREND_EV_COUNT,
		.oldest_ns = in->oldest_age_ns,
		.history = in->n,
		/* hysteresis: a leak near the noise bound must not blink on and off */
		.sigmas = o.noise_sigmas * (leak_shown ? HOLD_SIGMAS : 1),
	};
	c.aged = in->aged ? in->aged + (in->n - len) : NULL;
	c.len = len;
	judge_series(&c, in->blocked + (in->n - len), len, min_len, a);
	if (aged_len >= aged_min) {
		c.ev = BW_TREND_EV_AGED;
		c.oldest_ns = 0;
		c.aged = NULL;
		c.len = aged_len;
		judge_series(&c, in->aged + (in->n - aged_len), aged_len, aged_min, a);
	}
	return 0;
}

int bw_trend__assess(const struct bw_trend_opts *opts, const struct bw_trend_input *in,
		     struct bw_verdict *out)
{
	struct assessment a;
	int err;

	if (!out)
		return -EINVAL;
	err = assess(opts, in, false, &a);
	if (!err)
		fill_verdict(&a.best, a.evidence, in, out);
	return err;
}

/* ---- memory across intervals ---- */

void bw_trend__init(struct bw_trend_state *st)
{
	memset(st, 0, sizeof(*st));
}

/* growing_for_s from the growth's first interval, which may have left the window */
static void extend_growth(struct bw_trend_state *st, double interval_s, struct bw_verdict *out)
{
	uint64_t back = (uint64_t)llround(out->growing_for_s / interval_s), start;

	if (out->kind == BW_VERDICT_OK) {
		st->growing_since = 0;
		return;
	}
	start = back < st->updates ? st->updates - back : 0;
	if (st->shown == BW_VERDICT_OK || start < st->growing_since)
		st->growing_since = start;
	out->growing_for_s = (double)(st->updates - st->growing_since) * interval_s;
}

int bw_trend__update(struct bw_trend_state *st, const struct bw_trend_opts *opts,
		     const struct bw_trend_input *in, struct bw_verdict *out)
{
	struct assessment a;
	int err;

	if (!st || !out)
		return -EINVAL;
	if (in && in->n < st->last_n)
		bw_trend__init(st); /* the site's history was cleared: a new life */
	err = assess(opts, in, st->shown == BW_VERDICT_LEAK, &a);
	if (err)
		return err;
	st->last_n = in->n;
	st->updates++;
	/*
	 * Hysteresis: a leak stays a leak while growth goes on at suspect
	 * level, or only a soft guard (too small, too slow, too short,
	 * sinking) stands in its way, and the noise bound is lowered; noise,
	 * a plateau, a fall, lost significance or served waiters withdraw it.
	 */
	if (st->shown == BW_VERDICT_LEAK && a.best.kind != BW_VERDICT_LEAK && a.have_hold) {
		a.best = a.hold;
		a.best.kind = BW_VERDICT_LEAK;
		a.best.why = a.hold.ev == BW_TREND_EV_COUNT ? WHY_COUNT : WHY_AGED;
		a.evidence = a.hold.ev;
	}
	fill_verdict(&a.best, a.evidence, in, out);
	extend_growth(st, opts->interval_s, out);
	st->shown = out->kind;
	return 0;
}
