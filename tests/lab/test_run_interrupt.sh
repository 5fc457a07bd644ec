#!/bin/bash
# test_run_interrupt.sh: a run cut short by SIGINT (^C) or SIGTERM (a Kubernetes
# eviction) disconnects its phones, writes report.json and timeseries.csv, and does
# not pass for a whole run: exit 1, "completed": false, "stopped_early" naming the
# signal and when, and a failed expectation "run completed its duration".
NAME=test_run_interrupt
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"

# interrupt SIGNAL SEP: start a 30 s run of 3 phones, send SIGNAL once they have been up
# for a moment
interrupt() {
	local sig=$1 sep=$2 t0
	t0=$(date +%s)
	psw_start -s phones.count=3 -s phones.mac_base="${sep}0000" -s run.duration=30s
	lab_wait_like "CP-8861-SEP$sep" 3 10 || fail "$NAME" "$sig: the phones did not come up"
	# two intervals of the run written (the header and two rows)
	wait_until 5 "two rows in timeseries.csv" \
		eval '[ "$(wc -l 2>/dev/null <"$T/timeseries.csv" || echo 0)" -ge 3 ]' ||
		fail "$NAME" "$sig: no two rows in timeseries.csv"
	kill -"$sig" "$PSW_PID"
	psw_wait 10
	expect_rc "$NAME: $sig" 1
	expect_eq "$NAME: $sig: completed" false "$(report .completed)"
	report .stopped_early | grep -qE "^SIG$sig at [0-9]+\.[0-9] s of 30\.[0-9] s$" ||
		fail "$NAME" "$sig: stopped_early: want 'SIG$sig at N s of 30.N s', got '$(report .stopped_early)'"
	expect_failed "$NAME: $sig" "run completed its duration"
	expect_eq "$NAME: $sig: phones [tunnels_up,disconnected]" "3,3" \
		"$(report '[.phones.tunnels_up, .phones.disconnected] | @csv')"
	[ "$(wc -l 2>/dev/null <"$T/timeseries.csv")" -ge 3 ] || fail "$NAME" "$sig: timeseries.csv: want 2 rows or more"
	grep -q "^  STOPPED    early, SIG$sig at " "$T/stdout" ||
		fail "$NAME" "$sig: the summary does not say the run stopped early: $(head -n 3 "$T/stdout")"
	[ $(($(date +%s) - t0)) -lt 20 ] || fail "$NAME" "$sig: the run went on for 20 s or more"
	lab_wait_like "CP-8861-SEP$sep" 0 5 || fail "$NAME" "$sig: sessions left on the headend"
}

interrupt INT 02500063
interrupt TERM 02500064
pass "$NAME (SIGINT and SIGTERM: exit 1, $(report .stopped_early))"
