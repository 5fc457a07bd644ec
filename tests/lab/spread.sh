#!/bin/bash
# tests/lab/spread.sh [RUNS] [idle|load]: the spread of the figures that lab tests
# hold to a time bound, measured by running the same phoneswarm invocation RUNS times
# (default 20) against the lab. Not a test (it asserts nothing): it is how the bounds
# in test_voice.sh and test_capacity.sh were set, and how to check them again on
# another machine. "load" runs `make -j2` of a copy of this tree in a loop beside
# it, as CI's builds and other jobs would. Needs the lab (root; hold the lab lock).
#
#   voice   10 phones in calls for 8 s over DTLS (test_voice.sh's clean case):
#           RTP send lateness p99 and max, us; packets lost
#   events  test_capacity.sh's timeline: an exec event at 2 s and a reset at
#           "hello + 2s": when each fired (at_s in report.json), s
#
# Prints one line per run, then min / median / p90 / max of each figure.
NAME=spread
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
RUNS=${1:-20}
MODE=${2:-idle}
case "$MODE" in idle | load) ;; *) echo "usage: $0 [RUNS] [idle|load]" >&2; exit 2 ;; esac
lab_require
psw_setup "$NAME-$MODE"
OUT=$T/spread.csv
echo "run,voice_late_p99_us,voice_late_max_us,voice_lost,hello_at_s,reset_at_s,load1" >"$OUT"

if [ "$MODE" = load ]; then
	copy=$(mktemp -d /tmp/spread-load.XXXXXX)
	git -C "$LAB_ROOT" archive HEAD | tar -x -C "$copy"
	( while :; do make -s -C "$copy" clean >/dev/null 2>&1; make -s -j2 -C "$copy" all >/dev/null 2>&1; done ) &
	load_pid=$!
	on_exit "kill $load_pid; pkill -f 'make -s -j2 -C $copy'; rm -rf '$copy'"
	# the first build under way before the first run
	wait_until 60 "the load's first compiler" pgrep -x cc1 >/dev/null
fi

VOICE=(-s "traffic.calls=100%" -s traffic.call_duration=10m -s "traffic.target=$LAB_REFLECTOR"
	-s phones.count=10 -s phones.mac_base=025000210000 -s ramp.rate=50
	-s run.duration=8s -s dtls.mode=psk)

cp "$T/lab.ini" "$T/voice.ini"
lab_timeline_ini "$LAB_URL" >"$T/timeline.ini"
for i in $(seq 1 "$RUNS"); do
	cp "$T/voice.ini" "$T/lab.ini"
	psw_run "${VOICE[@]}"
	expect_rc "$NAME voice run $i" 0
	v=$(report '[.latency_us.rtp_send_late.p99, .latency_us.rtp_send_late.max, .rtp.lost] | @csv')
	cp "$T/timeline.ini" "$T/lab.ini"
	psw_run
	expect_rc "$NAME events run $i" 0
	e=$(report '[(.events[] | select(.name == "hello") | .at_s), (.events[] | select(.name == "reset-half") | .at_s)] | @csv')
	echo "$i,$v,$e,$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT"
done

echo "spread over $RUNS runs ($MODE; $(nproc) cores):"
for col in 2 3 4 5 6 7; do
	name=$(head -n 1 "$OUT" | cut -d, -f"$col")
	tail -n +2 "$OUT" | cut -d, -f"$col" | sort -g | awk -v name="$name" '
		{ v[NR] = $1 }
		END {
			printf "  %-18s min %s  median %s  p90 %s  max %s\n", name, v[1],
				v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.999)], v[NR]
		}'
done
echo "the runs: $OUT"
pass "$NAME ($MODE, $RUNS runs)"
