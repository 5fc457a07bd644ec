#!/bin/bash
# test_fault_kill.sh: scripts/lab fault kill-restart under scenarios/faults-kill.ini,
# short: 20 phones up, the headend killed (SIGKILL to every ocserv process) 3 s after
# the last arrival and started 2 s later, the phones' backoff 1 s. The headend is seen
# to go (no ocserv process left in the namespace) and to come back with a new server
# PID holding all 20 of ours, each user once; phoneswarm's recovery for the kill says
# all 20 were up before, all 20 dropped, and all back no sooner than the 2 s the
# headend was down, with an attempt at least per phone; never more than 20 up, no
# phone lost. Then fault kill alone: status says down, fault list says so, fault clear
# brings ocserv back.
# Takes ~30 s.
NAME=test_fault_kill
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
psw_scenario faults-kill.ini
N=20
MAC=025000F10000
SEP=025000F1
server_pid() { "$LAB" status 2>/dev/null | jq -r '."Server PID" // empty'; }
ocserv_gone() { ! ip netns pids psw-lab | xargs -r -I{} cat /proc/{}/comm 2>/dev/null | grep -q '^ocserv'; }
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=20 -s run.duration=25s \
	-s phones.reconnect_backoff=1s -s event.kill.at="ramp_end + 3s" \
	-s event.kill.command="fault kill-restart 2s"
wait_value 10 $N lab_connected_sep $SEP ||
	fail "$NAME" "headend: want $N of ours connected before the kill, got $GOT"
pid0=$(server_pid)
[ -n "$pid0" ] || fail "$NAME" "headend: no ocserv server PID before the kill"
psw_wait_event kill 15 || fail "$NAME" "the kill never fired: $(tail -n 3 "$T/stderr")"
wait_until 5 "no ocserv process in the namespace" ocserv_gone ||
	fail "$NAME" "ocserv processes still there after the kill"
new_server() { [ -n "$(server_pid)" ] && [ "$(server_pid)" != "$pid0" ]; }
wait_until 15 "a new ocserv server" new_server ||
	fail "$NAME" "headend: no new ocserv server after the kill (was $pid0)"
wait_value 20 $N lab_connected_sep $SEP ||
	fail "$NAME" "headend: want $N of ours back after the kill, got $GOT: $(lab_users_sep $SEP)"
expect_eq "$NAME: user names of ours the headend holds twice" "[]" \
	"$(lab_sessions_sep $SEP | jq -c '[.[].Username] | group_by(.) | map(select(length > 1)[0])')"
psw_wait 40
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: report phones [tunnels_up,tunnels_dropped,reconnects,failed,peak_concurrent]" \
	"$N,$N,$N,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.reconnects, .phones.failed, .phones.peak_concurrent] | @csv')"
rec='.events[] | select(.name == "kill") | .recovery'
expect_eq "$NAME: recovery [before,dropped,lowest,short_at_end]" "$N,$N,0,0" \
	"$(report "$rec | [.before, .dropped, .lowest, .short_at_end] | @csv")"
back=$(report "$rec | .back_s")
attempts=$(report "$rec | .attempts")
# down 2 s, and the event's own command took that long: back no sooner; the last phone
# within a few backoffs (1 s, 2 s, 3 s ...) of the restart
awk -v b="$back" 'BEGIN { exit !(b != "null" && b >= 2 && b < 20) }' ||
	fail "$NAME" "recovery back_s $back, want 2..20 s: $(report "$rec | tojson")"
[ "$attempts" -ge $N ] || fail "$NAME" "recovery attempts $attempts, want at least $N"
expect_eq "$NAME: storm per second sums to the attempts" "$attempts" \
	"$(report "$rec | [.per_second[][0]] | add")"
# report.html: the storm chart, and the kill's recovery in the events table
grep -q 'chart-storm' "$T/report.html" || fail "$NAME" "report.html has no reconnect storm chart"
grep -q "all $N back after" "$T/report.html" || fail "$NAME" "report.html does not say all $N were back"
# the fault alone: down until cleared
lab_fault kill
"$LAB" status >/dev/null 2>&1 && fail "$NAME" "scripts/lab status says up after fault kill"
"$LAB" fault list 2>&1 | grep -q '^kill' || fail "$NAME" "fault list does not show the kill: $("$LAB" fault list 2>&1)"
lab_fault clear
wait_until 10 "ocserv back after fault clear" new_server ||
	fail "$NAME" "fault clear did not bring ocserv back"
pass "$NAME (the headend killed with $N up, PID $pid0 -> another; all $N back ${back} s after the kill, $attempts attempts, peak $(report "$rec | .peak_attempts_per_s")/s; per phone drop to back p50 $(report '.latency_us.reconnect.p50 / 1e5 | round / 10') s, max $(report '.latency_us.reconnect.max / 1e5 | round / 10') s; failures $(report '.failures | tojson'))"
