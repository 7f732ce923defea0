// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for the /proc parsers of user/proc.c. Byte 0 picks the
 * parser, the rest is the file's text:
 *   even: /proc/PID/maps (bw_maps__parse through a FILE *, then look-ups)
 *   odd:  /proc/PID/stat (bw_proc__parse_stat on a buffer that is not
 *         NUL-terminated, so ASan sees any read past its end)
 * Built and run by scripts/fuzz.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

static volatile size_t sink;

static void fuzz_maps(const uint8_t *data, size_t size)
{
	struct bw_maps maps;
	FILE *f;

	if (!size)
		return;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return;
	if (!bw_maps__parse(f, &maps)) {
		for (size_t i = 0; i < maps.n; i++) {
			const struct bw_mapping *m = bw_maps__find(&maps, maps.v[i].start);

			/* the mapping found for its own start holds that address */
			if (!m || maps.v[i].start < m->start || maps.v[i].start >= m->end)
				abort();
			sink += strlen(maps.v[i].path);
			bw_maps__find(&maps, maps.v[i].end);
			bw_maps__find(&maps, maps.v[i].start - 1);
		}
		bw_maps__find(&maps, 0);
		bw_maps__find(&maps, UINT64_MAX);
		bw_maps__free(&maps);
	}
	fclose(f);
}

static void fuzz_stat(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	struct bw_proc_stat st;

	if (!copy)
		return;
	memcpy(copy, data, size);
	if (!bw_proc__parse_stat(copy, size, &st))
		sink += strlen(st.comm) + st.start_ticks + st.flags; /* comm is terminated */
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_maps(data + 1, size - 1);
	else
		fuzz_stat(data + 1, size - 1);
	return 0;
}
