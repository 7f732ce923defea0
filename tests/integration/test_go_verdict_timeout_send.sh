#!/usr/bin/env bash
# A steady leak of one goroutine a second (seed 000's pattern) is flagged within 60 s: the site
# at main.handle.func1 carries "verdict":"leak" with growth_per_min within 30% of 60, and
# blockwatch exits with 10.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets timeout_send
line=$(leak_site_line timeout_send main.handle.func1)
start_go_target timeout_send plain -rate 1
GT_JSON=$BW_TMP/verdict.json
run_blockwatch "$GT_JSON" -i 1 -d 60
truth=$(truth_last "$GT_OUT")
echo "ground truth at the end: $truth; blockwatch exit $BW_RC"
# the count moves by one a second, so compare it loosely here (exact counts: test_go_timeout_send)
bw_go_json site "$GT_JSON" --func main.handle.func1 --file /timeout_send/main.go --line "$line" \
	--reason "chan send" --count "$(truth_field "$truth" leaked)" --tol 5 \
	--verdict leak --growth 60 --growth-tol 30 ||
	fail "no leak verdict with the right growth at main.handle.func1"
[ "$BW_RC" -eq 10 ] || fail "blockwatch exited with $BW_RC after a leak verdict, expected 10"
