#!/usr/bin/env bash
# Seed 001 (2.2.2), WaitGroup.Add miscount: main.waitAll blocks in sync.(*WaitGroup).Wait
# forever, counted; plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets wg_miscount
reason=$(go_sema_reason)
for v in plain stripped; do
	go_check_leak wg_miscount $v "-rate 200 -max 400" "main.waitAll|$reason"
done
