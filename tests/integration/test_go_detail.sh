#!/usr/bin/env bash
# Detail mode (-D): uprobes on runtime.gopark/ready give every goroutine
# wait's exact duration. On a stripped target: the 200 ms ticker of the
# ground-truth printer shows ~200 ms waits, goroutines parked after attach
# are timed, nothing is left attached after exit, the target lives.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets timeout_send
start_go_target timeout_send stripped -rate 2
# uprobes on the target's binary (bpftool names the file blockwatch attached through)
target_uprobes() {
	bpftool -j perf | python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin) if e.get("filename") == sys.argv[1]))' \
		"$(go_target_bin timeout_send stripped)"
}
"$BLOCKWATCH" -p "$GT_PID" -D -i 1 -c 4 --json >"$BW_TMP/out.json" 2>"$BW_TMP/err" &
bw=$!
sleep 2.5
during=$(target_uprobes)
wait "$bw" || fail "blockwatch failed: $(cat "$BW_TMP/err")"
after=$(target_uprobes)
[ "$during" -eq 2 ] || fail "$during uprobes on the target while attached, want 2 (gopark, ready)"
[ "$after" -eq 0 ] || fail "$after uprobes left on the target after blockwatch exited"
kill -0 "$GT_PID" || fail "the target died"
python3 - "$BW_TMP/out.json" "$BW_ROOT/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
recs = bwjson.load(sys.argv[1])
sites = bwjson.last_interval(recs)
# the ground-truth printer parks in a 200 ms ticker: completed waits of ~200 ms
tick = [s for s in sites if s["kind"] == "goroutine" and "main.serveTruth" in bwjson.functions(s)]
assert tick and tick[0]["waits"] >= 3, "no completed ticker waits:\n" + bwjson.describe(sites)
p50 = tick[0]["wait_ns"]["p50"]
assert 150e6 <= p50 <= 260e6, f"ticker wait p50 {p50}"
# the leak is still counted at its own site in detail mode
leak = [s for s in sites if "main.handle.func1" in bwjson.functions(s) and s["reason"] == "chan send"]
assert leak and leak[0]["blocked"] > 0, bwjson.describe(sites)
# the probes' own counters: in every process record, growing; their drops in the interval's
probes = [r["go_probes"] for r in recs if r["type"] == "process"]
assert probes and all(probes), f"process records without go_probes: {probes}"
assert 0 < probes[0]["parks"] < probes[-1]["parks"], probes
assert 0 < probes[0]["readies"] < probes[-1]["readies"], probes
final = [r for r in recs if r["type"] == "interval"][-1]
for k in ("parked_full", "waits_full", "stacks_full", "read_fault"):
    assert final["drops"]["go_" + k] == probes[-1][k], (k, final["drops"], probes[-1])
print("ok: ticker p50", p50, "leak blocked", leak[0]["blocked"], "probes", probes[-1])
PY
echo ok
