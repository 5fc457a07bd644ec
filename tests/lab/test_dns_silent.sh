#!/bin/bash
# test_dns_silent.sh: the phones' DNS servers stop answering (scripts/lab fault
# dns-silent drops DNS inside the namespace: no reply, not even REFUSED). A phone asks
# at about 0, 14 and 28 s and gives up at about 29 s with DnsLookupErr, as in the
# guide; the trace shows when. The rule's counters tell how many queries came.
# Takes ~30 s (the real timing).
NAME=test_dns_silent
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
N=2
MAC=025000160000
lab_fault dns-up   # a fresh rule: its counters count this test's queries only
lab_fault dns-silent
psw_all_fail "$NAME" $N DnsLookupErr 40 CP-8861-SEP02500016 \
	-s phones.mac_base=$MAC -s run.duration=32s --trace 0
log=$(find "$T/trace" -name "*.log" 2>/dev/null | head -n 1)
[ -s "$log" ] || fail "$NAME" "no trace file in $T/trace"
# seconds of day of the first line matching a pattern (HH:MM:SS.mmm at the start)
tod() { grep -m1 -e "$1" "$log" | awk '{ split($1, a, ":"); printf "%.3f\n", a[1] * 3600 + a[2] * 60 + a[3] }'; }
t0=$(tod 'parse_url: resolving')
# the give-up line (the timer path logs no 'gethostbyname failed' line, see the lead's notes)
t1=$(tod 'notify code: 32')
{ [ -n "$t0" ] && [ -n "$t1" ]; } || fail "$NAME" "trace $log lacks the resolving/notify lines: $(cat "$log")"
gave_up=$(awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; if (d < 0) d += 86400; printf "%.1f", d }')
awk -v d="$gave_up" 'BEGIN { exit !(d >= 28 && d <= 31) }' ||
	fail "$NAME" "the phone gave up $gave_up s after it started resolving, want 28..31 s"
grep -q 'notify code: 32 \[DnsLookupErr\]' "$log" || fail "$NAME" "trace: no 'notify code: 32 [DnsLookupErr]' line"
queries=$("$LAB" fault list | sed -n 's/^dns-silent dropped=//p')
q_per=$(awk -v q="${queries:-0}" -v n=$N 'BEGIN { printf "%.1f", q / n }')
awk -v q="$q_per" 'BEGIN { exit !(q >= 2 && q <= 4) }' ||
	fail "$NAME" "DNS queries dropped: ${queries:-none} for $N phones ($q_per each), want about 3 each"
pass "$NAME ($N x DnsLookupErr; gave up $gave_up s after resolving began; $queries queries dropped, $q_per per phone)"
