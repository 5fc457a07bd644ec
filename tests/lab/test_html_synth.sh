#!/bin/bash
# test_html_synth.sh: report.html of synthetic runs (build/htmlgen, no lab needed), as
# headless Chromium renders it: every chart is there with a line of many points, the
# titles, the verdict and the latency table's known values are right, user text stays
# text, a 24-hour run is thinned to at most 2,000 points per line with its one-interval
# spike kept, and a run without voice or without timeseries.csv says so.
NAME=test_html_synth
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/htmlcheck.sh
. "$(dirname "$0")/htmlcheck.sh"
html_require
T=${PSW_TEST_DIR:-/tmp/phoneswarm-tests}/$NAME
rm -rf "$T" && mkdir -p "$T" || fail "$NAME" "cannot create $T"
GEN=$(dirname "$PSW")/htmlgen
[ -x "$GEN" ] || fail "$NAME" "no $GEN (make $(dirname "$PSW")/htmlgen)"

# ---- a 2-minute run with voice, a headend restart and a failed event
EVIL='scenarios/<script>alert(1)</script>&"x".ini'
"$GEN" "$T/run" --seconds 120 --scenario "$EVIL" || fail "$NAME" "htmlgen failed"
html_render "$T/run" || fail "$NAME" "Chromium did not render $T/run/report.html ($T/run/chromium.log)"
DOM=$T/run/dom.html
html_paths "$DOM" >"$T/run/paths.tsv"

for title in "Phones over time" "Arrivals and tunnels per second" \
	"Time to tunnel, percentiles per interval" "Failures by reason, per second" \
	"RTP loss per interval" "RTP jitter, round trip and send lateness per interval" "phoneswarm CPU" \
	"phoneswarm memory" "Bring-up: each phase, and the whole" "Round trips through the tunnel" \
	"Reconnection" "Latency distributions" "Expectations" "Events" "Summary"; do
	html_has "$DOM" "$title" || fail "$NAME" "no \"$title\" in the page"
done
pass "$NAME: every chart and section title"

# each time series chart: a line per series with a point per interval (120 intervals)
for s in "chart-phones	tunnels up" "chart-phones	DTLS up" "chart-phones	arrived (cumulative)" \
	"chart-rates	tunnels up/s" "chart-ttt	p50" "chart-ttt	p99" "chart-rtp-loss	lost phone → reflector (up)" \
	"chart-rtp-jitter	jitter p99" "chart-rtp-jitter	send lateness p99 (the tool's own)" \
	"chart-cpu	" "chart-rss	"; do
	id=${s%%	*}
	nm=${s#*	}
	n=$(html_points "$DOM" "$id" "$nm")
	# time to tunnel has no value while no tunnel comes up: fewer points
	min=110
	[ "$id" = chart-ttt ] && min=30
	[ "$n" -ge "$min" ] || fail "$NAME" "$id \"$nm\": $n points, want >= $min (paths: $T/run/paths.tsv)"
done
# the distributions: a curve per metric with samples, many points each
for s in "chart-latency-1	tcp_connect" "chart-latency-1	time_to_tunnel" "chart-latency-2	rtp_rtt" \
	"chart-latency-3	rtp_jitter_up" "chart-latency-4	reconnect"; do
	id=${s%%	*}
	n=$(awk -F'\t' -v id="$id" -v m="${s#*	}" '$1 == id && index($2, m " (") == 1 { print $3 }' "$T/run/paths.tsv")
	[ "${n:-0}" -ge 50 ] || fail "$NAME" "$id ${s#*	}: ${n:-no} curve points, want >= 50"
done
# failures: a band per reason that occurred, in the legend
for r in TcpRefused TlsRefused CertHashMismatch; do
	grep -q "<path class=\"band\" data-name=\"$r\"" "$DOM" || fail "$NAME" "no $r band in chart-failures"
done
pass "$NAME: every chart has its lines, with a point per interval"

# events: marked on the charts, listed in the table, user text escaped
grep -q '<g class="marker"><title>headend_restart: exec: scripts/lab restart: exit 0</title>' "$DOM" ||
	fail "$NAME" "no headend_restart marker"
grep -q '&lt;b&gt;new.pem&lt;/b&gt; &amp; .old.: not found' "$DOM" ||
	fail "$NAME" "the failed event's detail is not shown as text"
[ "$(grep -c '<script' "$DOM" || :)" = 0 ] || fail "$NAME" "a <script> element in the DOM: the scenario name was not escaped"
html_has "$DOM" 'phoneswarm: scenarios/&lt;script&gt;alert(1)&lt;/script&gt;&amp;"x".ini</h1>' ||
	fail "$NAME" "the scenario name is not in the heading as text"
html_has "$DOM" '2 of 3 expectations failed: time_to_tunnel.p99 &lt; 200ms; failures.CertHashMismatch == 0' ||
	fail "$NAME" "wrong verdict: $(grep -o '<div class="verdict[^>]*>[^<]*' "$DOM")"
pass "$NAME: verdict, events marked, user text escaped"

# the latency table against the known histograms of htmlgen
row() { grep -o "<tr><td>$1</td>\(<td>[^<]*</td>\)*</tr>" "$DOM" | sed 's/<\/td><td>/ /g; s/<[^>]*>//g'; }
expect_eq "$NAME: tcp_connect count min p50 p90 p99 p99.9 max mean (ms)" \
	"tcp_connect 1,000 0.00 0.50 0.90 0.99 1.00 1.00 0.50" "$(row tcp_connect)"
expect_eq "$NAME: auth row" "auth 1,000 2.00 2.00 2.00 40.0 40.0 40.0 5.80" "$(row auth)"
pass "$NAME: latency table"

# the screenshot is a real page, not blank (a blank 1280x7000 PNG is a few KB)
sz=$(stat -c %s "$T/run/report.png")
[ "$sz" -gt 200000 ] || fail "$NAME" "screenshot $T/run/report.png is $sz bytes: blank?"
pass "$NAME: screenshot $T/run/report.png ($sz bytes)"

# ---- 24 hours of one-second intervals: thinned, spikes kept
"$GEN" "$T/day" --seconds 86400 --phones 20000 || fail "$NAME" "htmlgen (24 h) failed"
html_render "$T/day" || fail "$NAME" "Chromium did not render $T/day/report.html"
html_paths "$T/day/dom.html" >"$T/day/paths.tsv"
over=$(awk -F'\t' '$3 > 2000' "$T/day/paths.tsv")
[ -z "$over" ] || fail "$NAME" "lines of more than 2,000 points: $over"
n=$(html_points "$T/day/dom.html" chart-phones "tunnels up")
# at least one point per stretch of 86 intervals (two where the line moves)
[ "$n" -ge 1000 ] || fail "$NAME" "24 h: tunnels up has $n points, want 1,000..2,000"
# every tunnel drops within one second at 12 h: the dropped/s line must reach the upper
# half of the plot (40..252 px), not be averaged away over its stretch of 86 intervals
# (that would leave it within a few px of the bottom)
miny=$(awk -F'\t' '$1 == "chart-rates" && $2 == "tunnels dropped/s" { print int($4) }' "$T/day/paths.tsv")
[ "${miny:-999}" -lt 146 ] || fail "$NAME" "24 h: the drop spike is lost (top of its line at y=${miny:-none})"
html_has "$T/day/dom.html" "time since the first arrival (h)" || fail "$NAME" "24 h: the time axis is not in hours"
pass "$NAME: 24 h run thinned to <= 2,000 points a line, spike kept (y=$miny)"

# ---- a capacity search: what it found, and where it stopped the load
"$GEN" "$T/capacity" --seconds 60 --capacity || fail "$NAME" "htmlgen --capacity failed"
html_render "$T/capacity" || fail "$NAME" "Chromium did not render $T/capacity/report.html"
html_has "$T/capacity/dom.html" "stopped by stop_p99 at 35.0 s." || fail "$NAME" "capacity: no stop in the page"
html_has "$T/capacity/dom.html" "the headend's TLS handshakes &lt;CPU&gt;; refused with TlsRefused" ||
	fail "$NAME" "capacity: the limit is not in the page (as text)"
grep -q '<g class="marker"><title>capacity stop: stop_p99</title>' "$T/capacity/dom.html" ||
	fail "$NAME" "capacity: no marker where the load was stopped"
html_has "$T/run/dom.html" 'id="capacity"' && fail "$NAME" "a capacity box in a run that was not a search"
pass "$NAME: capacity search"

# ---- no voice, and no timeseries.csv at all
"$GEN" "$T/novoice" --seconds 30 --no-voice || fail "$NAME" "htmlgen --no-voice failed"
html_render "$T/novoice" || fail "$NAME" "Chromium did not render $T/novoice/report.html"
html_has "$T/novoice/dom.html" "no voice in this run" || fail "$NAME" "no voice: no \"no voice in this run\""
expect_eq "$NAME: no voice: RTP loss lines" 0 "$(html_points "$T/novoice/dom.html" chart-rtp-loss 'lost phone → reflector (up)')"
[ "$(html_points "$T/novoice/dom.html" chart-phones 'tunnels up')" -ge 25 ] || fail "$NAME" "no voice: no phones line"
"$GEN" "$T/nocsv" --no-csv || fail "$NAME" "htmlgen --no-csv failed"
html_render "$T/nocsv" || fail "$NAME" "Chromium did not render $T/nocsv/report.html"
html_has "$T/nocsv/dom.html" "No charts over time: cannot read timeseries.csv (No such file or directory)" ||
	fail "$NAME" "no timeseries.csv: the page does not say so"
[ "$(html_points "$T/nocsv/dom.html" chart-latency-1 'tcp_connect (p50 0.50, p99 0.99 ms)')" -ge 50 ] ||
	fail "$NAME" "no timeseries.csv: the latency distributions are missing"
pass "$NAME: no voice, no timeseries.csv"
exit 0
