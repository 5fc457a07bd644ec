# tests/lab/lib.sh: helpers for the lab integration tests (source it from bash or sh).
#
#   lab_require              skip (exit 77) unless root and the lab comes up; then
#                            brings it up and loads its variables (lab_eval_env). The
#                            headend is $PSW_OCSERV (default host: the host's ocserv,
#                            which the tests are written for): another one that runs
#                            is replaced
#   lab_require_ocserv SEL   the same, with the headend SEL (scripts/lab up --ocserv SEL:
#                            host, a Debian suite or a version such as 1.3), for the
#                            tests that need it; fails (exit 1) if that headend cannot
#                            be had (no root can be made)
#   lab_eval_env             eval "$(scripts/lab env)": LAB_URL, LAB_SVC_URL, LAB_HASH,
#                            LAB_MFG_CA, LAB_OCSERV_VERSION, LAB_OCSERV_SUITE, ...
#   lab_status               headend status, one JSON object (occtl show status)
#   lab_users                JSON array of the headend's sessions (occtl show users);
#                            it lists every worker, also those still authenticating
#   lab_user_count           number of users in state "connected" (tunnel up)
#   lab_wait_users N SECS    wait until exactly N users are connected; 1 on timeout
#   pass NAME                print "PASS NAME"
#   fail NAME DETAIL...      print "FAIL NAME: DETAIL" and exit 1
#
# Running phoneswarm from a test (bash):
#   psw_setup NAME           make the test's directory $T (kept for a post-mortem:
#                            $PSW_TEST_DIR/NAME, default /tmp/phoneswarm-tests/NAME),
#                            write $T/lab.ini (lab_scenario) and arm an EXIT trap that
#                            stops a phoneswarm the test left running
#   lab_scenario FILE        a small scenario against the lab: 10 phones of model 8861,
#                            certificate auth, 50 phones/s, 5 s, dtls auto, logging in
#                            with the desktop exchange (phones.client = anyconnect:
#                            the lab's default headend, ocserv 1.1.6, has no phone
#                            login); tests change it with -s
#   psw_run ARGS...          run $PSW on $T/lab.ini -o $T ARGS... in the foreground;
#                            exit status in PSW_RC, stdout/stderr in $T/stdout, stderr
#   psw_start ARGS...        the same in the background (PSW_PID)
#   psw_wait SECS            wait for it at most SECS, then kill it and fail; PSW_RC
#   report JQ_FILTER         jq -r FILTER on $T/report.json
#   expect_eq NAME WANT GOT  fail NAME "want WANT, got GOT" unless equal
#   expect_rc NAME WANT      fail (with phoneswarm's stderr) unless PSW_RC == WANT
#   mac_hex BASE_HEX I       12 upper-case hex digits of BASE + I
#   lab_users_like PREFIX    users whose Username starts with PREFIX (JSON array)
#   psw_all_fail NAME N REASON MAX_S PREFIX ARGS...
#                            run N phones that must all fail: while they run, the
#                            headend must never show a PREFIX* session; then exit
#                            status 0 within MAX_S seconds, report failures exactly
#                            {REASON: N}, N attempted, no tunnel up
#   lab_wait_like PREFIX N SECS
#                            wait until exactly N of them are connected and no other
#                            session of theirs is left; 1 on timeout
#
# PSW is the binary under test (default $LAB_ROOT/build/phoneswarm; tests/run-lab sets
# it from its BUILD argument). Tests give their phones their own MAC base so that
# they find their own sessions on the headend, whatever else is connected.
#
# LAB_ROOT is the repository (found from this file's path); LAB points at scripts/lab.

if [ -z "${LAB_ROOT:-}" ]; then
	LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE:-$0}")/../.." && pwd)
fi
LAB="$LAB_ROOT/scripts/lab"

lab_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the lab needs root" >&2
		exit 77
	fi
	if ! _lab_err=$("$LAB" up --ocserv "${PSW_OCSERV:-host}" 2>&1 >/dev/null); then
		printf '%s\n' "$_lab_err" >&2
		echo "SKIP: the lab cannot come up (see the errors above)" >&2
		exit 77
	fi
	lab_eval_env
}

lab_require_ocserv() { # SEL
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the lab needs root" >&2
		exit 77
	fi
	if ! _lab_err=$("$LAB" up --ocserv "$1" 2>&1 >/dev/null); then
		printf '%s\n' "$_lab_err" >&2
		echo "FAIL lab_require_ocserv: the lab cannot come up with ocserv $1 (see above)"
		exit 1
	fi
	lab_eval_env
}

lab_eval_env() {
	eval "$("$LAB" env)"
}

lab_status() { "$LAB" status; }

lab_users() { "$LAB" users; }

lab_user_count() {
	"$LAB" users | jq '[.[] | select(.State == "connected")] | length'
}

lab_wait_users() { # N TIMEOUT_S
	_lab_n=$1
	_lab_end=$(($(date +%s) + $2))
	while :; do
		_lab_c=$(lab_user_count 2>/dev/null)
		[ "$_lab_c" = "$_lab_n" ] && return 0
		if [ "$(date +%s)" -ge "$_lab_end" ]; then
			echo "lab_wait_users: want $_lab_n connected, have ${_lab_c:-?} after $2 s" >&2
			return 1
		fi
		sleep 0.5
	done
}

pass() { echo "PASS $1"; }

fail() {
	_lab_name=$1
	shift
	echo "FAIL $_lab_name: $*"
	exit 1
}

# ---------------------------------------------------------------- phoneswarm runs
PSW=${PSW:-$LAB_ROOT/build/phoneswarm}
PSW_PID=""
PSW_RC=""

psw_setup() { # NAME
	T=${PSW_TEST_DIR:-/tmp/phoneswarm-tests}/$1
	rm -rf "$T" && mkdir -p "$T" || fail "$1" "cannot create $T"
	[ -x "$PSW" ] || fail "$1" "no phoneswarm binary at $PSW (run make)"
	if [ -n "${LAB_HASH:-}" ]; then
		lab_scenario "$T/lab.ini"
	fi
	trap psw_kill EXIT
}

lab_scenario() { # FILE
	cat >"$1" <<-EOF
	; written by tests/lab/lib.sh (lab_scenario)
	[headend]
	url = $LAB_URL
	cert_hashes = $LAB_HASH
	dns = $LAB_DNS, $LAB_DNS2

	[phones]
	count = 10
	models = 8861
	; ocserv 1.1.6 speaks only the desktop login
	client = anyconnect
	auth = certificate
	ca_cert = $LAB_MFG_CA
	ca_key = $LAB_MFG_KEY
	source = $LAB_SOURCE

	[ramp]
	rate = 50

	[run]
	duration = 5s

	[dtls]
	mode = auto
	EOF
}

psw_run() {
	"$PSW" run "$T/lab.ini" -o "$T" --force -q "$@" >"$T/stdout" 2>"$T/stderr"
	PSW_RC=$?
}

psw_start() {
	"$PSW" run "$T/lab.ini" -o "$T" --force -q "$@" >"$T/stdout" 2>"$T/stderr" &
	PSW_PID=$!
}

psw_wait() { # SECS
	_psw_end=$(($(date +%s) + $1))
	while kill -0 "$PSW_PID" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$_psw_end" ]; then
			psw_kill
			fail psw_wait "phoneswarm still running after $1 s (killed); stderr: $(tail -n 5 "$T/stderr")"
		fi
		sleep 0.2
	done
	wait "$PSW_PID"
	PSW_RC=$?
	PSW_PID=""
}

# Stop the phoneswarm this test started, if it still runs: TERM, then KILL after 5 s.
psw_kill() {
	[ -n "${PSW_PID:-}" ] || return 0
	if kill -0 "$PSW_PID" 2>/dev/null; then
		kill "$PSW_PID" 2>/dev/null
		_psw_i=0
		while kill -0 "$PSW_PID" 2>/dev/null && [ "$_psw_i" -lt 50 ]; do
			sleep 0.1
			_psw_i=$((_psw_i + 1))
		done
		kill -9 "$PSW_PID" 2>/dev/null
	fi
	wait "$PSW_PID" 2>/dev/null
	PSW_PID=""
}

report() { # JQ_FILTER
	jq -r "$1" "$T/report.json" 2>/dev/null || echo "(no $T/report.json)"
}

expect_eq() { # NAME WANT GOT
	[ "$2" = "$3" ] || fail "$1" "want $2, got $3"
}

expect_rc() { # NAME WANT
	[ "$PSW_RC" = "$2" ] ||
		fail "$1" "phoneswarm exit status: want $2, got $PSW_RC; stderr: $(tail -n 5 "$T/stderr")"
}

mac_hex() { # BASE_HEX(12) INDEX
	printf '%012X\n' $((0x$1 + $2))
}

lab_users_like() { # PREFIX
	lab_users | jq --arg p "$1" '[.[] | select((.Username // "") | startswith($p))]'
}

lab_wait_like() { # PREFIX N SECS
	_lab_end=$(($(date +%s) + $3))
	while :; do
		_lab_j=$(lab_users_like "$1" 2>/dev/null)
		_lab_c=$(printf '%s' "$_lab_j" | jq '[.[] | select(.State == "connected")] | length')
		_lab_a=$(printf '%s' "$_lab_j" | jq 'length')
		[ "$_lab_c" = "$2" ] && [ "$_lab_a" = "$2" ] && return 0
		if [ "$(date +%s)" -ge "$_lab_end" ]; then
			echo "lab_wait_like: want $2 sessions of $1* connected, have ${_lab_c:-?} connected of ${_lab_a:-?} after $3 s" >&2
			return 1
		fi
		sleep 0.5
	done
}

psw_all_fail() { # NAME N REASON MAX_S PREFIX ARGS...
	_f_name=$1 _f_n=$2 _f_reason=$3 _f_max=$4 _f_prefix=$5
	shift 5
	_f_t0=$(date +%s%N)
	psw_start -s phones.count="$_f_n" "$@"
	_f_seen="[]"
	_f_end=$(($(date +%s) + _f_max))
	while kill -0 "$PSW_PID" 2>/dev/null && [ "$(date +%s)" -lt "$_f_end" ]; do
		_f_j=$(lab_users_like "$_f_prefix" | jq -c '[.[] | {u: .Username, s: .State}]')
		[ "$_f_j" = "[]" ] || _f_seen=$_f_j
		sleep 0.2
	done
	psw_wait 2
	_f_ms=$((($(date +%s%N) - _f_t0) / 1000000))
	expect_rc "$_f_name" 0
	[ "$_f_seen" = "[]" ] || fail "$_f_name" "headend: want no $_f_prefix* session, saw $_f_seen"
	expect_eq "$_f_name: report failures" "{\"$_f_reason\":$_f_n}" "$(report '.failures | tojson')"
	expect_eq "$_f_name: report phones [attempted,tunnels_up,failed]" "$_f_n,0,$_f_n" \
		"$(report '[.phones.attempted, .phones.tunnels_up, .phones.failed] | @csv')"
	[ "$_f_ms" -le $((_f_max * 1000)) ] ||
		fail "$_f_name" "run took $_f_ms ms, want at most $_f_max s"
	PSW_MS=$_f_ms
}

# ---------------------------------------------------------------- lab profile and faults
#   lab_restore_on_exit      arm the EXIT trap so that, whatever happens, the test
#                            stops its phoneswarm, then restores the default headend
#                            profile (scripts/lab reset) and removes every fault
#                            (scripts/lab fault clear); call it after psw_setup
#   lab_set KEY=VALUE...     scripts/lab set ..., failing the test if it fails
#   lab_fault NAME [ARGS]    scripts/lab fault ..., failing the test if it fails
#   psw_all_up NAME N ARGS...
#                            run N phones that must all come up: exit status 0,
#                            report [attempted, tunnels_up, failed] = N,N,0, no failure
#   lab_random_drop -A|-D NAME PROB CHAIN MATCH...
#                            add (-A) or delete (-D) an iptables rule in the namespace
#                            that drops the share PROB (0.05) of the packets of CHAIN
#                            matching MATCH..., commented "psw-lab-fault:NAME"
#   lab_dropped NAME CHAIN   packets the rule NAME has dropped so far
lab_random_drop() {
	_d_op=$1 _d_name=$2 _d_p=$3 _d_chain=$4
	shift 4
	ip netns exec "$LAB_NS" iptables "$_d_op" "$_d_chain" "$@" -m statistic --mode random \
		--probability "$_d_p" -m comment --comment "psw-lab-fault:$_d_name" -j DROP 2>/dev/null
}

lab_dropped() {
	ip netns exec "$LAB_NS" iptables -L "$2" -v -x -n |
		awk -v t="psw-lab-fault:$1 " '$0 ~ t { n += $1 } END { print n + 0 }'
}

lab_restore_on_exit() {
	# shellcheck disable=SC2154 # _lab_rc is set inside the trap
	trap '_lab_rc=$?; psw_kill; "$LAB" reset >/dev/null 2>&1; "$LAB" fault clear >/dev/null 2>&1; exit $_lab_rc' EXIT
}

lab_set() {
	"$LAB" set "$@" >"$T/lab-set.log" 2>&1 || fail "${NAME:-lab_set}" "scripts/lab set $*: $(tail -n 3 "$T/lab-set.log")"
}

lab_fault() {
	"$LAB" fault "$@" >"$T/lab-fault.log" 2>&1 || fail "${NAME:-lab_fault}" "scripts/lab fault $*: $(tail -n 3 "$T/lab-fault.log")"
}

psw_all_up() { # NAME N ARGS...
	_u_name=$1 _u_n=$2
	shift 2
	psw_run -s phones.count="$_u_n" "$@"
	expect_rc "$_u_name" 0
	expect_eq "$_u_name: report failures" "{}" "$(report '.failures | tojson')"
	expect_eq "$_u_name: report phones [attempted,tunnels_up,failed]" "$_u_n,$_u_n,0" \
		"$(report '[.phones.attempted, .phones.tunnels_up, .phones.failed] | @csv')"
}

# lab_scenario_ca FILE LINE...: replace the scenario's single phones.ca_cert/ca_key
# (which would sign every phone's certificate) by the given [phones] lines
# (mic_ca = ..., lsc_ca = ..., ...)
lab_scenario_ca() {
	_s_f=$1
	shift
	sed -i '/^ca_cert =\|^ca_key =/d' "$_s_f"
	for _s_l in "$@"; do
		sed -i "/^\[phones\]/a $_s_l" "$_s_f"
	done
}

# ---------------------------------------------------------------- scenario files
#   psw_scenario FILE        use scenarios/FILE as the test's scenario ($T/lab.ini):
#                            the lab test runs the file itself, shortened with -s
#   psw_wait_event NAME SECS wait until event NAME has fired (its name in the events
#                            column of $T/timeseries.csv, written when its interval
#                            closes: up to run.interval late); 1 on timeout
#   lab_sessions_sep HEX     the headend's sessions whose user name holds SEP<HEX>
#                            (any model: CN CP-<model>-SEP<MAC>), as occtl has them
#   lab_users_sep HEX        the same, brief: [{u, s}] (user name, state)
#   lab_connected_sep HEX    how many of them are connected
#   lab_phones_bad HEX       the headend's sessions of SEP<HEX> that do not look like IP
#                            phones logged in with the phone's protocol: "[]" when each
#                            has the phone's user agent, a user name CP-<product ID>-SEP
#                            <MAC> (a 79xx's product ID with its G) or SEP<MAC>, and, if
#                            it has DTLS, a legacy (DTLS0.9) cipher; else those sessions
#   expect_held NAME         fail unless every expectation in report.json held (and
#                            there is at least one); lists those that failed
#   expect_failed NAME TEXT  fail unless the expectation TEXT is in report.json and
#                            failed
psw_scenario() {
	cp "$LAB_ROOT/scenarios/$1" "$T/lab.ini" || fail "${NAME:-psw_scenario}" "cannot copy scenarios/$1"
}

lab_sessions_sep() { # HEX
	lab_users | jq -c --arg p "SEP$1" '[.[] | select((.Username // "") | contains($p))]'
}

lab_users_sep() { # HEX
	lab_sessions_sep "$1" | jq -c '[.[] | {u: .Username, s: .State}]'
}

lab_connected_sep() { # HEX
	lab_users_sep "$1" | jq '[.[] | select(.s == "connected")] | length'
}

lab_phones_bad() { # HEX
	lab_sessions_sep "$1" | jq -c '[.[] | select(
		(."User-Agent" != "Cisco SVC IPPhone Client v1.0")
		or ((.Username | test("^(CP-(79[0-9][0-9]G|[0-9]{4})-)?SEP[0-9A-F]{12}$")) | not)
		or (.Username | test("^CP-79[0-9][0-9]-"))
		or ((."DTLS cipher" // "(DTLS0.9)") | startswith("(DTLS0.9)") | not))
		| {u: .Username, ua: ."User-Agent", d: ."DTLS cipher"}]'
}

psw_wait_event() { # NAME SECS
	_e_end=$(($(date +%s) + $2))
	while ! awk -F, -v n="$1" 'NR > 1 { k = split($NF, a, "|"); for (i = 1; i <= k; i++) if (a[i] == n) f = 1 }
		END { exit !f }' "$T/timeseries.csv" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$_e_end" ]; then
			echo "psw_wait_event: event $1 not in $T/timeseries.csv after $2 s" >&2
			return 1
		fi
		sleep 0.2
	done
}

expect_held() { # NAME
	_x_n=$(report '.expectations | length')
	_x_bad=$(report '[.expectations[] | select(.ok | not) | "\(.name): \(.detail)"] | join("; ")')
	[ "$_x_n" != 0 ] && [ "$_x_n" != null ] || fail "$1" "report.json has no expectations"
	[ -z "$_x_bad" ] || fail "$1" "expectations failed: $_x_bad"
}

expect_failed() { # NAME TEXT
	_x_ok=$(jq -r --arg t "$2" '[.expectations[] | select(.name == $t) | .ok] | if length == 0 then "missing" else (.[0] | tostring) end' "$T/report.json" 2>/dev/null)
	[ "$_x_ok" = false ] || fail "$1" "expectation \"$2\": want failed, got ${_x_ok:-no report}"
}
