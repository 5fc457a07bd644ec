#!/bin/bash
# tests/lab/test_bad_headend.sh: every way a headend can misbehave is a named failure.
#
# For each case, a mode of tests/tools/badheadend (run inside the lab namespace on
# 198.18.0.1:4443 with the lab's RSA headend certificate), five phones are sent at it
# and must end exactly as the table says: report.json's failures, tunnels and DTLS
# channels up, the phase failures.csv names for the phones' failures, an exit status
# of 0 (not a crash, not the 60 s timeout) and a run that ended in bounded time.
#
# The phones log in with the phone's own exchange (GET, webvpnlogin, form POST), and
# failures.csv must say what the headend answered; cases marked
# phones.client=anyconnect use the desktop XML exchange.
#
# The cases whose misbehaviour comes once the tunnel is up run twice: with DTLS off,
# and with DTLS on (the desktop client with dtls.mode=psk: badheadend offers PSK-NEGOTIATE DTLS 1.2, brings
# the phones' DTLS channel up, and only then misbehaves), where every phone must also
# have had DTLS up. dtls-alert refuses the DTLS handshake itself (DtlsFailed; the
# tunnel carries on over TLS). stall-tls, stall-auth and stall-connect hold each
# phone in one phase until its connect timer ends it (ConnectTimeout in the tls,
# auth and cstp phases); bad-hello, garbage-hello and bad-record break TLS itself
# (TlsError). dpd-slow, dpd-late and reset-tenth test the tunnel's liveness and the
# phones' reconnection (below the tables).
#
#   tests/lab/test_bad_headend.sh [BUILD_DIR] [CASE...]
#
# The cases come in two groups, so that each test ends within tests/run-lab's 180 s:
# those of CASES (DTLS off) here, those of DTLS_CASES (DTLS at stake) in
# test_bad_headend_dtls.sh, which runs this file with BAD_HEADEND_GROUP=dtls.
# scripts/bench-hostile runs both tables with 1,000 phones.
# BUILD_DIR defaults to build (use build-asan for the sanitizer build); the cases
# default to all of the group (a case is MODE or MODE+dtls, of either group). Exit 0 if
# all pass, 1 otherwise.
GROUP=${BAD_HEADEND_GROUP:-tls}
NAME=test_bad_headend
[ "$GROUP" = tls ] || NAME=test_bad_headend_$GROUP

# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require

BUILD=${1:-${BUILD:-build}}
shift || :
cd "$LAB_ROOT"
PSW=${PSW:-$BUILD/phoneswarm}
BAD=$(dirname "$PSW")/badheadend
[ -x "$BAD" ] || BAD=build/badheadend
ADDR=198.18.0.1
PORT=4443

for f in "$PSW" "$BAD"; do
	[ -x "$f" ] || fail "$NAME" "$f not built (make $f)"
done

# case  failures(JSON)  tunnels_up  dtls_up  phase  overrides (space-separated -s values)
# (phase: where failures.csv must place every failure; - for no failure). The phones
# log in with the phone's own exchange unless the case says phones.client=anyconnect.
CASES='
normal          {}                        5 0 -      -
normal          {}                        5 0 -      phones.client=anyconnect
garbage-auth    {"HttpMalformed":5}       0 0 auth   -
huge-head       {"HttpMalformed":5}       0 0 auth   -
status-404      {"HttpStatus":5}          0 0 auth   -
auth-401        {"AuthFailed":5}          0 0 auth   -
form            {"WebvpnCookieNotFound":5} 0 0 auth  -
form            {"AuthFailed":5}          0 0 auth   phones.client=anyconnect
no-cookie       {"WebvpnCookieNotFound":5} 0 0 auth  -
no-cookie       {"WebvpnCookieNotFound":5} 0 0 auth  phones.client=anyconnect
svc-html        {"WebvpnCookieNotFound":5} 0 0 auth  -
svc-redirect    {"HttpStatus":5}          0 0 auth   -
svc-no-cookies  {"WebvpnCookieNotFound":5} 0 0 auth  -
svc-empty-login {"WebvpnLoginInvalid":5}  0 0 auth   -
svc-login-twice {"WebvpnLoginInvalid":5}  0 0 auth   -
svc-close-get   {"ClosedDuringSetup":5}   0 0 auth   -
connect-503     {"TunnelRefused":5}       0 0 cstp   -
connect-garbage {"HttpMalformed":5}       0 0 cstp   -
close-tls       {"TlsRefused":5}          0 0 tls    -
close-auth      {"ClosedDuringSetup":5}   0 0 auth   -
bad-magic       {"CstpMalformed":5}       5 0 up     -
oversized       {"CstpMalformed":5}       5 0 up     -
truncated       {"ClosedByHeadend":5}     5 0 up     -
disconnect      {"ClosedByHeadend":5}     5 0 up     run.duration=4s
silent-dpd      {"DpdTimeout":5}          5 0 up     run.duration=8s
stall-tls       {"ConnectTimeout":5}      0 0 tls    run.connect_timeout=3s run.duration=5s
stall-auth      {"ConnectTimeout":5}      0 0 auth   run.connect_timeout=3s run.duration=5s
stall-connect   {"ConnectTimeout":5}      0 0 cstp   run.connect_timeout=3s run.duration=5s
alert           {"TlsNoSharedCipher":5}   0 0 tls    -
alert-internal  {"TlsAlertReceived":5}    0 0 tls    -
bad-hello       {"TlsError":5}            0 0 tls    -
bad-record      {"TlsError":5}            5 0 up     -
garbage-hello   {"TlsError":5}            0 0 tls    -
dpd-slow        {}                        5 0 -      run.duration=8s
dpd-late        {"DpdTimeout":5}          5 0 up     run.duration=8s
reset-tenth     resets                    5 0 up     run.duration=10s phones.reconnect_backoff=1s
'
DTLS_CASES='
dtls-psk        {"DtlsFailed":5}          5 0 dtls   dtls.mode=auto
dtls12          {"DtlsFailed":5}          5 0 dtls   dtls.mode=auto
normal+dtls     {}                        5 5 -      phones.client=anyconnect
bad-magic+dtls  {"CstpMalformed":5}       5 5 up     phones.client=anyconnect
oversized+dtls  {"CstpMalformed":5}       5 5 up     phones.client=anyconnect
truncated+dtls  {"ClosedByHeadend":5}     5 5 up     phones.client=anyconnect
disconnect+dtls {"ClosedByHeadend":5}     5 5 up     run.duration=4s phones.client=anyconnect
silent-dpd+dtls {"DpdTimeout":10}         5 5 dtls,up run.duration=8s phones.client=anyconnect
bad-record+dtls {"TlsError":5}            5 5 up     phones.client=anyconnect
dtls-alert+dtls {"DtlsFailed":5}          5 0 dtls   phones.client=anyconnect
stall-dtls+dtls {"DtlsTimeout":5}         5 0 dtls   run.connect_timeout=3s run.duration=5s phones.client=anyconnect
dtls-garbage+dtls {"DpdTimeout":5}        5 5 dtls   run.duration=6s phones.client=anyconnect
dpd-slow+dtls   {}                        5 5 -      run.duration=8s phones.client=anyconnect
dpd-late+dtls   {"DpdTimeout":5}          5 5 dtls   run.duration=8s phones.client=anyconnect
'
# Runs last 2 s, so that each group of cases ends within tests/run-lab's 180 s (each
# phone's failure comes at once: exactly five in a case show that none is retried in
# the run; a phone's reconnection waits 10 s, phones.reconnect_backoff, beyond every
# run); disconnect's last 4 s (badheadend ends the tunnel after 2 s).
# A phone finds a channel dead when it has received nothing on it for 2 x its DPD,
# having sent a DPD after 1 x DPD (docs/failures.md, DpdTimeout). Hence, with the
# DPD of 2 s that badheadend gives in those modes: silent-dpd (never answered) and
# dpd-late (answered 3 s after the request, 5 s after the last thing received) find
# the channel dead at 4 s; dpd-slow gives a DPD of 4 s and answers 1 s after the
# request, 5 s after the last thing received, well within 8 s: no failure, and
# every DPD round trip (latency dpd_rtt) at least 1 s, one at least per phone.
# silent-dpd+dtls: badheadend gives DTLS a 1 s DPD and CSTP 2 s, so each phone finds
# its DTLS channel dead first (a DpdTimeout in phase dtls), then its tunnel (in up).
# dpd-late+dtls: only DTLS's DPD (2 s) is late (CSTP's, 30 s, is answered at once):
# DTLS is found dead (phase dtls) and the tunnel carries on over TLS.
# stall-dtls+dtls: DTLS offered, its datagrams read and never answered: the
# handshake's connect timer (3 s) ends it (DtlsTimeout), the tunnel carries on.
# dtls-garbage+dtls: once DTLS is up, badheadend sends on it only records that fail
# their integrity check and datagrams that are no DTLS record, and answers no DPD:
# the phone drops them (traffic.dtls_rx_dropped, at least the two answering each
# phone's first DPD) and finds DTLS dead after 2 x its 2 s DPD.
# reset-tenth: every 3 s badheadend resets (TCP RST) a tenth of the tunnels that are
# up, at least one, and says so on stderr: each reset is a tunnel dropped
# (ClosedByHeadend, phase up) and the phone comes back (a reconnection) after 1 s
# (phones.reconnect_backoff; 2 s for its second drop...): failures must be exactly
# {"ClosedByHeadend": resets}, tunnels_dropped the resets, and each drop either
# reconnected or still waiting when the run ended (reconnects + aborted_at_end), with
# no reconnection failing and no phone down for good.
# The +dtls cases use PSK-NEGOTIATE, which only the desktop client offers.

# what failures.csv must say of the phone's login failures (the phone's own client)
declare -A DETAIL=(
	[status-404]="HTTP 404 Not found on GET /"
	[auth-401]="HTTP 401 Authentication failed on GET /"
	[form]="'webvpn=' not found in cookie (GET / answered with the desktop AnyConnect XML login)"
	[no-cookie]="'webvpn=' not found in cookie (POST / answered with no body)"
	[svc-html]="'webvpn=' not found in cookie (GET / answered with an HTML page)"
	[svc-redirect]="HTTP 302 Found on GET / (a redirect)"
	[svc-no-cookies]="'webvpn=' not found in cookie (GET / answered with no body)"
	[svc-empty-login]="GET / answered with a webvpnlogin cookie without a value"
	[svc-login-twice]="GET / answered with webvpnlogin set more than once"
	[svc-close-get]="connection closed by the headend before the reply, on a new connection too"
	[dtls-psk]="DTLS setup failure: the headend's x-dtls-ciphersuite is not a DTLSv0.9 cipher the phone offered"
	[dtls12]="DTLS setup failure: the headend's x-dtls-ciphersuite is not a DTLSv0.9 cipher the phone offered"
)
# what else report.json must say (a jq expression that must be true)
declare -A JQ_CHECK=(
	[dpd-slow]='.latency_us.dpd_rtt.count >= 5 and .latency_us.dpd_rtt.min >= 1000000'
	[dtls-garbage]='.traffic.dtls_rx_dropped >= 10'
)

tmp=${PSW_TEST_DIR:-/tmp/phoneswarm-tests}/$NAME
rm -rf "$tmp"
mkdir -p "$tmp"
bad_pid=""
stop_bad() {
	if [ -n "$bad_pid" ]; then
		kill "$bad_pid" 2>/dev/null || :
		wait "$bad_pid" 2>/dev/null || :
		bad_pid=""
	fi
}
on_exit stop_bad

listening() { ip netns exec "$LAB_NS" ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; }

# demo.ini without its [expect]: here a broken headend fails the phones on purpose
sed '/^\[expect\]/,$d' scenarios/demo.ini >"$tmp/demo.ini"
failed=0
ran=0
want=" $* "
while read -r case failures up dtls_up phase extra; do
	[ -n "$case" ] || continue
	[ $# -eq 0 ] || [[ "$want" == *" $case "* ]] || continue
	ran=$((ran + 1))
	mode=${case%+dtls}
	dtls=off
	[ "$mode" = "$case" ] || dtls=psk
	out=$tmp/$ran-$case
	mkdir -p "$out"

	ip netns exec "$LAB_NS" "$BAD" --listen "$ADDR:$PORT" \
		--cert "$LAB_DIR/pki/headend-rsa.pem" --key "$LAB_DIR/pki/headend-rsa.key" \
		--mode "$mode" 2>"$out/badheadend.err" &
	bad_pid=$!
	if ! wait_until 3 "badheadend listening" listening; then
		echo "FAIL $case: badheadend did not listen: $(cat "$out/badheadend.err")"
		failed=$((failed + 1))
		stop_bad
		continue
	fi

	duration=2
	args=(-s "headend.url=https://$ADDR:$PORT/" -s phones.count=5 -s ramp.rate=50
	      -s run.duration=2s -s dtls.mode=$dtls)
	if [ "$extra" != - ]; then
		for kv in $extra; do
			args+=(-s "$kv")
			case $kv in run.duration=*s) duration=${kv#run.duration=}; duration=${duration%s} ;; esac
		done
	fi
	t0=$(date +%s%N)
	rc=0
	timeout 60 "$PSW" run "$tmp/demo.ini" "${args[@]}" -o "$out" --force -q \
		>"$out/stdout" 2>"$out/stderr" || rc=$?
	elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
	stop_bad

	why=""
	if [ $rc -eq 124 ]; then
		why="phoneswarm hung (killed by timeout 60)"
	elif [ $rc -ge 128 ]; then
		why="phoneswarm died of signal $((rc - 128)) (exit $rc)"
	elif [ $rc -ne 0 ]; then
		why="phoneswarm exited $rc"
	elif [ ! -s "$out/report.json" ]; then
		why="no report.json"
	elif [ "$elapsed_ms" -gt $(((duration + 5) * 1000)) ]; then
		why="took ${elapsed_ms} ms for a ${duration} s run"
	fi
	if grep -q 'ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer' "$out/stderr"; then
		why="${why:+$why; }sanitizer report: $(grep -m1 'ERROR\|runtime error' "$out/stderr")"
	fi
	if [ -z "$why" ] && [ "$failures" = resets ]; then
		# badheadend's word for each reset, against what the phones counted
		resets=$(grep -c '^badheadend: reset a tunnel$' "$out/badheadend.err" || :)
		if [ "$resets" -lt 1 ]; then
			why="badheadend reset no tunnel"
		else
			got=$(jq -c '[.failures, .phones.tunnels_dropped, .phones.reconnects + .phones.aborted_at_end, .phones.reconnect_failures, .phones.failed]' "$out/report.json")
			exp="[{\"ClosedByHeadend\":$resets},$resets,$resets,0,0]"
			[ "$got" = "$exp" ] || why="$resets resets: want [failures, tunnels_dropped, reconnects + aborted_at_end, reconnect_failures, failed] $exp; got $got"
		fi
		failures=$(jq -c '.failures' "$out/report.json")
	fi
	if [ -z "$why" ] && [ -n "${JQ_CHECK[$mode]:-}" ]; then
		jq -e "${JQ_CHECK[$mode]}" "$out/report.json" >/dev/null ||
			why="report.json: want ${JQ_CHECK[$mode]}; got $(jq -c '[.latency_us.dpd_rtt.count, .latency_us.dpd_rtt.min, .traffic.dtls_rx_dropped]' "$out/report.json") ([dpd_rtt count, min, dtls_rx_dropped])"
	fi
	if [ -z "$why" ]; then
		got=$(jq -c '[.failures, .phones.tunnels_up, .phones.dtls_up]' "$out/report.json")
		exp=$(jq -cn --argjson f "$failures" --argjson u "$up" --argjson d "$dtls_up" '[$f, $u, $d]')
		[ "$got" = "$exp" ] || why="want [failures, tunnels_up, dtls_up] $exp; got $got"
	fi
	if [ -z "$why" ] && [ "$phase" != - ]; then
		# every failure record in the phase the table names (or one of them)
		got=$(csv_cols "$out/failures.csv" phase | sort -u | paste -sd, -)
		[ "$got" = "$phase" ] || why="failures.csv phases: want $phase, got ${got:-none}"
	fi
	if [ -z "$why" ] && [ -n "${DETAIL[$mode]:-}" ] && [[ "$extra" != *phones.client=anyconnect* ]]; then
		# the detail begins with it (a hint or the headend's words may follow)
		n=$(csv_cols "$out/failures.csv" detail |
			awk -v d="${DETAIL[$mode]}" 'index($0, d) == 1 { n++ } END { print n + 0 }')
		[ "$n" = 5 ] || why="failures.csv: want 5 lines \"${DETAIL[$mode]}\", got $n: $(csv_cols "$out/failures.csv" detail | sed -n 1p)"
	fi
	if [ -z "$why" ]; then
		echo "PASS $case ($(jq -c '.failures' "$out/report.json"), dtls_up $dtls_up, ${elapsed_ms} ms)"
	else
		echo "FAIL $case: $why"
		failed=$((failed + 1))
		if [ -s "$out/stderr" ]; then head -n 20 "$out/stderr" | sed 's/^/    /'; fi
	fi
done <<<"$(if [ $# -gt 0 ]; then echo "$CASES$DTLS_CASES"
	elif [ "$GROUP" = dtls ]; then echo "$DTLS_CASES"
	else echo "$CASES"; fi)"

[ "$ran" -gt 0 ] || fail "$NAME" "no case matched: $*"
[ "$failed" = 0 ] || fail "$NAME" "$failed of $ran cases failed"
pass "$NAME ($ran cases)"
