#!/usr/bin/env bash
# `make demo`: run blockwatch on a bundled target that leaks, live.
# The target (tests/targets/blocker.c, demo mode) holds a mutex forever and
# adds one more waiter every second, waits on a condition variable nobody
# signals, and naps in a loop. blockwatch shows each site and how it grows.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "blockwatch needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE): sudo make demo" >&2
	exit 1
fi
out=build/demo
mkdir -p "$out"
gcc -g -O1 -fno-omit-frame-pointer -pthread -o "$out/blocker" tests/targets/blocker.c
"$out/blocker" demo >/dev/null &
target=$!
trap 'kill $target 2>/dev/null || true' EXIT
sleep 0.5
echo "demo target: pid $target (blocker demo, one more thread stuck on a mutex every second); blockwatch for ${DEMO_SECONDS:-45} s, q or Ctrl-C to stop" >&2
status=0
./blockwatch -p "$target" -i 1 -d "${DEMO_SECONDS:-45}" "$@" || status=$?
# 10: the run ended with a leak verdict, which is what the demo is about
if [ "$status" -eq 10 ]; then
	echo "blockwatch found the leak (exit status 10)" >&2
	status=0
fi
exit "$status"
