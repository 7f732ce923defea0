#!/usr/bin/env bash
# blockwatch --pprof (and --folded) on a Go leak target (timeout_send, about 300 goroutines leaked
# at main.handle.func1), plain and stripped: the real `go tool pprof -top` lists the leaking function
# with the target's own count, -traces shows its wait reason, the flame-graph file has its stack.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets timeout_send

# pprof_cum FILE FUNC: the cumulative count go tool pprof -top gives FUNC
pprof_cum() {
	go tool pprof -top -nodecount=200 "$1" 2>/dev/null | awk -v f="$2" '$6 == f { print $4 }'
}

for v in plain stripped; do
	# 300 started; under load a few handlers may still get their reply: the count that
	# settles is the truth, whatever it is
	start_go_target timeout_send $v -rate 100 -max 300
	wait_truth_leaked "$GT_OUT" 250 60
	prof=$BW_TMP/blocked.$v.pb.gz
	folded=$BW_TMP/blocked.$v.folded
	run_blockwatch "$BW_TMP/$v.json" -i 1 -d 3 --pprof "$prof" --folded "$folded"
	want=$(truth_field "$(truth_last "$GT_OUT")" main.handle.func1)
	[ -s "$prof" ] || fail "$v: no profile written"
	[ "$(stat -c %a "$prof")" = 644 ] || fail "$v: profile mode $(stat -c %a "$prof")"
	! compgen -G "$BW_TMP/*.tmp.*" >/dev/null || fail "$v: a temporary file was left behind"
	top=$(go tool pprof -top -nodecount=200 "$prof" 2>&1) || fail "$v: go tool pprof -top: $top"
	head -12 <<<"$top"
	grep -q '^Type: blocked$' <<<"$top" || fail "$v: sample type is not 'blocked'"
	got=$(pprof_cum "$prof" main.handle.func1)
	[ -n "$got" ] || fail "$v: go tool pprof -top does not list main.handle.func1"
	echo "$v: go tool pprof: main.handle.func1 cum $got, ground truth $want"
	[ "$got" -ge $((want * 98 / 100)) ] && [ "$got" -le $((want * 102 / 100)) ] ||
		fail "$v: main.handle.func1 has $got blocked in the profile, the target says $want"
	traces=$(go tool pprof -traces "$prof" 2>&1) || fail "$v: go tool pprof -traces: $traces"
	awk '/^-+\+-+$/ { block = "" } { block = block "\n" $0 }
		/main\.handle\.func1/ && block ~ /reason:  chan send/ && block ~ /kind:  goroutine/ { ok = 1 }
		END { exit !ok }' <<<"$traces" ||
		fail "$v: -traces has no 'chan send' goroutine sample through main.handle.func1"
	# the same sites as folded stacks: root (comm, 15 bytes) first, the reason as the leaf
	line=$(grep ';main.handle.func1;' "$folded") || fail "$v: no folded stack through main.handle.func1"
	echo "$v: folded: $line"
	[[ "$line" == "timeout_send"*";runtime.goexit;main.handle.func1;"*";runtime.gopark;[chan send] "* ]] ||
		fail "$v: folded line '$line'"
	[ "${line##* }" = "$got" ] || fail "$v: folded count ${line##* }, profile $got"
	stop_go_target
done
