#!/bin/bash
# test_password.sh: phones that log in with a user name and password (the lab's users
# SEP<MAC> / phonepass) instead of a certificate. Right password: every phone up, the
# headend shows it as SEP<MAC>. Wrong password: AuthFailed for every phone, once each
# (a phone does not retry a refused password). A space in the password: the phone
# refuses it before trying (CredentialsRefusedByPhone), and never reaches the headend.
NAME=test_password
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=5
MAC=02AB00000F00   # inside the lab's user range (02:AB:00:00:00:00 + 0..4095)
PREFIX=SEP02AB00000F0
PW="-s phones.auth=password -s phones.user=SEP%m -s phones.mac_base=$MAC"

expected=$(for i in $(seq 0 $((N - 1))); do echo "SEP$(mac_hex $MAC "$i")"; done | jq -R . | jq -sc 'sort')
# shellcheck disable=SC2086
psw_start -s phones.count=$N $PW -s phones.password="$LAB_PASSWORD" -s run.duration=6s
lab_wait_like "$PREFIX" $N 10 ||
	fail "$NAME" "headend: want $N connected $PREFIX* sessions, got $(lab_users_like "$PREFIX" | jq -c '[.[] | {u: .Username, s: .State}]')"
names=$(lab_users_like "$PREFIX" | jq -c '[.[].Username] | sort')
expect_eq "$NAME: headend user names" "$expected" "$names"
psw_wait 20
expect_rc "$NAME" 0
expect_eq "$NAME: report failures" "{}" "$(report '.failures | tojson')"
expect_eq "$NAME: report phones [attempted,tunnels_up,failed,disconnected]" "$N,$N,0,$N" \
	"$(report '[.phones.attempted, .phones.tunnels_up, .phones.failed, .phones.disconnected] | @csv')"

lab_wait_like "$PREFIX" 0 5 || fail "$NAME" "sessions left on the headend after the run"

# A wrong password reaches the headend (the phones log in; it refuses them there),
# so the headend may list them while they authenticate, never connected. ocserv asks
# for the user name and the password in two forms; a phone answers each once and
# takes the form that comes after its password (the refusal) as final: it does not
# retry a refused password.
# shellcheck disable=SC2086
PSW_NEVER=connected psw_all_fail "$NAME (wrong password)" $N AuthFailed 10 "$PREFIX" $PW \
	-s phones.password=wrongpass -s run.duration=1s --trace 0
expect_eq "$NAME (wrong password): the forms phone 0 answered" \
	'"Please enter your username." "Please enter your password."' \
	"$(sed -n 's/.*login form \(".*"\): answering$/\1/p' "$T"/trace/*SEP"$(mac_hex $MAC 0)".log | paste -sd' ' -)"
# shellcheck disable=SC2086
psw_all_fail "$NAME (space in password)" $N CredentialsRefusedByPhone 5 "$PREFIX" $PW \
	-s "phones.password=phone pass" -s run.duration=1s
pass "$NAME ($N up as SEP<MAC>; $N x AuthFailed with a wrong password; $N x CredentialsRefusedByPhone with a space)"
