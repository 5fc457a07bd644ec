#!/bin/bash
# tests/unit/test_direct.sh: traffic.path = direct on loopback, no lab. Ten phones in
# calls (G.711, 20 ms) send their RTP straight over UDP to a real `phoneswarm reflect`
# on 127.0.0.1 for 4 s (scenarios/bench-direct.ini). Checks, from the reflector's own
# count and from the schedule, not from phoneswarm's word alone:
#   - every phone came up without a headend (nothing listens at its [headend] url:
#     a phone that tried the tunnel would fail) and logged off cleanly;
#   - the reflector received and echoed exactly the packets phoneswarm sent, one
#     stream per call, and phoneswarm received every echo (loopback loses nothing);
#   - the packets sent fit the schedule: each phone sends one per 20 ms from its
#     arrival to the run's end, so 10 phones over 4 s send between 0.9 x 2,000 and
#     10 x (200 + 2);
#   - the send lateness of every packet was recorded (its count = packets sent), and
#     its median is below one packet interval (20 ms: above, the schedule would not
#     hold at all);
#   - phoneswarm check counts one descriptor a phone;
#   - no receive found the worker's shared receive buffers all in use
#     (traffic.rx_nobufs = 0: 64 buffers a thread, 10 phones); and a second run of
#     2 s with one buffer a thread to start with (PHONESWARM_RX_BUFFERS=1) counts
#     receives that found it in use (rx_nobufs > 0) and still gets every echo back:
#     the data waits in the socket, nothing is lost (the reflector's totals cover
#     every run); its pool grew (traffic.rx_buffers above 1, at most the cap of 64
#     that eight a phone gives 5 phones a thread) and so stopped running out: fewer
#     than one receive in ten found it in use (a pool that cannot grow finds it in
#     use about once a datagram: 1,009 times for 1,009 echoes);
#   - a third run of 2 s with run.priority = realtime (as root, or with ulimit -r of
#     1 or more): while it goes, every worker thread (phoneswarm-wN) is SCHED_FIFO
#     at priority 1 and the main thread is not; every echo comes back.
# Polls with deadlines (the reflector's socket, the run's end); no fixed sleeps.
# Exit 0 pass, 1 fail, 77 skip (no jq: scripts/deps test). Argument: the build
# directory (tests/run-unit gives it; default build).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # tests/run-unit runs checks with sh
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PSW=${PSW:-$BUILD/phoneswarm}
INI=$ROOT/scenarios/bench-direct.ini
command -v jq >/dev/null 2>&1 || { echo "SKIP: no jq (scripts/deps test installs it)"; exit 77; }
[ -x "$PSW" ] || { echo "FAIL test_direct: no $PSW (make)"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/test_direct.XXXXXX") || exit 1
refl=""
cleanup() {
	[ -z "$refl" ] || kill "$refl" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM INT # run-unit's time limit: the reflector goes too
fails=0
fail() {
	echo "FAIL test_direct: $*"
	fails=$((fails + 1))
}

# bound PORT: is a UDP socket bound to 127.0.0.1:PORT? (/proc/net/udp, hex)
bound() {
	local hex
	hex=$(printf '0100007F:%04X' "$1")
	grep -q " $hex " /proc/net/udp
}

# the reflector, on a port nothing else holds (a few tries: another may take it first)
port=""
for _ in 1 2 3 4 5; do
	p=$((20000 + (RANDOM % 20000)))
	bound "$p" && continue
	"$PSW" reflect --listen "127.0.0.1:$p" 2>"$T/reflect.err" &
	refl=$!
	for _ in $(seq 100); do # up to 10 s for the socket to show
		bound "$p" && break
		kill -0 "$refl" 2>/dev/null || break
		sleep 0.1
	done
	if bound "$p" && kill -0 "$refl" 2>/dev/null; then
		port=$p
		break
	fi
	kill "$refl" 2>/dev/null
	wait "$refl" 2>/dev/null
	refl=""
done
[ -n "$port" ] || { echo "FAIL test_direct: no reflector came up: $(cat "$T/reflect.err")"; exit 1; }

set -- -s phones.count=10 -s run.duration=4s -s "traffic.target=127.0.0.1:$port"
"$PSW" check "$INI" "$@" >"$T/check.out" 2>&1 || fail "check refused the run: $(tail -3 "$T/check.out")"
grep -q 'descriptors  need [0-9]* (1 a phone,' "$T/check.out" ||
	fail "check does not count one descriptor a phone: $(grep descriptors "$T/check.out")"

timeout 40 "$PSW" run "$INI" "$@" -q -o "$T/run" >"$T/run.out" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "phoneswarm run exited $rc: $(tail -5 "$T/run.out")"
PHONESWARM_RX_BUFFERS=1 timeout 40 "$PSW" run "$INI" "$@" -s run.duration=2s -q -o "$T/run1" \
	>"$T/run1.out" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "phoneswarm run with one receive buffer exited $rc: $(tail -5 "$T/run1.out")"
read -r sent1 got1 nobufs1 bufs1 <<<"$(jq -r '[.rtp.sent, .rtp.received,
	.traffic.rx_nobufs, .traffic.rx_buffers] | @tsv' "$T/run1/report.json" 2>/dev/null)"
bufs0=$(jq -r .traffic.rx_buffers "$T/run/report.json" 2>/dev/null)

# run.priority = realtime (root, or ulimit -r of 1 or more, may ask it): while the run
# goes, each worker thread (phoneswarm-wN) is SCHED_FIFO 1 and the main thread is not
sent2=0 rt_seen=""
if [ "$(id -u)" = 0 ] || [ "$(ulimit -r)" = unlimited ] || [ "$(ulimit -r)" -ge 1 ]; then
	timeout 40 "$PSW" run "$INI" "$@" -s run.duration=2s -s run.priority=realtime -q \
		-o "$T/run2" >"$T/run2.out" 2>&1 &
	to=$! rt=""
	for _ in $(seq 100); do # up to 10 s for the workers to show, then read them
		rt=$(cat /proc/"$to"/task/"$to"/children 2>/dev/null) # timeout's child: phoneswarm
		rt=${rt%% *}
		[ -n "$rt" ] && grep -q '^phoneswarm-w' /proc/"$rt"/task/*/comm 2>/dev/null && break
		kill -0 "$to" 2>/dev/null || break
		sleep 0.1
	done
	rt=${rt:-$to}
	for c in $(grep -l '^phoneswarm-w' /proc/"$rt"/task/*/comm 2>/dev/null); do
		t=${c%/comm}
		pol=$(awk '/^policy/ {print $3}' "$t/sched" 2>/dev/null)
		pri=$(awk '{print $18}' "$t/stat" 2>/dev/null) # -1 - rt_priority for a real-time thread
		[ -z "$pol" ] && continue # the thread ended meanwhile
		rt_seen="$rt_seen $(cat "$c"):$pol:$pri"
		[ "$pol" = 1 ] && [ "$pri" = -2 ] || fail "realtime: $(cat "$c") has policy $pol, priority $pri (want SCHED_FIFO 1: 1, -2)"
	done
	mpol=$(awk '/^policy/ {print $3}' /proc/"$rt"/sched 2>/dev/null)
	[ -z "$mpol" ] || [ "$mpol" = 0 ] || fail "realtime: the main thread has policy $mpol, want 0"
	[ -n "$rt_seen" ] || fail "realtime: no worker thread phoneswarm-wN seen while the run went"
	wait "$to"
	rc=$?
	[ "$rc" = 0 ] || fail "phoneswarm run with run.priority = realtime exited $rc: $(tail -5 "$T/run2.out")"
	read -r sent2 got2 <<<"$(jq -r '[.rtp.sent, .rtp.received] | @tsv' "$T/run2/report.json" 2>/dev/null)"
	[ "${got2:-x}" = "${sent2:-y}" ] || fail "realtime: ${got2:-?} echoes of ${sent2:-?} packets"
	sent2=${sent2:-0}
fi

kill -INT "$refl"
for _ in $(seq 100); do # up to 10 s for its closing line
	kill -0 "$refl" 2>/dev/null || break
	sleep 0.1
done
wait "$refl" 2>/dev/null
refl=""
line=$(grep 'received,' "$T/reflect.err")
read -r r_recv r_echo r_stamp r_streams r_err <<<"$(echo "$line" |
	sed -E 's/.*: ([0-9]+) received, ([0-9]+) echoed, ([0-9]+) RTP probes stamped, ([0-9]+) streams, ([0-9]+) send errors.*/\1 \2 \3 \4 \5/')"
[ -n "${r_err:-}" ] || { echo "FAIL test_direct: no closing line from the reflector: $(cat "$T/reflect.err")"; exit 1; }

J=$T/run/report.json
[ -s "$J" ] || { echo "FAIL test_direct: no report.json: $(tail -5 "$T/run.out")"; exit 1; }
read -r up failed disc sent got late_n late_p50 nobufs <<<"$(jq -r '[.phones.tunnels_up, .phones.failed,
	.phones.disconnected, .rtp.sent, .rtp.received, .latency_us.rtp_send_late.count,
	.latency_us.rtp_send_late.p50, .traffic.rx_nobufs] | @tsv' "$J")"

[ "$up" = 10 ] || fail "phones up: $up, want 10"
[ "$failed" = 0 ] || fail "phones failed: $failed, want 0"
[ "$disc" = 10 ] || fail "phones logged off: $disc, want 10"
[ "$nobufs" = 0 ] || fail "$nobufs receives found no buffer with 64 a thread for 10 phones"
[ -n "${nobufs1:-}" ] || fail "no report.json from the run with one receive buffer"
[ "${nobufs1:-0}" -gt 0 ] || fail "with one receive buffer a thread, no receive found it in use"
[ "${got1:-x}" = "${sent1:-y}" ] || fail "with one receive buffer: ${got1:-?} echoes of ${sent1:-?} packets"
[ "${bufs0:-x}" = 64 ] || fail "rx_buffers ${bufs0:-?} with the default pool, want 64 (a quarter of 5 phones, at least 64)"
if [ "${bufs1:-0}" -le 1 ] || [ "${bufs1:-0}" -gt 64 ]; then
	fail "with one receive buffer to start with, the pool reached ${bufs1:-?}: want it grown, to at most 64"
fi
[ "$((${nobufs1:-0} * 10))" -lt "${sent1:-0}" ] ||
	fail "with one receive buffer to start with: $nobufs1 receives found the pool in use for $sent1 packets (it did not grow enough)"
both=$((sent + ${sent1:-0} + sent2))
[ "$r_recv" = "$both" ] || fail "the reflector received $r_recv, phoneswarm sent $both in all runs"
if [ "$r_echo" != "$both" ] || [ "$r_stamp" != "$both" ]; then
	fail "the reflector echoed $r_echo and stamped $r_stamp of $both"
fi
[ "$r_err" = 0 ] || fail "the reflector had $r_err send errors"
want_streams=$((${rt_seen:+10} + 20))
[ "$r_streams" = "$want_streams" ] ||
	fail "the reflector saw $r_streams streams, want $want_streams (one call a phone a run)"
[ "$got" = "$sent" ] || fail "phoneswarm received $got echoes of $sent packets"
if [ "$sent" -lt 1800 ] || [ "$sent" -gt 2020 ]; then
	fail "packets sent: $sent, want 1,800-2,020"
fi
[ "$late_n" = "$sent" ] || fail "send lateness recorded for $late_n packets of $sent"
[ "$late_p50" -lt 20000 ] || fail "send lateness p50 $late_p50 us, not below 20 ms"

if [ "$fails" -gt 0 ]; then
	cat "$T/run.out"
	exit 1
fi
rt_said="realtime not tried (not root, ulimit -r 0)"
[ -z "$rt_seen" ] || rt_said="realtime: $sent2 each way, workers (name:policy:priority)$rt_seen"
echo "test_direct: 10 phones direct to a reflector on loopback: $sent packets each way, 0 lost," \
	"send lateness p50 $late_p50 us; with one receive buffer: $sent1 each way, 0 lost," \
	"$nobufs1 receives found it in use, the pool grew to $bufs1;" \
	"$rt_said"
exit 0
