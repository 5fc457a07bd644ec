#!/bin/bash
# test_certhash_cli.sh: the two helper commands against the lab. `certhash` prints
# the headend certificate's SHA-1 (hex, as openssl's fingerprint), the same in Base64
# (the lab's .sha1.b64, what goes in certHash1) and the SHA-256. `probe` connects once
# per model: with the right hash both models are trusted, log in and bring up DTLS
# (exit 0); with a wrong hash they are not trusted (NO) and it exits 1. The lab's
# default headend (ocserv 1.1.6) speaks only the desktop login: those probes log in
# with it (--client anyconnect), and a probe as a phone says the headend answered
# with the desktop exchange, that a phone cannot log in there, and exits 1.
NAME=test_certhash_cli
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
pem=$LAB_PKI/headend-rsa.pem
"$PSW" certhash "$pem" >"$T/certhash.out" 2>&1 || fail "$NAME" "certhash exited $?: $(cat "$T/certhash.out")"
norm() { tr -d ':' | tr 'A-F' 'a-f'; }
b64=$(cat "$LAB_PKI/headend-rsa.sha1.b64")
sha1=$(openssl x509 -in "$pem" -noout -fingerprint -sha1 | sed 's/.*=//' | norm)
sha256=$(openssl x509 -in "$pem" -noout -fingerprint -sha256 | sed 's/.*=//' | norm)
got_b64=$(awk '$1 == "certHash" { print $2 }' "$T/certhash.out")
got_sha1=$(awk '$1 == "SHA-1" { print $2 }' "$T/certhash.out" | norm)
got_sha256=$(awk '$1 == "SHA-256" { print $2 }' "$T/certhash.out" | norm)
expect_eq "$NAME: certhash Base64 ($T/certhash.out)" "$b64" "$got_b64"
expect_eq "$NAME: certhash SHA-1 ($T/certhash.out)" "$sha1" "$got_sha1"
expect_eq "$NAME: certhash SHA-256 ($T/certhash.out)" "$sha256" "$got_sha256"

probe() { # OUT HASH [ARGS...]
	_p_out=$1 _p_hash=$2
	shift 2
	"$PSW" probe "$LAB_URL" --hash "$_p_hash" --dns "$LAB_DNS" --source 198.18.64.250 \
		--ca-cert "$LAB_MFG_CA" --ca-key "$LAB_MFG_KEY" --models 8861,7962 "$@" >"$_p_out" 2>&1
}
if [ "${LAB_OCSERV_VERSION:-1.1.6}" = 1.1.6 ]; then
	rc=0
	probe "$T/probe-phone.out" "$LAB_HASH" || rc=$?
	expect_eq "$NAME: probe as a phone at $LAB_URL, exit status ($(cat "$T/probe-phone.out"))" 1 "$rc"
	grep -q "^login at /: the desktop AnyConnect XML exchange, not the phone's: a phone cannot log in here" \
		"$T/probe-phone.out" || fail "$NAME" "probe as a phone: no login verdict: $(cat "$T/probe-phone.out")"
	grep "^8861 " "$T/probe-phone.out" | grep -qw desktop ||
		fail "$NAME" "probe as a phone: 8861 not shown answered by the desktop login: $(cat "$T/probe-phone.out")"
	set -- --client anyconnect
else
	set --
fi
rc=0
probe "$T/probe.out" "$LAB_HASH" "$@" || rc=$?
expect_eq "$NAME: probe exit status ($(cat "$T/probe.out"))" 0 "$rc"
for m in 8861 7962; do
	line=$(grep "^$m " "$T/probe.out")
	[ -n "$line" ] || fail "$NAME" "probe: no line for $m: $(cat "$T/probe.out")"
	printf '%s\n' "$line" | grep -qw yes || fail "$NAME" "probe: $m not trusted: $line"
	printf '%s\n' "$line" | grep -q 'DTLSv' || fail "$NAME" "probe: $m shows no DTLS: $line"
done
grep -q 'DTLSv0.9' "$T/probe.out" || fail "$NAME" "probe: the 7962 should show legacy DTLSv0.9: $(cat "$T/probe.out")"
rc=0
probe "$T/probe-bad.out" "$LAB_HASH2" "$@" || rc=$?
expect_eq "$NAME: probe exit status with a wrong hash ($(cat "$T/probe-bad.out"))" 1 "$rc"
for m in 8861 7962; do
	grep "^$m " "$T/probe-bad.out" | grep -qw NO || fail "$NAME" "probe with a wrong hash: $m not shown untrusted (NO): $(cat "$T/probe-bad.out")"
done
pass "$NAME (certhash matches openssl and $b64; probe trusted + DTLS for 8861 and 7962, NO and exit 1 with a wrong hash)"
