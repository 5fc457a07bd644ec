#!/bin/bash
# test_voice.sh: phones in calls carry RTP through their tunnels to the lab's reflector.
#  1. clean (DTLS records by phoneswarm's record layer, every session taken over from
#     OpenSSL after its handshake): every packet comes back, MOS of G.711 (about 4.4), packets leave on
#     schedule (send lateness p99 under 5 ms: the measured spread), and ocserv's own byte counter of what the
#     phones sent into the tunnel (occtl's raw_rx, summed as sessions end) agrees within
#     1% with the IP packets the report says the phones sent (RTP 200 bytes, one ping);
#     timeseries.csv counts the echoes in the intervals they came back in.
#  2. 5% of the packets dropped on the way to the reflector and 5% on the way back
#     (iptables statistic inside the namespace): each direction measures 5% +- 2.
#  3. DTLS off: the calls go over the TLS tunnel, and still arrive.
#  4. Jitter: the reflector holds each echo a random 0..20 ms (scripts/lab fault jitter;
#     this kernel has no netem). RFC 3550 jitter of a uniform 0..D delay is D/3: the
#     calls' median downstream jitter must be 6.7 +- 1.5 ms and every call's within
#     +- 3.5 ms (the estimator's spread at a call's end is about 0.85 ms), where every
#     clean call had under 1 ms;
#     the upstream (stamped before the hold) stays under 1 ms, and the round trip's
#     median is the hold's mean, 10 +- 2 ms.
NAME=test_voice
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
drop_rules() { # -A or -D
	lab_random_drop "$1" voice-loss 0.05 INPUT -p udp --dport 5004
	lab_random_drop "$1" voice-loss 0.05 OUTPUT -p udp --sport 5004
}
on_exit 'psw_kill; drop_rules -D; "$LAB" fault jitter-clear'
[ -n "$LAB_REFLECTOR" ] || fail "$NAME" "scripts/lab env gives no LAB_REFLECTOR"
N=10
MAC=025000210000
VOICE=(-s "traffic.calls=100%" -s traffic.call_duration=10m -s "traffic.target=$LAB_REFLECTOR"
	-s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=50)
rx() { "$LAB" occtl --json show status | jq '.raw_rx'; }

# 1. clean
rx0=$(rx)
psw_run "${VOICE[@]}" -s run.duration=8s -s dtls.mode=psk
expect_rc "$NAME" 0
expect_eq "$NAME: failures" "{}" "$(report '.failures | tojson')"
sent=$(report '.rtp.sent')
[ "$sent" -gt $((N * 300)) ] || fail "$NAME" "too few RTP packets sent: $(report '.rtp | tojson')"
expect_eq "$NAME: rtp lost" 0 "$(report '.rtp.lost')"
expect_eq "$NAME: rtp received = sent" "$sent" "$(report '.rtp.received')"
# timeseries.csv counts each echo in the interval it came back in, as it counts each
# packet in the interval it left in: over the middle intervals (the first two and the
# last left out: the ramp, and the calls cut at the end) the echoes are the packets
# sent within 10% (the round trip is under a millisecond), and the intervals add up
# to the report's total.
read -r mid_sent mid_got all_got <<<"$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) {
		if ($i == "rtp_sent") s = i; if ($i == "rtp_received") r = i }; next }
	{ n++; sent[n] = $s; got[n] = $r; all += $r }
	END { for (k = 3; k < n; k++) { ts += sent[k]; tr += got[k] }; print ts + 0, tr + 0, all + 0 }' "$T/timeseries.csv")"
expect_eq "$NAME: timeseries.csv rtp_received over the intervals = the report's" "$sent" "$all_got"
expect_eq "$NAME: mid-run intervals received $mid_got of $mid_sent sent (within 10%)" true \
	"$(awk -v s="$mid_sent" -v r="$mid_got" 'BEGIN { print (s > 0 && r >= s * 0.9 && r <= s * 1.1) ? "true" : "false" }')"
expect_eq "$NAME: MOS >= 4.3" true "$(report '.rtp.mos_mean >= 4.3 and .rtp.mos_min >= 4.3')"
# the calls' DTLS records were sealed and opened by phoneswarm's record layer (the
# SSLs freed after each handshake), and it refused none of the headend's
expect_eq "$NAME: traffic [dtls_takeovers,dtls_rx_dropped]" "$N,0" \
	"$(report '[.traffic.dtls_takeovers, .traffic.dtls_rx_dropped] | @csv')"
# The bound comes from the measured spread (tests/lab/spread.sh, 20 runs each, NOTES.md
# "Sixth session"): p99 191-994 us on an idle machine, 2.3-3.5 ms beside a make -j2 loop
# (these two cores are shared with ocserv's workers). 5 ms holds both with room and still
# catches a schedule that slips by a packet (20 ms) or by many of the loop's ticks; under
# AddressSanitizer every packet costs two to three times the CPU, so 10 ms there.
late_bound=5000
[ -n "${ASAN_OPTIONS:-}" ] && late_bound=10000
expect_eq "$NAME: send lateness p99 < $late_bound us ($(report '.latency_us.rtp_send_late | tojson'))" true \
	"$(report ".latency_us.rtp_send_late.p99 < $late_bound")"
clean_jitter=$(report '.latency_us.rtp_jitter_down.max')
[ "$clean_jitter" -lt 1000 ] || fail "$NAME" "clean calls: downstream jitter up to $clean_jitter us"
lab_wait_like CP-8861-SEP02500021 0 5 || fail "$NAME" "sessions left on the headend"
want=$((sent * 200 + N * 84))
# ocserv's workers report their byte counts to its main process from time to time,
# and last as their session ends: wait (5 s at most) until the total has them. The
# last moments of a session may be missing from it: within 1%.
within() { got=$(($(rx) - rx0)); awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= w / 100) }'; }
wait_until 5 "ocserv's byte count" within || :
expect_eq "$NAME: ocserv raw_rx delta $got within 1% of the phones' IP bytes $want (200 x $sent RTP + $N x 84 ping)" \
	true "$(awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; print (d <= w / 100) ? "true" : "false" }')"

# 2. 5% loss each way
drop_rules -A || fail "$NAME" "cannot add the iptables statistic rules"
psw_run "${VOICE[@]}" -s run.duration=12s -s dtls.mode=psk
drop_rules -D
expect_rc "$NAME (loss)" 0
up=$(report '.rtp.loss_up_pct')
down=$(report '.rtp.loss_down_pct')
expect_eq "$NAME (loss): upstream loss 5 +- 2 % (got $up)" true "$(report '.rtp.loss_up_pct > 3 and .rtp.loss_up_pct < 7')"
expect_eq "$NAME (loss): downstream loss 5 +- 2 % (got $down)" true "$(report '.rtp.loss_down_pct > 3 and .rtp.loss_down_pct < 7')"
expect_eq "$NAME (loss): MOS falls below 4 ($(report '.rtp.mos_mean'))" true "$(report '.rtp.mos_mean < 4')"

# 3. over TLS
psw_run "${VOICE[@]}" -s run.duration=6s -s dtls.mode=off -s phones.mac_base=025000220000
expect_rc "$NAME (tls)" 0
expect_eq "$NAME (tls): no DTLS" 0 "$(report '.phones.dtls_up')"
expect_eq "$NAME (tls): rtp lost" 0 "$(report '.rtp.lost')"
[ "$(report '.rtp.sent')" -gt $((N * 200)) ] || fail "$NAME (tls)" "too few RTP packets: $(report '.rtp | tojson')"

# 4. jitter
lab_fault jitter 20ms
psw_run "${VOICE[@]}" -s run.duration=8s -s dtls.mode=psk -s phones.mac_base=025000230000
"$LAB" fault jitter-clear >/dev/null 2>&1 || fail "$NAME (jitter)" "scripts/lab fault jitter-clear failed"
expect_rc "$NAME (jitter)" 0
jd=$(report '.latency_us.rtp_jitter_down | [.min, .p50, .max] | @csv')
expect_eq "$NAME (jitter): downstream jitter median 5.2..8.2 ms, each call 3.2..10.2 ms (min,p50,max: $jd us)" true \
	"$(report '.latency_us.rtp_jitter_down | .count == 10 and .p50 > 5200 and .p50 < 8200 and .min > 3200 and .max < 10200')"
expect_eq "$NAME (jitter): upstream jitter under 1 ms ($(report .latency_us.rtp_jitter_up.max) us)" true \
	"$(report '.latency_us.rtp_jitter_up.max < 1000')"
expect_eq "$NAME (jitter): round trip median 10 +- 2 ms ($(report .latency_us.rtp_rtt.p50) us)" true \
	"$(report '.latency_us.rtp_rtt.p50 > 8000 and .latency_us.rtp_rtt.p50 < 12000')"
expect_eq "$NAME (jitter): nothing lost" 0 "$(report .rtp.lost)"

pass "$NAME ($sent RTP clean, MOS $(report '.rtp.mos_mean'); ocserv counted $got bytes of $want sent; loss up $up% / down $down% for 5% injected; voice over TLS; 20 ms of reflector jitter measured as $jd us downstream, clean $clean_jitter us)"
