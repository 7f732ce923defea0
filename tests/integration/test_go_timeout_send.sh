#!/usr/bin/env bash
# Seed 000, timeout + unbuffered send: blockwatch names main.handle.func1 at its LEAK-SITE line,
# "chan send", created by main.handle, with the target's own count; plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets timeout_send
line=$(leak_site_line timeout_send main.handle.func1)
for v in plain stripped; do
	go_check_leak timeout_send $v "-rate 200 -max 400" 'main.handle.func1|chan send'
	bw_go_json site "$GT_JSON" --func main.handle.func1 --file /timeout_send/main.go --line "$line" \
		--reason "chan send" --count 400 --tol 2 --created-by main.handle ||
		fail "timeout_send ($v): creation site"
done
