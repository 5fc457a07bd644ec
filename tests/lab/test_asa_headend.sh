#!/bin/bash
# tests/lab/test_asa_headend.sh: the phones against a headend that answers as an ASA does.
#
# For each case, tests/tools/asaheadend runs inside the lab namespace on
# 198.18.0.1:4443 in one mode (a behaviour of a real ASA the phones must cope
# with, or one bad input), and five phones (each from its own source
# address: the scripted headend remembers a client by its address) are sent
# at it with one login exchange (phones.client). Each case checks what the
# user sees and what the headend saw:
#   - phoneswarm exits 0 in bounded time, no sanitizer report;
#   - report.json: exactly five failures of the expected reason (or none),
#     the expected tunnels up, and for some cases a counter (redirects, rekeys);
#   - every failures.csv detail matches the expected extended regex;
#   - the headend's own log (its stderr) has the expected line for each of
#     the five phones (the mode's proof: a new connection, a retried CONNECT,
#     a certificate asked for on the second connection...).
# A redirect's target is a second asaheadend ("asa" mode) on 198.18.0.1:4444
# with the lab's second certificate (headend-rsa2).
#
#   tests/lab/test_asa_headend.sh [BUILD_DIR] [MODE...]
#
# Exit 0 if all pass, 1 otherwise, 77 to skip.
NAME=test_asa_headend

# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require

BUILD=${1:-${BUILD:-build}}
shift || :
cd "$LAB_ROOT" || exit 1
PSW=${PSW:-$BUILD/phoneswarm}
ASA=$(dirname "$PSW")/asaheadend
[ -x "$ASA" ] || ASA=build/asaheadend
ADDR=198.18.0.1
PORT=4443
MPORT=4444
PKI=$LAB_DIR/pki
RSA=$(cat "$PKI/headend-rsa.sha1.b64")
RSA2=$(cat "$PKI/headend-rsa2.sha1.b64")
WORDS="asaheadend: a scripted refusal"

for f in "$PSW" "$ASA"; do
	[ -x "$f" ] || fail "$NAME" "$f not built (make $f)"
done

# One case per line, fields separated by '|':
#   mode | client | reason (- none) | tunnels up | failures.csv detail ERE (- none) |
#   headend log ERE each phone must have (- none) | extra -s overrides | asaheadend args
PW="phones.auth=password phones.user=SEP%m phones.password=pw"
BOTH="headend.cert_hashes=$RSA,$RSA2"
CASES="
asa|anyconnect|-|5|-|XML login complete||
asa|phone|-|5|-|phone login complete||
cert-late|anyconnect|-|5|-|#2 TLS up, certificate asked for, one presented||
cert-forever|anyconnect|ClientCertRejected|0|asked for a client certificate again \(<client-cert-request/>\) on a new connection that presented one \[ASA: a trustpoint|#2 XML init with a certificate: <client-cert-request/>||
group-select|anyconnect|-|5|-|XML login complete|$PW|
x-reason|anyconnect|TunnelRefused|0|^CONNECT /CSCOSSLC/tunnel: HTTP 503 Service Unavailable: X-Reason \"$WORDS\" \[ASA: syslog 716023/113029|CONNECT refused: 503 X-Reason||
xml-error|anyconnect|AuthFailed|0|^login refused: <error> \"$WORDS\" \[ASA: syslog 113005|XML login refused with <error>||
html-error|anyconnect|WebvpnCookieNotFound|0|^'webvpn=' not found in cookie \(POST /[^ ]* answered with [^)]*\): page \"$WORDS\" \[ASA: the tunnel group's group-url|login answered with an HTML page||
wrong-group-url|anyconnect|WebvpnCookieNotFound|0|^'webvpn=' not found in cookie \(POST /[^ ]* answered with [^)]*\): page \"SSL VPN Service\" \(at $ADDR, where a redirect led\) \[ASA: the tunnel group's group-url|portal logon page|headend.url=https://$ADDR:$PORT/wrong|
big-connect|anyconnect|-|5|-|CONNECT 200 \([0-9]{5} bytes of head\)||
headers-10000|anyconnect|HttpMalformed|0|^malformed HTTP reply: reply head over 1024 header lines$|CONNECT 200||
redirect|anyconnect|-|5|-|302 to https://$ADDR:$MPORT/phone|$BOTH|
redirect|anyconnect|CertHashMismatch|0|Hash was not found in the trust list \(at $ADDR, where a redirect led\)$|302 to https://$ADDR:$MPORT/phone||
redirect-loop|anyconnect|BadRedirect|0|^redirect loop: back to a URL already visited: Location \"/phone\"|302 to /phone2||
redirect-many|anyconnect|BadRedirect|0|^more than 3 redirects: Location \"/phoneaaaa\"|302 to /phoneaaa$||
redirect-http|anyconnect|BadRedirect|0|^redirect to a URL that is not https: Location \"http://$ADDR/phone\"|302 to http://||
close-after|anyconnect|-|5|-|#2 CONNECT 200||
close-silent|anyconnect|-|5|-|#2 CONNECT 200||
connect-retry|anyconnect|-|5|-|#2 CONNECT 200 .* after a dropped CONNECT||
connect-drop|anyconnect|ClosedDuringSetup|0|^connection closed by the headend before the reply, on a new connection too$|#2 CONNECT again: closed before a status line||
idle|anyconnect|IdleTimeout|5|^the headend ended the session after 4 s without data from the phone \(X-CSTP-Idle-Timeout: 4\) \[ASA: vpn-idle-timeout|idle for 4 s: DISCONNECT|run.duration=9s|--idle 4
rekey|anyconnect|-|5|-|#3 CONNECT 200|run.duration=8s|--rekey 3
chunk-overflow|anyconnect|HttpMalformed|0|^malformed HTTP reply: chunk size past the body limit$|chunk size of 24 hex digits||
chunk-lie|anyconnect|HttpMalformed|0|^malformed HTTP reply: chunk data not followed by CRLF \(the chunk size lied\)$|chunk size 10 before 37 bytes||
chunk-lie|phone|HttpMalformed|0|^malformed HTTP reply: chunk data not followed by CRLF \(the chunk size lied\)$|chunk size 10 before 37 bytes||
chunk-stall|anyconnect|ConnectTimeout|0|^conn timer expired \(3 s\): abort_connect: in auth phase$|then silence|run.connect_timeout=3s run.duration=5s|
chunk-endless|anyconnect|HttpMalformed|0|^malformed HTTP reply: reply body past its limit$|4 KB chunks without end||
"

tmp=${PSW_TEST_DIR:-/tmp/phoneswarm-tests}/$NAME
rm -rf "$tmp"
mkdir -p "$tmp"
pids=()

listening() { # PORT: something listens on it in the namespace
	ip netns exec "$LAB_NS" ss -Hltn "sport = :$1" 2>/dev/null | grep . >/dev/null
}
# Wait until something listens on port $1 in the namespace (at most 3 s).
wait_listen() { wait_until 3 "asaheadend listening on port $1" listening "$1"; }

stop_headends() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
	pids=()
}
on_exit stop_headends

sed '/^\[expect\]/,$d' scenarios/demo.ini >"$tmp/demo.ini"
failed=0
ran=0
n=0
want_modes=" $* "
while IFS='|' read -r mode client reason up detail_re log_re extra asa_args; do
	[ -n "$mode" ] || continue
	[ $# -eq 0 ] || [[ "$want_modes" == *" $mode "* ]] || continue
	n=$((n + 1))
	ran=$((ran + 1))
	name="$mode/$client${extra:+ ($extra)}"
	out=$tmp/$n
	mkdir -p "$out"

	# shellcheck disable=SC2086 # asa_args holds options, split on purpose
	ip netns exec "$LAB_NS" "$ASA" --listen "$ADDR:$PORT" --cert "$PKI/headend-rsa.pem" \
		--key "$PKI/headend-rsa.key" --mode "$mode" \
		--redirect-to "https://$ADDR:$MPORT/phone" --reason "$WORDS" $asa_args \
		2>"$out/asa.log" &
	pids+=($!)
	ip netns exec "$LAB_NS" "$ASA" --listen "$ADDR:$MPORT" --cert "$PKI/headend-rsa2.pem" \
		--key "$PKI/headend-rsa2.key" --mode asa 2>"$out/member.log" &
	pids+=($!)
	if ! wait_listen $PORT || ! wait_listen $MPORT; then
		echo "FAIL $name: asaheadend did not listen: $(cat "$out/asa.log" "$out/member.log")"
		failed=$((failed + 1))
		stop_headends
		continue
	fi

	duration=4
	args=(-s "headend.url=https://$ADDR:$PORT/phone" -s phones.count=5 -s ramp.rate=50
	      -s run.duration=4s -s dtls.mode=off -s "headend.cert_hashes=$RSA"
	      -s "phones.client=$client")
	for kv in $extra; do
		args+=(-s "$kv")
		case $kv in run.duration=*s) duration=${kv#run.duration=}; duration=${duration%s} ;; esac
	done
	t0=$(date +%s%N)
	rc=0
	timeout 60 "$PSW" run "$tmp/demo.ini" "${args[@]}" -o "$out" --force -q >"$out/stdout" 2>"$out/stderr" || rc=$?
	elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
	stop_headends

	why=
	if [ $rc -eq 124 ]; then
		why="phoneswarm hung (killed by timeout 60)"
	elif [ $rc -ge 128 ]; then
		why="phoneswarm died of signal $((rc - 128)) (exit $rc)"
	elif [ $rc -ne 0 ]; then
		why="phoneswarm exited $rc: $(head -c 300 "$out/stderr")"
	elif [ ! -s "$out/report.json" ]; then
		why="no report.json"
	elif [ "$elapsed_ms" -gt $(((duration + 5) * 1000)) ]; then
		why="took ${elapsed_ms} ms for a ${duration} s run"
	fi
	if grep -q 'ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer' "$out/stderr"; then
		why="${why:+$why; }sanitizer report: $(grep -m1 'ERROR\|runtime error' "$out/stderr")"
	fi
	if [ -z "$why" ]; then
		got=$(jq -c '.failures' "$out/report.json")
		got_up=$(jq '.phones.tunnels_up' "$out/report.json")
		if [ "$reason" = - ]; then
			ok=$(jq --argjson up "$up" '(.failures | length) == 0 and .phones.tunnels_up == $up' \
				"$out/report.json")
		else
			ok=$(jq --arg r "$reason" --argjson up "$up" '.failures[$r] == 5 and
				(.failures | length) == 1 and .phones.tunnels_up == $up' "$out/report.json")
		fi
		[ "$ok" = true ] || why="expected failures {${reason/-/}:5 or none}, tunnels_up $up; got $got, tunnels_up $got_up"
	fi
	if [ -z "$why" ] && [ "$detail_re" != - ]; then
		rows=0
		details=$(csv_cols "$out/failures.csv" detail)
		if [ -n "$details" ]; then
			while IFS= read -r d; do
				rows=$((rows + 1))
				[[ $d =~ $detail_re ]] || { why="failures.csv detail '$d' does not match /$detail_re/"; break; }
			done <<<"$details"
		fi
		[ -n "$why" ] || [ "$rows" -eq 5 ] || why="failures.csv has $rows rows, not 5"
	fi
	if [ -z "$why" ] && [ "$log_re" != - ]; then
		# each phone's address must show the line (the member's log counts for redirects)
		for i in 1 2 3 4 5; do
			# (no grep -q: its early exit would fail the pipe under pipefail)
			grep -hE "^asaheadend: 198\.18\.64\.$i#" "$out/asa.log" "$out/member.log" |
				grep -E "$log_re" >/dev/null ||
				{ why="the headend's log has no /$log_re/ for 198.18.64.$i"; break; }
		done
	fi
	case "$mode${extra}" in
	redirect*cert_hashes*) [ -n "$why" ] || [ "$(jq '.phones.redirects' "$out/report.json")" = 5 ] ||
		why="phones.redirects $(jq '.phones.redirects' "$out/report.json"), not 5" ;;
	rekey*) [ -n "$why" ] || [ "$(jq '.phones.rekeys >= 10' "$out/report.json")" = true ] ||
		why="phones.rekeys $(jq '.phones.rekeys' "$out/report.json"), not >= 10 (2 per phone in 8 s at 3 s)" ;;
	esac
	if [ -z "$why" ]; then
		echo "PASS $name ($(jq -c '.failures' "$out/report.json"), ${elapsed_ms} ms)"
	else
		echo "FAIL $name: $why"
		failed=$((failed + 1))
		head -n 10 "$out/stderr" | sed 's/^/    /'
		head -n 12 "$out/asa.log" | sed 's/^/    headend: /'
	fi
done <<<"$CASES"

[ "$ran" -gt 0 ] || fail "$NAME" "no case matched: $*"
[ "$failed" = 0 ] || fail "$NAME" "$failed of $ran cases failed"
pass "$NAME ($ran cases)"
