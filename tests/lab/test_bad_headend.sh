#!/bin/bash
# tests/lab/test_bad_headend.sh: every way a headend can misbehave is a named failure.
#
# For each mode of tests/tools/badheadend (run inside the lab namespace on
# 198.18.0.1:4443 with the lab's RSA headend certificate), five phones are
# sent at it and report.json must show exactly five failures of the expected
# reason, the expected number of tunnels up, an exit status of 0 (not a crash,
# not the 60 s timeout) and a run that ended in bounded time. The phones log
# in with the phone's own exchange unless the case says phones.client =
# anyconnect; for the phone's login the failure's detail in failures.csv
# must say what the headend answered.
#
#   tests/lab/test_bad_headend.sh [BUILD_DIR] [MODE...]
#
# BUILD_DIR defaults to build (use build-asan for the sanitizer build); the
# modes default to all of them. Exit 0 if all pass, 1 otherwise, 77 to skip.
set -u

# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require

BUILD=${1:-${BUILD:-build}}
shift 2>/dev/null
cd "$LAB_ROOT" || exit 1
PSW=${PSW:-$BUILD/phoneswarm}
BAD=$(dirname "$PSW")/badheadend
[ -x "$BAD" ] || BAD=build/badheadend
ADDR=198.18.0.1
PORT=4443

for f in "$PSW" "$BAD"; do
	[ -x "$f" ] || { echo "SKIP: $f not built" >&2; exit 77; }
done

# mode  expected-reason  tunnels_up  extra overrides (space-separated -s values)
CASES="
normal          -                  5
normal          -                  5  phones.client=anyconnect
garbage-auth    HttpMalformed      0
huge-head       HttpMalformed      0
status-404      HttpStatus         0
auth-401        AuthFailed         0
form            WebvpnCookieNotFound 0
form            AuthFailed         0  phones.client=anyconnect
no-cookie       WebvpnCookieNotFound 0
no-cookie       WebvpnCookieNotFound 0  phones.client=anyconnect
svc-html        WebvpnCookieNotFound 0
svc-redirect    HttpStatus         0
svc-no-cookies  WebvpnCookieNotFound 0
svc-empty-login WebvpnLoginInvalid 0
svc-login-twice WebvpnLoginInvalid 0
svc-close-get   ClosedDuringSetup  0
dtls-psk        DtlsFailed         5  dtls.mode=auto
dtls12          DtlsFailed         5  dtls.mode=auto
connect-503     TunnelRefused      0
connect-garbage HttpMalformed      0
close-tls       TlsRefused         0
close-auth      ClosedDuringSetup  0
bad-magic       CstpMalformed      5
oversized       CstpMalformed      5
truncated       ClosedByHeadend    5
disconnect      ClosedByHeadend    5
silent-dpd      DpdTimeout         5  run.duration=8s
stall-tls       ConnectTimeout     0  run.connect_timeout=3s run.duration=5s
alert           TlsNoSharedCipher  0
alert-internal  TlsAlertReceived   0
"

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
	[svc-close-get]="connection"
	[dtls-psk]="DTLS setup failure: the headend's x-dtls-ciphersuite is not a DTLSv0.9 cipher the phone offered"
	[dtls12]="DTLS setup failure: the headend's x-dtls-ciphersuite is not a DTLSv0.9 cipher the phone offered"
)

tmp=$(mktemp -d)
bad_pid=
cleanup() {
	[ -n "$bad_pid" ] && kill "$bad_pid" 2>/dev/null && wait "$bad_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# Wait until the headend listens (at most 3 s).
wait_listen() {
	for _ in $(seq 30); do
		ip netns exec "$LAB_NS" ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# demo.ini without its [expect]: here a broken headend fails the phones on purpose
sed '/^\[expect\]/,$d' scenarios/demo.ini >"$tmp/demo.ini"
failed=0
ran=0
want_modes=" $* "
while read -r mode reason up extra; do
	[ -n "$mode" ] || continue
	[ $# -eq 0 ] || [[ "$want_modes" == *" $mode "* ]] || continue
	ran=$((ran + 1))
	out=$tmp/$mode${extra:+-${extra//[^a-z]/}}
	mkdir -p "$out"

	ip netns exec "$LAB_NS" "$BAD" --listen "$ADDR:$PORT" \
		--cert "$LAB_DIR/pki/headend-rsa.pem" --key "$LAB_DIR/pki/headend-rsa.key" \
		--mode "$mode" 2>"$out/badheadend.err" &
	bad_pid=$!
	if ! wait_listen; then
		echo "FAIL $mode: badheadend did not listen: $(cat "$out/badheadend.err")"
		failed=$((failed + 1))
		kill "$bad_pid" 2>/dev/null; wait "$bad_pid" 2>/dev/null; bad_pid=
		continue
	fi

	duration=4
	args=(-s "headend.url=https://$ADDR:$PORT/" -s phones.count=5 -s ramp.rate=50
	      -s run.duration=4s -s dtls.mode=off)
	for kv in $extra; do
		args+=(-s "$kv")
		case $kv in run.duration=*s) duration=${kv#run.duration=}; duration=${duration%s} ;; esac
	done
	t0=$(date +%s%N)
	timeout 60 "$PSW" run "$tmp/demo.ini" "${args[@]}" -o "$out" --force -q \
		>"$out/stdout" 2>"$out/stderr"
	rc=$?
	elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
	kill "$bad_pid" 2>/dev/null
	wait "$bad_pid" 2>/dev/null
	bad_pid=

	why=
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
	if [ -z "$why" ]; then
		got=$(jq -c '.failures' "$out/report.json")
		got_up=$(jq '.phones.tunnels_up' "$out/report.json")
		if [ "$reason" = - ]; then
			ok=$(jq --argjson up "$up" '(.failures | length) == 0 and
				.phones.tunnels_up == $up and .phones.disconnected == $up' "$out/report.json")
			expect="no failures, $up tunnels up, $up disconnected"
			got="failures $got, tunnels_up $got_up, disconnected $(jq '.phones.disconnected' "$out/report.json")"
		else
			ok=$(jq --arg r "$reason" --argjson up "$up" '.failures[$r] == 5 and
				(.failures | length) == 1 and .phones.tunnels_up == $up' "$out/report.json")
			expect="failures {\"$reason\":5}, tunnels_up $up"
			got="failures $got, tunnels_up $got_up"
		fi
		[ "$ok" = true ] || why="expected $expect; got $got"
	fi
	if [ -z "$why" ] && [ -n "${DETAIL[$mode]:-}" ] && [[ "$extra" != *phones.client=anyconnect* ]]; then
		# a detail with a comma (a hint, the headend's words) is quoted in the CSV
		n=$(grep -cF -e ",$reason,${DETAIL[$mode]}" -e ",$reason,\"${DETAIL[$mode]}" "$out/failures.csv")
		[ "$n" = 5 ] || why="failures.csv: want 5 lines \",$reason,${DETAIL[$mode]}\", got $n: $(sed -n 2p "$out/failures.csv")"
	fi
	if [ -z "$why" ]; then
		echo "PASS $mode ($(jq -c '.failures' "$out/report.json"), ${elapsed_ms} ms)"
	else
		echo "FAIL $mode: $why"
		failed=$((failed + 1))
		if [ -s "$out/stderr" ]; then sed 's/^/    /' "$out/stderr" | head -20; fi
	fi
done <<<"$CASES"

echo "$((ran - failed)) passed, $failed failed"
[ $failed -eq 0 ]
