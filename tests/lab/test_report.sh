#!/bin/bash
# test_report.sh: report.json carries every field the README promises, with the right
# types, and numbers that agree with each other after a small clean run.
NAME=test_report
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=5
psw_run -s phones.count=$N -s phones.mac_base=0250000B0000 -s run.duration=2s -s dtls.mode=auto
expect_rc "$NAME" 0
[ -s "$T/report.json" ] || fail "$NAME" "no $T/report.json"
jq -e . "$T/report.json" >/dev/null 2>&1 || fail "$NAME" "$T/report.json is not JSON"

# every promised path, and its type
missing=$(jq -c '
	def need(p; t): if (getpath(p) | type) == t then empty else {path: (p | join(".")), want: t, got: (getpath(p) | type)} end;
	[ need(["tool"]; "string"), need(["scenario"]; "string"), need(["headend"]; "string"),
	  need(["dtls_mode"]; "string"), need(["duration_s"]; "number"),
	  need(["completed"]; "boolean"), need(["stopped_early"]; "null"),
	  (("configured", "attempted", "tunnels_up", "dtls_up", "peak_concurrent", "failed",
	    "disconnected", "aborted_at_end") as $k | need(["phones", $k]; "number")),
	  need(["failures"]; "object"),
	  (("tcp_connect", "tls_handshake", "auth", "cstp_connect", "dtls_handshake",
	    "time_to_tunnel", "dpd_rtt") as $m |
	    ("count", "min", "p50", "p90", "p99", "p999", "max", "mean") as $s |
	    need(["latency_us", $m, $s]; "number")),
	  (("cstp_tx_bytes", "cstp_rx_bytes", "dtls_tx_bytes", "dtls_rx_bytes", "keepalives_sent",
	    "dpd_sent", "dpd_answered") as $k | need(["traffic", $k]; "number")),
	  (("sent", "received", "lost") as $k | need(["rtp", $k]; "number")),
	  need(["expectations"]; "array"),
	  (("cpu_user_s", "cpu_sys_s", "max_rss_kb", "rss_base_kb", "rss_at_peak_kb",
	    "kib_per_connected_phone", "cpu_ms_per_tunnel") as $k | need(["resources", $k]; "number"))
	]' "$T/report.json")
expect_eq "$NAME: missing or mistyped report fields" "[]" "$missing"

expect_eq "$NAME: phones [configured,attempted,tunnels_up,dtls_up,peak_concurrent,failed,disconnected]" \
	"$N,$N,$N,$N,$N,0,$N" \
	"$(report '[.phones | .configured, .attempted, .tunnels_up, .dtls_up, .peak_concurrent, .failed, .disconnected] | @csv')"
expect_eq "$NAME: dtls_mode" auto "$(report .dtls_mode)"
expect_eq "$NAME: completed" true "$(report .completed)"
expect_eq "$NAME: headend" "$LAB_URL" "$(report .headend)"
# each latency histogram: count N, and min <= p50 <= p90 <= p99 <= p999 <= max
bad=$(jq -c --argjson n $N '[.latency_us | to_entries[] |
	select(.key | IN("tcp_connect", "tls_handshake", "auth", "cstp_connect", "dtls_handshake", "time_to_tunnel")) |
	select(.value | .count != $n or .min > .p50 or .p50 > .p90 or .p90 > .p99 or .p99 > .p999 or .p999 > .max or .min <= 0) |
	{(.key): .value}]' "$T/report.json")
expect_eq "$NAME: latency histograms with count $N and ordered percentiles" "[]" "$bad"
# The parts of the bring-up take less than the whole, phone by phone: each phone's
# time to tunnel runs from when it was due to its tunnel up, through its TCP connect,
# TLS handshake, auth and CONNECT one after the other (and its DNS lookup before).
# So over the N phones (every histogram counts the same N): the whole's mean is at
# least the sum of the parts' means, its minimum at least the sum of their minimums,
# and its maximum at least any part's maximum plus the other parts' minimums. (0.1%
# of slack: a histogram keeps 3 significant digits.)
parts='["tcp_connect", "tls_handshake", "auth", "cstp_connect"]'
got=$(jq -c --argjson parts "$parts" '.latency_us as $l | [$parts[] | $l[.]] as $p |
	($l.time_to_tunnel) as $w | ($p | map(.min) | add) as $mins |
	[$w.mean * 1.001 >= ($p | map(.mean) | add),
	 $w.min * 1.001 >= $mins,
	 ($p | all($w.max * 1.001 >= .max + $mins - .min))]' "$T/report.json")
expect_eq "$NAME: time_to_tunnel >= its parts [mean, min, max] ($(report '.latency_us | map_values({mean, min, max}) | tojson'))" \
	"[true,true,true]" "$got"
got=$(report '.traffic | .cstp_tx_bytes > 0 and .cstp_rx_bytes + .dtls_rx_bytes > 0 and .dtls_tx_bytes > 0')
expect_eq "$NAME: tunnel bytes moved both ways ($(report '.traffic | tojson'))" true "$got"
got=$(report '.resources | .max_rss_kb > 0 and .cpu_user_s + .cpu_sys_s > 0')
expect_eq "$NAME: resources measured ($(report '.resources | tojson'))" true "$got"
pass "$NAME"
