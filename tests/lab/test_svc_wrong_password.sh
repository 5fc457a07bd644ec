#!/bin/bash
# test_svc_wrong_password.sh: a phone's form POST with a wrong password, on ocserv 1.3.
#
# Password phones (the lab's users SEP<MAC>) log in at /svc with the phone's exchange.
# With the right password they come up as SEP<MAC>; with a wrong one ocserv answers
# the POST "401 Authentication failed" (then an access_denied alert and close): every
# phone fails once with AuthFailed, failures.csv "HTTP 401 on POST /svc", its console
# log the 401, and the headend never has a connected session of theirs.
NAME=test_svc_wrong_password
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
N=5
MAC=02AB00000E40
PREFIX=SEP02AB00000E4
TRACE=CP-7962G-SEP$MAC
# 7962s: TLS AES256-SHA, which ocserv also gives them for DTLS, whatever the lab's ciphers
PW=(-s headend.url="$LAB_SVC_URL" -s phones.client=phone -s phones.auth=password -s phones.user=SEP%m
	-s phones.mac_base=$MAC -s phones.models=7962)
psw_all_up "$NAME (right password)" $N "${PW[@]}" -s phones.password="$LAB_PASSWORD" -s run.duration=2s
psw_all_fail "$NAME (wrong password)" $N AuthFailed 10 "${PREFIX}X" "${PW[@]}" \
	-s phones.password=not-the-password -s run.duration=1s --trace 0
n=$(csv_cols "$T/failures.csv" reason detail | grep -cE $'^AuthFailed\tHTTP 401( [^,]*)? on POST /svc' || :)
expect_eq "$NAME: failures.csv lines \"HTTP 401 on POST /svc\"" $N "$n"
for line in "VPNC: -do_login: webvpnlogin cookie: POST /svc (username SEP$MAC)" \
	"VPNC: -do_login: POST /svc: HTTP 401 Authentication failed"; do
	grep -qF "$line" "$T/trace/$TRACE.log" || fail "$NAME" "trace lacks \"$line\": $(tail -n 6 "$T"/trace/*.log)"
done
# the headend: no connected session of theirs (psw_all_fail watched "${PREFIX}X", none can match)
[ "$(lab_users_like "$PREFIX" | jq '[.[] | select(.State == "connected")] | length')" = 0 ] ||
	fail "$NAME" "headend: a connected session after a wrong password: $(lab_users_like "$PREFIX" | jq -c '[.[] | {u: .Username, s: .State}]')"
pass "$NAME ($N up with the right password; $N x AuthFailed, 401 on POST /svc, with a wrong one)"
