#!/bin/bash
# test_svc_tunnels.sh: phones that speak the phone's own protocol come up on ocserv 1.3,
# as ocserv sees them.
#
# Against the lab's ocserv 1.3 at /svc (cisco-svc-client-compat), with the headend's
# TLS suites limited to the AES-CBC ones the phones share (ciphers=no-ec, Cisco's
# fix), N phones, half 7962 (SHA-1 MIC) and half 8861 (SHA-256 MIC), log in with their
# certificates (phones.client = phone, the default). While they are up, occtl --json
# show users must list exactly N connected sessions of theirs, each with the phone's
# user agent "Cisco SVC IPPhone Client v1.0", the user name of its certificate's CN
# (CP-7962G-SEP<MAC> for a 7962: the G; CP-8861-SEP<MAC> for an 8861), both forms
# present, one per MAC, and a legacy DTLS 0.9 cipher "(DTLS0.9)-(RSA)-(AES-256-CBC)-(SHA1)".
# After: exit 0, N tunnels and N DTLS up, no failure, none left on the headend.
# Then password phones (SEP<MAC> / the lab's password) log in through the same form
# and show as SEP<MAC> with the phone's user agent.
NAME=test_svc_tunnels
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
N=20
MAC=025000800000
SEP=02500080
UA="Cisco SVC IPPhone Client v1.0"
lab_scenario_ca "$T/lab.ini" "mic_ca = $LAB_MFG_CA" "mic_ca_key = $LAB_MFG_KEY" \
	"mic_sha1_ca = $LAB_MFG_SHA1_CA" "mic_sha1_ca_key = $LAB_MFG_SHA1_KEY"
lab_set ciphers=no-ec
PHONE=(-s headend.url="$LAB_SVC_URL" -s phones.client=phone -s dtls.mode=auto)

psw_start "${PHONE[@]}" -s phones.count=$N -s phones.models=7962:50,8861:50 -s phones.mac_base=$MAC \
	-s ramp.rate=20 -s run.duration=8s
end=$(($(date +%s) + 12))
while :; do
	users=$(lab_sessions_sep $SEP)
	ready=$(printf '%s' "$users" | jq --argjson n $N 'length == $n and all(.[]; .State == "connected" and (."DTLS cipher" // "") != "")')
	[ "$ready" = true ] && break
	{ ! kill -0 "$PSW_PID" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; } && break
	sleep 0.5
done
snap=$(printf '%s' "$users" | jq -c '[.[] | {u: .Username, s: .State, ua: ."User-Agent", d: ."DTLS cipher"}] | sort_by(.u)')
n=$(printf '%s' "$users" | jq '[.[] | select(.State == "connected")] | length')
expect_eq "$NAME: connected sessions of ours on the headend ($snap)" $N "$n"
bad=$(printf '%s' "$users" | jq -c --arg ua "$UA" '[.[] | select(."User-Agent" != $ua) | {u: .Username, ua: ."User-Agent"}]')
expect_eq "$NAME: sessions without the phone's user agent" "[]" "$bad"
# each MAC once, named CP-7962G-SEP<MAC> or CP-8861-SEP<MAC>
for i in $(seq 0 $((N - 1))); do
	m=$(mac_hex $MAC "$i")
	got=$(printf '%s' "$users" | jq -r --arg m "$m" '[.[].Username | select(endswith("-SEP" + $m))] | join(",")')
	case "$got" in
	"CP-7962G-SEP$m" | "CP-8861-SEP$m") ;;
	*) fail "$NAME" "headend: want one session CP-7962G-SEP$m or CP-8861-SEP$m, got '$got'" ;;
	esac
done
n79=$(printf '%s' "$users" | jq '[.[] | select(.Username | startswith("CP-7962G-SEP"))] | length')
n88=$(printf '%s' "$users" | jq '[.[] | select(.Username | startswith("CP-8861-SEP"))] | length')
[ "$n79" -gt 0 ] && [ "$n88" -gt 0 ] || fail "$NAME" "want both models on the headend, got 7962: $n79, 8861: $n88"
bad=$(printf '%s' "$users" | jq -c '[.[] | select(."DTLS cipher" != "(DTLS0.9)-(RSA)-(AES-256-CBC)-(SHA1)") | {u: .Username, d: ."DTLS cipher"}]')
expect_eq "$NAME: sessions without DTLS 0.9 AES-256-CBC" "[]" "$bad"
psw_wait 25
expect_rc "$NAME" 0
expect_eq "$NAME: report failures" "{}" "$(report '.failures | tojson')"
expect_eq "$NAME: report [client,tunnels_up,dtls_up,failed,disconnected]" "\"phone\",$N,$N,0,$N" \
	"$(report '[.client, .phones.tunnels_up, .phones.dtls_up, .phones.failed, .phones.disconnected] | @csv')"
end=$(($(date +%s) + 5))
until [ "$(lab_sessions_sep $SEP | jq length)" = 0 ]; do
	[ "$(date +%s)" -lt "$end" ] || fail "$NAME" "headend: sessions left after the run: $(lab_users_sep $SEP)"
	sleep 0.3
done
ttt=$(report '.latency_us.time_to_tunnel.p50')

# password phones: the same form, with user name and password
NP=5
PMAC=02AB00000E00
psw_start "${PHONE[@]}" -s phones.count=$NP -s phones.mac_base=$PMAC -s phones.auth=password \
	-s phones.user=SEP%m -s phones.password="$LAB_PASSWORD" -s run.duration=5s
lab_wait_like "SEP02AB00000E0" $NP 10 ||
	fail "$NAME" "headend: want $NP password phones connected, got $(lab_users_like SEP02AB00000E0 | jq -c '[.[] | {u: .Username, s: .State}]')"
users=$(lab_users_like "SEP02AB00000E0")
want=$(for i in $(seq 0 $((NP - 1))); do echo "SEP$(mac_hex $PMAC "$i")"; done | jq -R . | jq -sc sort)
expect_eq "$NAME: password phones' user names" "$want" "$(printf '%s' "$users" | jq -c '[.[].Username] | sort')"
expect_eq "$NAME: password phones' user agents" "[\"$UA\"]" "$(printf '%s' "$users" | jq -c '[.[]."User-Agent"] | unique')"
psw_wait 20
expect_rc "$NAME (password)" 0
expect_eq "$NAME (password): report [tunnels_up,failed]" "$NP,0" "$(report '[.phones.tunnels_up, .phones.failed] | @csv')"
pass "$NAME ($N phones on ocserv $LAB_OCSERV_VERSION: $n79 CP-7962G-SEP, $n88 CP-8861-SEP, all \"$UA\" with DTLS0.9, time to tunnel p50 $ttt us; $NP password phones as SEP<MAC>)"
