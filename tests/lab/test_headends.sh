#!/bin/bash
# test_headends.sh: scripts/lab up --headends 3 and headend.spread. The lab runs
# three ocservs, each in a namespace of its own (psw-lab, psw-lab-2, psw-lab-3)
# at the addresses LAB_URLS lists (198.18.0.1, 198.18.2.1, 198.18.3.1). One
# phoneswarm process brings 12 phones up with headend.url = the first and
# headend.spread = the other two; each headend's own session list (occtl, through
# scripts/lab users --headend K) must hold exactly the phones the spread rule
# gives it: phone i (MAC base + i) on headend (i mod 3) + 1, four each, derived
# here from the MACs, not from phoneswarm's output. A certificate rotation
# (scripts/lab rotate rsa2) must reach every headend (the certificate each
# presents, by openssl in its namespace). report.json lists all three
# (headends). `scripts/lab up` without --headends leaves the one headend: the
# other namespaces and LAB_URLS' extra entries go.
# Takes ~25 s.
NAME=test_headends
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=12
B=025000450000
# whatever happens, the lab is left with its one headend and the default profile
# shellcheck disable=SC2016 # expanded when the clean-up runs
on_exit '"$LAB" up'
lab_restore_on_exit
"$LAB" up --headends 3 >"$T/up.log" 2>&1 || fail "$NAME" "scripts/lab up --headends 3: $(tail -n 3 "$T/up.log")"
lab_eval_env
expect_eq "$NAME: LAB_HEADENDS" 3 "$LAB_HEADENDS"
expect_eq "$NAME: LAB_URLS" "https://198.18.0.1/ https://198.18.2.1/ https://198.18.3.1/" "$LAB_URLS"
for k in 2 3; do
	ip netns list | awk '{ print $1 }' | grep -qx "psw-lab-$k" || fail "$NAME" "no namespace psw-lab-$k"
	expect_eq "$NAME: headend $k's status" online "$("$LAB" status --headend "$k" 2>/dev/null | jq -r .Status)"
done
if "$LAB" status --headend 4 >/dev/null 2>"$T/h4.err"; then
	fail "$NAME" "scripts/lab status --headend 4 succeeded with 3 headends"
fi
grep -q "no headend 4" "$T/h4.err" || fail "$NAME" "status --headend 4: want 'no headend 4', got: $(cat "$T/h4.err")"

read -r -a urls <<<"$LAB_URLS"
psw_start -s phones.count=$N -s phones.mac_base=$B -s ramp.rate=20 -s run.duration=6s \
	-s headend.url="${urls[0]}" -s headend.spread="${urls[1]},${urls[2]}"
# headend K's share: the CNs of phones i with i mod 3 = K - 1, sorted
want_on() { # K
	local i
	for ((i = $1 - 1; i < N; i += 3)); do echo "CP-8861-SEP$(mac_hex $B "$i")"; done | sort | tr '\n' ' '
}
have_on() { # K
	"$LAB" users --headend "$1" |
		jq -r '.[] | select(.State == "connected") | .Username | select(startswith("CP-8861-SEP0250004500"))' |
		sort | tr '\n' ' '
}
for k in 1 2 3; do
	wait_value 15 "$(want_on "$k")" have_on "$k" ||
		fail "$NAME" "headend $k: want connected [$(want_on "$k")], got [$GOT]"
done
psw_wait 30
expect_rc "$NAME" 0
expect_eq "$NAME: report [tunnels_up,failed]" "$N,0" "$(report '[.phones.tunnels_up, .phones.failed] | @csv')"
expect_eq "$NAME: report's headends" "${urls[0]},${urls[1]},${urls[2]}" "$(report '.headends | join(",")')"

# a rotation reaches every headend
lab_set cert=rsa2
want=$(cat "$LAB_PKI/headend-rsa2.sha1.hex")
served() { # K ADDRESS
	ip netns exec "$1" timeout 5 openssl s_client -connect "$2:443" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}
expect_eq "$NAME: headend 1's certificate after rotate rsa2" "$want" "$(served psw-lab 198.18.0.1)"
expect_eq "$NAME: headend 2's certificate after rotate rsa2" "$want" "$(served psw-lab-2 198.18.2.1)"
expect_eq "$NAME: headend 3's certificate after rotate rsa2" "$want" "$(served psw-lab-3 198.18.3.1)"
lab_set cert=rsa

# up without --headends: one headend again
"$LAB" up >"$T/up1.log" 2>&1 || fail "$NAME" "scripts/lab up: $(tail -n 3 "$T/up1.log")"
if ip netns list | awk '{ print $1 }' | grep -q '^psw-lab-'; then
	fail "$NAME" "namespaces left after scripts/lab up: $(ip netns list | tr '\n' ' ')"
fi
lab_eval_env
expect_eq "$NAME: LAB_URLS after up" "https://198.18.0.1/" "$LAB_URLS"
pass "$NAME ($N phones over 3 headends, 4 each, by headend.spread)"
