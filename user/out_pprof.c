// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "escape.h"
#include "out_pprof.h"
#include "safefile.h"
#include "trend.h"
#include "u64map.h"

#ifndef BW_VERSION
#define BW_VERSION "unknown"
#endif

/* ---- a protobuf writer: the wire types profile.proto uses ---- */

enum { PB_VARINT = 0, PB_LEN = 2 };

struct pbuf {
	uint8_t *data;
	size_t len, cap;
	bool oom; /* sticky: checked once at the end */
};

static void pb_put(struct pbuf *b, const void *p, size_t n)
{
	if (b->oom || !n)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap < b->len + n)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d) {
			b->oom = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void pb_varint(struct pbuf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		tmp[n++] |= v ? 0x80 : 0;
	} while (v);
	pb_put(b, tmp, n);
}

static void pb_tag(struct pbuf *b, unsigned int field, unsigned int wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

/* A scalar field; proto3 leaves zeros out. int64 values go as their two's complement. */
static void pb_uint(struct pbuf *b, unsigned int field, uint64_t v)
{
	if (!v)
		return;
	pb_tag(b, field, PB_VARINT);
	pb_varint(b, v);
}

static void pb_bytes(struct pbuf *b, unsigned int field, const void *p, size_t n)
{
	pb_tag(b, field, PB_LEN);
	pb_varint(b, n);
	pb_put(b, p, n);
}

/* A nested message, already encoded in sub; sub is emptied for reuse. */
static void pb_msg(struct pbuf *b, unsigned int field, struct pbuf *sub)
{
	if (sub->oom)
		b->oom = true;
	pb_bytes(b, field, sub->data, sub->len);
	sub->len = 0;
}

/* A packed repeated varint field. */
static void pb_packed(struct pbuf *b, unsigned int field, const uint64_t *v, size_t n,
		      struct pbuf *scratch)
{
	for (size_t i = 0; i < n; i++)
		pb_varint(scratch, v[i]);
	pb_msg(b, field, scratch);
}

/* ---- profile.proto field numbers ---- */

enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	LABEL_NUM_UNIT = 4,
	MAPPING_ID = 1,
	MAPPING_FILENAME = 5,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
};

/* ---- the profile being built ---- */

struct loc_key {
	pid_t pid;
	uint64_t addr;
	bool kernel;
};

struct builder {
	struct pbuf samples, mappings, locations, functions;
	struct pbuf sub, sub2; /* scratch for nested messages */
	char **strings;	       /* the string table, "" first */
	size_t nstrings;
	struct bw_u64map string_ids;   /* string hash (probed) -> index + 1 */
	struct bw_u64map function_ids; /* name index << 32 | file index -> id */
	struct bw_u64map mapping_ids;  /* pid << 32 | module name index -> id */
	struct loc_key *locs;	       /* location id - 1 -> its key */
	size_t nlocs;
	struct bw_u64map loc_ids; /* (pid, addr) hash (probed) -> id */
	bool oom;
};

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The index of s in the string table (s is copied); 0 ("") when out of memory. */
static int64_t intern(struct builder *b, const char *s)
{
	uint64_t h = fnv1a(s, strlen(s), 0xcbf29ce484222325ULL);
	char **v, *copy;
	void *found;

	/* equal hashes of different strings take the next key */
	while ((found = bw_u64map__get(&b->string_ids, h))) {
		size_t idx = (size_t)(uintptr_t)found - 1;

		if (!strcmp(b->strings[idx], s))
			return (int64_t)idx;
		h++;
	}
	v = realloc(b->strings, (b->nstrings + 1) * sizeof(*v));
	if (v)
		b->strings = v;
	copy = v ? strdup(s) : NULL;
	if (!copy || bw_u64map__put(&b->string_ids, h, (void *)(uintptr_t)(b->nstrings + 1))) {
		free(copy);
		b->oom = true;
		return 0;
	}
	b->strings[b->nstrings] = copy;
	return (int64_t)b->nstrings++;
}

/* A string from the target, made safe for the terminals pprof prints to. */
static int64_t intern_target(struct builder *b, const char *s, size_t max)
{
	size_t len = s ? strnlen(s, max) : 0, need;
	char stack[256], *buf = stack;
	int64_t idx;

	need = bw_escape_term(stack, sizeof(stack), s, len) + 1;
	if (need > sizeof(stack)) {
		buf = malloc(need);
		if (!buf) {
			b->oom = true;
			return 0;
		}
		bw_escape_term(buf, need, s, len);
	}
	idx = intern(b, buf);
	if (buf != stack)
		free(buf);
	return idx;
}

static void put_value_type(struct builder *b, struct pbuf *out, unsigned int field,
			   const char *type, const char *unit)
{
	pb_uint(&b->sub, VALUE_TYPE_TYPE, (uint64_t)intern(b, type));
	pb_uint(&b->sub, VALUE_TYPE_UNIT, (uint64_t)intern(b, unit));
	pb_msg(out, field, &b->sub);
}

/* Unnamed frames are named by their address, as in the other outputs. */
static uint64_t function_id(struct builder *b, const struct bw_frame_name *f)
{
	char addr[24];
	int64_t name;

	snprintf(addr, sizeof(addr), "0x%" PRIx64, f->addr);
	name = intern_target(b, f->function ? f->function : addr, SIZE_MAX >> 1);
	int64_t file = intern_target(b, f->file, SIZE_MAX >> 1);
	uint64_t key = (uint64_t)name << 32 | (uint64_t)file, id;
	void *found = bw_u64map__get(&b->function_ids, key);

	if (found)
		return (uint64_t)(uintptr_t)found;
	id = b->function_ids.len + 1;
	if (bw_u64map__put(&b->function_ids, key, (void *)(uintptr_t)id)) {
		b->oom = true;
		return 0;
	}
	pb_uint(&b->sub2, FUNCTION_ID, id);
	pb_uint(&b->sub2, FUNCTION_NAME, (uint64_t)name);
	pb_uint(&b->sub2, FUNCTION_SYSTEM_NAME, (uint64_t)name);
	pb_uint(&b->sub2, FUNCTION_FILENAME, (uint64_t)file);
	pb_msg(&b->functions, PROFILE_FUNCTION, &b->sub2);
	return id;
}

/*
 * A mapping per (pid, module), named and marked symbolized: pprof then
 * neither looks for the binaries nor warns that it cannot. Addresses are
 * absolute, so the mapping's range is left unknown (0).
 */
static uint64_t mapping_id(struct builder *b, pid_t pid, const char *module)
{
	int64_t name = intern_target(b, module ? module : "[unknown]", SIZE_MAX >> 1);
	uint64_t key = (uint64_t)(uint32_t)pid << 32 | (uint64_t)name, id;
	void *found = bw_u64map__get(&b->mapping_ids, key);

	if (found)
		return (uint64_t)(uintptr_t)found;
	id = b->mapping_ids.len + 1;
	if (bw_u64map__put(&b->mapping_ids, key, (void *)(uintptr_t)id)) {
		b->oom = true;
		return 0;
	}
	pb_uint(&b->sub2, MAPPING_ID, id);
	pb_uint(&b->sub2, MAPPING_FILENAME, (uint64_t)name);
	pb_uint(&b->sub2, MAPPING_HAS_FUNCTIONS, 1);
	pb_uint(&b->sub2, MAPPING_HAS_FILENAMES, 1);
	pb_uint(&b->sub2, MAPPING_HAS_LINE_NUMBERS, 1);
	pb_msg(&b->mappings, PROFILE_MAPPING, &b->sub2);
	return id;
}

static uint64_t loc_hash(const struct loc_key *k)
{
	uint64_t h = fnv1a(&k->pid, sizeof(k->pid), 0xcbf29ce484222325ULL);

	h = fnv1a(&k->addr, sizeof(k->addr), h);
	return fnv1a(&k->kernel, sizeof(k->kernel), h);
}

/*
 * The location of a frame, one per (pid, address), with its function and
 * line: one line per frame f[0..n), the calls inlined there first, the
 * function they are in last (as profile.proto orders them).
 */
static uint64_t location_id(struct builder *b, pid_t pid, const struct bw_frame_name *f, int n,
			    bool kernel)
{
	struct loc_key key = { .pid = pid, .addr = f->addr, .kernel = kernel }, *v;
	uint64_t h = loc_hash(&key), id, fid[BW_SYM_MAX_FRAMES], mid;
	void *found;

	while ((found = bw_u64map__get(&b->loc_ids, h))) {
		const struct loc_key *k = &b->locs[(uintptr_t)found - 1];

		if (k->pid == pid && k->addr == f->addr && k->kernel == kernel)
			return (uint64_t)(uintptr_t)found;
		h++;
	}
	v = realloc(b->locs, (b->nlocs + 1) * sizeof(*v));
	if (!v || bw_u64map__put(&b->loc_ids, h, (void *)(uintptr_t)(b->nlocs + 1))) {
		if (v)
			b->locs = v;
		b->oom = true;
		return 0;
	}
	b->locs = v;
	b->locs[b->nlocs++] = key;
	id = b->nlocs;
	/* functions first: function_id writes its own messages through sub2 */
	for (int i = 0; i < n; i++)
		fid[i] = function_id(b, &f[i]);
	mid = mapping_id(b, pid, f[n - 1].module);
	pb_uint(&b->sub, LOCATION_ID, id);
	pb_uint(&b->sub, LOCATION_MAPPING_ID, mid);
	pb_uint(&b->sub, LOCATION_ADDRESS, f->addr);
	for (int i = 0; i < n; i++) {
		pb_uint(&b->sub2, LINE_FUNCTION_ID, fid[i]);
		pb_uint(&b->sub2, LINE_LINE, f[i].line > 0 ? (uint64_t)f[i].line : 0);
		pb_msg(&b->sub, LOCATION_LINE, &b->sub2);
	}
	pb_msg(&b->locations, PROFILE_LOCATION, &b->sub);
	return id;
}

static void label_str(struct builder *b, struct pbuf *sample, const char *key, int64_t str)
{
	pb_uint(&b->sub2, LABEL_KEY, (uint64_t)intern(b, key));
	pb_uint(&b->sub2, LABEL_STR, (uint64_t)str);
	pb_msg(sample, SAMPLE_LABEL, &b->sub2);
}

static void label_num(struct builder *b, struct pbuf *sample, const char *key, int64_t num,
		      const char *unit)
{
	pb_uint(&b->sub2, LABEL_KEY, (uint64_t)intern(b, key));
	pb_uint(&b->sub2, LABEL_NUM, (uint64_t)num);
	if (unit)
		pb_uint(&b->sub2, LABEL_NUM_UNIT, (uint64_t)intern(b, unit));
	pb_msg(sample, SAMPLE_LABEL, &b->sub2);
}

static const char *comm_of(const struct bw_report *rep, pid_t pid)
{
	for (size_t i = 0; i < rep->nprocs; i++)
		if (rep->procs[i].pid == pid)
			return rep->procs[i].comm;
	return NULL;
}

static void add_labels(struct builder *b, const struct bw_report *rep, const struct bw_site *s)
{
	char id[20];

	snprintf(id, sizeof(id), "%016" PRIx64, s->id);
	label_str(b, &b->sub, "reason", intern_target(b, s->reason, sizeof(s->reason)));
	label_str(b, &b->sub, "kind", intern(b, bw_site_kind_name(s->kind)));
	label_str(b, &b->sub, "comm", intern_target(b, comm_of(rep, s->pid), BW_COMM_LEN));
	label_str(b, &b->sub, "verdict", intern(b, bw_verdict_name(s->verdict)));
	label_str(b, &b->sub, "site", intern(b, id));
	label_num(b, &b->sub, "pid", s->pid, NULL);
	label_num(b, &b->sub, "oldest_age", (int64_t)s->oldest_age_ns, "nanoseconds");
	if (s->oldest_is_lower_bound)
		label_str(b, &b->sub, "age_lower_bound", intern(b, "true"));
}

/* Frames of one address: its inlined calls and the function they are in (aggregate.h). */
static int inline_group(const struct bw_frame_name *f, int n)
{
	int k = 1;

	while (k < n && k < BW_SYM_MAX_FRAMES && f[k - 1].inlined && f[k].addr == f[0].addr)
		k++;
	return k;
}

/* One sample: the site's stack, leaf first, kernel frames before user frames. */
static void add_sample(struct builder *b, const struct bw_report *rep, const struct bw_site *s)
{
	uint64_t locs[2 * BW_MAX_STACK_DEPTH], values[2] = { s->blocked, s->age_sum_ns };
	size_t n = 0;

	for (int i = 0; i < s->nkframes && n < BW_MAX_STACK_DEPTH; i++)
		locs[n++] = location_id(b, s->pid, &s->kframes[i], 1, true);
	for (int i = 0, k; i < s->nframes && n < 2 * BW_MAX_STACK_DEPTH; i += k) {
		k = inline_group(&s->frames[i], s->nframes - i);
		locs[n++] = location_id(b, s->pid, &s->frames[i], k, false);
	}
	pb_packed(&b->sub, SAMPLE_LOCATION_ID, locs, n, &b->sub2);
	pb_packed(&b->sub, SAMPLE_VALUE, values, 2, &b->sub2);
	add_labels(b, rep, s);
	pb_msg(&b->samples, PROFILE_SAMPLE, &b->sub);
}

static void builder_release(struct builder *b)
{
	for (size_t i = 0; i < b->nstrings; i++)
		free(b->strings[i]);
	free(b->strings);
	free(b->samples.data);
	free(b->mappings.data);
	free(b->locations.data);
	free(b->functions.data);
	free(b->sub.data);
	free(b->sub2.data);
	free(b->locs);
	bw_u64map__free(&b->string_ids);
	bw_u64map__free(&b->function_ids);
	bw_u64map__free(&b->mapping_ids);
	bw_u64map__free(&b->loc_ids);
}

static int add_sites(struct builder *b, const struct bw_report *rep)
{
	struct bw_site **sites;
	size_t n;
	int err;

	if (!rep->agg)
		return 0;
	err = bw_agg__sites(rep->agg, BW_SORT_BLOCKED, &sites, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (sites[i]->blocked) /* a profile of what is blocked now */
			add_sample(b, rep, sites[i]);
	free(sites);
	return 0;
}

/* Profile fields in their order: head (sample types), the tables, strings, tail. */
static void assemble(struct builder *b, const struct bw_report *rep,
		     const struct bw_pprof_opts *opts, struct pbuf *out)
{
	struct pbuf head = { 0 }, tail = { 0 };
	int64_t blocked = intern(b, "blocked");

	put_value_type(b, &head, PROFILE_SAMPLE_TYPE, "blocked", "count");
	put_value_type(b, &head, PROFILE_SAMPLE_TYPE, "age", "nanoseconds");
	pb_uint(&tail, PROFILE_TIME_NANOS, opts ? opts->time_ns : 0);
	pb_uint(&tail, PROFILE_DURATION_NANOS, (uint64_t)(rep->interval_s * 1e9));
	put_value_type(b, &tail, PROFILE_PERIOD_TYPE, "blocked", "count");
	pb_uint(&tail, PROFILE_PERIOD, 1);
	pb_uint(&tail, PROFILE_COMMENT, (uint64_t)intern(b, "blockwatch " BW_VERSION));
	pb_uint(&tail, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)blocked);
	pb_put(out, head.data, head.len);
	pb_put(out, b->samples.data, b->samples.len);
	pb_put(out, b->mappings.data, b->mappings.len);
	pb_put(out, b->locations.data, b->locations.len);
	pb_put(out, b->functions.data, b->functions.len);
	for (size_t i = 0; i < b->nstrings; i++)
		pb_bytes(out, PROFILE_STRING_TABLE, b->strings[i], strlen(b->strings[i]));
	pb_put(out, tail.data, tail.len);
	out->oom |= head.oom || tail.oom;
	free(head.data);
	free(tail.data);
}

int bw_pprof_encode(const struct bw_report *rep, const struct bw_pprof_opts *opts, uint8_t **buf,
		    size_t *len)
{
	struct builder b = { 0 };
	struct pbuf out = { 0 };
	int err;

	bw_u64map__init(&b.string_ids);
	bw_u64map__init(&b.function_ids);
	bw_u64map__init(&b.mapping_ids);
	bw_u64map__init(&b.loc_ids);
	intern(&b, ""); /* index 0, as profile.proto requires */
	err = add_sites(&b, rep);
	if (!err)
		assemble(&b, rep, opts, &out);
	if (!err && (b.oom || out.oom || b.samples.oom || b.mappings.oom || b.locations.oom ||
		     b.functions.oom))
		err = -ENOMEM;
	builder_release(&b);
	if (err) {
		free(out.data);
		return err;
	}
	*buf = out.data ? out.data : malloc(1);
	*len = out.len;
	return *buf ? 0 : -ENOMEM;
}

/* gzip (deflate with a gzip header: windowBits 15 + 16), as pprof expects. */
static int gzip_to(FILE *f, const uint8_t *data, size_t len)
{
	z_stream zs = { 0 };
	uint8_t out[16384];
	int zerr, err = 0;

	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len; /* profiles stay far below 4 GiB */
	do {
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zerr = deflate(&zs, Z_FINISH);
		if (zerr == Z_STREAM_ERROR) {
			err = -EIO;
			break;
		}
		if (fwrite(out, 1, sizeof(out) - zs.avail_out, f) != sizeof(out) - zs.avail_out) {
			err = -EIO;
			break;
		}
	} while (zerr != Z_STREAM_END);
	deflateEnd(&zs);
	return err;
}

int bw_pprof_write(FILE *f, const struct bw_report *rep, const struct bw_pprof_opts *opts)
{
	uint8_t *buf;
	size_t len;
	int err = bw_pprof_encode(rep, opts, &buf, &len);

	if (err)
		return err;
	err = gzip_to(f, buf, len);
	free(buf);
	return err;
}

/* ---- the file output ---- */

static int fill(FILE *f, const void *rep, const void *opts)
{
	struct bw_pprof_opts o = { 0 };
	struct timespec ts;

	(void)opts;
	clock_gettime(CLOCK_REALTIME, &ts);
	o.time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	return bw_pprof_write(f, rep, &o);
}

struct bw_report_file *bw_out_pprof__new(const char *path)
{
	return bw_report_file__new(path, fill, NULL, 0);
}
