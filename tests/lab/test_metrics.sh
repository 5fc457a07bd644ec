#!/bin/bash
# test_metrics.sh: phoneswarm run --metrics-listen serves /metrics during the run.
# 20 phones, a fifth of them with expired certificates (the headend refuses them:
# ClientCertRejected), held up for a while. Once they have all arrived, /metrics is
# scraped (curl, or bash's /dev/tcp without it) while the headend's own session list
# is read (occtl): phoneswarm_tunnels_up must be the number of our sessions the
# headend shows connected, within one, on both sides of the scrape; the failures by
# reason must be what report.json says at the end (all arrived, nothing changes
# after); the time_to_tunnel summary must hold samples, no more than the end's, and
# its p99 within their range. The text must parse: every line a HELP, a TYPE or a sample with a valid
# name and value, one HELP and one TYPE per family. Other paths are 404, and the
# listener is gone when the run has ended.
# Takes ~20 s.
NAME=test_metrics
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=20
B=025000330000 PREFIX=CP-8861-SEP02500033

# get PATH: the answer (head and body) of GET PATH
get() {
	if command -v curl >/dev/null; then
		curl -s -i --max-time 5 "http://127.0.0.1:$PORT$1"
	else
		exec 5<>"/dev/tcp/127.0.0.1/$PORT" || return 1
		printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&5
		timeout 5 cat <&5
		exec 5>&-
	fi
}
connected() { lab_users_like "$PREFIX" | jq '[.[] | select(.State == "connected")] | length'; }

psw_start -s phones.count=$N -s phones.mac_base=$B -s ramp.rate=20 -s run.duration=12s \
	-s phones.cert_validity=valid:80%,expired:20% --metrics-listen 127.0.0.1:0
for _ in $(seq 50); do
	PORT=$(sed -n 's|^phoneswarm: metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$T/stderr")
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ -n "$PORT" ] || fail "$NAME" "no 'metrics at' line on stderr: $(cat "$T/stderr")"

# Every phone arrived and the headend settled: phoneswarm's progress says all 20
# arrived, and the headend has the phones with valid certificates connected. Which
# phones have expired ones is the README's rule: phone i's certificate is expired
# when the fractional part of i x 0.5698402909980532 + 0.5 is below the share, 20%.
expired=$(awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) { f = i * 0.5698402909980532 + 0.5; f -= int(f); e += f < 0.2 } print e }')
wait_until 10 "all $N arrived" grep -q "arrived $N/$N " "$T/stderr" ||
	fail "$NAME" "phoneswarm's progress never said all $N arrived: $(tail -n 3 "$T/stderr")"
wait_value 10 $((N - expired)) connected ||
	fail "$NAME" "headend: want $((N - expired)) of ours connected (the $expired with expired certificates refused), got $GOT"

before=$(connected)
get /metrics >"$T/scrape.txt" || fail "$NAME" "GET /metrics failed"
after=$(connected)
tr -d '\r' <"$T/scrape.txt" | sed '1,/^$/d' >"$T/metrics.txt"
head -n 1 "$T/scrape.txt" | grep -q '^HTTP/1.1 200 OK' ||
	fail "$NAME" "GET /metrics: $(head -n 1 "$T/scrape.txt")"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/scrape.txt" ||
	fail "$NAME" "GET /metrics: no Prometheus content type"

# the format
bad=$(awk '
	/^# HELP / { if (help[$3]++) { print "HELP twice: " $3; exit } next }
	/^# TYPE / { if (type[$3]++) { print "TYPE twice: " $3; exit }
	             if ($4 !~ /^(counter|gauge|summary)$/) { print "type " $4; exit } next }
	/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (NaN|[+-]Inf|-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)$/ {
		n++; next }
	{ print "bad line: " $0; exit }
	END { if (!n) print "no samples" }' "$T/metrics.txt")
[ -z "$bad" ] || fail "$NAME" "/metrics is not valid exposition text: $bad"

metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/metrics.txt"; }
up=$(metric phoneswarm_tunnels_up)
[ -n "$up" ] || fail "$NAME" "no phoneswarm_tunnels_up"
lo=$(( (before < after ? before : after) - 1 ))
hi=$(( (before > after ? before : after) + 1 ))
[ "$up" -ge "$lo" ] && [ "$up" -le "$hi" ] ||
	fail "$NAME" "phoneswarm_tunnels_up $up, the headend showed $before then $after connected"
[ "$up" -gt 0 ] || fail "$NAME" "no tunnel up at the scrape"
expect_eq "$NAME: phoneswarm_phones_arrived_total" $N "$(metric phoneswarm_phones_arrived_total)"
expect_eq "$NAME: phoneswarm_phones_configured" $N "$(metric phoneswarm_phones_configured)"
cc=$(metric 'phoneswarm_failures_total{reason="ClientCertRejected"}')
[ "${cc:-0}" -gt 0 ] || fail "$NAME" "no ClientCertRejected failure at the scrape"
ttt=$(metric phoneswarm_time_to_tunnel_seconds_count)
ttt99=$(metric 'phoneswarm_time_to_tunnel_seconds{quantile="0.99"}')
[ "${ttt:-0}" -gt 0 ] || fail "$NAME" "time_to_tunnel summary: no samples at the scrape"

code=$(get /nothing | head -n 1 | tr -d '\r')
expect_eq "$NAME: GET /nothing" "HTTP/1.1 404 Not Found" "$code"

psw_wait 40
expect_rc "$NAME" 0
scraped=$(awk '/^phoneswarm_failures_total\{/ && $2 > 0 {
		sub(/.*reason="/, "", $1); sub(/"}/, "", $1); printf "%s\"%s\":%s", s, $1, $2; s = "," }
	' "$T/metrics.txt" | sed 's/^/{/; s/$/}/' | jq -S -c .)
expect_eq "$NAME: failures at the scrape = report.json's" "$(report '.failures' | jq -S -c .)" \
	"$scraped"
expect_eq "$NAME: tunnels up at the scrape + ClientCertRejected = phones" $N $((up + cc))
expect_eq "$NAME: ClientCertRejected at the scrape = phones with expired certificates" $expired "$cc"
# the summary is the run's histogram as of the last interval closed: part of the end's
final_n=$(report '.latency_us.time_to_tunnel.count')
final_max=$(report '.latency_us.time_to_tunnel.max')
[ "$ttt" -le "$final_n" ] ||
	fail "$NAME" "time_to_tunnel count $ttt at the scrape, $final_n at the end"
awk -v q="$ttt99" -v m="$final_max" 'BEGIN { exit !(q > 0 && q * 1e6 <= m + 1) }' ||
	fail "$NAME" "time_to_tunnel p99 $ttt99 s at the scrape, max $final_max us at the end"
get /metrics >/dev/null 2>&1 && fail "$NAME" "/metrics still answers after the run"
pass "$NAME (tunnels_up $up with the headend at $before/$after; ClientCertRejected $cc; time_to_tunnel $ttt samples, p99 $ttt99 s; valid text)"
