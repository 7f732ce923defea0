// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for user/kallsyms.c: the input is /proc/kallsyms text,
 * parsed through a FILE *, then looked up around every address it holds.
 * Built and run by scripts/fuzz.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"

static volatile size_t sink;

static void probe(const struct bw_kallsyms *ks, uint64_t addr)
{
	const struct bw_ksym *s = bw_kallsyms__find(ks, addr);

	if (!s)
		return;
	/* the symbol found is at or below the address */
	if (s->addr > addr)
		abort();
	sink += strlen(s->name) + (s->module ? strlen(s->module) : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_kallsyms *ks;
	char *text;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	ks = bw_kallsyms__parse(f);
	fclose(f);
	text = ks ? strndup((const char *)data, size) : NULL; /* terminated, for strtoull */
	if (!text) {
		bw_kallsyms__free(ks);
		return 0;
	}
	probe(ks, 0);
	probe(ks, UINT64_MAX);
	/* addresses spelled in the input: every line start that parses as hex */
	for (char *line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		uint64_t addr = strtoull(line, NULL, 16);

		probe(ks, addr);
		probe(ks, addr + 1);
	}
	sink += bw_kallsyms__count(ks) + bw_kallsyms__has_addresses(ks);
	free(text);
	bw_kallsyms__free(ks);
	return 0;
}
