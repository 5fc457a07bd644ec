#!/bin/bash
# test_capf_only.sh: a headend that trusts only the CAPF CA (scripts/lab set
# trust=capf: "admits only the customer's own phones"). Phones with an LSC signed by
# the CAPF come up; phones presenting their MIC (a genuine phone, but not ours) are
# refused; so are phones whose LSC has expired. ocserv 1.1.6 sends no TLS alert
# when it refuses a client certificate: it resets the connection after the phone's
# certificate flight (the phone has already trusted the headend's certificate). The
# engine counts that as ClosedDuringSetup (detail -104, ECONNRESET); should it
# classify it as ClientCertRejected, change REASON.
REASON=ClientCertRejected
NAME=test_capf_only
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_require
psw_setup "$NAME"
lab_restore_on_exit
N=5
MAC=025000140000
PREFIX=CP-8861-SEP02500014
# no phones.ca_cert (it would sign every certificate): per-identity CAs only
lab_scenario_ca "$T/lab.ini" \
	"mic_ca = $LAB_MFG_CA" \
	"mic_ca_key = $LAB_MFG_KEY" \
	"lsc_ca = $LAB_CAPF_CA" \
	"lsc_ca_key = $LAB_CAPF_KEY"
lab_set trust=capf
psw_all_up "$NAME (LSC)" $N -s phones.mac_base=$MAC -s run.duration=1s -s phones.identity=lsc
psw_all_fail "$NAME (MIC)" $N $REASON 10 $PREFIX \
	-s phones.mac_base=$MAC -s run.duration=1s -s phones.identity=mic --trace 0
t1=$PSW_MS
log=$(find "$T/trace" -name '*.log' | head -n 1)
grep -q 'VPN cert chain trusted' "$log" && grep -q "notify: \[$REASON\]" "$log" ||
	fail "$NAME (MIC)" "trace $log: want the headend trusted, then $REASON: $(cat "$log")"
psw_all_fail "$NAME (expired LSC)" $N $REASON 10 $PREFIX \
	-s phones.mac_base=$MAC -s run.duration=1s -s phones.identity=lsc -s phones.cert_validity=expired
pass "$NAME ($N LSC phones up; $N MIC phones $REASON in $t1 ms; $N expired LSCs $REASON)"
