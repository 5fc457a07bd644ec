#!/bin/bash
# test_scen_demo.sh: scenarios/demo.ini (what `make demo` runs), short: 20 phones held
# 3 s, against ocserv 1.3 set up as `make demo` sets it (ciphers=no-ec), the phones
# logging in with their own protocol. Its expectations hold (exit 0) and the headend
# had all 20 connected as phones (the phone's user agent, CN user names, DTLS0.9).
# Then the same with phones that trust another certificate: every phone fails
# (CertHashMismatch), the expectations say so and the run exits 1.
# Takes ~15 s.
NAME=test_scen_demo
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
lab_set ciphers=no-ec
psw_scenario demo.ini
N=20
MAC=025000460000
SEP=02500046
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s run.duration=3s
end=$(($(date +%s) + 6))
until [ "$(lab_sessions_sep $SEP | jq '[.[] | select(.State == "connected" and ."DTLS cipher" != null)] | length')" = $N ]; do
	[ "$(date +%s)" -lt "$end" ] || fail "$NAME" "headend: want $N of ours connected with DTLS, got $(lab_users_sep $SEP)"
	sleep 0.3
done
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "$(lab_phones_bad $SEP)"
psw_wait 15
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: expectations judged" 5 "$(report '.expectations | length')"
ttt=$(report '.latency_us.time_to_tunnel.p99 / 1000')

psw_run -s phones.count=$N -s phones.mac_base=$MAC -s run.duration=1s -s headend.cert_hashes="$LAB_HASH2"
expect_rc "$NAME (wrong hash)" 1
expect_eq "$NAME (wrong hash): report failures" "{\"CertHashMismatch\":$N}" "$(report '.failures | tojson')"
for x in "tunnels_up >= 100%" "dtls_up >= 100%" "failures == 0" "during start..end: up >= 100%" \
	"latency.time_to_tunnel.p99 < 2s"; do
	expect_failed "$NAME (wrong hash)" "$x"
done
grep -q 'expect     FAIL  failures == 0  (measured 20; bound == 0)' "$T/stdout" ||
	fail "$NAME (wrong hash)" "summary lacks the failed expectation: $(grep expect "$T/stdout")"
pass "$NAME ($N phones, expectations held, time to tunnel p99 $ttt ms; with the wrong hash all 5 failed and the run exited 1)"
