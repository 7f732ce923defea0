#!/usr/bin/env bash
# Observer death: blockwatch killed with SIGKILL at random moments (while it loads and attaches
# its programs and uprobes, while it writes a report, after a while under load) must leave
# nothing behind: no BPF program, map or link of ours, no uprobe (bpftool perf, tracefs's
# uprobe_events, and no int3 left in the target's code), and targets that keep working, pass
# their own checks and run as fast as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/safetylib.sh"
safety_prereqs
build_go_load
stress=$(build_c_target stress)
ensure_tracefs
bpf_snapshot
start_target go "$BW_GO_OUT/safety_load.stripped" -pairs 2 -clients 2 -churn 2000
start_target c "$stress" work 3
sleep 1
read -r go_before go_before_cpu <<<"$(rate go pingpong 2)"
read -r c_before c_before_cpu <<<"$(rate c "" 2)"
echo "before: Go ping-pong $go_before/s ($go_before_cpu per CPU-s), C queue $c_before/s ($c_before_cpu per CPU-s)"
seed=${BW_SEED:-$$}
RANDOM=$seed
echo "random seed $seed (BW_SEED=$seed to replay)"
out=$BW_TMP/bw.json

# bw_start ARGS...: blockwatch on both targets in the background, pid in BW
bw_start() {
	# emptied here, not by the child's redirection: a check made before the child gets to it
	# would read the previous run's reports
	: >"$out"
	"$BLOCKWATCH" -p "$go_PID,$c_PID" --json "$@" >"$out" 2>"$BW_TMP/bw.err" &
	BW=$!
}

bw_kill() {
	kill -9 "$BW" 2>/dev/null || true
	wait "$BW" 2>/dev/null || true
	kill -0 "$go_PID" 2>/dev/null || fail "Go target died ($1)"
	kill -0 "$c_PID" 2>/dev/null || fail "C target died ($1)"
}

# while loading, verifying and attaching programs and uprobes: before the first report
for ((i = 0; i < 12; i++)); do
	if ((i % 2)); then bw_start -i 1 -D; else bw_start -i 1; fi
	sleep "$(printf '0.%03d' $((RANDOM % 400)))"
	[ -s "$out" ] && echo "attach kill $i came after the first report"
	bw_kill "attach kill $i"
done
echo "12 kills while attaching"

# while a report is written: as soon as the first records of an interval are out
reports=0
for ((i = 0; i < 10; i++)); do
	bw_start -i 0.2 -D --pprof "$BW_TMP/p.pb.gz" --folded "$BW_TMP/f.folded"
	n=$((1 + RANDOM % 3)) # the first, second or third report
	# up to 10 s: on 2 busy CPUs the first report takes about 0.3 s, seconds would be a bug
	for ((t = 0; t < 1000; t++)); do
		[ "$(grep -c '"type":"interval"' "$out")" -ge "$n" ] && break
		sleep 0.01
	done
	if grep -q '"type":"interval"' "$out"; then
		reports=$((reports + 1))
		echo "report kill $i: after $((t * 10)) ms, report $n"
	else
		echo "report kill $i: no report in 10 s; blockwatch said: $(head -c 400 "$BW_TMP/bw.err" | tr '\n' '|')"
	fi
	bw_kill "report kill $i"
done
[ "$reports" -eq 10 ] || fail "only $reports of 10 runs reached a report (in 10 s) before being killed"
echo "10 kills while reporting"

# under load, detail probes firing, after a random while
for ((i = 0; i < 8; i++)); do
	bw_start -i 0.3 -D
	sleep "$(printf '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000)))"
	bw_kill "load kill $i"
done
echo "8 kills under load"

alive_and_progressing go pingpong
alive_and_progressing go churn
alive_and_progressing c
no_leftovers "$go_PID" "$c_PID"
recovered go pingpong "$go_before_cpu"
start_target control "$stress" work 3
like_control c control
kill -TERM "$control_PID"
finish_target go
finish_target c
echo ok
