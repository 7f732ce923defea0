// SPDX-License-Identifier: BSD-2-Clause
/*
 * SVG flame graphs of sites built by the real aggregator: well-formed XML
 * (checked by Python's parser too) whatever the target calls things,
 * widths proportional to the waiters, prefixes merged, the leak colour,
 * tooltips, labels cut to their rectangle, and the atomic file.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "escape.h"
#include "fixture_sites.h"
#include "out_flame.h"
#include "trend.h"

#define UNUSED __attribute__((unused))

/* One drawn frame as read back from the SVG. */
struct rect {
	char title[512];
	char text[512];
	double x, y, w;
	unsigned int r, g, b;
};

static char *render(const struct bw_report *rep, const struct bw_flame_opts *opts)
{
	struct bw_flame_opts o = { .when = 1700000000 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (opts)
		o = *opts;
	assert_non_null(f);
	assert_int_equal(bw_flame_write(f, rep, &o), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Parse the frames back: "<g><title>T</title><rect .../>[<text ...>L</text>]</g>". */
static size_t read_rects(const char *svg, struct rect *out, size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(svg, "<g><title>"); p && n < max;
	     p = strstr(p, "<g><title>"), n++) {
		const char *end = strstr(p, "</title>"), *t;
		struct rect *r = &out[n];
		double h;

		assert_non_null(end);
		p += strlen("<g><title>");
		assert_true((size_t)(end - p) < sizeof(r->title));
		memcpy(r->title, p, end - p);
		r->title[end - p] = '\0';
		assert_int_equal(sscanf(end,
					"</title><rect x=\"%lf\" y=\"%lf\" width=\"%lf\" "
					"height=\"%lf\" fill=\"rgb(%u,%u,%u)\"/>",
					&r->x, &r->y, &r->w, &h, &r->r, &r->g, &r->b),
				 7);
		r->text[0] = '\0';
		t = strstr(end, "/>");
		if (!strncmp(t, "/><text", 7)) {
			const char *s = strchr(t + 7, '>') + 1, *e = strstr(s, "</text>");

			memcpy(r->text, s, e - s);
			r->text[e - s] = '\0';
		}
		p = end;
	}
	return n;
}

static const struct rect *find(const struct rect *rects, size_t n, const char *title_prefix)
{
	const struct rect *found = NULL;

	for (size_t i = 0; i < n; i++)
		if (!strncmp(rects[i].title, title_prefix, strlen(title_prefix))) {
			assert_null(found); /* merged: one rectangle per prefix */
			found = &rects[i];
		}
	if (!found)
		fail_msg("no frame titled '%s...'", title_prefix);
	return found;
}

/* Valid UTF-8, no control character but newline, every '<' a tag. */
static void check_text(const char *svg)
{
	size_t len = strlen(svg);

	for (size_t k = 0; k < len;) {
		unsigned int cp;
		size_t u = bw_utf8_decode((const unsigned char *)svg + k, len - k, &cp);

		if (!u || (cp < 0x20 && cp != '\n') || (cp >= 0x7f && cp <= 0x9f))
			fail_msg("byte %zu is not safe text", k);
		if (cp == '<' && !strchr("?/grtsl", svg[k + 1]))
			fail_msg("a raw '<' at byte %zu: %.20s", k, svg + k);
		k += u;
	}
}

/* Python's XML parser must accept it: rects and titles are counted back. */
static void check_xml(const char *svg, size_t want_rects)
{
	char path[] = "/tmp/bw_flame_XXXXXX", cmd[256], out[64] = "";
	int fd = mkstemp(path);
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, svg, strlen(svg)), (ssize_t)strlen(svg));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
		 "print(len(d.getElementsByTagName(\"title\")))' %s 2>&1",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	assert_int_equal(pclose(p), 0);
	unlink(path);
	assert_int_equal(strtoul(out, NULL, 10), want_rects);
}

/* pid 100: 3 goroutines in "chan receive" and 1 in "chan send" under the same stack. */
static struct bw_agg *two_reasons(void)
{
	struct bw_agg *agg = fx_new_agg();

	bw_agg__begin(agg, FX_NS);
	assert_int_equal(
		fx_waiters(agg, 100, BW_KIND_GOROUTINE, "chan receive", fx_go_stack, 3, 3, 1), 0);
	assert_int_equal(
		fx_waiters(agg, 100, BW_KIND_GOROUTINE, "chan send", fx_go_stack, 3, 1, 10), 0);
	bw_agg__end(agg);
	return agg;
}

static void test_out_flame__widths_merged(void **state UNUSED)
{
	struct bw_agg *agg = two_reasons();
	struct bw_report rep = fx_report(agg);
	char *svg = render(&rep, NULL);
	struct rect rects[16];
	size_t n = read_rects(svg, rects, 16);
	const struct rect *root, *worker, *recv, *send;

	/* root, main.main, main.worker, runtime.gopark, then the two reasons */
	assert_int_equal(n, 6);
	root = find(rects, n, "app (100): 4 blocked");
	worker = find(rects, n, "main.worker (/src/app/main.go:42): 4 blocked, 100.0%");
	recv = find(rects, n, "[chan receive]: 3 blocked, 75.0%");
	send = find(rects, n, "[chan send]: 1 blocked, 25.0%");
	assert_true(recv->w > 2.99 * send->w && recv->w < 3.01 * send->w);
	assert_true(fabs(root->w - (recv->w + send->w)) < 0.02);
	assert_true(fabs(worker->w - root->w) < 0.01);
	/* root at the bottom, the widest child on the left, siblings side by side */
	assert_true(root->y > worker->y && worker->y > recv->y);
	assert_true(recv->y == send->y && fabs(recv->x + recv->w - send->x) < 0.02);
	assert_true(fabs(root->w - 1180) < 0.02);
	assert_string_equal(root->text, "app (100)");
	assert_non_null(strstr(svg, "4 blocked at 2 sites in 1 process, 0 leak sites"));
	assert_non_null(strstr(svg, "2023-11-14 22:13:20 UTC"));
	check_text(svg);
	check_xml(svg, n);
	free(svg);
	bw_agg__free(agg);
}

static bool is_leak_red(const struct rect *r)
{
	return r->r > 200 && r->g < 100 && r->b < 100;
}

static void test_out_flame__leak_colour(void **state UNUSED)
{
	struct bw_agg *agg = two_reasons();
	struct bw_report rep = fx_report(agg);
	struct bw_site **sites;
	struct rect rects[16];
	const struct rect *recv, *send, *root;
	size_t n;
	char *svg;

	assert_int_equal(bw_agg__sites(agg, BW_SORT_BLOCKED, &sites, &n), 0);
	assert_int_equal(n, 2);
	sites[1]->verdict = BW_VERDICT_LEAK; /* the "chan send" site */
	free(sites);
	svg = render(&rep, NULL);
	n = read_rects(svg, rects, 16);
	recv = find(rects, n, "[chan receive]:");
	send = find(rects, n, "[chan send]: 1 blocked, 25.0%, leak");
	root = find(rects, n, "app (100)");
	assert_true(is_leak_red(send));
	/* shared by a site that is not a leak: the goroutine blue */
	assert_false(is_leak_red(recv));
	assert_false(is_leak_red(root));
	assert_true(recv->b > 200 && recv->r < 140);
	assert_non_null(strstr(svg, "at 2 sites in 1 process, 1 leak site"));
	check_xml(svg, n);
	free(svg);
	bw_agg__free(agg);
}

/* Hostile comm, reason and names: nothing raw reaches the XML. */
static void test_out_flame__hostile_names(void **state UNUSED)
{
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep = fx_report(agg);
	struct rect rects[32];
	size_t n;
	char *svg;

	bw_agg__begin(agg, 13 * FX_NS);
	fx_waiters(agg, 100, BW_KIND_GOROUTINE, "chan receive", fx_go_stack, 3, 3, 1);
	fx_waiters(agg, 100, BW_KIND_OFFCPU, "a<b&'\x1b]0;x\x07\xfe", fx_thread_stack, 2, 2, 50);
	bw_agg__end(agg);
	memcpy(fx_procs[0].comm, "<x>&\"'\x1b\xff\xe2\x80\xaez</svg>", BW_COMM_LEN); /* no NUL */
	svg = render(&rep, NULL);
	n = read_rects(svg, rects, 32);
	check_text(svg);
	check_xml(svg, n);
	/* ESC, BEL, C1 CSI, bidi override and invalid bytes dropped, the rest escaped */
	find(rects, n, "&lt;x&gt;&amp;&quot;&apos;z&lt;/sv (100): 5 blocked");
	find(rects, n, "[a&lt;b&amp;&apos;]0;x]: 2 blocked");
	find(rects, n, "main.evil[2J&quot;x\\;y z (/src/evil&quot;\\.c:7): 2 blocked");
	assert_null(strstr(svg, "\x1b"));
	free(svg);
	bw_agg__free(agg);
}

/* A label longer than its rectangle is cut with "..", never past the right edge. */
static void test_out_flame__labels_fit(void **state UNUSED)
{
	struct bw_flame_opts opts = { .width = 300, .when = 1 };
	struct bw_agg *agg = fx_new_agg();
	struct bw_report rep = fx_report(agg);
	struct rect rects[64];
	uint64_t gen[20];
	size_t n, cut = 0;
	char *svg;

	for (unsigned int i = 0; i < 20; i++)
		gen[i] = fx_gen_frame(1000000 + i * 1111); /* main.gen1000000... */
	bw_agg__begin(agg, FX_NS);
	fx_waiters(agg, 100, BW_KIND_FUTEX, "futex_wait", gen, 20, 1, 1);
	fx_waiters(agg, 100, BW_KIND_FUTEX, "futex_wait", gen + 1, 19, 9, 10);
	bw_agg__end(agg);
	svg = render(&rep, &opts);
	n = read_rects(svg, rects, 64);
	assert_true(n > 20);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(rects[i].text);

		/* ASCII names here: one byte a character, 11 px * 0.59 each, 3 px margins */
		assert_true(len * 11 * 0.59 + 6 <= rects[i].w + 0.01);
		if (len > 2 && !strcmp(rects[i].text + len - 2, ".."))
			cut++;
		if (rects[i].w < 20)
			assert_int_equal(len, 0);
	}
	assert_true(cut > 0);
	check_xml(svg, n);
	free(svg);
	bw_agg__free(agg);
}

static void test_out_flame__waits(void **state UNUSED)
{
	struct bw_flame_opts opts = { .waits = true, .when = 1 };
	struct bw_agg *agg = fx_common_scene();
	struct bw_report rep = fx_report(agg);
	struct rect rects[16];
	size_t n;
	char *svg;

	rep.nprocs = 0; /* no summary: the root is named by its pid */
	svg = render(&rep, &opts);
	n = read_rects(svg, rects, 16);
	/* only the futex site completed waits: root, 0x9999, evil, kernel frame, reason */
	assert_int_equal(n, 5);
	find(rects, n, "pid 100: 10 waits, 100.0%");
	find(rects, n, "futex_wait_queue: 10 waits");
	assert_true(rects[0].r > 200 && rects[0].g >= 140); /* futex orange */
	assert_non_null(strstr(svg, "waits completed in the interval"));
	check_xml(svg, n);
	free(svg);
	bw_agg__free(agg);
}

static void test_out_flame__empty(void **state UNUSED)
{
	struct bw_report rep = { 0 };
	char *svg = render(&rep, NULL);

	assert_null(strstr(svg, "<g>"));
	assert_non_null(strstr(svg, "nothing is blocked"));
	assert_non_null(strstr(svg, "0 blocked at 0 sites in 0 processes, 0 leak sites"));
	check_xml(svg, 0);
	free(svg);
}

/* The file output: the lifecycle is safefile's (test_safefile__report_file), the SVG ours. */
static void test_out_flame__file(void **state UNUSED)
{
	char dir[] = "/tmp/bw_flame_XXXXXX", path[64], buf[4096];
	struct bw_agg *agg = two_reasons();
	struct bw_report rep = fx_report(agg);
	struct bw_report_file *o;
	FILE *f;
	size_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/blocked.svg", dir);
	o = bw_out_flame__new(path, NULL);
	assert_non_null(o);
	assert_int_equal(bw_report_file__update(o, &rep), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "<title>[chan receive]: 3 blocked"));
	assert_non_null(strstr(buf, "</svg>\n"));
	bw_report_file__free(o);
	unlink(path);
	rmdir(dir);
	bw_agg__free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_flame__widths_merged),
		cmocka_unit_test(test_out_flame__leak_colour),
		cmocka_unit_test(test_out_flame__hostile_names),
		cmocka_unit_test(test_out_flame__labels_fit),
		cmocka_unit_test(test_out_flame__waits),
		cmocka_unit_test(test_out_flame__empty),
		cmocka_unit_test(test_out_flame__file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
