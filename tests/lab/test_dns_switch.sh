#!/bin/bash
# test_dns_switch.sh: action = dns gives the phones new DNS servers. The phones start
# with a server that does not exist (198.18.0.60: nothing answers); at 0.5 s the
# timeline switches them to the lab's dnsmasq. Phones arrive one a second: phone 0, due at once, is still asking
# the dead server when the run ends (aborted); phones 1-4, due after the switch, all
# resolve the headend and come up.
NAME=test_dns_switch
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
cat >>"$T/lab.ini" <<EOF2
[event.switch]
at = 500ms
action = dns
servers = $LAB_DNS
EOF2
psw_run -s headend.dns=198.18.0.60 -s phones.count=5 -s ramp.rate=1 -s run.duration=3s \
	-s phones.mac_base=0250000F0000
expect_rc "$NAME" 0
expect_eq "$NAME: [attempted, tunnels_up, aborted_at_end]" "5,4,1" \
	"$(report '.phones | [.attempted, .tunnels_up, .aborted_at_end] | @csv')"
expect_eq "$NAME: failures" "{}" "$(report '.failures | tojson')"
pass "$NAME"
