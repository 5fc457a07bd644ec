#!/bin/bash
# test_keylog.sh: run --trace 0 --keylog FILE writes the secrets of phone 0's
# sessions, and a capture of that phone (tshark on psw0, the lab's link, filtered on
# the phone's own source address) is decrypted with them: the HTTP of its login and
# its CONNECT /CSCOSSLC/tunnel are in clear, and were not without the key log. The
# phone runs legacy DTLS 0.9 and a call to the lab's reflector, so that its DTLS
# session carries data, which tshark must decrypt too (its CLIENT_RANDOM line is
# written from the master secret the phone resumed with, which OpenSSL does not log). A second phone,
# not traced, shares the run: none of its sessions may be in the key log.
# Takes ~20 s.
NAME=test_keylog
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
need_installed tshark "tshark"
SRC=198.18.101.77 # phone 0's own address (phone 1 takes the next)
B=025000740000

tshark -i psw0 -f "host $SRC" -w "$T/phone.pcapng" >"$T/tshark.out" 2>&1 &
TSHARK=$!
on_exit "kill $TSHARK"
wait_until 10 "tshark capturing" grep -q "Capturing on" "$T/tshark.out" ||
	fail "$NAME" "tshark does not capture: $(cat "$T/tshark.out")"

psw_run -s phones.count=2 -s phones.mac_base=$B -s phones.source=$SRC-198.18.101.78 \
	-s dtls.mode=legacy -s ramp.rate=10 -s run.duration=6s \
	-s traffic.calls=100% -s traffic.target="$LAB_REFLECTOR" -s traffic.call_duration=1h \
	--trace 0 --keylog "$T/keys.log"
expect_rc "$NAME" 0
kill -INT $TSHARK
wait $TSHARK || fail "$NAME" "tshark: $(tail -n 2 "$T/tshark.out")"
expect_eq "$NAME: report [tunnels_up,dtls_up]" "2,2" "$(report '[.phones.tunnels_up, .phones.dtls_up] | @csv')"

# the key log: phone 0's TLS session and its DTLS session, nothing of phone 1
[ -s "$T/keys.log" ] || fail "$NAME" "the key log is empty"
bad=$(grep -v '^CLIENT_RANDOM [0-9a-f]\{64\} [0-9a-f]\{96\}$' "$T/keys.log" || :)
[ -z "$bad" ] || fail "$NAME" "not NSS key log lines: $bad"
randoms() { # the client randoms of FILTER's handshakes in the capture
	tshark -r "$T/phone.pcapng" -d udp.port==443,dtls -Y "$1" -T fields -e "$2" 2>/dev/null |
		tr -d ':' | sort -u
}
tls_cr=$(randoms "tls.handshake.type == 1 && ip.src == $SRC" tls.handshake.random)
dtls_cr=$(randoms "dtls.handshake.type == 1 && ip.src == $SRC" dtls.handshake.random)
[ -n "$tls_cr" ] && [ -n "$dtls_cr" ] || fail "$NAME" "no ClientHello of phone 0 in the capture (TLS '$tls_cr', DTLS '$dtls_cr')"
# exactly phone 0's sessions (phone 1's ClientHellos came from another address)
expect_eq "$NAME: client randoms in the key log = phone 0's TLS and DTLS ClientHellos" \
	"$(printf '%s\n' $tls_cr $dtls_cr | sort -u | tr '\n' ' ')" \
	"$(awk '{ print $2 }' "$T/keys.log" | sort -u | tr '\n' ' ')"

# decrypted: the login and the CONNECT, in clear; not without the key log
http() { tshark -r "$T/phone.pcapng" -d udp.port==443,dtls "$@" -Y http.request \
	-T fields -e http.request.method -e http.request.uri 2>/dev/null; }
clear=$(http -o "tls.keylog_file:$T/keys.log")
echo "$clear" >"$T/http.txt"
grep -q '^POST' <<<"$clear" || fail "$NAME" "no POST (the login) in clear: '$clear'"
grep -q '^CONNECT	/CSCOSSLC/tunnel$' <<<"$clear" || fail "$NAME" "no CONNECT /CSCOSSLC/tunnel in clear: '$clear'"
[ -z "$(http)" ] || fail "$NAME" "HTTP readable without the key log: $(http)"

# DTLS: records of application data, and whether tshark could decrypt them
dtls_app=$(tshark -r "$T/phone.pcapng" -d udp.port==443,dtls -Y 'dtls.record.content_type == 23' 2>/dev/null | wc -l)
[ "$dtls_app" -gt 0 ] || fail "$NAME" "no DTLS application data in the capture"
dtls_clear=$(tshark -r "$T/phone.pcapng" -d udp.port==443,dtls -o "tls.keylog_file:$T/keys.log" \
	-Y 'dtls.record.content_type == 23 && data' 2>/dev/null | wc -l)
expect_eq "$NAME: DTLS application records decrypted with the key log (the resumed session's line)" \
	"$dtls_app" "$dtls_clear"
expect_eq "$NAME: DTLS application records readable without the key log" 0 \
	"$(tshark -r "$T/phone.pcapng" -d udp.port==443,dtls -Y 'dtls.record.content_type == 23 && data' 2>/dev/null | wc -l)"
dtls_version=$(tshark -r "$T/phone.pcapng" -d udp.port==443,dtls -Y 'dtls.record.content_type == 23' \
	-T fields -e dtls.record.version 2>/dev/null | sort -u | tr '\n' ' ')
pass "$NAME ($(wc -l <"$T/keys.log") key log lines; in clear: $(grep -c . <<<"$clear") HTTP requests; DTLS ($dtls_version) application records: $dtls_app, decrypted by tshark: $dtls_clear)"
