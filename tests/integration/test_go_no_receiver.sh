#!/usr/bin/env bash
# Seed 001 (2.1.2), a sender with no consumer: the second send of main.send blocks in
# "chan send", counted; plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets no_receiver
for v in plain stripped; do
	go_check_leak no_receiver $v "-rate 200 -max 400" 'main.send|chan send'
done
