#!/usr/bin/env bash
# Fuzz the parsers of untrusted input with libFuzzer (clang, ASan + UBSan).
#
#   scripts/fuzz.sh smoke [HARNESS...]   replay regressions, then fuzz each harness
#                                        FUZZ_SECONDS (default 15) s: `make check`
#   scripts/fuzz.sh run [HARNESS...]     the same, FUZZ_SECONDS default 600: `make fuzz`
#   scripts/fuzz.sh replay [HARNESS...]  regressions and seeds only, no fuzzing
#   scripts/fuzz.sh elf-seeds            rebuild the committed ELF seeds (tests/fuzz/corpus/elf)
#
# Harnesses are tests/fuzz/fuzz_<name>.c. Committed seeds: tests/fuzz/corpus/<dir>/; seeds too
# big to commit (Go binaries, libc, truncated copies, this machine's /proc files) are made at
# fuzz time under build/fuzz/seeds/<name>/. New inputs go to build/fuzz/corpus/<name>/ and are
# kept between runs. A crash stops the run: the input is in build/fuzz/crashes/<name>/; once
# fixed, copy it to tests/fuzz/regressions/<name>/, where every later run replays it first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build/fuzz
CLANG=${CLANG:-clang}
HARNESSES=(elfsyms dwarflines gopclntab goruntime proc kallsyms)
export LSAN_OPTIONS=suppressions=$ROOT/tests/fuzz/lsan.supp:print_suppressions=0
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-std=gnu11 -D_GNU_SOURCE -Wall -Iinclude -Iuser -Ibuild"

# sources and libraries of each harness, besides tests/fuzz/fuzz_<name>.c
deps() {
	case $1 in
	elfsyms) echo "user/elfsyms.c -lelf" ;;
	dwarflines) echo "user/dwarflines.c -ldw -lelf" ;;
	gopclntab) echo "user/gopclntab.c user/log.c -lelf -lpthread" ;;
	goruntime)
		echo "user/golayout.c user/goruntime.c user/gosnap.c user/gopclntab.c user/proc.c" \
			"user/stacks.c user/u64map.c user/log.c -ldw -lelf -lcapstone -lpthread"
		;;
	proc) echo "user/proc.c" ;;
	kallsyms) echo "user/kallsyms.c" ;;
	*) echo "unknown harness '$1'" >&2; return 1 ;;
	esac
}

# sanitizer options of each harness
asan_options() {
	case $1 in
	# full malloc stacks, so that lsan.supp can name the libdw function (libdw has no frame
	# pointers); costs ~30% of the speed
	dwarflines | goruntime) echo "fast_unwind_on_malloc=0" ;;
	*) echo "" ;;
	esac
}

# committed seed directories of each harness
seed_dirs() {
	case $1 in
	elfsyms | dwarflines | goruntime) echo "tests/fuzz/corpus/elf" ;;
	*) echo "tests/fuzz/corpus/$1" ;;
	esac
}

build() {
	local h=$1 bin=$OUT/bin/fuzz_$1
	mkdir -p "$OUT/bin"
	# shellcheck disable=SC2046,SC2086
	$CLANG $FLAGS "tests/fuzz/fuzz_$h.c" $(deps "$h") -o "$bin.tmp" ||
		{ echo "failed to build harness '$h'" >&2; return 1; }
	mv "$bin.tmp" "$bin"
}

# put DEST/NAME: the first LIMIT bytes of FILE (all when LIMIT is empty), after PREFIX bytes
put() {
	local dest=$1 name=$2 file=$3 limit=${4:-} prefix=${5:-}
	[ -r "$file" ] || return 0
	{
		[ -z "$prefix" ] || printf "$prefix"
		if [ -n "$limit" ]; then head -c "$limit" "$file"; else cat "$file"; fi
	} >"$dest/$name"
}

# ELF files at full length and truncated at a few places (in the headers, the tables, the end)
put_elf() {
	local dest=$1 name=$2 file=$3 prefix=${4:-} size
	[ -r "$file" ] || return 0
	size=$(stat -c %s "$file")
	put "$dest" "$name" "$file" "" "$prefix"
	for cut in 64 1000 $((size / 3)) $((size / 2)) $((size - 100)); do
		[ "$cut" -gt 0 ] && put "$dest" "$name.cut$cut" "$file" "$cut" "$prefix"
	done
}

go_seeds() {
	command -v go >/dev/null || return 0
	scripts/build-go-targets.sh build/go-targets no_receiver >/dev/null 2>&1 || return 0
	echo build/go-targets/no_receiver build/go-targets/no_receiver.stripped
}

# Seeds made at fuzz time: real files of this machine, too big or too local to commit.
make_seeds() {
	local h=$1 dest=$OUT/seeds/$1 libc gobins f
	rm -rf "$dest" && mkdir -p "$dest"
	libc=$(ldd /bin/true | awk '/libc.so/ {print $3}')
	case $h in
	elfsyms | dwarflines | goruntime)
		put_elf "$dest" true /bin/true
		put "$dest" libc-64k "$libc" 65536
		for f in $(go_seeds); do put_elf "$dest" "$(basename "$f")" "$f"; done
		;;
	gopclntab) # byte 0 = 0: the rest is a whole ELF file
		for f in $(go_seeds); do put_elf "$dest" "$(basename "$f")" "$f" '\x00'; done
		put "$dest" true /bin/true "" '\x00'
		;;
	proc)
		put "$dest" maps-self /proc/self/maps "" '\x00'
		put "$dest" maps-parent "/proc/$PPID/maps" "" '\x00'
		put "$dest" stat-self /proc/self/stat "" '\x01'
		;;
	kallsyms)
		head -3000 /proc/kallsyms >"$dest/head"
		grep -m 500 '\[' /proc/kallsyms >"$dest/modules" || true
		;;
	esac
}

# Replay the regression inputs: each must run clean.
replay() {
	local h=$1 dir=tests/fuzz/regressions/$1 files
	[ -d "$dir" ] || return 0
	mapfile -t files < <(find "$dir" -type f | sort)
	[ ${#files[@]} -gt 0 ] || return 0
	ASAN_OPTIONS=$(asan_options "$h") "$OUT/bin/fuzz_$h" -rss_limit_mb=2048 -timeout=30 "${files[@]}" >"$OUT/log/$h.replay" 2>&1 || {
		tail -40 "$OUT/log/$h.replay" >&2
		echo "fuzz: $h: a regression input fails again (log: build/fuzz/log/$h.replay)" >&2
		return 1
	}
	echo "fuzz: $h: ${#files[@]} regression inputs replayed"
}

fuzz() {
	local h=$1 secs=$2 runs=${3:--1} corpus=$OUT/corpus/$1 crashes=$OUT/crashes/$1/ log=$OUT/log/$1.log n
	local -a dirs
	mkdir -p "$corpus" "$crashes"
	read -ra dirs <<<"$(seed_dirs "$h")"
	# -timeout: an input that takes 10 s is a hang worth reporting
	if ! ASAN_OPTIONS=$(asan_options "$h") "$OUT/bin/fuzz_$h" -max_total_time="$secs" -runs="$runs" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$crashes" -print_final_stats=1 \
		"$corpus" "${dirs[@]}" "$OUT/seeds/$h" >"$log" 2>&1; then
		grep -aE 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2
		echo "fuzz: $h: CRASH (log: ${log#"$ROOT"/}, input in ${crashes#"$ROOT"/})" >&2
		return 1
	fi
	n=$(grep -a -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
	if [ "$runs" = 0 ]; then
		echo "fuzz: $h: $n seed and corpus inputs run once, no crash"
	else
		echo "fuzz: $h: $n runs in ${secs}s, corpus $(find "$corpus" -type f | wc -l) files, no crash"
	fi
}

elf_seeds() {
	local src=$OUT/tiny.c dest=tests/fuzz/corpus/elf ld=-Wl,-z,noseparate-code
	mkdir -p "$OUT" "$dest"
	cat >"$src" <<'EOF'
/* A tiny program for fuzz seeds: a few functions, an inlined one, a data object. */
int counter = 3;
static inline __attribute__((always_inline)) int twice(int x) { return 2 * x; }
__attribute__((noinline)) int work(int n) { int s = 0; for (int i = 0; i < n; i++) s += twice(i) ^ counter; return s; }
__attribute__((noinline)) int helper(int n) { return work(n) + work(n + 1); }
int main(int argc, char **argv) { (void)argv; return helper(argc) & 1; }
EOF
	gcc -g -O1 $ld -o "$dest/tiny-g" "$src"                 # DWARF 5, PIE
	gcc -g -O1 -gz=zlib $ld -o "$dest/tiny-gz" "$src"       # compressed DWARF (SHF_COMPRESSED)
	gcc -gdwarf-4 -O1 -no-pie $ld -o "$dest/tiny-g4-nopie" "$src"
	gcc -O1 -s $ld -o "$dest/tiny-stripped" "$src"          # .dynsym only
	gcc -O2 -g -static -nostdlib -e helper $ld -o "$dest/tiny-static-nostdlib" "$src"
	gcc -c -g -O1 -o "$dest/tiny.o" "$src"                  # ET_REL: DWARF with relocations
	objcopy -O elf32-x86-64 "$dest/tiny.o" "$dest/tinyx32.o" # ELFCLASS32
}

main() {
	local mode=${1:-smoke} secs rc=0 h
	shift || true
	case $mode in
	smoke) secs=${FUZZ_SECONDS:-15} ;;
	run) secs=${FUZZ_SECONDS:-600} ;;
	replay) secs=0 ;;
	elf-seeds) elf_seeds; return ;;
	*) echo "usage: $0 smoke|run|replay|elf-seeds [HARNESS...]" >&2; return 2 ;;
	esac
	command -v "$CLANG" >/dev/null || { echo "failed to find '$CLANG' (clang-14)" >&2; return 1; }
	[ $# -gt 0 ] || set -- "${HARNESSES[@]}"
	mkdir -p "$OUT/log"
	for h in "$@"; do
		build "$h" && make_seeds "$h" && replay "$h" || { rc=1; continue; }
		if [ "$secs" -eq 0 ]; then
			fuzz "$h" 1 0 || rc=1 # runs=0: every seed once
		else
			fuzz "$h" "$secs" || rc=1
		fi
	done
	return $rc
}

main "$@"
