// SPDX-License-Identifier: BSD-2-Clause
/*
 * pprof profiles of sites built by the real aggregator, decoded back by a
 * small protobuf reader written here (independent of the encoder), then
 * read by the real `go tool pprof` (skipped when Go is not installed).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "fixture_sites.h"
#include "out_pprof.h"
#include "trend.h"

#define UNUSED __attribute__((unused))
#define MAX 64

/* ---- a protobuf reader for the fields profile.proto uses ---- */

struct field {
	unsigned int num, wire;
	uint64_t v;	  /* varint */
	const uint8_t *p; /* length-delimited */
	size_t len;
};

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* The next field of [*p, end); false at the end, fails the test on bad input. */
static bool next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key;

	if (*p >= end)
		return false;
	assert_true(read_varint(p, end, &key));
	f->num = (unsigned int)(key >> 3);
	f->wire = key & 7;
	if (f->wire == 0) {
		assert_true(read_varint(p, end, &f->v));
	} else if (f->wire == 2) {
		assert_true(read_varint(p, end, &f->v));
		assert_true(f->v <= (uint64_t)(end - *p));
		f->p = *p;
		f->len = (size_t)f->v;
		*p += f->len;
	} else {
		fail_msg("unexpected wire type %u", f->wire);
	}
	return true;
}

/* A repeated varint field, packed or not: appended to v. */
static void add_varints(const struct field *f, uint64_t *v, int *n)
{
	const uint8_t *p = f->p, *end = f->p + f->len;

	if (f->wire == 0) {
		assert_true(*n < MAX);
		v[(*n)++] = f->v;
		return;
	}
	while (p < end) {
		assert_true(*n < MAX);
		assert_true(read_varint(&p, end, &v[(*n)++]));
	}
}

struct label {
	uint64_t key, str, num, unit;
};

struct sample {
	uint64_t locs[MAX], values[MAX];
	int nlocs, nvalues;
	struct label labels[16];
	int nlabels;
};

struct location {
	uint64_t id, mapping, addr, function, line;
};

struct function {
	uint64_t id, name, system_name, file;
};

struct profile {
	char *strings[512];
	int nstrings;
	uint64_t sample_types[8][2];
	int ntypes;
	struct sample samples[64];
	int nsamples;
	struct location locs[256];
	int nlocs;
	struct function funcs[256];
	int nfuncs;
	uint64_t default_type, time_ns, comment[4];
	int ncomments;
};

/* Decode the fields of a small message into up to 8 varints by field number. */
static void decode_small(const uint8_t *p, size_t len, uint64_t *v, unsigned int max,
			 const uint8_t **nested, size_t *nested_len, unsigned int nested_num)
{
	const uint8_t *end = p + len;
	struct field f;

	while (next_field(&p, end, &f)) {
		if (f.wire == 2 && f.num == nested_num) {
			*nested = f.p;
			*nested_len = f.len;
		} else if (f.wire == 0 && f.num < max) {
			v[f.num] = f.v;
		}
	}
}

static void decode_sample(const struct field *f, struct sample *s)
{
	const uint8_t *p = f->p, *end = f->p + f->len;
	struct field g;

	memset(s, 0, sizeof(*s));
	while (next_field(&p, end, &g)) {
		uint64_t v[8] = { 0 };

		if (g.num == 1)
			add_varints(&g, s->locs, &s->nlocs);
		else if (g.num == 2)
			add_varints(&g, s->values, &s->nvalues);
		else if (g.num == 3) {
			assert_true(s->nlabels < 16);
			decode_small(g.p, g.len, v, 8, NULL, NULL, 0);
			s->labels[s->nlabels++] = (struct label){ v[1], v[2], v[3], v[4] };
		}
	}
}

static void decode_location(const struct field *f, struct location *l)
{
	const uint8_t *line = NULL;
	size_t line_len = 0;
	uint64_t v[8] = { 0 }, lv[8] = { 0 };

	decode_small(f->p, f->len, v, 8, &line, &line_len, 4);
	if (line)
		decode_small(line, line_len, lv, 8, NULL, NULL, 0);
	*l = (struct location){ v[1], v[2], v[3], lv[1], lv[2] };
}

static void decode_profile(const uint8_t *buf, size_t len, struct profile *pr)
{
	const uint8_t *p = buf, *end = buf + len;
	struct field f;

	memset(pr, 0, sizeof(*pr));
	while (next_field(&p, end, &f)) {
		uint64_t v[8] = { 0 };

		switch (f.num) {
		case 1:
			decode_small(f.p, f.len, v, 8, NULL, NULL, 0);
			pr->sample_types[pr->ntypes][0] = v[1];
			pr->sample_types[pr->ntypes++][1] = v[2];
			break;
		case 2:
			decode_sample(&f, &pr->samples[pr->nsamples++]);
			break;
		case 4:
			decode_location(&f, &pr->locs[pr->nlocs++]);
			break;
		case 5:
			decode_small(f.p, f.len, v, 8, NULL, NULL, 0);
			pr->funcs[pr->nfuncs++] = (struct function){ v[1], v[2], v[3], v[4] };
			break;
		case 6:
			pr->strings[pr->nstrings++] = strndup((const char *)f.p, f.len);
			break;
		case 9:
			pr->time_ns = f.v;
			break;
		case 13:
			add_varints(&f, pr->comment, &pr->ncomments);
			break;
		case 14:
			pr->default_type = f.v;
			break;
		}
	}
}

static void free_profile(struct profile *pr)
{
	for (int i = 0; i < pr->nstrings; i++)
		free(pr->strings[i]);
}

static const char *str(const struct profile *pr, uint64_t i)
{
	assert_true(i < (uint64_t)pr->nstrings);
	return pr->strings[i];
}

static const struct function *func(const struct profile *pr, uint64_t id)
{
	for (int i = 0; i < pr->nfuncs; i++)
		if (pr->funcs[i].id == id)
			return &pr->funcs[i];
	fail_msg("no function %llu", (unsigned long long)id);
	return NULL;
}

static const struct location *loc(const struct profile *pr, uint64_t id)
{
	for (int i = 0; i < pr->nlocs; i++)
		if (pr->locs[i].id == id)
			return &pr->locs[i];
	fail_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

/* The function name at a sample's k-th location (leaf first). */
static const char *frame_name(const struct profile *pr, const struct sample *s, int k)
{
	assert_true(k < s->nlocs);
	return str(pr, func(pr, loc(pr, s->locs[k])->function)->name);
}

static const struct label *label(const struct profile *pr, const struct sample *s, const char *key)
{
	for (int i = 0; i < s->nlabels; i++)
		if (!strcmp(str(pr, s->labels[i].key), key))
			return &s->labels[i];
	fail_msg("no label '%s'", key);
	return NULL;
}

/* ---- tests ---- */

static struct bw_site *site_of_kind(struct bw_agg *agg, enum bw_site_kind kind)
{
	struct bw_site **sites, *found = NULL;
	size_t n;

	assert_int_equal(bw_agg__sites(agg, BW_SORT_BLOCKED, &sites, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (sites[i]->kind == kind)
			found = sites[i];
	free(sites);
	assert_non_null(found);
	return found;
}

static void test_out_pprof__decode(void **state UNUSED)
{
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep = fx_report(agg);
	struct bw_pprof_opts opts = { .time_ns = 1700000000000000000ULL };
	const struct sample *g = NULL, *t = NULL;
	struct profile *pr = calloc(1, sizeof(*pr));
	uint8_t *buf;
	size_t len;

	site_of_kind(agg, BW_KIND_GOROUTINE)->verdict = BW_VERDICT_LEAK;
	assert_int_equal(bw_pprof_encode(&rep, &opts, &buf, &len), 0);
	decode_profile(buf, len, pr);
	assert_string_equal(str(pr, 0), "");
	assert_int_equal(pr->ntypes, 2);
	assert_string_equal(str(pr, pr->sample_types[0][0]), "blocked");
	assert_string_equal(str(pr, pr->sample_types[0][1]), "count");
	assert_string_equal(str(pr, pr->sample_types[1][0]), "age");
	assert_string_equal(str(pr, pr->sample_types[1][1]), "nanoseconds");
	assert_string_equal(str(pr, pr->default_type), "blocked");
	assert_int_equal(pr->time_ns, opts.time_ns);
	assert_int_equal(pr->ncomments, 1);
	assert_string_equal(str(pr, pr->comment[0]), "blockwatch " BW_VERSION);
	assert_int_equal(pr->nsamples, 2);
	for (int i = 0; i < pr->nsamples; i++) {
		const char *kind = str(pr, label(pr, &pr->samples[i], "kind")->str);

		if (!strcmp(kind, "goroutine"))
			g = &pr->samples[i];
		else if (!strcmp(kind, "futex"))
			t = &pr->samples[i];
	}
	assert_non_null(g);
	assert_non_null(t);
	/* three goroutines, each 2 s old; leaf first */
	assert_int_equal(g->nvalues, 2);
	assert_int_equal(g->values[0], 3);
	assert_int_equal(g->values[1], 6 * FX_NS);
	assert_int_equal(g->nlocs, 3);
	assert_string_equal(frame_name(pr, g, 0), "runtime.gopark");
	assert_string_equal(frame_name(pr, g, 1), "main.worker");
	assert_string_equal(frame_name(pr, g, 2), "main.main");
	assert_int_equal(loc(pr, g->locs[1])->addr, 0x2000);
	assert_int_equal(loc(pr, g->locs[1])->line, 42);
	assert_string_equal(str(pr, func(pr, loc(pr, g->locs[1])->function)->file),
			    "/src/app/main.go");
	assert_string_equal(str(pr, label(pr, g, "reason")->str), "chan receive");
	assert_string_equal(str(pr, label(pr, g, "verdict")->str), "leak");
	assert_string_equal(str(pr, label(pr, g, "comm")->str), "app");
	assert_int_equal(strlen(str(pr, label(pr, g, "site")->str)), 16);
	assert_int_equal(label(pr, g, "pid")->num, 100);
	assert_int_equal(label(pr, g, "oldest_age")->num, 2 * FX_NS);
	assert_string_equal(str(pr, label(pr, g, "oldest_age")->unit), "nanoseconds");
	assert_string_equal(str(pr, label(pr, g, "age_lower_bound")->str), "true");
	/* the thread: kernel frame first, the evil name made terminal-safe, then 0x9999 */
	assert_int_equal(t->values[0], 1);
	assert_int_equal(t->nlocs, 3);
	assert_string_equal(frame_name(pr, t, 0), "futex_wait_queue");
	assert_string_equal(frame_name(pr, t, 1), "main.evil\\x1b[2J\\n\"x\\\\;y z\\xff\\u009b");
	assert_string_equal(frame_name(pr, t, 2), "0x9999");
	assert_string_equal(str(pr, label(pr, t, "verdict")->str), "ok");
	assert_int_equal(label(pr, t, "oldest_age")->num, 11 * FX_NS);
	for (int i = 0; i < pr->nstrings; i++)
		assert_null(strchr(pr->strings[i], 0x1b));
	/* the shared frame is one location, one function */
	assert_int_equal(pr->nlocs, 6);
	assert_int_equal(pr->nfuncs, 6);
	free_profile(pr);
	free(pr);
	free(buf);
	bw_agg__free(agg);
}

static void test_out_pprof__gzip(void **state UNUSED)
{
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep = fx_report(agg);
	struct bw_pprof_opts opts = { .time_ns = 1 };
	uint8_t *raw, *plain = malloc(1 << 16);
	char *gz = NULL;
	size_t rawlen, gzlen = 0;
	uLongf plainlen = 1 << 16;
	z_stream zs = { 0 };
	FILE *f = open_memstream(&gz, &gzlen);

	assert_int_equal(bw_pprof_encode(&rep, &opts, &raw, &rawlen), 0);
	assert_int_equal(bw_pprof_write(f, &rep, &opts), 0);
	fclose(f);
	assert_true(gzlen > 18);
	assert_int_equal((uint8_t)gz[0], 0x1f); /* gzip magic */
	assert_int_equal((uint8_t)gz[1], 0x8b);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = plain;
	zs.avail_out = (uInt)plainlen;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, rawlen);
	assert_memory_equal(plain, raw, rawlen);
	inflateEnd(&zs);
	free(raw);
	free(plain);
	free(gz);
	bw_agg__free(agg);
}

static void test_out_pprof__empty(void **state UNUSED)
{
	struct bw_report rep = { .interval_s = 1 };
	struct profile *pr = calloc(1, sizeof(*pr));
	uint8_t *buf;
	size_t len;

	assert_int_equal(bw_pprof_encode(&rep, NULL, &buf, &len), 0);
	decode_profile(buf, len, pr);
	assert_int_equal(pr->nsamples, 0);
	assert_int_equal(pr->ntypes, 2);
	assert_string_equal(str(pr, 0), "");
	free_profile(pr);
	free(pr);
	free(buf);
}

/* Run argv, its stdout and stderr into out; returns the exit status (-1: not run). */
static int run(char *const argv[], char *out, size_t size)
{
	int pipefd[2], status = -1;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (got + 1 < size && (r = read(pipefd[0], out + got, size - got - 1)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The real reader: go tool pprof -top and -traces list the sites' functions and counts. */
static void test_out_pprof__go_tool_pprof(void **state UNUSED)
{
	char dir[] = "/tmp/bw_pprof_XXXXXX", path[64], *out = malloc(1 << 16);
	char *top[] = { "go", "tool", "pprof", "-top", path, NULL };
	char *traces[] = { "go", "tool", "pprof", "-traces", path, NULL };
	char *version[] = { "go", "version", NULL };
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep = fx_report(agg);
	struct bw_report_file *p;
	struct stat st;

	if (run(version, out, 1 << 16) != 0) {
		free(out);
		bw_agg__free(agg);
		skip(); /* Go not installed */
	}
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/blocked.pb.gz", dir);
	p = bw_out_pprof__new(path);
	assert_non_null(p);
	assert_int_equal(bw_report_file__update(p, &rep), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	if (run(top, out, 1 << 16) != 0)
		fail_msg("go tool pprof -top failed: %s", out);
	assert_non_null(strstr(out, "Type: blocked"));
	assert_non_null(strstr(out, "Total samples = 4"));
	/* flat 3 in runtime.gopark, cum 3 in main.worker */
	assert_non_null(strstr(out, "3 75.00% 75.00%          3 75.00%  runtime.gopark"));
	assert_non_null(strstr(out, "3 75.00%  main.worker"));
	assert_non_null(strstr(out, "1 25.00%   100%          1 25.00%  futex_wait_queue"));
	assert_null(strchr(out, 0x1b));
	if (run(traces, out, 1 << 16) != 0)
		fail_msg("go tool pprof -traces failed: %s", out);
	assert_non_null(strstr(out, "reason:  chan receive"));
	assert_non_null(strstr(out, "oldest_age:  2s"));
	assert_non_null(strstr(out, "3   runtime.gopark\n             main.worker\n"));
	bw_report_file__free(p);
	unlink(path);
	rmdir(dir);
	free(out);
	bw_agg__free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_pprof__decode),
		cmocka_unit_test(test_out_pprof__gzip),
		cmocka_unit_test(test_out_pprof__empty),
		cmocka_unit_test(test_out_pprof__go_tool_pprof),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
