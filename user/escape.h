/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Escaping of untrusted strings for the places blockwatch writes them.
 *
 * Symbol names, file names, module paths and comms come from the target's
 * files and memory: any byte may be there, NULs included (hence the
 * explicit lengths), and invalid UTF-8. Each mode below guarantees that its
 * output is valid UTF-8 and cannot change the meaning of what surrounds it:
 *
 *   json  a JSON string body (no quotes): '"' '\\' and every control
 *         character (C0, DEL, C1) as \uXXXX or the short escapes,
 *         U+2028/U+2029 escaped too (JavaScript), invalid UTF-8 as \ufffd.
 *   term  text for a terminal or a log: no byte < 0x20, no DEL, no C1
 *         control and no bidi override reaches the tty raw. Control bytes
 *         are shown as \n \r \t or \xHH (ESC is "\x1b"), C1 and bidi
 *         controls as \uXXXX, invalid UTF-8 bytes as \xHH, '\\' as "\\\\".
 *         One display column per code point is assumed.
 *   prom  a Prometheus text-format label value (no quotes): '\\' '"' and
 *         newline escaped as the exposition format says; it has no escape
 *         for other control characters, so those (and invalid UTF-8) become
 *         U+FFFD, and a scrape shown by curl cannot drive a terminal.
 *
 * Buffer functions behave like snprintf: dst is always NUL-terminated when
 * size > 0, the return value is the length the whole escaped string needs,
 * so the output was truncated iff the result is >= size. Truncation happens
 * between escapes, never inside one or inside a UTF-8 sequence.
 * A NULL src is the empty string. FILE functions return 0 or -EIO.
 */
#ifndef BW_ESCAPE_H
#define BW_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

size_t bw_escape_json(char *dst, size_t size, const char *src, size_t len);
size_t bw_escape_term(char *dst, size_t size, const char *src, size_t len);
size_t bw_escape_prom(char *dst, size_t size, const char *src, size_t len);

int bw_escape_json_file(FILE *f, const char *src, size_t len);
int bw_escape_term_file(FILE *f, const char *src, size_t len);
int bw_escape_prom_file(FILE *f, const char *src, size_t len);

/*
 * Terminal escaping limited to max_cols display columns as well as to size
 * bytes. Returns the columns the whole escaped string needs; *cols (may be
 * NULL) receives the columns written, so the text was cut iff the result is
 * greater than *cols.
 */
size_t bw_escape_term_cols(char *dst, size_t size, const char *src, size_t len, size_t max_cols,
			   size_t *cols);

/*
 * Write a JSON text made by a serializer (json-c) to f, hardened: every
 * byte sequence that is not valid UTF-8 becomes \ufffd and every DEL, C1
 * control, U+2028 and U+2029 its \u escape. In a valid JSON text such bytes
 * can only be inside strings, where an escape means the same code point, so
 * the text keeps its meaning and becomes valid UTF-8 that is safe to cat.
 * json-c 0.16 escapes C0 controls, '"' and '\\' but passes every other byte
 * through unchecked (see tests/unit/test_escape.c).
 */
int bw_escape_json_text_file(FILE *f, const char *text, size_t len);

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 if s[0] does not
 * start one (overlong forms, surrogates and code points past U+10FFFF are
 * invalid). *cp receives the code point when valid.
 */
size_t bw_utf8_decode(const unsigned char *s, size_t len, unsigned int *cp);

#endif /* BW_ESCAPE_H */
