#!/usr/bin/env bash
# Seed 001 (2.1.1), nil channel: senders in "chan send (nil chan)" at main.send and receivers in
# "chan receive (nil chan)" at main.receive, counted; plain and stripped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
go_prereqs
go_build_targets nil_chan
for v in plain stripped; do
	go_check_leak nil_chan $v "-rate 200 -max 400" \
		'main.send|chan send (nil chan)' 'main.receive|chan receive (nil chan)'
done
