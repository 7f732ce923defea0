#!/usr/bin/env bash
# Fetch real third-party Go binaries (npm platform packages) for the gopclntab
# unit tests into tests/.cache/<name>/<version>/<binary> (gitignored).
# Idempotent: a binary already there is not fetched again. Without npm or the
# npm registry it prints why it skipped and exits 0; the tests then skip those
# cases with a message.
#
# Go versions below were checked with `strings` (go1.NN) and with
# user/gopclntab.c (version, pcln magic, gopark/main.main lookups):
#   esbuild-linux-64@0.14.0      go1.17.2   magic 0xfffffffa
#   esbuild-linux-64@0.14.30     go1.18     magic 0xfffffff0
#   esbuild-linux-64@0.14.54     go1.19     magic 0xfffffff0
#   @esbuild/linux-x64@0.17.19   go1.20.4   magic 0xfffffff1
#   lefthook-linux-x64@1.5.5     go1.21.4   (no esbuild release was built with Go 1.21:
#                                            0.19.0 .. 0.21.5 are go1.20.x, 0.22.0 is go1.22.4)
#   @esbuild/linux-x64@0.22.0    go1.22.4
#   @esbuild/linux-x64@0.24.2    go1.23.1
#   lefthook-linux-x64@1.11.10   go1.24.2   (none with Go 1.24 either: 0.25.x and 0.26.0 are
#                                            go1.23.x, 0.27.0 is go1.25.4)
#   @esbuild/linux-x64@0.27.7    go1.25.7   no .go.buildinfo: version from runtime.buildVersion
#   @esbuild/linux-x64@0.28.2    go1.26.5   pcHeader.textStart 0, .go.module, no .go.buildinfo
# Others seen: @esbuild/linux-x64 0.15.18 go1.19.3, 0.16.17 go1.19.4, 0.18.20 go1.20.7,
# 0.19.12/0.20.2/0.21.5 go1.20.12, 0.23.1 go1.22.5, 0.25.0 go1.23.5, 0.25.12/0.26.0 go1.23.12,
# 0.28.0 go1.26.1; lefthook-linux-x64 1.6.10 go1.21.9, 1.7.18 go1.22.7, 1.10.10 go1.23.4,
# 1.12.4 go1.24.6.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${BW_GOBIN_CACHE:-$root/tests/.cache}

# npm package, version, cache name, binary inside package/bin/
binaries=(
	"esbuild-linux-64 0.14.0 esbuild esbuild"
	"esbuild-linux-64 0.14.30 esbuild esbuild"
	"esbuild-linux-64 0.14.54 esbuild esbuild"
	"@esbuild/linux-x64 0.17.19 esbuild esbuild"
	"lefthook-linux-x64 1.5.5 lefthook lefthook"
	"@esbuild/linux-x64 0.22.0 esbuild esbuild"
	"@esbuild/linux-x64 0.24.2 esbuild esbuild"
	"lefthook-linux-x64 1.11.10 lefthook lefthook"
	"@esbuild/linux-x64 0.27.7 esbuild esbuild"
	"@esbuild/linux-x64 0.28.2 esbuild esbuild"
)

missing=()
for b in "${binaries[@]}"; do
	read -r pkg ver name bin <<<"$b"
	[ -x "$cache/$name/$ver/$bin" ] || missing+=("$b")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "fetch-go-binaries: all ${#binaries[@]} binaries present in $cache"
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	echo "fetch-go-binaries: skipped: npm is not installed; the npm-binary gopclntab tests will skip"
	exit 0
fi
if ! timeout 20 npm view --fetch-retries=1 --fetch-timeout=8000 esbuild-linux-64@0.14.0 version >/dev/null 2>&1; then
	echo "fetch-go-binaries: skipped: the npm registry is unreachable; the npm-binary gopclntab tests will skip"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for b in "${missing[@]}"; do
	read -r pkg ver name bin <<<"$b"
	work="$tmp/$name-$ver"
	mkdir -p "$work"
	if ! (cd "$work" && timeout 120 npm pack --silent "$pkg@$ver" >/dev/null 2>&1) ||
		! tar -xzf "$work"/*.tgz -C "$work" "package/bin/$bin" 2>/dev/null ||
		[ "$(head -c 4 "$work/package/bin/$bin" | od -An -c | tr -d ' ')" != '177ELF' ]; then
		echo "fetch-go-binaries: failed to fetch '$pkg@$ver'" >&2
		failed=1
		continue
	fi
	mkdir -p "$cache/$name/$ver"
	install -m 0755 "$work/package/bin/$bin" "$cache/$name/$ver/$bin"
	echo "fetch-go-binaries: $pkg@$ver -> $cache/$name/$ver/$bin"
done
exit $failed
