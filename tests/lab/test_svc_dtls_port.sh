#!/bin/bash
# test_svc_dtls_port.sh: a headend whose DTLS is not on UDP 443, and phones that know
# only 443.
#
# The lab's ocserv 1.3 moved to UDP 4443 (scripts/lab set dtls_port=4443; ocserv then
# runs without cisco-svc-client-compat, which refuses any port but 443, and still
# serves /svc) announces X-DTLS-Port: 4443. A phone sends its DTLS to UDP 443 all the
# same, where nothing answers: its DTLS setup never completes (DtlsTimeout at its
# connect timer, "SSL success DTLS fail") and its tunnel carries on over TLS: ocserv
# shows every session connected with no DTLS cipher. The control: the same headend
# and model with the desktop client (phones.client = anyconnect, legacy DTLS), which
# goes where X-DTLS-Port says, gets DTLS 0.9. Then with the port back at 443 the
# phones get DTLS too.
NAME=test_svc_dtls_port
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
N=4
MAC=025000820000
SEP=02500082
lab_scenario_ca "$T/lab.ini" "mic_sha1_ca = $LAB_MFG_SHA1_CA" "mic_sha1_ca_key = $LAB_MFG_SHA1_KEY"
RUN=(-s headend.url="$LAB_SVC_URL" -s phones.count=$N -s phones.models=7962 -s phones.mac_base=$MAC
	-s dtls.mode=legacy -s run.connect_timeout=4s -s run.duration=6s)

# sessions of ours: connected, and with a DTLS cipher
view() { lab_sessions_sep $SEP | jq -c '[([.[] | select(.State == "connected")] | length),
	([.[] | select((."DTLS cipher" // "") | startswith("(DTLS0.9)"))] | length)]'; }
wait_view() { # WANT SECS
	_end=$(($(date +%s) + $2))
	until [ "$(view)" = "$1" ]; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.5
	done
}

# watch_run: sample the headend until phoneswarm ends; the most sessions connected and
# the most with DTLS at any sample, in $seen
watch_run() {
	_c=0 _d=0
	while kill -0 "$PSW_PID" 2>/dev/null; do
		read -r _vc _vd < <(view | jq -r '"\(.[0]) \(.[1])"')
		[ "${_vc:-0}" -gt "$_c" ] && _c=$_vc
		[ "${_vd:-0}" -gt "$_d" ] && _d=$_vd
		sleep 0.3
	done
	seen="[$_c,$_d]"
}

lab_set dtls_port=4443
psw_start "${RUN[@]}" -s phones.client=phone --trace 0
watch_run
psw_wait 5
expect_rc "$NAME" 0
expect_eq "$NAME: headend, most [connected, with DTLS] seen during the run" "[$N,0]" "$seen"
expect_eq "$NAME: report failures" "{\"DtlsTimeout\":$N}" "$(report '.failures | tojson')"
expect_eq "$NAME: report [tunnels_up,dtls_up,failed]" "$N,0,0" \
	"$(report '[.phones.tunnels_up, .phones.dtls_up, .phones.failed] | @csv')"
for line in "x-dtls-port: 4443; the phone's DTLS goes to UDP 443" "DTLSv0.9 resumption to port 443" \
	"abort_connect: in dtls setup phase" "SSL success DTLS fail"; do
	grep -qF "$line" "$T"/trace/*.log || fail "$NAME" "trace lacks \"$line\": $(grep DTLS "$T"/trace/*.log)"
done

psw_start "${RUN[@]}" -s phones.client=anyconnect -s headend.url="$LAB_URL"
wait_view "[$N,$N]" 8 || fail "$NAME (anyconnect)" "headend: want $N connected with DTLS0.9, got $(view): $(lab_users_sep $SEP)"
psw_wait 20
expect_rc "$NAME (anyconnect)" 0
expect_eq "$NAME (anyconnect): report [failures,dtls_up]" "{},$N" "$(report '[(.failures | tojson), .phones.dtls_up] | @csv' | tr -d '"')"

lab_set dtls_port=443
psw_start "${RUN[@]}" -s phones.client=phone
wait_view "[$N,$N]" 8 || fail "$NAME (443)" "headend: want $N connected with DTLS0.9, got $(view): $(lab_users_sep $SEP)"
psw_wait 20
expect_rc "$NAME (443)" 0
expect_eq "$NAME (443): report [failures,dtls_up]" "{},$N" "$(report '[(.failures | tojson), .phones.dtls_up] | @csv' | tr -d '"')"
pass "$NAME (UDP 4443: $N phones up over TLS, DtlsTimeout, while the desktop client got DTLS there; UDP 443: DTLS up)"
