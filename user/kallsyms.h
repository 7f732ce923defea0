/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel symbols from /proc/kallsyms text: text symbols only (t, T, w, W),
 * sorted once, looked up by nearest lower address. Only root sees real
 * addresses; for others every address reads 0 and nothing resolves.
 */
#ifndef BW_KALLSYMS_H
#define BW_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bw_ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* NULL for the kernel image, else "nf_tables" */
};

struct bw_kallsyms;

/* Parse kallsyms text. Returns NULL and sets errno (EINVAL for a malformed line). */
struct bw_kallsyms *bw_kallsyms__parse(FILE *f);
/* The same from a file path, normally "/proc/kallsyms". */
struct bw_kallsyms *bw_kallsyms__load(const char *path);
/* The symbol at or below addr, or NULL (also when addresses are hidden). */
const struct bw_ksym *bw_kallsyms__find(const struct bw_kallsyms *ks, uint64_t addr);
/* false when the kernel hid the addresses (kptr_restrict, not root) */
bool bw_kallsyms__has_addresses(const struct bw_kallsyms *ks);
size_t bw_kallsyms__count(const struct bw_kallsyms *ks);
void bw_kallsyms__free(struct bw_kallsyms *ks);

#endif /* BW_KALLSYMS_H */
