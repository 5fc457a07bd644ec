# tests/lab/lib.sh: helpers for the lab integration tests (source it from bash or sh).
#
#   lab_require              skip (exit 77) unless root and the lab comes up; then
#                            brings it up and loads its variables (lab_eval_env)
#   lab_eval_env             eval "$(scripts/lab env)": LAB_URL, LAB_HASH, LAB_MFG_CA, ...
#   lab_status               headend status, one JSON object (occtl show status)
#   lab_users                JSON array of the headend's sessions (occtl show users);
#                            it lists every worker, also those still authenticating
#   lab_user_count           number of users in state "connected" (tunnel up)
#   lab_wait_users N SECS    wait until exactly N users are connected; 1 on timeout
#   pass NAME                print "PASS NAME"
#   fail NAME DETAIL...      print "FAIL NAME: DETAIL" and exit 1
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
	if ! "$LAB" up >/dev/null; then
		echo "SKIP: the lab cannot come up (see the errors above)" >&2
		exit 77
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
