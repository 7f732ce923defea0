// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "hist.h"
#include "stacks.h"
#include "u64map.h"

/* A waiter followed across snapshots, to know its age. */
struct waiter {
	uint64_t site_id;
	uint64_t start_ns;
	uint64_t generation; /* last interval it was seen in */
	bool lower_bound;
};

struct bw_agg {
	struct bw_agg_opts opts;
	struct bw_u64map sites;	  /* site id -> struct bw_site */
	struct bw_u64map waiters; /* waiter key -> struct waiter */
	struct bw_u64map objects; /* hash(site, object) -> generation */
	uint64_t generation;
	uint64_t now_ns;
	uint64_t evicted;
	bool waits_only; /* this interval has no snapshot (bw_agg__begin_waits) */
};

static const char *const kind_names[BW_KIND__COUNT] = {
	[BW_KIND_FUTEX] = "futex",
	[BW_KIND_OFFCPU] = "offcpu",
	[BW_KIND_GOROUTINE] = "goroutine",
};

const char *bw_site_kind_name(enum bw_site_kind kind)
{
	return (unsigned int)kind < BW_KIND__COUNT ? kind_names[kind] : "unknown";
}

uint64_t bw_site_id(pid_t pid, enum bw_site_kind kind, const char *reason, const uint64_t *frames,
		    int nframes)
{
	uint64_t seed = ((uint64_t)(uint32_t)pid << 8) | (uint64_t)kind, h;

	h = bw_stack_hash(frames, nframes, seed);
	for (const char *p = reason ? reason : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

struct bw_agg *bw_agg__new(const struct bw_agg_opts *opts)
{
	struct bw_agg *agg = calloc(1, sizeof(*agg));

	if (!agg)
		return NULL;
	agg->opts = *opts;
	if (!agg->opts.history_cap)
		agg->opts.history_cap = 600;
	if (!agg->opts.aged_ns)
		agg->opts.aged_ns = 60000000000ULL;
	if (!agg->opts.max_sites)
		agg->opts.max_sites = 10000;
	bw_u64map__init(&agg->sites);
	bw_u64map__init(&agg->waiters);
	bw_u64map__init(&agg->objects);
	return agg;
}

static void free_frame_name(struct bw_frame_name *f)
{
	free(f->function);
	free(f->file);
	free(f->module);
}

static void free_site(struct bw_site *s)
{
	for (int i = 0; i < s->nframes; i++)
		free_frame_name(&s->frames[i]);
	for (int i = 0; i < s->nkframes; i++)
		free_frame_name(&s->kframes[i]);
	free_frame_name(&s->created_by_name);
	free(s->frames);
	free(s->kframes);
	free(s->history);
	free(s->aged_history);
	free(s);
}

void bw_agg__free(struct bw_agg *agg)
{
	if (!agg)
		return;
	for (size_t i = 0; i < agg->sites.cap; i++)
		if (bw_u64map__val_at(&agg->sites, i))
			free_site(bw_u64map__val_at(&agg->sites, i));
	for (size_t i = 0; i < agg->waiters.cap; i++)
		free(bw_u64map__val_at(&agg->waiters, i));
	bw_u64map__free(&agg->sites);
	bw_u64map__free(&agg->waiters);
	bw_u64map__free(&agg->objects);
	free(agg);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void set_frame_name(const struct bw_frame_info *info, struct bw_frame_name *out)
{
	out->function = dup_or_null(info->function);
	out->offset = info->offset;
	out->file = dup_or_null(info->file);
	out->line = info->line;
	out->module = dup_or_null(info->module);
	out->inlined = info->inlined;
}

/* The frames of one address into info[]: their count, 0 when unnamed. */
static int resolve_addr(struct bw_agg *agg, pid_t pid, uint64_t addr, bool kernel, bool is_return,
			struct bw_frame_info *info)
{
	int n;

	if (!agg->opts.resolve)
		return 0;
	memset(info, 0, BW_SYM_MAX_FRAMES * sizeof(*info));
	n = agg->opts.resolve(agg->opts.resolve_ctx, pid, addr, kernel, is_return, info,
			      BW_SYM_MAX_FRAMES);
	return n > 0 && n <= BW_SYM_MAX_FRAMES ? n : 0;
}

/* One frame for one address: the innermost, whose name and line belong together. */
static void name_frame(struct bw_agg *agg, pid_t pid, uint64_t addr, bool kernel, bool is_return,
		       struct bw_frame_name *out)
{
	struct bw_frame_info info[BW_SYM_MAX_FRAMES];

	out->addr = addr;
	if (resolve_addr(agg, pid, addr, kernel, is_return, info))
		set_frame_name(&info[0], out);
}

static void free_frame_names(struct bw_frame_name *names, int n)
{
	for (int i = 0; i < n; i++)
		free_frame_name(&names[i]);
	free(names);
}

/*
 * Name addrs[0..n) into *out: an address gives one frame, or several where
 * calls were inlined (see struct bw_frame_name). Returns the number of
 * frames, 0 with *out NULL when out of memory.
 */
static int name_frames(struct bw_agg *agg, pid_t pid, const uint64_t *addrs, int n, bool kernel,
		       struct bw_frame_name **out)
{
	struct bw_frame_info info[BW_SYM_MAX_FRAMES];
	struct bw_frame_name *names = NULL;
	int count = 0, cap = 0;

	*out = NULL;
	for (int i = 0; i < n; i++) {
		/* every frame but the innermost is a return address */
		int k = resolve_addr(agg, pid, addrs[i], kernel, i > 0, info);

		if (count + (k ? k : 1) > cap) {
			int ncap = 2 * cap + n + BW_SYM_MAX_FRAMES;
			struct bw_frame_name *v = realloc(names, ncap * sizeof(*v));

			if (!v) {
				free_frame_names(names, count);
				return 0;
			}
			memset(v + cap, 0, (ncap - cap) * sizeof(*v));
			names = v;
			cap = ncap;
		}
		for (int j = 0; j < (k ? k : 1); j++) {
			names[count].addr = addrs[i];
			if (k)
				set_frame_name(&info[j], &names[count]);
			count++;
		}
	}
	*out = names;
	return count;
}

static bool is_runtime_function(const char *f)
{
	static const char *const prefixes[] = { "runtime.",	   "internal/",	     "sync.",
						"net.(*pollDesc)", "internal/poll.", "time.Sleep",
						"selectgo" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(f, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static bool is_system_library(const char *module)
{
	static const char *const libs[] = { "libc.so",	"libc-",     "libpthread",
					    "ld-linux", "libstdc++", "libgcc_s" };
	const char *base = module ? strrchr(module, '/') : NULL;

	base = base ? base + 1 : module;
	for (size_t i = 0; base && i < sizeof(libs) / sizeof(libs[0]); i++)
		if (!strncmp(base, libs[i], strlen(libs[i])))
			return true;
	return false;
}

/* See struct bw_site.focus. Unnamed frames are skipped over too. */
static int focus_frame(const struct bw_site *s)
{
	for (int i = 0; i < s->nframes; i++) {
		const struct bw_frame_name *f = &s->frames[i];

		if (!f->function)
			continue;
		if (s->kind == BW_KIND_GOROUTINE ? !is_runtime_function(f->function)
						 : !is_system_library(f->module))
			return i;
	}
	return 0;
}

static struct bw_site *new_site(struct bw_agg *agg, uint64_t id, pid_t pid, enum bw_site_kind kind,
				const char *reason, const uint64_t *frames, int nframes,
				const uint64_t *kframes, int nkframes)
{
	struct bw_site *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->history = calloc(agg->opts.history_cap, sizeof(*s->history));
	s->aged_history = calloc(agg->opts.history_cap, sizeof(*s->aged_history));
	if (!s->history || !s->aged_history) {
		free(s->history);
		free(s->aged_history);
		free(s);
		return NULL;
	}
	s->id = id;
	s->pid = pid;
	s->kind = kind;
	snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
	if (nframes > BW_MAX_STACK_DEPTH)
		nframes = BW_MAX_STACK_DEPTH;
	if (nkframes > BW_MAX_STACK_DEPTH)
		nkframes = BW_MAX_STACK_DEPTH;
	s->nframes = name_frames(agg, pid, frames, nframes, false, &s->frames);
	s->nkframes = name_frames(agg, pid, kframes, nkframes, true, &s->kframes);
	s->focus = focus_frame(s);
	s->first_seen_ns = agg->now_ns;
	if (bw_u64map__put(&agg->sites, id, s)) {
		free_site(s);
		return NULL;
	}
	return s;
}

static struct bw_site *get_site(struct bw_agg *agg, pid_t pid, enum bw_site_kind kind,
				const char *reason, const uint64_t *frames, int nframes,
				const uint64_t *kframes, int nkframes)
{
	uint64_t id = bw_site_id(pid, kind, reason, frames, nframes);
	struct bw_site *s = bw_u64map__get(&agg->sites, id);

	if (s) {
		/* a site first seen without a kernel stack learns it later */
		if (!s->nkframes && nkframes > 0) {
			if (nkframes > BW_MAX_STACK_DEPTH)
				nkframes = BW_MAX_STACK_DEPTH;
			s->nkframes = name_frames(agg, pid, kframes, nkframes, true, &s->kframes);
		}
		return s;
	}
	return new_site(agg, id, pid, kind, reason, frames, nframes, kframes, nkframes);
}

static void clear_interval_waits(struct bw_agg *agg)
{
	for (size_t i = 0; i < agg->sites.cap; i++) {
		struct bw_site *s = bw_u64map__val_at(&agg->sites, i);

		if (!s)
			continue;
		s->waits_interval = 0;
		s->wait_ns_interval = 0;
		s->wait_max_interval_ns = 0;
		memset(s->wait_hist_interval, 0, sizeof(s->wait_hist_interval));
	}
}

void bw_agg__begin_waits(struct bw_agg *agg, uint64_t now_ns)
{
	agg->now_ns = now_ns;
	agg->waits_only = true;
	clear_interval_waits(agg);
}

void bw_agg__begin(struct bw_agg *agg, uint64_t now_ns)
{
	agg->now_ns = now_ns;
	agg->generation++;
	agg->waits_only = false;
	clear_interval_waits(agg);
	for (size_t i = 0; i < agg->sites.cap; i++) {
		struct bw_site *s = bw_u64map__val_at(&agg->sites, i);

		if (!s)
			continue;
		s->seen_blocked = 0;
		s->seen_oldest_age = 0;
		s->seen_oldest_waiter = 0;
		s->seen_lower_bound = false;
		s->seen_age_sum = 0;
		s->seen_objects = 0;
		s->seen_aged = 0;
		memset(s->seen_age_hist, 0, sizeof(s->seen_age_hist));
	}
	bw_u64map__free(&agg->objects);
}

static uint64_t waiter_key(pid_t pid, enum bw_site_kind kind, uint64_t waiter_id)
{
	uint64_t parts[2] = { ((uint64_t)(uint32_t)pid << 1) | (kind == BW_KIND_GOROUTINE),
			      waiter_id };

	return bw_stack_hash(parts, 2, 0x77);
}

/* When did this waiter's wait begin, and do we know it or only a bound? */
static int waiter_start(struct bw_agg *agg, const struct bw_waiter_in *in, uint64_t site_id,
			uint64_t *start, bool *lower_bound)
{
	uint64_t key = waiter_key(in->pid, in->kind, in->waiter_id);
	struct waiter *w = bw_u64map__get(&agg->waiters, key);

	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w || bw_u64map__put(&agg->waiters, key, w)) {
			free(w);
			return -ENOMEM;
		}
	} else if (w->site_id == site_id && !in->start_ns) {
		/* still waiting where it waited last time: keep its start */
		w->generation = agg->generation;
		*start = w->start_ns;
		*lower_bound = w->lower_bound;
		return 0;
	}
	w->site_id = site_id;
	w->generation = agg->generation;
	if (in->start_ns) {
		w->start_ns = in->start_ns;
		w->lower_bound = false;
	} else if (in->start_hint_ns && in->start_hint_ns <= agg->now_ns) {
		w->start_ns = in->start_hint_ns;
		w->lower_bound = true;
	} else {
		w->start_ns = agg->now_ns;
		w->lower_bound = true;
	}
	*start = w->start_ns;
	*lower_bound = w->lower_bound;
	return 0;
}

static void count_object(struct bw_agg *agg, struct bw_site *s, uint64_t object)
{
	uint64_t parts[2] = { s->id, object }, key;

	if (!object)
		return;
	key = bw_stack_hash(parts, 2, 0x0b);
	if (bw_u64map__get(&agg->objects, key))
		return;
	/* the map holds non-NULL values: any marker will do */
	if (!bw_u64map__put(&agg->objects, key, (void *)1))
		s->seen_objects++;
}

int bw_agg__add_waiter(struct bw_agg *agg, const struct bw_waiter_in *in)
{
	struct bw_site *s;
	uint64_t start, age;
	bool lower_bound;
	int err;

	s = get_site(agg, in->pid, in->kind, in->reason, in->frames, in->nframes, in->kframes,
		     in->nkframes);
	if (!s)
		return -ENOMEM;
	err = waiter_start(agg, in, s->id, &start, &lower_bound);
	if (err)
		return err;
	age = agg->now_ns > start ? agg->now_ns - start : 0;
	s->seen_blocked++;
	s->seen_age_sum += age;
	s->seen_age_hist[bw_hist_slot(age)]++;
	if (age >= agg->opts.aged_ns)
		s->seen_aged++;
	if (age >= s->seen_oldest_age) {
		s->seen_oldest_age = age;
		s->seen_oldest_waiter = in->waiter_id;
		s->seen_lower_bound = lower_bound;
	}
	count_object(agg, s, in->object);
	if (in->created_by && !s->created_by) {
		s->created_by = in->created_by;
		name_frame(agg, in->pid, in->created_by, false, true, &s->created_by_name);
	}
	return 0;
}

int bw_agg__add_completed(struct bw_agg *agg, const struct bw_completed_in *in)
{
	struct bw_site *s;

	if (!in->count)
		return 0;
	s = get_site(agg, in->pid, in->kind, in->reason, in->frames, in->nframes, in->kframes,
		     in->nkframes);
	if (!s)
		return -ENOMEM;
	s->waits_interval += in->count;
	s->waits_total += in->count;
	s->wait_ns_interval += in->total_ns;
	s->wait_ns_total += in->total_ns;
	if (in->max_ns > s->wait_max_interval_ns)
		s->wait_max_interval_ns = in->max_ns;
	if (in->max_ns > s->wait_max_ns)
		s->wait_max_ns = in->max_ns;
	for (unsigned int i = 0; in->hist && i < BW_HIST_SLOTS; i++) {
		s->wait_hist_interval[i] += in->hist[i];
		s->wait_hist[i] += in->hist[i];
	}
	if (in->waker_pid) {
		s->last_waker_pid = in->waker_pid;
		snprintf(s->last_waker_comm, sizeof(s->last_waker_comm), "%s",
			 in->waker_comm ? in->waker_comm : "");
	}
	return 0;
}

static void push_history(struct bw_agg *agg, struct bw_site *s, uint32_t value, uint32_t aged)
{
	size_t cap = agg->opts.history_cap;

	if (s->history_len == cap) {
		/* drop the oldest sample; the interval length is fixed */
		memmove(s->history, s->history + 1, (cap - 1) * sizeof(*s->history));
		memmove(s->aged_history, s->aged_history + 1, (cap - 1) * sizeof(*s->aged_history));
		s->history_len--;
	}
	s->aged_history[s->history_len] = aged;
	s->history[s->history_len++] = value;
}

static void close_site(struct bw_agg *agg, struct bw_site *s)
{
	s->blocked = s->seen_blocked;
	s->oldest_age_ns = s->seen_oldest_age;
	s->oldest_waiter = s->seen_oldest_waiter;
	s->oldest_is_lower_bound = s->seen_lower_bound;
	s->age_sum_ns = s->seen_age_sum;
	s->objects = s->seen_objects;
	memcpy(s->age_hist, s->seen_age_hist, sizeof(s->age_hist));
	if (s->blocked || s->waits_interval)
		s->last_active_ns = agg->now_ns;
	push_history(agg, s, s->blocked, s->seen_aged);
}

static void forget_stale_waiters(struct bw_agg *agg)
{
	for (size_t i = 0; i < agg->waiters.cap;) {
		struct waiter *w = bw_u64map__val_at(&agg->waiters, i);

		if (w && w->generation != agg->generation) {
			/* deletion shifts entries back into slot i: look at it again */
			free(bw_u64map__del(&agg->waiters, bw_u64map__key_at(&agg->waiters, i)));
			continue;
		}
		i++;
	}
}

static int cmp_idle_first(const void *a, const void *b)
{
	const struct bw_site *x = *(struct bw_site *const *)a, *y = *(struct bw_site *const *)b;

	if (x->last_active_ns != y->last_active_ns)
		return x->last_active_ns < y->last_active_ns ? -1 : 1;
	return 0;
}

/* Past max_sites, drop the sites idle the longest; never one with waiters now. */
static void evict_idle_sites(struct bw_agg *agg)
{
	size_t n = 0, excess;
	struct bw_site **idle;

	if (agg->sites.len <= agg->opts.max_sites)
		return;
	excess = agg->sites.len - agg->opts.max_sites;
	idle = malloc(agg->sites.len * sizeof(*idle));
	if (!idle)
		return;
	for (size_t i = 0; i < agg->sites.cap; i++) {
		struct bw_site *s = bw_u64map__val_at(&agg->sites, i);

		if (s && !s->blocked && !s->waits_interval)
			idle[n++] = s;
	}
	qsort(idle, n, sizeof(*idle), cmp_idle_first);
	for (size_t i = 0; i < n && i < excess; i++) {
		bw_u64map__del(&agg->sites, idle[i]->id);
		free_site(idle[i]);
		agg->evicted++;
	}
	free(idle);
}

/* No snapshot: blocked figures and histories stay as the last one left them. */
static void close_waits_only(struct bw_agg *agg)
{
	for (size_t i = 0; i < agg->sites.cap; i++) {
		struct bw_site *s = bw_u64map__val_at(&agg->sites, i);

		if (s && s->waits_interval)
			s->last_active_ns = agg->now_ns;
	}
}

void bw_agg__end(struct bw_agg *agg)
{
	if (agg->waits_only) {
		close_waits_only(agg);
	} else {
		for (size_t i = 0; i < agg->sites.cap; i++)
			if (bw_u64map__val_at(&agg->sites, i))
				close_site(agg, bw_u64map__val_at(&agg->sites, i));
		forget_stale_waiters(agg);
	}
	evict_idle_sites(agg);
}

void bw_agg__forget_process(struct bw_agg *agg, pid_t pid)
{
	for (size_t i = 0; i < agg->sites.cap;) {
		struct bw_site *s = bw_u64map__val_at(&agg->sites, i);

		if (s && s->pid == pid) {
			bw_u64map__del(&agg->sites, s->id);
			free_site(s);
			continue;
		}
		i++;
	}
	/*
	 * Its waiters too (those whose site is gone): one seen again at the same
	 * place after exec() would otherwise keep its old age.
	 */
	for (size_t i = 0; i < agg->waiters.cap;) {
		struct waiter *w = bw_u64map__val_at(&agg->waiters, i);

		if (w && !bw_u64map__get(&agg->sites, w->site_id)) {
			free(bw_u64map__del(&agg->waiters, bw_u64map__key_at(&agg->waiters, i)));
			continue;
		}
		i++;
	}
}

static int cmp_blocked(const void *a, const void *b)
{
	const struct bw_site *x = *(struct bw_site *const *)a, *y = *(struct bw_site *const *)b;

	if (x->blocked != y->blocked)
		return x->blocked > y->blocked ? -1 : 1;
	if (x->oldest_age_ns != y->oldest_age_ns)
		return x->oldest_age_ns > y->oldest_age_ns ? -1 : 1;
	if (x->waits_interval != y->waits_interval)
		return x->waits_interval > y->waits_interval ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_oldest(const void *a, const void *b)
{
	const struct bw_site *x = *(struct bw_site *const *)a, *y = *(struct bw_site *const *)b;

	if (x->oldest_age_ns != y->oldest_age_ns)
		return x->oldest_age_ns > y->oldest_age_ns ? -1 : 1;
	return cmp_blocked(a, b);
}

static int cmp_waits(const void *a, const void *b)
{
	const struct bw_site *x = *(struct bw_site *const *)a, *y = *(struct bw_site *const *)b;

	if (x->waits_interval != y->waits_interval)
		return x->waits_interval > y->waits_interval ? -1 : 1;
	return cmp_blocked(a, b);
}

static int cmp_max_wait(const void *a, const void *b)
{
	const struct bw_site *x = *(struct bw_site *const *)a, *y = *(struct bw_site *const *)b;

	if (x->wait_max_interval_ns != y->wait_max_interval_ns)
		return x->wait_max_interval_ns > y->wait_max_interval_ns ? -1 : 1;
	return cmp_blocked(a, b);
}

static int (*const comparators[])(const void *, const void *) = {
	[BW_SORT_BLOCKED] = cmp_blocked,
	[BW_SORT_OLDEST] = cmp_oldest,
	[BW_SORT_WAITS] = cmp_waits,
	[BW_SORT_MAX_WAIT] = cmp_max_wait,
};

int bw_agg__sites(struct bw_agg *agg, enum bw_sort sort, struct bw_site ***out, size_t *n)
{
	struct bw_site **v = malloc((agg->sites.len + 1) * sizeof(*v));
	size_t count = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < agg->sites.cap; i++) {
		struct bw_site *s = bw_u64map__val_at(&agg->sites, i);

		if (s && (s->blocked || s->waits_interval))
			v[count++] = s;
	}
	if ((unsigned int)sort > BW_SORT_MAX_WAIT)
		sort = BW_SORT_BLOCKED;
	qsort(v, count, sizeof(*v), comparators[sort]);
	*out = v;
	*n = count;
	return 0;
}

size_t bw_agg__site_count(const struct bw_agg *agg)
{
	return agg->sites.len;
}

uint64_t bw_agg__now(const struct bw_agg *agg)
{
	return agg->now_ns;
}

uint64_t bw_agg__evicted(const struct bw_agg *agg)
{
	return agg->evicted;
}
