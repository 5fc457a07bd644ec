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
# (any state: a session being set up or torn down counts)
ours() { lab_users | jq -r '[.[] | select((.Username // "") | contains("SEP0250001C")) |
	(.Username | .[-2:])] | sort | join(",")'; }
ids() { lab_users | jq -r '[.[] | select((.Username // "") | contains("SEP0250001C")) | .ID] |
	sort | join(",")'; }
sessions() { lab_users | jq -c '[.[] | select((.Username // "") | contains("SEP0250001C")) |
	{key: (.Username | .[-2:]), value: .ID}] | from_entries'; }
up_to_17="00,01,02,03,04,05,06,07,08,09,0A,0B,0C,0D,0E,0F,10,11"
# phones 0-15 reset by reset-fetch: all back, each in a new session; 16-17 untouched
back_after_reset() {
	local now
	now=$(sessions) || return 1
	jq -e -n --argjson a "$s0" --argjson b "$now" '($b | keys | join(",")) == "'"$up_to_17"'" and
		all($b | to_entries[]; if .key == "10" or .key == "11" then .value == $a[.key]
			else .value != $a[.key] end)' >/dev/null
}
psw_start
# Before the rotation: phones 0-17 up, 18-19 (new hash only) refused until the rotation.
wait_value 6 "$up_to_17" ours || fail "$NAME" "after the ramp: want phones 0-17 up, got $GOT"
s0=$(sessions)
psw_wait_event reset-fetch 20 || fail "$NAME" "reset-fetch never fired: $(tail -n 3 "$T/stderr")"
# reset-fetch restarts phones 0-15 (spread 2 s, each 0.5 s after its logout)
wait_until 8 "phones 0-15 back in new sessions after reset-fetch" back_after_reset ||
	fail "$NAME" "after reset-fetch: want 0-15 in new sessions and 16-17 in theirs: before $s0, now $(sessions)"
before=$(ids)
! psw_wait_event rotate 0 2>/dev/null || fail "$NAME" "the rotation came before the phones were seen back"
# Through the rotation, until the test phone's reset: the headend keeps the same 18
# sessions (ids) all along; looked at every 0.2 s. A look counts only if reset-one had
# not fired when it ended: phone 0 logs out at once then (phoneswarm writes the event's
# line as it hands the phones the command, long before a logout reaches the headend).
psw_wait_event rotate 10 || fail "$NAME" "the rotation never fired: $(tail -n 3 "$T/stderr")"
n=0
while :; do
	after=$(ids)
	! psw_wait_event reset-one 0 2>/dev/null || break
	expect_eq "$NAME: sessions through the rotation (ids), sample $n" "$before" "$after"
	n=$((n + 1))
	kill -0 "$PSW_PID" 2>/dev/null || fail "$NAME" "phoneswarm ended before reset-one"
	sleep 0.2
done
[ "$n" -ge 10 ] || fail "$NAME" "only $n looks at the headend between rotate and reset-one (4 s apart)"
# After the last reset (spread 2 s): 0-15 and 18-19 back, 16-17 (old hash only) refused.
psw_wait_event reset-all 15 || fail "$NAME" "reset-all never fired"
final_want="00,01,02,03,04,05,06,07,08,09,0A,0B,0C,0D,0E,0F,12,13"
wait_value 8 "$final_want" ours || fail "$NAME" "after reset-all: want $final_want up, got $GOT"
bad=$(lab_phones_bad 0250001C)
psw_wait 60
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "$bad"
expect_rc "$NAME" 0
t_last=$(report '.events[] | select(.name=="reset-all") | .at_s')
last=$(csv_cols "$T/failures.csv" t_s phone reason |
	awk -F'\t' -v t="$t_last" '$1 >= t { print $2 ":" $3 }' | sort | tr '\n' ' ')
expect_eq "$NAME: failures after the last reset" "16:CertHashMismatch 17:CertHashMismatch " "$last"
expect_eq "$NAME: headend back on its first certificate" "$(cat "$LAB_DIR/pki/headend-rsa.sha1.b64")" \
	"$("$PSW" certhash "$LAB_DIR/server.pem" 2>/dev/null | awk '$1 == "certHash" {print $2}')"
pass "$NAME"
