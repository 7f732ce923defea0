#!/usr/bin/env bash
# Control: a fixed worker pool idling on a channel must not be flagged (30 s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets pool
go_check_control pool 30 main.worker ""
