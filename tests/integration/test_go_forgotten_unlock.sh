#!/usr/bin/env bash
# Seed 001 (2.2.1), a mutex never unlocked: later lockers block at main.bump, through the inlined
# sync.(*Mutex).Lock (the frame must be expanded to reach main.go's line); plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets forgotten_unlock
reason=$(go_sema_reason)
for v in plain stripped; do
	go_check_leak forgotten_unlock $v "-rate 200 -max 400" "main.bump|$reason"
done
