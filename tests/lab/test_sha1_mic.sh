#!/bin/bash
# test_sha1_mic.sh: 7962 phones present a MIC from the SHA-1 manufacturing chain
# (phones.mic_sha1_ca), as the 79xx do; the lab headend (which takes SHA-1 signatures,
# as an ASA does) lets them in, and they bring up legacy DTLS (DTLS0.9 on the headend).
NAME=test_sha1_mic
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=5
MAC=025000150000
PREFIX=CP-7962G-SEP02500015
lab_scenario_ca "$T/lab.ini" \
	"mic_sha1_ca = $LAB_MFG_SHA1_CA" \
	"mic_sha1_ca_key = $LAB_MFG_SHA1_KEY"
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s phones.models=7962 -s run.duration=6s --trace 0
end=$(($(date +%s) + 10))
while :; do
	users=$(lab_users_like "$PREFIX")
	ready=$(printf '%s' "$users" | jq --argjson n $N 'length == $n and all(.[]; .State == "connected" and ((."DTLS cipher" // "") | startswith("(DTLS0.9)")))')
	[ "$ready" = true ] && break
	{ ! kill -0 "$PSW_PID" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; } && break
	sleep 0.5
done
[ "$ready" = true ] ||
	fail "$NAME" "headend: want $N connected $PREFIX* sessions with DTLS0.9, got $(printf '%s' "$users" | jq -c '[.[] | {u: .Username, s: .State, d: ."DTLS cipher"}]')"
psw_wait 20
expect_rc "$NAME" 0
expect_eq "$NAME: report failures" "{}" "$(report '.failures | tojson')"
expect_eq "$NAME: report phones [tunnels_up,dtls_up,failed]" "$N,$N,0" \
	"$(report '[.phones.tunnels_up, .phones.dtls_up, .phones.failed] | @csv')"
grep -q 'MIC (SHA-1 chain)' "$T"/trace/*.log ||
	fail "$NAME" "trace: no 'MIC (SHA-1 chain)' line in $(ls "$T"/trace/*.log)"
pass "$NAME ($N 7962 phones with SHA-1 MICs up, DTLS0.9: $(printf '%s' "$users" | jq -r '.[0]."DTLS cipher"'))"
