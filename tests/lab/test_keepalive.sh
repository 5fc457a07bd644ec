#!/bin/bash
# test_keepalive.sh: tunnels held for ~50 s, past the lab headend's keepalive (15 s)
# and DPD (20 s) periods: the phones send keepalives and DPDs that the headend
# answers (dpd_rtt measured), and the headend still has every phone connected near
# the end: nobody was dropped for silence.
NAME=test_keepalive
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=10
PREFIX=CP-8861-SEP025000080
psw_start -s phones.count=$N -s phones.mac_base=025000080000 -s run.duration=48s -s dtls.mode=psk
t0=$(date +%s)
lab_wait_like "$PREFIX" $N 10 ||
	fail "$NAME" "headend: want $N connected $PREFIX* sessions at the start, got $(lab_users_like "$PREFIX" | jq -c '[.[] | {u: .Username, s: .State}]')"
# near the end of the run (45 s in), everyone must still be there
left=$((45 - ($(date +%s) - t0)))
[ "$left" -gt 0 ] && sleep "$left"
kill -0 "$PSW_PID" 2>/dev/null || fail "$NAME" "phoneswarm ended early; stderr: $(tail -n 5 "$T/stderr")"
users=$(lab_users_like "$PREFIX")
c=$(printf '%s' "$users" | jq '[.[] | select(.State == "connected")] | length')
expect_eq "$NAME: connected $PREFIX* sessions 45 s in ($(printf '%s' "$users" | jq -c '[.[] | {u: .Username, s: .State, at: ."_Connected at"}]'))" $N "$c"
psw_wait 20
expect_rc "$NAME" 0
expect_eq "$NAME: report [tunnels_up,dtls_up,failed,disconnected]" "$N,$N,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.dtls_up, .phones.failed, .phones.disconnected] | @csv')"
expect_eq "$NAME: report failures" "{}" "$(report '.failures | tojson')"
tr=$(report '.traffic | tojson')
expect_eq "$NAME: keepalives_sent > 0 ($tr)" true "$(report '.traffic.keepalives_sent > 0')"
expect_eq "$NAME: dpd_sent > 0 ($tr)" true "$(report '.traffic.dpd_sent > 0')"
expect_eq "$NAME: dpd_answered > 0 ($tr)" true "$(report '.traffic.dpd_answered > 0')"
expect_eq "$NAME: latency_us.dpd_rtt.count > 0 ($(report '.latency_us.dpd_rtt | tojson'))" true \
	"$(report '.latency_us.dpd_rtt.count > 0')"
pass "$NAME ($N phones held 48 s: $(report '.traffic.keepalives_sent') keepalives, $(report '.traffic.dpd_answered')/$(report '.traffic.dpd_sent') DPDs answered, dpd_rtt p50 $(report '.latency_us.dpd_rtt.p50') us)"
