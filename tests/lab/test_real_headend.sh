#!/bin/bash
# tests/lab/test_real_headend.sh: the template for a user's own headend
# (scenarios/headend.ini) runs on a machine without the lab's files, every
# value given by -s, as README's "Against your own headend" says.
#
# The lab's ocserv 1.3 at /svc (set for phones: no ECDHE) stands in for the
# user's headend. phoneswarm runs in a mount namespace of its own where the
# lab's directory (/run/phoneswarm-lab: its PKI, its CA, its hash files) is an
# empty tmpfs, so nothing of the lab's can be read; the CA and the headend's
# certificate are copies in the test's directory, as a user's would be. Then:
#   - certhash of the headend's certificate gives the hash the lab computed
#     (LAB_HASH: scripts/lab's own openssl pipeline);
#   - check headend.ini with the -s values: exit 0, every -s key shown as
#     such, the same file without them: exit 2 (its example values are not
#     this machine's);
#   - run headend.ini with the -s values: exit 0 (its [expect] holds: every
#     tunnel and DTLS up, no failure), and ocserv's own view during the run:
#     10 sessions of ours connected, each a phone's (its user agent, its CN,
#     DTLS 0.9).
# Takes ~20 s.
NAME=test_real_headend
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require_ocserv 1.3
psw_setup "$NAME"
lab_restore_on_exit
lab_set ciphers=no-ec
need_installed unshare "util-linux's unshare"

MAC=02:50:00:A1:00:00
SEP=025000A1000
N=10
cp "$LAB_MFG_CA" "$T/phones-ca.pem"
cp "$LAB_MFG_KEY" "$T/phones-ca.key"
cp "$LAB_PKI/headend-rsa.pem" "$T/headend.pem"
PSWABS=$(cd "$(dirname "$PSW")" && pwd)/$(basename "$PSW")
SCEN=$LAB_ROOT/scenarios/headend.ini

# hidden CMD...: CMD with the lab's directory empty (its own mount namespace)
hidden() {
	unshare -m --propagation private sh -c \
		'mount -t tmpfs none "$0" && [ -z "$(ls -A "$0")" ] && cd "$1" && shift && exec "$@"' \
		"$LAB_DIR" "$T" "$@"
}

# what the user knows: the headend's certificate, its URL, its DNS, the CA
hash=$(hidden "$PSWABS" certhash headend.pem | awk '$1 == "certHash" { print $2 }')
expect_eq "$NAME: certhash of the headend's certificate" "$LAB_HASH" "$hash"

set -- -s headend.url="$LAB_SVC_URL" -s headend.cert_hashes="$hash" -s headend.dns="$LAB_DNS" \
	-s phones.ca_cert=phones-ca.pem -s phones.ca_key=phones-ca.key \
	-s phones.source=198.18.100.10-198.18.100.19 -s phones.mac_base=$MAC \
	-s phones.count=$N -s ramp.rate=10 -s run.duration=6s

rc=0
hidden "$PSWABS" check "$SCEN" "$@" >"$T/check.out" 2>&1 || rc=$?
expect_eq "$NAME: check headend.ini with the -s values, exit status ($(tail -n 3 "$T/check.out"))" 0 "$rc"
n=$(grep -c '; -s' "$T/check.out" || :)
expect_eq "$NAME: check shows each of the 10 -s keys as given by -s" 10 "$n"
rc=0
hidden "$PSWABS" check "$SCEN" >"$T/check-bare.out" 2>&1 || rc=$?
expect_eq "$NAME: check headend.ini as shipped (example values), exit status" 2 "$rc"

hidden "$PSWABS" run "$SCEN" "$@" -o out -q >"$T/stdout" 2>"$T/stderr" &
PSW_PID=$!
wait_value 10 "$N" lab_connected_sep "$SEP" ||
	fail "$NAME" "the headend: want $N sessions of ours connected, got $GOT: $(lab_users_sep "$SEP")"
bad=$(lab_phones_bad "$SEP")
expect_eq "$NAME: sessions of ours that are not phones' on the headend" "[]" "$bad"
psw_wait 30
expect_rc "$NAME" 0
got=$(jq -c '[.phones.tunnels_up, .phones.dtls_up, (.failures | add // 0), .client]' "$T/out/report.json")
expect_eq "$NAME: report [tunnels_up, dtls_up, failures, client]" "[$N,$N,0,\"phone\"]" "$got"
pass "$NAME ($N phones from headend.ini, the lab's files hidden, values by -s: check exit 0, run exit 0, the headend saw $N phones with DTLS 0.9)"
