#!/bin/bash
# test_local_limits.sh: this machine's limits are phoneswarm's, never the headend's.
#  1. 1,000 phones under ulimit -n 1024 (soft and hard): refused before any phone
#     (exit 3 at once, no session of ours on the headend), saying how many
#     descriptors they need (2 a phone, 6 a worker thread, 64: worked out here), the
#     limit, what to raise and how many phones would fit; phoneswarm check says the
#     same (exit 2).
#  2. The same 1,000 phones under a soft limit of 1,024 and a hard one of 4,096: the
#     run raises its soft limit and every phone comes up (occtl shows them).
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
THREADS=$(nproc)
[ "$THREADS" -le $N ] || THREADS=$N
NEED=$((2 * N + 6 * THREADS + 64))

# ---- 1. refused up front under a hard limit of 1,024
seen=""
t0=$(date +%s%N)
(ulimit -Sn 1024 && ulimit -Hn 1024 && exec "$PSW" run "$T/lab.ini" -o "$T/refused" -q \
	-s phones.count=$N -s phones.mac_base=$B -s ramp.rate=100) >"$T/refused.out" 2>&1 &
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
want="phoneswarm: $N phones need $NEED descriptors (2 a phone, 6 a worker thread, 64 for the run), but this process may open 1024 (its hard limit, ulimit -Hn): raise it to $NEED"
grep -qF "$want" "$T/refused.out" || fail "$NAME" "refusal: want '$want...', got '$(cat "$T/refused.out")'"
grep -qF "or run at most $(((1024 - (NEED - 2 * N)) / 2)) phones" "$T/refused.out" ||
	fail "$NAME" "refusal does not say how many phones fit: $(cat "$T/refused.out")"
expect_eq "$NAME: sessions of ours on the headend while refused" "" "$seen"
[ "$ms" -lt 5000 ] || fail "$NAME" "refused after $ms ms, want at once"
[ ! -e "$T/refused/report.json" ] || fail "$NAME" "a refused run wrote a report"
rc=0
(ulimit -Sn 1024 && ulimit -Hn 1024 && exec "$PSW" check "$T/lab.ini" -s phones.count=$N) \
	>"$T/check.out" 2>"$T/check.err" || rc=$?
expect_eq "$NAME: check under ulimit -n 1024: exit status" 2 "$rc"
grep -qF "descriptors  PROBLEM: $N phones need $NEED descriptors" "$T/check.out" ||
	fail "$NAME" "check does not name the descriptors: $(cat "$T/check.out")"
grep -qF "phoneswarm check: descriptors: $N phones need $NEED" "$T/check.err" ||
	fail "$NAME" "check does not list the problem on stderr: $(cat "$T/check.err")"

# ---- 2. soft 1,024, hard 4,096: the run raises its soft limit and fits
t0=$(date +%s)
rc=0
(ulimit -Sn 1024 && ulimit -Hn 4096 && exec "$PSW" run "$T/lab.ini" -o "$T/raised" -q \
	-s phones.count=$N -s phones.mac_base=$B -s ramp.rate=100 -s run.duration=5s \
	-s dtls.mode=off) >"$T/raised.out" 2>&1 || rc=$?
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
pass "$NAME (refused with '$NEED descriptors' at once; soft 1024 raised: $N up in ${RAISED_S} s; $BAD: LocalResource x$M, no failover; with freebind: LocalResource too)"
