// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

enum mode {
	MODE_JSON,
	MODE_TERM,
	MODE_PROM,
	MODE_JSON_TEXT, /* a serialized JSON text: only non-ASCII and DEL need care */
};

/* What one step of the escaper writes for one code point or one bad byte. */
struct unit {
	char text[8]; /* the longest unit is "\u2028" or "\\xff", 6 bytes */
	size_t len;
	size_t cols;
	size_t consumed; /* source bytes */
};

/* Unicode 15, table 3-7: the well-formed byte sequences. */
size_t bw_utf8_decode(const unsigned char *s, size_t len, unsigned int *cp)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf)
		n = 2;
	else if (b >= 0xe0 && b <= 0xef)
		n = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		n = 4;
	else
		return 0;
	if (len < n)
		return 0;
	if (b == 0xe0)
		lo = 0xa0; /* overlong */
	else if (b == 0xed)
		hi = 0x9f; /* surrogates */
	else if (b == 0xf0)
		lo = 0x90; /* overlong */
	else if (b == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	*cp = b & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if (i > 1 && (s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

static void unit_set(struct unit *u, const char *text, size_t cols)
{
	u->len = strlen(text);
	memcpy(u->text, text, u->len + 1);
	u->cols = cols;
}

static void unit_raw(struct unit *u, const unsigned char *s)
{
	memcpy(u->text, s, u->consumed);
	u->text[u->consumed] = '\0';
	u->len = u->consumed;
	u->cols = 1;
}

static void unit_fmt(struct unit *u, const char *fmt, unsigned int v)
{
	u->len = (size_t)snprintf(u->text, sizeof(u->text), fmt, v);
	u->cols = u->len;
}

static bool is_c1(unsigned int cp)
{
	return cp >= 0x80 && cp <= 0x9f;
}

/* Invisible characters that reorder text around them ("Trojan Source"). */
static bool is_bidi_control(unsigned int cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* The short escape of cp in a mode's table, or NULL. */
static const char *short_escape(const char *const *table, size_t n, unsigned int cp)
{
	return cp < n ? table[cp] : NULL;
}

static const char *const json_short[128] = {
	['"'] = "\\\"", ['\\'] = "\\\\", ['\b'] = "\\b", ['\f'] = "\\f",
	['\n'] = "\\n", ['\r'] = "\\r",	 ['\t'] = "\\t",
};

static const char *const term_short[128] = {
	['\\'] = "\\\\",
	['\n'] = "\\n",
	['\r'] = "\\r",
	['\t'] = "\\t",
};

static const char *const prom_short[128] = {
	['\\'] = "\\\\",
	['"'] = "\\\"",
	['\n'] = "\\n",
};

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

static void json_unit(struct unit *u, unsigned int cp, const unsigned char *s)
{
	const char *esc = short_escape(json_short, 128, cp);

	if (esc)
		unit_set(u, esc, 2);
	else if (cp < 0x20 || cp == 0x7f || is_c1(cp) || cp == 0x2028 || cp == 0x2029)
		unit_fmt(u, "\\u%04x", cp);
	else
		unit_raw(u, s);
}

/* A serializer already escaped '"', '\\' and C0; harden what it let through. */
static void json_text_unit(struct unit *u, unsigned int cp, const unsigned char *s)
{
	if (cp == 0x7f || is_c1(cp) || cp == 0x2028 || cp == 0x2029)
		unit_fmt(u, "\\u%04x", cp);
	else
		unit_raw(u, s);
}

static void term_unit(struct unit *u, unsigned int cp, const unsigned char *s)
{
	const char *esc = short_escape(term_short, 128, cp);

	if (esc)
		unit_set(u, esc, 2);
	else if (cp < 0x20 || cp == 0x7f)
		unit_fmt(u, "\\x%02x", cp);
	else if (is_c1(cp) || is_bidi_control(cp))
		unit_fmt(u, "\\u%04x", cp);
	else
		unit_raw(u, s);
}

static void prom_unit(struct unit *u, unsigned int cp, const unsigned char *s)
{
	const char *esc = short_escape(prom_short, 128, cp);

	if (esc)
		unit_set(u, esc, 2);
	else if (cp < 0x20 || cp == 0x7f || is_c1(cp))
		unit_set(u, replacement, 1);
	else
		unit_raw(u, s);
}

/* A byte that starts no valid UTF-8 sequence. */
static void bad_byte_unit(enum mode m, struct unit *u, unsigned char b)
{
	u->consumed = 1;
	if (m == MODE_TERM)
		unit_fmt(u, "\\x%02x", b); /* show the byte: it may tell what went wrong */
	else if (m == MODE_PROM)
		unit_set(u, replacement, 1);
	else
		unit_set(u, "\\ufffd", 6);
}

static void next_unit(enum mode m, const unsigned char *s, size_t len, struct unit *u)
{
	unsigned int cp;

	u->consumed = bw_utf8_decode(s, len, &cp);
	if (!u->consumed)
		bad_byte_unit(m, u, s[0]);
	else if (m == MODE_JSON)
		json_unit(u, cp, s);
	else if (m == MODE_JSON_TEXT)
		json_text_unit(u, cp, s);
	else if (m == MODE_TERM)
		term_unit(u, cp, s);
	else
		prom_unit(u, cp, s);
}

/*
 * The common loop of the buffer functions. Once a unit does not fit no
 * later unit is written, so the output is a prefix of the whole escape.
 * Returns the bytes (count_cols false) or columns the whole escape needs.
 */
static size_t escape_buf(enum mode m, char *dst, size_t size, const char *src, size_t len,
			 size_t max_cols, bool count_cols, size_t *cols_out)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t need = 0, used = 0, cols = 0;
	bool full = size == 0;
	struct unit u;

	for (size_t i = 0; src && i < len; i += u.consumed) {
		next_unit(m, s + i, len - i, &u);
		if (!full && used + u.len < size && cols + u.cols <= max_cols) {
			memcpy(dst + used, u.text, u.len);
			used += u.len;
			cols += u.cols;
		} else {
			full = true;
		}
		need += count_cols ? u.cols : u.len;
	}
	if (size)
		dst[used] = '\0';
	if (cols_out)
		*cols_out = cols;
	return need;
}

size_t bw_escape_json(char *dst, size_t size, const char *src, size_t len)
{
	return escape_buf(MODE_JSON, dst, size, src, len, SIZE_MAX, false, NULL);
}

size_t bw_escape_term(char *dst, size_t size, const char *src, size_t len)
{
	return escape_buf(MODE_TERM, dst, size, src, len, SIZE_MAX, false, NULL);
}

size_t bw_escape_prom(char *dst, size_t size, const char *src, size_t len)
{
	return escape_buf(MODE_PROM, dst, size, src, len, SIZE_MAX, false, NULL);
}

size_t bw_escape_term_cols(char *dst, size_t size, const char *src, size_t len, size_t max_cols,
			   size_t *cols)
{
	return escape_buf(MODE_TERM, dst, size, src, len, max_cols, true, cols);
}

static int escape_file(enum mode m, FILE *f, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, run;
	struct unit u;

	while (src && i < len) {
		/* plain printable ASCII is the common case: write it in runs */
		for (run = 0; i + run < len && s[i + run] >= 0x20 && s[i + run] < 0x7f &&
			      s[i + run] != '\\' && s[i + run] != '"';
		     run++)
			;
		if (run && fwrite(s + i, 1, run, f) != run)
			return -EIO;
		i += run;
		if (i == len)
			break;
		next_unit(m, s + i, len - i, &u);
		if (fwrite(u.text, 1, u.len, f) != u.len)
			return -EIO;
		i += u.consumed;
	}
	return ferror(f) ? -EIO : 0;
}

int bw_escape_json_file(FILE *f, const char *src, size_t len)
{
	return escape_file(MODE_JSON, f, src, len);
}

int bw_escape_term_file(FILE *f, const char *src, size_t len)
{
	return escape_file(MODE_TERM, f, src, len);
}

int bw_escape_prom_file(FILE *f, const char *src, size_t len)
{
	return escape_file(MODE_PROM, f, src, len);
}

int bw_escape_json_text_file(FILE *f, const char *text, size_t len)
{
	return escape_file(MODE_JSON_TEXT, f, text, len);
}
