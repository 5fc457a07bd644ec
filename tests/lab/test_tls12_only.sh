#!/bin/bash
# test_tls12_only.sh: a headend that speaks only TLS 1.2 (scripts/lab set tls=1.2, as
# after a hardening upgrade): the 7962 (TLS 1.0 only) is refused and never reaches
# the headend; the 8861 (TLS 1.0 and 1.2) comes up.
# ocserv 1.1.6 (GnuTLS) sends no alert when it refuses a ClientHello: it closes the
# connection before any ServerHello (no "Leaf cert hash" in the trace), which the
# phone names TlsRefused (TlsNoSharedCipher is for a headend that says so in an alert).
REASON=TlsRefused
NAME=test_tls12_only
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
N=5
MAC=025000110000
lab_set tls=1.2
psw_all_fail "$NAME (7962)" $N $REASON 10 CP-7962G-SEP02500011 \
	-s phones.mac_base=$MAC -s run.duration=1s -s phones.models=7962 --trace 0
t1=$PSW_MS
tls_phase_refused() { # TRACE: the phone offered its ciphers, never saw a certificate
	grep -q 'current cipher ->' "$1" && ! grep -q 'Leaf cert hash' "$1" ||
		fail "$NAME" "trace $1: want a refusal before the headend's certificate: $(cat "$1")"
}
tls_phase_refused "$(find "$T/trace" -name 'CP-7962G-*.log' | head -n 1)"
psw_all_up "$NAME (8861)" $N -s phones.mac_base=$MAC -s run.duration=1s -s phones.models=8861
pass "$NAME ($N x 7962 $REASON before ServerHello in $t1 ms; $N x 8861 up)"
