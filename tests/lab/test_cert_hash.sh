#!/bin/bash
# test_cert_hash.sh: phones that trust only another certificate's hash (the lab's
# second RSA certificate) refuse the headend's: every phone fails with
# CertHashMismatch, none reaches the headend's user list, and with no expectations
# set the run still exits 0.
NAME=test_cert_hash
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
[ "$LAB_HASH2" != "$LAB_HASH" ] || fail "$NAME" "the lab's two certificate hashes are equal ($LAB_HASH)"
psw_all_fail "$NAME" 10 CertHashMismatch 15 CP-8861-SEP025000040 \
	-s phones.mac_base=025000040000 -s run.duration=2s -s headend.cert_hashes="$LAB_HASH2"
pass "$NAME (10 phones refused the headend's certificate, $PSW_MS ms)"
