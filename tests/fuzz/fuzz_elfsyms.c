// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for user/elfsyms.c: the input is a whole ELF file, read
 * from memory as the symbolizer reads a mapped file. Built and run by
 * scripts/fuzz.sh (make fuzz, make fuzz-smoke).
 *
 * Look-ups use addresses taken from the input itself (entry point, segment
 * starts, found symbols) so that they land where the tables are.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elfsyms.h"

static volatile size_t sink;

static void touch(const struct bw_elfsym *s)
{
	/* reading the whole name lets ASan check that it is terminated inside its table */
	sink += strlen(s->name) + s->size;
}

static void probe(const struct bw_elfsyms *es, uint64_t vaddr)
{
	struct bw_elfsym s;
	uint64_t off, back;

	if (!bw_elfsyms__find_func(es, vaddr, &s)) {
		touch(&s);
		if (!bw_elfsyms__find_name(es, s.name, &s))
			touch(&s);
	}
	if (!bw_elfsyms__find_object(es, vaddr, &s))
		touch(&s);
	if (!bw_elfsyms__vaddr_to_offset(es, vaddr, &off) &&
	    !bw_elfsyms__offset_to_vaddr(es, off, &back))
		sink += back;
}

static uint64_t read_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t fixed[] = { 0, 1, 0x400000, 0x401000, 0x1000, UINT64_MAX };
	struct bw_elfsyms *es = bw_elfsyms__open_mem(data, size);
	const uint8_t *id;
	size_t len;
	uint64_t v;

	if (!es)
		return 0;
	sink += bw_elfsyms__func_count(es) + bw_elfsyms__is_go(es) + bw_elfsyms__has_symtab(es) +
		bw_elfsyms__has_debug_info(es);
	if (!bw_elfsyms__build_id(es, &id, &len) && len)
		sink += id[len - 1];
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		probe(es, fixed[i]);
	if (size >= 32)
		probe(es, read_u64(data + 24)); /* e_entry */
	/* file offsets spread over the input, mapped back to addresses */
	for (size_t i = 0; i < 16; i++)
		if (!bw_elfsyms__offset_to_vaddr(es, size * i / 16, &v)) {
			probe(es, v);
			probe(es, v + 7);
		}
	bw_elfsyms__free(es);
	return 0;
}
