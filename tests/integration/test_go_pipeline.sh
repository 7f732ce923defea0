#!/usr/bin/env bash
# Seed 002, a cron pipeline over channels never closed: stages 2 and 3 ranging forever, two
# sites in "chan receive", each counted; plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets pipeline
for v in plain stripped; do
	go_check_leak pipeline $v "-rate 100 -max 400" \
		'main.(*Cron).step2.func1|chan receive' 'main.(*Cron).step3.func1|chan receive'
done
