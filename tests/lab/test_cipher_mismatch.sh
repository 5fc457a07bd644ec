#!/bin/bash
# test_cipher_mismatch.sh: the TLS/DTLS cipher mismatch of the troubleshooting guide.
# The headend's TLS is limited to AES-128 suites (scripts/lab set ciphers=aes128) while
# its legacy DTLS still prefers AES256-SHA: an 8861 on legacy DTLS negotiates TLS with
# AES-128, is offered DTLS with AES-256, cannot use it, and its DTLS setup hangs until
# the connect timer aborts it ("abort_connect: in dtls setup phase", DtlsTimeout); the
# tunnel carries on over TLS. With the headend's TLS unrestricted (AES-256 on both
# sides) the same phones get DTLS up.
NAME=test_cipher_mismatch
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
N=4
MAC=025000200000
lab_set ciphers=aes128
psw_run -s phones.count=$N -s phones.models=8861 -s phones.mac_base=$MAC -s dtls.mode=legacy \
	-s run.connect_timeout=4s -s run.duration=7s --trace 0
expect_rc "$NAME" 0
expect_eq "$NAME: report failures" "{\"DtlsTimeout\":$N}" "$(report '.failures | tojson')"
expect_eq "$NAME: report phones [tunnels_up,dtls_up,failed]" "$N,0,0" \
	"$(report '[.phones.tunnels_up, .phones.dtls_up, .phones.failed] | @csv')"
trace=$(cat "$T"/trace/*.log 2>/dev/null)
for line in "new cipher -> ECDHE-RSA-AES128-GCM-SHA256" "is not the TLS cipher (AES-128)" \
	"abort_connect: in dtls setup phase" "SSL success DTLS fail"; do
	case "$trace" in
	*"$line"*) ;;
	*) fail "$NAME" "trace lacks \"$line\": $(printf '%s' "$trace" | tail -n 8)" ;;
	esac
done

"$LAB" reset >/dev/null 2>&1 || fail "$NAME" "scripts/lab reset failed"
psw_run -s phones.count=$N -s phones.models=8861 -s phones.mac_base=$MAC -s dtls.mode=legacy \
	-s run.connect_timeout=4s -s run.duration=3s
expect_rc "$NAME (unrestricted)" 0
expect_eq "$NAME (unrestricted): report failures" "{}" "$(report '.failures | tojson')"
expect_eq "$NAME (unrestricted): dtls_up" "$N" "$(report '.phones.dtls_up')"
pass "$NAME ($N x DtlsTimeout with TLS AES-128 and DTLS AES-256; DTLS up once the ciphers agree)"
