#!/bin/bash
# test_shards.sh: a fleet of 40 phones split in two shards run at the same time
# (--shard 0/2 and --shard 1/2, as two machines would), then put back together
# with phoneswarm merge. The headend must see each of the 40 phones of the fleet
# (its CN from mac_base + index) exactly once, 20 from each shard; the merged
# report must count what the headend saw, and its histograms the sum of the
# shards'. One shard alone is refused (shard 1/2 missing), or merged with
# --partial and said so, in report.json and to compare.
NAME=test_shards
MAC_BASE=025000090000
N=40
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"

P0="" P1=""
on_exit 'kill $P0 $P1; wait $P0 $P1'
for i in 0 1; do
	"$PSW" run "$T/lab.ini" -o "$T/shard$i" -q --shard "$i/2" -s phones.count=$N \
		-s phones.mac_base=$MAC_BASE -s ramp.rate=40 -s run.duration=6s \
		>"$T/shard$i.stdout" 2>"$T/shard$i.stderr" &
	eval "P$i=\$!"
done

# The headend's view while they run: every connected CN of this fleet, and the most at once.
PREFIX=CP-8861-SEP${MAC_BASE:0:8}
seen="[]"
most=0
while kill -0 "$P0" 2>/dev/null || kill -0 "$P1" 2>/dev/null; do
	now=$(lab_users_like "$PREFIX" | jq -c '[.[] | select(.State == "connected") | .Username]')
	seen=$(jq -cn --argjson a "$seen" --argjson b "$now" '$a + $b | unique')
	c=$(printf '%s' "$now" | jq length)
	[ "$c" -gt "$most" ] && most=$c
	sleep 0.3
done
wait "$P0" || fail "$NAME" "shard 0 exit status $?: $(tail -n 3 "$T/shard0.stderr")"
wait "$P1" || fail "$NAME" "shard 1 exit status $?: $(tail -n 3 "$T/shard1.stderr")"
P0="" P1=""

# Each shard: its own half of the fleet, said so in its report.
for i in 0 1; do
	expect_eq "$NAME: shard $i in report.json" "{\"index\":$i,\"count\":2}" \
		"$(jq -c .shard "$T/shard$i/report.json")"
	expect_eq "$NAME: shard $i phones [configured,tunnels_up]" "20,20" \
		"$(jq -r '[.phones.configured, .phones.tunnels_up] | @csv' "$T/shard$i/report.json")"
done

# The headend saw exactly the fleet's 40 CNs, all of them up at once at some point.
want=$(for i in $(seq 0 $((N - 1))); do echo "CP-8861-SEP$(mac_hex $MAC_BASE "$i")"; done |
	jq -R . | jq -cs 'unique')
expect_eq "$NAME: CNs the headend saw" "$want" "$seen"
expect_eq "$NAME: most sessions at once on the headend" "$N" "$most"
pass "$NAME: shards 0/2 and 1/2 brought up the fleet's $N distinct phones"

"$PSW" merge "$T/shard0" "$T/shard1" -o "$T/merged" >"$T/merge.stdout" 2>"$T/merge.stderr" ||
	fail "$NAME" "merge exit status $?: $(tail -n 3 "$T/merge.stderr")"
M=$T/merged/report.json
expect_eq "$NAME: merged phones [configured,attempted,tunnels_up,failed]" "$N,$N,$N,0" \
	"$(jq -r '[.phones.configured, .phones.attempted, .phones.tunnels_up, .phones.failed] | @csv' "$M")"
expect_eq "$NAME: merged tunnels_up = CNs seen on the headend" "$(printf '%s' "$seen" | jq length)" \
	"$(jq -r .phones.tunnels_up "$M")"
expect_eq "$NAME: merged failures" "{}" "$(jq -c .failures "$M")"
expect_eq "$NAME: merged_runs" 2 "$(jq -r .merged_runs "$M")"
for metric in time_to_tunnel tls_handshake cstp_connect; do
	sum=$(jq -s --arg m "$metric" 'map(.latency_us[$m].count) | add' \
		"$T/shard0/report.json" "$T/shard1/report.json")
	expect_eq "$NAME: merged $metric count = sum of the shards'" "$sum" \
		"$(jq -r --arg m "$metric" '.latency_us[$m].count' "$M")"
done
expect_eq "$NAME: merged time_to_tunnel count" "$N" "$(jq -r .latency_us.time_to_tunnel.count "$M")"
# the merged max is the larger of the shards' (exact)
mx=$(jq -s 'map(.latency_us.time_to_tunnel.max) | max' "$T/shard0/report.json" "$T/shard1/report.json")
expect_eq "$NAME: merged time_to_tunnel max" "$mx" "$(jq -r .latency_us.time_to_tunnel.max "$M")"
# the merged timeseries: tunnels brought up add up to the fleet, the peak is the headend's
expect_eq "$NAME: merged timeseries.csv, tunnels_up summed over the intervals" "$N" \
	"$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } { s += $c["tunnels_up"] } END { print s }' \
		"$T/merged/timeseries.csv")"
expect_eq "$NAME: merged peak_concurrent = most sessions at once on the headend" "$most" \
	"$(jq -r .phones.peak_concurrent "$M")"
expect_eq "$NAME: merged shards_missing" "[]" "$(jq -c .shards_missing "$M")"
[ -s "$T/merged/report.html" ] || fail "$NAME" "no report.html in the merged run (the summary names one)"
pass "$NAME: the merged report counts what the headend saw, its histograms the sum of the shards'"

# One shard of two: refused, naming the one missing; with --partial, merged and said so.
rc=0
"$PSW" merge "$T/shard0" -o "$T/half" >"$T/half.stdout" 2>"$T/half.stderr" || rc=$?
expect_eq "$NAME: merge of shard 0/2 alone, exit status" 2 "$rc"
grep -q "shard 1/2 missing" "$T/half.stderr" ||
	fail "$NAME" "merge of shard 0/2 alone: no \"shard 1/2 missing\" in: $(cat "$T/half.stderr")"
[ ! -e "$T/half/report.json" ] || fail "$NAME" "a refused merge wrote $T/half/report.json"
"$PSW" merge --partial "$T/shard0" -o "$T/half" >"$T/half.stdout" 2>"$T/half.stderr" ||
	fail "$NAME" "merge --partial exit status $?: $(tail -n 3 "$T/half.stderr")"
expect_eq "$NAME: partial merge shards_missing" "[1]" "$(jq -c .shards_missing "$T/half/report.json")"
grep -q "PARTIAL    shard 1/2 missing" "$T/half.stdout" ||
	fail "$NAME" "merge --partial: no PARTIAL line in the summary: $(cat "$T/half.stdout")"
rc=0
"$PSW" compare "$T/merged" "$T/half" >"$T/compare.stdout" 2>&1 || rc=$?
[ "$rc" != 2 ] || fail "$NAME" "compare merged half: exit status 2: $(tail -n 3 "$T/compare.stdout")"
grep -qF "WARNING: NEW ($T/half) is a partial merge: shard 1/2 missing" "$T/compare.stdout" ||
	fail "$NAME" "compare of the whole and the partial merge: no warning in: $(head -n 8 "$T/compare.stdout")"
pass "$NAME: a missing shard is refused, or with --partial merged and said so"
exit 0
