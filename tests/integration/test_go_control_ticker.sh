#!/usr/bin/env bash
# Control: periodic tickers, sleepers and pollers must not be flagged (30 s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets ticker
go_check_control ticker 30 main.tick ""
