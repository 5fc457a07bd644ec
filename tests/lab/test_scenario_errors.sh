#!/bin/bash
# test_scenario_errors.sh: a bad scenario stops phoneswarm before it starts, with exit
# status 2, one message naming file, line and key (scenarios/README.md, "Errors"),
# and no report. Needs no lab and no root.
NAME=test_scenario_errors
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
psw_setup "$NAME"

# a valid scenario; each case below breaks one line of it (line numbers matter)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=test-ca \
	-days 2 -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null ||
	fail "$NAME" "openssl cannot make a test CA"
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.key" 2>/dev/null ||
	fail "$NAME" "openssl cannot make a key"
echo "not PEM" >"$T/notpem"
base() {
	cat <<-EOF
	[headend]
	url = https://198.18.0.1/
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
	rc=0
	out=$(timeout 10 "$PSW" run "$f" -o "$T/out" -q "$@" 2>&1 >/dev/null) || rc=$?
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

# what was found only when the run began, named by file, line and key all the same
check "unknown model" "$(f):11: phones.models: unknown model 9999 (known: 7962 7965 7841 8845 8861 9971)" \
	"$(base; printf '[phones]\nmodels = 9999\n')"
check "CA certificate not PEM" "$(f):6: phones.ca_cert: $T/notpem: not a PEM certificate" \
	"$(base | sed "s|^ca_cert = .*|ca_cert = $T/notpem|")"
check "CA key not PEM" "$(f):7: phones.ca_key: $T/notpem: not a PEM private key" \
	"$(base | sed "s|^ca_key = .*|ca_key = $T/notpem|")"
check "CA key of another CA" "$(f):7: phones.ca_key: $T/other.key does not match $T/ca.pem" \
	"$(base | sed "s|^ca_key = .*|ca_key = $T/other.key|")"
check "MIC CA key not PEM" "$(f):7: phones.mic_ca_key: $T/notpem: not a PEM private key" \
	"$(base | sed "s|^ca_cert =|mic_ca =|; s|^ca_key = .*|mic_ca_key = $T/notpem|")"
check "-s CA key not PEM" "-s phones.ca_key=$T/notpem: phones.ca_key: $T/notpem: not a PEM private key" \
	"$(base)" -s phones.ca_key="$T/notpem"
check "IPv6 URL" "$(f):2: headend.url: \"https://[::1]/\": an IPv6 address cannot be the host" \
	"$(base | sed 's|^url = .*|url = https://[::1]/|')"
check "query without a path" "$(f):2: headend.url: \"https://1.2.3.4:443?x\" is not an https:// URL with a host" \
	"$(base | sed 's|^url = .*|url = https://1.2.3.4:443?x|')"
check "-s IPv6 URL" "-s headend.url=https://[::1]/: headend.url: \"https://[::1]/\": an IPv6 address" \
	"$(base)" -s 'headend.url=https://[::1]/'
cnf() { # URLS...: a phone config with these url1.., trusting one hash
	printf '<device><vpnGroup><addresses>'
	for ((i = 1; i <= $#; i++)); do printf '<url%d>%s</url%d>' $i "${!i}" $i; done
	printf '</addresses><certHash1>AAECAwQFBgcICQoLDA0ODxAREhM=</certHash1></vpnGroup></device>\n'
}
cnf http://vpn.example/ >"$T/c1.cnf.xml"
cnf https://198.18.0.1/ https://198.18.0.2:99999/ >"$T/c2.cnf.xml"
# base with headend.cnf = $1 (line 2) in place of url and cert_hashes
base_cnf() { base | sed "s|^url = .*|cnf = $1|; /^cert_hashes = /d"; }
check "cnf url1 not https" "$(f):2: headend.cnf: $T/c1.cnf.xml: url1: \"http://vpn.example/\" is not an https:// URL with a host" \
	"$(base_cnf "$T/c1.cnf.xml")"
check "cnf url2 bad port" "$(f):2: headend.cnf: $T/c2.cnf.xml: url2: \"https://198.18.0.2:99999/\" is not an https:// URL with a host" \
	"$(base_cnf "$T/c2.cnf.xml")"
check "-s cnf url1 not https" "-s headend.cnf=$T/c1.cnf.xml: headend.cnf: $T/c1.cnf.xml: url1:" \
	"$(base_cnf "$T/c2.cnf.xml")" -s headend.cnf="$T/c1.cnf.xml"
check "host name without dns" "$(f): headend.dns: required key missing (headend.url names a host, vpn.lab.test)" \
	"$(base | sed 's|^url = .*|url = https://vpn.lab.test/|')"
check "no CA for a model's chain" "$(f): phones.mic_sha1_ca: required key missing (model 7962 presents a MIC on the SHA-1 manufacturing chain; or give phones.ca_cert for every phone)" \
	"$(base | sed 's/^ca_cert =/mic_ca =/; s/^ca_key =/mic_ca_key =/'; printf '[phones]\nmodels = 8861,7962\n')"
check "event key its action does not take" "$(f):13: event.a.command: not a key of action mark" \
	"$(base; printf '[event.a]\nat = 1s\naction = mark\ncommand = rotate\n')"
check "event key given twice" "$(f):14: event.a.at: given twice (first on line 11)" \
	"$(base; printf '[event.a]\nat = 1s\naction = mark\n[event.a]\nat = 2s\n')"
check "expect: a day is a unit (the error is the next line's)" "$(f):12: expect: foo:" \
	"$(base; printf '[expect]\nlatency.time_to_tunnel.p99 < 1d\nfoo = 1\n')"
check "expect: more than the fleet up at once" "$(f):11: expect: up_min: 150% is not a share (0% to 100%)" \
	"$(base; printf '[expect]\nup_min >= 150%%\n')"
check "metrics port out of range" "phoneswarm: --metrics-listen 127.0.0.1:99999: the port is 1 to 65535 (or 0: any free port)" \
	"$(base)" --metrics-listen 127.0.0.1:99999

# usage errors: exit 2 as well
rc=0
out=$("$PSW" run "$T/nosuch.ini" -o "$T/out" -q 2>&1 >/dev/null) || rc=$?
expect_eq "$NAME: missing scenario file, exit status (stderr: $out)" 2 "$rc"
case "$out" in *"$T/nosuch.ini"*) ;; *) fail "$NAME" "missing scenario file: want its path in '$out'" ;; esac
rc=0
out=$("$PSW" frobnicate 2>&1 >/dev/null) || rc=$?
expect_eq "$NAME: unknown subcommand, exit status (stderr: $out)" 2 "$rc"

pass "$NAME ($n scenario errors, 2 usage errors)"
