#!/bin/bash
# test_voice_p2p.sh: phones call each other through the headend (traffic.target=phones):
# phone 2k calls phone 2k+1, the two on different worker threads (run.threads=2).
#  1. clean: 11 phones, 5 calls (the 11th has nobody to call); every packet each end
#     sent reaches the other, MOS of G.711 (about 4.4) for every call; ocserv's own byte
#     counters agree within 1% with what the phones sent into their tunnels (raw_rx:
#     RTP 200 bytes a packet, one ping each) and what they received (raw_tx), so the
#     calls went phone -> headend -> phone.
#  2. 10% of the packets to the callers dropped where the headend forwards them between
#     its tun devices (iptables statistic on FORWARD, matching the callers' RTP ports):
#     the callers hear 10% +- 3 loss, the callees none, each end measuring what it gets.
NAME=test_voice_p2p
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=11
MAC=025000320000 PFX=CP-8861-SEP02500032
# the callers' RTP ports: 16384 + 2 x index, for the even indexes with a peer
CALLER_PORTS=16384,16388,16392,16396,16400
drop_rule() { lab_random_drop "$1" p2p-loss 0.1 FORWARD -p udp -m multiport --dports $CALLER_PORTS; }
on_exit 'psw_kill; drop_rule -D'
VOICE=(-s "traffic.calls=100%" -s traffic.call_duration=10m -s traffic.target=phones
	-s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=50 -s run.threads=2)
status() { "$LAB" occtl --json show status | jq -r "$1"; }
within_1pct() { awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; print (d <= w / 100) ? "true" : "false" }'; }

# 1. clean
rx0=$(status .raw_rx) tx0=$(status .raw_tx)
psw_run "${VOICE[@]}" -s run.duration=8s -s dtls.mode=psk --trace 0
expect_rc "$NAME" 0
expect_eq "$NAME: failures" "{}" "$(report '.failures | tojson')"
sent=$(report '.rtp.sent')
[ "$sent" -gt $(((N - 1) * 350)) ] || fail "$NAME" "too few RTP packets sent: $(report '.rtp | tojson')"
expect_eq "$NAME: [received, lost, stray]" "$sent,0,0" "$(report '[.rtp.received, .rtp.lost, .rtp.stray] | @csv')"
expect_eq "$NAME: [calls_completed, calls_cut, calls_scored]" "5,0,5" \
	"$(report '[.rtp.calls_completed, .rtp.calls_cut, .rtp.calls_scored] | @csv')"
expect_eq "$NAME: each end's jitter [down, up] counts" "5,5" \
	"$(report '[.latency_us.rtp_jitter_down.count, .latency_us.rtp_jitter_up.count] | @csv')"
expect_eq "$NAME: MOS >= 4.3 ($(report '.rtp.mos_mean'), worst $(report '.rtp.mos_min'))" true \
	"$(report '.rtp.mos_mean >= 4.3 and .rtp.mos_min >= 4.3')"
grep -q "VPNC: call 1 to phone 1 at 198\.19\." "$T/trace/$PFX""0000.log" ||
	fail "$NAME" "phone 0's trace does not show its call to phone 1's tunnel address"
lab_wait_like "$PFX" 0 5 || fail "$NAME" "sessions left on the headend"
# ocserv's main process adds a session's byte counts to its totals when the session's
# worker reports them, as it ends: wait (5 s at most) until both totals have them
want_rx=$((sent * 200 + N * 84)) want_tx=$(($(report .rtp.received) * 200 + N * 84))
counted() {
	rx=$(($(status .raw_rx) - rx0)) tx=$(($(status .raw_tx) - tx0))
	[ "$(within_1pct "$rx" "$want_rx")" = true ] && [ "$(within_1pct "$tx" "$want_tx")" = true ]
}
wait_until 5 "ocserv's byte counts" counted || :
expect_eq "$NAME: ocserv raw_rx delta $rx within 1% of the phones' IP bytes out $want_rx" true "$(within_1pct "$rx" "$want_rx")"
expect_eq "$NAME: ocserv raw_tx delta $tx within 1% of the phones' IP bytes in $want_tx" true "$(within_1pct "$tx" "$want_tx")"
mos=$(report '.rtp.mos_mean')

# 2. loss towards the callers only
drop_rule -A || fail "$NAME" "cannot add the iptables rule"
psw_run "${VOICE[@]}" -s run.duration=10s -s dtls.mode=psk
dropped=$(lab_dropped p2p-loss FORWARD)
drop_rule -D
expect_rc "$NAME (loss)" 0
up=$(report '.rtp.loss_up_pct') down=$(report '.rtp.loss_down_pct')
expect_eq "$NAME (loss): callees hear no loss (got $up%)" 0 "$(report '.rtp.lost_up')"
expect_eq "$NAME (loss): callers hear 10 +- 3 % loss (got $down%)" true \
	"$(report '.rtp.loss_down_pct > 7 and .rtp.loss_down_pct < 13')"
expect_eq "$NAME (loss): lost_down = packets the headend dropped ($dropped)" "$dropped" "$(report '.rtp.lost_down')"
expect_eq "$NAME (loss): MOS falls below 4 ($(report '.rtp.mos_mean'))" true "$(report '.rtp.mos_mean < 4')"

pass "$NAME ($sent RTP phone to phone, MOS $mos; ocserv counted $rx bytes in of $want_rx, $tx out of $want_tx; 10% to the callers dropped: callers lost $down%, callees $up%)"
