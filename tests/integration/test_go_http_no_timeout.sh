#!/usr/bin/env bash
# Seed 001 (2.3), an HTTP client without timeout against a server that never answers: the
# callers wait in "select" at main.fetch's http.Get, and every request's transport read loop
# waits on the network ("IO wait" in net/http.(*persistConn).readLoop); plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets http_no_timeout
for v in plain stripped; do
	go_check_leak http_no_timeout $v "-rate 150 -max 300" 'main.fetch|select'
	bw_go_json site "$GT_JSON" --func 'net/http.(*persistConn).readLoop' \
		--file /net/http/transport.go --reason "IO wait" --count 300 --tol 2 ||
		fail "http_no_timeout ($v): transport read loops waiting on the network"
done
