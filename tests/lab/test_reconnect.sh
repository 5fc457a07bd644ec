#!/bin/bash
# test_reconnect.sh: tunnels lost, and what phones do about it.
# 1. The headend logs phones out (occtl disconnect user: a CSTP DISCONNECT): phones
#    with phones.reconnect=on_drop (the default) stay down, as the community thread's
#    phone did. ocserv restarts (scripts/lab fault restart): phones with
#    reconnect=always come back (after phones.reconnect_backoff=2s), logging in again:
#    the restart deleted their cookies. (ocserv 1.1.6 ending on SIGTERM mostly just
#    closes its workers' connections, without a DISCONNECT, so on_drop phones would
#    come back after a restart too: that is why the logout uses occtl.)
# 2. A silent headend: TCP and UDP 443 dropped both ways for 45 s (fault block-all).
#    After 2 x DPD (40 s) with nothing received the phones declare it dead
#    (DpdTimeout), and once the path is back they reconnect presenting their session
#    cookie, with no new login (on_drop: a drop, not a DISCONNECT).
# Takes ~85 s.
NAME=test_reconnect
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=5
A=025000180000 PA=CP-8861-SEP02500018   # on_drop
B=025000190000 PB=CP-8861-SEP02500019   # always
C=0250001A0000 PC=CP-8861-SEP0250001A   # silent drop
OTHER_PID=""
on_exit 'if [ -n "$OTHER_PID" ]; then kill "$OTHER_PID"; fi; "$LAB" fault clear'
users_of() { lab_users_like "$1" | jq -c '[.[] | {u: .Username, s: .State}]'; }

# ---- 1. restart
mkdir -p "$T/on_drop"
"$PSW" run "$T/lab.ini" -o "$T/on_drop" --force -q -s phones.count=$N -s phones.mac_base=$A \
	-s phones.reconnect=on_drop -s phones.reconnect_backoff=2s -s run.duration=14s \
	>"$T/on_drop/stdout" 2>"$T/on_drop/stderr" &
OTHER_PID=$!
psw_start -s phones.count=$N -s phones.mac_base=$B -s phones.reconnect=always \
	-s phones.reconnect_backoff=2s -s run.duration=14s --trace 0
lab_wait_like "$PA" $N 10 || fail "$NAME" "headend: want $N $PA* connected, got $(users_of "$PA")"
lab_wait_like "$PB" $N 10 || fail "$NAME" "headend: want $N $PB* connected, got $(users_of "$PB")"
for i in $(seq 0 $((N - 1))); do
	"$LAB" occtl disconnect user "CP-8861-SEP$(mac_hex $A "$i")" >/dev/null 2>&1 ||
		fail "$NAME (logout, on_drop)" "occtl disconnect user CP-8861-SEP$(mac_hex $A "$i") failed"
done
lab_fault restart
lab_wait_like "$PB" $N 15 || fail "$NAME (restart, always)" "headend: want $N $PB* connected again, got $(users_of "$PB")"
# the on_drop phones stay down after the headend's logout: none of theirs on the
# headend, looked at every 0.2 s, until their run has ended
while kill -0 "$OTHER_PID" 2>/dev/null; do
	expect_eq "$NAME (logout, on_drop): headend sessions" "[]" "$(users_of "$PA")"
	sleep 0.2
done
psw_wait 30
expect_rc "$NAME (restart, always)" 0
r=$(report '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.reconnects, .phones.failed, .phones.disconnected, .latency_us.reconnect.count] | @csv')
expect_eq "$NAME (restart, always): report [tunnels_up,tunnels_dropped,reconnects,failed,disconnected,latency reconnect.count] ($(report '.failures | tojson'))" \
	"$N,$N,$N,0,$N,$N" "$r"
expect_eq "$NAME (restart, always): report failures" "{\"ClosedByHeadend\":$N}" "$(report '.failures | tojson')"
rc=0
wait "$OTHER_PID" || rc=$?
OTHER_PID=""
expect_eq "$NAME (logout, on_drop): exit status" 0 "$rc"
r=$(jq -r '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.reconnects, .phones.failed, .phones.disconnected] | @csv' "$T/on_drop/report.json")
expect_eq "$NAME (logout, on_drop): report [tunnels_up,tunnels_dropped,reconnects,failed,disconnected]" "$N,$N,0,$N,0" "$r"
expect_eq "$NAME (logout, on_drop): report failures" "{\"ClosedByHeadend\":$N}" "$(jq -c .failures "$T/on_drop/report.json")"
t_restart=$(report '.latency_us.reconnect.p50')

# ---- 2. silent drop
mkdir -p "$T/restart" && mv "$T/report.json" "$T/stdout" "$T/stderr" "$T/trace" "$T/timeseries.csv" \
	"$T/failures.csv" "$T/restart/"
psw_start -s phones.count=$N -s phones.mac_base=$C -s phones.reconnect_backoff=2s \
	-s run.duration=62s --trace 0
lab_wait_like "$PC" $N 10 || fail "$NAME (silent)" "headend: want $N $PC* connected, got $(users_of "$PC")"
lab_fault block-all
# blocked until every phone has found its tunnel dead (DPD 20 s: dead 40 s after the
# headend was last heard)
psw_wait_csv 50 fail_DpdTimeout == $N || fail "$NAME (silent)" "want $N x DpdTimeout while blocked, timeseries.csv has $(psw_csv_sum fail_DpdTimeout)"
lab_fault unblock-all
lab_wait_like "$PC" $N 20 || fail "$NAME (silent)" "headend: want $N $PC* connected after the block, got $(users_of "$PC")"
psw_wait 30
expect_rc "$NAME (silent)" 0
r=$(report '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.reconnects, .phones.failed, .phones.disconnected, .latency_us.reconnect.count] | @csv')
expect_eq "$NAME (silent): report [tunnels_up,tunnels_dropped,reconnects,failed,disconnected,latency reconnect.count] ($(report '.failures | tojson'))" \
	"$N,$N,$N,0,$N,$N" "$r"
expect_eq "$NAME (silent): report failures.DpdTimeout" $N "$(report '.failures.DpdTimeout')"
log=$(find "$T/trace" -name "*.log" 2>/dev/null | head -n 1)
grep -q 'CONNECT with the session cookie' "$log" ||
	fail "$NAME (silent)" "trace $log: no 'CONNECT with the session cookie'"
posts=$(grep -c 'do_auth: POST' "$log" || :)
expect_eq "$NAME (silent): logins (do_auth: POST) in $log" 1 "$posts"
pass "$NAME (logout: $N on_drop phones stayed down; restart: $N always phones back, reconnect p50 $t_restart us; silent drop: $N x DpdTimeout then back with the cookie, reconnect p50 $(report '.latency_us.reconnect.p50') us)"
