#!/bin/bash
# test_models.sh: phones.models=8861:50,7841:50 brings up both models in about that
# proportion, as the headend sees them (CN CP-<model>-SEP<MAC>), MAC i being
# phones.mac_base + i.
NAME=test_models
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=40
psw_start -s phones.count=$N -s phones.models=8861:50,7841:50 -s ramp.rate=40 -s run.duration=6s \
	-s phones.mac_base=025000070000

sel='[.[] | select((.Username // "") | test("^CP-[0-9]+-SEP025000070"))]'
end=$(($(date +%s) + 12))
while :; do
	users=$(lab_users | jq -c "$sel")
	c=$(printf '%s' "$users" | jq '[.[] | select(.State == "connected")] | length')
	[ "$c" = $N ] && break
	[ "$(date +%s)" -ge "$end" ] &&
		fail "$NAME" "headend: want $N connected SEP025000070* sessions, got $c: $(printf '%s' "$users" | jq -c '[.[] | {u: .Username, s: .State}]')"
	sleep 0.5
done
by_model=$(printf '%s' "$users" | jq -c 'group_by(.Username | split("-")[1]) |
	map({key: (.[0].Username | split("-")[1]), value: length}) | from_entries')
expect_eq "$NAME: models on the headend" '["7841","8861"]' "$(printf '%s' "$by_model" | jq -c 'keys')"
n1=$(printf '%s' "$by_model" | jq '.["8861"]')
n2=$(printf '%s' "$by_model" | jq '.["7841"]')
# 50/50 of 40: accept 12..28 each (a fair coin lands outside with p < 0.02)
[ "$n1" -ge 12 ] && [ "$n1" -le 28 ] && [ "$n2" -ge 12 ] && [ "$n2" -le 28 ] ||
	fail "$NAME" "want about 20 phones of each model, got $by_model"
macs=$(printf '%s' "$users" | jq -c '[.[].Username | split("-SEP")[1]] | sort')
want=$(for i in $(seq 0 $((N - 1))); do mac_hex 025000070000 "$i"; done | jq -R . | jq -sc sort)
[ "$macs" = "$want" ] || fail "$NAME" "headend MACs: want $want, got $macs"
psw_wait 25
expect_rc "$NAME" 0
expect_eq "$NAME: report [tunnels_up,failed]" "$N,0" "$(report '[.phones.tunnels_up, .phones.failed] | @csv')"
pass "$NAME ($by_model)"
