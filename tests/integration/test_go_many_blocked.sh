#!/usr/bin/env bash
# Attach to a process that already holds 10,000 blocked goroutines: the FIRST report counts all
# of them at main.blocked ("chan receive") with an age: they were parked, and stamped by a GC,
# 3 s before blockwatch started, and that age can only be a lower bound; plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets many_blocked
line=$(leak_site_line many_blocked main.blocked)
for v in plain stripped; do
	start_go_target many_blocked $v -n 10000
	sleep 3
	GT_JSON=$BW_TMP/many_blocked.$v.json
	start=$(date +%s%N)
	run_blockwatch "$GT_JSON" -i 1 -d 3
	echo "many_blocked ($v): blockwatch ran $((($(date +%s%N) - start) / 1000000)) ms"
	truth=$(truth_last "$GT_OUT")
	echo "many_blocked ($v): ground truth: $truth"
	bw_go_json site "$GT_JSON" --first --func main.blocked --file /many_blocked/main.go \
		--line "$line" --reason "chan receive" --count 10000 --tol 0 \
		--min-age 2000000000 --lower-bound ||
		fail "many_blocked ($v): first report"
	bw_go_json process "$GT_JSON" --first --count "$(truth_field "$truth" goroutines)" --tol 2 ||
		fail "many_blocked ($v): process goroutine count in the first report"
	stop_go_target
done
