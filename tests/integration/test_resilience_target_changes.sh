#!/usr/bin/env bash
# Target changes while blockwatch watches:
#   - the target exits: a final report, exit 0, within a second;
#   - the target exec()s another program (C -> Go, C -> C): blockwatch says so and follows,
#     and no record after the exec names a function or file of the old program;
#   - threads and goroutines come and go at a high rate (thousands a second), in detail mode
#     too: blockwatch keeps reporting, the targets' own checks hold;
#   - the pid is reused: the target dies and a new process gets its pid (forced through
#     ns_last_pid): blockwatch stops and never reports the newcomer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/safetylib.sh"
safety_prereqs
build_go_load
stress=$(build_c_target stress)
blocker=$(build_c_target blocker)
go_bin=$BW_GO_OUT/safety_load.stripped
JSON_PY="import sys; sys.path.insert(0, '$BW_ROOT/tests/integration'); import bwjson"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# exit_case NAME CMD...: the target stops by itself (or on SIGTERM); blockwatch follows within 1 s
exit_case() {
	local name=$1 pid t_exit t_bw rc=0
	shift
	start_target "$name" "$@"
	pid=${name}_PID
	"$BLOCKWATCH" -p "${!pid}" -i 30 --json >"$BW_TMP/$name.json" 2>"$BW_TMP/$name.bwerr" &
	local bw=$!
	sleep 1.5
	[ "$name" = exit_go ] && kill -TERM "${!pid}"
	wait "${!pid}" || true
	t_exit=$(now_ms)
	wait "$bw" || rc=$?
	t_bw=$(now_ms)
	[ "$rc" -eq 0 ] || fail "$name: blockwatch exited $rc: $(cat "$BW_TMP/$name.bwerr")"
	[ $((t_bw - t_exit)) -le 1000 ] ||
		fail "$name: blockwatch exited $((t_bw - t_exit)) ms after the target"
	python3 -c "$JSON_PY
recs = bwjson.load('$BW_TMP/$name.json')
ivs = [r for r in recs if r.get('type') == 'interval']
assert ivs and ivs[-1].get('final') is True, 'no final report: %r' % ivs
assert any(r.get('type') == 'process' for r in recs), 'the final report has no process record'
" || fail "$name: final report"
	echo "$name: blockwatch exited 0, $((t_bw - t_exit)) ms after the target, with a final report"
}

exit_case exit_c "$stress" exit 1500
exit_case exit_go "$go_bin" -pairs 1 -clients 1

# exec_case NAME PROG ARGS...: stress blocks two threads in before_exec_wait, then exec()s PROG
exec_case() {
	local name=$1 t_sig t_ready rc=0 bw
	shift
	start_target "$name" "$stress" exec "$@"
	pid=${name}_PID
	"$BLOCKWATCH" -p "${!pid}" -i 0.4 -d 5 --json >"$BW_TMP/$name.json" 2>"$BW_TMP/$name.bwerr" &
	bw=$!
	sleep 1.5
	t_sig=$(date +%s%N)
	kill -USR1 "${!pid}"
	wait_for_line "$BW_TMP/$name.out" '^ready.*' 10
	# the new program's "ready" follows the old one's: wait for the second
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c '^ready' "$BW_TMP/$name.out")" -ge 2 ] && break
		sleep 0.1
	done
	t_ready=$(date +%s%N)
	wait "$bw" || rc=$?
	[ "$rc" -eq 0 ] || [ "$rc" -eq 10 ] || fail "$name: blockwatch exited $rc: $(cat "$BW_TMP/$name.bwerr")"
	grep -q "exec" "$BW_TMP/$name.bwerr" ||
		fail "$name: blockwatch did not say the target exec()ed: $(cat "$BW_TMP/$name.bwerr")"
	echo "$name: blockwatch said: $(grep exec "$BW_TMP/$name.bwerr")"
	python3 - "$BW_TMP/$name.json" "$t_sig" "$t_ready" "$stress" "$name" <<EOF || fail "$name: records after exec"
$JSON_PY
path, t_sig, t_ready, old, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
recs = bwjson.load(path)
def old_frames(r):
    return [f for f in r.get("frames", []) if f.get("module") == old or
            str(f.get("file", "")).endswith("stress.c") or f.get("function") == "before_exec_wait"]
before = [r for r in recs if r.get("ts_ns", 0) < t_sig and r.get("type") == "site"]
after = [r for r in recs if r.get("ts_ns", 0) > t_ready + 500_000_000]
assert any(any(f.get("function") == "before_exec_wait" for f in r.get("frames", []))
           for r in before), "before the exec: no site in before_exec_wait"
assert after, "no records a report after the exec"
stale = [(r.get("type"), old_frames(r)) for r in after if old_frames(r)]
assert not stale, "stale symbols after the exec: %r" % stale[:3]
procs = [r for r in after if r.get("type") == "process"]
assert procs, "no process record after the exec"
if name == "exec_go":
    assert all(p.get("is_go") for p in procs), "after exec into Go: %r" % procs[-1]
    g = [r for r in after if r.get("kind") == "goroutine" and
         any(str(f.get("function", "")).startswith("main.") for f in r.get("frames", []))]
    assert g, "after exec into Go: no goroutine site in main.*"
    print("after the exec: Go %s, %d goroutine sites in main.*" % (procs[-1].get("go_version"), len(g)))
else:
    s = [r for r in after if any(f.get("function") == "wait_for_mutex" for f in r.get("frames", []))]
    assert s, "after exec into blocker: no site in wait_for_mutex"
    print("after the exec: %d sites in wait_for_mutex, none of the old program" % len(s))
EOF
	kill -TERM "${!pid}" 2>/dev/null || true
	wait "${!pid}" 2>/dev/null || true
}

exec_case exec_go "$go_bin" -pairs 1 -clients 1
exec_case exec_c "$blocker" mutex 3

# churn: ~4000 threads a second and ~5000 goroutines a second, thread view and detail mode
start_target churn_c "$stress" churn 16
start_target churn_go "$go_bin" -pairs 1 -clients 1 -churn 5000
for args in "-i 0.5 -c 5" "-i 0.5 -c 5 -D"; do
	rc=0
	# shellcheck disable=SC2086
	"$BLOCKWATCH" -p "$churn_c_PID,$churn_go_PID" $args --json >"$BW_TMP/churn.json" \
		2>"$BW_TMP/churn.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "churn ($args): blockwatch exited $rc: $(tail -5 "$BW_TMP/churn.err")"
	n=$(grep -c '"type":"interval"' "$BW_TMP/churn.json")
	[ "$n" -eq 6 ] || fail "churn ($args): $n reports, expected 6 (5 and the final one)"
	echo "churn ($args): 6 reports; threads joined $(ops churn_c), goroutines ended $(ops churn_go churn)"
done
alive_and_progressing churn_c
alive_and_progressing churn_go churn
finish_target churn_c
finish_target churn_go

# pid reuse: the next fork gets the dead target's pid (ns_last_pid), before or after blockwatch
# noticed the death; either way it must stop without reporting the newcomer
reused=0
for ((attempt = 0; attempt < 20 && !reused; attempt++)); do
	start_target reuse "$stress" exit 600000
	"$BLOCKWATCH" -p "$reuse_PID" -i 0.3 --json >"$BW_TMP/reuse.json" 2>"$BW_TMP/reuse.err" &
	bw=$!
	sleep 1
	kill -9 "$reuse_PID"
	wait "$reuse_PID" 2>/dev/null || true
	echo $((reuse_PID - 1)) >/proc/sys/kernel/ns_last_pid
	"$blocker" mutex 3 >"$BW_TMP/newcomer.out" &
	newcomer=$!
	BW_PIDS+=("$newcomer")
	t0=$(now_ms)
	rc=0
	wait "$bw" || rc=$?
	t1=$(now_ms)
	if [ "$newcomer" -eq "$reuse_PID" ]; then
		reused=1
		[ "$rc" -eq 0 ] || fail "pid reuse: blockwatch exited $rc: $(cat "$BW_TMP/reuse.err")"
		[ $((t1 - t0)) -le 1000 ] || fail "pid reuse: blockwatch ran on for $((t1 - t0)) ms"
		sleep 0.5 # the newcomer's threads are in place: had blockwatch kept on, it would see them
		if grep -qE 'wait_for_mutex|hold_mutex_forever|"comm":"blocker"' "$BW_TMP/reuse.json"; then
			fail "pid reuse: blockwatch reported the newcomer: $(grep -m2 blocker "$BW_TMP/reuse.json")"
		fi
		echo "pid reuse: pid $newcomer reused (attempt $((attempt + 1))); blockwatch stopped within $((t1 - t0)) ms, newcomer not reported"
	fi
	kill -9 "$newcomer" 2>/dev/null || true
	wait "$newcomer" 2>/dev/null || true
done
[ "$reused" -eq 1 ] || skip "could not get a pid reused in 20 attempts (other processes forking?)"
echo ok
