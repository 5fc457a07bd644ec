#!/bin/bash
# test_failures_csv.sh: failures.csv has one line per failure event, with the phase
# and reason the phone saw and its own words, and as many lines as report.json
# counts failures. Three runs, each failing its phones in a known way:
# 1. phones that trust only the lab's second certificate: CertHashMismatch in tls,
#    and the detail gives the hash of the certificate the headend really presents
#    (the lab's LAB_HASH);
# 2. a group URL ocserv does not serve (/phone): HttpStatus 404 in auth;
# 3. tunnels up, then logged out by the headend (occtl disconnect user, so a CSTP
#    DISCONNECT): ClosedByHeadend in phase up, each line after the moment the
#    headend showed the phone connected.
# Takes ~20 s.
NAME=test_failures_csv
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"

# check_csv LABEL N BASE REASON PHASE DETAIL_RE: $T/failures.csv has N lines, one per
# phone 0..N-1 of MAC base BASE, each with model 8861, its CN, REASON, PHASE, a
# detail matching the extended regex DETAIL_RE, and 0 <= t_s <= the run's wall time;
# and N is report.json's total of failures.
check_csv() {
	local label=$1 n=$2 base=$3 reason=$4 phase=$5 re=$6 f=$T/failures.csv
	[ -f "$f" ] || fail "$label" "no $f"
	expect_eq "$label: header" "t_s,phone,cn,model,phase,reason,detail" "$(head -n 1 "$f")"
	expect_eq "$label: lines (one per failure)" "$n" "$(($(wc -l <"$f") - 1))"
	expect_eq "$label: report.json failures in all" "$n" "$(report '[.failures[]] | add')"
	local wall
	wall=$(report '.duration_s')
	local seen=""
	while IFS=, read -r t phone cn model ph rs detail; do
		local want_cn
		want_cn=CP-8861-SEP$(mac_hex "$base" "$phone")
		expect_eq "$label: phone $phone cn" "$want_cn" "$cn"
		expect_eq "$label: phone $phone model" 8861 "$model"
		expect_eq "$label: phone $phone reason" "$reason" "$rs"
		expect_eq "$label: phone $phone phase" "$phase" "$ph"
		if [[ $detail == \"*\" ]]; then # a quoted CSV field (RFC 4180)
			detail=${detail#\"}
			detail=${detail%\"}
			detail=${detail//\"\"/\"}
		fi
		[[ $detail =~ $re ]] || fail "$label" "phone $phone: detail '$detail' does not match /$re/"
		awk -v t="$t" -v w="$wall" 'BEGIN { exit !(t >= 0 && t <= w + 1) }' ||
			fail "$label" "phone $phone: t_s $t not within the run (0..$wall s)"
		seen="$seen $phone"
	done < <(tail -n +2 "$f")
	expect_eq "$label: phones" "$(seq -s ' ' 0 $((n - 1)))" "$(echo $seen | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
	T_FIRST=$(tail -n +2 "$f" | cut -d, -f1 | sort -n | head -n 1)
}

# ---- 1. certificate hash
B1=025000300000
psw_run -s phones.count=10 -s phones.mac_base=$B1 -s run.duration=1s \
	-s headend.cert_hashes="$LAB_HASH2"
expect_rc "$NAME (cert hash)" 0
esc_hash=$(printf '%s' "$LAB_HASH" | sed 's/[+/.]/\\&/g')
check_csv "$NAME (cert hash)" 10 $B1 CertHashMismatch tls \
	"^Leaf cert hash = [0-9A-F]{40} \($esc_hash\): Hash was not found in the trust list$"
mkdir -p "$T/1" && mv "$T"/report.json "$T"/failures.csv "$T"/stdout "$T"/stderr "$T/1/"

# ---- 2. HTTP status
B2=025000310000
psw_run -s phones.count=4 -s phones.mac_base=$B2 -s run.duration=1s \
	-s headend.url="${LAB_URL%/}/phone"
expect_rc "$NAME (http 404)" 0
check_csv "$NAME (http 404)" 4 $B2 HttpStatus auth '^HTTP 404 Not found on POST /phone: page "404 Not Found"$'
mkdir -p "$T/2" && mv "$T"/report.json "$T"/failures.csv "$T"/stdout "$T"/stderr "$T/2/"

# ---- 3. logged out by the headend while up
B3=025000320000 P3=CP-8861-SEP02500032
N=3
psw_start -s phones.count=$N -s phones.mac_base=$B3 -s run.duration=6s
lab_wait_like "$P3" $N 10 || fail "$NAME (logout)" "headend: want $N $P3* connected"
t_up=$(date +%s%N)
for i in $(seq 0 $((N - 1))); do
	"$LAB" occtl disconnect user "CP-8861-SEP$(mac_hex $B3 "$i")" >/dev/null 2>&1 ||
		fail "$NAME (logout)" "occtl disconnect user CP-8861-SEP$(mac_hex $B3 "$i") failed"
done
psw_wait 20
expect_rc "$NAME (logout)" 0
check_csv "$NAME (logout)" $N $B3 ClosedByHeadend up '^headend sent DISCONNECT$'
# the drops came after the tunnels were up: more than the bring-up's time since t0
ttt_max=$(report '.latency_us.time_to_tunnel.max')
awk -v t="$T_FIRST" -v m="$ttt_max" 'BEGIN { exit !(t * 1e6 >= m) }' ||
	fail "$NAME (logout)" "first drop at $T_FIRST s, before the last tunnel came up ($ttt_max us)"
pass "$NAME (CertHashMismatch/tls x10 with the headend's real hash, HttpStatus/auth x4, ClosedByHeadend/up x3)"
