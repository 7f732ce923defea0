#!/usr/bin/env bash
# Security:
#   - privileges: the check names exactly what is missing; with CAP_BPF + CAP_PERFMON +
#     CAP_SYS_PTRACE instead of root (as nobody) a root-owned Go target is read right;
#   - strings from the target are escaped everywhere they are written: a C target whose process
#     and thread names (prctl PR_SET_NAME), one function's name and its source file's name hold
#     ESC sequences, BEL, quotes, backslashes and a newline (patched into the binary's symbol
#     table and DWARF): no raw control byte reaches the tables, the log, the JSON (which parses
#     and gives the names back), the Prometheus text, the pprof profile, the folded stacks or
#     the SVG flame graph (which must parse as XML);
#   - report files are created without following symlinks and with safe permissions: a
#     symlink planted at the -o, --textfile, --pprof, --folded or --flamegraph path is refused with one line
#     and status 1 or 2, its target untouched;
#   - no shell and no other program is ever started: no system, popen, exec* or posix_spawn
#     in user/, nor among the binary's imports.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
id nobody >/dev/null 2>&1 || skip "needs a 'nobody' user"

echo "-- privileges"
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
expect_caps() { # expect_caps MISSING CMD...
	local want=$1 rc=0
	shift
	"$@" "$BLOCKWATCH" -p 1 >/dev/null 2>"$BW_TMP/caps.err" || rc=$?
	[ "$rc" -eq 4 ] || fail "$*: exit $rc, expected 4: $(cat "$BW_TMP/caps.err")"
	grep -qx "blockwatch: error: missing capabilities: $want (.*)" "$BW_TMP/caps.err" ||
		fail "$*: expected exactly '$want' missing: $(cat "$BW_TMP/caps.err")"
	echo "$want missing: $(cat "$BW_TMP/caps.err")"
}
expect_caps "CAP_BPF CAP_PERFMON CAP_SYS_PTRACE" "${as_nobody[@]}" --inh-caps=-all
expect_caps "CAP_SYS_PTRACE" "${as_nobody[@]}" --inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon
expect_caps "CAP_SYS_PTRACE" setpriv --bounding-set=-sys_ptrace
# enough without root: a root-owned target's goroutines, read from outside
go_build_targets no_receiver
start_go_target no_receiver stripped -rate 200 -max 20
wait_truth_leaked "$GT_OUT" 20 20
rc=0
"${as_nobody[@]}" --inh-caps=+bpf,+perfmon,+sys_ptrace --ambient-caps=+bpf,+perfmon,+sys_ptrace \
	"$BLOCKWATCH" -p "$GT_PID" -i 0.5 -c 2 --json >"$BW_TMP/caps.json" 2>"$BW_TMP/caps.err" || rc=$?
[ "$rc" -eq 0 ] || fail "with capabilities as nobody: exit $rc: $(cat "$BW_TMP/caps.err")"
bw_go_json site "$BW_TMP/caps.json" --func main.send --file /no_receiver/main.go \
	--reason "chan send" --count 20 --tol 0 || fail "with capabilities as nobody: goroutines"
stop_go_target

echo "-- hostile names"
# the function and the file get names of the same length as the placeholders
cp "$BW_ROOT/tests/targets/stress.c" "$BW_TMP/evil_src_placeholder.c"
(cd "$BW_TMP" && gcc -g -O1 -fno-omit-frame-pointer -pthread -o evil.orig evil_src_placeholder.c) ||
	fail "failed to build the target"
python3 - "$BW_TMP/evil.orig" "$BW_TMP/evil" <<'EOF' || fail "failed to patch the names"
import sys
b = open(sys.argv[1], "rb").read()
for old, new in ((b"evil_name_placeholder_0123456789", b"\x1b[2J\x1b]0;pwn\x07\"'\\\n\x1b[31mfn_"),
                 (b"evil_src_placeholder.c", b"\x1b[5m\"'\\\x07\x1b]2;t\x07\nsrc.c")):
    new = new.ljust(len(old), b"_")
    assert len(new) == len(old) and b.count(old), (old, len(new), len(old))
    b = b.replace(old, new)
open(sys.argv[2], "wb").write(b)
EOF
chmod +x "$BW_TMP/evil"
spawn "$BW_TMP/evil" evil >"$BW_TMP/evil.out"
evil_pid=$!
wait_for_line "$BW_TMP/evil.out" '^ready' 10
sleep 0.5
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rc=0
"$BLOCKWATCH" -p "$evil_pid" -i 0.5 -c 4 --no-tui -s -K -v --prom "127.0.0.1:$port" \
	--folded "$BW_TMP/evil.folded" --textfile "$BW_TMP/evil.prom" --pprof "$BW_TMP/evil.pb.gz" \
	--flamegraph "$BW_TMP/evil.svg" \
	>"$BW_TMP/evil.txt" 2>"$BW_TMP/evil.log" &
bw=$!
for ((i = 0; i < 40; i++)); do
	curl -sf "http://127.0.0.1:$port/metrics" -o "$BW_TMP/metrics.txt" 2>/dev/null &&
		grep -q 'fn_' "$BW_TMP/metrics.txt" && break
	sleep 0.1
done
wait "$bw" || rc=$?
[ "$rc" -eq 0 ] || fail "blockwatch on hostile names: exit $rc: $(tail -3 "$BW_TMP/evil.log")"
"$BLOCKWATCH" -p "$evil_pid" -i 0.5 -c 2 --json >"$BW_TMP/evil.json" 2>>"$BW_TMP/evil.log" ||
	fail "blockwatch --json on hostile names: $(tail -3 "$BW_TMP/evil.log")"
# the pprof profile as pprof itself shows it
go tool pprof -traces "$BW_TMP/evil.pb.gz" >"$BW_TMP/evil.pprof.txt" 2>&1 ||
	fail "go tool pprof cannot read the profile: $(tail -3 "$BW_TMP/evil.pprof.txt")"
python3 - "$BW_TMP" <<'EOF' || fail "hostile names"
import json, os, re, sys
d = sys.argv[1]
# raw control bytes (C0 but \n and \t, DEL) and C1 controls, encoded or raw
bad = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
def clean(name, must_have):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        sys.exit("FAIL: %s was not written" % name)
    b = open(path, "rb").read()
    m = bad.search(b)
    if m:
        ctx = b[max(0, m.start() - 60):m.end() + 20]
        sys.exit("FAIL: raw control byte %r in %s: ...%r..." % (m.group(), name, ctx))
    b.decode("utf-8")  # raises on invalid UTF-8
    for s in must_have:
        if s.encode() not in b:
            sys.exit("FAIL: %s does not name %r (dropped instead of escaped?)" % (name, s))
    print("%s: %d bytes, no control byte" % (name, len(b)))
clean("evil.txt", ["fn_", "src.c", "red"])  # the tables: function, file, process name
clean("evil.log", [])
clean("evil.folded", ["fn_"])
clean("metrics.txt", ["fn_"])
clean("evil.prom", ["fn_"])
clean("evil.json", [])
clean("evil.pprof.txt", ["fn_"])
clean("evil.svg", ["fn_"])
import xml.etree.ElementTree as ET
ET.parse(os.path.join(d, "evil.svg"))  # raises on malformed XML
# JSON parses, and gives the hostile names back byte for byte
recs = [json.loads(l) for l in open(os.path.join(d, "evil.json"))]
fns = {f.get("function") for r in recs for f in r.get("frames", [])}
files = {f.get("file") for r in recs for f in r.get("frames", [])}
comms = {r.get("comm") for r in recs if r.get("type") == "process"}
want_fn = "\x1b[2J\x1b]0;pwn\x07\"'\\\n\x1b[31mfn_"
assert any(f and f.startswith(want_fn) for f in fns), "function not given back: %r" % fns
assert any(f and "\x1b[5m\"'\\\x07\x1b]2;t\x07\nsrc.c" in f for f in files), files
assert "\x1b[31mred\x1b[0m\"\\" in comms, "process name not given back: %r" % comms
# Prometheus text: every line a comment or `name{labels} value`, label values closed
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? [-+0-9.eEinfNa]+( [0-9]+)?$')
for l in open(os.path.join(d, "metrics.txt")):
    l = l.rstrip("\n")
    assert not l or l.startswith("#") or sample.match(l), "bad exposition line: %r" % l
print("JSON gives the names back; every metrics line well formed")
EOF
kill -9 "$evil_pid" 2>/dev/null || true
wait "$evil_pid" 2>/dev/null || true

echo "-- report files and symlinks"
spawn "$(build_c_target blocker)" mutex 2 >"$BW_TMP/blocker.out"
pid=$!
wait_for_line "$BW_TMP/blocker.out" '^ready' 10
echo precious >"$BW_TMP/victim"
touch -d '2001-01-01' "$BW_TMP/victim"
for opt in -o --textfile --pprof --folded --flamegraph; do
	for link_to in "$BW_TMP/victim" "$BW_TMP/absent"; do
		rm -f "$BW_TMP/link"
		ln -s "$link_to" "$BW_TMP/link"
		rc=0
		"$BLOCKWATCH" -p "$pid" -i 0.2 -c 1 "$opt" "$BW_TMP/link" >/dev/null 2>"$BW_TMP/err" || rc=$?
		[ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || fail "$opt symlink: exit $rc: $(cat "$BW_TMP/err")"
		[ "$(wc -l <"$BW_TMP/err")" -eq 1 ] || fail "$opt symlink: not one line: $(cat "$BW_TMP/err")"
		grep -q "$BW_TMP/link" "$BW_TMP/err" || fail "$opt symlink: the path is not named: $(cat "$BW_TMP/err")"
		[ -L "$BW_TMP/link" ] || fail "$opt: the symlink was replaced"
		[ ! -e "$BW_TMP/absent" ] || fail "$opt: a file was created through a dangling symlink"
		[ "$(cat "$BW_TMP/victim")" = precious ] &&
			[ "$(stat -c %Y "$BW_TMP/victim")" = "$(date -d 2001-01-01 +%s)" ] ||
			fail "$opt: the symlink's target was touched"
	done
	echo "$opt symlink refused (exit $rc): $(cat "$BW_TMP/err")"
done
# created files: not writable by others, whatever the umask
(
	umask 000
	"$BLOCKWATCH" -p "$pid" -i 0.2 -c 1 -o "$BW_TMP/r.txt" --textfile "$BW_TMP/r.prom" \
		--pprof "$BW_TMP/r.pb.gz" --folded "$BW_TMP/r.folded" --flamegraph "$BW_TMP/r.svg" \
		2>"$BW_TMP/err"
) || fail "report files: $(cat "$BW_TMP/err")"
for f in r.txt r.prom r.pb.gz r.folded r.svg; do
	mode=$(stat -c %a "$BW_TMP/$f")
	[ $((0$mode & 022)) -eq 0 ] || fail "$f created with mode $mode under umask 000"
done
echo "report files created with modes: $(cd "$BW_TMP" && stat -c '%n %a' r.txt r.prom r.pb.gz r.folded r.svg | tr '\n' ' ')"

echo "-- no shell"
calls=$(grep -nE '\b(system|popen|execl|execlp|execle|execv|execvp|execvpe|execve|fexecve|posix_spawnp?|vfork|fork)\s*\(|/bin/sh' \
	"$BW_ROOT"/user/*.c "$BW_ROOT"/user/*.h || true)
[ -z "$calls" ] || fail "user/ starts programs: $calls"
imports=$(nm -D --undefined-only "$BLOCKWATCH" |
	awk '{print $2}' | sed 's/@.*//' |
	grep -xE 'system|popen|execl|execlp|execle|execv|execvp|execvpe|execve|fexecve|posix_spawnp?|vfork|fork' || true)
[ -z "$imports" ] || fail "blockwatch imports: $imports"
echo "no system, popen, exec* or posix_spawn in user/ nor among the binary's imports"
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo ok
