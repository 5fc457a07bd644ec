#!/bin/bash
# test_fault_dns_flap.sh: scripts/lab fault dns-flap under scenarios/faults-dns-flap.ini,
# short: 20 phones up, DNS flapping every 3 s (silent 3 s, answering 3 s, ...) from
# 2 s after the last arrival, the headend restarted 1 s into the first silent half,
# the phones' backoff 1 s. The flapping is seen in the lab (fault list, and DNS
# queries dropped in the silent halves, from the loop's log); the phones, which must
# look the headend up again to come back, all do: the headend holds all 20 of ours
# connected, each user once; the recovery of the restart says all 20 back, none
# failed for good; fault dns-flap-stop ends the loop and leaves no rule behind.
# The steady event (the stop) fires ~29 s in and the run ends at 36 s: the stop
# took 1.25-1.65 s here (it waits for the loop to drop its rules), and with the
# run ending at 30 s a slower machine's CI killed it as "still running at the
# end", failing the run. Takes ~41 s.
NAME=test_fault_dns_flap
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
psw_scenario faults-dns-flap.ini
N=20
MAC=025000F30000
SEP=025000F3
flap_log=/run/phoneswarm-lab/dns-flap.log
: >"$flap_log"
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=20 -s run.duration=36s \
	-s phones.reconnect_backoff=1s -s event.flap.at="ramp_end + 2s" \
	-s event.flap.command="fault dns-flap 3s" -s event.restart.at="flap + 1s" \
	-s event.steady.at="restart + 25s"
wait_value 10 $N lab_connected_sep $SEP ||
	fail "$NAME" "headend: want $N of ours connected before, got $GOT"
psw_wait_event restart 15 || fail "$NAME" "the restart never fired: $(tail -n 3 "$T/stderr")"
"$LAB" fault list 2>&1 | grep -q '^dns-flap every 3s' ||
	fail "$NAME" "fault list does not show the flapping: $("$LAB" fault list 2>&1)"
wait_value 25 $N lab_connected_sep $SEP ||
	fail "$NAME" "headend: want $N of ours back after the restart, got $GOT: $(lab_users_sep $SEP)"
expect_eq "$NAME: user names of ours the headend holds twice" "[]" \
	"$(lab_sessions_sep $SEP | jq -c '[.[].Username] | group_by(.) | map(select(length > 1)[0])')"
psw_wait 40
expect_rc "$NAME" 0
expect_held "$NAME"
# the loop was stopped by the steady event: no loop, no rule
"$LAB" fault list 2>&1 | grep -q 'dns-flap' && fail "$NAME" "dns-flap still listed after dns-flap-stop: $("$LAB" fault list 2>&1)"
dropped=$(awk '/silent/ { n += $NF } END { print n + 0 }' "$flap_log")
[ "$dropped" -ge 1 ] || fail "$NAME" "no DNS query dropped in any silent half: $(cat "$flap_log")"
expect_eq "$NAME: report phones [tunnels_up,tunnels_dropped,reconnects,failed,peak_concurrent]" \
	"$N,$N,$N,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.reconnects, .phones.failed, .phones.peak_concurrent] | @csv')"
rec='.events[] | select(.name == "restart") | .recovery'
expect_eq "$NAME: recovery [before,dropped,short_at_end]" "$N,$N,0" \
	"$(report "$rec | [.before, .dropped, .short_at_end] | @csv")"
back=$(report "$rec | .back_s")
[ "$back" != null ] || fail "$NAME" "the restart's recovery: not back: $(report "$rec | del(.per_second) | tojson")"
pass "$NAME (all $N back ${back} s after the restart under DNS flapping every 3 s; $dropped DNS queries dropped in the silent halves; $(report "$rec | .attempts") attempts, $(report "$rec | .failures") failed; failures $(report '.failures | tojson'))"
