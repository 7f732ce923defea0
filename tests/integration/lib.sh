# Helpers sourced by the integration tests. Each test is a bash script that
# exits 0 on success, 77 to skip (a missing prerequisite; CI turns it into a
# failure), anything else on failure.
set -euo pipefail
: "${BW_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BLOCKWATCH:=$BW_ROOT/blockwatch}"
BW_TMP=$(mktemp -d /tmp/bwtest.XXXXXX)
BW_PIDS=()

bw_cleanup() {
	local p
	for p in "${BW_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$BW_TMP"
}
trap bw_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }

# Start a command in the background; its pid goes in $! and is killed at exit.
spawn() { "$@" & BW_PIDS+=($!); }

# Build a C target from tests/targets/NAME.c into $BW_TMP/NAME (frame pointers on).
build_c_target() {
	local name=$1
	gcc -g -O1 -fno-omit-frame-pointer -pthread -o "$BW_TMP/$name" "$BW_ROOT/tests/targets/$name.c" \
		|| fail "failed to build target '$name'"
	echo "$BW_TMP/$name"
}

# Wait until FILE contains a line matching REGEX (timeout in seconds).
wait_for_line() {
	local file=$1 regex=$2 timeout=${3:-10} i
	for ((i = 0; i < timeout * 10; i++)); do
		grep -qE "$regex" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "timed out waiting for /$regex/ in $file"
}
