#!/usr/bin/env bash
# Build the Debian package of blockwatch from this tree into build/ (or $1):
#   scripts/build-deb.sh [OUTDIR]
# The build runs in a scratch copy of the tree (the files git does not ignore, as
# they are in the working tree: what `make` would build here), so `debian/rules
# clean` never touches ./build and nothing is written next to the tree. Build dependencies: debian/control (they are in
# scripts/install-deps.sh); dpkg-buildpackage checks them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-build}" && cd "${1:-build}" && pwd)
version=$(cat VERSION)
deb_version=$(dpkg-parsechangelog -S Version)
if [ "$deb_version" != "$version" ]; then
	echo "build-deb: debian/changelog is at $deb_version but VERSION is $version: add a changelog entry (dch -v $version)" >&2
	exit 1
fi
scratch=$(mktemp -d /tmp/blockwatch-deb.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
src=$scratch/blockwatch-$version
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# tracked and untracked files, not ignored ones; a deleted tracked file is left out
	git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./blockwatch -cf - . | tar -xf - -C "$src"
fi
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$scratch/build.log" 2>&1 || {
	tail -40 "$scratch/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
for f in "$scratch"/*.deb "$scratch"/*.buildinfo "$scratch"/*.changes; do
	[ -e "$f" ] && cp "$f" "$out/"
done
ls "$scratch"/blockwatch_"$version"_*.deb >/dev/null
echo "$out/$(basename "$scratch"/blockwatch_"$version"_*.deb)"
