#!/bin/bash
# test_scen_cipher_mismatch.sh: scenarios/cipher-mismatch.ini, short: 12 phones (6 x
# 8861, 3 x 7962, 3 x 7965), a 4 s connect timer, 4 s between a headend change and the
# reset, and between the reset and the next change. After each reset the headend's own
# view (occtl) must show the stage:
#   ciphers=ec-only      only the 6 8861s connected, on ECDHE suites
#   ciphers=aes128       all 12; the 8861s without DTLS, the 79xx with DTLS AES-128
#   cert=ec              none of ours
#   lab reset (restore)  all 12, with DTLS
# and the scenario's expectations (the reason per stage) must hold. The lab's profile
# is back to its defaults after the run (the scenario's last event) and, whatever
# happens, after the test (its EXIT trap).
# Takes ~55 s.
NAME=test_scen_cipher_mismatch
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
psw_scenario cipher-mismatch.ini
N=12
MAC=025000430000
SEP=02500043
# connected sessions of ours: 8861s, 79xx, on an ECDHE suite, without DTLS, with DTLS AES-128
view() {
	lab_sessions_sep $SEP | jq -r '[.[] | select(.State == "connected")] |
		[(map(select(.Username | startswith("CP-8861-"))) | length),
		 (map(select(.Username | startswith("CP-79"))) | length),
		 (map(select((.["TLS ciphersuite"] // "") | contains("ECDHE"))) | length),
		 (map(select(.["DTLS cipher"] == null)) | length),
		 (map(select((.["DTLS cipher"] // "") | contains("AES-128"))) | length)] | join(",")'
}
stage() { # EVENT WANT WHAT
	psw_wait_event "$1" 30 || fail "$NAME" "event $1 never fired: $(tail -n 3 "$T/stderr")"
	sleep 1.5
	got=$(view)
	expect_eq "$NAME: after $1, headend [8861,79xx,ECDHE,no DTLS,DTLS AES-128] ($3; $(lab_users_sep $SEP))" \
		"$2" "$got"
}
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s run.connect_timeout=4s -s run.duration=50s \
	-s event.upgrade.at="ramp_end + 2s" -s event.reset-upgrade.at="upgrade + 4s" \
	-s event.wrong-fix.at="reset-upgrade + 4s" -s event.reset-wrong-fix.at="wrong-fix + 4s" \
	-s event.fix.at="reset-wrong-fix + 7s" -s event.reset-fix.at="fix + 4s" \
	-s event.ec-cert.at="reset-fix + 4s" -s event.reset-ec-cert.at="ec-cert + 4s" \
	-s event.restore.at="reset-ec-cert + 4s" -s event.reset-restore.at="restore + 4s" \
	--trace 0 --trace 1
stage reset-upgrade "6,0,6,0,0" "ECDHE only: the 79xx refused"
stage reset-wrong-fix "6,6,6,6,6" "AES-128 only: the 8861s' DTLS mismatched"
stage reset-ec-cert "0,0,0,0,0" "EC certificate: everyone refused"
stage reset-restore "6,6,6,0,0" "the lab's defaults"
psw_wait 20
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: report failures [TlsRefused,DtlsTimeout]" "$((N / 2 + N)),$((N / 2))" \
	"$(report '[.failures.TlsRefused, .failures.DtlsTimeout] | @csv')"
expect_eq "$NAME: report [resets,failed,disconnected]" "$((5 * N)),0,$N" \
	"$(report '[.phones.resets, .phones.failed, .phones.disconnected] | @csv')"
expect_eq "$NAME: lab profile after the run" "tls=any ciphers=default cert=rsa trust=all dtls=both max_clients=0 dtls_port=443" \
	"$("$LAB" set | tr '\n' ' ' | sed 's/ $//')"
t8861=$T/trace/CP-8861-SEP025000430000.log
t7962=$T/trace/CP-7962-SEP025000430001.log
grep -q 'is not the TLS cipher (AES-128)' "$t8861" || fail "$NAME" "$t8861: no DTLS cipher mismatch line"
grep -q 'new cipher -> AES128-SHA (TLSv1)' "$t7962" && grep -q 'DTLS connected: DTLSv0.9 AES128-SHA' "$t7962" ||
	fail "$NAME" "$t7962: want TLS and DTLS AES128-SHA in the aes128 stage: $(grep -i cipher "$t7962")"
pass "$NAME ($N phones: ec-only refused the 6 79xx (TlsRefused), aes128 timed out the 6 8861s' DTLS (DtlsTimeout) while the 79xx got DTLS AES128-SHA, the EC certificate refused all $N (TlsRefused), all back after the fix and after the restore)"
