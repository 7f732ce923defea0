#!/usr/bin/env bash
# Seed 003: a Writer's orphaned queue loop ("chan receive", created by main.NewWriter) and the
# early-returning multiQuery's receiver ("chan receive") and sender ("chan send"); plain and
# stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets orphan_loop
line=$(leak_site_line orphan_loop 'main.(*Writer).process')
for v in plain stripped; do
	go_check_leak orphan_loop $v "-rate 100 -max 450" \
		'main.(*Writer).process|chan receive' 'main.multiQuery.func1|chan receive' \
		'main.multiQuery.func2|chan send'
	bw_go_json site "$GT_JSON" --func 'main.(*Writer).process' --file /orphan_loop/main.go \
		--line "$line" --reason "chan receive" --count 150 --tol 2 --created-by main.NewWriter ||
		fail "orphan_loop ($v): creation site"
done
