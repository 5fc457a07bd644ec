#!/bin/bash
# test_capacity.sh: scenarios/capacity.ini, short, against the lab capped at 30 sessions
# (scripts/lab set max_clients=30, a licence's imitation). The step search must stop on
# the headend's refusals, report exactly the cap as the concurrency that held (as
# ocserv's own session count shows it at that moment), name the session cap as the
# limit, and say how the first refused phone failed; arrivals stop (not all phones
# are attempted). Then a timeline test: events fire on time, a reset is carried out
# (ocserv sees new sessions), and a failed expectation or event gives exit 1. Against
# ocserv 1.3 (ciphers=no-ec), the phones logging in with their own protocol, as phones
# on the headend.
NAME=test_capacity
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
CAP=30
MAC=0250000D0000
lab_set max_clients=$CAP ciphers=no-ec
cp "$LAB_ROOT/scenarios/capacity.ini" "$T/lab.ini"
psw_start -s phones.count=100 -s ramp.step=10 -s ramp.step_hold=3s -s run.connect_timeout=5s \
	-s capacity.hold=4s -s phones.mac_base=$MAC -s phones.source="$LAB_SOURCE"
# while the search holds its phones, ocserv's own count
seen=0
for _ in $(seq 1 150); do
	n=$(lab_users | jq '[.[] | select((.Username // "") | contains("SEP0250000D"))] | length')
	[ "${n:-0}" -gt "$seen" ] && seen=$n
	b=$(lab_phones_bad 0250000D)
	[ "$b" = "[]" ] || bad=$b
	kill -0 "$PSW_PID" 2>/dev/null || break
	sleep 0.2
done
psw_wait 60
expect_rc "$NAME" 0
expect_eq "$NAME: ocserv's most sessions" "$CAP" "$seen"
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "${bad:-[]}"
expect_eq "$NAME: capacity [stopped, held_concurrent]" "true,$CAP" \
	"$(report '.capacity | [.stopped, .held_concurrent] | @csv')"
expect_eq "$NAME: peak_concurrent" "$CAP" "$(report '.phones.peak_concurrent')"
# a search that stops its own arrivals has run its course: not an interrupted run
expect_eq "$NAME: [completed, stopped_early]" "true," "$(report '[.completed, .stopped_early] | @csv')"
limit=$(report '.capacity.limit')
case "$limit" in *"session cap"*) ;; *) fail "$NAME" "limit: $limit" ;; esac
first=$(report '.capacity.first_refusal')
case "$first" in *ConnectTimeout* | *TlsRefused* | *ClosedInHandshake*) ;; *) fail "$NAME" "first refusal: $first" ;; esac
att=$(report '.phones.attempted')
[ "$att" -lt 100 ] || fail "$NAME" "arrivals did not stop: $att of 100 attempted"
ls "$T"/trace/*.log >/dev/null 2>&1 || fail "$NAME" "no trace of a refused phone in $T/trace"
echo "capacity: $CAP sessions held (ocserv saw $seen); $att of 100 attempted; $limit"
"$LAB" set max_clients=0 >/dev/null 2>&1

# --- the timeline: events on time, a reset carried out, expectations deciding the exit ---
{
	lab_timeline_ini "$LAB_SVC_URL"
	cat <<EOF2
[expect]
during reset-half..end: resets == 5
during start..reset-half: resets == 0
during hello..reset-half: tunnels_dropped == 0
tunnels_up == 15
failures == 0
EOF2
} >"$T/tl.ini"
cp "$T/tl.ini" "$T/lab.ini"
psw_run
expect_rc "$NAME: timeline" 0
grep -q "hello hello" "$T/events/hello.log" || fail "$NAME" "exec output not in events/hello.log"
at=$(report '.events[] | select(.name=="reset-half") | .at_s')
awk -v a="$at" 'BEGIN { exit !(a >= 4.0 && a < 4.5) }' || fail "$NAME" "reset-half fired at $at s, due at 4 s"
row=$(awk -F, 'NR > 1 && $NF ~ /reset-half/ { print NR }' "$T/timeseries.csv")
[ -n "$row" ] || fail "$NAME" "no timeseries.csv row stamped reset-half"
expect_eq "$NAME: expectations all ok" "true" "$(report '[.expectations[].ok] | all')"
# a failing expectation and a failing event: exit 1, each named
sed -i 's/^tunnels_up == 15/tunnels_up == 16/; s/^command = .*/command = exit 3/' "$T/lab.ini"
psw_run
expect_rc "$NAME: failing expectation" 1
expect_eq "$NAME: failed expectations" '["tunnels_up == 16","event hello carried out"]' \
	"$(report '[.expectations[] | select(.ok | not) | .name] | tojson')"
pass "$NAME"
