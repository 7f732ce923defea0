// SPDX-License-Identifier: BSD-2-Clause
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "container.h"

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* A 64-hex container id in one path component, after a runtime's prefix if any. */
static bool component_id(const char *c, size_t len, char *id)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-",
						"" };
	static const char scope[] = ".scope";

	if (len > sizeof(scope) - 1 &&
	    !memcmp(c + len - (sizeof(scope) - 1), scope, sizeof(scope) - 1))
		len -= sizeof(scope) - 1;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t p = strlen(prefixes[i]);

		if (len == p + 64 && !memcmp(c, prefixes[i], p) && all_hex(c + p, 64)) {
			memcpy(id, c + p, 64);
			id[64] = '\0';
			return true;
		}
	}
	return false;
}

/* "pod<uid>" or "...-pod<uid with _>.slice": the uid with dashes. */
static bool component_pod(const char *c, size_t len, char *uid)
{
	const char *p = NULL;
	size_t n;

	for (size_t i = 0; i + 3 <= len; i++)
		if (!memcmp(c + i, "pod", 3) && (i == 0 || c[i - 1] == '-'))
			p = c + i + 3;
	if (!p)
		return false;
	n = (size_t)(c + len - p);
	if (n >= 6 && !memcmp(p + n - 6, ".slice", 6))
		n -= 6;
	if (n != BW_POD_UID_LEN - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i] == '_' ? '-' : p[i];

		if (!isxdigit((unsigned char)ch) && ch != '-')
			return false;
		uid[i] = ch;
	}
	uid[n] = '\0';
	return true;
}

void bw_container__parse(const char *path, struct bw_container *out)
{
	const char *c = path;

	out->id[0] = '\0';
	out->pod_uid[0] = '\0';
	while (c && *c) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);

		if (len) {
			/* the innermost container wins: nested runtimes */
			component_id(c, len, out->id);
			component_pod(c, len, out->pod_uid);
		}
		c = end ? end + 1 : NULL;
	}
}
