#!/bin/bash
# test_scen_dtls_blocked.sh: scenarios/dtls-blocked.ini, short: 6 phones (4 x 8861,
# 2 x 7962), UDP 443 blocked 3 s after the last arrival, half the phones reset 5 s
# later, unblocked after 60 s (ocserv's DTLS DPD needs ~50 s to find a session dead),
# with a 5 s connect timer and DTLS retried every 5 s. The headend shows all 6
# connected throughout, the 3 reset phones with no DTLS while UDP is blocked, and every
# one with DTLS before the end; the scenario's expectations hold (no tunnel dropped,
# DpdTimeout for the half that kept its tunnel, DtlsTimeout for the others, DTLS back
# on retry); the block rule dropped packets. Against ocserv 1.3 (ciphers=no-ec), the
# phones logging in with their own protocol, as phones on the headend.
# Takes ~80 s.
NAME=test_scen_dtls_blocked
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
lab_set ciphers=no-ec
psw_scenario dtls-blocked.ini
N=6
MAC=025000410000
SEP=02500041
# our sessions as the headend has them: "connected without DTLS/connected"
dtls_view() {
	lab_sessions_sep $SEP | jq -r '"\([.[] | select(.State == "connected" and .["DTLS cipher"] == null)] | length)/\([.[] | select(.State == "connected")] | length)"'
}
lab_fault unblock-udp   # a fresh rule: its counters are this run's
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s run.duration=78s -s dtls.retry=5s \
	-s run.connect_timeout=5s -s event.block.at="ramp_end + 3s" \
	-s event.reset-half.at="block + 5s" -s event.unblock.at="block + 60s" --trace 0 --trace 1

psw_wait_event block 15 || fail "$NAME" "block never fired: $(tail -n 3 "$T/stderr")"
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "$(lab_phones_bad $SEP)"
psw_wait_event reset-half 15 || fail "$NAME" "reset-half never fired: $(tail -n 3 "$T/stderr")"
# the reset half back within seconds (restart 0.5 s), over TLS only: UDP is blocked
wait_value 6 "$((N / 2))/$N" dtls_view ||
	fail "$NAME" "headend, while blocked after the reset: sessions without DTLS / connected: want $((N / 2))/$N, got $GOT ($(lab_users_sep $SEP))"
in_block=$GOT
dropped=$("$LAB" fault list | sed -n 's/^block-udp dropped=//p')
[ "${dropped:-0}" -gt 0 ] || fail "$NAME" "the block-udp rule dropped no packet: $("$LAB" fault list)"
psw_wait_event unblock 60 || fail "$NAME" "unblock never fired"
end=$(($(date +%s) + 14))
until [ "$(dtls_view)" = "0/$N" ]; do
	[ "$(date +%s)" -lt "$end" ] ||
		fail "$NAME" "headend: want all $N of ours with DTLS after the unblock, got $(dtls_view) without"
	sleep 0.5
done
psw_wait 20
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: report phones [tunnels_up,tunnels_dropped,failed,disconnected]" "$((N + N / 2)),0,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.failed, .phones.disconnected] | @csv')"
expect_eq "$NAME: report failures.DpdTimeout" $((N / 2)) "$(report '.failures.DpdTimeout')"
expect_eq "$NAME: no failure but DTLS ones" '["DpdTimeout","DtlsTimeout"]' "$(report '.failures | keys | tojson')"
# the two traces: the 8861 (kept its tunnel: DTLS found dead by DPD), the 7962 (reset)
for f in "$T"/trace/CP-8861-SEP025000410000.log "$T"/trace/CP-7962G-SEP025000410001.log; do
	grep -q 'SSL success DTLS fail' "$f" || fail "$NAME" "$f: no 'SSL success DTLS fail'"
	[ "$(grep -c 'DTLS connected' "$f" || :)" -ge 2 ] || fail "$NAME" "$f: want DTLS connected before the block and after the unblock: $(grep DTLS "$f")"
done
grep -q 'DTLS setup failure (DpdTimeout)' "$T"/trace/CP-8861-SEP025000410000.log ||
	fail "$NAME" "the 8861 that kept its tunnel: no DTLS DpdTimeout in its trace"
grep -q 'abort_connect: in dtls setup phase' "$T"/trace/CP-7962G-SEP025000410001.log ||
	fail "$NAME" "the reset 7962: no DTLS setup timeout in its trace"
dpd_at=$(awk -F, -v b="$(report '.events[] | select(.name == "block") | .at_s')" \
	'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "fail_DpdTimeout") c = i; next }
	 $c > 0 && !t { t = $1 } END { printf "%.0f", t - b }' "$T/timeseries.csv")
pass "$NAME ($N phones: all up over TLS while UDP 443 was blocked ($dropped packets dropped), DTLS found dead by DPD ~$dpd_at s after the block, $(report '.failures.DtlsTimeout') DtlsTimeout, DTLS back on all $N after the unblock, $(report '.phones.dtls_retries') retries)"
