#!/bin/bash
# test_udp_blocked.sh: UDP 443 to the headend dropped (scripts/lab fault block-udp).
# With dtls.on_failure=tls (the default) every phone's DTLS handshake times out within
# the connect timer (DtlsTimeout, one per phone), the tunnel carries on over TLS and
# the ping through it is answered. With dtls.on_failure=abort and no reconnect, the
# strict phone of the documents aborts: every phone ends failed with DtlsTimeout.
NAME=test_udp_blocked
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
N=5
MAC=025000130000
lab_fault block-udp
psw_run -s phones.count=$N -s phones.mac_base=$MAC -s run.duration=8s \
	-s dtls.mode=auto -s run.connect_timeout=5s
expect_rc "$NAME" 0
expect_eq "$NAME: report failures" "{\"DtlsTimeout\":$N}" "$(report '.failures | tojson')"
expect_eq "$NAME: report phones [tunnels_up,dtls_up,failed,disconnected]" "$N,0,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.dtls_up, .phones.failed, .phones.disconnected] | @csv')"
tr=$(report '.traffic | tojson')
expect_eq "$NAME: ping answered over TLS, data_rx_packets > 0 ($tr)" true "$(report '.traffic.data_rx_packets > 0')"
expect_eq "$NAME: no DTLS bytes received ($tr)" 0 "$(report '.traffic.dtls_rx_bytes')"
expect_eq "$NAME: pings answered over TLS, latency_us.ping_rtt.count" $N "$(report '.latency_us.ping_rtt.count')"
dropped=$("$LAB" fault list | sed -n 's/^block-udp dropped=//p')
[ "${dropped:-0}" -gt 0 ] || fail "$NAME" "the block-udp rule dropped no packet: $("$LAB" fault list)"

psw_run -s phones.count=$N -s phones.mac_base=$MAC -s run.duration=8s \
	-s dtls.mode=auto -s run.connect_timeout=5s -s dtls.on_failure=abort -s phones.reconnect=never
expect_rc "$NAME (abort)" 0
expect_eq "$NAME (abort): report failures" "{\"DtlsTimeout\":$N}" "$(report '.failures | tojson')"
expect_eq "$NAME (abort): report phones [dtls_up,failed,disconnected]" "0,$N,0" \
	"$(report '[.phones.dtls_up, .phones.failed, .phones.disconnected] | @csv')"
lab_wait_like CP-8861-SEP02500013 0 5 ||
	fail "$NAME (abort)" "headend: sessions left: $(lab_users_like CP-8861-SEP02500013 | jq -c '[.[] | {u: .Username, s: .State}]')"
pass "$NAME ($N x DtlsTimeout then up over TLS, $dropped UDP packets dropped; $N x failed with dtls.on_failure=abort)"
