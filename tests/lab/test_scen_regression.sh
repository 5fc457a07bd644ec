#!/bin/bash
# test_scen_regression.sh: scenarios/regression.ini, short: 20 phones at 20/s, held
# 14 s, calls of 3 s, the reset of 20% 4 s after the last arrival (spread over 2 s).
# The headend shows all 20 connected, every model of the mix among them, the 79xx on
# TLS 1.0 and the others on TLS 1.2, all with legacy DTLS (DTLS0.9); after the reset
# all 20 again. The scenario's expectations hold, and the report has the workload's
# figures (4 resets, calls carried, under 0.1% of RTP lost: a call cut by the reset may
# lose what was in flight). Against ocserv 1.3 (ciphers=no-ec: the 78xx/88xx then run
# TLS 1.2 AES256-SHA and share it with DTLS), the phones logging in with their own
# protocol, as phones on the headend (the 79xx as CP-79..G-SEP...).
# Takes ~20 s.
NAME=test_scen_regression
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
lab_set ciphers=no-ec
psw_scenario regression.ini
N=20
MAC=025000440000
SEP=02500044
# connected sessions of ours: [models present, TLS 1.0 ones that are not 79xx or the
# reverse, with DTLS 0.9, all]
view() {
	lab_sessions_sep $SEP | jq -r '[.[] | select(.State == "connected")] |
		[(map(.Username | split("-")[1] | rtrimstr("G")) | unique | join(" ")),
		 (map(select((.Username | startswith("CP-79")) != ((.["TLS ciphersuite"] // "") | startswith("(TLS1.0)")))) | length),
		 (map(select((.["DTLS cipher"] // "") | startswith("(DTLS0.9)"))) | length),
		 length] | join(",")'
}
# session IDs of ours on the headend, sorted
ids() { lab_sessions_sep $SEP | jq -c '[.[].ID] | sort'; }
# the reset's fifth of the fleet back, each in a new session, and the view as before
reset_back() {
	[ "$(view)" = "$want" ] || return 1
	[ "$(jq -n --argjson a "$ids0" --argjson b "$(ids)" '$b - $a | length')" = $((N / 5)) ]
}
want="7841 7962 7965 8845 8861,0,$N,$N"
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=20 -s run.duration=14s \
	-s traffic.call_duration=3s -s event.reset.at="ramp_end + 4s" -s event.reset.spread=2s
wait_value 5 "$want" view ||
	fail "$NAME" "headend before the reset [models,TLS version not the model's,DTLS 0.9,connected]: want $want, got $GOT ($(lab_users_sep $SEP))"
ids0=$(ids)
! psw_wait_event reset 0 2>/dev/null || fail "$NAME" "the reset came before the headend was seen with all $N"
psw_wait_event reset 10 || fail "$NAME" "the reset never fired: $(tail -n 3 "$T/stderr")"
wait_until 6 "the reset phones back in new sessions" reset_back ||
	fail "$NAME" "headend after the reset: want $want with $((N / 5)) new sessions, got $(view), ids $ids0 -> $(ids)"
bad=$(lab_phones_bad $SEP)
psw_wait 20
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "$bad"
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: report phones [attempted,tunnels_up,resets,failed,tunnels_dropped,disconnected]" \
	"$N,$((N + N / 5)),$((N / 5)),0,0,$N" \
	"$(report '[.phones.attempted, .phones.tunnels_up, .phones.resets, .phones.failed, .phones.tunnels_dropped, .phones.disconnected] | @csv')"
expect_eq "$NAME: report failures" "{}" "$(report '.failures | tojson')"
expect_eq "$NAME: calls carried ($(report '.rtp | tojson'))" true \
	"$(report '.rtp.calls_completed > 0 and .rtp.sent > 1000 and .rtp.lost * 1000 < .rtp.sent')"
pass "$NAME ($N phones of 5 models, $(report '.rtp.calls_completed') calls completed, $(report '.rtp.calls_cut') cut, MOS $(report '.rtp.mos_mean'), time to tunnel p99 $(report '.latency_us.time_to_tunnel.p99 / 1000') ms, $(report '.phones.resets') reset and back)"
