#!/usr/bin/env bash
# Build every Go test target (tests/targets/go/<name>/, a directory with a go.mod) twice with the
# system's Go: OUT_DIR/<name> (symbols and DWARF) and OUT_DIR/<name>.stripped (-ldflags='-s -w',
# what nearly every Go binary in the wild looks like). Offline; the build cache stays under
# OUT_DIR. A binary newer than every file of its target (and than this script) is not rebuilt.
#
#   scripts/build-go-targets.sh OUT_DIR [NAME...]
set -euo pipefail

usage() { echo "usage: $0 OUT_DIR [NAME...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$(mkdir -p "$1" && cd "$1" && pwd)
shift
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/tests/targets/go
self=$root/scripts/build-go-targets.sh

command -v go >/dev/null || { echo "failed to find 'go': install golang-go" >&2; exit 1; }
export GOCACHE=$out/.cache/go-build GOPATH=$out/.cache/gopath GOTOOLCHAIN=local GOPROXY=off
export GOFLAGS= GO111MODULE=on

# up_to_date BIN DIR: BIN exists and nothing in DIR (symlinks followed) nor this script is newer.
up_to_date() {
	local bin=$1 dir=$2
	[ -x "$bin" ] || return 1
	[ "$self" -nt "$bin" ] && return 1
	[ -z "$(find -L "$dir" -newer "$bin" -print -quit)" ]
}

build_one() {
	local name=$1 dir=$src/$1
	[ -f "$dir/go.mod" ] || { echo "failed to find target '$name': no $dir/go.mod" >&2; return 1; }
	if ! up_to_date "$out/$name" "$dir"; then
		(cd "$dir" && go build -o "$out/$name.tmp" .) &&
			mv "$out/$name.tmp" "$out/$name" ||
			{ echo "failed to build '$name'" >&2; return 1; }
	fi
	if ! up_to_date "$out/$name.stripped" "$dir"; then
		(cd "$dir" && go build -ldflags='-s -w' -o "$out/$name.stripped.tmp" .) &&
			mv "$out/$name.stripped.tmp" "$out/$name.stripped" ||
			{ echo "failed to build '$name' stripped" >&2; return 1; }
	fi
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for d in "$src"/*/; do
		[ -f "$d/go.mod" ] && names+=("$(basename "$d")")
	done
fi
rc=0
for n in "${names[@]}"; do
	build_one "$n" || rc=1
done
exit $rc
