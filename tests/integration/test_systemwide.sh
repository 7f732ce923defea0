#!/usr/bin/env bash
# System-wide mode: blockwatch with no -p finds the processes by itself.
# Three Go leak targets and one C target started after blockwatch appear
# with their leak sites; a Go program is read within a second of its exec;
# a process that exits disappears from the reports.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets timeout_send no_sender wg_miscount
cbin=$(build_c_target blocker)
out=$BW_TMP/sw.json
"$BLOCKWATCH" -i 0.5 -d 14 --json -o "$out" 2>"$BW_TMP/err" &
bw=$!
BW_PIDS+=($bw)
sleep 3 # attached and past the first reports
declare -A started
for name in timeout_send no_sender wg_miscount; do
	started[$name]=$(date +%s%N)
	spawn "$(go_target_bin "$name" plain)" >"$BW_TMP/$name.out" 2>&1
	eval "pid_$name=$!"
done
spawn "$cbin" mutex 3 >"$BW_TMP/c.out"
pid_c=$!
sleep 5
# a process that exits must disappear
kill -9 "$pid_no_sender"
wait "$bw" || fail "blockwatch exited $?: $(cat "$BW_TMP/err")"
python3 - "$out" "$BW_ROOT/tests/integration" "$pid_timeout_send" "${started[timeout_send]}" \
	"$pid_no_sender" "$pid_wg_miscount" "${started[wg_miscount]}" "$pid_c" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
recs = bwjson.load(sys.argv[1])
ts_pid, ts_start, ns_pid, wg_pid, wg_start, c_pid = map(int, sys.argv[3:9])
sites = [r for r in recs if r.get("type") == "site"]
last = max(r["ts_ns"] for r in sites)
def first_goroutine_report(pid):
    t = [r["ts_ns"] for r in sites if r["pid"] == pid and r["kind"] == "goroutine"]
    return min(t) if t else None
def has_site(pid, function, when=None):
    return any(r["pid"] == pid and (when is None or r["ts_ns"] == when)
               and any(f.get("function") == function for f in r["frames"]) for r in sites)
# found without being named, with their leak sites
assert has_site(ts_pid, "main.handle.func1", last), "timeout_send's leak site missing"
assert has_site(wg_pid, "main.waitAll", last), \
    "wg_miscount's site missing"
assert has_site(c_pid, "wait_for_mutex", last), "the C target's mutex waiters missing"
assert has_site(ns_pid, "main.receive"), \
    "no_sender never seen"
# read within a second of its exec (reports every 0.5 s)
for pid, start in ((ts_pid, ts_start), (wg_pid, wg_start)):
    first = first_goroutine_report(pid)
    assert first is not None, f"pid {pid}: no goroutine report"
    delay = (first - start) / 1e9
    assert delay <= 1.5, f"pid {pid}: first goroutine report {delay:.2f}s after its start"
    print(f"pid {pid}: goroutines reported {delay:.2f}s after exec")
# the killed process is gone from the last report
assert not any(r["pid"] == ns_pid for r in sites if r["ts_ns"] == last), "killed process still reported"
procs = [r for r in recs if r.get("type") == "process" and r["ts_ns"] == last]
assert len(procs) > 4, f"only {len(procs)} processes in the last report"
print("ok:", len(procs), "processes in the last report")
PY
echo ok
