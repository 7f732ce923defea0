// SPDX-License-Identifier: BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"

/* While parsing, names live in a growing arena: keep offsets, not pointers. */
struct raw_sym {
	uint64_t addr;
	size_t name_off;
	size_t module_off; /* SIZE_MAX: the kernel image */
	char type;
};

struct bw_kallsyms {
	struct bw_ksym *syms;
	size_t n;
	char *arena;
	bool has_addresses;
};

struct parser {
	struct raw_sym *raw;
	size_t n, cap;
	char *arena;
	size_t arena_len, arena_cap;
	size_t last_module_off; /* consecutive lines share a module: store it once */
};

static int arena_add(struct parser *p, const char *s, size_t len, size_t *off)
{
	if (p->arena_len + len + 1 > p->arena_cap) {
		size_t cap = p->arena_cap ? p->arena_cap : 1 << 16;
		char *a;

		while (p->arena_len + len + 1 > cap)
			cap *= 2;
		a = realloc(p->arena, cap);
		if (!a)
			return -ENOMEM;
		p->arena = a;
		p->arena_cap = cap;
	}
	memcpy(p->arena + p->arena_len, s, len);
	p->arena[p->arena_len + len] = '\0';
	*off = p->arena_len;
	p->arena_len += len + 1;
	return 0;
}

static int push(struct parser *p, const struct raw_sym *sym)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		struct raw_sym *v = realloc(p->raw, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->raw = v;
		p->cap = cap;
	}
	p->raw[p->n++] = *sym;
	return 0;
}

static bool is_text_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

static int add_module(struct parser *p, const char *mod, size_t len, size_t *off)
{
	if (p->last_module_off != SIZE_MAX && strlen(p->arena + p->last_module_off) == len &&
	    !memcmp(p->arena + p->last_module_off, mod, len)) {
		*off = p->last_module_off;
		return 0;
	}
	if (arena_add(p, mod, len, off))
		return -ENOMEM;
	p->last_module_off = *off;
	return 0;
}

/* "ffffffff81000000 T _text" or "ffffffffc0a01000 t nft_do_chain\t[nf_tables]" */
static int parse_line(struct parser *p, char *line, size_t len)
{
	struct raw_sym sym = { .module_off = SIZE_MAX };
	char *end, *name, *name_end, *mod;

	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (memchr(line, '\0', len) || !isxdigit((unsigned char)line[0]))
		return -EINVAL;
	errno = 0;
	sym.addr = strtoull(line, &end, 16);
	if (errno || end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return -EINVAL;
	sym.type = end[1];
	name = end + 3;
	name_end = name + strcspn(name, " \t");
	if (name_end == name)
		return -EINVAL;
	if (!is_text_type(sym.type))
		return 0;
	mod = name_end;
	if (*mod) {
		size_t mod_len;

		if (mod[0] != '\t' || mod[1] != '[' || (mod_len = strlen(mod)) < 4 ||
		    mod[mod_len - 1] != ']')
			return -EINVAL;
		if (add_module(p, mod + 2, mod_len - 3, &sym.module_off))
			return -ENOMEM;
	}
	if (arena_add(p, name, (size_t)(name_end - name), &sym.name_off))
		return -ENOMEM;
	return push(p, &sym);
}

/* Among symbols at one address, prefer global ones, then names without a leading '_'. */
static int rank(const struct raw_sym *s, const char *arena)
{
	return (s->type == 'T' || s->type == 'W' ? 0 : 2) + (arena[s->name_off] == '_' ? 1 : 0);
}

static int cmp_raw(const void *a, const void *b, void *arena)
{
	const struct raw_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return rank(x, arena) - rank(y, arena);
}

/* Sort, then keep the best-ranked symbol at each address. */
static int finish(struct parser *p, struct bw_kallsyms *ks)
{
	if (p->n)
		qsort_r(p->raw, p->n, sizeof(*p->raw), cmp_raw, p->arena);
	ks->syms = calloc(p->n ? p->n : 1, sizeof(*ks->syms));
	if (!ks->syms)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct raw_sym *r = &p->raw[i];
		struct bw_ksym *s;

		if (i && r->addr == p->raw[i - 1].addr)
			continue;
		s = &ks->syms[ks->n++];
		s->addr = r->addr;
		s->name = p->arena + r->name_off;
		s->module = r->module_off == SIZE_MAX ? NULL : p->arena + r->module_off;
		if (r->addr)
			ks->has_addresses = true;
	}
	ks->arena = p->arena;
	p->arena = NULL;
	return 0;
}

struct bw_kallsyms *bw_kallsyms__parse(FILE *f)
{
	struct parser p = { .last_module_off = SIZE_MAX };
	struct bw_kallsyms *ks = calloc(1, sizeof(*ks));
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err = 0;

	if (!ks)
		return NULL;
	while ((len = getline(&line, &cap, f)) >= 0) {
		err = parse_line(&p, line, (size_t)len);
		if (err)
			goto cleanup;
	}
	err = ferror(f) ? -EIO : finish(&p, ks);
cleanup:
	free(line);
	free(p.raw);
	free(p.arena);
	if (err) {
		bw_kallsyms__free(ks);
		errno = -err;
		return NULL;
	}
	return ks;
}

struct bw_kallsyms *bw_kallsyms__load(const char *path)
{
	struct bw_kallsyms *ks;
	FILE *f = fopen(path, "re");
	int err;

	if (!f)
		return NULL;
	ks = bw_kallsyms__parse(f);
	err = errno;
	fclose(f);
	errno = err;
	return ks;
}

const struct bw_ksym *bw_kallsyms__find(const struct bw_kallsyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	if (!ks->has_addresses)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* _etext marks the end of kernel text, not a function: past it is unknown */
	if (!strcmp(ks->syms[lo - 1].name, "_etext"))
		return NULL;
	return &ks->syms[lo - 1];
}

bool bw_kallsyms__has_addresses(const struct bw_kallsyms *ks)
{
	return ks->has_addresses;
}

size_t bw_kallsyms__count(const struct bw_kallsyms *ks)
{
	return ks->n;
}

void bw_kallsyms__free(struct bw_kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->arena);
	free(ks);
}
