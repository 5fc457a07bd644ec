#!/bin/bash
# test_host_id.sh: the host-ID check (enableHostIDCheck). vpn-alt.lab.test resolves
# to the headend but is in none of its certificates' CN/SAN: with the check on every
# phone fails with HostIdMismatch and never reaches the headend; with it off the same
# URL works; and vpn.lab.test (in the SAN) passes the check.
NAME=test_host_id
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
N=5
MAC=025000100000
PREFIX=CP-8861-SEP02500010
psw_all_fail "$NAME (vpn-alt, check on)" $N HostIdMismatch 10 $PREFIX \
	-s phones.mac_base=$MAC -s run.duration=1s \
	-s headend.url=https://vpn-alt.lab.test/ -s headend.host_id_check=true
t1=$PSW_MS
psw_all_up "$NAME (vpn-alt, check off)" $N -s phones.mac_base=$MAC -s run.duration=1s \
	-s headend.url=https://vpn-alt.lab.test/ -s headend.host_id_check=false
psw_all_up "$NAME (vpn.lab.test, check on)" $N -s phones.mac_base=$MAC -s run.duration=1s \
	-s headend.url=https://vpn.lab.test/ -s headend.host_id_check=true
pass "$NAME ($N x HostIdMismatch in $t1 ms on vpn-alt; all up with the check off, and on vpn.lab.test with it on)"
