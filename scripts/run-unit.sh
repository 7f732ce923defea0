#!/usr/bin/env bash
# Run each cmocka unit-test binary; print one closing line with the totals.
set -u
passed=0 failed=0 bad=()
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		failed=$((failed + 1)) # crashed, or a sanitizer stopped it
	fi
	[ "$rc" -ne 0 ] && bad+=("$(basename "$t")")
done
echo "unit: $passed passed, $failed failed"
[ ${#bad[@]} -eq 0 ] || { echo "failing unit binaries: ${bad[*]}" >&2; exit 1; }
