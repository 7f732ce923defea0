#!/usr/bin/env bash
# Seed 004, an HTTP handler that starts 3 goroutines and receives 2 results, under load from a
# loop in the target: the three senders in "chan send", each counted against the handler's own
# tally of which result it left behind; plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets handler_three
for v in plain stripped; do
	go_check_leak handler_three $v "-rate 150 -max 450" \
		'main.query.func1|chan send' 'main.query.func2|chan send' 'main.query.func3|chan send'
done
