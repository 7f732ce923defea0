#!/usr/bin/env bash
# Bad input: one clear line on stderr, a distinct exit status, no probe left.
. "$(dirname "$0")/lib.sh"
need_root
expect() { # expect STATUS PATTERN ARGS...
	local want=$1 pattern=$2 rc=0
	shift 2
	"$BLOCKWATCH" "$@" >"$BW_TMP/out" 2>"$BW_TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "blockwatch $* exited $rc, expected $want; stderr: $(cat "$BW_TMP/err")"
	[ "$(wc -l <"$BW_TMP/err")" -eq 1 ] || fail "blockwatch $*: expected one line on stderr, got: $(cat "$BW_TMP/err")"
	grep -qE "$pattern" "$BW_TMP/err" || fail "blockwatch $*: stderr '$(cat "$BW_TMP/err")' lacks /$pattern/"
}
# our programs only (names as bpftool shows them, 15 characters at most)
ours() { bpftool prog show 2>/dev/null | grep -cE ' name (on_sched_[a-z_]+|dump_task|go_park|go_ready|go_exit) ' || true; }
before=$(ours)
expect 2 "unknown option" --bogus
expect 2 "needs a value" -p
expect 2 "invalid pid" -p abc
expect 2 "invalid value" -p 1 -i 0
expect 2 "not with -p" -p 1 --comm x
expect 3 "no such process: 999999" -p 999999
expect 3 "kernel thread" -p 2
"$BLOCKWATCH" --help | grep -q "usage: blockwatch" || fail "--help"
"$BLOCKWATCH" --version | grep -qE "^blockwatch [0-9]" || fail "--version"
# not root: the capability check names what is missing
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$BLOCKWATCH" -p 1 >/dev/null 2>"$BW_TMP/err" || rc=$?
	[ "$rc" -eq 4 ] || fail "as nobody: exit $rc: $(cat "$BW_TMP/err")"
	grep -qE "missing capabilities: CAP_BPF CAP_PERFMON CAP_SYS_PTRACE" "$BW_TMP/err" || fail "as nobody: $(cat "$BW_TMP/err")"
fi
after=$(ours)
# another blockwatch may run meanwhile (a developer's); ours must not add any
[ "$after" -le "$before" ] || fail "BPF programs left behind: $before before, $after after"
echo ok
