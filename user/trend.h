/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The trend detector: is a blocking site's number of waiters growing in a way
 * only a leak explains? A count alone proves nothing; a count that keeps
 * rising and hardly ever falls does.
 *
 * Input: the site's samples, one per interval, oldest first: "blocked now"
 * and, optionally, how many of those waiters were at least the aggregator's
 * aged_ns old (struct bw_site history and aged_history), plus the oldest
 * waiter's age now. Output: a verdict, "ok", "suspect" or "leak", with the
 * growth rate, a confidence, how long the growth has lasted and why.
 *
 * Method (docs/trend.md has the full story): the newest `window` samples,
 * and their newest halves, quarters... down to min_span_s, are each cut into
 * at most `blocks` blocks; each block is reduced to its minimum (the floor:
 * transient waiters do not lift it, leaked ones do). A one-sided
 * Mann-Kendall test with tie correction and the Hamed-Rao autocorrelation
 * correction (exact null distribution below 20 blocks) asks whether the
 * floor rises, at alpha shared among all the tests made (Bonferroni); its
 * Theil-Sen slope since the growth began measures how fast. Guards then
 * veto growth that is too small or too slow, that stopped (plateau), that
 * fell back (a reset), that stays within the range seen before (bursts), or
 * that a Poisson-like fluctuation of the count's level could explain; and a
 * count growth whose waiters do not stay (oldest waiter younger than the
 * growth, or too few reaching aged_s) is "suspect" at most. The same test on
 * the aged series is the second, noise-proof line of evidence.
 *
 * bw_trend__assess() is a pure function of its input and allocates nothing.
 * bw_trend__update() adds memory across intervals (a leak holds while the
 * evidence stays at suspect level; the growth duration outlives the window);
 * the caller keeps one struct bw_trend_state per site. After bw_agg__end():
 *
 *	struct bw_trend_input in = { s->history, s->aged_history, s->history_len,
 *				     s->oldest_age_ns };
 *	err = bw_trend__update(&st, &opts, &in, &v);
 *
 * with opts.interval_s the sampling interval and opts.aged_s the
 * aggregator's aged_ns in seconds. The history must hold the window.
 */
#ifndef BW_TREND_H
#define BW_TREND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The same numbers as struct bw_site's verdict field. */
enum bw_verdict_kind {
	BW_VERDICT_OK = 0,
	BW_VERDICT_SUSPECT = 1,
	BW_VERDICT_LEAK = 2,
	BW_VERDICT__COUNT
};

/* "ok", "suspect", "leak"; "unknown" for anything else. */
const char *bw_verdict_name(enum bw_verdict_kind kind);

#define BW_TREND_MAX_WINDOW 100000 /* samples; the CLI's --history bound */
#define BW_TREND_MAX_BLOCKS 64

/*
 * Every field but interval_s may be left 0 for its default (so 0 cannot
 * switch a guard off: use a tiny value). Defaults are those of
 * bw_trend__default_opts(); docs/trend.md says why each is what it is.
 */
struct bw_trend_opts {
	double interval_s;	   /* seconds between two samples; required, > 0 */
	size_t window;		   /* newest samples looked at; default 300 s worth, >= 8 */
	double min_growth_per_min; /* slower growth is never a leak; default 0.5 */
	double alpha;		   /* leak: one-sided significance, all tests together; 1e-4 */
	double suspect_alpha;	   /* suspect: the same, weaker; default 0.01 */
	double min_span_s;	   /* shortest history judged; default 30 s */
	double plateau_s;	   /* no new high for this long: growth stopped; default 180 s */
	double reset_s;		   /* fallen back for this long: withdrawn; default 5 s */
	double min_rise;	   /* waiters the floor must have gained; default 3 */
	size_t blocks;		   /* blocks per scale, 8..BW_TREND_MAX_BLOCKS; default 30 */
	double served_ratio;	   /* oldest age / growth below this: served; default 0.5 */
	double noise_sigmas;	   /* the rise must exceed this many noise sigmas; default 5 */
	double aged_s;		   /* the aggregator's aged_ns, in seconds; default 60 */
};

/* One site's samples; blocked[i] and aged[i] are the same interval. */
struct bw_trend_input {
	const uint32_t *blocked; /* "blocked now" per interval, oldest first */
	const uint32_t *aged;	 /* waiters at least aged_ns old per interval; may be NULL */
	size_t n;		 /* samples in each array */
	uint64_t oldest_age_ns;	 /* the oldest waiter's age now; 0 if unknown */
};

/* What brought a verdict: bits of struct bw_verdict's evidence. */
enum bw_trend_evidence {
	BW_TREND_EV_COUNT = 1, /* the floor of "blocked now" rises */
	BW_TREND_EV_AGED = 2,  /* waiters older than aged_ns accumulate */
};

struct bw_verdict {
	enum bw_verdict_kind kind;
	double growth_per_min; /* Theil-Sen slope of the floor since growth began */
	/*
	 * 1 - p of the deciding Mann-Kendall test; for "ok", 0 when a guard
	 * vetoed the growth (plateau, fell back, too slow, served).
	 */
	double confidence;
	double p_value;
	double z; /* autocorrelation-corrected Mann-Kendall z of the deciding test */
	double growing_for_s;
	uint64_t oldest_age_ns; /* as passed in */
	unsigned int evidence;	/* BW_TREND_EV_* behind a suspect or leak verdict */
	double span_s;		/* history the deciding test looked at */
	const char *why;	/* static text for people: "count rising", "plateau"... */
};

/* Fill *opts with the defaults for a sampling interval. */
void bw_trend__default_opts(struct bw_trend_opts *opts, double interval_s);

/*
 * Judge one site. Only the newest opts->window samples are read. Returns 0,
 * or -EINVAL for a bad option or a NULL blocked series with n > 0.
 */
int bw_trend__assess(const struct bw_trend_opts *opts, const struct bw_trend_input *in,
		     struct bw_verdict *out);

/* Per-site memory for bw_trend__update(); zero it (or bw_trend__init) to start. */
struct bw_trend_state {
	enum bw_verdict_kind shown;
	uint64_t updates;	/* calls so far: one per interval */
	uint64_t growing_since; /* update number the shown growth began at */
	uint64_t last_n;	/* samples of the previous call, to notice a restart */
};

void bw_trend__init(struct bw_trend_state *st);

/*
 * Judge one site once per interval, after its newest sample was appended.
 * A leak, once raised, is held while the evidence stays at suspect level and
 * no guard vetoes it; growing_for_s counts from the growth's start even past
 * the window. Fewer samples than last time (the site's history was cleared)
 * starts over. Returns what bw_trend__assess() returns.
 */
int bw_trend__update(struct bw_trend_state *st, const struct bw_trend_opts *opts,
		     const struct bw_trend_input *in, struct bw_verdict *out);

/* The statistics, exposed for their tests. */
struct bw_mk {
	double s;      /* Mann-Kendall S: concordant minus discordant pairs */
	double var;    /* Var(S) under no trend, corrected for ties */
	double factor; /* Hamed-Rao variance inflation for autocorrelation, >= 1 */
	double z;      /* continuity-corrected, autocorrelation-corrected */
	double p;      /* one-sided: probability of an S this large with no trend */
	bool exact;    /* p from the exact null distribution (n < 20) */
};

/* n <= BW_TREND_MAX_BLOCKS points at equal spacing. -EINVAL if n is out of range. */
int bw_trend__mann_kendall(const double *y, size_t n, struct bw_mk *out);
/* Median of the pairwise slopes, per index step; 0 for n < 2. n <= BW_TREND_MAX_BLOCKS. */
double bw_trend__theil_sen(const double *y, size_t n);

#endif /* BW_TREND_H */
