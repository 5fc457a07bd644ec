#!/bin/bash
# test_scen_dns_failure.sh: scenarios/dns-failure.ini, short: 4 phones, seconds between
# the events, but the phones' real 29 s DNS give-up. While DNS is silent and the phones
# have been reset, the headend shows none of their sessions, and the DNS rule drops
# their queries; after DNS is back and the second reset, it shows all 4 again. The
# scenario's own expectations (DnsLookupErr for every phone in the outage, everyone
# back at the end) must all hold, and report.json must say so in figures. Against ocserv
# 1.3 (ciphers=no-ec), the phones logging in with their own protocol, as phones on the
# headend.
# Takes ~50 s.
NAME=test_scen_dns_failure
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
lab_set ciphers=no-ec
psw_scenario dns-failure.ini
N=4
MAC=025000400000
users_of() { lab_users_sep 02500040; }
mine() { lab_connected_sep 02500040; }
lab_fault dns-up   # no rule left from before: the counters below are this run's
t0=$(date +%s)
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s ramp.rate=10 -s run.duration=46s \
	-s event.dns-silent.at="ramp_end + 3s" -s event.reset-1.at="dns-silent + 2s" \
	-s event.dns-up.at="reset-1 + 34s" -s event.reset-2.at="dns-up + 2s" --trace 0

psw_wait_event reset-1 15 || fail "$NAME" "reset-1 never fired: $(tail -n 3 "$T/stderr")"
# reset-1 logs every phone out: gone from the headend within seconds, and none back
# (looked at every 0.2 s) until every phone has given up on DNS (DnsLookupErr)
wait_value 5 0 mine || fail "$NAME" "headend: want none of ours after reset-1 ($(users_of))"
until _psw_csv_holds fail_DnsLookupErr == $N sum; do
	in_outage=$(mine)
	expect_eq "$NAME: headend sessions of ours while DNS is silent, after reset-1 ($(users_of))" 0 "$in_outage"
	kill -0 "$PSW_PID" 2>/dev/null || fail "$NAME" "phoneswarm ended before the DNS give-up"
	psw_wait_event dns-up 0 2>/dev/null && fail "$NAME" "dns-up came before $N x DnsLookupErr"
	sleep 0.2
done
dropped=$("$LAB" fault list | sed -n 's/^dns-silent dropped=//p')
[ "${dropped:-0}" -gt 0 ] || fail "$NAME" "the dns-silent rule dropped no query: $("$LAB" fault list)"
psw_wait_event dns-up 45 || fail "$NAME" "dns-up never fired"
psw_wait_event reset-2 10 || fail "$NAME" "reset-2 never fired"
wait_value 8 $N mine || fail "$NAME" "headend sessions of ours after dns-up and reset-2: want $N, got $GOT ($(users_of))"
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "$(lab_phones_bad 02500040)"
psw_wait 20
expect_rc "$NAME" 0
expect_held "$NAME"
expect_eq "$NAME: report failures" "{\"DnsLookupErr\":$N}" "$(report '.failures | tojson')"
expect_eq "$NAME: report phones [attempted,tunnels_up,failed,disconnected]" "$N,$((2 * N)),0,$N" \
	"$(report '[.phones.attempted, .phones.tunnels_up, .phones.failed, .phones.disconnected] | @csv')"
expect_eq "$NAME: events carried out" "dns-silent,reset-1,dns-up,reset-2" \
	"$(report '[.events[] | select(.ok) | .name] | join(",")')"
# the give-up, from the events' times: reset-1 .. the interval whose failures column rose
gave_up=$(awk -F, -v r="$(report '.events[] | select(.name == "reset-1") | .at_s')" \
	'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "fail_DnsLookupErr") c = i; next }
	 $c > 0 && !t { t = $1 } END { printf "%.1f", t - r }' "$T/timeseries.csv")
awk -v g="$gave_up" 'BEGIN { exit !(g >= 28.5 && g <= 31.5) }' ||
	fail "$NAME" "DnsLookupErr came $gave_up s after reset-1, want the phone's ~29.5 s (0.5 s restart + 29 s)"
[ -z "$("$LAB" fault list)" ] || fail "$NAME" "faults left after the run: $("$LAB" fault list)"
pass "$NAME ($N phones: 0 on the headend during the outage, $N x DnsLookupErr $gave_up s after reset-1, all $N back after dns-up; $dropped queries dropped; $(($(date +%s) - t0)) s)"
