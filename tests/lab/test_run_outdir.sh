#!/bin/bash
# test_run_outdir.sh: the run directory. -o a/b/c is created with its parents. An -o
# that cannot be a directory (a regular file, or a path below one) is refused before
# any phone starts: exit 3 at once, the path and the OS error on stderr, no session
# on the headend, no crash. A disk that fills up mid-run (a 1 MiB tmpfs, filled once
# the run is going) stops the run within seconds: exit 3, "No space left on device",
# and the summary says the run stopped early.
NAME=test_run_outdir
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
FULL=$T/full
on_exit 'psw_kill; if mountpoint -q "$FULL"; then umount "$FULL"; fi'

# -o a/b/c: created
psw_run -o "$T/a/b/c" -s phones.count=2 -s phones.mac_base=025000600000 -s run.duration=1s
expect_rc "$NAME: -o a/b/c" 0
expect_eq "$NAME: -o a/b/c: report.json completed" true \
	"$(jq -r .completed "$T/a/b/c/report.json" 2>/dev/null || echo "no report.json")"
[ -s "$T/a/b/c/timeseries.csv" ] || fail "$NAME" "-o a/b/c: no timeseries.csv"

# -o a regular file: exit 3 before any phone starts (it used to run the whole scenario
# blind, then die of SIGSEGV)
SEP=02500061
: >"$T/file"
t0=$(date +%s%N)
psw_start -o "$T/file" -s phones.count=3 -s phones.mac_base=${SEP}0000 -s run.duration=30s
seen="[]"
while kill -0 "$PSW_PID" 2>/dev/null; do
	j=$(lab_users_sep $SEP)
	[ "$j" = "[]" ] || seen=$j
	sleep 0.1
done
psw_wait 1
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc "$NAME: -o FILE" 3
want="phoneswarm: -o $T/file: cannot create $T/file: Not a directory"
grep -qF "$want" "$T/stderr" || fail "$NAME" "-o FILE: stderr: want '$want', got '$(cat "$T/stderr")'"
expect_eq "$NAME: -o FILE: sessions of ours on the headend" "[]" "$seen"
[ "$ms" -lt 5000 ] || fail "$NAME" "-o FILE: took $ms ms, want it refused at once"

# -o below a regular file: the component in the way is named
psw_run -o "$T/file/x/y" -s phones.count=3 -s phones.mac_base=${SEP}0000
expect_rc "$NAME: -o FILE/x/y" 3
want="phoneswarm: -o $T/file/x/y: cannot create $T/file: Not a directory"
grep -qF "$want" "$T/stderr" || fail "$NAME" "-o FILE/x/y: stderr: want '$want', got '$(cat "$T/stderr")'"

# the disk fills up mid-run: the run stops, exit 3, no crash
mkdir -p "$FULL" && mount -t tmpfs -o size=1m tmpfs "$FULL" || fail "$NAME" "cannot mount a tmpfs on $FULL"
t0=$(date +%s)
psw_start -o "$FULL" -s phones.count=3 -s phones.mac_base=025000620000 -s run.duration=30s
until [ "$(wc -l 2>/dev/null <"$FULL/timeseries.csv" || echo 0)" -ge 3 ]; do
	kill -0 "$PSW_PID" 2>/dev/null || fail "$NAME" "disk full: phoneswarm ended early: $(tail -n 3 "$T/stderr")"
	[ $(($(date +%s) - t0)) -lt 10 ] || fail "$NAME" "disk full: no timeseries.csv rows after 10 s"
	sleep 0.2
done
dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null || : # until the disk is full
psw_wait 10
secs=$(($(date +%s) - t0))
expect_rc "$NAME: disk full" 3
grep -q "No space left on device: stopping the run" "$T/stderr" ||
	fail "$NAME" "disk full: stderr: want '...: No space left on device: stopping the run', got '$(cat "$T/stderr")'"
grep -q "STOPPED    early, .*: No space left on device at " "$T/stdout" ||
	fail "$NAME" "disk full: the summary does not say the run stopped early: $(head -n 3 "$T/stdout")"
grep -q "FAIL  run completed its duration" "$T/stdout" ||
	fail "$NAME" "disk full: no failed 'run completed its duration' in the summary"
[ "$secs" -lt 20 ] || fail "$NAME" "disk full: the run went on for $secs s of 30"
pass "$NAME (-o a/b/c made; -o FILE refused in $ms ms; a full disk stopped the run after $secs s)"
