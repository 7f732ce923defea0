#!/usr/bin/env bash
# Overload: tiny bounds (--max-sleepers, --max-sites, --max-stacks) and targets that start and
# end thousands of threads and goroutines a second, sleeping at many different stacks, so events
# come faster than the maps can hold them. blockwatch keeps running and reporting; every
# interval record counts the drops per kind (since attach and in the interval, which add up),
# names the figures that are lower bounds when something was dropped, and the tables show the
# drops in their header line, and the metrics count them per kind too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/safetylib.sh"
safety_prereqs
build_go_load
stress=$(build_c_target stress)
start_target churn_c "$stress" churn 32
start_target churn_go "$BW_GO_OUT/safety_load.stripped" -pairs 1 -clients 1 -churn 5000
bounds=(--max-sleepers 8 --max-sites 4 --max-stacks 4)

rc=0
"$BLOCKWATCH" -p "$churn_c_PID,$churn_go_PID" "${bounds[@]}" -i 0.5 -c 4 --json \
	>"$BW_TMP/o.json" 2>"$BW_TMP/o.err" || rc=$?
[ "$rc" -eq 0 ] || fail "blockwatch exited $rc under overload: $(tail -5 "$BW_TMP/o.err")"
python3 - "$BW_TMP/o.json" "$BW_ROOT/tests/integration" <<'EOF' || fail "drops in JSON"
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
KINDS = ["ringbuf", "sleepers_full", "waits_full", "ustack", "kstack", "sleeps_unseen",
         "ends_unseen", "sites_evicted"]
ivs = [r for r in bwjson.load(sys.argv[1]) if r.get("type") == "interval"]
assert len(ivs) == 5, "expected 4 reports and the final one, got %d" % len(ivs)
prev = dict.fromkeys(KINDS, 0)
for iv in ivs:
    for key in ("drops", "drops_interval"):
        missing = [k for k in KINDS if not isinstance(iv.get(key, {}).get(k), int)]
        assert not missing, "interval record without %s %s: %r" % (key, missing, iv)
    for k in KINDS:
        assert iv["drops"][k] - prev[k] == iv["drops_interval"][k], \
            "%s: total %d - previous %d != interval %d" % (k, iv["drops"][k], prev[k],
                                                           iv["drops_interval"][k])
    # each drop names the figures it makes lower bounds (docs/json-schema.md)
    d, lb = iv["drops_interval"], iv.get("lower_bounds") or []
    if d["sleepers_full"] or d["waits_full"]:
        assert "waits" in lb, "waits dropped in the interval but lower_bounds %r" % lb
    if iv["drops"]["sites_evicted"] or iv["drops"]["sleepers_full"]:
        assert "waits_total" in lb, "drops since attach but lower_bounds %r" % lb
    if d["ustack"]:
        assert "frames" in lb, "stacks dropped in the interval but lower_bounds %r" % lb
    prev = iv["drops"]
last = ivs[-1]["drops"]
for k in ("sleepers_full", "waits_full", "ustack"):
    assert last[k] > 0, "no %s drop with tiny bounds: %r" % (k, last)
print("drops since attach: %s; lower bounds named: %s" % (last, ivs[-2].get("lower_bounds")))
EOF

# the same in tables: the header line of each report names the drops
rc=0
"$BLOCKWATCH" -p "$churn_c_PID,$churn_go_PID" "${bounds[@]}" -i 0.5 -c 2 --no-tui \
	>"$BW_TMP/o.txt" 2>"$BW_TMP/o.err" || rc=$?
[ "$rc" -eq 0 ] || fail "blockwatch (tables) exited $rc: $(tail -5 "$BW_TMP/o.err")"
grep -E '^=== .*drops: .*sleepers_full [0-9]+' "$BW_TMP/o.txt" ||
	fail "no drop counts in the tables' header lines: $(grep '^===' "$BW_TMP/o.txt")"

# the same in the metrics (--textfile writes what /metrics serves)
rc=0
"$BLOCKWATCH" -p "$churn_c_PID,$churn_go_PID" "${bounds[@]}" -i 0.5 -c 2 --no-tui \
	--textfile "$BW_TMP/o.prom" >/dev/null 2>"$BW_TMP/o.err" || rc=$?
[ "$rc" -eq 0 ] || fail "blockwatch (metrics) exited $rc: $(tail -5 "$BW_TMP/o.err")"
for kind in ringbuf sleepers_full waits_full ustack kstack; do
	grep -qE "^blockwatch_dropped_events_total\{kind=\"$kind\"\} [0-9]" "$BW_TMP/o.prom" ||
		fail "no blockwatch_dropped_events_total for $kind in the metrics"
done
grep -qE '^blockwatch_dropped_events_total\{kind="sleepers_full"\} [1-9]' "$BW_TMP/o.prom" ||
	fail "metrics: no sleepers_full drop counted: $(grep dropped "$BW_TMP/o.prom")"
echo "metrics: $(grep '^blockwatch_dropped_events_total' "$BW_TMP/o.prom" | tr '\n' ' ')"

alive_and_progressing churn_c
alive_and_progressing churn_go churn
finish_target churn_c
finish_target churn_go
echo ok
