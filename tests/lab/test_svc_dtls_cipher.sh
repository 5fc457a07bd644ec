#!/bin/bash
# test_svc_dtls_cipher.sh: a headend that gives a phone a DTLS cipher it did not have.
#
# 1. ocserv 1.3 with its TLS suites unrestricted (the lab's default) negotiates TLS 1.2
#    ECDHE-RSA-AES256-GCM-SHA384 with an 8861; for DTLS it picks AES256-SHA, which is
#    not that cipher. The phone's resumed DTLS session claims its TLS cipher, ocserv
#    resumes with AES256-SHA, and the phone fails DTLS as in Cisco's guide: alert
#    illegal parameter, "old session cipher not returned", "SSL success DTLS fail"
#    (DtlsFailed), and carries on over TLS: ocserv shows every 8861 connected on the
#    ECDHE suite without a DTLS cipher.
# 2. With Cisco's fix for phones (ciphers=no-ec) the same phones run TLS AES256-SHA and get
#    DTLS 0.9 AES256-SHA.
# (ocserv only ever answers a suite the phone listed in X-DTLS-CipherSuite; a headend
# that answers another, PSK-NEGOTIATE or a DTLS 1.2 suite, is tests/tools/badheadend's
# dtls-psk and dtls12 modes in test_bad_headend.sh.)
NAME=test_svc_dtls_cipher
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
N=4
MAC=025000830000
SEP=02500083
RUN=(-s headend.url="$LAB_SVC_URL" -s phones.client=phone -s phones.count=$N -s phones.models=8861
	-s phones.mac_base=$MAC -s dtls.mode=auto -s run.duration=5s -s dtls.retry=0)

# the connected sessions of ours: [TLS key exchange and cipher, DTLS cipher], distinct
view() { lab_sessions_sep $SEP | jq -c '[.[] | select(.State == "connected") |
	[(."TLS ciphersuite" | if test("ECDHE") then "ECDHE" else "RSA" end) + " " +
	 (."TLS ciphersuite" | capture("\\((?<c>AES-[0-9]+-[A-Z]+)\\)").c), (."DTLS cipher" // "none")]] | unique'; }
wait_view() { # WANT SECS
	_end=$(($(date +%s) + $2))
	until [ "$(view)" = "$1" ] && [ "$(lab_connected_sep $SEP)" = $N ]; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.5
	done
}

psw_start "${RUN[@]}" --trace 0
wait_view '[["ECDHE AES-256-GCM","none"]]' 8 ||
	fail "$NAME (ECDHE)" "headend: want $N connected on ECDHE AES-256-GCM without DTLS, got $(view)"
psw_wait 20
expect_rc "$NAME (ECDHE)" 0
expect_eq "$NAME (ECDHE): report failures" "{\"DtlsFailed\":$N}" "$(report '.failures | tojson')"
expect_eq "$NAME (ECDHE): report [tunnels_up,dtls_up,failed]" "$N,0,0" \
	"$(report '[.phones.tunnels_up, .phones.dtls_up, .phones.failed] | @csv')"
for line in "new cipher -> ECDHE-RSA-AES256-GCM-SHA384" "x-dtls-ciphersuite: AES256-SHA" \
	"DTLSv0.9: write: alert: fatal:illegal parameter" "old session cipher not returned" \
	"DTLS setup failure" "SSL success DTLS fail"; do
	grep -qF "$line" "$T"/trace/*.log || fail "$NAME (ECDHE)" "trace lacks \"$line\": $(grep -i 'cipher\|DTLS' "$T"/trace/*.log)"
done
n=$(csv_cols "$T/failures.csv" reason detail |
	grep -cF $'DtlsFailed\tDTLS setup failure: error:0A0000C5:SSL routines::old session cipher not returned' || :)
expect_eq "$NAME (ECDHE): failures.csv \"old session cipher not returned\" lines" $N "$n"

lab_set ciphers=no-ec
psw_start "${RUN[@]}"
wait_view '[["RSA AES-256-CBC","(DTLS0.9)-(RSA)-(AES-256-CBC)-(SHA1)"]]' 8 ||
	fail "$NAME (no-ec)" "headend: want $N connected on AES-256-CBC with DTLS0.9, got $(view)"
psw_wait 20
expect_rc "$NAME (no-ec)" 0
expect_eq "$NAME (no-ec): report [failures,dtls_up]" "{},$N" "$(report '[(.failures | tojson), .phones.dtls_up] | @csv' | tr -d '"')"

pass "$NAME (ECDHE TLS: $N x DtlsFailed, old session cipher not returned; no-ec: DTLS0.9 AES-256-CBC)"
