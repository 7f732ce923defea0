#!/usr/bin/env bash
# Integration tests: root, a kernel with BTF, real processes.
# Each tests/integration/test_*.sh is one test; exit 0 = pass, 77 = skip, else fail.
# Outside CI a missing prerequisite skips with a reason; in CI (CI=true) it fails.
set -u
cd "$(dirname "$0")/../.."
export BW_ROOT=$PWD
export BLOCKWATCH=${BLOCKWATCH:-$PWD/blockwatch}
passed=0 failed=0 skipped=0 failures=()
only=${1:-}
for t in tests/integration/test_*.sh; do
	name=$(basename "$t" .sh)
	[ -n "$only" ] && [[ "$name" != *"$only"* ]] && continue
	start=$(date +%s)
	log=$(mktemp)
	timeout --kill-after=10 600 bash "$t" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS $name (${secs}s)"
	elif [ $rc -eq 77 ] && [ "${CI:-}" != true ]; then
		skipped=$((skipped + 1)); echo "SKIP $name: $(tail -1 "$log")"
	else
		failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (rc=$rc, ${secs}s)"
		sed 's/^/    | /' "$log" | tail -40
	fi
	rm -f "$log"
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
