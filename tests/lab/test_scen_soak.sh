#!/bin/bash
# test_scen_soak.sh: scenarios/soak.ini, short: 20 phones held 40 s, calls of 5 s,
# intervals of 2 s, report.json checkpointed every 10 s. While phoneswarm runs:
# report.json is there (a checkpoint: valid, the run's phones) and is rewritten
# within the next checkpoint interval; timeseries.csv grows; the headend shows all 20
# connected. At the end: the scenario's expectations hold, and phoneswarm's resident
# memory (rss_mib) from the first row after the ramp to the last row before the end
# stays within 3 MiB. Against ocserv 1.3 (ciphers=no-ec), the phones logging in with
# their own protocol, as phones on the headend.
# Takes ~45 s.
NAME=test_scen_soak
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
lab_set ciphers=no-ec
psw_scenario soak.ini
N=20
MAC=025000450000
SEP=02500045
DUR=40
running() { kill -0 "$PSW_PID" 2>/dev/null; }
mtime() { stat -c %y "$T/report.json" 2>/dev/null; }
rows() { wc -l <"$T/timeseries.csv" 2>/dev/null || echo 0; }
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=20 -s run.duration=${DUR}s \
	-s run.interval=2s -s run.checkpoint=10s -s traffic.call_duration=5s
t0=$(date +%s)
until [ -s "$T/report.json" ]; do
	running || fail "$NAME" "phoneswarm ended before any checkpoint: $(tail -n 3 "$T/stderr")"
	[ $(($(date +%s) - t0)) -lt 15 ] || fail "$NAME" "no report.json 15 s into the run (checkpoint 10 s)"
	sleep 0.2
done
first_cp=$(($(date +%s) - t0))
running || fail "$NAME" "phoneswarm ended before the checkpoint was seen"
expect_eq "$NAME: checkpoint report.json: phones.configured" $N "$(report '.phones.configured')"
expect_eq "$NAME: checkpoint report.json: tunnels up" $N "$(report '.phones.tunnels_up')"
m1=$(mtime) r1=$(rows)
connected=$(lab_connected_sep $SEP)
bad=$(lab_phones_bad $SEP)
until [ "$(mtime)" != "$m1" ]; do
	running || fail "$NAME" "phoneswarm ended before a second checkpoint"
	[ $(($(date +%s) - t0)) -lt $((first_cp + 12)) ] || fail "$NAME" "report.json not rewritten within 12 s of the first checkpoint"
	sleep 0.2
done
r2=$(rows)
running || fail "$NAME" "phoneswarm ended before the second checkpoint was seen"
[ "$r2" -gt "$r1" ] || fail "$NAME" "timeseries.csv did not grow between two checkpoints: $r1 then $r2 lines"
expect_eq "$NAME: headend: ours connected mid-run ($(lab_users_sep $SEP))" $N "$connected"
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "$bad"
psw_wait $((DUR + 20))
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: report [tunnels_up,failed,tunnels_dropped,disconnected]" "$N,0,0,$N" \
	"$(report '[.phones.tunnels_up, .phones.failed, .phones.tunnels_dropped, .phones.disconnected] | @csv')"
# rss_mib after the ramp (1 s) has settled, to the last full interval before the end
rss=$(awk -F, -v end="$DUR" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "rss_mib") c = i; next }
	$1 >= 4 && $1 <= end && $2 > 1.5 { if (first == "") first = $c; last = $c; n++ }
	END { printf "%s %s %d", first, last, n }' "$T/timeseries.csv")
read -r rss0 rss1 nrows <<<"$rss"
[ -n "$rss0" ] && [ "${nrows:-0}" -ge 10 ] || fail "$NAME" "too few rows after the ramp in timeseries.csv: $rss"
# Under AddressSanitizer freed memory waits in its quarantine (256 MiB), so resident
# memory grows by design: flatness is judged on the normal build only.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "$NAME: sanitizer build: rss $rss0 -> $rss1 MiB not judged (ASan's quarantine)"
else
	awk -v a="$rss0" -v b="$rss1" 'BEGIN { d = b - a; if (d < 0) d = -d; exit !(d <= 3) }' ||
		fail "$NAME" "rss_mib went from $rss0 to $rss1 MiB over $nrows rows, want within 3 MiB"
fi
pass "$NAME ($N phones for ${DUR} s: first checkpoint at ${first_cp} s, rewritten; csv $r1 -> $r2 lines mid-run, $(rows) at the end; rss $rss0 -> $rss1 MiB over $nrows rows; $(report '.rtp.calls_completed') calls, MOS $(report '.rtp.mos_mean'))"
