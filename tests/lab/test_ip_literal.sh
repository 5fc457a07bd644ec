#!/bin/bash
# test_ip_literal.sh: headend.url with an IPv4 literal works without DNS: the phones'
# DNS servers are set to an address where nothing answers, and every tunnel comes up.
NAME=test_ip_literal
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=10
PREFIX=CP-8861-SEP025000060
psw_start -s phones.count=$N -s phones.mac_base=025000060000 -s run.duration=4s \
	-s headend.url="https://$LAB_HEADEND/" -s headend.dns=198.18.0.99
lab_wait_like "$PREFIX" $N 10 ||
	fail "$NAME" "headend: want $N connected $PREFIX* sessions, got $(lab_users_like "$PREFIX" | jq -c '[.[] | {u: .Username, s: .State}]')"
psw_wait 20
expect_rc "$NAME" 0
expect_eq "$NAME: report [tunnels_up,failed]" "$N,0" "$(report '[.phones.tunnels_up, .phones.failed] | @csv')"
expect_eq "$NAME: report failures" "{}" "$(report '.failures | tojson')"
expect_eq "$NAME: report headend" "https://$LAB_HEADEND/" "$(report .headend)"
pass "$NAME ($N tunnels to https://$LAB_HEADEND/)"
