#!/usr/bin/env bash
# Sanitizers: integration tests of every kind (thread view, goroutine view, target changes,
# overload, detail mode) run again with build/blockwatch-san (AddressSanitizer + UBSan, leaks
# checked at exit, the first report aborts); then valgrind's memcheck on bounded runs (-c 2) of
# the normal binary, a C target and a Go target in detail mode, must find no error and no leak.
# tests/valgrind.supp says what is suppressed (two false positives of valgrind's bpf() wrapper
# on calls libbpf makes) and why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/safetylib.sh"
safety_prereqs
san=$BW_ROOT/build/blockwatch-san
[ -x "$san" ] || fail "the sanitized build is missing: make build/blockwatch-san"
command -v valgrind >/dev/null || skip "needs valgrind"

# shellcheck disable=SC2097,SC2098
for t in test_threads_mutex test_go_no_receiver test_resilience_target_changes \
	test_resilience_overload; do
	rc=0
	BLOCKWATCH=$san ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		bash "$BW_ROOT/tests/integration/$t.sh" >"$BW_TMP/$t.log" 2>&1 || rc=$?
	sanitizer_clean "$BW_TMP/$t.log"
	if [ "$rc" -ne 0 ]; then
		tail -30 "$BW_TMP/$t.log" >&2
		fail "$t with blockwatch-san: exit $rc"
	fi
	echo "$t: passed with blockwatch-san, no sanitizer report"
done

build_go_load
stress=$(build_c_target stress)
start_target c "$stress" work 2
start_target go "$BW_GO_OUT/safety_load.stripped" -pairs 1 -clients 1 -churn 2000
vg=(valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --error-exitcode=99
	--suppressions="$BW_ROOT/tests/valgrind.supp")
for args in "-p $c_PID" "-p $go_PID -D"; do
	rc=0
	# shellcheck disable=SC2086
	"${vg[@]}" "$BLOCKWATCH" $args -i 0.5 -c 2 --json >"$BW_TMP/vg.json" 2>"$BW_TMP/vg.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		grep -E -A20 'definitely lost in|Invalid|uninitialised|unaddressable|ERROR SUMMARY' \
			"$BW_TMP/vg.err" | head -60 >&2
		fail "valgrind: blockwatch $args: exit $rc"
	fi
	grep -q '"type":"interval"' "$BW_TMP/vg.json" || fail "valgrind: blockwatch $args: no report"
	echo "valgrind: blockwatch $args: $(grep -E 'ERROR SUMMARY' "$BW_TMP/vg.err" | sed 's/==[0-9]*== //')"
done
finish_target c
finish_target go
echo ok
