#!/bin/bash
# test_scen_headend_restart.sh: scenarios/headend-restart.ini, short: 20 phones, a 1 s
# reconnect backoff, ocserv restarted 3 s after the last arrival. The headend is seen
# to restart (a new server PID) and to have all 20 sessions back; the scenario's
# expectations hold (every tunnel dropped once and back, none failed); the report's
# reconnect latency says how long until every phone was back. Against ocserv 1.3
# (ciphers=no-ec), the phones logging in with their own protocol, as phones on the
# headend before and after the restart.
# Takes ~30 s.
NAME=test_scen_headend_restart
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
lab_set ciphers=no-ec
psw_scenario headend-restart.ini
N=20
MAC=025000420000
SEP=02500042
server_pid() { "$LAB" status 2>/dev/null | jq -r '."Server PID" // empty'; }
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=20 -s run.duration=20s \
	-s phones.reconnect_backoff=1s -s event.restart.at="ramp_end + 3s"
end=$(($(date +%s) + 5))
until [ "$(lab_connected_sep $SEP)" = $N ]; do
	[ "$(date +%s)" -lt "$end" ] || fail "$NAME" "headend: want $N of ours connected before the restart, got $(lab_users_sep $SEP)"
	sleep 0.3
done
expect_eq "$NAME: sessions of ours that are not phones' before the restart" "[]" "$(lab_phones_bad $SEP)"
pid0=$(server_pid)
psw_wait_event restart 10 || fail "$NAME" "the restart never fired: $(tail -n 3 "$T/stderr")"
# The event only starts scripts/lab fault restart: until the old server has stopped,
# occtl still shows the old sessions. Wait for the new server first, then for ours on it.
[ -n "$pid0" ] || fail "$NAME" "headend: no ocserv server PID before the restart"
new_server() { [ "$(server_pid)" != "$pid0" ] && [ -n "$(server_pid)" ]; }
wait_until 15 "a new ocserv server" new_server ||
	fail "$NAME" "headend: want a new ocserv server PID after the restart, still $(server_pid || :) (was $pid0)"
pid1=$(server_pid)
wait_value 20 $N lab_connected_sep $SEP ||
	fail "$NAME" "headend: want $N of ours back after the restart, got $GOT: $(lab_users_sep $SEP)"
expect_eq "$NAME: sessions of ours that are not phones' after the restart" "[]" "$(lab_phones_bad $SEP)"
psw_wait 30
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: report phones [tunnels_up,tunnels_dropped,reconnects,failed,disconnected]" \
	"$N,$N,$N,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.reconnects, .phones.failed, .phones.disconnected] | @csv')"
expect_eq "$NAME: latency reconnect.count" $N "$(report '.latency_us.reconnect.count')"
max_s=$(report '.latency_us.reconnect.max / 1e6 * 10 | round / 10')
p50_s=$(report '.latency_us.reconnect.p50 / 1e6 * 10 | round / 10')
# backoff 1 s, then 2 s, 3 s...: the last phone is back within a few backoffs of the restart
awk -v m="$max_s" 'BEGIN { exit !(m >= 1 && m < 15) }' ||
	fail "$NAME" "reconnect max $max_s s, want 1..15 s (backoff 1 s): $(report '.latency_us.reconnect | tojson')"
# from the time series: the end of the first interval after the restart with all N up again
back_s=$(awk -F, -v r="$(report '.events[] | select(.name == "restart") | .at_s')" -v n=$N \
	'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "up") c = i; next }
	 c && $1 > r + 0.01 { if ($c < n) down = 1; else if (down) { printf "%.1f", $1 - r; exit } }' "$T/timeseries.csv")
[ -n "$back_s" ] || fail "$NAME" "timeseries.csv: no interval after the restart with fewer than $N up, then $N"
restart_s=$(awk '/exit/ { for (i = 1; i <= NF; i++) if ($i == "after") print $(i + 1) }' "$T/stdout" | head -n 1)
pass "$NAME (all $N phones back ${max_s} s after their tunnel dropped (p50 ${p50_s} s), every one up again by the interval ending $back_s s after the restart; headend PID $pid0 -> $pid1; $(report '.phones.reconnect_failures') failed tries; the restart took ${restart_s:-?} s; failures $(report '.failures | tojson'))"
