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
traces=()
for i in $(seq 0 $((N - 1))); do traces+=(--trace "$i"); done
psw_start -s phones.count=$N -s phones.mac_base=025000080000 -s run.duration=48s -s dtls.mode=psk \
	"${traces[@]}"
lab_wait_like "$PREFIX" $N 10 ||
	fail "$NAME" "headend: want $N connected $PREFIX* sessions at the start, got $(lab_users_like "$PREFIX" | jq -c '[.[] | {u: .Username, s: .State}]')"
# from then until 46 s into the run (by phoneswarm's own clock), past two of the
# headend's DPD periods, everyone must be there all along: looked at every second
n=0
while awk -v t="$(psw_progress_s)" 'BEGIN { exit !(t < 46) }'; do
	kill -0 "$PSW_PID" 2>/dev/null || fail "$NAME" "phoneswarm ended early; stderr: $(tail -n 5 "$T/stderr")"
	users=$(lab_users_like "$PREFIX")
	c=$(printf '%s' "$users" | jq '[.[] | select(.State == "connected")] | length')
	expect_eq "$NAME: connected $PREFIX* sessions $(psw_progress_s) s in ($(printf '%s' "$users" | jq -c '[.[] | {u: .Username, s: .State}]'))" $N "$c"
	n=$((n + 1))
	sleep 1
done
[ "$n" -ge 30 ] || fail "$NAME" "only $n looks at the headend in 46 s"
psw_wait 20
expect_rc "$NAME" 0
expect_eq "$NAME: report [tunnels_up,dtls_up,failed,disconnected]" "$N,$N,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.dtls_up, .phones.failed, .phones.disconnected] | @csv')"
expect_eq "$NAME: report failures" "{}" "$(report '.failures | tojson')"
# Per phone, from its console log: the headend's X-CSTP-DPD is 20 s, and on the TLS
# channel (the data goes over DTLS) the headend sends nothing unasked, so every phone
# sends a CSTP DPD 20 s and 40 s after its tunnel came up, each answered: two answers
# each, the first 20 s after the tunnel (within the 100 ms of a timer tick and the
# round trip).
bad=""
for f in "$T"/trace/*.log; do
	up=$(sed -nE 's/^([0-9:.]+) VPNC: -do_connect: 200 CONNECTED.*/\1/p' "$f" | head -n 1)
	first=$(sed -nE 's/^([0-9:.]+) VPNC: CSTP DPD response.*/\1/p' "$f" | head -n 1)
	n=$(grep -c 'VPNC: CSTP DPD response' "$f" || :)
	gap=$(awk -v a="${up:-0:0:0}" -v b="${first:-0:0:0}" 'BEGIN { split(a, x, ":"); split(b, y, ":")
		d = (y[1] - x[1]) * 3600 + (y[2] - x[2]) * 60 + y[3] - x[3]; if (d < 0) d += 86400; printf "%.1f", d }')
	[ "$n" = 2 ] && awk -v g="$gap" 'BEGIN { exit !(g >= 20 && g <= 20.2) }' ||
		bad="$bad $(basename "$f" .log):$n@$gap"
done
expect_eq "$NAME: phones without exactly 2 CSTP DPDs answered, the first 20 s in (phone:answers@s)" "" "$bad"
expect_eq "$NAME: traces" $N "$(ls "$T"/trace/*.log | wc -l)"
# In all: at least those 2N, every one answered; on each channel a keepalive after
# 15 s without sending: at least 2 per channel and phone in 48 s (4N).
tr=$(report '.traffic | tojson')
expect_eq "$NAME: dpd_sent == dpd_answered >= 2N ($tr)" true \
	"$(report ".traffic | .dpd_sent == .dpd_answered and .dpd_answered >= 2 * $N")"
expect_eq "$NAME: latency_us.dpd_rtt.count = dpd_answered ($(report '.latency_us.dpd_rtt | tojson'))" \
	"$(report '.traffic.dpd_answered')" "$(report '.latency_us.dpd_rtt.count')"
expect_eq "$NAME: keepalives_sent >= 4N ($tr)" true "$(report ".traffic.keepalives_sent >= 4 * $N")"
pass "$NAME ($N phones held 48 s: $(report '.traffic.keepalives_sent') keepalives, $(report '.traffic.dpd_answered')/$(report '.traffic.dpd_sent') DPDs answered, dpd_rtt p50 $(report '.latency_us.dpd_rtt.p50') us)"
