#!/bin/bash
# test_local_limits.sh: this machine's limits are phoneswarm's, never the headend's.
#  1. 1,000 phones on one worker thread under ulimit -n 1024 (soft and hard):
#     refused before any phone (exit 3 at once, no session of ours on the headend):
#     the thread's io_uring would hold their 2,000 sockets as registered files, and
#     the kernel caps a ring's table at the descriptor limit (worked out here: 2 a
#     phone; 512 phones a thread fit), saying the limit, the threads, what to raise
#     and how many phones would fit; phoneswarm check says the same (exit 2).
#  1b. The same 1,000 phones on two threads under ulimit -n 1024 (soft and hard):
#     2,000 sockets, more than the process may open, and every phone comes up with
#     DTLS, all at once (each ring's table holds 1,000; phoneswarm's own
#     descriptors, read by an exec event at the end of the ramp, are below 100).
#  2. The same 1,000 phones on one thread under a soft limit of 1,024 and a hard
#     one of 4,096: the run raises its soft limit and every phone comes up.
#  3. A source address that is not this machine's, with a phone config of two URLs:
#     every phone fails with LocalResource (EADDRNOTAVAIL, the address named in
#     failures.csv), none fails over to url2, none reaches the headend; the run says
#     it is not a measurement of the headend (summary, report.json, exit 1).
#  4. The same address with phones.freebind: the bind no longer fails, but the kernel
#     sends nothing from an address that is not this machine's (connect fails with
#     ENETUNREACH before any packet, which phoneswarm tells from a network's ICMP and
#     reports as EADDRNOTAVAIL): LocalResource again, and check says so.
# Takes ~60 s.
NAME=test_local_limits
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
B=025000750000 PREFIX=CP-8861-SEP02500075
N=1000
TABLE=$((2 * N)) # one thread's registered files: 2 a phone
FIT=$((1024 / 2)) # phones one thread's table may hold under 1,024

# ---- 1. refused up front under a hard limit of 1,024
seen=""
t0=$(date +%s%N)
(ulimit -Sn 1024 && ulimit -Hn 1024 && exec "$PSW" run "$T/lab.ini" -o "$T/refused" -q \
	-s phones.count=$N -s phones.mac_base=$B -s ramp.rate=100 -s run.threads=1) >"$T/refused.out" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	j=$(lab_users_like "$PREFIX" | jq -c 'map(.Username)')
	[ "$j" = "[]" ] || seen=$j
	sleep 0.1
done
rc=0
wait $pid || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$NAME: 1000 phones under ulimit -n 1024: exit status" 3 "$rc"
want="phoneswarm: $N phones on 1 worker thread put $N on one thread, whose io_uring holds their sockets (2 a phone) as a table of $TABLE registered files, but the kernel caps a ring's table at the descriptor limit, 1024 here (its hard limit, ulimit -Hn): set run.threads = $(((N + FIT - 1) / FIT)) or more, or raise the limit to $TABLE"
grep -qF "$want" "$T/refused.out" || fail "$NAME" "refusal: want '$want...', got '$(cat "$T/refused.out")'"
grep -qF "or run at most $FIT phones" "$T/refused.out" ||
	fail "$NAME" "refusal does not say how many phones fit: $(cat "$T/refused.out")"
expect_eq "$NAME: sessions of ours on the headend while refused" "" "$seen"
[ "$ms" -lt 5000 ] || fail "$NAME" "refused after $ms ms, want at once"
[ ! -e "$T/refused/report.json" ] || fail "$NAME" "a refused run wrote a report"
rc=0
(ulimit -Sn 1024 && ulimit -Hn 1024 && exec "$PSW" check "$T/lab.ini" -s phones.count=$N \
	-s run.threads=1) >"$T/check.out" 2>"$T/check.err" || rc=$?
expect_eq "$NAME: check under ulimit -n 1024: exit status" 2 "$rc"
grep -qF "descriptors  PROBLEM: $N phones on 1 worker thread put $N on one thread" "$T/check.out" ||
	fail "$NAME" "check does not name the descriptors: $(cat "$T/check.out")"
grep -qF "phoneswarm check: descriptors: $N phones on 1 worker thread" "$T/check.err" ||
	fail "$NAME" "check does not list the problem on stderr: $(cat "$T/check.err")"

# ---- 1b. two threads under the same hard limit: 2,000 sockets, every phone up with DTLS
# (phones of their own, so that no session of theirs meets part 2's)
B2=025000770000
cp "$T/lab.ini" "$T/fds.ini"
cat >>"$T/fds.ini" <<-EOF

[event.fds]
at = 10s
action = exec
command = ls /proc/\$PPID/fd | wc -l >$T/fds-at-10s
EOF
rc=0
(ulimit -Sn 1024 && ulimit -Hn 1024 && exec "$PSW" run "$T/fds.ini" -o "$T/two" -q \
	-s phones.count=$N -s phones.mac_base=$B2 -s ramp.rate=100 -s run.duration=5s \
	-s run.threads=2) >"$T/two.out" 2>&1 || rc=$?
expect_eq "$NAME: 1000 phones, 2 threads, ulimit -n 1024: exit status ($(tail -n 3 "$T/two.out"))" 0 "$rc"
expect_eq "$NAME: 1000 phones, 2 threads, ulimit -n 1024: [tunnels_up, dtls_up, peak_concurrent, failed]" \
	"$N,$N,$N,0" "$(jq -r '[.phones.tunnels_up, .phones.dtls_up, .phones.peak_concurrent, .phones.failed] | @csv' "$T/two/report.json")"
fds=$(cat "$T/fds-at-10s" 2>/dev/null || echo none)
[ "$fds" != none ] && [ "$fds" -lt 100 ] ||
	fail "$NAME" "phoneswarm's descriptors at the end of the ramp: $fds, want < 100 (its phones' sockets are registered files)"

# ---- 2. soft 1,024, hard 4,096: the run raises its soft limit and fits
t0=$(date +%s)
rc=0
(ulimit -Sn 1024 && ulimit -Hn 4096 && exec "$PSW" run "$T/lab.ini" -o "$T/raised" -q \
	-s phones.count=$N -s phones.mac_base=$B -s ramp.rate=100 -s run.duration=5s \
	-s dtls.mode=off -s run.threads=1) >"$T/raised.out" 2>&1 || rc=$?
expect_eq "$NAME: 1000 phones, soft 1024 hard 4096: exit status ($(tail -n 3 "$T/raised.out"))" 0 "$rc"
expect_eq "$NAME: 1000 phones, soft 1024: [attempted, tunnels_up, failed]" "$N,$N,0" \
	"$(jq -r '[.phones.attempted, .phones.tunnels_up, .phones.failed] | @csv' "$T/raised/report.json")"
expect_eq "$NAME: 1000 phones, soft 1024: failures" "{}" "$(jq -c .failures "$T/raised/report.json")"
RAISED_S=$(($(date +%s) - t0))

# ---- 3. an address this machine does not have, two URLs: LocalResource, no failover
BAD=198.18.200.1
cat >"$T/two.cnf.xml" <<-XML
<device><vpnGroup><addresses><url1>$LAB_URL</url1><url2>https://$LAB_HEADEND/</url2></addresses>
<credentials><hashAlg>0</hashAlg><certHash1>$LAB_HASH</certHash1></credentials></vpnGroup></device>
XML
sed -i '/^url = \|^cert_hashes = /d' "$T/lab.ini"
sed -i "/^\[headend\]/a cnf = $T/two.cnf.xml" "$T/lab.ini"
M=6
psw_run -s phones.count=$M -s phones.mac_base=$B -s phones.source=$BAD --trace 0
expect_rc "$NAME: unbound source" 1
expect_eq "$NAME: unbound source: failures" "{\"LocalResource\":$M}" "$(report '.failures | tojson')"
expect_eq "$NAME: unbound source: [attempted, failovers, tunnels_up, failed]" "$M,0,0,$M" \
	"$(report '[.phones.attempted, .phones.failovers, .phones.tunnels_up, .phones.failed] | @csv')"
expect_eq "$NAME: unbound source: valid_measurement" false "$(report .valid_measurement)"
report .invalid_because | grep -qF "$M failures were of this machine, not the headend (LocalResource $M)" ||
	fail "$NAME" "invalid_because: $(report .invalid_because)"
expect_failed "$NAME" "the headend was measured, not this machine"
grep -q "^  INVALID    as a measurement of the headend: " "$T/stdout" ||
	fail "$NAME" "no INVALID line in the summary: $(cat "$T/stdout")"
lines=$(csv_cols "$T/failures.csv" source phase reason detail | awk -F'\t' -v src=$BAD '
	$1 == src && $2 == "tcp" && $3 == "LocalResource" &&
	$4 == "this machine: Cannot assign requested address (EADDRNOTAVAIL) from " src' | wc -l)
expect_eq "$NAME: failures.csv lines naming the source, tcp, LocalResource, EADDRNOTAVAIL" $M "$lines"
grep -q "notify: \[LocalResource\] detail -99" "$T"/trace/*.log ||
	fail "$NAME" "the trace does not end LocalResource: $(tail -n 3 "$T"/trace/*.log)"
if grep -q "trying url2" "$T"/trace/*.log; then fail "$NAME" "a phone failed over to url2"; fi

# ---- 4. the same address with phones.freebind: bound, but this machine sends nothing
# from an address it does not have (connect: ENETUNREACH before any packet): ours too
psw_run -s phones.count=2 -s phones.mac_base=$B -s phones.source=$BAD -s phones.freebind=true \
	-s run.connect_timeout=3s
expect_eq "$NAME: freebind: failures" '{"LocalResource":2}' "$(report '.failures | tojson')"
expect_eq "$NAME: freebind: valid_measurement" false "$(report .valid_measurement)"
expect_eq "$NAME: freebind: failures.csv details" \
	"this machine: Cannot assign requested address (EADDRNOTAVAIL) from $BAD" \
	"$(csv_cols "$T/failures.csv" detail | sort -u)"
rc=0
"$PSW" check "$T/lab.ini" -s phones.source=$BAD -s phones.freebind=true >"$T/check4.out" 2>&1 || rc=$?
expect_eq "$NAME: freebind: check's exit status" 2 "$rc"
grep -qF "sources      PROBLEM: 1 of the 1 addresses used bind here (with IP_FREEBIND); 1 is not this machine's yet (the first, $BAD)" "$T/check4.out" ||
	fail "$NAME" "check does not say $BAD is not this machine's: $(grep sources "$T/check4.out")"
pass "$NAME (1 thread refused at once, a table of $TABLE over 1024; 2 threads: $N up with DTLS, $fds descriptors; soft 1024 raised: $N up in ${RAISED_S} s; $BAD: LocalResource x$M, no failover; with freebind: LocalResource too)"
