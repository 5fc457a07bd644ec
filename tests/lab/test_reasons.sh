#!/bin/bash
# test_reasons.sh: failure reasons that no other lab test provokes, each provoked from
# outside and checked from the headend's side and in report.json and failures.csv:
#  1. TcpError: the headend's address answers the phones' SYN with an ICMP host
#     unreachable (iptables REJECT --reject-with icmp-host-unreachable in the lab
#     namespace, for one source address): the connect fails (No route to host), in
#     phase tcp; nothing reaches the headend.
#  2. Internal: phoneswarm limited to 40 descriptors (prlimit --nofile) and 60 phones
#     to an IP literal (no DNS socket), DTLS off: a phone that finds no descriptor for
#     its socket fails with Internal (a local resource, "Too many open files"), never a
#     reason that blames the headend; the others come up. So the failures are exactly
#     {Internal: 60 - tunnels_up}, with some up and some not.
#  3. ConnectTimeout while resolving: DNS silent (scripts/lab fault dns-silent) and a
#     3 s connect timer: the timer ends the lookup long before the phone's own 29 s
#     DNS give-up: ConnectTimeout in phase dns, within the timer.
# (TlsError, DtlsFailed and ConnectTimeout in the auth and cstp phases are provoked by
# tests/lab/test_bad_headend.sh: bad-hello, bad-record, dtls-alert, stall-auth,
# stall-connect.)
NAME=test_reasons
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
SRC=198.18.127.201
MAC=025000500000 PFX=CP-8861-SEP02500050
unreach() { lab_reject "$1" unreach icmp-host-unreachable INPUT -s $SRC -d "$LAB_HEADEND" -p tcp --dport 443 --syn; }
on_exit 'unreach -D'
phases() { csv_cols "$1" phase reason | tr '\t' : | sort | uniq -c | awk '{ print $2 "=" $1 }' | paste -sd' ' -; }

# 1. TcpError
unreach -A || fail "$NAME (TcpError)" "cannot add the iptables rule"
psw_all_fail "$NAME (TcpError)" 5 TcpError 10 $PFX -s phones.mac_base=$MAC -s phones.source=$SRC \
	-s run.duration=1s
unreach -D
expect_eq "$NAME (TcpError): failures.csv phase:reason" "tcp:TcpError=5" "$(phases "$T/failures.csv")"
detail=$(csv_cols "$T/failures.csv" detail | sed -n 1p)
expect_eq "$NAME (TcpError): detail" "connect: No route to host" "$detail"
t1=$PSW_MS

# 2. Internal
mkdir -p "$T/internal"
rc=0
prlimit --nofile=40:40 "$PSW" run "$T/lab.ini" -o "$T/internal" -q -s phones.count=60 \
	-s phones.mac_base=$MAC -s headend.url="https://$LAB_HEADEND/" -s dtls.mode=off \
	-s ramp.rate=100 -s run.duration=2s >"$T/internal/stdout" 2>"$T/internal/stderr" || rc=$?
expect_eq "$NAME (Internal): exit status ($(tail -n 3 "$T/internal/stderr"))" 0 "$rc"
got=$(jq -c '[.phones.attempted, .phones.tunnels_up > 0, .phones.tunnels_up < 60,
	.failures == {Internal: (60 - .phones.tunnels_up)}, .phones.failed == 60 - .phones.tunnels_up]' \
	"$T/internal/report.json")
expect_eq "$NAME (Internal): [attempted, some up, some not, failures == {Internal: 60 - up}, failed == 60 - up] ($(jq -c '[.phones.tunnels_up, .failures]' "$T/internal/report.json"))" \
	"[60,true,true,true,true]" "$got"
internal=$(jq '.failures.Internal' "$T/internal/report.json")
expect_eq "$NAME (Internal): failures.csv phase:reason" "tcp:Internal=$internal" "$(phases "$T/internal/failures.csv")"
expect_eq "$NAME (Internal): details" "local resource: Too many open files" \
	"$(csv_cols "$T/internal/failures.csv" detail | sort -u)"

# 3. ConnectTimeout while resolving
lab_fault dns-silent
psw_all_fail "$NAME (ConnectTimeout, dns)" 3 ConnectTimeout 6 $PFX -s phones.mac_base=$MAC \
	-s run.connect_timeout=3s -s run.duration=4s
lab_fault dns-up
expect_eq "$NAME (ConnectTimeout, dns): failures.csv phase:reason" "dns:ConnectTimeout=3" "$(phases "$T/failures.csv")"
# each phone's failure when its 3 s timer ran out: 3 s after it was due (due at 0, 20, 40 ms)
late=$(csv_cols "$T/failures.csv" t_s phone |
	awk -F'\t' '{ d = $1 - 3 - $2 * 0.02; if (d < 0 || d > 0.3) print $2 ":" $1 }')
expect_eq "$NAME (ConnectTimeout, dns): phones not failed 3.0-3.3 s after they were due" "" "$late"

pass "$NAME (5 x TcpError in $t1 ms; $internal x Internal of 60 with 40 descriptors; 3 x ConnectTimeout while resolving in $PSW_MS ms)"
