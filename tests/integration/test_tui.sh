#!/usr/bin/env bash
# The live view, driven as a person would: under tmux, read the screen,
# press keys (sort, expand a stack, quit), read it again.
. "$(dirname "$0")/lib.sh"
need_root
command -v tmux >/dev/null || skip "tmux not installed"
target=$(build_c_target blocker)
spawn "$target" demo >"$BW_TMP/target.out"
pid=$!
wait_for_line "$BW_TMP/target.out" '^ready'
session=bwtui$$
screen() { tmux capture-pane -p -t "$session"; }
wait_screen() { # wait_screen REGEX
	local i
	for ((i = 0; i < 60; i++)); do
		screen | grep -qE "$1" && return 0
		sleep 0.25
	done
	screen >&2
	fail "the screen never showed /$1/"
}
trap 'tmux kill-session -t "$session" 2>/dev/null || true; bw_cleanup' EXIT
tmux new-session -d -s "$session" -x 160 -y 40 \
	"env LANG=C.UTF-8 TERM=xterm-256color '$BLOCKWATCH' -p $pid -i 1; echo BLOCKWATCH-EXITED \$?; sleep 30"
wait_screen 'VERDICT +BLOCKED'
wait_screen 'wait_for_mutex'
screen | grep -E 'futex_wait +wait_for_mutex|wait_for_mutex' >/dev/null || fail "no mutex site row"
screen | grep -q "pid $pid" || fail "no process summary"
screen | grep -q 'sort: verdict' || fail "default sort is not verdict"
tmux send-keys -t "$session" s
wait_screen 'sort: blocked'
tmux send-keys -t "$session" Enter
wait_screen 'user stack:'
wait_screen '#[0-9]+ +wait_for_mutex'
tmux send-keys -t "$session" Escape
wait_screen 'VERDICT +BLOCKED'
tmux send-keys -t "$session" q
wait_screen 'BLOCKWATCH-EXITED 0'
kill -0 "$pid" || fail "the target died"
echo ok
