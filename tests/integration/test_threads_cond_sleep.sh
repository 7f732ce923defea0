#!/usr/bin/env bash
# A condition variable never signalled, and a thread napping 100 ms in a
# loop: the right functions, the right kinds, and wait durations that match
# what the target does.
. "$(dirname "$0")/lib.sh"
need_root
target=$(build_c_target blocker)
spawn "$target" cond >"$BW_TMP/cond.out"
cond_pid=$!
spawn "$target" sleep 100 >"$BW_TMP/sleep.out"
sleep_pid=$!
wait_for_line "$BW_TMP/cond.out" '^ready'
wait_for_line "$BW_TMP/sleep.out" '^ready'
"$BLOCKWATCH" -p "$cond_pid" -i 1 -c 2 --json >"$BW_TMP/cond.json" 2>"$BW_TMP/err1" || fail "blockwatch failed: $(cat "$BW_TMP/err1")"
"$BLOCKWATCH" -p "$sleep_pid" -i 2 -c 2 --json >"$BW_TMP/sleep.json" 2>"$BW_TMP/err2" || fail "blockwatch failed: $(cat "$BW_TMP/err2")"
python3 - "$BW_TMP" "$BW_ROOT/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
tmp = sys.argv[1]

recs = bwjson.load(tmp + "/cond.json")
sites = bwjson.sites_with(recs, "wait_on_condvar", kind="futex")
assert len(sites) == 1, "no futex site in wait_on_condvar:\n" + bwjson.describe(bwjson.last_interval(recs))
s = sites[0]
assert s["blocked"] == 1, s["blocked"]
assert s["reason"] in ("futex_wait_bitset", "futex_wait"), s["reason"]
assert s["waits"] == 0, "a never-signalled condvar completed waits"

recs = bwjson.load(tmp + "/sleep.json")
sites = bwjson.sites_with(recs, "nap_in_loop", kind="offcpu")
assert len(sites) == 1, "no off-CPU site in nap_in_loop:\n" + bwjson.describe(bwjson.last_interval(recs))
s = sites[0]
assert s["reason"] in ("clock_nanosleep", "nanosleep"), s["reason"]
# 2 s interval of 100 ms naps: up to 20 completed waits of about 100 ms (fewer when a loaded
# machine runs the napping thread late: the durations below are the real check)
assert 8 <= s["waits"] <= 21, f"waits {s['waits']}"
w = s["wait_ns"]
assert 95e6 <= w["p50"] <= 140e6, f"p50 {w['p50']}"
assert 100e6 <= w["max"] <= 250e6, f"max {w['max']}"
assert s["blocked"] <= 1
print("ok")
PY
