#!/bin/bash
# test_scenario_errors.sh: a bad scenario stops phoneswarm before it starts, with exit
# status 2, one message naming file, line and key (scenarios/README.md, "Errors"),
# and no report. Needs no lab and no root.
NAME=test_scenario_errors
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
psw_setup "$NAME"

# a valid scenario; each case below breaks one line of it (line numbers matter)
: >"$T/ca.pem"
: >"$T/ca.key"
base() {
	cat <<-EOF
	[headend]
	url = https://vpn.lab.test/
	cert_hashes = AAECAwQFBgcICQoLDA0ODxAREhM=
	[phones]
	count = 10
	ca_cert = $T/ca.pem
	ca_key = $T/ca.key
	[ramp]
	rate = 10
	EOF
}

n=0
# check WHAT WANT_SUBSTRING FILE_TEXT [ARGS...]: phoneswarm run on FILE_TEXT exits 2
# and its stderr contains WANT_SUBSTRING.
check() {
	local what=$1 want=$2 text=$3 f out rc
	shift 3
	n=$((n + 1))
	f=$T/case$n.ini
	printf '%s\n' "$text" >"$f"
	rm -rf "$T/out"
	out=$(timeout 10 "$PSW" run "$f" -o "$T/out" -q "$@" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = 2 ] || fail "$NAME" "$what: exit status: want 2, got $rc; stderr: $out"
	case "$out" in
	*"$want"*) ;;
	*) fail "$NAME" "$what: message: want it to contain '$want', got '$out'" ;;
	esac
	[ ! -e "$T/out/report.json" ] || fail "$NAME" "$what: a report.json was written"
}

f() { echo "$T/case$((n + 1)).ini"; }

check "unknown section" "$(f):10: [phone]: unknown section" \
	"$(base; printf '[phone]\ncount = 3\n')"
check "unknown key" "$(f):10: ramp.speed: unknown key" \
	"$(base; echo 'speed = 3')"
check "bad whole number" "$(f):5: phones.count: \"12x\" is not a whole number" \
	"$(base | sed 's/^count = 10$/count = 12x/')"
check "bad duration" "$(f):11: run.duration:" \
	"$(base; printf '[run]\nduration = 5 fortnights\n')"
check "bad dtls mode" "$(f):11: dtls.mode:" \
	"$(base; printf '[dtls]\nmode = sometimes\n')"
check "bad model mix" "$(f):11: phones.models:" \
	"$(base; printf '[phones]\nmodels = 8861:60%%,7841:30%%\n')"
check "key given twice" "$(f):10: ramp.rate: given twice (first on line 9)" \
	"$(base; echo 'rate = 20')"
check "missing required key" "$(f): phones.count: required key missing" \
	"$(base | sed '/^count = /d')"
check "missing url" "$(f): headend.url: required key missing" \
	"$(base | sed '/^url = /d')"
check "bad expectation" "$(f):11: expect: foo: expected an operator (< <= > >= == !=) after the metric" \
	"$(base; printf '[expect]\nfoo = 1\n')"
check "bad event" "$(f):12: event.rotate.action: \"rotte\" is not one of mark, reset, fetch, trust, dns, cut, impair, exec, lab" \
	"$(base; printf '[event.rotate]\nat = 10s\naction = rotte\n')"
check "bad -s value" "-s phones.count=12x: phones.count: \"12x\" is not a whole number" \
	"$(base)" -s phones.count=12x
check "-s unknown key" "-s ramp.speed=3: ramp.speed: unknown key" \
	"$(base)" -s ramp.speed=3
check "-s unknown section" "-s nosuch.key=3: [nosuch]: unknown section" \
	"$(base)" -s nosuch.key=3
check "-s without a value" "-s phones.count: " \
	"$(base)" -s phones.count

# usage errors: exit 2 as well
out=$("$PSW" run "$T/nosuch.ini" -o "$T/out" -q 2>&1 >/dev/null)
rc=$?
expect_eq "$NAME: missing scenario file, exit status (stderr: $out)" 2 "$rc"
case "$out" in *"$T/nosuch.ini"*) ;; *) fail "$NAME" "missing scenario file: want its path in '$out'" ;; esac
out=$("$PSW" frobnicate 2>&1 >/dev/null)
rc=$?
expect_eq "$NAME: unknown subcommand, exit status (stderr: $out)" 2 "$rc"

pass "$NAME ($n scenario errors, 2 usage errors)"
