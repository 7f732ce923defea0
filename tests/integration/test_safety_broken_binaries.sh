#!/usr/bin/env bash
# Broken and unusual binaries: each gets a correct result or a clear message, never a crash, and
# the sanitized build (blockwatch-san: ASan + UBSan, leaks checked) reports nothing.
#   - truncated: a Go binary cut where its loaded segments end (no section headers, no
#     .symtab, no DWARF: it still runs), and Go and C binaries cut inside their DWARF with the
#     section headers kept (sections past the end of the file);
#   - garbage .gopclntab: the section header points at other bytes (the runtime does not use
#     section headers; blockwatch must not trust them);
#   - a Go version newer than blockwatch knows (the version strings patched to go1.99.8);
#   - a deleted binary (/proc/PID/exe is "... (deleted)");
#   - a binary in another mount namespace (a container): the path the target sees holds, in
#     ours, a different program.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
. "$(dirname "$0")/safetylib.sh"
go_prereqs
go_build_targets no_receiver
command -v unshare >/dev/null || skip "needs unshare (util-linux)"
blocker=$(build_c_target blocker)
gobin=$BW_GO_OUT/no_receiver
bins=("$BLOCKWATCH")
[ -x "$BW_ROOT/build/blockwatch-san" ] && bins+=("$BW_ROOT/build/blockwatch-san")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
LEAKS=20

# patch CMD IN OUT [ARGS]: make a damaged copy of an ELF file (see the python below)
patch() {
	python3 - "$@" <<'EOF' || fail "failed to patch $2: $1"
import struct, sys
cmd, src, dst = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
shoff, = struct.unpack_from("<Q", b, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3a)
def shdrs():
    return [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize) for i in range(shnum)]
def name(sh):
    strtab = shdrs()[shstrndx]
    off = strtab[4] + sh[0]
    return bytes(b[off:b.index(0, off)]).decode()
def section(n):
    for i, sh in enumerate(shdrs()):
        if name(sh) == n:
            return i, sh
    sys.exit("no section " + n)
if cmd == "cut-segments":  # keep what the loader maps, nothing after
    phoff, = struct.unpack_from("<Q", b, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", b, 0x36)
    end = 0
    for i in range(phnum):
        t, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", b, phoff + i * phentsize)
        if t == 1:
            end = max(end, off + filesz)
    b = b[:end]
elif cmd == "cut-dwarf":  # cut in the middle of .debug_info, section headers appended again
    _, sh = section(".debug_info")
    table = bytes(b[shoff:shoff + shnum * shentsize])
    cut = sh[4] + sh[5] // 2
    b = b[:cut] + table
    struct.pack_into("<Q", b, 0x28, cut)
    shoff = cut
elif cmd == "garbage-pcln":  # .gopclntab's header points into .text, with a size past the end
    i, sh = section(".gopclntab")
    _, text = section(".text")
    struct.pack_into("<QQ", b, shoff + i * shentsize + 0x18, text[4] + 0x1234, len(b))
elif cmd == "version":  # every "go1.19.8" becomes "go1.99.8" (same length)
    old = sys.argv[4].encode()
    new = sys.argv[5].encode()
    n = b.count(old)
    assert n, "no %r in the file" % old
    b = b.replace(old, new)
open(dst, "wb").write(b)
EOF
	chmod +x "$3"
}

# run_bw NAME ARGS...: every blockwatch build on the target; exit 0, no sanitizer report, a
# report on stdout. The last run's JSON is in $BW_TMP/NAME.json, its stderr in NAME.json.err.
run_bw() {
	local name=$1 bin rc
	shift
	for bin in "${bins[@]}"; do
		rc=0
		timeout 60 "$bin" "$@" -i 0.5 -c 2 --json >"$BW_TMP/$name.json" 2>"$BW_TMP/$name.json.err" || rc=$?
		sanitizer_clean "$BW_TMP/$name.json.err"
		[ "$rc" -eq 0 ] || fail "$name: $(basename "$bin") exited $rc: $(tail -5 "$BW_TMP/$name.json.err")"
		grep -q '"type":"interval"' "$BW_TMP/$name.json" || fail "$name: $(basename "$bin"): no report"
	done
	[ -s "$BW_TMP/$name.json.err" ] && echo "$name: blockwatch said: $(head -3 "$BW_TMP/$name.json.err")"
	return 0
}

# go_case NAME BINARY [CMD-PREFIX...]: the leaking Go target run from BINARY must be read right:
# LEAKS goroutines blocked in main.send
go_case() {
	local name=$1 bin=$2
	shift 2
	GT_OUT=$BW_TMP/$name.out
	spawn "$@" "$bin" -rate 200 -max $LEAKS >"$GT_OUT" 2>"$BW_TMP/$name.err"
	GT_PID=$!
	wait_for_line "$GT_OUT" '^ready$' 20
	wait_truth_leaked "$GT_OUT" $LEAKS 20
	# with "unshare ... sh -c 'exec app'" $! is unshare, which exec()s sh, which exec()s app
	run_bw "$name" -p "$GT_PID"
	bw_go_json site "$BW_TMP/$name.json" --func main.send --file /no_receiver/main.go \
		--reason "chan send" --count $LEAKS --tol 0 || fail "$name: goroutines not read right"
	kill -9 "$GT_PID"
	wait "$GT_PID" 2>/dev/null || true
}

# c_case NAME BINARY: blocker's three waiters in wait_for_mutex
c_case() {
	local name=$1 bin=$2
	spawn "$bin" mutex 3 >"$BW_TMP/$name.out"
	local pid=$!
	wait_for_line "$BW_TMP/$name.out" '^ready' 10
	run_bw "$name" -p "$pid"
	python3 - "$BW_TMP/$name.json" "$BW_ROOT/tests/integration" "$name" <<'EOF' || fail "$name"
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
recs = bwjson.load(sys.argv[1])
last = bwjson.last_interval(recs)
n = sum(s["blocked"] for s in last if s.get("type") == "site" and s.get("kind") == "futex")
assert n >= 3, "expected the 3 waiters (and the holder) in futex sites, got %d" % n
named = bwjson.sites_with(recs, "wait_for_mutex")
print("%s: %d blocked in futex sites; wait_for_mutex named: %s" % (sys.argv[3], n, bool(named)))
EOF
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
}

mkdir -p "$BW_TMP/bin"
echo "-- truncated"
patch cut-segments "$gobin" "$BW_TMP/bin/go-cut-segments"
go_case go-cut-segments "$BW_TMP/bin/go-cut-segments"
patch cut-dwarf "$gobin" "$BW_TMP/bin/go-cut-dwarf"
go_case go-cut-dwarf "$BW_TMP/bin/go-cut-dwarf"
patch cut-dwarf "$blocker" "$BW_TMP/bin/c-cut-dwarf"
c_case c-cut-dwarf "$BW_TMP/bin/c-cut-dwarf"

echo "-- garbage .gopclntab section header"
patch garbage-pcln "$gobin" "$BW_TMP/bin/go-garbage-pcln"
go_case go-garbage-pcln "$BW_TMP/bin/go-garbage-pcln"
patch garbage-pcln "$gobin.stripped" "$BW_TMP/bin/go-garbage-pcln-stripped"
go_case go-garbage-pcln-stripped "$BW_TMP/bin/go-garbage-pcln-stripped"

echo "-- a Go version newer than the tables"
v=$(go env GOVERSION)
patch version "$gobin.stripped" "$BW_TMP/bin/go-newer" "$v" "${v/go1.??/go1.99}"
spawn "$BW_TMP/bin/go-newer" -rate 200 -max $LEAKS >"$BW_TMP/newer.out"
pid=$!
wait_for_line "$BW_TMP/newer.out" '^ready$' 20
run_bw newer -p "$pid" --runtime-threads
grep -q "go1.99.* which blockwatch does not know: thread-level view only" "$BW_TMP/newer.json.err" ||
	fail "newer Go: no clear message: $(cat "$BW_TMP/newer.json.err")"
grep -q '"kind":"goroutine"' "$BW_TMP/newer.json" && fail "newer Go: goroutines read with a guessed layout"
grep -q '"go_version":"go1.99.8"' "$BW_TMP/newer.json" || fail "newer Go: version not reported"
# the runtime's own threads, shown on request, are the thread view of an idle Go program
grep -q '"kind":"futex"' "$BW_TMP/newer.json" || fail "newer Go: no thread view"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true

echo "-- deleted binaries"
cp "$gobin.stripped" "$BW_TMP/bin/go-deleted"
GT_OUT=$BW_TMP/go-deleted.out
spawn "$BW_TMP/bin/go-deleted" -rate 200 -max $LEAKS >"$GT_OUT"
GT_PID=$!
wait_for_line "$GT_OUT" '^ready$' 20
rm "$BW_TMP/bin/go-deleted"
wait_truth_leaked "$GT_OUT" $LEAKS 20
readlink "/proc/$GT_PID/exe" | grep -q '(deleted)' || fail "the binary is not deleted"
run_bw go-deleted -p "$GT_PID"
bw_go_json site "$BW_TMP/go-deleted.json" --func main.send --file /no_receiver/main.go \
	--reason "chan send" --count $LEAKS --tol 0 || fail "deleted Go binary not read right"
kill -9 "$GT_PID"
wait "$GT_PID" 2>/dev/null || true
cp "$blocker" "$BW_TMP/bin/c-deleted"
spawn "$BW_TMP/bin/c-deleted" mutex 3 >"$BW_TMP/c-deleted.out"
pid=$!
wait_for_line "$BW_TMP/c-deleted.out" '^ready' 10
rm "$BW_TMP/bin/c-deleted"
run_bw c-deleted -p "$pid"
grep -q '"function":"wait_for_mutex"' "$BW_TMP/c-deleted.json" || fail "deleted C binary: wait_for_mutex not named"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true

echo "-- another mount namespace"
# in ours, $ns/app is a decoy (blocker); in the target's, a tmpfs over $ns holds no_receiver
ns=$BW_TMP/ns
mkdir -p "$ns"
cp "$blocker" "$ns/app"
go_case go-mntns "$ns/app" unshare -m --propagation private sh -c \
	"mount -t tmpfs none '$ns' && cp '$gobin.stripped' '$ns/app' && exec \"\$0\" \"\$@\""
cmp -s "$blocker" "$ns/app" || fail "the decoy changed"
echo ok
