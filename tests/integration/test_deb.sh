#!/usr/bin/env bash
# The Debian package: scripts/build-deb.sh builds it from the tree (dpkg-buildpackage -us -uc -b
# in a scratch copy, Build-Depends checked) into build/. Its metadata and files are checked, it
# is extracted into a scratch root (dpkg -x) whose blockwatch reports its version and watches a
# real process, and it is installed for real (dpkg -i: maintainer scripts run), used, and purged,
# leaving nothing. Build-Depends must list scripts/install-deps.sh's build packages. lintian, when
# installed, must report no error or warning.
. "$(dirname "$0")/lib.sh"
need_root
for tool in dpkg-buildpackage dh fakeroot python3; do
	command -v "$tool" >/dev/null || skip "needs $tool (debhelper, dpkg-dev, fakeroot: scripts/install-deps.sh)"
done
cd "$BW_ROOT"
version=$(cat VERSION)

# Build-Depends = install-deps.sh's build section, less build-essential (gcc, make)
python3 - <<'PY' || fail "debian/control's Build-Depends and scripts/install-deps.sh disagree"
import re
deps = open("scripts/install-deps.sh").read()
build = re.search(r"# build\n(.*?)# tests", deps, re.S).group(1).split()
control = open("debian/control").read()
bd = re.search(r"^Build-Depends:(.*?)^\S", control, re.S | re.M).group(1)
bd = {re.sub(r"\s*\(.*\)", "", d).strip() for d in bd.split(",") if d.strip()}
want = set(build) - {"gcc", "make"}
got = bd - {"debhelper-compat"}
if want != got:
    raise SystemExit("install-deps.sh only: %s; debian/control only: %s" % (sorted(want - got), sorted(got - want)))
print("Build-Depends: %d packages, as scripts/install-deps.sh" % len(got))
PY

start=$(date +%s)
deb=$(scripts/build-deb.sh build 2>"$BW_TMP/build.err") || fail "scripts/build-deb.sh failed: $(tail -20 "$BW_TMP/build.err")"
echo "built $deb in $(($(date +%s) - start)) s"
[ "$deb" = "$BW_ROOT/build/blockwatch_${version}_amd64.deb" ] || fail "unexpected package path '$deb'"
[ "$(find "$deb" -newermt "@$start" | wc -l)" = 1 ] || fail "$deb was not rebuilt by this run"

# ---- metadata and contents ----
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = blockwatch ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version $(field Version), VERSION says $version"
[ "$(field Architecture)" = amd64 ] || fail "Architecture: $(field Architecture)"
for lib in libbpf1 libelf1 libdw1 libjson-c5 libmicrohttpd12 libcapstone4; do
	field Depends | grep -q "\b$lib\b" || fail "Depends lacks $lib: $(field Depends)"
done
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$BW_TMP/files"
for f in /usr/sbin/blockwatch /usr/share/man/man8/blockwatch.8.gz \
	/usr/share/bash-completion/completions/blockwatch /usr/share/zsh/vendor-completions/_blockwatch \
	/lib/systemd/system/blockwatch.service /etc/default/blockwatch /usr/share/doc/blockwatch/copyright \
	/usr/share/doc/blockwatch/examples/rules.yml /usr/share/doc/blockwatch/examples/blockwatch.json; do
	grep -qxF "$f" "$BW_TMP/files" || fail "the package lacks $f"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | grep -qx /etc/default/blockwatch ||
	fail "/etc/default/blockwatch is not a conffile"
echo "metadata: $(field Package) $(field Version) $(field Architecture), $(wc -l <"$BW_TMP/files") paths"

# ---- dpkg -x into a scratch root ----
root=$BW_TMP/root
dpkg -x "$deb" "$root" || fail "dpkg -x failed"
got=$("$root/usr/sbin/blockwatch" --version) || fail "the extracted blockwatch does not run"
[ "$got" = "blockwatch $version" ] || fail "extracted blockwatch --version: '$got'"
spawn sleep 600
target=$!
"$root/usr/sbin/blockwatch" -p "$target" --json 1 1 >"$BW_TMP/x.json" 2>"$BW_TMP/x.err" ||
	fail "the extracted blockwatch failed on pid $target: $(tail -3 "$BW_TMP/x.err")"
grep -q "\"pid\":$target,.*\"reason\":\"clock_nanosleep\"" "$BW_TMP/x.json" ||
	fail "the extracted blockwatch did not report sleep's clock_nanosleep: $(head -c 400 "$BW_TMP/x.json")"
echo "extracted: $got, watched pid $target"

# ---- dpkg -i for real, then purge ----
if dpkg-query -W -f='${Status}' blockwatch 2>/dev/null | grep -q installed; then
	echo "blockwatch is installed on this system already: dpkg -i/--purge part skipped"
else
	dpkg_retry() { # dpkg may be locked by a concurrent apt-get
		local i
		for ((i = 0; i < 60; i++)); do
			dpkg "$@" >"$BW_TMP/dpkg.log" 2>&1 && return 0
			grep -q 'lock' "$BW_TMP/dpkg.log" || break
			sleep 1
		done
		cat "$BW_TMP/dpkg.log" >&2
		return 1
	}
	trap 'dpkg --purge blockwatch >/dev/null 2>&1 || true; bw_cleanup' EXIT
	dpkg_retry -i "$deb" || fail "dpkg -i failed"
	dpkg-query -W -f='${Status}' blockwatch | grep -qx 'install ok installed' ||
		fail "after dpkg -i: $(dpkg-query -W -f='${Status}' blockwatch)"
	[ "$(/usr/sbin/blockwatch --version)" = "blockwatch $version" ] || fail "installed blockwatch --version"
	man -w blockwatch | grep -qx /usr/share/man/man8/blockwatch.8.gz || fail "man -w blockwatch: $(man -w blockwatch 2>&1)"
	dpkg_retry --purge blockwatch || fail "dpkg --purge failed"
	for f in /usr/sbin/blockwatch /etc/default/blockwatch /lib/systemd/system/blockwatch.service; do
		[ ! -e "$f" ] || fail "$f left after dpkg --purge"
	done
	echo "dpkg -i, use, --purge: clean"
fi

if command -v lintian >/dev/null; then
	lintian --fail-on error,warning "$deb" >"$BW_TMP/lintian.txt" 2>&1 ||
		fail "lintian: $(grep -E '^[EW]:' "$BW_TMP/lintian.txt" || tail -5 "$BW_TMP/lintian.txt")"
	echo "lintian: no error or warning ($(grep -c '^[IP]:' "$BW_TMP/lintian.txt") info tags)"
else
	echo "lintian not installed: not run"
fi
echo ok
