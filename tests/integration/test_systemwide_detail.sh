#!/usr/bin/env bash
# System-wide detail mode (-D, no -p): the uprobes of one Go binary are
# attached once and shared by all its processes, a process of a binary
# already probed is timed from its start, and a binary's probes are
# released (seen with bpftool) when its last process exits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets timeout_send ticker
# private copies: their own inodes, so no other Go process on the machine shares their probes
cp "$(go_target_bin timeout_send plain)" "$BW_TMP/sw_sender"
cp "$(go_target_bin ticker plain)" "$BW_TMP/sw_ticker"
out=$BW_TMP/swd.json
"$BLOCKWATCH" -D -i 0.5 -d 16 --json -o "$out" 2>"$BW_TMP/err" &
bw=$!
BW_PIDS+=($bw)
sleep 2

# uprobes blockwatch holds on the binary at PATH (attached through the executable's own path)
uprobes_on() {
	bpftool -j perf | python3 -c '
import json, sys
bw, path = int(sys.argv[1]), sys.argv[2]
print(sum(1 for e in json.load(sys.stdin) if e.get("pid") == bw and e.get("filename") == path))' "$bw" "$1"
}

# a Go binary started after blockwatch is probed within a second of its exec
t0=$(date +%s%N)
spawn "$BW_TMP/sw_sender" -rate 4 >"$BW_TMP/a1.out" 2>&1
a1=$!
until [ "$(uprobes_on "$BW_TMP/sw_sender")" -eq 2 ]; do
	[ $(($(date +%s%N) - t0)) -lt 1000000000 ] || fail "no uprobes on a new Go binary 1 s after its exec"
	sleep 0.02
done
echo "uprobes on the new binary $((($(date +%s%N) - t0) / 1000000)) ms after its exec"
spawn "$BW_TMP/sw_sender" -rate 4 >"$BW_TMP/a2.out" 2>&1
a2=$!
spawn "$BW_TMP/sw_ticker" >"$BW_TMP/b.out" 2>&1
b=$!
sleep 3
n_sender=$(uprobes_on "$BW_TMP/sw_sender")
n_ticker=$(uprobes_on "$BW_TMP/sw_ticker")
echo "uprobes: sender binary (2 processes) $n_sender, ticker binary $n_ticker"
[ "$n_sender" -eq 2 ] || fail "two processes of one binary: $n_sender uprobes, want 2 (park, ready) shared"
[ "$n_ticker" -eq 2 ] || fail "ticker binary: $n_ticker uprobes, want 2"

# the ticker's last process exits: its binary's probes go
{ kill -9 "$b"; wait "$b" || true; } 2>/dev/null
sleep 1.5
n_b=$(uprobes_on "$BW_TMP/sw_ticker")
[ "$n_b" -eq 0 ] || fail "ticker exited 1.5 s ago, $n_b of its uprobes still attached"
# a new process of a binary already probed: timed without new probes
a3_start=$(date +%s%N)
spawn "$BW_TMP/sw_sender" -rate 4 >"$BW_TMP/a3.out" 2>&1
a3=$!
{ kill -9 "$a1"; wait "$a1" || true; } 2>/dev/null
sleep 3
n_sender=$(uprobes_on "$BW_TMP/sw_sender")
[ "$n_sender" -eq 2 ] || fail "after a third process and one exit: $n_sender uprobes on the sender, want 2"
{ kill -9 "$a2" "$a3"; wait "$a2" "$a3" || true; } 2>/dev/null
sleep 1.5
left=$(uprobes_on "$BW_TMP/sw_sender")
[ "$left" -eq 0 ] || fail "every sender exited, $left of their uprobes still attached"
wait "$bw" || fail "blockwatch exited $?: $(cat "$BW_TMP/err")"

python3 - "$out" "$BW_ROOT/tests/integration" "$a1" "$a2" "$a3" "$b" "$a3_start" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
recs = bwjson.load(sys.argv[1])
a1, a2, a3, b, a3_start = map(int, sys.argv[3:8])
sites = [r for r in recs if r.get("type") == "site" and r["kind"] == "goroutine"]
def timed(pid):
    """completed goroutine waits (only the detail probes time them) of pid"""
    return [s for s in sites if s["pid"] == pid and s.get("waits", 0) > 0]
for name, pid in (("sender 1", a1), ("sender 2", a2), ("sender 3", a3), ("ticker", b)):
    t = timed(pid)
    assert t, f"{name} (pid {pid}): no completed goroutine waits: not probed"
    print(f"{name}: {sum(s['waits'] for s in t)} completed waits")
# the ticker's 200 ms ticker waits, timed exactly
tick = [s for s in timed(b) if "main.serveTruth" in bwjson.functions(s)]
assert tick, "ticker: no timed waits at its ticker"
# the third sender, started while its binary was probed, is timed in its first reports
first = min(s["ts_ns"] for s in timed(a3))
delay = (first - a3_start) / 1e9
assert delay < 2.5, f"third sender's first timed waits {delay:.2f}s after its start"
print(f"ok: third sender timed {delay:.2f}s after start")
PY
echo ok
