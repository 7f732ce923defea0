#!/usr/bin/env bash
# --sample N: detail mode times one goroutine in N and scales the counts by
# N, and says so. The bursts target completes 400 waits a second at one
# site: the scaled count over a run must match the unsampled count of a run
# of the same length, and the process record must carry the rate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets bursts
start_go_target bursts plain -waiters 200 -period 0.5s
for n in 1 4; do
	"$BLOCKWATCH" -p "$GT_PID" -D --sample "$n" -i 1 -d 6 --json -o "$BW_TMP/s$n.json" \
		2>"$BW_TMP/err" || fail "blockwatch --sample $n failed: $(cat "$BW_TMP/err")"
done
"$BLOCKWATCH" -p "$GT_PID" -D --sample 4 -i 1 -c 1 >"$BW_TMP/term.txt" 2>"$BW_TMP/err"
grep -q "1 goroutine in 4 timed, waits x4" "$BW_TMP/term.txt" ||
	fail "the terminal view does not say it samples: $(head -3 "$BW_TMP/term.txt")"
kill -0 "$GT_PID" || fail "the target died"
python3 - "$BW_TMP" "$BW_ROOT/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
def run(n):
    recs = bwjson.load(f"{sys.argv[1]}/s{n}.json")
    # every regular report after the first (a full second each)
    ts = sorted({r["ts_ns"] for r in recs if r.get("type") == "interval" and not r["final"]})[1:]
    waits = sum(r["waits"] for r in recs if r.get("type") == "site" and r["ts_ns"] in ts
                and r["kind"] == "goroutine" and "main.waiter" in bwjson.functions(r))
    proc = [r for r in recs if r.get("type") == "process"][-1]
    return waits, len(ts), proc["go_probes"]
full, n1, p1 = run(1)
scaled, n4, p4 = run(4)
assert p1["sample_every"] == 1 and p4["sample_every"] == 4, (p1, p4)
assert p4["sampled_out"] > 0, p4
rate1, rate4 = full / n1, scaled / n4
print(f"waits per second: every goroutine {rate1:.0f}, one in 4 scaled {rate4:.0f}")
assert rate1 > 200, f"too few waits timed without sampling: {rate1:.0f}/s"
assert 0.65 <= rate4 / rate1 <= 1.35, f"scaled count {rate4:.0f}/s against {rate1:.0f}/s"
print("ok")
PY
echo ok
