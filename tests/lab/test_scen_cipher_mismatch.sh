#!/bin/bash
# test_scen_cipher_mismatch.sh: scenarios/cipher-mismatch.ini, short, against ocserv 1.3
# with the phones' own login: 12 phones (6 x 8861, 3 x 7962, 3 x 7965), a 4 s connect
# timer, 4 s between a headend change and the reset, and between the reset and the next
# change. The lab starts as the file asks (ciphers=no-ec). After each reset the
# headend's own view (occtl) must show the stage:
#   ciphers=default     all 12; the 8861s on ECDHE without DTLS, the 79xx with DTLS AES-256
#   ciphers=aes128      all 12; the 8861s on ECDHE without DTLS, the 79xx with DTLS AES-128
#   ciphers=no-ec       all 12, with DTLS, none on ECDHE
#   ciphers=ec-only     only the 6 8861s, on ECDHE, without DTLS
#   cert=ec             none of ours
#   restore (no-ec)     all 12, with DTLS
# every session with the phone's user agent and its certificate's name (CP-7962G-SEP...
# for a 7962), and the scenario's expectations (the reason per stage) must hold. The
# lab's profile is the phones' after the run (the scenario's last event) and, whatever
# happens, back at its defaults after the test (its EXIT trap).
# Takes ~70 s.
NAME=test_scen_cipher_mismatch
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
psw_scenario cipher-mismatch.ini
lab_set ciphers=no-ec
N=12
MAC=025000430000
SEP=02500043
UA="Cisco SVC IPPhone Client v1.0"
# connected sessions of ours: 8861s, 79xx (CP-79..G-), on an ECDHE suite, without DTLS,
# with DTLS AES-128
view() {
	lab_sessions_sep $SEP | jq -r '[.[] | select(.State == "connected")] |
		[(map(select(.Username | startswith("CP-8861-"))) | length),
		 (map(select(.Username | test("^CP-79[0-9][0-9]G-"))) | length),
		 (map(select((.["TLS ciphersuite"] // "") | contains("ECDHE"))) | length),
		 (map(select(.["DTLS cipher"] == null)) | length),
		 (map(select((.["DTLS cipher"] // "") | contains("AES-128"))) | length)] | join(",")'
}
# stage EVENT WANT WHAT [NEXT]: after EVENT (a reset), the headend's view must come to
# WANT within 6 s (every phone restarted, 0.5 s after its logout, and through its
# handshakes), and stay so, looked at every 0.2 s, until the event NEXT changes the
# headend again
stage() {
	psw_wait_event "$1" 30 || fail "$NAME" "event $1 never fired: $(tail -n 3 "$T/stderr")"
	wait_value 6 "$2" view ||
		fail "$NAME" "after $1, headend [8861,79xx,ECDHE,no DTLS,DTLS AES-128]: want $2 ($3), got $GOT: $(lab_users_sep $SEP)"
	bad=$(lab_sessions_sep $SEP | jq -c --arg ua "$UA" '[.[] | select(."User-Agent" != $ua) | .Username]')
	expect_eq "$NAME: after $1, sessions without the phone's user agent" "[]" "$bad"
	[ -n "${4:-}" ] || return 0
	# (a look counts only if NEXT had not fired when it ended)
	while :; do
		got=$(view)
		! psw_wait_event "$4" 0 2>/dev/null || break
		expect_eq "$NAME: until $4, headend [8861,79xx,ECDHE,no DTLS,DTLS AES-128] ($3; $(lab_users_sep $SEP))" \
			"$2" "$got"
		kill -0 "$PSW_PID" 2>/dev/null || fail "$NAME" "phoneswarm ended before $4"
		sleep 0.2
	done
}
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s run.connect_timeout=4s -s run.duration=60s \
	-s event.upgrade.at="ramp_end + 2s" -s event.reset-upgrade.at="upgrade + 4s" \
	-s event.wrong-fix.at="reset-upgrade + 4s" -s event.reset-wrong-fix.at="wrong-fix + 4s" \
	-s event.fix.at="reset-wrong-fix + 4s" -s event.reset-fix.at="fix + 4s" \
	-s event.ec-only.at="reset-fix + 4s" -s event.reset-ec-only.at="ec-only + 4s" \
	-s event.ec-cert.at="reset-ec-only + 4s" -s event.reset-ec-cert.at="ec-cert + 4s" \
	-s event.restore.at="reset-ec-cert + 4s" -s event.reset-restore.at="restore + 4s" \
	--trace 0 --trace 1
stage reset-upgrade "6,6,6,6,0" "ECDHE again: the 8861s' DTLS failed, the 79xx kept it" wrong-fix
stage reset-wrong-fix "6,6,6,6,6" "AES-128 only: the 8861s still without DTLS, the 79xx on AES-128" fix
stage reset-fix "6,6,0,0,0" "no ECDHE: everyone with DTLS" ec-only
stage reset-ec-only "6,0,6,6,0" "ECDHE only: the 79xx refused" ec-cert
stage reset-ec-cert "0,0,0,0,0" "EC certificate: everyone refused" restore
stage reset-restore "6,6,0,0,0" "the headend for phones again"
psw_wait 30
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: report failures [TlsRefused,DtlsFailed]" "$((N / 2 + N)),$((3 * N / 2))" \
	"$(report '[.failures.TlsRefused, .failures.DtlsFailed] | @csv')"
expect_eq "$NAME: report [resets,failed,disconnected]" "$((6 * N)),0,$N" \
	"$(report '[.phones.resets, .phones.failed, .phones.disconnected] | @csv')"
expect_eq "$NAME: lab profile after the run" \
	"tls=any ciphers=no-ec cert=rsa trust=all dtls=both max_clients=0 dtls_port=443 keepalive=15 dpd=20" \
	"$("$LAB" set | tr '\n' ' ' | sed 's/ $//')"
t8861=$T/trace/CP-8861-SEP025000430000.log
t7962=$T/trace/CP-7962G-SEP025000430001.log
[ -f "$t7962" ] || t7962=$T/trace/CP-7965G-SEP025000430001.log
for line in "x-dtls-ciphersuite: AES256-SHA" "DTLSv0.9: write: alert: fatal:illegal parameter" \
	"old session cipher not returned" "SSL success DTLS fail"; do
	grep -qF "$line" "$t8861" || fail "$NAME" "$t8861 lacks \"$line\""
done
grep -q 'new cipher -> AES128-SHA (TLSv1)' "$t7962" && grep -q 'DTLS connected: DTLSv0.9 AES128-SHA' "$t7962" ||
	fail "$NAME" "$t7962: want TLS and DTLS AES128-SHA in the aes128 stage: $(grep -i cipher "$t7962")"
pass "$NAME ($N phones on ocserv $LAB_OCSERV_VERSION: ECDHE failed the 8861s' DTLS (old session cipher not returned) twice while the 79xx kept it; no-ec brought DTLS back; ec-only refused the 79xx; the EC certificate refused all $N; all back with DTLS after the restore)"
