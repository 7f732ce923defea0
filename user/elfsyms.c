// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsyms.h"

#define MAX_BUILD_ID 64
/* how far back a lookup walks to find an enclosing symbol over nested ones */
#define NESTED_WALK 16

struct sym {
	uint64_t addr;
	uint64_t size;
	uint64_t sec_end; /* end of the symbol's section, 0 if unknown */
	const char *name;
	int rank; /* lower is better among aliases at one address */
};

struct symtab {
	struct sym *v;
	size_t n, cap;
};

struct segment {
	uint64_t offset, vaddr, filesz, align;
};

struct bw_elfsyms {
	Elf *elf;
	int fd; /* -1 for memory images */
	struct symtab funcs, objects;
	struct segment *segs;
	size_t nsegs;
	bool is_go, has_symtab, has_debug_info;
	uint8_t build_id[MAX_BUILD_ID];
	size_t build_id_len;
	char **owned; /* names we had to copy (version suffix removed) */
	size_t nowned, owned_cap;
};

static int symtab_push(struct symtab *t, const struct sym *s)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct sym *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *s;
	return 0;
}

/*
 * Among aliases at one address prefer a sized symbol, then the name with the
 * fewest leading '_' (getpid over __getpid, though getpid is the weak one),
 * then global over weak over local.
 */
static int sym_rank(const GElf_Sym *gs, const char *name)
{
	int bind = GELF_ST_BIND(gs->st_info);
	int r = gs->st_size ? 0 : 100;

	for (int i = 0; i < 3 && name[i] == '_'; i++)
		r += 10;
	return r + (bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2);
}

static uint64_t section_end(Elf *elf, size_t shndx)
{
	GElf_Shdr shdr;
	Elf_Scn *scn;

	if (shndx == SHN_UNDEF || shndx >= SHN_LORESERVE)
		return 0;
	scn = elf_getscn(elf, shndx);
	if (!scn || !gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_ALLOC))
		return 0;
	if (shdr.sh_addr > UINT64_MAX - shdr.sh_size)
		return 0;
	return shdr.sh_addr + shdr.sh_size;
}

/*
 * .symtab spells symbol versions into names ("pthread_cond_wait@@GLIBC_2.3.2");
 * .dynsym keeps them apart. Drop the suffix so both read alike.
 */
static const char *unversioned(struct bw_elfsyms *es, const char *name)
{
	const char *at = strchr(name, '@');
	char *copy;

	if (!at || at == name)
		return name;
	if (es->nowned == es->owned_cap) {
		size_t cap = es->owned_cap ? es->owned_cap * 2 : 64;
		char **v = realloc(es->owned, cap * sizeof(*v));

		if (!v)
			return NULL;
		es->owned = v;
		es->owned_cap = cap;
	}
	copy = strndup(name, (size_t)(at - name));
	if (copy)
		es->owned[es->nowned++] = copy;
	return copy;
}

static int add_sym(struct bw_elfsyms *es, const GElf_Sym *gs, const char *name)
{
	int type = GELF_ST_TYPE(gs->st_info);
	struct symtab *t;
	struct sym s;

	if (type == STT_FUNC || type == STT_GNU_IFUNC)
		t = &es->funcs;
	else if (type == STT_OBJECT)
		t = &es->objects;
	else
		return 0;
	if (gs->st_shndx == SHN_UNDEF || gs->st_shndx == SHN_ABS || !gs->st_value || !*name)
		return 0;
	if (gs->st_value > UINT64_MAX - gs->st_size)
		return 0;
	name = unversioned(es, name);
	if (!name)
		return -ENOMEM;
	s.addr = gs->st_value;
	s.size = gs->st_size;
	s.sec_end = section_end(es->elf, gs->st_shndx);
	s.name = name;
	s.rank = sym_rank(gs, name);
	return symtab_push(t, &s);
}

static int load_symbols(struct bw_elfsyms *es, Elf_Scn *scn, const GElf_Shdr *shdr)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count;
	int err;

	if (!data || !shdr->sh_entsize)
		return 0;
	count = data->d_size / shdr->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym gs;
		const char *name;

		if (!gelf_getsym(data, (int)i, &gs))
			break;
		/* elf_strptr checks the offset and the terminating NUL */
		name = elf_strptr(es->elf, shdr->sh_link, gs.st_name);
		if (!name)
			continue;
		err = add_sym(es, &gs, name);
		if (err)
			return err;
	}
	return 0;
}

static void read_build_id(struct bw_elfsyms *es, Elf_Scn *scn)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nhdr;

	if (!data)
		return;
	while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
		if (nhdr.n_type != NT_GNU_BUILD_ID || nhdr.n_namesz != 4 ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4))
			continue;
		if (!nhdr.n_descsz || nhdr.n_descsz > MAX_BUILD_ID)
			return;
		memcpy(es->build_id, (const char *)data->d_buf + desc_off, nhdr.n_descsz);
		es->build_id_len = nhdr.n_descsz;
		return;
	}
}

static void note_section_name(struct bw_elfsyms *es, const char *name)
{
	if (!strcmp(name, ".gopclntab") || !strcmp(name, ".go.buildinfo") ||
	    !strcmp(name, ".note.go.buildid") || !strcmp(name, ".go.module"))
		es->is_go = true;
	else if (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info"))
		es->has_debug_info = true;
}

static int scan_sections(struct bw_elfsyms *es)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int err;

	if (elf_getshdrstrndx(es->elf, &shstrndx))
		shstrndx = SHN_UNDEF;
	while ((scn = elf_nextscn(es->elf, scn))) {
		GElf_Shdr shdr;
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		name = shstrndx != SHN_UNDEF ? elf_strptr(es->elf, shstrndx, shdr.sh_name) : NULL;
		if (name)
			note_section_name(es, name);
		if (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM) {
			es->has_symtab |= shdr.sh_type == SHT_SYMTAB;
			err = load_symbols(es, scn, &shdr);
			if (err)
				return err;
		} else if (shdr.sh_type == SHT_NOTE && !es->build_id_len) {
			read_build_id(es, scn);
		}
	}
	return 0;
}

static int load_segments(struct bw_elfsyms *es)
{
	size_t n;

	if (elf_getphdrnum(es->elf, &n) || !n)
		return 0;
	es->segs = calloc(n, sizeof(*es->segs));
	if (!es->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(es->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > UINT64_MAX - ph.p_filesz || ph.p_vaddr > UINT64_MAX - ph.p_filesz)
			continue;
		es->segs[es->nsegs++] = (struct segment){ ph.p_offset, ph.p_vaddr, ph.p_filesz,
							  ph.p_align };
	}
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return strcmp(x->name, y->name); /* deterministic choice */
}

/* Sort, keep the best alias at each address, give size-0 symbols their extent. */
static void finish_symtab(struct symtab *t)
{
	size_t out = 0;

	if (!t->n)
		return;
	qsort(t->v, t->n, sizeof(*t->v), cmp_sym);
	for (size_t i = 0; i < t->n; i++)
		if (!out || t->v[i].addr != t->v[out - 1].addr)
			t->v[out++] = t->v[i];
	t->n = out;
	for (size_t i = 0; i < t->n; i++) {
		struct sym *s = &t->v[i];
		uint64_t end = i + 1 < t->n ? t->v[i + 1].addr : s->sec_end;

		if (s->size)
			continue;
		if (s->sec_end > s->addr && (!end || end > s->sec_end))
			end = s->sec_end;
		s->size = end > s->addr ? end - s->addr : 1;
	}
}

static struct bw_elfsyms *open_elf(struct bw_elfsyms *es)
{
	int err = -ENOEXEC;

	if (!es->elf || elf_kind(es->elf) != ELF_K_ELF || gelf_getclass(es->elf) == ELFCLASSNONE)
		goto fail;
	err = scan_sections(es);
	if (!err)
		err = load_segments(es);
	if (err)
		goto fail;
	finish_symtab(&es->funcs);
	finish_symtab(&es->objects);
	return es;
fail:
	bw_elfsyms__free(es);
	errno = -err;
	return NULL;
}

struct bw_elfsyms *bw_elfsyms__open_fd(int fd)
{
	struct bw_elfsyms *es;

	if (elf_version(EV_CURRENT) == EV_NONE || !(es = calloc(1, sizeof(*es)))) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	es->fd = fd;
	es->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	return open_elf(es);
}

struct bw_elfsyms *bw_elfsyms__open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	return bw_elfsyms__open_fd(fd);
}

struct bw_elfsyms *bw_elfsyms__open_mem(const void *data, size_t size)
{
	struct bw_elfsyms *es;

	if (elf_version(EV_CURRENT) == EV_NONE || !(es = calloc(1, sizeof(*es)))) {
		errno = ENOMEM;
		return NULL;
	}
	es->fd = -1;
	/* libelf does not write through a read-only Elf: the cast is safe */
	es->elf = elf_memory((char *)data, size);
	return open_elf(es);
}

void bw_elfsyms__free(struct bw_elfsyms *es)
{
	if (!es)
		return;
	elf_end(es->elf);
	if (es->fd >= 0)
		close(es->fd);
	free(es->funcs.v);
	free(es->objects.v);
	free(es->segs);
	for (size_t i = 0; i < es->nowned; i++)
		free(es->owned[i]);
	free(es->owned);
	free(es);
}

static int find(const struct symtab *t, uint64_t vaddr, struct bw_elfsym *out)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the nearest lower symbol, or one that encloses it (nested symbols) */
	for (size_t i = lo, walked = 0; i > 0 && walked < NESTED_WALK; i--, walked++) {
		const struct sym *s = &t->v[i - 1];

		if (vaddr - s->addr < s->size) {
			*out = (struct bw_elfsym){ s->addr, s->size, s->name };
			return 0;
		}
	}
	return -ENOENT;
}

int bw_elfsyms__find_func(const struct bw_elfsyms *es, uint64_t vaddr, struct bw_elfsym *out)
{
	return find(&es->funcs, vaddr, out);
}

int bw_elfsyms__find_object(const struct bw_elfsyms *es, uint64_t vaddr, struct bw_elfsym *out)
{
	return find(&es->objects, vaddr, out);
}

int bw_elfsyms__find_name(const struct bw_elfsyms *es, const char *name, struct bw_elfsym *out)
{
	const struct symtab *tabs[] = { &es->funcs, &es->objects };

	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < tabs[t]->n; i++) {
			const struct sym *s = &tabs[t]->v[i];

			if (!strcmp(s->name, name)) {
				*out = (struct bw_elfsym){ s->addr, s->size, s->name };
				return 0;
			}
		}
	}
	return -ENOENT;
}

size_t bw_elfsyms__func_count(const struct bw_elfsyms *es)
{
	return es->funcs.n;
}

int bw_elfsyms__offset_to_vaddr(const struct bw_elfsyms *es, uint64_t file_off, uint64_t *vaddr)
{
	/* exact segment first; then the page-aligned head that mmap maps before it */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < es->nsegs; i++) {
			const struct segment *s = &es->segs[i];
			uint64_t align = s->align > 1 && !(s->align & (s->align - 1)) ? s->align
										      : 4096;
			uint64_t lo = pass ? s->offset & ~(align - 1) : s->offset;

			if (file_off < lo || file_off >= s->offset + s->filesz)
				continue;
			if (file_off < s->offset && s->vaddr < s->offset - file_off)
				continue;
			*vaddr = s->vaddr - (s->offset - file_off);
			return 0;
		}
	}
	return -ENOENT;
}

int bw_elfsyms__vaddr_to_offset(const struct bw_elfsyms *es, uint64_t vaddr, uint64_t *file_off)
{
	for (size_t i = 0; i < es->nsegs; i++) {
		const struct segment *s = &es->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*file_off = vaddr - s->vaddr + s->offset;
			return 0;
		}
	}
	return -ENOENT;
}

bool bw_elfsyms__is_go(const struct bw_elfsyms *es)
{
	return es->is_go;
}

bool bw_elfsyms__has_symtab(const struct bw_elfsyms *es)
{
	return es->has_symtab;
}

bool bw_elfsyms__has_debug_info(const struct bw_elfsyms *es)
{
	return es->has_debug_info;
}

int bw_elfsyms__build_id(const struct bw_elfsyms *es, const uint8_t **id, size_t *len)
{
	if (!es->build_id_len)
		return -ENOENT;
	*id = es->build_id;
	*len = es->build_id_len;
	return 0;
}

Elf *bw_elfsyms__elf(const struct bw_elfsyms *es)
{
	return es->elf;
}

int bw_elfsyms__fd(const struct bw_elfsyms *es)
{
	return es->fd;
}
