// SPDX-License-Identifier: BSD-2-Clause
/*
 * Per-process symbolizer: maps -> module (one opened ELF per file, keyed by
 * device, inode and path) -> symbol tables, DWARF, Go pcln table.
 * Results are cached per looked-up address; the cache is dropped whenever
 * the maps are re-read. Not thread-safe: one caller at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dwarflines.h"
#include "elfsyms.h"
#include "gopclntab.h"
#include "kallsyms.h"
#include "log.h"
#include "proc.h"
#include "symbolizer.h"
#include "u64map.h"

/* re-read the maps on an unknown address at most this often */
#define AUTO_REFRESH_NS 1000000000ULL
#define DELETED_SUFFIX " (deleted)"

struct module {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	char *path; /* as the target's maps show it */
	bool seen;  /* mapped in the latest maps (modules not seen are dropped on refresh) */
	bool opened;
	struct bw_elfsyms *es;	  /* the mapped file; NULL if it could not be opened */
	struct bw_elfsyms *dbg;	  /* separate debug file found by build-id, or NULL */
	struct bw_dwarflines *dl; /* lazily */
	bool dl_tried;
	struct bw_gobin *gb; /* lazily, Go modules only */
	bool gb_tried;
	unsigned int users; /* symbolizers holding it: modules are shared, see below */
};

/*
 * Every module opened, shared by all symbolizers: libc is the same file in
 * every process, and reading its symbols and 4 MB of debug info once per
 * process made a system-wide first report take seconds.
 */
static struct {
	struct module **v;
	size_t n, cap;
} registry;

static struct module *registry_find(const struct bw_mapping *m)
{
	for (size_t i = 0; i < registry.n; i++) {
		struct module *mod = registry.v[i];

		if (mod->inode == m->inode && mod->dev_major == m->dev_major &&
		    mod->dev_minor == m->dev_minor && !strcmp(mod->path, m->path))
			return mod;
	}
	return NULL;
}

static int registry_add(struct module *mod)
{
	if (registry.n == registry.cap) {
		size_t cap = registry.cap ? registry.cap * 2 : 64;
		struct module **v = realloc(registry.v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		registry.v = v;
		registry.cap = cap;
	}
	registry.v[registry.n++] = mod;
	return 0;
}

static void registry_remove(struct module *mod)
{
	for (size_t i = 0; i < registry.n; i++) {
		if (registry.v[i] == mod) {
			registry.v[i] = registry.v[--registry.n];
			break;
		}
	}
	if (!registry.n) {
		free(registry.v);
		registry.v = NULL;
		registry.cap = 0;
	}
}

struct bw_symbolizer {
	char *proc_root;
	pid_t pid;
	struct bw_maps maps;
	struct module **map_mod; /* per mapping, filled lazily */
	struct module **mods;
	size_t nmods, mods_cap;
	struct bw_u64map cache; /* looked-up pc -> struct bw_frame_info, hits only */
	uint64_t maps_loaded_ns;
	char *exe_path;
	struct bw_kallsyms *ksyms;
	bool ksyms_tried;
};

static void module_free(struct module *mod)
{
	if (!mod || --mod->users)
		return;
	registry_remove(mod);
	bw_dwarflines__free(mod->dl); /* before the Elf it reads */
	if (mod->gb)
		bw_gobin__free(mod->gb);
	bw_elfsyms__free(mod->dbg);
	bw_elfsyms__free(mod->es);
	free(mod->path);
	free(mod);
}

static void cache_clear(struct bw_symbolizer *sym)
{
	for (size_t i = 0; i < sym->cache.cap; i++)
		free(bw_u64map__val_at(&sym->cache, i));
	bw_u64map__free(&sym->cache);
	bw_u64map__init(&sym->cache);
}

static bool is_file_mapping(const struct bw_mapping *m)
{
	return m->path[0] == '/' && m->inode;
}

/* Same file: device, inode and the path the target sees. */
static struct module *find_module(struct bw_symbolizer *sym, const struct bw_mapping *m)
{
	for (size_t i = 0; i < sym->nmods; i++) {
		struct module *mod = sym->mods[i];

		if (mod->inode == m->inode && mod->dev_major == m->dev_major &&
		    mod->dev_minor == m->dev_minor && !strcmp(mod->path, m->path))
			return mod;
	}
	return NULL;
}

static struct module *add_module(struct bw_symbolizer *sym, const struct bw_mapping *m)
{
	struct module *mod;

	if (sym->nmods == sym->mods_cap) {
		size_t cap = sym->mods_cap ? sym->mods_cap * 2 : 32;
		struct module **v = realloc(sym->mods, cap * sizeof(*v));

		if (!v)
			return NULL;
		sym->mods = v;
		sym->mods_cap = cap;
	}
	mod = registry_find(m);
	if (mod) {
		mod->users++;
		mod->seen = true;
		sym->mods[sym->nmods++] = mod;
		return mod;
	}
	mod = calloc(1, sizeof(*mod));
	if (!mod || !(mod->path = strdup(m->path))) {
		free(mod);
		return NULL;
	}
	mod->dev_major = m->dev_major;
	mod->dev_minor = m->dev_minor;
	mod->inode = m->inode;
	mod->seen = true;
	mod->users = 1;
	if (registry_add(mod)) {
		free(mod->path);
		free(mod);
		return NULL;
	}
	sym->mods[sym->nmods++] = mod;
	return mod;
}

static bool same_inode(int fd, const struct bw_mapping *m)
{
	struct stat st;

	return !fstat(fd, &st) && (uint64_t)st.st_ino == m->inode;
}

static int open_checked(const char *path, const struct bw_mapping *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (!same_inode(fd, m)) {
		close(fd); /* replaced since it was mapped: its symbols would lie */
		return -ESTALE;
	}
	return fd;
}

/*
 * map_files/<start>-<end> is the mapped file itself: it works for deleted
 * files and other mount namespaces, but needs CAP_SYS_ADMIN. Otherwise the
 * path through the target's root, with and without " (deleted)".
 */
static int open_mapped_file(struct bw_symbolizer *sym, const struct bw_mapping *m)
{
	char path[PATH_MAX];
	size_t len = strlen(m->path), sfx = strlen(DELETED_SUFFIX);
	int fd, n;

	snprintf(path, sizeof(path), "%s/%d/map_files/%llx-%llx", sym->proc_root, sym->pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = open_checked(path, m);
	if (fd >= 0)
		return fd;
	n = snprintf(path, sizeof(path), "%s/%d/root%s", sym->proc_root, sym->pid, m->path);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open_checked(path, m);
	if (fd >= 0 || len <= sfx || strcmp(m->path + len - sfx, DELETED_SUFFIX))
		return fd;
	path[n - sfx] = '\0';
	return open_checked(path, m);
}

static struct bw_elfsyms *open_debug_path(const char *path, const uint8_t *id, size_t len)
{
	struct bw_elfsyms *dbg = bw_elfsyms__open(path);
	const uint8_t *dbg_id;
	size_t dbg_len;

	if (!dbg)
		return NULL;
	if (bw_elfsyms__build_id(dbg, &dbg_id, &dbg_len) || dbg_len != len ||
	    memcmp(dbg_id, id, len)) {
		bw_elfsyms__free(dbg);
		return NULL;
	}
	return dbg;
}

/* Debian's -dbg packages: /usr/lib/debug/.build-id/ab/cdef....debug, in the target's root first. */
static struct bw_elfsyms *open_debug_file(struct bw_symbolizer *sym, const struct bw_elfsyms *es)
{
	char hex[2 * 64 + 1], path[PATH_MAX];
	struct bw_elfsyms *dbg = NULL;
	const uint8_t *id;
	size_t len;

	if (bw_elfsyms__build_id(es, &id, &len) || len < 2)
		return NULL;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(path, sizeof(path), "%s/%d/root/usr/lib/debug/.build-id/%.2s/%s.debug",
		 sym->proc_root, sym->pid, hex, hex + 2);
	dbg = open_debug_path(path, id, len);
	if (!dbg) {
		snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", hex,
			 hex + 2);
		dbg = open_debug_path(path, id, len);
	}
	return dbg;
}

static void module_open(struct bw_symbolizer *sym, struct module *mod, const struct bw_mapping *m)
{
	int fd;

	mod->opened = true;
	fd = open_mapped_file(sym, m);
	if (fd < 0) {
		bw_dbg("failed to open '%s' of pid %d: %s", m->path, sym->pid, strerror(-fd));
		return;
	}
	mod->es = bw_elfsyms__open_fd(fd);
	if (!mod->es) {
		bw_dbg("failed to read ELF '%s' of pid %d: %s", m->path, sym->pid, strerror(errno));
		return;
	}
	if (!bw_elfsyms__has_symtab(mod->es) || !bw_elfsyms__has_debug_info(mod->es))
		mod->dbg = open_debug_file(sym, mod->es);
}

static struct module *module_for(struct bw_symbolizer *sym, const struct bw_mapping *m)
{
	size_t idx = (size_t)(m - sym->maps.v);
	struct module *mod;

	if (sym->map_mod[idx] || !is_file_mapping(m))
		return sym->map_mod[idx];
	mod = find_module(sym, m);
	if (!mod)
		mod = add_module(sym, m);
	if (!mod)
		return NULL;
	if (!mod->opened)
		module_open(sym, mod, m);
	sym->map_mod[idx] = mod;
	return mod;
}

static struct bw_dwarflines *module_dwarf(struct module *mod)
{
	struct bw_elfsyms *src = NULL;

	if (mod->dl_tried)
		return mod->dl;
	mod->dl_tried = true;
	if (mod->dbg && bw_elfsyms__has_debug_info(mod->dbg))
		src = mod->dbg;
	else if (mod->es && bw_elfsyms__has_debug_info(mod->es))
		src = mod->es;
	if (src)
		mod->dl = bw_dwarflines__new(bw_elfsyms__elf(src));
	return mod->dl;
}

/* The pcln table, opened through our descriptor: same file whatever its path. */
static struct bw_gobin *module_gobin(struct module *mod)
{
	char path[64];

	if (mod->gb_tried)
		return mod->gb;
	mod->gb_tried = true;
	if (!mod->es || !bw_elfsyms__is_go(mod->es) || bw_elfsyms__fd(mod->es) < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", bw_elfsyms__fd(mod->es));
	mod->gb = bw_gobin__open(path);
	if (!mod->gb)
		bw_dbg("failed to read the Go pcln table of '%s': %s", mod->path, strerror(errno));
	return mod->gb;
}

/* Frames of one address, innermost first (inlined calls expanded). */
struct frames {
	int n;
	struct bw_frame_info f[BW_SYM_MAX_FRAMES];
};

/* A cached answer: exactly n frames. */
struct cached {
	int n;
	struct bw_frame_info f[];
};

/*
 * Go code: the pcln table first, for names and lines alike. It is what Go's
 * own tracebacks print and all a stripped binary has; .symtab and DWARF
 * spell some names and files differently ("runtime.goexit1.abi0",
 * "type..eq.[2]T" against "[...]T", "./<autogenerated>"): measured on a Go
 * 1.19 binary, 427 of 20000 addresses named differently, 255 files.
 * Stripped and unstripped builds of one program must read alike. Inlined
 * calls expand as the runtime's tracebacks expand them.
 */
static bool resolve_go(struct module *mod, uint64_t vaddr, struct frames *fs)
{
	struct bw_gobin *gb = module_gobin(mod);
	struct bw_go_frame gf[BW_SYM_MAX_FRAMES];
	int n = gb ? bw_gobin__frames_at(gb, vaddr, gf, BW_SYM_MAX_FRAMES) : -ENOENT;

	if (n <= 0)
		return false; /* not Go code: cgo's C parts, or an unreadable table */
	for (int i = 0; i < n; i++) {
		struct bw_frame_info *fi = &fs->f[i];

		*fi = fs->f[0]; /* the module */
		fi->function = gf[i].function;
		/* inlined frames too: from the entry of the function the code is in */
		fi->offset = vaddr - gf[i].entry;
		fi->file = gf[i].file;
		fi->line = gf[i].line;
		fi->inlined = gf[i].inlined;
	}
	fs->n = n;
	return true;
}

/* Function name: the debug file's .symtab, then the file's .symtab and .dynsym. */
static void name_function(struct module *mod, uint64_t vaddr, struct bw_frame_info *out)
{
	struct bw_elfsym s;

	if ((mod->dbg && !bw_elfsyms__find_func(mod->dbg, vaddr, &s)) ||
	    !bw_elfsyms__find_func(mod->es, vaddr, &s)) {
		out->function = s.name;
		out->offset = vaddr - s.addr;
	}
}

/* One DWARF frame over the symbol table's answer (sym: function, offset, module). */
static void put_source(const struct bw_frame_info *sym, const struct bw_srcframe *src,
		       uint64_t vaddr, struct bw_frame_info *out)
{
	*out = *sym;
	out->file = src->file;
	out->line = src->line;
	if (src->inlined && src->function) {
		out->function = src->function;
		out->inlined = true;
		if (src->entry && src->entry <= vaddr)
			out->offset = vaddr - src->entry;
	} else if (!out->function && src->function) {
		out->function = src->function;
		if (src->entry && src->entry <= vaddr)
			out->offset = vaddr - src->entry;
	}
}

/*
 * File and line from DWARF, with the functions inlined at vaddr: each
 * becomes a frame of its own (inlined = true), then the function they are in,
 * named by the symbol table.
 */
static void locate_source(struct module *mod, uint64_t vaddr, struct frames *fs)
{
	struct bw_dwarflines *dl = module_dwarf(mod);
	struct bw_srcframe src[BW_SYM_MAX_FRAMES];
	struct bw_frame_info sym = fs->f[0];
	int n = dl ? bw_dwarflines__frames(dl, vaddr, src, BW_SYM_MAX_FRAMES) : -ENOENT;

	for (int i = 0; i < n; i++)
		put_source(&sym, &src[i], vaddr, &fs->f[i]);
	if (n > 0)
		fs->n = n;
}

static void reset_map_modules(struct bw_symbolizer *sym, struct bw_maps *maps,
			      struct module **map_mod)
{
	bw_maps__free(&sym->maps);
	free(sym->map_mod);
	sym->maps = *maps;
	sym->map_mod = map_mod;
	cache_clear(sym);
	sym->maps_loaded_ns = bw_monotonic_ns();
}

/* Re-read the maps; modules stay, so strings handed out stay valid. */
static int load_maps(struct bw_symbolizer *sym)
{
	struct bw_maps maps;
	struct module **map_mod;
	int err = bw_maps__load(sym->proc_root, sym->pid, &maps);

	if (err)
		return err;
	map_mod = calloc(maps.n ? maps.n : 1, sizeof(*map_mod));
	if (!map_mod) {
		bw_maps__free(&maps);
		return -ENOMEM;
	}
	reset_map_modules(sym, &maps, map_mod);
	return 0;
}

static const struct bw_mapping *find_mapping(struct bw_symbolizer *sym, uint64_t pc)
{
	const struct bw_mapping *m = bw_maps__find(&sym->maps, pc);

	/* a library dlopen()ed since the last read: look again, but not on every miss */
	if (!m && bw_monotonic_ns() - sym->maps_loaded_ns >= AUTO_REFRESH_NS && !load_maps(sym))
		m = bw_maps__find(&sym->maps, pc);
	return m;
}

static int lookup(struct bw_symbolizer *sym, uint64_t pc, struct frames *fs)
{
	const struct bw_mapping *m = find_mapping(sym, pc);
	struct bw_frame_info *out = &fs->f[0];
	struct module *mod;
	uint64_t file_off, vaddr;

	if (!m)
		return -ENOENT;
	fs->n = 1;
	if (!strcmp(m->path, "[vdso]"))
		out->module = "[vdso]";
	mod = module_for(sym, m);
	if (!mod)
		return out->module ? 0 : -ENOENT;
	file_off = pc - m->start + m->offset;
	out->module = mod->path;
	out->offset = file_off;
	/* without a function, offset is the link-time address (addr2line's input), or the
	 * file offset when the file cannot be read */
	if (!mod->es || bw_elfsyms__offset_to_vaddr(mod->es, file_off, &vaddr))
		return 0;
	out->offset = vaddr;
	if (resolve_go(mod, vaddr, fs))
		return 0;
	name_function(mod, vaddr, out);
	locate_source(mod, vaddr, fs);
	return 0;
}

static void cache_put(struct bw_symbolizer *sym, uint64_t pc, const struct frames *fs)
{
	struct cached *c = malloc(sizeof(*c) + fs->n * sizeof(c->f[0]));

	if (!c)
		return; /* out of memory: the answer just stays uncached */
	c->n = fs->n;
	memcpy(c->f, fs->f, fs->n * sizeof(c->f[0]));
	if (bw_u64map__put(&sym->cache, pc, c))
		free(c);
}

/* Every frame of addr, from the cache or looked up (and cached when found). */
static int frames_of(struct bw_symbolizer *sym, uint64_t addr, bool is_return, struct frames *fs)
{
	uint64_t pc = is_return && addr ? addr - 1 : addr;
	struct cached *c = bw_u64map__get(&sym->cache, pc);
	int err;

	if (c) {
		fs->n = c->n;
		memcpy(fs->f, c->f, c->n * sizeof(c->f[0]));
	} else {
		memset(fs, 0, sizeof(*fs));
		err = lookup(sym, pc, fs);
		/* misses stay uncached: the next re-read of the maps may place them */
		if (err)
			return err;
		cache_put(sym, pc, fs);
	}
	for (int i = 0; i < fs->n; i++)
		fs->f[i].addr = addr;
	return 0;
}

int bw_symbolizer__resolve(struct bw_symbolizer *sym, uint64_t addr, bool is_return,
			   struct bw_frame_info *out)
{
	struct cached *c = bw_u64map__get(&sym->cache, is_return && addr ? addr - 1 : addr);
	struct frames fs;
	int err;

	if (c) { /* the common case, without copying every frame */
		*out = c->f[c->n - 1];
		out->addr = addr;
		return 0;
	}
	err = frames_of(sym, addr, is_return, &fs);

	if (err) {
		memset(out, 0, sizeof(*out));
		out->addr = addr;
		return err;
	}
	*out = fs.f[fs.n - 1];
	return 0;
}

int bw_symbolizer__resolve_frames(struct bw_symbolizer *sym, uint64_t addr, bool is_return,
				  struct bw_frame_info *out, int max)
{
	struct frames fs;
	int err, n;

	if (max < 1)
		return -EINVAL;
	err = frames_of(sym, addr, is_return, &fs);
	if (err)
		return err;
	n = fs.n < max ? fs.n : max;
	/* too many: the innermost max - 1, and the function the code is in */
	memcpy(out, fs.f, (n - 1) * sizeof(*out));
	out[n - 1] = fs.f[fs.n - 1];
	return n;
}

/*
 * Kernel symbols are the same for every process: one copy (65 ms and a few
 * MB to load), shared by every symbolizer reading the same file.
 */
static struct {
	char path[PATH_MAX];
	struct bw_kallsyms *ksyms;
	unsigned int users;
} shared_ksyms;

static struct bw_kallsyms *ksyms_get(const char *path)
{
	if (shared_ksyms.users && !strcmp(path, shared_ksyms.path)) {
		shared_ksyms.users++;
		return shared_ksyms.ksyms;
	}
	if (shared_ksyms.users)
		return bw_kallsyms__load(path); /* another root: a copy of its own */
	shared_ksyms.ksyms = bw_kallsyms__load(path);
	if (!shared_ksyms.ksyms)
		return NULL;
	snprintf(shared_ksyms.path, sizeof(shared_ksyms.path), "%s", path);
	shared_ksyms.users = 1;
	return shared_ksyms.ksyms;
}

static void ksyms_put(struct bw_kallsyms *ksyms)
{
	if (!ksyms)
		return;
	if (ksyms != shared_ksyms.ksyms) {
		bw_kallsyms__free(ksyms);
		return;
	}
	if (--shared_ksyms.users == 0) {
		bw_kallsyms__free(shared_ksyms.ksyms);
		shared_ksyms.ksyms = NULL;
	}
}

int bw_symbolizer__resolve_kernel(struct bw_symbolizer *sym, uint64_t addr,
				  struct bw_frame_info *out)
{
	const struct bw_ksym *k;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	if (!sym->ksyms_tried) {
		char path[PATH_MAX];

		sym->ksyms_tried = true;
		snprintf(path, sizeof(path), "%s/kallsyms", sym->proc_root);
		sym->ksyms = ksyms_get(path);
		if (!sym->ksyms)
			bw_warn("failed to read kernel symbols '%s': %s", path, strerror(errno));
	}
	k = sym->ksyms ? bw_kallsyms__find(sym->ksyms, addr) : NULL;
	if (!k)
		return -ENOENT;
	out->function = k->name;
	out->offset = addr - k->addr;
	out->module = k->module ? k->module : "[kernel]";
	return 0;
}

bool bw_symbolizer__is_text(struct bw_symbolizer *sym, uint64_t addr)
{
	const struct bw_mapping *m = bw_maps__find(&sym->maps, addr);

	return m && (m->perms & BW_MAP_EXEC);
}

const char *bw_symbolizer__exe_path(struct bw_symbolizer *sym)
{
	return sym->exe_path ? sym->exe_path : "";
}

/*
 * The mapping of /proc/PID/exe: same device and inode, else same path
 * (overlayfs shows other numbers in maps), else the first file mapped.
 */
static void find_exe(struct bw_symbolizer *sym)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *found = NULL;
	struct stat st;
	bool have_st;
	ssize_t n;

	free(sym->exe_path);
	sym->exe_path = NULL;
	snprintf(link, sizeof(link), "%s/%d/exe", sym->proc_root, sym->pid);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	have_st = !stat(link, &st);
	for (size_t i = 0; i < sym->maps.n && !found && have_st; i++) {
		const struct bw_mapping *m = &sym->maps.v[i];

		if (is_file_mapping(m) && (uint64_t)st.st_ino == m->inode &&
		    major(st.st_dev) == m->dev_major && minor(st.st_dev) == m->dev_minor)
			found = m->path;
	}
	for (size_t i = 0; i < sym->maps.n && !found; i++)
		if (n > 0 && !strcmp(sym->maps.v[i].path, target))
			found = sym->maps.v[i].path;
	for (size_t i = 0; i < sym->maps.n && !found; i++)
		if (is_file_mapping(&sym->maps.v[i]))
			found = sym->maps.v[i].path;
	if (found)
		sym->exe_path = strdup(found);
}

/* Drop the modules no longer mapped (the target exec()ed, or dlclose()d). */
static void prune_modules(struct bw_symbolizer *sym)
{
	size_t out = 0;

	for (size_t i = 0; i < sym->nmods; i++)
		sym->mods[i]->seen = false;
	for (size_t i = 0; i < sym->maps.n; i++) {
		struct module *mod = find_module(sym, &sym->maps.v[i]);

		if (mod)
			mod->seen = true;
	}
	for (size_t i = 0; i < sym->nmods; i++) {
		if (sym->mods[i]->seen)
			sym->mods[out++] = sym->mods[i];
		else
			module_free(sym->mods[i]);
	}
	sym->nmods = out;
}

int bw_symbolizer__refresh(struct bw_symbolizer *sym)
{
	int err = load_maps(sym);

	if (err)
		return err;
	prune_modules(sym);
	find_exe(sym);
	return 0;
}

struct bw_symbolizer *bw_symbolizer__new(const char *proc_root, pid_t pid)
{
	struct bw_symbolizer *sym = calloc(1, sizeof(*sym));
	int err;

	if (!sym)
		return NULL;
	sym->pid = pid;
	bw_u64map__init(&sym->cache);
	sym->proc_root = strdup(proc_root);
	err = sym->proc_root ? load_maps(sym) : -ENOMEM;
	if (err) {
		bw_symbolizer__free(sym);
		errno = -err;
		return NULL;
	}
	find_exe(sym);
	return sym;
}

void bw_symbolizer__free(struct bw_symbolizer *sym)
{
	if (!sym)
		return;
	cache_clear(sym);
	for (size_t i = 0; i < sym->nmods; i++)
		module_free(sym->mods[i]);
	free(sym->mods);
	free(sym->map_mod);
	bw_maps__free(&sym->maps);
	ksyms_put(sym->ksyms);
	free(sym->exe_path);
	free(sym->proc_root);
	free(sym);
}
