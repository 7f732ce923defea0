#!/usr/bin/env bash
# Detail mode keeps one kernel entry per goroutine between its waits and
# probes nothing on goroutine exit: the entries of goroutines that exited
# must be pruned against the snapshot, or the parked map would fill with
# the dead. The bursts target starts 400 goroutines a second that park once
# and exit; after 10 s (4,000 goroutines) the map must hold about the live
# ones (200) and those started since the last report (up to ~300).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets bursts
start_go_target bursts plain -waiters 200 -period 0.5s
"$BLOCKWATCH" -p "$GT_PID" -D -i 0.5 -d 11 --json -o "$BW_TMP/out.json" 2>"$BW_TMP/err" &
bw=$!
BW_PIDS+=($bw)
sleep 10
# the target's entries in blockwatch's parked map(s)
entries=$(python3 - "$bw" "$GT_PID" <<'PY'
import json, os, subprocess, sys
bw, pid = int(sys.argv[1]), int(sys.argv[2])
ids = set()
for fd in os.listdir(f"/proc/{bw}/fdinfo"):
    try:
        info = open(f"/proc/{bw}/fdinfo/{fd}").read()
    except OSError:
        continue
    for line in info.splitlines():
        if line.startswith("map_id:"):
            ids.add(int(line.split()[1]))
n = 0
for i in ids:
    m = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", str(i)],
                                  capture_output=True, text=True).stdout or "{}")
    if m.get("name") != "parked":
        continue
    for e in json.loads(subprocess.run(["bpftool", "-j", "map", "dump", "id", str(i)],
                                       capture_output=True, text=True).stdout or "[]"):
        key = e.get("key") or e.get("formatted", {}).get("key")
        tgid = key["tgid"] if isinstance(key, dict) else int(key[0], 16) | int(key[1], 16) << 8 | int(key[2], 16) << 16 | int(key[3], 16) << 24
        n += tgid == pid
print(n)
PY
)
wait "$bw" || fail "blockwatch failed: $(cat "$BW_TMP/err")"
echo "parked-map entries of the target after ~4,000 goroutines: $entries"
[ "$entries" -gt 0 ] || fail "no parked-map entry at all for the target: the probes saw nothing"
[ "$entries" -lt 1000 ] || fail "$entries parked-map entries: exited goroutines are not pruned"
kill -0 "$GT_PID" || fail "the target died"
python3 - "$BW_TMP/out.json" "$BW_ROOT/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
sites = bwjson.last_interval(bwjson.load(sys.argv[1]))
w = [s for s in sites if s["kind"] == "goroutine" and "main.waiter" in bwjson.functions(s)]
assert w and sum(s["waits"] for s in w) > 100, "waiters' completed waits not timed:\n" + bwjson.describe(sites)
print("ok: waiter waits timed:", sum(s["waits"] for s in w))
PY
echo ok
