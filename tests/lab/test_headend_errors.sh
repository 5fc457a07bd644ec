#!/bin/bash
# test_headend_errors.sh: a headend that cannot be reached, or refuses, fails every
# phone with the named reason and never a hang:
#   an ASA-style group URL (/phone) that ocserv answers with 404    HttpStatus
#   a port where nothing listens (444)                               TcpRefused
#   an address where nothing answers (198.18.0.99, connect 2 s)      TcpTimeout
NAME=test_headend_errors
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
P=CP-8861-SEP0250000A0
common="-s phones.count=5 -s phones.mac_base=0250000A0000 -s run.connect_timeout=2s"
# shellcheck disable=SC2086
psw_all_fail "$NAME (404)" 5 HttpStatus 10 $P $common -s run.duration=1s \
	-s headend.url=https://vpn.lab.test/phone
t1=$PSW_MS
# shellcheck disable=SC2086
psw_all_fail "$NAME (refused)" 5 TcpRefused 10 $P $common -s run.duration=1s \
	-s headend.url=https://vpn.lab.test:444/
t2=$PSW_MS
# shellcheck disable=SC2086
psw_all_fail "$NAME (no answer)" 5 TcpTimeout 12 $P $common -s run.duration=4s \
	-s headend.url=https://198.18.0.99/
pass "$NAME (HttpStatus $t1 ms, TcpRefused $t2 ms, TcpTimeout $PSW_MS ms)"
