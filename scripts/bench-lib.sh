# scripts/bench-lib.sh: what scripts/bench and scripts/bench-scale share (sourced).
# shellcheck shell=bash disable=SC2034 # the variables bench_login sets are its callers'

# bench_login: how the phones log in, after `eval "$(scripts/lab env)"`. An ocserv
# with the phone's login (1.2 and later) gets phones that log in as phones do, at
# /svc, with the headend's TLS suites set as Cisco's fix for phones sets them
# (ciphers=no-ec: the phones' DTLS 0.9 then shares their TLS cipher, and their key
# exchange is RSA); ocserv 1.1.6 gets the desktop exchange at / (phones.client =
# anyconnect, the models' ECDHE suites). Sets login (a sentence), args and
# voice_args (phoneswarm's -s options for bench.ini and bench-voice.ini), ecdhe
# (1 when the key exchange is ECDHE) and ciphers_was (the profile's ciphers before,
# for the caller to put back; empty when untouched).
bench_login() {
	ciphers_was=""
	if dpkg --compare-versions "${LAB_OCSERV_VERSION:-0}" ge 1.2; then
		login="the phone's (ocserv $LAB_OCSERV_VERSION at /svc, ciphers=no-ec: RSA key exchange)"
		ciphers_was=$(scripts/lab set | sed -n 's/^ciphers=//p')
		ciphers_was=${ciphers_was:-default}
		scripts/lab set ciphers=no-ec >/dev/null
		args=() voice_args=() ecdhe=0
	else
		login="the desktop exchange (ocserv ${LAB_OCSERV_VERSION:-?} at /, phones.client = anyconnect)"
		args=(-s phones.client=anyconnect -s headend.url=https://vpn.lab.test/)
		voice_args=(-s phones.client=anyconnect -s headend.url=https://198.18.0.1/)
		ecdhe=1
	fi
}

# cpu_ms PID: the CPU of process PID so far, in ms, threads that have ended
# included: each live thread's by the scheduler's figure (nanoseconds; clock
# ticks where the kernel has no /proc/PID/task/TID/sched), plus, in clock ticks,
# what the process's own total (/proc/PID/stat, which keeps ended threads' time)
# holds beyond its live threads' ticks. A sum over live threads alone goes down
# when a thread ends: io_uring's io-wq workers come and go.
cpu_ms() {
	local hz t v s=0 live=0 all
	hz=$(getconf CLK_TCK)
	for t in /proc/"$1"/task/*; do
		v=$(awk '/^se.sum_exec_runtime/ {print $3}' "$t/sched" 2>/dev/null)
		[ -n "$v" ] || v=$(awk -v hz="$hz" '{sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) * 1000 / hz}' "$t/stat" 2>/dev/null)
		s=$(awk -v a="$s" -v b="${v:-0}" 'BEGIN {printf "%.3f", a + b}')
		live=$(awk -v a="$live" '{sub(/^.*\) /, ""); print a + $12 + $13}' "$t/stat" 2>/dev/null || echo "$live")
	done
	all=$(awk '{sub(/^.*\) /, ""); print $12 + $13}' /proc/"$1"/stat 2>/dev/null)
	awk -v s="$s" -v all="${all:-0}" -v live="$live" -v hz="$hz" \
		'BEGIN {d = all - live; printf "%.3f", s + (d > 0 ? d * 1000 / hz : 0)}'
}

# pss_rss PID: "PSS RSS" of process PID in KiB (smaps_rollup; "0 0" once it is gone)
pss_rss() {
	awk '/^Pss:/ {p=$2} /^Rss:/ {r=$2} END {print p+0, r+0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0 0
}

# psw_fds PID: the descriptors process PID has open, plus the sockets its io_uring
# rings hold as registered files (phoneswarm's phones' sockets are not
# descriptors): what a leaked socket would show in. Each ring's table is listed in
# its /proc/PID/fdinfo, which the kernel leaves out while the ring is busy (it
# only tries its lock): read again until it is there, 50 tries at most.
psw_fds() {
	local n=0 f i info
	for f in "/proc/$1/fd/"*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:[io_uring]" ] || continue
		for i in {1..50}; do
			info=$(cat "/proc/$1/fdinfo/${f##*/}" 2>/dev/null) || break
			[[ "$info" != *UserFiles:* ]] || break
			sleep 0.01
		done
		n=$((n + $(grep -c '^ *[0-9]*: socket:' <<<"$info" || :)))
	done
	echo "$n"
}
