// SPDX-License-Identifier: BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "escape.h"

/* A source with its length, so that embedded NULs are part of the input. */
#define SRC(s) s, sizeof(s) - 1

struct esc_case {
	const char *src;
	size_t len;
	const char *want;
};

typedef size_t (*esc_fn)(char *, size_t, const char *, size_t);
typedef int (*esc_file_fn)(FILE *, const char *, size_t);

/* Every case through both the buffer and the FILE variant. */
static void run_table(const struct esc_case *cases, size_t n, esc_fn fn, esc_file_fn file_fn)
{
	for (size_t i = 0; i < n; i++) {
		char buf[256], *mem = NULL;
		size_t need = fn(buf, sizeof(buf), cases[i].src, cases[i].len), memlen = 0;
		FILE *f = open_memstream(&mem, &memlen);

		assert_non_null(f);
		if (strcmp(buf, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, buf, cases[i].want);
		assert_int_equal(need, strlen(cases[i].want));
		assert_int_equal(file_fn(f, cases[i].src, cases[i].len), 0);
		fclose(f);
		assert_string_equal(mem, cases[i].want);
		free(mem);
	}
}

static void test_escape__json_table(void **state __attribute__((unused)))
{
	static const struct esc_case cases[] = {
		{ SRC("plain main.worker"), "plain main.worker" },
		{ SRC("q\"b\\s/"), "q\\\"b\\\\s/" },
		{ SRC("\x1b[2J\x1b]0;pwn\x07"), "\\u001b[2J\\u001b]0;pwn\\u0007" },
		{ SRC("a\nb\rc\td\be\ff"), "a\\nb\\rc\\td\\be\\ff" },
		{ SRC("nul\0after"), "nul\\u0000after" },
		{ SRC("del\x7f"), "del\\u007f" },
		{ SRC("c1 \xc2\x85\xc2\x9b"), "c1 \\u0085\\u009b" },
		{ SRC("ls \xe2\x80\xa8 ps \xe2\x80\xa9"), "ls \\u2028 ps \\u2029" },
		{ SRC("ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
		  "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ SRC("bad \xff\xc3\x28"), "bad \\ufffd\\ufffd(" },
		{ SRC("overlong \xc0\xaf \xe0\x80\xaf"),
		  "overlong \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd" },
		{ SRC("surrogate \xed\xa0\x80"), "surrogate \\ufffd\\ufffd\\ufffd" },
		{ SRC("too big \xf4\x90\x80\x80"), "too big \\ufffd\\ufffd\\ufffd\\ufffd" },
		{ SRC("cut \xe2\x82"), "cut \\ufffd\\ufffd" },
		{ SRC(""), "" },
	};

	run_table(cases, sizeof(cases) / sizeof(cases[0]), bw_escape_json, bw_escape_json_file);
}

static void test_escape__term_table(void **state __attribute__((unused)))
{
	static const struct esc_case cases[] = {
		{ SRC("main.(*Server).Serve"), "main.(*Server).Serve" },
		{ SRC("\x1b[2J\x1b[31mred"), "\\x1b[2J\\x1b[31mred" },
		{ SRC("line\nnext\r\ttab"), "line\\nnext\\r\\ttab" },
		{ SRC("nul\0x"), "nul\\x00x" },
		{ SRC("bs\\x1b"), "bs\\\\x1b" },
		{ SRC("del\x7f bell\x07"), "del\\x7f bell\\x07" },
		{ SRC("csi \xc2\x9b"
		      "2J"),
		  "csi \\u009b2J" },
		{ SRC("bidi \xe2\x80\xae"
		      "cba"),
		  "bidi \\u202ecba" },
		{ SRC("bad \xff\xfe"), "bad \\xff\\xfe" },
		{ SRC("ok \xc3\xa9t\xc3\xa9"), "ok \xc3\xa9t\xc3\xa9" },
		{ SRC("quote \"x\""), "quote \"x\"" },
	};

	run_table(cases, sizeof(cases) / sizeof(cases[0]), bw_escape_term, bw_escape_term_file);
}

static void test_escape__prom_table(void **state __attribute__((unused)))
{
	static const struct esc_case cases[] = {
		{ SRC("main.worker"), "main.worker" },
		{ SRC("a\"b\\c\nd"), "a\\\"b\\\\c\\nd" },
		/* no other escapes exist in the format: controls become U+FFFD */
		{ SRC("\x1b[2J\t\r"), "\xef\xbf\xbd[2J\xef\xbf\xbd\xef\xbf\xbd" },
		{ SRC("n\0l"), "n\xef\xbf\xbdl" },
		{ SRC("bad \xff ok \xc3\xa9"), "bad \xef\xbf\xbd ok \xc3\xa9" },
		{ SRC("c1 \xc2\x85"), "c1 \xef\xbf\xbd" },
	};

	run_table(cases, sizeof(cases) / sizeof(cases[0]), bw_escape_prom, bw_escape_prom_file);
}

/*
 * Truncation stops between escapes: for every size the output is the
 * longest prefix of the whole escape that ends where the escape of a prefix
 * of the source ends.
 */
static void check_truncation(esc_fn fn, const char *src, size_t len)
{
	char full[128], buf[128], part[128];
	size_t need = fn(full, sizeof(full), src, len);
	size_t bounds[64], nb = 0;

	for (size_t k = 0; k <= len; k++) {
		size_t plen = fn(part, sizeof(part), src, k);

		if (!strncmp(part, full, plen) && (!nb || bounds[nb - 1] != plen))
			bounds[nb++] = plen;
	}
	for (size_t size = 1; size <= need + 1; size++) {
		size_t want = 0;

		for (size_t b = 0; b < nb; b++)
			if (bounds[b] < size)
				want = bounds[b];
		assert_int_equal(fn(buf, size, src, len), need);
		if (strlen(buf) != want || strncmp(buf, full, want))
			fail_msg("size %zu: got '%s' (%zu bytes), want the first %zu of '%s'", size,
				 buf, strlen(buf), want, full);
	}
}

static void test_escape__truncation_never_splits(void **state __attribute__((unused)))
{
	static const char src[] = "ab\x1b\xc3\xa9\"\xff\xe2\x82\xac\n";
	char buf[8];

	check_truncation(bw_escape_json, SRC(src));
	check_truncation(bw_escape_term, SRC(src));
	check_truncation(bw_escape_prom, SRC(src));
	/* examples: no half "\u001b", no half U+FFFD */
	bw_escape_json(buf, 5, SRC(src));
	assert_string_equal(buf, "ab");
	bw_escape_prom(buf, 5, SRC("ab\x1b"));
	assert_string_equal(buf, "ab");
	bw_escape_prom(buf, 6, SRC("ab\x1b"));
	assert_string_equal(buf, "ab\xef\xbf\xbd");
	assert_int_equal(bw_escape_json(NULL, 0, SRC("abc")), 3);
	assert_int_equal(bw_escape_json(buf, sizeof(buf), NULL, 5), 0);
	assert_string_equal(buf, "");
}

static void test_escape__term_cols(void **state __attribute__((unused)))
{
	char buf[64];
	size_t cols;

	/* "\x1b" is four columns and is kept or dropped whole */
	assert_int_equal(bw_escape_term_cols(buf, sizeof(buf),
					     SRC("ab\x1b"
						 "cd"),
					     5, &cols),
			 8);
	assert_string_equal(buf, "ab");
	assert_int_equal(cols, 2);
	assert_int_equal(bw_escape_term_cols(buf, sizeof(buf),
					     SRC("ab\x1b"
						 "cd"),
					     6, &cols),
			 8);
	assert_string_equal(buf, "ab\\x1b");
	assert_int_equal(cols, 6);
	/* a multibyte character is one column */
	assert_int_equal(
		bw_escape_term_cols(buf, sizeof(buf), SRC("\xc3\xa9\xc3\xa9\xc3\xa9"), 2, &cols),
		3);
	assert_string_equal(buf, "\xc3\xa9\xc3\xa9");
	assert_int_equal(cols, 2);
	/* the byte limit also holds */
	assert_int_equal(bw_escape_term_cols(buf, 4, SRC("\xc3\xa9\xc3\xa9\xc3\xa9"), 10, &cols),
			 3);
	assert_string_equal(buf, "\xc3\xa9");
	assert_int_equal(cols, 1);
}

static void test_escape__utf8_decode(void **state __attribute__((unused)))
{
	static const struct {
		const char *s;
		size_t len;
		size_t want;
		unsigned int cp;
	} cases[] = {
		{ SRC("A"), 1, 'A' },
		{ SRC("\xc2\x80"), 2, 0x80 },
		{ SRC("\xdf\xbf"), 2, 0x7ff },
		{ SRC("\xe0\xa0\x80"), 3, 0x800 },
		{ SRC("\xed\x9f\xbf"), 3, 0xd7ff },
		{ SRC("\xee\x80\x80"), 3, 0xe000 },
		{ SRC("\xf0\x90\x80\x80"), 4, 0x10000 },
		{ SRC("\xf4\x8f\xbf\xbf"), 4, 0x10ffff },
		{ SRC("\xc1\xbf"), 0, 0 },
		{ SRC("\xe0\x9f\xbf"), 0, 0 },
		{ SRC("\xed\xa0\x80"), 0, 0 },
		{ SRC("\xf0\x8f\xbf\xbf"), 0, 0 },
		{ SRC("\xf4\x90\x80\x80"), 0, 0 },
		{ SRC("\xf5\x80\x80\x80"), 0, 0 },
		{ SRC("\x80"), 0, 0 },
		{ SRC("\xe2\x28\xa1"), 0, 0 },
		{ SRC("\xe2\x82\x28"), 0, 0 },
		{ SRC("\xf0\x9f\x98"), 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int cp = 0;
		size_t n = bw_utf8_decode((const unsigned char *)cases[i].s, cases[i].len, &cp);

		if (n != cases[i].want)
			fail_msg("case %zu: length %zu, want %zu", i, n, cases[i].want);
		if (n)
			assert_int_equal(cp, cases[i].cp);
	}
}

/*
 * What json-c 0.16 does with hostile strings, measured: it escapes C0
 * controls, '"' and '\\' but passes DEL, C1 and invalid UTF-8 through, so
 * its output alone is not valid UTF-8. bw_escape_json_text_file fixes that.
 */
static void test_escape__json_c_needs_hardening(void **state __attribute__((unused)))
{
	static const char hostile[] = "\x1b[2J\"\\\x7f\xc2\x9b\xff\xed\xa0\x80\xe2\x80\xa8";
	json_object *o = json_object_new_string_len(hostile, sizeof(hostile) - 1), *back;
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);

	assert_non_null(strstr(text, "\\u001b[2J\\\"\\\\"));
	assert_non_null(strstr(text, "\xff")); /* json-c let the invalid byte through */
	assert_int_equal(bw_escape_json_text_file(f, text, strlen(text)), 0);
	fclose(f);
	assert_string_equal(mem, "\"\\u001b[2J\\\"\\\\\\u007f\\u009b\\ufffd\\ufffd\\ufffd\\ufffd"
				 "\\u2028\"");
	/* and the hardened text still parses, to the same string minus bad bytes */
	back = json_tokener_parse(mem);
	assert_non_null(back);
	assert_string_equal(
		json_object_get_string(back),
		"\x1b[2J\"\\\x7f\xc2\x9b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		"\xe2\x80\xa8");
	json_object_put(back);
	json_object_put(o);
	free(mem);
}

/* Every single byte value, alone, escapes to printable ASCII or valid UTF-8. */
static void test_escape__all_bytes_safe(void **state __attribute__((unused)))
{
	for (unsigned int b = 0; b < 256; b++) {
		char src = (char)b, buf[16];

		bw_escape_term(buf, sizeof(buf), &src, 1);
		for (const unsigned char *p = (const unsigned char *)buf; *p; p++)
			if (*p < 0x20 || *p >= 0x7f)
				fail_msg("byte 0x%02x: term output has byte 0x%02x", b, *p);
		bw_escape_json(buf, sizeof(buf), &src, 1);
		for (const unsigned char *p = (const unsigned char *)buf; *p; p++)
			if (*p < 0x20 || *p >= 0x7f)
				fail_msg("byte 0x%02x: json output has byte 0x%02x", b, *p);
	}
}

/* Is s[0..len) valid UTF-8? */
static bool valid_utf8(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned int cp;
		size_t k = bw_utf8_decode((const unsigned char *)s + i, len - i, &cp);

		if (!k)
			return false;
		i += k;
	}
	return true;
}

/*
 * Random strings of troublesome pieces (fixed seed): the JSON escape always
 * parses back, to the very same bytes when the input was valid UTF-8, and
 * the terminal escape never holds a control byte.
 */
static void test_escape__random_roundtrip(void **state __attribute__((unused)))
{
	static const char *const pieces[] = {
		"a",	   "\"",       "\\",	       "\x1b",	   "\n",
		"\x7f",	   "\xc2\x9b", "\xe2\x80\xa8", "\xc3\xa9", "\xf0\x9f\x98\x80",
		"\xff",	   "\xc3",     "\xed\xa0\x80", "/",	   "\x01",
		"\xe2\x82"
	};
	unsigned int seed = 12345;

	for (int iter = 0; iter < 3000; iter++) {
		char src[64], json[512], quoted[520], term[512];
		size_t len = 0, npieces = (size_t)(rand_r(&seed) % 12);
		json_object *o;

		for (size_t p = 0; p < npieces; p++) {
			const char *piece =
				pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];

			memcpy(src + len, piece, strlen(piece));
			len += strlen(piece);
		}
		if (rand_r(&seed) % 4 == 0)
			src[len++] = '\0'; /* an embedded NUL */
		assert_true(bw_escape_json(json, sizeof(json), src, len) < sizeof(json));
		snprintf(quoted, sizeof(quoted), "\"%s\"", json);
		assert_true(valid_utf8(quoted, strlen(quoted)));
		o = json_tokener_parse(quoted);
		if (!o)
			fail_msg("iteration %d: not JSON: %s", iter, quoted);
		if (valid_utf8(src, len)) {
			assert_int_equal(json_object_get_string_len(o), len);
			assert_memory_equal(json_object_get_string(o), src, len);
		}
		json_object_put(o);
		bw_escape_term(term, sizeof(term), src, len);
		assert_true(valid_utf8(term, strlen(term)));
		for (size_t i = 0; term[i];) {
			unsigned int cp;

			i += bw_utf8_decode((const unsigned char *)term + i, strlen(term + i), &cp);
			assert_true(cp >= 0x20 && (cp < 0x7f || cp > 0x9f));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape__json_table),
		cmocka_unit_test(test_escape__term_table),
		cmocka_unit_test(test_escape__prom_table),
		cmocka_unit_test(test_escape__truncation_never_splits),
		cmocka_unit_test(test_escape__term_cols),
		cmocka_unit_test(test_escape__utf8_decode),
		cmocka_unit_test(test_escape__json_c_needs_hardening),
		cmocka_unit_test(test_escape__all_bytes_safe),
		cmocka_unit_test(test_escape__random_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
