# tests/lab/lib.sh: helpers for the lab integration tests (source it from bash).
#
# Strictness: sourcing this file turns on `set -eEu -o pipefail` (and inherit_errexit):
# any command that fails outside a condition ends the test as a failure, naming the
# line and the command; an unset variable is an error. A check that cannot run (a
# report.json that is missing, a jq that fails) fails the test even when it happened
# inside a $(...): it leaves a mark that pass and the end of the test look at.
#
#   lab_require              brings the lab up and loads its variables (lab_eval_env);
#                            skips (exit 77) only when not root; as root a lab that
#                            cannot come up fails the test. The headend is
#                            $PSW_OCSERV (default host: the host's ocserv, which the
#                            tests are written for): another one that runs is replaced
#   lab_require_ocserv SEL   the same, with the headend SEL (scripts/lab up --ocserv SEL:
#                            host, a Debian suite or a version such as 1.3), for the
#                            tests that need it; fails if that headend cannot be had
#                            (no root can be made)
#   skip_test WHY            skip (exit 77): only for a missing kernel or machine feature,
#                            named in WHY (tests/run-lab shows it)
#   need_installed CMD WHAT  a program `make test` installs (scripts/deps test): missing,
#                            it fails the test under PSW_TEST_STRICT=1 (tests/run-all
#                            sets it), and skips otherwise
#   on_exit CMD              run CMD (a string, eval'ed) when the test ends, however it
#                            ends; the last registered runs first
#   lab_eval_env             eval "$(scripts/lab env)": LAB_URL, LAB_SVC_URL, LAB_HASH,
#                            LAB_MFG_CA, LAB_OCSERV_VERSION, LAB_OCSERV_SUITE, ...
#   lab_status               headend status, one JSON object (occtl show status)
#   lab_users                JSON array of the headend's sessions (occtl show users);
#                            it lists every worker, also those still authenticating
#   lab_user_count           number of users in state "connected" (tunnel up)
#   lab_wait_users N SECS    wait until exactly N users are connected; 1 on timeout
#   pass NAME                print "PASS NAME" (fails instead if a check could not run)
#   fail NAME DETAIL...      print "FAIL NAME: DETAIL" and exit 1
#
# Waiting (never a fixed sleep to let something happen: poll for it, with a deadline):
#   wait_until SECS WHAT CMD...
#                            run CMD every 0.2 s until it succeeds; 1 after SECS s,
#                            saying WHAT was not seen
#   wait_value SECS WANT CMD...
#                            run CMD every 0.2 s until it prints WANT; its last output
#                            in GOT; 1 after SECS s
#
# Running phoneswarm from a test (bash):
#   psw_setup NAME           make the test's directory $T (kept for a post-mortem:
#                            $PSW_TEST_DIR/NAME, default /tmp/phoneswarm-tests/NAME),
#                            write $T/lab.ini (lab_scenario) and have a phoneswarm the
#                            test left running stopped when it ends (on_exit)
#   lab_scenario FILE        a small scenario against the lab: 10 phones of model 8861,
#                            certificate auth, 50 phones/s, 5 s, dtls auto, logging in
#                            with the desktop exchange (phones.client = anyconnect:
#                            the lab's default headend, ocserv 1.1.6, has no phone
#                            login); tests change it with -s
#   psw_run ARGS...          run $PSW on $T/lab.ini -o $T -q ARGS... in the foreground;
#                            exit status in PSW_RC, stdout/stderr in $T/stdout, stderr
#   psw_start ARGS...        the same in the background (PSW_PID), not quiet
#   psw_wait SECS            wait for it at most SECS, then kill it and fail; PSW_RC
#   report JQ_FILTER         jq -r FILTER on $T/report.json; a missing report.json or a
#                            failing jq fails the test
#   expect_eq NAME WANT GOT  fail NAME "want WANT, got GOT" unless equal
#   expect_rc NAME WANT      fail (with phoneswarm's stderr) unless PSW_RC == WANT
#   mac_hex BASE_HEX I       12 upper-case hex digits of BASE + I
#   lab_users_like PREFIX    users whose Username starts with PREFIX (JSON array)
#   psw_all_fail NAME N REASON MAX_S PREFIX ARGS...
#                            run N phones that must all fail: while they run, the
#                            headend must never show a PREFIX* session (with
#                            PSW_NEVER=connected: never a connected one: for phones
#                            the headend refuses only once they have logged in); then
#                            exit status 0 within MAX_S seconds, report failures
#                            exactly {REASON: N}, N attempted, no tunnel up
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

# ---------------------------------------------------------------- strictness
# The mark left by a check that could not run, shared with every subshell ($$ is
# the test's own process there too).
_LAB_BROKEN=${TMPDIR:-/tmp}/psw-lab-check-failed.$$
_LAB_EXIT=""
_LAB_SKIPPING=""
rm -f "$_LAB_BROKEN"

_lab_broken() { # WHY: a check could not run
	echo "FAIL ${NAME:-test}: $*" >&2
	echo "$*" >>"$_LAB_BROKEN" 2>/dev/null || :
}

# A command failed outside a condition (set -e): say which, and end as a failure
# (never as 77, whatever the command returned).
_lab_on_err() { # STATUS LINE COMMAND
	case "$3" in
	return*) ;; # a helper that failed has said why
	*) _lab_broken "line $2: \`$3\` exited with status $1" ;;
	esac
	exit 1
}

# Every report.json a passing test leaves in its directory ($T) is one the JSON
# Schema in docs/report.schema.json takes (tests/tools/report_schema.py names
# each error).
_lab_reports_valid() {
	local reports
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	reports=$(find "$T" -name report.json -type f | sort)
	[ -n "$reports" ] || return 0
	# shellcheck disable=SC2086 # one path a line, none with spaces (under $T)
	if ! /usr/bin/python3 "$LAB_ROOT/tests/tools/report_schema.py" \
		"$LAB_ROOT/docs/report.schema.json" $reports >"$T/report-schema.txt" 2>&1; then
		echo "FAIL ${NAME:-test}: a report.json is not what docs/report.schema.json says:" \
			"$(head -n 3 "$T/report-schema.txt" | tr '\n' ' ')"
		return 1
	fi
}

# The one EXIT trap: the registered clean-ups (newest first), then the verdict. A
# test that exits 0 after a check could not run fails; 77 is a skip only through
# skip_test.
_lab_on_exit() {
	local rc=$? c
	set +e
	trap - ERR
	while [ -n "$_LAB_EXIT" ]; do
		c=${_LAB_EXIT%%$'\n'*}
		_LAB_EXIT=${_LAB_EXIT#*$'\n'}
		eval "$c" >/dev/null 2>&1
	done
	if [ "$rc" = 0 ] && ! _lab_reports_valid; then
		rc=1
	fi
	if [ "$rc" = 0 ] && [ -s "$_LAB_BROKEN" ]; then
		echo "FAIL ${NAME:-test}: a check could not run: $(head -n 3 "$_LAB_BROKEN" | tr '\n' ' ')"
		rc=1
	fi
	if [ "$rc" = 77 ] && [ -z "$_LAB_SKIPPING" ]; then
		echo "FAIL ${NAME:-test}: exit status 77 without skip_test"
		rc=1
	fi
	rm -f "$_LAB_BROKEN"
	exit "$rc"
}

on_exit() { # CMD
	_LAB_EXIT="$1"$'\n'"$_LAB_EXIT"
}

if [ -n "${BASH_VERSION:-}" ]; then
	set -eEu -o pipefail
	shopt -s inherit_errexit
	trap '_lab_on_err $? $LINENO "$BASH_COMMAND"' ERR
	trap _lab_on_exit EXIT
fi

skip_test() { # WHY
	echo "SKIP: $*" >&2
	if [ -n "${PSW_SKIP_FILE:-}" ]; then echo "$*" >"$PSW_SKIP_FILE"; fi
	_LAB_SKIPPING=1
	exit 77
}

need_installed() { # CMD WHAT
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${PSW_TEST_STRICT:-}" = 1 ]; then
		fail "${NAME:-test}" "$2 is not installed (scripts/deps test installs it)"
	fi
	skip_test "$2 is not installed (scripts/deps test installs it)"
}

lab_require() {
	lab_require_ocserv "${PSW_OCSERV:-host}"
}

lab_require_ocserv() { # SEL
	local err
	if [ "$(id -u)" != 0 ]; then
		skip_test "the lab needs root (a network namespace, ocserv, iptables)"
	fi
	if ! err=$("$LAB" up --ocserv "$1" 2>&1 >/dev/null); then
		printf '%s\n' "$err" >&2
		fail "${NAME:-test}" "the lab cannot come up with ocserv $1 (see the errors above)"
	fi
	lab_eval_env
}

wait_until() { # SECS WHAT CMD...
	local end=$(($(date +%s%N) / 1000000 + $1 * 1000)) what=$2
	shift 2
	until "$@"; do
		if [ $(($(date +%s%N) / 1000000)) -ge "$end" ]; then
			echo "wait_until: $what: not seen within the deadline" >&2
			return 1
		fi
		sleep 0.2
	done
}

wait_value() { # SECS WANT CMD...
	local end=$(($(date +%s%N) / 1000000 + $1 * 1000)) want=$2
	shift 2
	while :; do
		GOT=$("$@" 2>/dev/null) || GOT="(failed: $*)"
		[ "$GOT" = "$want" ] && return 0
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.2
	done
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
		_lab_c=$(lab_user_count 2>/dev/null) || _lab_c="?"
		[ "$_lab_c" = "$_lab_n" ] && return 0
		if [ "$(date +%s)" -ge "$_lab_end" ]; then
			echo "lab_wait_users: want $_lab_n connected, have ${_lab_c:-?} after $2 s" >&2
			return 1
		fi
		sleep 0.5
	done
}

pass() {
	if [ -s "$_LAB_BROKEN" ]; then
		fail "$1" "a check could not run: $(head -n 3 "$_LAB_BROKEN" | tr '\n' ' ')"
	fi
	echo "PASS $1"
}

fail() {
	_lab_name=$1
	shift
	echo "FAIL $_lab_name: $*"
	# inside a $(...) the line above is caught: say it where it is seen too
	if [ "${BASH_SUBSHELL:-0}" -gt 0 ]; then echo "FAIL $_lab_name: $*" >&2; fi
	echo "FAIL $_lab_name: $*" >>"$_LAB_BROKEN" 2>/dev/null || :
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
	on_exit psw_kill
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
	PSW_RC=0
	"$PSW" run "$T/lab.ini" -o "$T" --force -q "$@" >"$T/stdout" 2>"$T/stderr" || PSW_RC=$?
}

# In the background phoneswarm is not quiet: its stderr says when each event fired
# (psw_wait_event) and, once an interval, how many phones are up.
psw_start() {
	"$PSW" run "$T/lab.ini" -o "$T" --force "$@" >"$T/stdout" 2>"$T/stderr" &
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
	PSW_RC=0
	wait "$PSW_PID" || PSW_RC=$?
	PSW_PID=""
}

# Stop the phoneswarm this test started, if it still runs: TERM, then KILL after 5 s.
psw_kill() {
	[ -n "${PSW_PID:-}" ] || return 0
	if kill -0 "$PSW_PID" 2>/dev/null; then
		kill "$PSW_PID" 2>/dev/null || :
		_psw_i=0
		while kill -0 "$PSW_PID" 2>/dev/null && [ "$_psw_i" -lt 50 ]; do
			sleep 0.1
			_psw_i=$((_psw_i + 1))
		done
		kill -9 "$PSW_PID" 2>/dev/null || :
	fi
	wait "$PSW_PID" 2>/dev/null || :
	PSW_PID=""
}

# A check that cannot read its report.json fails the test, also from inside $(...).
report() { # JQ_FILTER
	if [ ! -s "$T/report.json" ]; then
		_lab_broken "report '$1': no $T/report.json"
		return 1
	fi
	jq -r "$1" "$T/report.json" || {
		_lab_broken "report '$1': jq failed on $T/report.json"
		return 1
	}
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
		# occtl may fail while the headend restarts: not yet, then
		if _lab_j=$(lab_users_like "$1" 2>/dev/null); then
			_lab_c=$(printf '%s' "$_lab_j" | jq '[.[] | select(.State == "connected")] | length')
			_lab_a=$(printf '%s' "$_lab_j" | jq 'length')
			[ "$_lab_c" = "$2" ] && [ "$_lab_a" = "$2" ] && return 0
		else
			_lab_c="?" _lab_a="?"
		fi
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
	_f_sel='.'
	[ "${PSW_NEVER:-any}" != connected ] || _f_sel='select(.State == "connected")'
	while kill -0 "$PSW_PID" 2>/dev/null && [ "$(date +%s)" -lt "$_f_end" ]; do
		_f_j=$(lab_users_like "$_f_prefix" | jq -c "[.[] | $_f_sel | {u: .Username, s: .State}]")
		[ "$_f_j" = "[]" ] || _f_seen=$_f_j
		sleep 0.2
	done
	psw_wait 2
	_f_ms=$((($(date +%s%N) - _f_t0) / 1000000))
	expect_rc "$_f_name" 0
	[ "$_f_seen" = "[]" ] ||
		fail "$_f_name" "headend: want no ${PSW_NEVER:-} $_f_prefix* session, saw $_f_seen"
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

# lab_reject -A|-D NAME WITH CHAIN MATCH...: an iptables REJECT rule in the namespace
# (--reject-with WITH), commented "psw-lab-fault:NAME"
lab_reject() {
	_j_op=$1 _j_name=$2 _j_with=$3 _j_chain=$4
	shift 4
	ip netns exec "$LAB_NS" iptables "$_j_op" "$_j_chain" "$@" -m comment \
		--comment "psw-lab-fault:$_j_name" -j REJECT --reject-with "$_j_with" 2>/dev/null
}

lab_dropped() {
	ip netns exec "$LAB_NS" iptables -L "$2" -v -x -n |
		awk -v t="psw-lab-fault:$1 " '$0 ~ t { n += $1 } END { print n + 0 }'
}

lab_restore_on_exit() {
	on_exit 'psw_kill; "$LAB" reset; "$LAB" fault clear'
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
#   psw_wait_event NAME SECS wait until event NAME of the phoneswarm started by
#                            psw_start has fired (the "event NAME:" line it writes on
#                            stderr at once); 1 on timeout
#   psw_event_at NAME        when it fired, seconds into the run (from that line)
#   psw_progress_s           how far the run is, seconds, by its last progress line on
#                            stderr (one per run.interval); 0 before the first
#   psw_csv_sum COLUMN       the sum of timeseries.csv's COLUMN over the intervals
#                            closed so far (a per-interval count: fail_DpdTimeout)
#   psw_csv_last COLUMN      its value in the last interval closed (a gauge: up)
#   psw_wait_csv SECS COLUMN OP VALUE [sum|last]
#                            wait until psw_csv_sum (default) or psw_csv_last of COLUMN
#                            is OP (== >= <= > <) VALUE; 1 on timeout
#   lab_sessions_sep HEX     the headend's sessions whose user name holds SEP<HEX>
#                            (any model: CN CP-<model>-SEP<MAC>), as occtl has them
#   lab_users_sep HEX        the same, brief: [{u, s}] (user name, state)
#   lab_connected_sep HEX    how many of them are connected
#   lab_phones_bad HEX       the headend's sessions of SEP<HEX> that do not look like IP
#                            phones logged in with the phone's protocol: "[]" when each
#                            has the phone's user agent, a user name CP-<product ID>-SEP
#                            <MAC> (a 79xx's product ID with its G) or SEP<MAC>, and, if
#                            it has DTLS, a legacy (DTLS0.9) cipher; else those sessions
#   csv_cols FILE COLUMN...  the named columns of each row of the CSV FILE (failures.csv:
#                            read by its header, never by position), tab-separated, one
#                            row a line, a quoted field unquoted (RFC 4180: it may hold
#                            commas and doubled quotes); a missing FILE or COLUMN fails
#                            the test
#   expect_held NAME         fail unless every expectation in report.json held (and
#                            there is at least one); lists those that failed
#   expect_failed NAME TEXT  fail unless the expectation TEXT is in report.json and
#                            failed
# lab_timeline_ini URL: 10 phones at 20/s for 9 s with two events, an exec at 2 s
# and a reset of half the phones 2 s after it (test_capacity.sh's timeline, whose
# event timing tests/lab/spread.sh measures), on stdout.
lab_timeline_ini() { # URL
	cat <<-EOF
	[headend]
	url = $1
	cert_hashes = $LAB_HASH
	dns = $LAB_DNS
	[phones]
	count = 10
	ca_cert = $LAB_MFG_CA
	ca_key = $LAB_MFG_KEY
	source = $LAB_SOURCE
	mac_base = 02:50:00:0D:10:00
	[ramp]
	rate = 20
	[run]
	duration = 9s
	[event.hello]
	at = 2s
	action = exec
	command = echo "hello \$PHONESWARM_EVENT"
	[event.reset-half]
	at = hello + 2s
	action = reset
	fraction = 50%
	EOF
}

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
	wait_until "$2" "event $1 in $T/stderr" \
		grep -qE "^phoneswarm: \[ *[0-9.]+s\] event $1: " "$T/stderr"
}

psw_event_at() { # NAME
	sed -nE "s/^phoneswarm: \[ *([0-9.]+)s\] event $1: .*/\1/p" "$T/stderr" | head -n 1
}

psw_progress_s() {
	sed -nE 's/^\[ *([0-9.]+)s\] arrived .*/\1/p' "$T/stderr" | tail -n 1 | grep . || echo 0
}

# _psw_csv COLUMN sum|last: timeseries.csv's COLUMN, summed or the last row's ("" if
# there is no such file or column yet)
_psw_csv() {
	awk -F, -v name="$1" -v how="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
		c { s += $c; l = $c }
		END { if (c && NR > 1) print (how == "sum" ? s + 0 : l) }' "$T/timeseries.csv" 2>/dev/null
}
psw_csv_sum() { _psw_csv "$1" sum; }
psw_csv_last() { _psw_csv "$1" last; }

_psw_csv_holds() { # COLUMN OP VALUE HOW
	local v
	v=$(_psw_csv "$1" "$4")
	[ -n "$v" ] && awk -v v="$v" -v op="$2" -v w="$3" 'BEGIN {
		v += 0; w += 0
		if (op == "==") ok = v == w; else if (op == ">=") ok = v >= w
		else if (op == "<=") ok = v <= w; else if (op == ">") ok = v > w
		else if (op == "<") ok = v < w
		exit !ok }'
}

psw_wait_csv() { # SECS COLUMN OP VALUE [sum|last]
	wait_until "$1" "timeseries.csv: ${5:-sum} of $2 $3 $4" _psw_csv_holds "$2" "$3" "$4" "${5:-sum}"
}

csv_cols() { # FILE COLUMN...
	local f=$1
	shift
	if [ ! -f "$f" ]; then
		_lab_broken "csv_cols $*: no $f"
		return 1
	fi
	awk -v want="$*" '
	# split_csv LINE OUT: the fields of LINE into OUT[1..n]; returns n
	function split_csv(line, out,   n, i, c, f, q) {
		n = 0; f = ""; q = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (q && c == "\"") {
				if (substr(line, i + 1, 1) == "\"") { f = f c; i++ } else q = 0
			} else if (q) f = f c
			else if (c == "\"") q = 1
			else if (c == ",") { out[++n] = f; f = "" }
			else f = f c
		}
		out[++n] = f
		return n
	}
	NR == 1 {
		n = split_csv($0, h)
		nw = split(want, w, " ")
		for (k = 1; k <= nw; k++) {
			for (i = 1; i <= n; i++) if (h[i] == w[k]) col[k] = i
			if (!col[k]) { print "csv_cols: no column " w[k] " in " FILENAME > "/dev/stderr"; exit 1 }
		}
		next
	}
	{
		split_csv($0, v)
		row = v[col[1]]
		for (k = 2; k <= nw; k++) row = row "\t" v[col[k]]
		print row
	}' "$f" || {
		_lab_broken "csv_cols $f $*: not a CSV file with those columns"
		return 1
	}
}

expect_held() { # NAME
	_x_n=$(report '.expectations | length')
	_x_bad=$(report '[.expectations[] | select(.ok | not) | "\(.name): \(.detail)"] | join("; ")')
	[ "$_x_n" != 0 ] && [ "$_x_n" != null ] || fail "$1" "report.json has no expectations"
	[ -z "$_x_bad" ] || fail "$1" "expectations failed: $_x_bad"
}

expect_failed() { # NAME TEXT
	_x_ok=$(jq -r --arg t "$2" '[.expectations[] | select(.name == $t) | .ok] | if length == 0 then "missing" else (.[0] | tostring) end' "$T/report.json" 2>/dev/null) ||
		_x_ok="no readable report.json"
	[ "$_x_ok" = false ] || fail "$1" "expectation \"$2\": want failed, got ${_x_ok:-no report}"
}
