// SPDX-License-Identifier: BSD-2-Clause
/*
 * The Go pcln reader on real binaries: a program built now with the local Go
 * (plain and -s -w, checked against `go tool nm` and known source lines),
 * third-party binaries built by Go 1.17 to 1.26 (npm packages fetched by
 * scripts/fetch-go-binaries.sh into tests/.cache), each compared function by
 * function with Go's own debug/gosym, and a cgo PIE linked by lld. Copies
 * without section headers, with pcHeader.textStart zeroed, truncated or
 * damaged must give the same answers or fail cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <gelf.h>

#include "gopclntab.h"

/* The test program; main.main and main.worker start on these lines. */
static const char go_src[] = "package main\n"
			     "\n"
			     "import (\n"
			     "\t\"fmt\"\n"
			     "\t\"os\"\n"
			     ")\n"
			     "\n"
			     "//go:noinline\n"
			     "func worker(c chan int, v int) {\n" /* 9 */
			     "\tc <- v * 2\n"
			     "}\n"
			     "\n"
			     "func main() {\n" /* 13 */
			     "\tc := make(chan int)\n"
			     "\tgo worker(c, len(os.Args))\n" /* 15 */
			     "\tfmt.Println(<-c)\n"	      /* 16 */
			     "}\n";
#define MAIN_LINE 13
#define WORKER_LINE 9

/* cgo, so that the external linker (lld) lays the binary out */
static const char cgo_src[] = "package main\n"
			      "\n"
			      "// static int twice(int x) { return 2 * x; }\n"
			      "import \"C\"\n"
			      "import \"fmt\"\n"
			      "\n"
			      "func main() {\n"
			      "\tfmt.Println(C.twice(21))\n"
			      "}\n";

/*
 * Inlined calls: inner and outer are inlined into main.main (the -gcflags=-m
 * log must say so). The program prints where capture() returns to, as an
 * offset from main.main's entry (PIE or not), then Go's own expansion of the
 * frames there: runtime.CallersFrames, one "function file line" a line.
 */
static const char inl_src[] = "package main\n"
			      "\n"
			      "import (\n"
			      "\t\"fmt\"\n"
			      "\t\"os\"\n"
			      "\t\"runtime\"\n"
			      ")\n"
			      "\n"
			      "//go:noinline\n"
			      "func capture() []uintptr {\n"
			      "\tpcs := make([]uintptr, 32)\n"
			      "\treturn pcs[:runtime.Callers(2, pcs)]\n"
			      "}\n"
			      "\n"
			      "func inner(n int) []uintptr {\n"
			      "\tif n > 100 {\n"
			      "\t\treturn nil\n"
			      "\t}\n"
			      "\treturn capture()\n" /* 19 */
			      "}\n"
			      "\n"
			      "func outer(n int) []uintptr {\n"
			      "\treturn inner(n + 1)\n" /* 23 */
			      "}\n"
			      "\n"
			      "func main() {\n"
			      "\tpcs := outer(len(os.Args))\n" /* 27 */
			      "\tfmt.Printf(\"%x\\n\", pcs[0]-runtime.FuncForPC(pcs[0]).Entry())\n"
			      "\tframes := runtime.CallersFrames(pcs)\n"
			      "\tfor {\n"
			      "\t\tf, more := frames.Next()\n"
			      "\t\tfmt.Printf(\"%s %s %d\\n\", f.Function, f.File, f.Line)\n"
			      "\t\tif f.Function == \"main.main\" || !more {\n"
			      "\t\t\tbreak\n"
			      "\t\t}\n"
			      "\t}\n"
			      "}\n";
#define INL_INNER_LINE 19
#define INL_OUTER_LINE 23
#define INL_MAIN_LINE 27

/*
 * The oracle: Go's debug/gosym prints every function and the file:line of
 * three pcs in it. Go 1.19's gosym predates magic 0xfffffff1 (same layout as
 * 0xfffffff0 for what it reads) and Go 1.26's textStart of 0: the copy it
 * parses is patched, with the .text address as text start (internal linking).
 */
static const char oracle_src[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"bufio\"\n"
	"\t\"debug/elf\"\n"
	"\t\"debug/gosym\"\n"
	"\t\"encoding/binary\"\n"
	"\t\"fmt\"\n"
	"\t\"os\"\n"
	")\n"
	"\n"
	"func main() {\n"
	"\tf, err := elf.Open(os.Args[1])\n"
	"\tif err != nil {\n"
	"\t\tpanic(err)\n"
	"\t}\n"
	"\tdata, err := f.Section(\".gopclntab\").Data()\n"
	"\tif err != nil {\n"
	"\t\tpanic(err)\n"
	"\t}\n"
	"\ttext := f.Section(\".text\").Addr\n"
	"\tif binary.LittleEndian.Uint32(data) == 0xfffffff1 {\n"
	"\t\tbinary.LittleEndian.PutUint32(data, 0xfffffff0)\n"
	"\t}\n"
	"\tif binary.LittleEndian.Uint32(data) == 0xfffffff0 && "
	"binary.LittleEndian.Uint64(data[24:]) == 0 {\n"
	"\t\tbinary.LittleEndian.PutUint64(data[24:], text)\n"
	"\t}\n"
	"\ttab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text))\n"
	"\tif err != nil {\n"
	"\t\tpanic(err)\n"
	"\t}\n"
	"\tw := bufio.NewWriter(os.Stdout)\n"
	"\tdefer w.Flush()\n"
	"\tfor _, fn := range tab.Funcs {\n"
	"\t\tfmt.Fprintf(w, \"F %x %x %s\\n\", fn.Entry, fn.End, fn.Name)\n"
	"\t\tfor _, pc := range []uint64{fn.Entry, fn.Entry + (fn.End-fn.Entry)/2} {\n"
	"\t\t\tfile, line, _ := tab.PCToLine(pc)\n"
	"\t\t\tfmt.Fprintf(w, \"L %x %d %s\\n\", pc, line, file)\n"
	"\t\t}\n"
	"\t}\n"
	"}\n";

struct npm_bin {
	const char *rel;     /* under tests/.cache */
	const char *version; /* verified: see scripts/fetch-go-binaries.sh */
	uint32_t magic;
	bool moduledata; /* text start had to come from runtime.moduledata */
};

static const struct npm_bin npm_bins[] = {
	{ "esbuild/0.14.0/esbuild", "go1.17.2", 0xfffffffa, false },
	{ "esbuild/0.14.30/esbuild", "go1.18", 0xfffffff0, false },
	{ "esbuild/0.14.54/esbuild", "go1.19", 0xfffffff0, false },
	{ "esbuild/0.17.19/esbuild", "go1.20.4", 0xfffffff1, false },
	{ "lefthook/1.5.5/lefthook", "go1.21.4", 0xfffffff1, false },
	{ "esbuild/0.22.0/esbuild", "go1.22.4", 0xfffffff1, false },
	{ "esbuild/0.24.2/esbuild", "go1.23.1", 0xfffffff1, false },
	{ "lefthook/1.11.10/lefthook", "go1.24.2", 0xfffffff1, false },
	{ "esbuild/0.27.7/esbuild", "go1.25.7", 0xfffffff1, false }, /* no .go.buildinfo */
	{ "esbuild/0.28.2/esbuild", "go1.26.5", 0xfffffff1, true },  /* textStart 0 */
};
#define NPM_BINS (sizeof(npm_bins) / sizeof(npm_bins[0]))
#define BW_TEST_MAX_FRAMES 16

static const char *const runtime_funcs[] = { "runtime.gopark", "runtime.ready", "runtime.newproc1",
					     "main.main" };

/* Set up once: the temporary directory and what was built in it. */
static struct {
	char dir[64];
	char plain[128], stripped[128], oracle[128];
	char go_version[32];
	bool have_go, have_oracle;
} fx;

/* ---- helpers ---- */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_all(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) || !(buf = malloc(st.st_size ? st.st_size : 1))) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	*size = st.st_size;
	if (read(fd, buf, *size) != (ssize_t)*size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	return buf;
}

/* go build in fx.dir; GOCACHE stays the user's (if any) so that PIE/cgo builds are cached. */
static int go_build(const char *src, const char *out, const char *env, const char *flags)
{
	const char *home = getenv("HOME");
	char cache[128] = "";

	if ((!home || !*home) && !getenv("GOCACHE"))
		snprintf(cache, sizeof(cache), "GOCACHE=%s/cache", fx.dir);
	return run("cd %s && %s %s GO111MODULE=off GOPATH=%s/gopath GOFLAGS= "
		   "go build %s -o %s %s >%s/build.log 2>&1",
		   fx.dir, env, cache, fx.dir, flags, out, src, fx.dir);
}

static const char *cache_dir(void)
{
	const char *d = getenv("BW_GOBIN_CACHE");

	return d && *d ? d : "tests/.cache";
}

static bool npm_path(const struct npm_bin *b, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", cache_dir(), b->rel);
	if (access(path, R_OK) == 0)
		return true;
	print_message("skipped '%s': not in %s (run scripts/fetch-go-binaries.sh)\n", b->rel,
		      cache_dir());
	return false;
}

static bool npm_cache_present(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/esbuild", cache_dir());
	if (access(path, R_OK) == 0)
		return true;
	print_message("skipped: %s absent: scripts/fetch-go-binaries.sh fetches the npm Go "
		      "binaries (make check runs it)\n",
		      path);
	return false;
}

#define REQUIRE_GO()                                                                    \
	do {                                                                            \
		if (!fx.have_go) {                                                      \
			print_message("skipped: no Go toolchain ('go' not in PATH)\n"); \
			skip();                                                         \
		}                                                                       \
	} while (0)

static struct bw_gobin *open_or_fail(const char *path)
{
	struct bw_gobin *gb = bw_gobin__open(path);

	if (!gb)
		fail_msg("failed to open '%s': %s", path, strerror(errno));
	return gb;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Magic the pcln table of a given Go minor version has. */
static uint32_t magic_for(int minor)
{
	return minor >= 20 ? 0xfffffff1 : minor >= 18 ? 0xfffffff0 : 0xfffffffa;
}

/* Every look-up of one function agrees with itself: by name, at its entry, inside it. */
static void check_func(const struct bw_gobin *gb, const char *name)
{
	struct bw_go_func f, at;
	const char *file;
	int line;

	if (bw_gobin__func_by_name(gb, name, &f))
		fail_msg("'%s' not found by name", name);
	assert_string_equal(f.name, name);
	assert_true(f.entry < f.end);
	assert_int_equal(bw_gobin__func_at(gb, f.entry, &at), 0);
	assert_string_equal(at.name, name);
	assert_int_equal(at.entry, f.entry);
	assert_int_equal(bw_gobin__func_at(gb, f.end - 1, &at), 0);
	assert_int_equal(at.entry, f.entry);
	if (!bw_gobin__func_at(gb, f.end, &at))
		assert_true(at.entry == f.end);
	assert_int_equal(bw_gobin__line_at(gb, f.entry, &file, &line), 0);
	assert_true(line > 0);
}

/* cmp 0x10(%r14),%rsp: the stack check every Go 1.17+ amd64 function with a frame starts with */
static void check_gopark_prologue(const struct bw_gobin *gb)
{
	static const uint8_t want[4] = { 0x49, 0x3b, 0x66, 0x10 };
	struct bw_go_func f;
	uint8_t code[4];

	assert_int_equal(bw_gobin__func_by_name(gb, "runtime.gopark", &f), 0);
	assert_int_equal(bw_gobin__read(gb, f.entry, code, sizeof(code)), 0);
	if (memcmp(code, want, sizeof(want)))
		fail_msg("runtime.gopark at 0x%llx starts %02x %02x %02x %02x",
			 (unsigned long long)f.entry, code[0], code[1], code[2], code[3]);
}

static bool same_str(const char *x, const char *y)
{
	return x == y || (x && y && !strcmp(x, y));
}

/* The same inlined calls at pc (the inline trees found the same way or another). */
static void check_same_frames(const struct bw_gobin *a, const struct bw_gobin *b, uint64_t pc,
			      const char *what)
{
	struct bw_go_frame fa[16], fb[16];
	int na = bw_gobin__frames_at(a, pc, fa, 16), nb = bw_gobin__frames_at(b, pc, fb, 16);

	if (na != nb)
		fail_msg("%s: %d frames at 0x%llx, want %d", what, nb, (unsigned long long)pc, na);
	for (int i = 0; i < na; i++)
		if (!same_str(fa[i].function, fb[i].function) ||
		    !same_str(fa[i].file, fb[i].file) || fa[i].line != fb[i].line ||
		    fa[i].inlined != fb[i].inlined)
			fail_msg("%s: frame %d at 0x%llx: %s %s:%d, want %s %s:%d", what, i,
				 (unsigned long long)pc, fb[i].function, fb[i].file, fb[i].line,
				 fa[i].function, fa[i].file, fa[i].line);
}

/* Two objects answer every function and line the same way. */
static void check_same(const struct bw_gobin *a, const struct bw_gobin *b, const char *what)
{
	size_t n = bw_gobin__func_count(a);

	if (bw_gobin__func_count(b) != n)
		fail_msg("%s: %zu functions, want %zu", what, bw_gobin__func_count(b), n);
	assert_int_equal(bw_gobin__pcln_magic(a), bw_gobin__pcln_magic(b));
	if (bw_gobin__version_string(a)) {
		assert_non_null(bw_gobin__version_string(b));
		assert_string_equal(bw_gobin__version_string(a), bw_gobin__version_string(b));
	}
	for (size_t i = 0; i < n; i++) {
		struct bw_go_func fa, fb;
		const char *file_a = NULL, *file_b = NULL;
		int line_a = 0, line_b = 0, ea, eb;

		assert_int_equal(bw_gobin__func_by_index(a, i, &fa), 0);
		assert_int_equal(bw_gobin__func_by_index(b, i, &fb), 0);
		if (fa.entry != fb.entry || fa.end != fb.end || strcmp(fa.name, fb.name))
			fail_msg("%s: function %zu: %s 0x%llx, want %s 0x%llx", what, i, fb.name,
				 (unsigned long long)fb.entry, fa.name,
				 (unsigned long long)fa.entry);
		ea = bw_gobin__line_at(a, fa.entry, &file_a, &line_a);
		eb = bw_gobin__line_at(b, fb.entry, &file_b, &line_b);
		assert_int_equal(ea, eb);
		if (!ea && (line_a != line_b || strcmp(file_a, file_b)))
			fail_msg("%s: %s: line %s:%d, want %s:%d", what, fa.name, file_b, line_b,
				 file_a, line_a);
		check_same_frames(a, b, fa.entry + (fa.end - fa.entry) / 2, what);
	}
}

/* ---- setup ---- */

static int parse_go_version(const char *s, struct bw_go_version *v)
{
	*v = (struct bw_go_version){ 0 };
	return sscanf(s, "go%d.%d.%d", &v->major, &v->minor, &v->patch) >= 2 ? 0 : -1;
}

static int group_setup(void **state)
{
	char path[256];
	FILE *p;

	(void)state;
	strcpy(fx.dir, "/tmp/bw-gopclntab-XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	if (system("command -v go >/dev/null 2>&1"))
		return 0;
	p = popen("go env GOVERSION 2>/dev/null", "r");
	if (!p || !fgets(fx.go_version, sizeof(fx.go_version), p)) {
		if (p)
			pclose(p);
		return 0;
	}
	pclose(p);
	fx.go_version[strcspn(fx.go_version, "\n")] = 0;
	snprintf(path, sizeof(path), "%s/main.go", fx.dir);
	write_file(path, go_src);
	snprintf(fx.plain, sizeof(fx.plain), "%s/plain", fx.dir);
	snprintf(fx.stripped, sizeof(fx.stripped), "%s/stripped", fx.dir);
	if (go_build("main.go", "plain", "", "") ||
	    go_build("main.go", "stripped", "", "-ldflags='-s -w'")) {
		run("cat %s/build.log >&2", fx.dir);
		return -1;
	}
	fx.have_go = true;
	mkdir(strcat(strcpy(path, fx.dir), "/oracle"), 0755);
	snprintf(path, sizeof(path), "%s/oracle/main.go", fx.dir);
	write_file(path, oracle_src);
	snprintf(fx.oracle, sizeof(fx.oracle), "%s/oracle/oracle", fx.dir);
	fx.have_oracle = !go_build("oracle/main.go", "oracle/oracle", "", "");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (fx.dir[0])
		run("rm -rf %s", fx.dir);
	return 0;
}

/* ---- the program built here ---- */

static void test_gopclntab__built_version_and_magic(void **state)
{
	const char *paths[] = { fx.plain, fx.stripped };
	struct bw_go_version want, got;

	(void)state;
	REQUIRE_GO();
	assert_int_equal(parse_go_version(fx.go_version, &want), 0);
	for (int i = 0; i < 2; i++) {
		struct bw_gobin *gb = open_or_fail(paths[i]);

		assert_int_equal(bw_gobin__version(gb, &got), 0);
		assert_string_equal(bw_gobin__version_string(gb), fx.go_version);
		assert_int_equal(got.major, want.major);
		assert_int_equal(got.minor, want.minor);
		assert_int_equal(got.patch, want.patch);
		assert_int_equal(bw_gobin__pcln_magic(gb), magic_for(want.minor));
		assert_int_equal(bw_gobin__has_symtab(gb), i == 0);
		assert_int_equal(bw_gobin__has_dwarf(gb), i == 0);
		bw_gobin__free(gb);
	}
}

/* main.main and main.worker begin on the lines written above; main.main covers 13-16. */
static void test_gopclntab__built_lines(void **state)
{
	const char *paths[] = { fx.plain, fx.stripped };

	(void)state;
	REQUIRE_GO();
	for (int i = 0; i < 2; i++) {
		struct bw_gobin *gb = open_or_fail(paths[i]);
		bool seen[20] = { false };
		struct bw_go_func f;
		const char *file;
		int line;

		for (size_t k = 0; k < sizeof(runtime_funcs) / sizeof(runtime_funcs[0]); k++)
			check_func(gb, runtime_funcs[k]);
		check_gopark_prologue(gb);
		assert_int_equal(bw_gobin__func_by_name(gb, "main.main", &f), 0);
		assert_int_equal(bw_gobin__line_at(gb, f.entry, &file, &line), 0);
		assert_int_equal(line, MAIN_LINE);
		assert_true(ends_with(file, "/main.go"));
		for (uint64_t pc = f.entry; pc < f.end; pc++)
			if (!bw_gobin__line_at(gb, pc, &file, &line) && line > 0 && line < 20)
				seen[line] = true;
		for (int l = MAIN_LINE; l <= MAIN_LINE + 3; l++)
			if (!seen[l])
				fail_msg("no pc of main.main on line %d", l);
		assert_int_equal(bw_gobin__func_by_name(gb, "main.worker", &f), 0);
		assert_int_equal(bw_gobin__line_at(gb, f.entry, &file, &line), 0);
		assert_int_equal(line, WORKER_LINE);
		assert_int_equal(bw_gobin__func_by_name(gb, "main.nosuchfunc", &f), -ENOENT);
		assert_int_equal(bw_gobin__func_at(gb, 0, &f), -ENOENT);
		assert_int_equal(bw_gobin__func_at(gb, UINT64_MAX, &f), -ENOENT);
		bw_gobin__free(gb);
	}
}

static void test_gopclntab__stripped_identical(void **state)
{
	struct bw_gobin *plain, *stripped;

	(void)state;
	REQUIRE_GO();
	plain = open_or_fail(fx.plain);
	stripped = open_or_fail(fx.stripped);
	check_same(plain, stripped, "stripped");
	bw_gobin__free(plain);
	bw_gobin__free(stripped);
}

/*
 * Every pcln function sits where `go tool nm` has a symbol of its name. By
 * address: names repeat (ABI wrappers, generic instances), and nm also lists
 * C code and markers (runtime.text) that the pcln table does not have.
 */
static void check_against_nm(const char *bin, const struct bw_gobin *gb)
{
	char cmd[512], line[1024], name[900];
	size_t checked = 0, mismatched = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "go tool nm -size -sort address %s", bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long addr, size;
		struct bw_go_func f;
		char type;
		size_t n;

		if (sscanf(line, "%llx %llu %c %899[^\n]", &addr, &size, &type, name) != 4 ||
		    (type != 'T' && type != 't') || !size)
			continue;
		if (bw_gobin__func_at(gb, addr, &f) || f.entry != addr)
			continue; /* C code */
		/* assembly functions carry an ABI suffix in the symbol table only */
		n = strlen(name);
		if (n > 5 && !strcmp(name + n - 5, ".abi0"))
			name[n - 5] = 0;
		checked++;
		/* the pcln table shortens type arguments to "[...]", nm spells them out */
		if (strcmp(f.name, name) && !strstr(f.name, "[...]")) {
			mismatched++;
			print_message("nm: %s at 0x%llx, pcln: %s\n", name, addr, f.name);
		}
	}
	assert_int_equal(pclose(p), 0);
	print_message("%s: %zu of %zu pcln functions found in go tool nm\n", bin, checked,
		      bw_gobin__func_count(gb));
	assert_int_equal(mismatched, 0);
	assert_int_equal(checked, bw_gobin__func_count(gb));
}

static void test_gopclntab__go_tool_nm(void **state)
{
	struct bw_gobin *gb;

	(void)state;
	REQUIRE_GO();
	gb = open_or_fail(fx.plain);
	check_against_nm(fx.plain, gb);
	assert_int_equal(bw_gobin__symbol(gb, "runtime.allgs") != 0, 1);
	bw_gobin__free(gb);
	gb = open_or_fail(fx.stripped);
	check_against_nm(fx.plain, gb); /* the stripped one has no symbols: use the plain's */
	assert_int_equal(bw_gobin__symbol(gb, "runtime.allgs"), 0);
	bw_gobin__free(gb);
}

static void test_gopclntab__vaddr_offset_read(void **state)
{
	struct bw_gobin *gb;
	struct bw_go_func f;
	uint8_t mem[32], file[32];
	uint64_t off;
	size_t size;
	uint8_t *img;

	(void)state;
	REQUIRE_GO();
	gb = open_or_fail(fx.stripped);
	img = read_all(fx.stripped, &size);
	assert_non_null(img);
	assert_int_equal(bw_gobin__func_by_name(gb, "main.main", &f), 0);
	assert_int_equal(bw_gobin__vaddr_to_offset(gb, f.entry, &off), 0);
	assert_true(off + sizeof(file) <= size);
	memcpy(file, img + off, sizeof(file));
	assert_int_equal(bw_gobin__read(gb, f.entry, mem, sizeof(mem)), 0);
	assert_memory_equal(mem, file, sizeof(mem));
	assert_int_equal(bw_gobin__vaddr_to_offset(gb, 0, &off), -ENOENT);
	assert_int_equal(bw_gobin__read(gb, 0, mem, 1), -EFAULT);
	assert_int_equal(bw_gobin__read(gb, UINT64_MAX - 4, mem, 16), -EFAULT);
	free(img);
	bw_gobin__free(gb);
}

/* ---- npm binaries: Go 1.17 to 1.26 ---- */

static void test_gopclntab__npm_binaries(void **state)
{
	int tested = 0;

	(void)state;
	if (!npm_cache_present())
		skip();
	for (size_t i = 0; i < NPM_BINS; i++) {
		const struct npm_bin *b = &npm_bins[i];
		struct bw_go_version want, got;
		struct bw_gobin *gb;
		struct bw_go_func f;
		struct timespec t0, t1;
		const char *file;
		char path[256];
		int line;

		if (!npm_path(b, path, sizeof(path)))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		gb = open_or_fail(path);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_int_equal(parse_go_version(b->version, &want), 0);
		assert_int_equal(bw_gobin__version(gb, &got), 0);
		if (strcmp(bw_gobin__version_string(gb), b->version))
			fail_msg("%s: version %s, want %s", b->rel, bw_gobin__version_string(gb),
				 b->version);
		assert_int_equal(got.minor, want.minor);
		assert_int_equal(got.patch, want.patch);
		assert_int_equal(bw_gobin__pcln_magic(gb), b->magic);
		assert_int_equal(bw_gobin__pcln_magic(gb), magic_for(want.minor));
		assert_int_equal(bw_gobin__moduledata(gb) != 0, b->moduledata);
		for (size_t k = 0; k < sizeof(runtime_funcs) / sizeof(runtime_funcs[0]); k++)
			check_func(gb, runtime_funcs[k]);
		check_gopark_prologue(gb);
		assert_int_equal(bw_gobin__func_by_name(gb, "main.main", &f), 0);
		assert_int_equal(bw_gobin__line_at(gb, f.entry, &file, &line), 0);
		assert_true(ends_with(file, "main.go") && line > 0);
		print_message("%-26s %-9s magic 0x%x %5zu functions, open %.2f ms\n", b->rel,
			      bw_gobin__version_string(gb), bw_gobin__pcln_magic(gb),
			      bw_gobin__func_count(gb),
			      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
		bw_gobin__free(gb);
		tested++;
	}
	if (!tested)
		skip();
}

/* ---- Go's debug/gosym as the reference ---- */

static void compare_with_oracle(const char *bin)
{
	char cmd[512], line[2048];
	size_t funcs = 0, lines = 0, i = 0;
	struct bw_gobin *gb = open_or_fail(bin);
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s", fx.oracle, bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long a, b;
		char name[1500];
		int ln, n = 0;

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "F %llx %llx %n", &a, &b, &n) == 2 && n) {
			struct bw_go_func f;

			assert_int_equal(bw_gobin__func_by_index(gb, i++, &f), 0);
			if (f.entry != a || f.end != b || strcmp(f.name, line + n))
				fail_msg("%s: %s 0x%llx-0x%llx, gosym %s 0x%llx-0x%llx", bin,
					 f.name, (unsigned long long)f.entry,
					 (unsigned long long)f.end, line + n, a, b);
			funcs++;
		} else if (sscanf(line, "L %llx %d %n", &a, &ln, &n) == 2 && n) {
			const char *file;
			int got;

			snprintf(name, sizeof(name), "%s", line + n);
			if (ln <= 0) /* gosym knows no line: padding, or a negative line */
				continue;
			if (bw_gobin__line_at(gb, a, &file, &got) || got != ln ||
			    strcmp(file, name))
				fail_msg("%s: line at 0x%llx: gosym %s:%d", bin, a, name, ln);
			lines++;
		}
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(funcs, bw_gobin__func_count(gb));
	print_message("%s: %zu functions, %zu lines agree with debug/gosym\n", bin, funcs, lines);
	bw_gobin__free(gb);
}

static void test_gopclntab__gosym_oracle(void **state)
{
	char path[256];

	(void)state;
	REQUIRE_GO();
	if (!fx.have_oracle)
		fail_msg("failed to build the debug/gosym oracle");
	compare_with_oracle(fx.plain);
	compare_with_oracle(fx.stripped);
	if (!npm_cache_present())
		return;
	for (size_t i = 0; i < NPM_BINS; i++)
		if (npm_path(&npm_bins[i], path, sizeof(path)))
			compare_with_oracle(path);
}

/* ---- copies: no section headers, textStart zeroed ---- */

static void strip_section_headers(uint8_t *img)
{
	memset(img + offsetof(Elf64_Ehdr, e_shoff), 0, 8);
	memset(img + offsetof(Elf64_Ehdr, e_shnum), 0, 2);
	memset(img + offsetof(Elf64_Ehdr, e_shstrndx), 0, 2);
}

/* File offset of a section's bytes (0 if absent): tests patch the pcln header there. */
static uint64_t section_offset(const uint8_t *img, size_t size, const char *want)
{
	Elf *elf = elf_memory((char *)img, size);
	Elf_Scn *scn = NULL;
	uint64_t off = 0;
	size_t shstrndx;

	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) && (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(name, want))
			off = sh.sh_offset;
	}
	elf_end(elf);
	return off;
}

static void check_without_section_headers(const char *path)
{
	struct bw_gobin *orig = open_or_fail(path), *copy;
	size_t size;
	uint8_t *img = read_all(path, &size);

	assert_non_null(img);
	strip_section_headers(img);
	copy = bw_gobin__open_mem(img, size);
	if (!copy)
		fail_msg("%s without section headers: %s", path, strerror(errno));
	assert_non_null(bw_gobin__version_string(copy));
	check_same(orig, copy, path);
	check_gopark_prologue(copy);
	assert_int_equal(bw_gobin__text_start(copy), bw_gobin__text_start(orig));
	bw_gobin__free(copy);
	bw_gobin__free(orig);
	free(img);
}

static void test_gopclntab__no_section_headers(void **state)
{
	char path[256];

	(void)state;
	if (elf_version(EV_CURRENT) == EV_NONE)
		fail_msg("libelf");
	if (fx.have_go) {
		check_without_section_headers(fx.plain);
		check_without_section_headers(fx.stripped);
	}
	if (!npm_cache_present())
		return;
	for (size_t i = 0; i < NPM_BINS; i++)
		if (npm_path(&npm_bins[i], path, sizeof(path)))
			check_without_section_headers(path);
}

/* As Go 1.26 and some cgo builds: pcHeader.textStart 0, so moduledata.text is used. */
static void test_gopclntab__text_start_zeroed(void **state)
{
	const char *paths[] = { fx.plain, fx.stripped };

	(void)state;
	REQUIRE_GO();
	elf_version(EV_CURRENT);
	for (int i = 0; i < 2; i++) {
		struct bw_gobin *orig = open_or_fail(paths[i]), *copy;
		size_t size;
		uint8_t *img = read_all(paths[i], &size);
		uint64_t pcln;

		assert_non_null(img);
		pcln = section_offset(img, size, ".gopclntab");
		assert_true(pcln && pcln + 32 <= size);
		assert_int_equal(bw_gobin__moduledata(orig), 0); /* not needed, not searched */
		memset(img + pcln + 24, 0, 8);
		for (int strip = 0; strip < 2; strip++) {
			if (strip)
				strip_section_headers(img);
			copy = bw_gobin__open_mem(img, size);
			assert_non_null(copy);
			assert_int_not_equal(bw_gobin__moduledata(copy), 0);
			assert_int_equal(bw_gobin__text_start(copy), bw_gobin__text_start(orig));
			check_same(orig, copy, strip ? "textStart 0, no sections" : "textStart 0");
			bw_gobin__free(copy);
		}
		free(img);
		bw_gobin__free(orig);
	}
}

/*
 * A cgo PIE linked by lld: .gopclntab is folded into writable .data.rel.ro and
 * lld leaves pointer slots (pcHeader.textStart, moduledata) 0 in the file, their
 * values only in R_X86_64_RELATIVE relocations.
 */
static void test_gopclntab__cgo_pie_lld(void **state)
{
	char path[256], bin[160];
	struct bw_gobin *gb;
	uint64_t text = 0;
	char line[512];
	FILE *p;

	(void)state;
	REQUIRE_GO();
	if (system("command -v ld.lld >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1")) {
		print_message("skipped: no ld.lld or gcc for a cgo build\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/cgo.go", fx.dir);
	write_file(path, cgo_src);
	snprintf(bin, sizeof(bin), "%s/cgo-pie", fx.dir);
	if (go_build("cgo.go", "cgo-pie", "CGO_ENABLED=1",
		     "-buildmode=pie -ldflags=-extldflags=-fuse-ld=lld")) {
		run("cat %s/build.log >&2", fx.dir);
		fail_msg("failed to build a cgo PIE with lld");
	}
	snprintf(line, sizeof(line), "go tool nm %s | grep ' runtime.text$'", bin);
	p = popen(line, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	text = strtoull(line, NULL, 16);
	gb = open_or_fail(bin);
	assert_int_equal(bw_gobin__text_start(gb), text);
	check_func(gb, "main.main");
	check_against_nm(bin, gb);
	bw_gobin__free(gb);
	assert_int_equal(go_build("cgo.go", "cgo-pie-s", "CGO_ENABLED=1",
				  "-buildmode=pie -ldflags='-s -w -extldflags=-fuse-ld=lld'"),
			 0);
	snprintf(path, sizeof(path), "%s/cgo-pie-s", fx.dir);
	gb = open_or_fail(path);
	assert_int_equal(bw_gobin__text_start(gb), text);
	check_against_nm(bin, gb);
	bw_gobin__free(gb);
	check_without_section_headers(path);
}

/* ---- inlined calls ---- */

struct go_frame_line {
	char function[256], file[512];
	int line;
};

/* Run an inl_src binary: the offset it prints, and Go's own frames (their count). */
static int run_inl(const char *bin, uint64_t *off, struct go_frame_line *fr, int max)
{
	char line[1024];
	unsigned long long v;
	int n = 0;
	FILE *p = popen(bin, "r");

	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(sscanf(line, "%llx", &v), 1);
	*off = v;
	while (n < max && fgets(line, sizeof(line), p))
		if (sscanf(line, "%255s %511s %d", fr[n].function, fr[n].file, &fr[n].line) == 3)
			n++;
	assert_int_equal(pclose(p), 0);
	return n;
}

static void check_frame(const struct bw_go_frame *fr, const char *function, int line, bool inlined)
{
	if (strcmp(fr->function, function) || fr->line != line || fr->inlined != inlined ||
	    !fr->file || !ends_with(fr->file, "/inl/main.go"))
		fail_msg("frame %s %s:%d%s, want %s main.go:%d%s", fr->function, fr->file, fr->line,
			 fr->inlined ? " (inlined)" : "", function, line,
			 inlined ? " (inlined)" : "");
}

/* Where capture() returns to in main.main: Go's expansion, then ours. */
static void check_inlined_against_runtime(const char *bin)
{
	struct go_frame_line want[8];
	struct bw_go_frame got[8];
	struct bw_gobin *gb = open_or_fail(bin);
	struct bw_go_func f;
	const char *file;
	uint64_t off, pc;
	int n = run_inl(bin, &off, want, 8), k, line;

	assert_int_equal(bw_gobin__func_by_name(gb, "main.main", &f), 0);
	pc = f.entry + off - 1; /* the call, as for any return address */
	k = bw_gobin__frames_at(gb, pc, got, 8);
	print_message("%s: main.main+0x%llx:", bin, (unsigned long long)off);
	for (int i = 0; i < k; i++)
		print_message(" %s:%d%s", got[i].function, got[i].line, got[i].inlined ? "*" : "");
	print_message("\n");
	if (k != n)
		fail_msg("%d frames, Go's CallersFrames %d", k, n);
	for (int i = 0; i < n; i++) {
		check_frame(&got[i], want[i].function, want[i].line, i < n - 1);
		assert_string_equal(got[i].file, want[i].file);
		assert_int_equal(got[i].entry, f.entry);
	}
	/* what the program says is what its source says */
	assert_int_equal(n, 3);
	check_frame(&got[0], "main.inner", INL_INNER_LINE, true);
	check_frame(&got[1], "main.outer", INL_OUTER_LINE, true);
	check_frame(&got[2], "main.main", INL_MAIN_LINE, false);
	/* short buffers keep the innermost and the function the code is in */
	assert_int_equal(bw_gobin__frames_at(gb, pc, got, 2), 2);
	check_frame(&got[0], "main.inner", INL_INNER_LINE, true);
	check_frame(&got[1], "main.main", INL_MAIN_LINE, false);
	assert_int_equal(bw_gobin__frames_at(gb, pc, got, 1), 1);
	check_frame(&got[0], "main.main", INL_MAIN_LINE, false);
	assert_int_equal(bw_gobin__frames_at(gb, pc, got, 0), -ENOENT);
	/* line_at stays the innermost position, func_at the function */
	assert_int_equal(bw_gobin__line_at(gb, pc, &file, &line), 0);
	assert_int_equal(line, INL_INNER_LINE);
	assert_int_equal(bw_gobin__func_at(gb, pc, &f), 0);
	assert_string_equal(f.name, "main.main");
	/* main.main's own code: one frame */
	assert_int_equal(bw_gobin__frames_at(gb, f.entry, got, 8), 1);
	assert_string_equal(got[0].function, "main.main");
	assert_false(got[0].inlined);
	assert_int_equal(bw_gobin__frames_at(gb, 0, got, 8), -ENOENT);
	assert_int_equal(bw_gobin__frames_at(NULL, pc, got, 8), -ENOENT);
	bw_gobin__free(gb);
}

static bool log_has(const char *what)
{
	char path[128], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/build.log", fx.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* A program built here, plain, stripped and PIE: the chain equals Go's own. */
static void test_gopclntab__inlined_runtime(void **state)
{
	static const struct {
		const char *out, *flags;
	} builds[] = {
		{ "inl/plain", "-gcflags=-m" },
		{ "inl/stripped", "-gcflags=-m -ldflags='-s -w'" },
		{ "inl/pie", "-gcflags=-m -buildmode=pie" },
	};
	char path[256];

	(void)state;
	REQUIRE_GO();
	snprintf(path, sizeof(path), "%s/inl", fx.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/inl/main.go", fx.dir);
	write_file(path, inl_src);
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		if (go_build("inl/main.go", builds[i].out, "", builds[i].flags)) {
			run("cat %s/build.log >&2", fx.dir);
			fail_msg("failed to build %s", builds[i].out);
		}
		/* the premise: the compiler did inline them there */
		if (!log_has("main.go:23:14: inlining call to inner") ||
		    !log_has("main.go:27:14: inlining call to outer") ||
		    !log_has("main.go:27:14: inlining call to inner"))
			fail_msg("%s: inner and outer not inlined as expected", builds[i].out);
		snprintf(path, sizeof(path), "%s/%s", fx.dir, builds[i].out);
		check_inlined_against_runtime(path);
	}
}

struct inl_stats {
	size_t pcs, chains, inlined, exist, same_file, later_line;
};

/*
 * Every frame named, those of inlined calls placed too (a lone frame may have
 * no line: padding past a function's code); the chain ends with the function.
 */
static void check_chain(const struct bw_gobin *gb, const struct bw_go_func *f, uint64_t pc,
			const struct bw_go_frame *fr, int n, struct inl_stats *st)
{
	for (int i = 0; i < n; i++) {
		if (!fr[i].function || !fr[i].function[0] ||
		    (n > 1 && (!fr[i].file || fr[i].line <= 0)) || fr[i].entry != f->entry ||
		    fr[i].inlined != (i < n - 1))
			fail_msg("0x%llx: frame %d: %s %s:%d", (unsigned long long)pc, i,
				 fr[i].function, fr[i].file, fr[i].line);
	}
	assert_string_equal(fr[n - 1].function, f->name);
	st->chains += n > 1;
	/* an inlined callee that also exists on its own: its code comes from its file */
	for (int i = 0; i < n - 1; i++) {
		struct bw_go_func g;
		const char *file;
		int line;

		st->inlined++;
		if (bw_gobin__func_by_name(gb, fr[i].function, &g) ||
		    bw_gobin__line_at(gb, g.entry, &file, &line))
			continue;
		st->exist++;
		st->same_file += !strcmp(file, fr[i].file);
		st->later_line += fr[i].line >= line;
	}
}

static void inline_stats(const struct bw_gobin *gb, struct inl_stats *st)
{
	size_t n = bw_gobin__func_count(gb);

	for (size_t i = 0; i < n; i += 23) {
		struct bw_go_func f;

		assert_int_equal(bw_gobin__func_by_index(gb, i, &f), 0);
		for (uint64_t pc = f.entry; pc < f.end && pc < f.entry + 8192; pc += 3) {
			struct bw_go_frame fr[BW_TEST_MAX_FRAMES];
			int k = bw_gobin__frames_at(gb, pc, fr, BW_TEST_MAX_FRAMES);

			assert_true(k >= 1);
			st->pcs++;
			check_chain(gb, &f, pc, fr, k, st);
		}
	}
}

/*
 * Go 1.17 (pointers to the trees), 1.18-1.19 (20-byte inlinedCall), 1.20+
 * (16 bytes), 1.26 (gofunc inside .gopclntab): no toolchain here to run them,
 * so the chains must be sane, and an inlined callee that also exists as a
 * function must have its code in that function's file, at or after its start.
 */
static void test_gopclntab__inlined_npm(void **state)
{
	char path[256];
	int tested = 0;

	(void)state;
	if (!npm_cache_present())
		skip();
	for (size_t i = 0; i < NPM_BINS; i++) {
		struct inl_stats st = { 0 };
		struct bw_gobin *gb;

		if (!npm_path(&npm_bins[i], path, sizeof(path)))
			continue;
		gb = open_or_fail(path);
		inline_stats(gb, &st);
		print_message("%-26s %-9s %6zu pcs, %5zu inlined chains, %5zu callees, %4zu "
			      "exist: %4zu same file, %4zu at or after the start\n",
			      npm_bins[i].rel, npm_bins[i].version, st.pcs, st.chains, st.inlined,
			      st.exist, st.same_file, st.later_line);
		if (st.chains < st.pcs / 20 || st.exist < st.inlined / 20)
			fail_msg("%s: too few inlined calls found", path);
		if (st.same_file < st.exist * 99 / 100 || st.later_line < st.exist * 99 / 100)
			fail_msg("%s: inlined callees placed outside their functions", path);
		bw_gobin__free(gb);
		tested++;
	}
	if (!tested)
		skip();
}

/* ---- garbage ---- */

/* Damaged or not, a chain has the shape promised: named frames, only the last not inlined. */
static void check_frames_sane(const struct bw_gobin *gb, uint64_t pc)
{
	struct bw_go_frame fr[4];
	int n = bw_gobin__frames_at(gb, pc, fr, 4);

	if (n == -ENOENT)
		return;
	assert_true(n >= 1 && n <= 4);
	for (int i = 0; i < n; i++) {
		assert_non_null(fr[i].function);
		assert_int_equal(fr[i].inlined, i < n - 1);
	}
}

/* Whatever opened must answer without crashing (ASan watches). */
static void exercise(const struct bw_gobin *gb)
{
	struct bw_go_version v;
	struct bw_go_func f;
	const char *file;
	size_t n = bw_gobin__func_count(gb);
	uint8_t buf[16];
	uint64_t off;
	int line;

	bw_gobin__version(gb, &v);
	bw_gobin__version_string(gb);
	for (size_t i = 0; i < sizeof(runtime_funcs) / sizeof(runtime_funcs[0]); i++)
		if (!bw_gobin__func_by_name(gb, runtime_funcs[i], &f)) {
			bw_gobin__line_at(gb, f.entry, &file, &line);
			bw_gobin__read(gb, f.entry, buf, sizeof(buf));
			bw_gobin__vaddr_to_offset(gb, f.entry, &off);
		}
	for (size_t i = 0; i < n && i < 4000; i += 1 + i / 64) {
		if (bw_gobin__func_by_index(gb, i, &f))
			continue;
		assert_non_null(f.name);
		bw_gobin__func_at(gb, f.entry + (f.end - f.entry) / 2, &f);
		bw_gobin__line_at(gb, f.entry, &file, &line);
		bw_gobin__line_at(gb, f.end - 1, &file, &line);
		check_frames_sane(gb, f.entry + (f.end - f.entry) / 2);
	}
	bw_gobin__symbol(gb, "runtime.allgs");
}

struct patch {
	const char *what;
	size_t at; /* offset in the pcln header */
	uint64_t value;
	int len;
	int want_errno;
};

static const struct patch patches[] = {
	{ "wrong magic", 0, 0x12345678, 4, EINVAL },
	{ "Go 1.2-1.15 magic", 0, 0xfffffffb, 4, ENOTSUP },
	{ "pad byte set", 4, 1, 1, EINVAL },
	{ "pointer size 3", 7, 3, 1, EINVAL },
	{ "minLC 0", 6, 0, 1, EINVAL },
	{ "nfunc huge", 8, 0x7fffffffffffffffull, 8, EINVAL },
	{ "nfunc 0", 8, 0, 8, EINVAL },
	{ "funcname offset past the end", 32, 0xffffffffffff0000ull, 8, EINVAL },
	{ "functab offset past the end", 64, 0x10000000000ull, 8, EINVAL },
	{ "pctab offset past the end", 56, 0xfffffffffffffff0ull, 8, EINVAL },
};

static void test_gopclntab__bad_headers(void **state)
{
	size_t size;
	uint8_t *img, *copy;
	uint64_t pcln;

	(void)state;
	REQUIRE_GO();
	elf_version(EV_CURRENT);
	img = read_all(fx.stripped, &size);
	assert_non_null(img);
	pcln = section_offset(img, size, ".gopclntab");
	assert_true(pcln && pcln + 72 <= size);
	copy = malloc(size);
	assert_non_null(copy);
	for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
		const struct patch *p = &patches[i];
		uint64_t le = htole64(p->value);
		struct bw_gobin *gb;

		memcpy(copy, img, size);
		memcpy(copy + pcln + p->at, &le, p->len);
		errno = 0;
		gb = bw_gobin__open_mem(copy, size);
		if (gb)
			fail_msg("%s: opened", p->what);
		if (errno != p->want_errno)
			fail_msg("%s: errno %d, want %d", p->what, errno, p->want_errno);
	}
	free(copy);
	free(img);
}

static void test_gopclntab__not_go(void **state)
{
	static const uint8_t tiny_elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	struct bw_gobin *gb;
	char path[128];

	(void)state;
	errno = 0;
	assert_null(bw_gobin__open("/proc/self/exe")); /* this test: C, no pcln table */
	assert_int_equal(errno, ENOEXEC);
	errno = 0;
	assert_null(bw_gobin__open("/nonexistent/bw-gopclntab"));
	assert_int_equal(errno, ENOENT);
	assert_null(bw_gobin__open("/"));
	assert_null(bw_gobin__open_mem(NULL, 0));
	assert_null(bw_gobin__open_mem(tiny_elf, sizeof(tiny_elf)));
	assert_null(bw_gobin__open_mem("#!/bin/sh\n", 10));
	snprintf(path, sizeof(path), "%s/empty", fx.dir);
	write_file(path, "");
	errno = 0;
	assert_null(bw_gobin__open(path));
	assert_int_equal(errno, ENOEXEC);
	gb = NULL;
	/* every query tolerates NULL */
	assert_int_equal(bw_gobin__func_count(gb), 0);
	assert_null(bw_gobin__version_string(gb));
	assert_int_equal(bw_gobin__pcln_magic(gb), 0);
	assert_int_equal(bw_gobin__symbol(gb, "x"), 0);
	bw_gobin__free(NULL);
}

/* Cut anywhere, with and without section headers (libelf refuses most cuts with them). */
static void test_gopclntab__truncated(void **state)
{
	size_t size, opened = 0, tried = 0;
	uint8_t *img;

	(void)state;
	REQUIRE_GO();
	img = read_all(fx.stripped, &size);
	assert_non_null(img);
	for (size_t cut = 0; cut < size; cut = cut < 128 ? cut + 16 : cut * 5 / 4) {
		for (int strip = 0; strip < 2; strip++) {
			/* a fresh buffer of exactly cut bytes, so ASan sees any read past it */
			uint8_t *part = malloc(cut ? cut : 1);
			struct bw_gobin *gb;

			assert_non_null(part);
			memcpy(part, img, cut);
			if (strip && cut >= sizeof(Elf64_Ehdr))
				strip_section_headers(part);
			gb = bw_gobin__open_mem(part, cut);
			if (gb) {
				exercise(gb);
				opened++;
			}
			tried++;
			bw_gobin__free(gb);
			free(part);
		}
	}
	print_message("%zu of %zu truncated copies opened\n", opened, tried);
	free(img);
}

/* Random damage to the pcln table and the rest of the file: clean errors or sane answers. */
static void test_gopclntab__damaged(void **state)
{
	size_t size, opened = 0;
	unsigned int seed = 12345;
	uint8_t *img, *copy;
	uint64_t pcln;

	(void)state;
	REQUIRE_GO();
	elf_version(EV_CURRENT);
	img = read_all(fx.stripped, &size);
	assert_non_null(img);
	pcln = section_offset(img, size, ".gopclntab");
	assert_true(pcln);
	copy = malloc(size);
	assert_non_null(copy);
	for (int round = 0; round < 300; round++) {
		struct bw_gobin *gb;
		int flips = 1 + rand_r(&seed) % 16;

		memcpy(copy, img, size);
		for (int k = 0; k < flips; k++) {
			/* the header, the functab and name table, anywhere */
			size_t at = round % 3 == 0   ? pcln + rand_r(&seed) % 80
				    : round % 3 == 1 ? pcln + rand_r(&seed) % 65536
						     : rand_r(&seed) % size;

			if (at < size)
				copy[at] = rand_r(&seed);
		}
		gb = bw_gobin__open_mem(copy, size);
		if (gb) {
			exercise(gb);
			opened++;
		}
		bw_gobin__free(gb);
	}
	print_message("%zu of 300 damaged copies opened\n", opened);
	free(copy);
	free(img);
}

/* A large binary: open and the first name look-up (which builds the index). */
static void test_gopclntab__timing(void **state)
{
	struct timespec t0, t1, t2;
	struct bw_go_func f;
	struct bw_gobin *gb;
	char path[256];

	(void)state;
	if (!npm_cache_present() || !npm_path(&npm_bins[7], path, sizeof(path)))
		skip();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	gb = open_or_fail(path);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(bw_gobin__func_by_name(gb, "runtime.gopark", &f), 0);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	print_message("%s: %zu functions, open %.2f ms, name index %.2f ms (ASan build)\n", path,
		      bw_gobin__func_count(gb),
		      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
		      (t2.tv_sec - t1.tv_sec) * 1e3 + (t2.tv_nsec - t1.tv_nsec) / 1e6);
	bw_gobin__free(gb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gopclntab__built_version_and_magic),
		cmocka_unit_test(test_gopclntab__built_lines),
		cmocka_unit_test(test_gopclntab__stripped_identical),
		cmocka_unit_test(test_gopclntab__go_tool_nm),
		cmocka_unit_test(test_gopclntab__vaddr_offset_read),
		cmocka_unit_test(test_gopclntab__npm_binaries),
		cmocka_unit_test(test_gopclntab__gosym_oracle),
		cmocka_unit_test(test_gopclntab__no_section_headers),
		cmocka_unit_test(test_gopclntab__text_start_zeroed),
		cmocka_unit_test(test_gopclntab__cgo_pie_lld),
		cmocka_unit_test(test_gopclntab__inlined_runtime),
		cmocka_unit_test(test_gopclntab__inlined_npm),
		cmocka_unit_test(test_gopclntab__bad_headers),
		cmocka_unit_test(test_gopclntab__not_go),
		cmocka_unit_test(test_gopclntab__truncated),
		cmocka_unit_test(test_gopclntab__damaged),
		cmocka_unit_test(test_gopclntab__timing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
