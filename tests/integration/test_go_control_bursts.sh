#!/usr/bin/env bash
# Control: a sawtooth of 50 waiters released every 3 s must not be flagged (30 s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets bursts
go_check_control bursts 30 main.waiter ""
