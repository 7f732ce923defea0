#!/usr/bin/env bash
# Seeds 001 (2.1.3) and 003, a receiver on a channel nobody writes: main.receive in
# "chan receive", counted; plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets no_sender
for v in plain stripped; do
	go_check_leak no_sender $v "-rate 200 -max 400" 'main.receive|chan receive'
done
