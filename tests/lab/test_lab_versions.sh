#!/bin/bash
# test_lab_versions.sh: the lab runs Debian's newer ocserv beside the host's.
#
# scripts/lab up --ocserv 1.3 replaces the running headend by the ocserv 1.3 of a
# Debian root (made by mmdebstrap the first time): the process occtl names as the
# server runs from that root and is ocserv 1.3.x, scripts/lab status and env say so,
# and it serves the IP phone's login at /svc (GET with the phone's User-Agent: 200,
# Set-Cookie: webvpnlogin=1; POST with the phone's certificate: 200 with a
# non-empty webvpn cookie). up without --ocserv keeps it. Switching back to the
# host's ocserv keeps the PKI and dnsmasq, leaves no mount of the root, and /svc
# answers 404 there (1.1.6 has no phone login). down with 1.3 running leaves no
# mount either. Prints how long each step took; the lab ends with the host's ocserv.
# shellcheck disable=SC2015 # "a && b || fail" is meant
NAME=test_lab_versions
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
T=${PSW_TEST_DIR:-/tmp/phoneswarm-tests}/$NAME
rm -rf "$T" && mkdir -p "$T" || fail "$NAME" "cannot create $T"
on_exit '"$LAB" up --ocserv host; "$LAB" reset; "$LAB" fault clear'
UA="Cisco SVC IPPhone Client v1.0"
CN=CP-8841-SEP025000700000
CACHE=${PHONESWARM_OCSERV_CACHE:-/var/cache/phoneswarm}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# the ocserv main process occtl reports, and the root it runs in
server_pid() { lab_status 2>/dev/null | jq -r '."Server PID"'; }
server_root() { readlink "/proc/$(server_pid)/root"; }

# svc METHOD: the head of the headend's reply to the phone at /svc (curl -D), with
# the phone's certificate; the body of a POST is empty, as a certificate phone's
svc() {
	curl -sS --max-time 10 -o /dev/null -D - -A "$UA" -X "$1" ${2:+--data-binary "$2"} \
		--resolve "vpn.lab.test:443:$LAB_HEADEND" --cacert "$LAB_PKI/web-ca.pem" \
		--cert "$T/phone.pem" --key "$T/phone.key" "$LAB_SVC_URL" 2>"$T/curl.err" | tr -d '\r'
}

# mounts under the cache of roots (there should be none once that root stops)
root_mounts() { findmnt -rn -o TARGET | grep "^$CACHE/" || true; }

# ---- 1.3: the phone's headend
t0=$(date +%s%N)
lab_require_ocserv 1.3
up13_ms=$(ms_since "$t0")
case "$LAB_OCSERV_VERSION" in 1.3.*) ;; *) fail "$NAME" "env: want LAB_OCSERV_VERSION 1.3.x, got '$LAB_OCSERV_VERSION'" ;; esac
[ -n "$LAB_OCSERV_SUITE" ] && [ "$LAB_OCSERV_SUITE" != host ] ||
	fail "$NAME" "env: want a Debian suite in LAB_OCSERV_SUITE, got '$LAB_OCSERV_SUITE'"
expect_eq "$NAME: env LAB_SVC_URL" https://vpn.lab.test/svc "$LAB_SVC_URL"
root=$CACHE/ocserv-$LAB_OCSERV_SUITE
# the headend's own view: the server occtl names runs from the root, and is 1.3
expect_eq "$NAME: occtl status" online "$(lab_status 2>/dev/null | jq -r .Status)"
expect_eq "$NAME: root of occtl's server process" "$root" "$(server_root)"
expect_eq "$NAME: program of occtl's server process" "$root/usr/sbin/ocserv" "$(readlink "/proc/$(server_pid)/exe")"
v=$(chroot "$root" /usr/sbin/ocserv --version 2>&1 | head -n 1)
case "$v" in *" 1.3."*) ;; *) fail "$NAME" "occtl's server process: want ocserv 1.3.x, it says '$v'" ;; esac
"$LAB" status 2>"$T/status.err" >/dev/null || fail "$NAME" "scripts/lab status failed: $(cat "$T/status.err")"
grep -q "^lab: ocserv: $LAB_OCSERV_VERSION (Debian $LAB_OCSERV_SUITE" "$T/status.err" ||
	fail "$NAME" "scripts/lab status: want 'ocserv: $LAB_OCSERV_VERSION (Debian $LAB_OCSERV_SUITE...' on stderr, got: $(cat "$T/status.err")"
for m in /proc /dev "$LAB_DIR"; do
	mountpoint -q "$root$m" || fail "$NAME" "$root$m is not mounted while 1.3 runs"
done
pass "$NAME: up --ocserv 1.3 runs ocserv $LAB_OCSERV_VERSION from $root ($up13_ms ms)"

# the phone's certificate, from the lab's manufacturing CA
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$CN" -keyout "$T/phone.key" \
	-out "$T/phone.csr" 2>"$T/openssl.log" &&
	openssl x509 -req -in "$T/phone.csr" -CA "$LAB_MFG_CA" -CAkey "$LAB_MFG_KEY" \
		-CAcreateserial -CAserial "$T/ca.srl" -days 2 -sha256 -out "$T/phone.pem" 2>>"$T/openssl.log" ||
	fail "$NAME" "cannot make the phone's certificate: $(tail -n 2 "$T/openssl.log")"

h=$(svc GET)
expect_eq "$NAME: GET /svc status" "HTTP/1.1 200 OK" "$(printf '%s\n' "$h" | head -n 1)"
printf '%s\n' "$h" | grep -q '^Set-Cookie: webvpnlogin=1' ||
	fail "$NAME" "GET /svc: no 'Set-Cookie: webvpnlogin=1' in: $h $(cat "$T/curl.err")"
h=$(svc POST "")
expect_eq "$NAME: POST /svc status" "HTTP/1.1 200 OK" "$(printf '%s\n' "$h" | head -n 1)"
printf '%s\n' "$h" | grep -q '^Set-Cookie: webvpn=[^;]' ||
	fail "$NAME" "POST /svc: no session cookie (Set-Cookie: webvpn=VALUE) in: $h"
pass "$NAME: ocserv $LAB_OCSERV_VERSION serves the phone's login at /svc (GET 200 webvpnlogin=1, POST 200 webvpn cookie)"

# up without --ocserv keeps the running headend (same server process)
pid=$(server_pid)
"$LAB" up >/dev/null 2>"$T/up.err" || fail "$NAME" "scripts/lab up: $(tail -n 2 "$T/up.err")"
expect_eq "$NAME: server pid after up without --ocserv" "$pid" "$(server_pid)"
pass "$NAME: up without --ocserv keeps ocserv $LAB_OCSERV_VERSION"

# ---- back to the host's ocserv: an upgrade in reverse; PKI and DNS stay
hash=$LAB_HASH
dns_pid=$(cat "$LAB_DIR/dnsmasq.pid")
t0=$(date +%s%N)
lab_require_ocserv host
host_ms=$(ms_since "$t0")
expect_eq "$NAME: host version" "$(ocserv --version 2>&1 | sed -n '1s/.* //p')" "$LAB_OCSERV_VERSION"
expect_eq "$NAME: host suite" host "$LAB_OCSERV_SUITE"
expect_eq "$NAME: root of occtl's server process (host)" / "$(server_root)"
expect_eq "$NAME: PKI kept (headend hash)" "$hash" "$LAB_HASH"
expect_eq "$NAME: dnsmasq kept (pid)" "$dns_pid" "$(cat "$LAB_DIR/dnsmasq.pid")"
expect_eq "$NAME: mounts left after the switch" "" "$(root_mounts)"
expect_eq "$NAME: GET /svc status on $LAB_OCSERV_VERSION" "HTTP/1.1 404 Not found" "$(svc GET | head -n 1)"
pass "$NAME: back to the host's ocserv $LAB_OCSERV_VERSION ($host_ms ms): /svc is 404, no mount left, PKI and dnsmasq kept"

# ---- down with 1.3 running undoes its mounts
lab_require_ocserv 1.3
"$LAB" down 2>"$T/down.err" || fail "$NAME" "scripts/lab down: $(cat "$T/down.err")"
expect_eq "$NAME: mounts left after down" "" "$(root_mounts)"
left=""
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && left="$left ${p#/proc/}"
done
expect_eq "$NAME: processes left in the root after down" "" "$left"
pass "$NAME: down with 1.3 running leaves no mount and no ocserv"
