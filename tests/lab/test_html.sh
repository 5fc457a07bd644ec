#!/bin/bash
# test_html.sh: report.html of a real run against the lab, as headless Chromium renders
# it. 60 phones with voice; half of them reset by a call manager after the ramp, then
# their voice impaired; one expectation that holds and one that cannot. The page must
# give the verdict naming the failed one, draw a point per row of timeseries.csv on the
# phones chart, mark both events where they fired, draw the voice charts, and show the
# figures of report.json; and its peak concurrent must be what the headend itself saw.
NAME=test_html
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/htmlcheck.sh
. "$(dirname "$0")/htmlcheck.sh"
html_require
lab_require
psw_setup "$NAME"
N=60
PREFIX=CP-8861-SEP025000310
cat >>"$T/lab.ini" <<EOF

[event.reset_half]
at = ramp_end + 3s
action = reset
fraction = 50%

[event.impair_voice]
at = reset_half + 4s
action = impair
duration = 3s
loss = 20%

[expect]
tunnels_up >= 100%
latency.time_to_tunnel.p99 < 1ms
EOF
psw_start -s phones.count=$N -s ramp.rate=20 -s run.duration=12s -s phones.mac_base=025000310000 \
	-s traffic.calls=50% -s traffic.call_duration=30s -s "traffic.target=$LAB_REFLECTOR"
# the headend's own count of our phones' tunnels, at its highest
seen=0
end=$(($(date +%s) + 40))
while kill -0 "$PSW_PID" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do
	c=$(lab_users_like "$PREFIX" | jq '[.[] | select(.State == "connected")] | length')
	[ "${c:-0}" -gt "$seen" ] && seen=$c
	sleep 0.3
done
psw_wait 10
expect_rc "$NAME: exit status (one expectation fails on purpose)" 1
[ -s "$T/timeseries.csv" ] || fail "$NAME" "no $T/timeseries.csv"
[ -s "$T/report.html" ] || fail "$NAME" "no $T/report.html"
html_render "$T" || fail "$NAME" "Chromium did not render $T/report.html ($T/chromium.log)"
DOM=$T/dom.html
html_paths "$DOM" >"$T/paths.tsv"

# the verdict names the expectation that failed, and only that one (each event is an
# expectation too: "event NAME carried out")
n=$(report '.expectations | length')
[ "$n" = 4 ] || fail "$NAME" "report.json: $n expectations, want 2 lines and 2 events"
html_has "$DOM" "1 of $n expectations failed: latency.time_to_tunnel.p99 &lt; 1ms</div>" ||
	fail "$NAME" "verdict: $(grep -o '<div class="verdict[^>]*>[^<]*' "$DOM")"

# the phones chart: a point per interval of timeseries.csv
rows=$(($(wc -l <"$T/timeseries.csv") - 1))
[ "$rows" -ge 15 ] || fail "$NAME" "timeseries.csv has $rows rows for a run of 15 s or more"
for s in "tunnels up" "DTLS up" "arrived (cumulative)"; do
	n=$(html_points "$DOM" chart-phones "$s")
	expect_eq "$NAME: points of \"$s\" (one per row of timeseries.csv)" "$rows" "$n"
done
pass "$NAME: verdict; phones chart with $rows points a line"

# both events marked on the phones chart, at the time report.json says they fired
for ev in reset_half impair_voice; do
	at=$(report ".events[] | select(.name == \"$ev\") | .at_s")
	[ -n "$at" ] && [ "$at" != null ] || fail "$NAME" "report.json: $ev did not fire"
	grep -q "<g class=\"marker\"><title>$ev: $(report ".events[] | select(.name == \"$ev\") | .action")" "$DOM" ||
		fail "$NAME" "no marker for $ev on the charts"
	grep -q "<tr><td>$ev</td>" "$DOM" || fail "$NAME" "$ev is not in the events table"
done
pass "$NAME: events marked and listed"

# voice: loss and jitter charts drawn, not "no voice"
html_has "$DOM" "no voice in this run" && fail "$NAME" "the page says there was no voice"
n=$(html_points "$DOM" chart-rtp-loss "lost phone → reflector (up)")
[ "$n" -ge 10 ] || fail "$NAME" "RTP loss chart: $n points"
n=$(html_points "$DOM" chart-rtp-jitter "round trip p99")
[ "$n" -ge 10 ] || fail "$NAME" "RTP round trip chart: $n points"
# the distributions of the bring-up phases, a curve each
for m in tcp_connect tls_handshake auth cstp_connect time_to_tunnel; do
	n=$(awk -F'\t' -v m="$m" '$1 == "chart-latency-1" && index($2, m " (") == 1 { print $3 }' "$T/paths.tsv")
	[ "${n:-0}" -ge 10 ] || fail "$NAME" "latency chart: $m has ${n:-no} points"
done
pass "$NAME: voice charts and latency distributions"

# the figures: as report.json says, and the peak as the headend saw it
tile() { # KEY: the value of the tile KEY
	grep -o "<div class=\"k\">$1</div><div class=\"v\">[^<]*" "$DOM" | sed 's/.*>//; s/,//g'
}
expect_eq "$NAME: tunnels up tile" "$(report .phones.tunnels_up)" "$(tile 'tunnels up')"
expect_eq "$NAME: peak concurrent tile" "$(report .phones.peak_concurrent)" "$(tile 'peak concurrent')"
expect_eq "$NAME: phones failed tile" "$(report .phones.failed)" "$(tile 'phones failed')"
peak=$(tile 'peak concurrent')
[ "$seen" -ge $((N * 9 / 10)) ] || fail "$NAME" "the headend showed at most $seen of our sessions"
[ "$peak" -ge "$seen" ] && [ "$peak" -le "$N" ] ||
	fail "$NAME" "peak concurrent $peak in the page, the headend saw $seen connected at once"
sz=$(stat -c %s "$T/report.png")
[ "$sz" -gt 200000 ] || fail "$NAME" "screenshot $T/report.png is $sz bytes: blank?"
pass "$NAME: figures as report.json and the headend (peak $peak, headend $seen); screenshot $T/report.png"
exit 0
