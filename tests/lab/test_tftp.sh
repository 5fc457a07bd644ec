#!/bin/bash
# test_tftp.sh: phones fetch their SEP<MAC>.cnf.xml by TFTP through their tunnels from
# the lab's dnsmasq, and take the certificate hashes they find for their next
# connection.
#  1. Six phones trust the headend's hash (headend.cert_hashes) and fetch their config
#     each time their tunnel comes up (phones.fetch_config=on_connect). The lab serves
#     phones 0-2 a config trusting only the lab's other certificate (LAB_HASH2), phones
#     3-5 one trusting both. dnsmasq's own log must show each file sent to the address
#     ocserv assigned that phone (so it went through the tunnel); the report's config
#     bytes must be exactly the sizes of the files served. Then, 3 s into the run (an
#     exec event, so that the time is the run's own), the headend logs them all out
#     (occtl disconnect user) and they reconnect (reconnect=always, backoff 1 s): phones
#     3-5 come back and fetch again; phones 0-2 now refuse the headend
#     (CertHashMismatch) at every try: after waits of 1, 2, 3 s (tries at 4, 6 and 9 s;
#     the next, at 13 s, is after the end at 12.1 s), so exactly 3 times each.
#  2. A phone with no file on the server: the fetch fails on the server's TFTP error
#     ("file not found"), its trust list is untouched, its tunnel stays up.
#  3. 10% of what the phones send to the TFTP server through their tunnels is dropped
#     (iptables statistic on ocserv's tun devices): every fetch still completes, some
#     of them only after a retransmission (the slowest takes over a second). A file
#     is ~15 packets each way and every loss costs the 2 s of a timeout, so the run
#     lasts 20 s: at 8 s, about one run in ten ended with a fetch still under way.
#     No retry without a loss: config.retries is 0 in part 1, and at most the packets
#     dropped here. With everything to the server dropped, a run that ends 3 s in (the
#     read request sent twice, unanswered) counts the fetch as cut short: unfinished,
#     not failed; config.retries counts the requests its trace shows sent again.
#  4. The timeline: four phones up, trusting the headend, fetch nothing on their own
#     (fetch_config=never). An [event.fetch] has phones 0-1 fetch a config that trusts
#     only the other certificate; an [event.trust] gives phones 2-3 that hash directly;
#     then an [event.reset] restarts all four: every one now refuses the headend
#     (CertHashMismatch), and only phones 0-1 fetched anything.
NAME=test_tftp
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=6
MAC=025000300000 PFX=CP-8861-SEP02500030
MISSING=025000310000
drop_rule() { lab_random_drop "$1" tftp-loss 0.1 INPUT -i vpns+ -d "$LAB_DNS" -p udp; }
EVMAC=025000330000
on_exit 'psw_kill; drop_rule -D; "$LAB" cnf --mac-base $MAC --count $N --remove; "$LAB" cnf --mac-base $EVMAC --count 4 --remove'
[ "$LAB_HASH2" != "$LAB_HASH" ] || fail "$NAME" "the lab's two certificate hashes are equal"
DNSLOG=$LAB_DIR/dnsmasq.log
lines0=$(wc -l <"$DNSLOG")
sent_lines() { tail -n +$((lines0 + 1)) "$DNSLOG" | grep -c "sent $LAB_DIR/tftp/SEP${MAC:0:8}" || :; }

bad=$("$LAB" cnf --mac-base $MAC --count 3 --hashes "$LAB_HASH2") || fail "$NAME" "scripts/lab cnf failed"
good=$("$LAB" cnf --mac-base "$(mac_hex $MAC 3)" --count 3 --hashes "$LAB_HASH2,$LAB_HASH") ||
	fail "$NAME" "scripts/lab cnf failed"
s_bad=${bad##* } s_good=${good##* }
[ "$s_bad" -gt 1024 ] && [ "$s_good" -gt "$s_bad" ] || fail "$NAME" "config sizes $s_bad, $s_good"

# ---- 1
logout=""
for i in $(seq 0 $((N - 1))); do
	logout="$logout \"\$PHONESWARM_LAB\" occtl disconnect user CP-8861-SEP$(mac_hex $MAC "$i") &&"
done
cp "$T/lab.ini" "$T/base.ini"
printf '[event.logout]\nat = 3s\naction = exec\ncommand = %s true\n' "$logout" >>"$T/lab.ini"
psw_start -s phones.count=$N -s phones.mac_base=$MAC -s phones.fetch_config=on_connect \
	-s phones.reconnect=always -s phones.reconnect_backoff=1s -s run.duration=12s \
	-s run.threads=2 --trace 0 --trace 3
lab_wait_like "$PFX" $N 3 || fail "$NAME" "headend: want $N $PFX* connected before the logout"
users=$(lab_users_like "$PFX")
wait_value 10 $N sent_lines || fail "$NAME" "dnsmasq: want $N files sent, log has $GOT"
for i in $(seq 0 $((N - 1))); do
	m=$(mac_hex $MAC "$i")
	ip=$(printf '%s' "$users" | jq -r --arg u "CP-8861-SEP$m" '.[] | select(.Username == $u) | .IPv4')
	tail -n +$((lines0 + 1)) "$DNSLOG" | grep -q "sent $LAB_DIR/tftp/SEP$m.cnf.xml to $ip\$" ||
		fail "$NAME" "dnsmasq did not send SEP$m.cnf.xml to $ip (the tunnel address of phone $i)"
done
psw_wait 30
cp "$T/base.ini" "$T/lab.ini"
expect_rc "$NAME" 0
expect_eq "$NAME: events [name, ok, at_s >= 3]" '[["logout",true,true]]' \
	"$(report '[.events[] | [.name, .ok, .at_s >= 3]] | tojson')"
mism=$(report '.failures.CertHashMismatch // 0')
expect_eq "$NAME: failures (the logout of 6; phones 0-2 refused 3 times each)" \
	'{"CertHashMismatch":9,"ClosedByHeadend":6}' "$(report '.failures | tojson')"
expect_eq "$NAME: phones 0-2's refused tries, and when (s after each one's logout)" \
	"0:1,3,6 1:1,3,6 2:1,3,6" \
	"$(csv_cols "$T/failures.csv" t_s phone reason |
		awk -F'\t' '$3 == "ClosedByHeadend" && !($2 in d) { d[$2] = $1 }
		$3 == "CertHashMismatch" {
		t[$2] = t[$2] (t[$2] == "" ? "" : ",") sprintf("%.0f", $1 - d[$2]) }
		END { for (p in t) print p ":" t[p] }' | sort | paste -sd' ' -)"
expect_eq "$NAME: [tunnels_up, tunnels_dropped, reconnects, reconnect_failures]" "6,6,3,9" \
	"$(report '[.phones.tunnels_up, .phones.tunnels_dropped, .phones.reconnects, .phones.reconnect_failures] | @csv')"
expect_eq "$NAME: config [fetched, failed]" "9,0" "$(report '[.config.fetched, .config.failed] | @csv')"
expect_eq "$NAME: config bytes = 3 x $s_bad + 6 x $s_good" $((3 * s_bad + 6 * s_good)) "$(report .config.bytes)"
expect_eq "$NAME: tftp_fetch latency count" 9 "$(report .latency_us.tftp_fetch.count)"
expect_eq "$NAME: config retries (nothing lost)" 0 "$(report .config.retries)"
expect_eq "$NAME: dnsmasq sent" 9 "$(sent_lines)"
grep -q "SECD: Hash was not found in the trust list" "$T"/trace/CP-8861-SEP"$(mac_hex $MAC 0)".log ||
	fail "$NAME" "phone 0's trace shows no refused hash"
# (the reconnection presents its cookie, refused after the logout: a third handshake)
[ "$(grep -c "SECD: Hash was found in the trust list" "$T"/trace/CP-8861-SEP"$(mac_hex $MAC 3)".log || :)" -ge 2 ] ||
	fail "$NAME" "phone 3's trace: want the headend trusted before and after the logout"
p99=$(report '.latency_us.tftp_fetch.p99')

# ---- 2
mkdir -p "$T/missing"
"$PSW" run "$T/lab.ini" -o "$T/missing" --force -q -s phones.count=1 -s phones.mac_base=$MISSING \
	-s phones.fetch_config=on_connect -s run.duration=2s --trace 0 >"$T/missing/stdout" 2>&1 ||
	fail "$NAME (missing)" "phoneswarm failed: $(tail -n 3 "$T/missing/stdout")"
expect_eq "$NAME (missing): config [fetched, failed], tunnels_up, failures" "0,1,1,{}" \
	"$(jq -r '[.config.fetched, .config.failed, .phones.tunnels_up, (.failures | tojson)] | @csv' "$T/missing/report.json" | tr -d '"')"
grep -q "TFTP error 1: " "$T/missing/trace/CP-8861-SEP$MISSING.log" ||
	fail "$NAME (missing)" "no TFTP error in the trace"

# ---- 3
drop_rule -A || fail "$NAME (loss)" "cannot add the iptables rule"
mkdir -p "$T/loss"
"$PSW" run "$T/lab.ini" -o "$T/loss" --force -q -s phones.count=$N -s phones.mac_base=$MAC \
	-s phones.fetch_config=on_connect -s run.duration=20s >"$T/loss/stdout" 2>&1 ||
	fail "$NAME (loss)" "phoneswarm failed: $(tail -n 3 "$T/loss/stdout")"
dropped=$(lab_dropped tftp-loss INPUT)
drop_rule -D
[ "${dropped:-0}" -gt 0 ] || fail "$NAME (loss)" "the rule dropped nothing"
expect_eq "$NAME (loss): config [fetched, failed, unfinished] with $dropped packets dropped" "$N,0,0" \
	"$(jq -r '[.config.fetched, .config.failed, .config.unfinished] | @csv' "$T/loss/report.json")"
slowest=$(jq -r '.latency_us.tftp_fetch.max' "$T/loss/report.json")
[ "$slowest" -gt 1000000 ] || fail "$NAME (loss)" "no fetch waited for a retransmission (max $slowest us)"
retries=$(jq -r '.config.retries' "$T/loss/report.json")
# each of our retries follows one of our packets dropped (dnsmasq resends its own)
[ "$retries" -le "$dropped" ] || fail "$NAME (loss)" "config.retries $retries, more than the $dropped packets dropped"
lab_random_drop -A tftp-all 1 INPUT -i vpns+ -d "$LAB_DNS" -p udp || fail "$NAME (cut short)" "cannot add the iptables rule"
mkdir -p "$T/short"
rc=0
"$PSW" run "$T/lab.ini" -o "$T/short" --force -q -s phones.count=1 -s phones.mac_base=$MAC \
	-s phones.fetch_config=on_connect -s run.duration=3s --trace 0 >"$T/short/stdout" 2>&1 || rc=$?
lab_random_drop -D tftp-all 1 INPUT -i vpns+ -d "$LAB_DNS" -p udp
[ $rc = 0 ] || fail "$NAME (cut short)" "phoneswarm exited $rc: $(tail -n 3 "$T/short/stdout")"
expect_eq "$NAME (cut short): config [fetched, failed, unfinished]" "0,0,1" \
	"$(jq -r '[.config.fetched, .config.failed, .config.unfinished] | @csv' "$T/short/report.json")"
grep -q "cut short by the end of the run" "$T/short/trace/CP-8861-SEP$MAC.log" ||
	fail "$NAME (cut short)" "the trace does not say the fetch was cut short"
again=$(grep -c "sending RRQ again" "$T/short/trace/CP-8861-SEP$MAC.log" || :)
[ "$again" -ge 1 ] || fail "$NAME (cut short)" "the trace shows no read request sent again"
expect_eq "$NAME (cut short): config.retries = the trace's requests sent again" "$again" \
	"$(jq -r '.config.retries' "$T/short/report.json")"

# ---- 4
"$LAB" cnf --mac-base $EVMAC --count 4 --hashes "$LAB_HASH2" >/dev/null || fail "$NAME" "scripts/lab cnf failed"
mkdir -p "$T/events"
{
	cat "$T/lab.ini"
	printf '[event.fetch]\nat = 1s\naction = fetch\nphones = 0-1\n'
	printf '[event.trust]\nat = 1s\naction = trust\nphones = 2-3\nhashes = %s\n' "$LAB_HASH2"
	printf '[event.reset]\nat = fetch + 2s\naction = reset\n'
} >"$T/events/lab.ini"
"$PSW" run "$T/events/lab.ini" -o "$T/events" --force -q -s phones.count=4 -s phones.mac_base=$EVMAC \
	-s ramp.rate=20 -s run.duration=5s >"$T/events/stdout" 2>&1 ||
	fail "$NAME (events)" "phoneswarm failed: $(tail -n 3 "$T/events/stdout")"
expect_eq "$NAME (events): events [name, ok]" '[["fetch",true],["trust",true],["reset",true]]' \
	"$(jq -c '[.events[] | [.name, .ok]]' "$T/events/report.json")"
expect_eq "$NAME (events): [config fetched, failed], failures" '[2,0,{"CertHashMismatch":4}]' \
	"$(jq -c '[.config.fetched, .config.failed, .failures]' "$T/events/report.json")"

pass "$NAME (9 configs of $s_bad/$s_good bytes fetched through the tunnels, p99 $p99 us; phones given a wrong hash refused the headend after reconnecting, $mism times; $dropped packets to the server dropped, all $N fetched after $retries retries of ours, slowest $slowest us)"
