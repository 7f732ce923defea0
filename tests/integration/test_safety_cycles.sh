#!/usr/bin/env bash
# Target safety: 200 attach/detach cycles of blockwatch on a Go target under load (channel
# ping-pong + an HTTP server answering a load loop) and a C/pthread target (producer/consumer
# queue), watched together. One cycle in four in detail mode (-D: uprobes in the Go runtime,
# attached and detached while it runs); most run one report (-c 1), some are killed with
# SIGKILL or interrupted with SIGINT at a random moment. Throughout: the targets stay alive and
# keep working (no deadlock); at the end their own checks hold, nothing of ours is left in the
# kernel or in their code, and their throughput is normal: the Go target's work per CPU second
# is what it was before, the C target's that of a never-watched copy (see like_control).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/safetylib.sh"
safety_prereqs
build_go_load
stress=$(build_c_target stress)
ensure_tracefs
bpf_snapshot
start_target go "$BW_GO_OUT/safety_load.stripped" -pairs 2 -clients 2
start_target c "$stress" work 3
sleep 1
read -r go_before go_before_cpu <<<"$(rate go pingpong 2)"
read -r c_before c_before_cpu <<<"$(rate c "" 2)"
echo "before: Go ping-pong $go_before/s ($go_before_cpu per CPU-s), C queue $c_before/s ($c_before_cpu per CPU-s)"

seed=${BW_SEED:-$$}
RANDOM=$seed
echo "random seed $seed (BW_SEED=$seed to replay)"
killed=0 interrupted=0 detail=0 reports=0
for ((i = 1; i <= 200; i++)); do
	args=(-p "$go_PID,$c_PID" -i 0.1 --json)
	if ((i % 4 == 0)); then
		args+=(-D)
		detail=$((detail + 1))
	fi
	rc=0
	case $((i % 10)) in
	3 | 7) # SIGKILL at a random moment: attaching, reporting, or in between
		"$BLOCKWATCH" "${args[@]}" >"$BW_TMP/bw.out" 2>"$BW_TMP/bw.err" &
		sleep "$(printf '0.%03d' $((RANDOM % 700)))"
		kill -9 $! 2>/dev/null || true
		wait $! 2>/dev/null || true
		killed=$((killed + 1))
		;;
	5) # Ctrl-C at a random moment: a clean exit (or death by SIGINT before the handler is set)
		"$BLOCKWATCH" "${args[@]}" >"$BW_TMP/bw.out" 2>"$BW_TMP/bw.err" &
		sleep "$(printf '0.%03d' $((100 + RANDOM % 600)))"
		kill -INT $! 2>/dev/null || true
		wait $! || rc=$?
		[ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] ||
			fail "cycle $i: SIGINT: blockwatch exited $rc: $(tail -3 "$BW_TMP/bw.err")"
		interrupted=$((interrupted + 1))
		;;
	*)
		"$BLOCKWATCH" "${args[@]}" -c 1 >"$BW_TMP/bw.out" 2>"$BW_TMP/bw.err" || rc=$?
		[ "$rc" -eq 0 ] || fail "cycle $i (${args[*]}): exit $rc: $(tail -3 "$BW_TMP/bw.err")"
		grep -q '"type":"interval"' "$BW_TMP/bw.out" ||
			fail "cycle $i: no report: $(tail -3 "$BW_TMP/bw.err")"
		reports=$((reports + 1))
		;;
	esac
	if ((i % 20 == 0)); then
		alive_and_progressing go pingpong
		alive_and_progressing go http
		alive_and_progressing c
		echo "cycle $i: targets alive and working (ping-pong $(ops go pingpong), http $(ops go http), queue $(ops c))"
	fi
done
echo "200 cycles: $reports with a report, $killed killed, $interrupted interrupted; $detail in detail mode"

no_leftovers "$go_PID" "$c_PID"
sleep 0.5
# Work per CPU second, which other load on a shared machine does not move much: a probe left
# in runtime.gopark makes a round trip 4-5 times dearer (FACTS.md), a program left on
# sched_switch slows every context switch of the queue; 60% leaves room for noise.
recovered go pingpong "$go_before_cpu"
start_target control "$stress" work 3
like_control c control
kill -TERM "$control_PID"
finish_target go
finish_target c
grep -q 'errors=0' "$BW_TMP/go.out" || fail "Go target counted errors"
echo ok
