#!/bin/bash
# test_ec_cert.sh: the headend presents its EC certificate (scripts/lab set cert=ec)
# and the phones trust its hash. A 7962 offers only RSA key exchange
# (AES256-SHA:AES128-SHA); an 8861 offers ECDHE-RSA and RSA suites: neither has a
# suite an ECDSA certificate can serve, so both are refused: the "EC cipher
# failure" of phone-behaviour.md seen from the other side.
# ocserv 1.1.6 (GnuTLS) sends no alert then: it closes the connection before any
# ServerHello, which the phone names TlsRefused.
REASON=TlsRefused
NAME=test_ec_cert
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
N=5
MAC=025000120000
lab_set cert=ec
psw_all_fail "$NAME (7962)" $N $REASON 10 CP-7962G-SEP02500012 \
	-s phones.mac_base=$MAC -s run.duration=1s -s phones.models=7962 -s headend.cert_hashes="$LAB_HASH_EC" --trace 0
t1=$PSW_MS
tls_phase_refused() { # TRACE: the phone offered its ciphers, never saw a certificate
	grep -q 'current cipher ->' "$1" && ! grep -q 'Leaf cert hash' "$1" ||
		fail "$NAME" "trace $1: want a refusal before the headend's certificate: $(cat "$1")"
}
tls_phase_refused "$(find "$T/trace" -name 'CP-7962G-*.log' | head -n 1)"
psw_all_fail "$NAME (8861)" $N $REASON 10 CP-8861-SEP02500012 \
	-s phones.mac_base=$MAC -s run.duration=1s -s phones.models=8861 -s headend.cert_hashes="$LAB_HASH_EC" --trace 0
tls_phase_refused "$(find "$T/trace" -name 'CP-8861-*.log' | head -n 1)"
pass "$NAME ($N x 7962 and $N x 8861 $REASON before ServerHello against the EC certificate, $t1 / $PSW_MS ms)"
