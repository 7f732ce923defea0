#!/usr/bin/env bash
# Control: a pool that grows for 20 s then stays flat. A verdict raised during the warm-up is
# allowed (exit status 10) but must be withdrawn by the end: 20 s of growth, then 25 s flat.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets warmup
go_check_control warmup 45 main.worker "-grow 20s -workers 50" "0 10"
