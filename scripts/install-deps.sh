#!/usr/bin/env bash
# Install every package blockwatch needs to build and to run its tests, from
# Debian's archive. Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
	# build
	clang llvm make gcc pkg-config bpftool
	libbpf-dev libelf-dev libdw-dev zlib1g-dev libcapstone-dev
	libmicrohttpd-dev libjson-c-dev libncurses-dev
	# tests
	libcmocka-dev clang-format golang-go tmux
	memcached libmemcached-tools prometheus prometheus-node-exporter
	procps iproute2 curl python3 valgrind
	# install and packaging tests (test_install, test_deb, test_deploy)
	debhelper dpkg-dev fakeroot zsh bash-completion man-db groff-base systemd strace
	python3-yaml util-linux
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "blockwatch: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
