#!/bin/bash
# test_fault_source.sh: scripts/lab fault source-down/source-up under
# scenarios/faults-source.ini, short: 20 phones up, the source range taken away 2 s
# after the last arrival for 50 s (longer than the 40 s in which a phone's DPD gives
# up on a silent headend: two DPD intervals of the lab's 20 s), then given back. While
# it is away the lab shows the blackhole and no address of the range can be bound.
# Every phone finds out by its DPD (DpdTimeout, 20 or more), its tries to come back fail here
# (LocalResource) without ending it, and once the range is back all 20 return: the
# recovery says all 20 back after more than the 50 s, none failed for good, the
# headend holds all 20 of ours connected, each user once. The run's own verdict
# says the figures are this machine's (the LocalResource failures), and only that
# expectation fails.
# Takes ~75 s.
NAME=test_fault_source
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
psw_scenario faults-source.ini
N=20
MAC=025000F20000
SEP=025000F2
bind_ok() { python3 -c "import socket; socket.socket().bind(('198.18.64.9', 0))" 2>/dev/null; }
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=20 -s run.duration=75s \
	-s phones.reconnect_backoff=1s -s event.gone.at="ramp_end + 2s" -s event.back.at="gone + 50s"
wait_value 10 $N lab_connected_sep $SEP ||
	fail "$NAME" "headend: want $N of ours connected before, got $GOT"
psw_wait_event gone 15 || fail "$NAME" "the event gone never fired: $(tail -n 3 "$T/stderr")"
wait_until 5 "the blackhole in place" sh -c "ip route show | grep -q '^blackhole 198.18.64.0/18'" ||
	fail "$NAME" "no blackhole route for the source range after source-down"
! bind_ok || fail "$NAME" "an address of the source range still binds after source-down"
"$LAB" fault list 2>&1 | grep -q '^source-down' || fail "$NAME" "fault list does not show source-down"
psw_wait_event back 60 || fail "$NAME" "the event back never fired: $(tail -n 3 "$T/stderr")"
wait_until 5 "an address of the range binds again" bind_ok ||
	fail "$NAME" "the source range does not bind after source-up"
wait_value 20 $N lab_connected_sep $SEP ||
	fail "$NAME" "headend: want $N of ours connected after the range came back, got $GOT: $(lab_users_sep $SEP)"
expect_eq "$NAME: user names of ours the headend holds twice" "[]" \
	"$(lab_sessions_sep $SEP | jq -c '[.[].Username] | group_by(.) | map(select(length > 1)[0])')"
psw_wait 60
# the only failed expectation: the LocalResource failures make the figures ours
expect_failed "$NAME" "the headend was measured, not this machine"
expect_eq "$NAME: failed expectations" 1 "$(report '[.expectations[] | select(.ok | not)] | length')"
expect_eq "$NAME: report phones [tunnels_up,tunnels_dropped,reconnects,failed,peak_concurrent]" \
	"$N,$N,$N,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.reconnects, .phones.failed, .phones.peak_concurrent] | @csv')"
dpd=$(report '.failures.DpdTimeout // 0')
# each tunnel's DPD (and its DTLS's, where that gave up first) found the path dead
[ "$dpd" -ge $N ] || fail "$NAME" "DpdTimeout failures $dpd, want at least $N: $(report '.failures | tojson')"
local_n=$(report '.failures.LocalResource // 0')
[ "$local_n" -ge 1 ] || fail "$NAME" "no LocalResource failure while the range was away: $(report '.failures | tojson')"
rec='.events[] | select(.name == "gone") | .recovery'
expect_eq "$NAME: recovery [before,dropped,lowest,short_at_end]" "$N,$N,0,0" \
	"$(report "$rec | [.before, .dropped, .lowest, .short_at_end] | @csv")"
back=$(report "$rec | .back_s")
awk -v b="$back" 'BEGIN { exit !(b != "null" && b > 50 && b < 70) }' ||
	fail "$NAME" "recovery back_s $back, want 50..70 s: $(report "$rec | del(.per_second) | tojson")"
pass "$NAME (all $N back ${back} s after their source range went, 50 s away; $local_n tries failed here meanwhile (LocalResource), $(report "$rec | .attempts") attempts, peak $(report "$rec | .peak_attempts_per_s")/s; failures $(report '.failures | tojson'))"
