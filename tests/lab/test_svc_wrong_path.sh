#!/bin/bash
# test_svc_wrong_path.sh: a phone whose URL path is not where the headend serves phones.
#
# ocserv 1.3 serves the phone's login at /svc. Phones configured with /phone (an ASA
# group-url, wrong for ocserv) send the phone's GET there: ocserv answers 404, and every
# phone fails once with HttpStatus, failures.csv saying "HTTP 404 on GET /phone", its
# console log the 404; the headend never shows a session of theirs. The phones at / get
# ocserv's desktop XML login (no webvpn cookie): WebvpnCookieNotFound, "'webvpn=' not
# found in cookie". probe says which login answered at each path: none at /phone
# (HTTP 404, exit 1), the desktop one at / (exit 1), the phone's at /svc (exit 0, the
# headend set up for phones: ciphers=no-ec, so that the probe's DTLS comes up too).
NAME=test_svc_wrong_path
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
N=5
MAC=025000810000
PREFIX=CP-8861-SEP02500081
base=https://vpn.lab.test

psw_all_fail "$NAME (/phone)" $N HttpStatus 10 "$PREFIX" -s headend.url=$base/phone \
	-s phones.client=phone -s phones.mac_base=$MAC -s run.duration=1s --trace 0
n=$(csv_cols "$T/failures.csv" reason detail | grep -cE $'^HttpStatus\tHTTP 404( [^,]*)? on GET /phone' || :)
expect_eq "$NAME (/phone): failures.csv lines \"HTTP 404 on GET /phone\"" $N "$n"
grep -q 'VPNC: -do_login: GET /phone: HTTP 404' "$T"/trace/*.log ||
	fail "$NAME (/phone)" "trace lacks the 404: $(cat "$T"/trace/*.log | tail -n 5)"

psw_all_fail "$NAME (/)" $N WebvpnCookieNotFound 10 "$PREFIX" -s headend.url=$base/ \
	-s phones.client=phone -s phones.mac_base=$MAC -s run.duration=1s --trace 0
n=$(csv_cols "$T/failures.csv" reason detail |
	grep -cF $'WebvpnCookieNotFound\t\'webvpn=\' not found in cookie (GET / answered with the desktop AnyConnect XML login)' || :)
expect_eq "$NAME (/): failures.csv lines \"'webvpn=' not found in cookie\"" $N "$n"
grep -q "VPNC: -do_login: 'webvpn=' not found in cookie" "$T"/trace/*.log ||
	fail "$NAME (/)" "trace lacks the phone's message: $(cat "$T"/trace/*.log | tail -n 5)"

probe() { # PATH WANT_RC WANT_LINE
	local rc=0
	"$PSW" probe "$base$1" --hash "$LAB_HASH" --dns "$LAB_DNS" --source 198.18.64.251 \
		--ca-cert "$LAB_MFG_CA" --ca-key "$LAB_MFG_KEY" --models 8861 >"$T/probe.out" 2>&1 || rc=$?
	expect_eq "$NAME: probe $1 exit status ($(cat "$T/probe.out"))" "$2" "$rc"
	grep -qF "$3" "$T/probe.out" || fail "$NAME" "probe $1: want \"$3\", got: $(cat "$T/probe.out")"
}
lab_set ciphers=no-ec
probe /phone 1 "login at /phone: neither exchange (HTTP 404): a phone cannot log in here"
probe / 1 "login at /: the desktop AnyConnect XML exchange, not the phone's: a phone cannot log in here"
probe /svc 0 "login at /svc: the phone's exchange (login page with webvpnlogin): phones log in"
pass "$NAME ($N x HttpStatus 404 on GET /phone, $N x WebvpnCookieNotFound at /, none on the headend; probe tells the three paths apart)"
