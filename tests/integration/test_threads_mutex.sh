#!/usr/bin/env bash
# A mutex held forever with N waiters: blockwatch names the waiters' own
# function (not only libc's), counts exactly N, and ages them from before
# attach.
. "$(dirname "$0")/lib.sh"
need_root
target=$(build_c_target blocker)
spawn "$target" mutex 6 >"$BW_TMP/target.out"
pid=$!
wait_for_line "$BW_TMP/target.out" '^ready'
sleep 1.5
"$BLOCKWATCH" -p "$pid" -i 1 -c 2 --json >"$BW_TMP/out.json" 2>"$BW_TMP/err" || fail "blockwatch failed: $(cat "$BW_TMP/err")"
python3 - "$BW_TMP/out.json" "$BW_ROOT/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
recs = bwjson.load(sys.argv[1])
sites = bwjson.sites_with(recs, "wait_for_mutex", kind="futex")
if len(sites) != 1:
    sys.exit("expected one futex site in wait_for_mutex, got:\n" + bwjson.describe(bwjson.last_interval(recs)))
s = sites[0]
assert s["reason"] == "futex_wait", s["reason"]
assert s["blocked"] == 6, f"blocked {s['blocked']} != 6"
# they have waited since the target started, ~2 s before the last report
assert s["oldest_age_ns"] >= 1.5e9, f"oldest age {s['oldest_age_ns']} too small"
assert s["oldest_age_ns"] <= 30e9, f"oldest age {s['oldest_age_ns']} too large"
frame = next(f for f in s["frames"] if f.get("function") == "wait_for_mutex")
assert frame.get("file", "").endswith("blocker.c"), frame
holders = bwjson.sites_with(recs, "hold_mutex_forever")
assert holders and holders[0]["blocked"] == 1, bwjson.describe(holders)
print("ok:", bwjson.describe([s]))
PY
