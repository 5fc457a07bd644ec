#!/bin/bash
# test_duration_zero.sh: run.duration=0 is allowed ("how long the phones stay up after
# the last one has arrived"): every configured phone must still arrive and be
# attempted, even the last one, whose arrival falls on the end of the run.
NAME=test_duration_zero
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=10
psw_run -s phones.count=$N -s ramp.rate=50 -s run.duration=0 -s phones.mac_base=0250000C0000
expect_rc "$NAME" 0
got=$(report '.phones | [.configured, .attempted, .tunnels_up + .failed + .aborted_at_end] | @csv')
expect_eq "$NAME: phones [configured,attempted,tunnels_up+failed+aborted_at_end] ($(report '.phones | tojson'))" \
	"$N,$N,$N" "$got"
pass "$NAME"
