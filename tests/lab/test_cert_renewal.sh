#!/bin/bash
# test_cert_renewal.sh: scenarios/cert-renewal.ini as it is (20 phones, 37 s): the
# renewal procedure of phone-behaviour.md, judged by its own [expect] (exit 0) and
# checked against ocserv's view: between the rotation and the test phone's reset the
# 18 sessions of phones 0-17 are the ones that were up before it (the rotation drops
# nobody); after the final reset, phones 0-15 and 18-19 have sessions and 16-17 (old
# hash only) none; failures.csv names exactly 16 and 17 after the last reset. Against
# ocserv 1.3 (ciphers=no-ec), the phones logging in with their own protocol, as phones
# on the headend.
NAME=test_cert_renewal
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
lab_set ciphers=no-ec
cp "$LAB_ROOT/scenarios/cert-renewal.ini" "$T/lab.ini"
# the phones' sessions in ocserv: their MAC suffixes, sorted, and each session's id
ours() { lab_users | jq -r '[.[] | select((.Username // "") | contains("SEP0250001C")) |
	(.Username | .[-2:])] | sort | join(",")'; }
ids() { lab_users | jq -r '[.[] | select((.Username // "") | contains("SEP0250001C")) | .ID] |
	sort | join(",")'; }
psw_start
sleep 10.5 # the rotation is at 11 s
before=$(ids)
sleep 3 # rotate + 3 s: before the test phone's reset at rotate + 4 s
after=$(ids)
mid=$(ours)
bad=$(lab_phones_bad 0250001C)
sleep 10 # the last reset at 19 s, spread over 2 s: all back by 24 s
final=$(ours)
psw_wait 60
expect_rc "$NAME" 0
expect_eq "$NAME: sessions through the rotation (ids)" "$before" "$after"
expect_eq "$NAME: phones up through the rotation" "00,01,02,03,04,05,06,07,08,09,0A,0B,0C,0D,0E,0F,10,11" "$mid"
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "$bad"
expect_eq "$NAME: phones up after the last reset" "00,01,02,03,04,05,06,07,08,09,0A,0B,0C,0D,0E,0F,12,13" "$final"
last=$(awk -F, -v t="$(report '.events[] | select(.name=="reset-all") | .at_s')" \
	'NR > 1 && $1 >= t { print $2 ":" $6 }' "$T/failures.csv" | sort | tr '\n' ' ')
expect_eq "$NAME: failures after the last reset" "16:CertHashMismatch 17:CertHashMismatch " "$last"
expect_eq "$NAME: headend back on its first certificate" "$(cat "$LAB_DIR/pki/headend-rsa.sha1.b64")" \
	"$("$PSW" certhash "$LAB_DIR/server.pem" 2>/dev/null | awk '$1 == "certHash" {print $2}')"
pass "$NAME"
