#!/bin/bash
# test_models.sh: phones.models=8861:50,7841:50 brings up both models exactly as the
# README says phones take their model: phone i (MAC phones.mac_base + i) takes the
# model whose slice of [0,1) (8861 [0, 0.5), 7841 [0.5, 1)) holds the fractional part
# of i x 0.6180339887498949. The headend must show each of the 40 phones under its
# own CN, CP-<model>-SEP<MAC>, with the model worked out here from that rule (21
# 8861s and 19 7841s).
NAME=test_models
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=40
psw_start -s phones.count=$N -s phones.models=8861:50,7841:50 -s ramp.rate=40 -s run.duration=6s \
	-s phones.mac_base=025000070000

# the headend's CNs, as the rule above gives them
model_of() { awk -v i="$1" 'BEGIN { f = i * 0.6180339887498949; f -= int(f); print (f < 0.5 ? "8861" : "7841") }'; }
want=$(for i in $(seq 0 $((N - 1))); do echo "CP-$(model_of "$i")-SEP$(mac_hex 025000070000 "$i")"; done |
	sort | jq -R . | jq -sc .)
sel='[.[] | select((.Username // "") | test("^CP-[0-9]+-SEP025000070"))]'
connected() { lab_users | jq -c "$sel | [.[] | select(.State == \"connected\") | .Username] | sort"; }
wait_value 5 "$want" connected ||
	fail "$NAME" "headend: want these $N sessions connected: $want; got $GOT"
by_model=$(printf '%s' "$GOT" | jq -c 'group_by(split("-")[1]) | map({key: (.[0] | split("-")[1]), value: length}) | from_entries')
expect_eq "$NAME: phones per model on the headend" '{"7841":19,"8861":21}' "$by_model"
psw_wait 25
expect_rc "$NAME" 0
expect_eq "$NAME: report [tunnels_up,failed]" "$N,0" "$(report '[.phones.tunnels_up, .phones.failed] | @csv')"
pass "$NAME ($by_model)"
