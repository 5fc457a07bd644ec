#!/bin/bash
# test_dns_nxdomain.sh: a headend name the lab DNS does not know (NXDOMAIN, the lab's
# dnsmasq is authoritative for lab.test) fails every phone with DnsNxdomain, quickly;
# a name outside lab.test is REFUSED by the lab DNS: DnsLookupErr.
NAME=test_dns_nxdomain
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
psw_all_fail "$NAME" 10 DnsNxdomain 5 CP-8861-SEP025000050 \
	-s phones.mac_base=025000050000 -s run.duration=1s -s headend.url=https://nosuch.lab.test/
t1=$PSW_MS
psw_all_fail "$NAME (refused)" 10 DnsLookupErr 5 CP-8861-SEP025000050 \
	-s phones.mac_base=025000050000 -s run.duration=1s -s headend.url=https://vpn.nosuch.example/
pass "$NAME (10 x DnsNxdomain in $t1 ms, 10 x DnsLookupErr in $PSW_MS ms)"
